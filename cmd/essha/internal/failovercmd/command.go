// Package failovercmd is the command line of `essha failover`: its usage, flags and output. The
// engine that reads and flips the drain switches is internal/failover; the names of the switches are
// internal/stopswitch.
package failovercmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"

	"github.com/ess-ha/ess-ha/internal/failover"
	"github.com/ess-ha/ess-ha/internal/project"
)

// Run runs `essha failover ...` (args are the words after "failover") for an active-active deployment
// of the stack files in files, and prints every change, or the status report, to out. A command line
// it cannot run is an error whose message names the problem and ends with Usage; "-h" prints Usage
// without reading anything.
func Run(ctx context.Context, args []string, files fs.FS, out io.Writer) error {
	return runCommand(ctx, args, findDeployment(files), out)
}

// findDeployment finds a deployment to fail over in the project files. It reads only what a failover
// needs from each stack file, so a stack that is not part of the chosen pair cannot stop it.
func findDeployment(files fs.FS) deploymentFinder {
	return func(name string) (deployment, error) {
		pairs, err := project.Pairs(files)
		if err != nil {
			return deployment{}, fmt.Errorf("reading the stack files: %w", err)
		}
		p, err := pairs.Select(name)
		if err != nil {
			return deployment{}, err
		}
		return deployment{
			Name:       p.Deployment,
			Regions:    p.Regions,
			AccountID:  p.AccountID,
			AccountErr: p.AccountErr,
			Files:      p.Files(),
		}, nil
	}
}

// Usage is the help text of the failover command.
const Usage = `usage: essha failover <subcommand> [flags]

subcommands:
  status                         show each region's drain switch (S3) and what Route 53's
                                 health checkers see of it, with Route 53's verdict
  drain --region R [--force]     drain region R: Route 53 stops sending it traffic. It refuses
                                 to drain the last region serving, or when the other region's
                                 switch cannot be read, and it takes its own switch back if
                                 the other region was drained at the same moment
                                 (--force: drain anyway, e.g. while the other region is down)
  restore --region R             put region R back into service

flags of every subcommand:
  --deployment NAME              the active-active deployment to act on; needed only when the
                                 stack files describe several
  --account-id ID                the AWS account the deployment runs in (it names the stop
                                 buckets); default: the one ID in aws:allowedAccountIds of
                                 both stack files of the pair
  --endpoint URL                 S3 endpoint override (tests, S3-compatible servers)
  --route53-endpoint URL         Route 53 endpoint override (tests); used by status

The stack files are the embedded ones, or those in the folder $ESSHA_PROJECT_DIR names.
Exit status 2 when a command is refused or fails, and when status could not read a switch
or Route 53 (it still prints what it could read).
`

// usageError is a command line that runCommand cannot run. Its message names the
// problem and lists the subcommands.
type usageError struct {
	// Problem says what is wrong with the command line.
	Problem string
}

// Error returns the problem followed by the usage text.
func (e *usageError) Error() string {
	return e.Problem + "\n\n" + Usage
}

func usageErr(format string, args ...any) error {
	return &usageError{Problem: fmt.Sprintf(format, args...)}
}

// deployment is the active-active deployment a failover acts on, as the
// project's stack files describe it.
type deployment struct {
	// Name is the deployment's name; it names the stop buckets.
	Name string
	// Regions are the regions of its two stacks.
	Regions []string
	// AccountID is the account both stacks are pinned to (their
	// aws:allowedAccountIds), "" when they name none.
	AccountID string
	// AccountErr is why the stacks name no usable account, if so. It
	// matters only without --account-id.
	AccountErr error
	// Files names the stack files described, for messages.
	Files []string
}

// deploymentFinder returns the deployment named name, or the only one the
// stack files describe when name is "" (no --deployment). Its errors name
// the fix (e.g. the deployments to choose from).
type deploymentFinder func(name string) (deployment, error)

