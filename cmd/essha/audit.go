package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/audit/render"
)

const auditUsage = `usage: essha audit --file STATE.json [--file PEER.json] [flags]
       essha audit --stack NAME [--stack PEER] [flags]

Runs the ess-ha policy pack on state files (what ` + "`pulumi stack export`" + ` or ` + "`essha plan`" + ` writes)
without the Pulumi CLI, and reports every policy with its evidence, the findings, the controls, the
waivers and an availability estimate. Given the two stacks of an active-active pair, it also runs the
ha-pair-* policies on them together.

Exit status: 0 compliant, 1 a mandatory violation, 2 bad input or usage.

flags:
`

// stringsFlag collects a repeated flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runAudit runs `essha audit`. A report with mandatory violations returns audit.ErrNotCompliant (exit
// 1); any other error is bad input or usage (exit 2). --help prints the usage and returns nil.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files, stacks stringsFlag
	fs.Var(&files, "file", "a `STATE.json` to audit: a `pulumi stack export --show-secrets` or an essha plan; give it twice for the two stacks of a pair")
	fs.Var(&stacks, "stack", "plan the stack `NAME` offline (as essha plan does) and audit the plan; repeatable")
	configFile := fs.String("policy-pack-config", "", "the policy pack configuration `C.json` (levels, properties and waivers), the file pulumi --policy-pack-config takes")
	asOf := fs.String("as-of", "", "judge waivers' expiry as of this day, `YYYY-MM-DD` (default today, UTC), so a report can be reproduced")
	format := fs.String("format", "text", "the report's `FORMAT`: text, json, sarif, junit, markdown or html")
	out := fs.String("out", "", "write the report to `PATH` instead of standard output")
	asJSON := fs.Bool("json", false, "the same as --format json (kept for earlier scripts)")
	fs.Usage = func() {} // --help prints the usage below; other mistakes are errors that say what is wrong
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, auditUsage)
			printFlags(fs)
			return nil
		}
		return fmt.Errorf("audit: %w (see essha audit --help)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audit: unexpected arguments %q; state files are given with --file", fs.Args())
	}
	if *asJSON {
		*format = string(render.JSON)
	}
	f, err := render.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	opts := audit.Options{Log: stderr}
	if *asOf != "" {
		if opts.AsOf, err = audit.ParseAsOf(*asOf); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if *configFile != "" {
		if opts.Config, err = audit.LoadConfig(*configFile); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		opts.ConfigName = "--policy-pack-config " + *configFile
	}
	if len(files)+len(stacks) == 0 {
		return errors.New("audit: --file is required: give a state file with --file STATE.json (e.g. --file <(pulumi stack export --show-secrets)), or a stack to plan with --stack NAME")
	}
	for _, path := range files {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("audit: --file: %w", err)
		}
		opts.Inputs = append(opts.Inputs, audit.Input{Path: path})
	}
	for _, name := range stacks {
		res, err := plan.Run(ctx, plan.Options{Stack: name})
		if err != nil {
			return fmt.Errorf("audit: --stack %s: planning the stack: %w", name, err)
		}
		opts.Inputs = append(opts.Inputs, audit.Input{Name: "plan of " + name, Data: res.State})
	}
	rep, err := audit.Run(ctx, opts)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var buf bytes.Buffer
	if err := render.Write(&buf, f, rep); err != nil {
		return fmt.Errorf("audit: writing the %s report: %w", f, err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("audit: --out: %w", err)
		}
		fmt.Fprintf(stderr, "essha audit: wrote the %s report to %s: %s\n", f, filepath.Clean(*out), verdictLine(rep.Compliant, rep.Summary.Mandatory))
	} else if _, err := stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if !rep.Compliant {
		return audit.ErrNotCompliant
	}
	return nil
}

// printFlags lists a command's flags the way its usage line writes them: --name VALUE, then the
// description on the next line.
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		if value != "" {
			value = " " + value
		}
		if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool {
			value = ""
		}
		fmt.Fprintf(fs.Output(), "  --%s%s\n      %s", f.Name, value, usage)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(fs.Output(), " (default %s)", f.DefValue)
		}
		fmt.Fprintln(fs.Output())
	})
}

func verdictLine(compliant bool, mandatory int) string {
	if compliant {
		return "compliant"
	}
	return fmt.Sprintf("not compliant, %d mandatory violation(s)", mandatory)
}
