package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// WriteText writes the report for a terminal: the verdict, every policy with its status and evidence,
// the findings, the controls, the waivers and the availability estimate.
func WriteText(w io.Writer, r *report.Report) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "Audit of %s with %s, as of %s.\n", stackNames(r), r.Pack, r.AsOf)
	for _, s := range r.Stacks {
		fmt.Fprintf(b, "  %s (project %s): %s, %d resources of %d types\n", s.Name, s.Project, s.File, s.Resources, len(s.Types))
	}
	fmt.Fprintf(b, "%s.\nPolicies: %s.\n", verdict(r), statusCounts(r))

	fmt.Fprintf(b, "\nPOLICIES\n")
	tw := tabwriter.NewWriter(b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STATUS\tPOLICY\tSTACK\tLEVEL\tCHECKED\tFINDINGS")
	for _, p := range r.Policies {
		findings := "-"
		if n := p.Failed + p.Waived + p.CannotVerify + p.Remediations; n > 0 {
			findings = fmt.Sprintf("%d", n)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\n", p.Status, p.Name, p.Stack, p.Level, p.Checked, findings)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(r.Findings) > 0 {
		fmt.Fprintf(b, "\nFINDINGS\n")
		for _, f := range r.Findings {
			tag := f.Level
			switch f.Status {
			case report.WaivedFinding:
				tag = "waived"
			case report.Unverified:
				tag = "cannot verify"
			case report.Remediation:
				tag = "remediation"
			}
			fmt.Fprintf(b, "\n[%s] %s (%s)\n  %s\n  %s\n", tag, f.Policy, f.Stack, f.URN, strings.ReplaceAll(f.Message, "\n", "\n  "))
			if note := waiverNote(f.Waiver); note != "" {
				fmt.Fprintf(b, "  %s\n", note)
			}
		}
	}

	fmt.Fprintf(b, "\nCONTROLS\n")
	for _, c := range r.Controls {
		names := make([]string, 0, len(c.Policies))
		for _, p := range c.Policies {
			names = append(names, p.Name+"@"+p.Stack+" "+string(p.Status))
		}
		fmt.Fprintf(b, "  %-14s %-15s %s (%s): %s\n", c.ID, c.Status, c.Title, c.Framework, strings.Join(dedupe(names), ", "))
	}

	if len(r.Waivers) > 0 {
		fmt.Fprintf(b, "\nWAIVERS\n")
		for _, wv := range r.Waivers {
			state := "in force"
			if !wv.InForce {
				state = "expired"
			}
			fmt.Fprintf(b, "  %s.waivers[%d] %s until %s, approved by %s (%s): %s; matched %d finding(s)\n",
				wv.Policy, wv.Index, wv.Resource, wv.Expires, wv.ApprovedBy, state, wv.Reason, wv.Matched)
		}
	}

	if a := r.Availability; a != nil {
		fmt.Fprintf(b, "\nAVAILABILITY ESTIMATE (%s)\n", a.Model)
		for _, reg := range a.Regions {
			fmt.Fprintf(b, "  %s (%s): %s, about %.1f minutes of downtime a month\n", reg.Stack, reg.Region, percent(reg.Availability), reg.DowntimeMinutesPerMonth)
			for _, t := range reg.Tiers {
				fmt.Fprintf(b, "    %-13s %s  %s (%s %s: %s)\n", t.Name, percent(t.Availability), t.Component, t.SLA.Service, t.SLA.Terms, t.Why)
			}
			for _, l := range reg.AZLoss {
				fmt.Fprintf(b, "    if a zone is lost: %s\n", l)
			}
		}
		if p := a.Pair; p != nil {
			fmt.Fprintf(b, "  the pair: %.6f%%, about %.2f minutes of downtime a month: %s\n", p.Availability*100, p.DowntimeMinutesPerMonth, p.Formula)
			for _, l := range p.RegionLoss {
				fmt.Fprintf(b, "    %s\n", l)
			}
		}
		fmt.Fprintf(b, "  Assumptions:\n")
		for _, s := range a.Assumptions {
			fmt.Fprintf(b, "    - %s\n", s)
		}
		fmt.Fprintf(b, "  Sources:\n")
		for _, s := range a.Sources {
			fmt.Fprintf(b, "    - %s, %s: %s (%s)\n", s.Service, s.Terms, percent(s.Uptime), s.URL)
		}
	}

	if len(r.Warnings) > 0 {
		fmt.Fprintf(b, "\nWARNINGS\n")
		for _, wn := range r.Warnings {
			fmt.Fprintf(b, "  - %s\n", wn)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dedupe drops repeated strings, keeping the order.
func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
