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
	"os"
	"strings"

	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/audit"
)

const usage = `usage: essha <command> [flags]

commands:
  plan      run the program offline for a stack and write its state file
  preview   preview a stack through the Pulumi engine with the policy pack, offline (AWS is a stand-in)
  failover  drain, restore or show the regions of the active-active deployment (STOP pattern)
  audit     run the policy pack on a state file (a stack export or a plan), without the Pulumi CLI
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
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// setFlags collects repeated --set key=value flags.
type setFlags map[string]string

func (s setFlags) String() string { return fmt.Sprint(map[string]string(s)) }

func (s setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("--set %q: want key=value, e.g. --set availabilityZones=2", v)
	}
	s[k] = val
	return nil
}

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "prod-us-east-1", "the stack to plan; its configuration is Pulumi.<stack>.yaml")
	out := fs.String("out", "", "where to write the state file (required; - for standard output)")
	dir := fs.String("project-dir", "", "the folder holding Pulumi.yaml and the stack files (default: the embedded ones)")
	peerPlan := fs.String("peer-plan", "", "for the member of a pair: the owner's state file (an essha plan or a pulumi stack export) whose outputs the member reads; default: plan the owner's stack first")
	sets := setFlags{}
	fs.Var(sets, "set", "override a configuration value, key=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("plan: unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return errors.New("plan: --out is required, e.g. --out plan.json")
	}
	opts := plan.Options{Stack: *stack, ProjectDir: *dir, Overrides: sets}
	if *peerPlan != "" {
		b, err := os.ReadFile(*peerPlan)
		if err != nil {
			return fmt.Errorf("plan: --peer-plan: %w", err)
		}
		opts.PeerPlan = b
	}
	res, err := plan.Run(ctx, opts)
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(res.State)
		return err
	}
	if err := os.WriteFile(*out, res.State, 0o644); err != nil {
		return fmt.Errorf("plan: writing %s: %w", *out, err)
	}
	fmt.Fprint(stdout, res.Summary)
	fmt.Fprintf(stdout, "\nWrote %s (%d bytes). Analyze it with:\n  pulumi policy analyze --file %s --policy-pack policies\n", *out, len(res.State), *out)
	return nil
}
