package failover

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

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

// Deployment is the active-active deployment a failover acts on, as the
// project's stack files describe it.
type Deployment struct {
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

// FindDeployment returns the deployment named name, or the only one the
// stack files describe when name is "" (no --deployment). Its errors name
// the fix (e.g. the deployments to choose from).
type FindDeployment func(name string) (Deployment, error)

// Main runs `essha failover` with args (the words after "failover"): it
// parses the flags, finds the deployment to act on with find, and prints
// every change, or the status report, to out. Command-line problems are
// *UsageError; "-h" prints Usage without reading anything.
func Main(ctx context.Context, args []string, find FindDeployment, out io.Writer) error {
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
	switches, err := Switches(d.Name, account, d.Regions)
	if err != nil {
		return fmt.Errorf("failover: deployment %s: %w", d.Name, err)
	}
	client, err := NewClient(ctx, switches, Options{Endpoint: *endpoint, Route53Endpoint: *route53Endpoint})
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}

	switch sub {
	case "status":
		var states []State
		var views []CheckerView
		var serr, rerr error
		var wg sync.WaitGroup
		wg.Go(func() { states, serr = client.Status(ctx) })
		wg.Go(func() { views, rerr = client.CheckerViews(ctx) })
		wg.Wait()
		if err := WriteStatus(out, d.Name, states, views); err != nil {
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
func resolveAccount(sub, flagValue string, d Deployment) (account, note string, err error) {
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

func writeChange(out io.Writer, ch Change) error {
	if _, err := fmt.Fprintln(out, ch); err != nil {
		return fmt.Errorf("failover %s: writing output: %w", ch.Action, err)
	}
	return nil
}

// WriteStatus prints the drain switches' states as a table, one row per
// region, and a line saying which regions take traffic as far as the
// switches go; then, if views is not nil, Route 53's view of each switch
// (see writeCheckers).
func WriteStatus(out io.Writer, deployment string, states []State, views []CheckerView) error {
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
	if views != nil {
		writeCheckers(tw, deployment, states, views)
	}
	return tw.Flush()
}

// writeCheckers prints, for each region, the drain checks on its switch's
// URL, each checker's last answer, and Route 53's verdict, with a warning
// where the verdict and the switch disagree.
func writeCheckers(tw io.Writer, deployment string, states []State, views []CheckerView) {
	fmt.Fprintf(tw, "\nROUTE 53 (what its health checkers get at each switch's URL; an inverted drain check puts its region out of service while more than %d%% of them get the object)\n", HealthyPercent)
	for _, v := range views {
		if v.Err != nil {
			fmt.Fprintf(tw, "the checkers' view is unknown: %v\n", v.Err)
			return
		}
	}
	for i, v := range views {
		region := v.Switch.Region
		if len(v.Checks) == 0 {
			fmt.Fprintf(tw, "%s: no Route 53 health check requests %s: Route 53 does not watch this switch, so draining %s changes no DNS answer (is the stack in %s deployed, with deployment %q and this account?)\n",
				region, v.URL(), region, region, deployment)
			continue
		}
		for _, d := range v.Checks {
			inv := "inverted"
			if !d.Inverted {
				inv = "NOT inverted: a present object keeps the region in service; the stack creates it inverted"
			}
			fmt.Fprintf(tw, "%s: drain check %s (%s) on %s\n", region, d.ID, inv, v.URL())
			if len(d.Answers) > 0 {
				fmt.Fprintln(tw, "  CHECKER\tIP\tLAST ANSWER\tAT")
				for _, a := range d.Answers {
					at := "-"
					if !a.CheckedAt.IsZero() {
						at = a.CheckedAt.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Region, a.IP, a.Status, at)
				}
			}
			fmt.Fprintf(tw, "  verdict: %s\n", verdictLine(region, d))
			if i < len(states) {
				if w := disagreement(states[i], d); w != "" {
					fmt.Fprintf(tw, "  %s\n", w)
				}
			}
		}
	}
}

// verdictLine says what Route 53 makes of a drain check.
func verdictLine(region string, d DrainCheck) string {
	v := d.Verdict()
	as := map[bool]string{true: "drained", false: "serving"}
	switch {
	case d.Disabled:
		return fmt.Sprintf("the check is disabled, so Route 53 ignores its checkers and treats %s as %s", region, as[v.Drained])
	case d.Err != nil:
		return fmt.Sprintf("unknown: %v", d.Err)
	case !v.Known:
		return "unknown: Route 53 reports no checker answers yet (a new health check takes a few minutes to report)"
	}
	return fmt.Sprintf("%d of %d checkers (%s) get the switch object, so Route 53 treats %s as %s",
		v.Seeing, v.Total, percent(v.Seeing, v.Total), region, strings.ToUpper(as[v.Drained]))
}

// disagreement warns when the switch's S3 state and Route 53's verdict differ.
func disagreement(s State, d DrainCheck) string {
	v := d.Verdict()
	if !v.Known || s.Err != nil {
		return ""
	}
	switch {
	case s.Drained() && !v.Drained:
		return fmt.Sprintf("WARNING: %s's switch is set, but Route 53 still sends %s traffic: %d of %d checkers get the object, more than %d%% must. A checker that answers 403 is refused by the stop bucket %s (its policy must let anyone read %s); right after a drain, the checkers need a few failure thresholds × request intervals (about 30 s) to catch up.",
			s.Region, s.Region, v.Seeing, v.Total, HealthyPercent, s.Bucket, s.Key)
	case !s.Drained() && v.Drained:
		return fmt.Sprintf("NOTE: %s's switch is off, but Route 53 still treats %s as drained: %d of %d checkers still get an object at its URL; right after a restore they need about 30 s to catch up.",
			s.Region, s.Region, v.Seeing, v.Total)
	}
	return ""
}

// percent formats n/total as a percentage with at most one decimal.
func percent(n, total int) string {
	p := strconv.FormatFloat(float64(n)*100/float64(total), 'f', 1, 64)
	return strings.TrimSuffix(p, ".0") + "%"
}
