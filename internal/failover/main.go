package failover

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Usage is the help text of the failover command.
const Usage = `usage: essha failover <subcommand> [flags]

subcommands:
  status                         show whether each region is serving or drained
  drain --region R [--force]     drain region R: Route 53 stops sending it traffic
                                 (--force: even if it is the last region serving,
                                 or the other region's state cannot be read)
  restore --region R             put region R back into service

flags of every subcommand:
  --account-id ID                the AWS account the deployment runs in (names the stop buckets)
  --endpoint URL                 S3 endpoint override (tests, S3-compatible servers)
`

// UsageError is a command line that Main cannot run. Its message names the
// problem and lists the subcommands.
type UsageError struct {
	// Problem says what is wrong with the command line.
	Problem string
}

// Error returns the problem followed by the usage text.
func (e *UsageError) Error() string {
	return e.Problem + "\n\n" + Usage
}

func usageErr(format string, args ...any) error {
	return &UsageError{Problem: fmt.Sprintf(format, args...)}
}

// Main runs `essha failover` with args (the words after "failover") for the
// deployment's two regions, printing every change, or the status table, to
// out. Command-line problems are *UsageError; "-h" prints Usage.
func Main(ctx context.Context, args []string, deployment string, regions []string, out io.Writer) error {
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
	account := fs.String("account-id", "", "the AWS account the deployment runs in (it names the stop buckets)")
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
		return usageErr("failover %s: --region is required (one of %s)", sub, strings.Join(regions, ", "))
	}

	if *account == "" {
		return usageErr("failover %s: --account-id is required: the stop buckets are named after the account", sub)
	}
	switches, err := Switches(deployment, *account, regions)
	if err != nil {
		return fmt.Errorf("failover: deployment %s: %w", deployment, err)
	}
	client, err := NewClient(ctx, switches, Options{Endpoint: *endpoint})
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}

	switch sub {
	case "status":
		states, serr := client.Status(ctx)
		if err := WriteStatus(out, deployment, states); err != nil {
			return fmt.Errorf("failover status: writing output: %w", err)
		}
		if serr != nil {
			return fmt.Errorf("failover status: %w", serr)
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

func writeChange(out io.Writer, ch Change) error {
	if _, err := fmt.Fprintln(out, ch); err != nil {
		return fmt.Errorf("failover %s: writing output: %w", ch.Action, err)
	}
	return nil
}

// WriteStatus prints states as a table, one row per region, followed by a
// line saying which regions take traffic.
func WriteStatus(out io.Writer, deployment string, states []State) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "deployment %s\n", deployment)
	fmt.Fprintln(tw, "REGION\tSTATE\tDRAIN SWITCH\tSINCE\tBY")
	var serving []string
	unknown := 0
	for _, s := range states {
		since, by := "-", "-"
		if !s.Since.IsZero() {
			since = s.Since.UTC().Format(time.RFC3339)
		}
		if s.By != "" {
			by = s.By
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Region, s.Condition, s.Switch, since, by)
		switch s.Condition {
		case Serving:
			serving = append(serving, s.Region)
		case Unknown:
			unknown++
		}
	}
	switch {
	case len(serving) > 0:
		fmt.Fprintf(tw, "serving (as far as the drain switches go): %s\n", strings.Join(serving, ", "))
	case unknown > 0:
		fmt.Fprintln(tw, "no region is known to be serving: some switches could not be read")
	default:
		fmt.Fprintln(tw, "WARNING: every region is drained: with every weighted record unhealthy, Route 53 answers with all of them, so no region is actually drained")
	}
	return tw.Flush()
}
