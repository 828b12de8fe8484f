// Command packoverhead measures what the ess-ha policy pack costs on top of the Pulumi CLI: it times
// `pulumi policy analyze --file` on a large state with the ess-ha pack and with a pack of no policies
// (served by the same transport), and prints both wall times and their ratio.
//
//	go run ./policies/internal/cmd/packoverhead -resources 20000 -runs 5
//
// The state is a synthetic ESS stack (package synth) unless -state names a state file. The CLI is built
// from tools/pulumi.mod unless -cli names a pulumi binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ess-ha/ess-ha/policies/internal/e2e"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "packoverhead:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	resources int
	runs      int
	cli       string
	state     string
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("packoverhead", flag.ContinueOnError)
	fs.IntVar(&o.resources, "resources", 20000, "size of the synthetic stack")
	fs.IntVar(&o.runs, "runs", 5, "timed runs per pack, after one warm-up run")
	fs.StringVar(&o.cli, "cli", "", "pulumi binary to use; built from tools/pulumi.mod when empty")
	fs.StringVar(&o.state, "state", "", "state file to analyze instead of a synthetic stack")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.runs < 1 || o.resources < 2 {
		return o, errors.New("-runs must be at least 1 and -resources at least 2")
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	root, err := e2e.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "packoverhead-")
	if err != nil {
		return fmt.Errorf("creating a scratch directory: %w", err)
	}
	defer os.RemoveAll(work)

	if o.cli == "" {
		o.cli = filepath.Join(work, "pulumi")
		fmt.Fprintln(out, "building the Pulumi CLI from tools/pulumi.mod ...")
		if err := e2e.BuildCLI(ctx, root, o.cli); err != nil {
			return err
		}
	}
	if o.state == "" {
		o.state = filepath.Join(work, "state.json")
		b, err := synth.New(o.resources).StateJSON()
		if err != nil {
			return fmt.Errorf("generating the synthetic stack: %w", err)
		}
		if err := os.WriteFile(o.state, b, 0o600); err != nil {
			return fmt.Errorf("writing the state: %w", err)
		}
		fmt.Fprintf(out, "synthetic state: %d resources, %d bytes\n", o.resources, len(b))
	}

	emptyDir := filepath.Join(work, "emptypack")
	if err := e2e.WritePackDir(emptyDir, "0.0.0"); err != nil {
		return err
	}
	packs := []struct {
		name, pkg, dir string
	}{
		{"ess-ha", "./policies", filepath.Join(root, "policies")},
		{"empty", "./policies/internal/emptypack", emptyDir},
	}
	times := map[string][]time.Duration{}
	analyses := make([]e2e.Analyze, len(packs))
	for i, p := range packs {
		bin := filepath.Join(work, "bin-"+p.name)
		if err := e2e.BuildPack(ctx, root, p.pkg, bin); err != nil {
			return err
		}
		home := filepath.Join(work, "home-"+p.name)
		if err := os.MkdirAll(home, 0o755); err != nil {
			return err
		}
		analyses[i] = e2e.Analyze{CLI: o.cli, Home: home, BinDir: bin, PackDir: p.dir, StateFile: o.state}
		if analyses[i].Pack, err = analyses[i].PackArgument(ctx); err != nil {
			return err
		}
	}
	// One warm-up run each, then alternate so drift affects both packs alike.
	for round := 0; round <= o.runs; round++ {
		for i, p := range packs {
			res, err := analyses[i].Run(ctx)
			if err != nil {
				return err
			}
			if res.ExitCode != 0 && p.name == "empty" {
				return fmt.Errorf("the empty pack failed:\n%s", res.Output())
			}
			if round == 0 {
				fmt.Fprintf(out, "%s pack: exit code %d\n", p.name, res.ExitCode)
				continue
			}
			times[p.name] = append(times[p.name], res.Duration)
		}
	}
	med := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	pack, empty := med(times["ess-ha"]), med(times["empty"])
	fmt.Fprintf(out, "pulumi policy analyze --file (median of %d runs)\n", o.runs)
	fmt.Fprintf(out, "  ess-ha pack: %v %v\n", pack.Round(time.Millisecond), times["ess-ha"])
	fmt.Fprintf(out, "  empty pack:  %v %v\n", empty.Round(time.Millisecond), times["empty"])
	fmt.Fprintf(out, "  ratio:       %.3f\n", float64(pack)/float64(empty))
	return nil
}
