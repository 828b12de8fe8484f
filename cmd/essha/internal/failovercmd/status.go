package failovercmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ess-ha/ess-ha/internal/failover"
)

// writeStatus prints the drain switches' states as a table, one row per
// region, and a line saying which regions take traffic as far as the
// switches go; then, if views is not nil, Route 53's view of each switch
// (see writeCheckers).
func writeStatus(out io.Writer, deployment string, states []failover.State, views []failover.CheckerView) error {
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
		case failover.Serving:
			serving = append(serving, s.Region)
		case failover.Unknown:
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
func writeCheckers(tw io.Writer, deployment string, states []failover.State, views []failover.CheckerView) {
	fmt.Fprintf(tw, "\nROUTE 53 (what its health checkers get at each switch's URL; an inverted drain check puts its region out of service while more than %d%% of them get the object)\n", failover.HealthyPercent)
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
			fmt.Fprintf(tw, "  verdict: %s\n", checkVerdictLine(region, d))
			if i < len(states) {
				if w := disagreement(states[i], d); w != "" {
					fmt.Fprintf(tw, "  %s\n", w)
				}
			}
		}
	}
}

// checkVerdictLine says what Route 53 makes of a drain check.
func checkVerdictLine(region string, d failover.DrainCheck) string {
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
func disagreement(s failover.State, d failover.DrainCheck) string {
	v := d.Verdict()
	if !v.Known || s.Err != nil {
		return ""
	}
	switch {
	case s.Drained() && !v.Drained:
		return fmt.Sprintf("WARNING: %s's switch is set, but Route 53 still sends %s traffic: %d of %d checkers get the object, more than %d%% must. A checker that answers 403 is refused by the stop bucket %s (its policy must let anyone read %s); right after a drain, the checkers need a few failure thresholds × request intervals (about 30 s) to catch up.",
			s.Region, s.Region, v.Seeing, v.Total, failover.HealthyPercent, s.Bucket, s.Key)
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