// runCommand runs `essha failover` with args (the words after "failover"): it
// parses the flags, finds the deployment to act on with find, and prints
// every change, or the status report, to out. Command-line problems are
// *usageError; "-h" prints Usage without reading anything.
func runCommand(ctx context.Context, args []string, find deploymentFinder, out io.Writer) error {
	if len(args) == 0 {
		return usageErr("failover: no subcommand given")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "-h", "-help", "--help", "help":
		_, err := io.WriteString(out, Usage)
		return err
	case "status", "drain", "restore":
	default:
		return usageErr("failover: unknown subcommand %q", sub)
	}

	fs := flag.NewFlagSet("failover "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	endpoint := fs.String("endpoint", "", "S3 endpoint override")
	route53Endpoint := fs.String("route53-endpoint", "", "Route 53 endpoint override")
	accountFlag := fs.String("account-id", "", "the AWS account the deployment runs in (it names the stop buckets)")
	deploymentFlag := fs.String("deployment", "", "the active-active deployment to act on")
	var region *string
	var force *bool
	if sub != "status" {
		region = fs.String("region", "", "region to "+sub)
	}
	if sub == "drain" {
		force = fs.Bool("force", false, "drain even the last region serving")
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, werr := io.WriteString(out, Usage)
			return werr
		}
		return usageErr("failover %s: %v", sub, err)
	}
	if fs.NArg() > 0 {
		return usageErr("failover %s: unexpected argument %q", sub, fs.Arg(0))
	}
	if region != nil && *region == "" {
		known := ""
		if d, err := find(*deploymentFlag); err == nil {
			known = " (one of " + strings.Join(d.Regions, ", ") + ")"
		}
		return usageErr("failover %s: --region is required%s", sub, known)
	}

	d, err := find(*deploymentFlag)
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	account, note, err := resolveAccount(sub, *accountFlag, d)
	if err != nil {
		return err
	}
	if note != "" {
		if _, err := fmt.Fprintln(out, "note: "+note); err != nil {
			return fmt.Errorf("failover %s: writing output: %w", sub, err)
		}
	}
	switches, err := failover.Switches(d.Name, account, d.Regions)
	if err != nil {
		return fmt.Errorf("failover: deployment %s: %w", d.Name, err)
	}
	client, err := failover.NewClient(ctx, switches, failover.Options{Endpoint: *endpoint, Route53Endpoint: *route53Endpoint})
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}

	switch sub {
	case "status":
		var states []failover.State
		var views []failover.CheckerView
		var serr, rerr error
		var wg sync.WaitGroup
		wg.Go(func() { states, serr = client.Status(ctx) })
		wg.Go(func() { views, rerr = client.CheckerViews(ctx) })
		wg.Wait()
		if err := writeStatus(out, d.Name, states, views); err != nil {
			return fmt.Errorf("failover status: writing output: %w", err)
		}
		if err := errors.Join(serr, rerr); err != nil {
			return fmt.Errorf("failover status: %w", err)
		}
		return nil
	case "drain":
		ch, err := client.Drain(ctx, *region, *force)
		if err != nil {
			return fmt.Errorf("failover: %w", err)
		}
		return writeChange(out, ch)
	default:
		ch, err := client.Restore(ctx, *region)
		if err != nil {
			return fmt.Errorf("failover: %w", err)
		}
		return writeChange(out, ch)
	}
}

// resolveAccount picks the account that names the stop buckets: --account-id
// if given, else the one the pair's stack files pin with aws:allowedAccountIds.
// The note, if any, tells that --account-id differs from the stack files.
func resolveAccount(sub, flagValue string, d deployment) (account, note string, err error) {
	files := strings.Join(d.Files, ", ")
	if flagValue != "" {
		if d.AccountID != "" && d.AccountID != flagValue {
			note = fmt.Sprintf("--account-id %s differs from aws:allowedAccountIds %s in %s; using %s", flagValue, d.AccountID, files, flagValue)
		}
		return flagValue, note, nil
	}
	switch {
	case d.AccountErr != nil:
		return "", "", fmt.Errorf("failover %s: deployment %s: the stack files name no usable AWS account: %w; pass --account-id ID, or fix aws:allowedAccountIds", sub, d.Name, d.AccountErr)
	case d.AccountID == "":
		return "", "", usageErr("failover %s: the AWS account of deployment %s is unknown (it names the stop buckets): pass --account-id ID, or set aws:allowedAccountIds: [\"<12-digit account ID>\"] in both stack files of the pair (%s)", sub, d.Name, files)
	}
	return d.AccountID, "", nil
}

func writeChange(out io.Writer, ch failover.Change) error {
	if _, err := fmt.Fprintln(out, ch); err != nil {
		return fmt.Errorf("failover %s: writing output: %w", ch.Action, err)
	}
	return nil
}
