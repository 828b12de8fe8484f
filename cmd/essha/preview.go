package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ess-ha/ess-ha/internal/engine"
	"github.com/ess-ha/ess-ha/internal/preview"
	"github.com/ess-ha/ess-ha/internal/standin"
	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/pack"
)

const previewUsage = `usage: essha preview --stack NAME [--policy-pack-config FILE] [--set key=value ...] [--project-dir DIR]

Runs the stack's real program through the Pulumi CLI's engine, as pulumi preview does, with the ess-ha
policy pack enforcing and a stand-in for AWS, against a throwaway local backend: no AWS account, no
credentials, no network. It prints the engine's own preview output, policy section included.

The engine, the program and the pack run for real; AWS does not. The stand-in AWS provider accepts
every input and makes up IDs and ARNs, so nothing AWS itself would refuse is found here.

The member of a pair (ess-ha:pairRole member) reads its owner's outputs through a real
StackReference: the owner is planned offline, as essha plan plans it, and imported into the backend.

The Pulumi CLI is $ESS_HA_PULUMI_CLI, else pulumi on PATH, else the one tools/pulumi.mod pins, built
into the user cache directory (the error says how when there is none).

Exit status: 0 the preview passed the pack, 1 a mandatory policy violation, 2 any other error.

flags:
`

// pluginMains are the plugins essha serves when started under their names from the directory the
// preview puts first on the engine's PATH: the stand-in AWS provider and the policy pack.
var pluginMains = map[string]func() error{
	engine.ProviderPlugin: standin.Main,
	engine.PackPlugin:     func() error { pack.Main(); return nil },
}

// init serves a plugin, and exits, when essha was started under a plugin's name: one binary is the
// command, the stand-in provider and the pack, so a preview needs no compiler.
func init() {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	serve, ok := pluginMains[name]
	if !ok {
		return
	}
	if err := serve(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runPreview runs `essha preview`. A mandatory policy violation returns an error that wraps
// audit.ErrNotCompliant (exit status 1).
func runPreview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	// The flag package's own messages are replaced: --help prints the usage to stdout, and a bad flag
	// is an error like any other.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	stack := fs.String("stack", "", "the stack `NAME` to preview (required); its configuration is Pulumi.<NAME>.yaml")
	configFile := fs.String("policy-pack-config", "", "the policy configuration `FILE`, as pulumi's --policy-pack-config takes it")
	dir := fs.String("project-dir", "", "read Pulumi.yaml and the stack files from `DIR` (default: the ones built into essha)")
	sets := &setFlags{}
	fs.Var(sets, "set", "override a configuration value, as essha plan --set does (repeatable): `key=value`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, previewUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("preview: %w (essha preview --help lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("preview: unexpected arguments %q", fs.Args())
	}
	if *stack == "" {
		return errors.New("preview: --stack is required, e.g. --stack prod-us-east-1")
	}
	if *configFile != "" {
		// The CLI runs in a work directory of its own.
		abs, err := filepath.Abs(*configFile)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			return fmt.Errorf("preview: --policy-pack-config: %w", err)
		}
		*configFile = abs
	}
	_, err := preview.Run(ctx, preview.Options{
		Stack: *stack, ProjectDir: *dir, Overrides: sets.overrides(), PolicyPackConfig: *configFile,
		Stdout: stdout, Stderr: stderr,
	})
	if errors.Is(err, engine.ErrNotCompliant) {
		return fmt.Errorf("%w: %w", audit.ErrNotCompliant, err)
	}
	return err
}
