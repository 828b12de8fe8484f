package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"

	"github.com/ess-ha/ess-ha/policies/audit"
)

// runAudit runs `essha audit --file STATE [--policy-pack-config FILE] [--json]`: the policy pack on a
// state file, without the Pulumi CLI. A stack with mandatory violations returns audit.ErrNotCompliant.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "the state file to audit: `pulumi stack export` output or an essha plan (required)")
	configFile := fs.String("policy-pack-config", "", "policy configuration, in the format of pulumi's --policy-pack-config")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audit: unexpected arguments %q", fs.Args())
	}
	if *file == "" {
		return errors.New("audit: --file is required, e.g. --file <(pulumi stack export) or --file plan.json")
	}
	state, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var config map[string]plugin.AnalyzerPolicyConfig
	if *configFile != "" {
		if config, err = analyzer.LoadPolicyPackConfigFromFile(*configFile); err != nil {
			return fmt.Errorf("audit: reading %s: %w", *configFile, err)
		}
	}
	report, err := audit.Run(ctx, state, config)
	if err != nil {
		return fmt.Errorf("audit of %s: %w", *file, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		writeReport(stdout, *file, report)
	}
	if !report.Compliant {
		return audit.ErrNotCompliant
	}
	return nil
}

func writeReport(w io.Writer, file string, r *audit.Report) {
	verdict := "COMPLIANT: no mandatory violation"
	if !r.Compliant {
		verdict = fmt.Sprintf("NOT COMPLIANT: %d mandatory violation(s)", r.Mandatory())
	}
	fmt.Fprintf(w, "Audit of %s with %s: %d resources, %d finding(s).\n%s.\n", file, r.Pack, r.Resources, len(r.Findings), verdict)
	for _, f := range r.Findings {
		fmt.Fprintf(w, "\n[%s] %s\n  %s\n  %s\n", f.Level, f.Policy, f.URN, strings.ReplaceAll(f.Message, "\n", "\n  "))
	}
}
