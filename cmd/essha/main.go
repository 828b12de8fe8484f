// Command essha is the ess-ha command line tool.
//
//	essha plan --stack prod-us-east-1 --out plan.json [--peer-plan owner.json]
//
// runs the Pulumi program offline, under mocks, and writes the stack's whole resource graph as a state
// file that `pulumi policy analyze --file` accepts, with a readable summary on standard output. The
// member of a pair reads its owner's outputs from --peer-plan, or from a plan of the owner made first.
//
//	essha failover status | drain --region R [--force] | restore --region R
//	               [--deployment NAME] [--account-id ID] [--endpoint URL] [--route53-endpoint URL]
//
// flips the STOP switches of the active-active deployment with data-plane S3 calls only, and shows
// what the Route 53 health checkers see.
//
//	essha audit --file state.json [--file peer.json] [--policy-pack-config config.json] [--as-of YYYY-MM-DD]
//	            [--format text|json|sarif|junit|markdown|html] [--out PATH]
//
// runs the policy pack on state files (one stack, or the two of a pair) in process, reports every policy
// with its evidence, and exits
// 1 when a mandatory policy is violated.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/audit"
)

const usage = `Usage: essha <command> [flags]

essha plans, checks and operates the ess-ha stacks: the Enterprise Solid Server, highly available on
AWS, one stack per region.

Commands:
  plan      run the program offline for a stack and write its state file
  preview   preview a stack through the Pulumi engine with the policy pack, offline (AWS is a stand-in)
  failover  drain, restore or show the regions of the active-active deployment (STOP pattern)
  audit     run the policy pack on a state file (a stack export or a plan), without the Pulumi CLI

Run 'essha <command> --help' (or 'essha help <command>') for what a command does and its flags.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "essha:", err)
		if errors.Is(err, audit.ErrNotCompliant) {
			os.Exit(1) // as `pulumi policy analyze` does
		}
		os.Exit(2)
	}
}

// run dispatches a command line; it is main without the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "plan":
		return runPlan(ctx, args[1:], stdout, stderr)
	case "preview":
		return runPreview(ctx, args[1:], stdout, stderr)
	case "failover":
		return runFailover(ctx, args[1:], stdout)
	case "audit":
		return runAudit(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" && args[1] != "help" {
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

const planUsage = `Usage: essha plan --out FILE [--stack NAME] [--set KEY=VALUE]... [--project-dir DIR] [--peer-plan FILE]

Runs the ess-ha program offline, under the Pulumi SDK's mocks, for one stack, and writes the stack's
whole resource graph as a state file in the format 'pulumi stack export' writes, with a summary of it
on standard output. Check the state file with 'essha audit --file FILE', or with
'pulumi policy analyze --file FILE --policy-pack policies'. The same input gives the same bytes.

Flags:
  --out FILE          where to write the state file, - for standard output (required)
  --stack NAME        the stack to plan, whose configuration is Pulumi.<NAME>.yaml
                      (default prod-us-east-1)
  --set KEY=VALUE     override a configuration value; repeat it for several keys. KEY is a key of
                      the project (domain, essPool) or namespace:key (ess-ha:domain, aws:region);
                      an object or a list is JSON: --set 'essPool={"minPerZone": 2}'. Each key is
                      set once: domain and ess-ha:domain are the same key, and setting it twice
                      is an error. A key the project does not have is an error.
  --project-dir DIR   the folder with Pulumi.yaml and the stack files (default: the ones built
                      into essha)
  --peer-plan FILE    for the member of an active-active pair: the owner's state file (an essha
                      plan or a 'pulumi stack export'), whose outputs the member reads through its
                      StackReference (default: plan the owner's stack first)
  -h, --help          show this help

Examples:
  essha plan --stack prod-us-east-1 --out east.json
  essha plan --stack prod-us-west-2 --out west.json --peer-plan east.json
  essha plan --stack prod-us-east-1 --out - --set availabilityZones=2 > two-zones.json
`

// setFlags collects repeated --set key=value flags, in the order given. A key given twice, as
// written, is refused here; the project loader refuses a key given twice in two spellings (domain
// and ess-ha:domain).
type setFlags struct {
	keys   []string
	values map[string]string
}

func (s *setFlags) String() string {
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k + "=" + s.values[k]
	}
	return strings.Join(parts, " ")
}

func (s *setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("%q is not key=value: write --set KEY=VALUE, e.g. --set availabilityZones=2", v)
	}
	if prev, dup := s.values[k]; dup {
		return fmt.Errorf("%s is set twice (%s=%s and %s=%s): set each key once", k, k, prev, k, val)
	}
	if s.values == nil {
		s.values = map[string]string{}
	}
	s.keys = append(s.keys, k)
	s.values[k] = val
	return nil
}

// overrides returns the values by key, for plan.Options.
func (s *setFlags) overrides() map[string]string {
	if len(s.keys) == 0 {
		return nil
	}
	return maps.Clone(s.values)
}

// parseFlags parses a command's flags: --help prints help to stdout (and returns errHelp); a bad flag
// is an error naming it and pointing at --help.
func parseFlags(fs *flag.FlagSet, args []string, help string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, werr := io.WriteString(stdout, help)
		if werr != nil {
			return werr
		}
		return errHelp
	case err != nil:
		return fmt.Errorf("%s: %w (run 'essha %s --help' for the flags)", fs.Name(), err, fs.Name())
	case fs.NArg() > 0:
		return fmt.Errorf("%s: unexpected arguments %q (run 'essha %s --help' for the flags)", fs.Name(), fs.Args(), fs.Name())
	}
	return nil
}

// errHelp is returned by parseFlags when help was asked for and printed: the command succeeds.
var errHelp = errors.New("help printed")

// planFlags are the flags of essha plan.
type planFlags struct {
	stack, out, dir, peerPlan *string
	sets                      *setFlags
}

// newPlanFlags defines the flags of essha plan; planUsage describes each.
func newPlanFlags() (*flag.FlagSet, planFlags) {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	f := planFlags{
		stack:    fs.String("stack", "prod-us-east-1", "the stack to plan"),
		out:      fs.String("out", "", "where to write the state file"),
		dir:      fs.String("project-dir", "", "the folder with Pulumi.yaml and the stack files"),
		peerPlan: fs.String("peer-plan", "", "the owner's state file, for a member"),
		sets:     &setFlags{},
	}
	fs.Var(f.sets, "set", "override a configuration value")
	return fs, f
}

func runPlan(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs, f := newPlanFlags()
	if err := parseFlags(fs, args, planUsage, stdout); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	if *f.out == "" {
		return errors.New("plan: --out is required, e.g. --out plan.json (run 'essha plan --help' for the flags)")
	}
	opts := plan.Options{Stack: *f.stack, ProjectDir: *f.dir, Overrides: f.sets.overrides()}
	if *f.peerPlan != "" {
		b, err := os.ReadFile(*f.peerPlan)
		if err != nil {
			return fmt.Errorf("plan: --peer-plan: %w", err)
		}
		opts.PeerPlan = b
	}
	res, err := plan.Run(ctx, opts)
	if err != nil {
		return err
	}
	if *f.out == "-" {
		_, err = stdout.Write(res.State)
		return err
	}
	if err := os.WriteFile(*f.out, res.State, 0o644); err != nil {
		return fmt.Errorf("plan: writing %s: %w", *f.out, err)
	}
	fmt.Fprint(stdout, res.Summary)
	fmt.Fprintf(stdout, "\nWrote %s (%d bytes). Analyze it with:\n  pulumi policy analyze --file %s --policy-pack policies\n", *f.out, len(res.State), *f.out)
	return nil
}
