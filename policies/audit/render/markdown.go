package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// Limits that keep a Markdown report short enough for a pull-request comment.
const (
	markdownFindings = 25
	markdownMessage  = 240
)

// WriteMarkdown writes a short report for a pull-request comment: the verdict, the policies that did
// not pass, the first findings, the controls that did not pass, stale waivers and the availability
// estimate in one line per region.
func WriteMarkdown(w io.Writer, r *report.Report) error {
	b := &strings.Builder{}
	icon := "✅"
	if !r.Compliant {
		icon = "❌"
	}
	fmt.Fprintf(b, "### %s ess-ha audit of %s: %s\n\n", icon, md(stackNames(r)), verdict(r))
	fmt.Fprintf(b, "%s, as of %s. Policies: %s.\n", md(r.Pack), r.AsOf, statusCounts(r))

	var notPassed []report.PolicyResult
	for _, p := range r.Policies {
		if p.Status == report.Failed || p.Status == report.CannotVerify || p.Status == report.Waived {
			notPassed = append(notPassed, p)
		}
	}
	if len(notPassed) > 0 {
		fmt.Fprintf(b, "\n| Status | Policy | Stack | Level | Checked | Findings |\n|---|---|---|---|---|---|\n")
		for _, p := range notPassed {
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %d | %d |\n", p.Status, p.Name, md(p.Stack), p.Level, p.Checked,
				p.Failed+p.Waived+p.CannotVerify)
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(b, "\n<details><summary>%d finding(s)</summary>\n\n", len(r.Findings))
		for i, f := range r.Findings {
			if i == markdownFindings {
				fmt.Fprintf(b, "- … and %d more (see the full report)\n", len(r.Findings)-i)
				break
			}
			tag := f.Level
			if f.Status != report.Violation {
				tag = string(f.Status)
			}
			fmt.Fprintf(b, "- **%s** `%s` on `%s` (%s): %s", tag, f.Policy, md(urnName(f.URN)), md(f.Stack), md(truncate(headline(f), markdownMessage)))
			if note := waiverNote(f.Waiver); note != "" {
				fmt.Fprintf(b, " _(%s)_", md(note))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n</details>\n")
	}
	var badControls []string
	for _, c := range r.Controls {
		if c.Status == report.Failed || c.Status == report.CannotVerify {
			badControls = append(badControls, fmt.Sprintf("%s %s", c.ID, c.Status))
		}
	}
	if len(badControls) > 0 {
		fmt.Fprintf(b, "\nControls not met: %s.\n", strings.Join(badControls, ", "))
	}
	if stale := r.Unmatched(); len(stale) > 0 {
		fmt.Fprintf(b, "\nWaivers that match nothing: ")
		parts := make([]string, len(stale))
		for i, s := range stale {
			parts[i] = fmt.Sprintf("`%s.waivers[%d]`", s.Policy, s.Index)
		}
		fmt.Fprintf(b, "%s.\n", strings.Join(parts, ", "))
	}
	if a := r.Availability; a != nil && len(a.Regions) > 0 {
		fmt.Fprintf(b, "\nAvailability (a model from published SLAs, not a measurement): ")
		parts := make([]string, 0, len(a.Regions)+1)
		for _, reg := range a.Regions {
			parts = append(parts, fmt.Sprintf("%s %s", md(reg.Stack), percent(reg.Availability)))
		}
		if a.Pair != nil {
			parts = append(parts, "pair "+percent(a.Pair.Availability))
		}
		fmt.Fprintf(b, "%s.\n", strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// md escapes the characters Markdown would read as formatting or table syntax.
func md(s string) string {
	r := strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "'", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "\n", " ")
	return r.Replace(s)
}

// urnName is the name part of a URN, for short listings.
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}
