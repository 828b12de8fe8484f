// Package render writes an audit report in the standard formats: text for a terminal, the versioned
// JSON schema, SARIF 2.1.0 for code-scanning tools, JUnit XML for CI dashboards, Markdown short enough
// for a pull-request comment, and one self-contained HTML file with a diagram of the topology. Every
// format shows the same report; none holds a secret's plaintext, as the report holds none.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// Format is an output format.
type Format string

// The formats.
const (
	Text     Format = "text"
	JSON     Format = "json"
	SARIF    Format = "sarif"
	JUnit    Format = "junit"
	Markdown Format = "markdown"
	HTML     Format = "html"
)

// Formats lists the formats, for usage and errors.
var Formats = []Format{Text, JSON, SARIF, JUnit, Markdown, HTML}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(strings.TrimSpace(s)) {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("--format %q: want one of %s", s, strings.Join(names, ", "))
}

// Write writes the report in a format.
func Write(w io.Writer, f Format, r *report.Report) error {
	switch f {
	case Text:
		return WriteText(w, r)
	case JSON:
		return WriteJSON(w, r)
	case SARIF:
		return WriteSARIF(w, r)
	case JUnit:
		return WriteJUnit(w, r)
	case Markdown:
		return WriteMarkdown(w, r)
	case HTML:
		return WriteHTML(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// WriteJSON writes the report as its documented JSON schema.
func WriteJSON(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// verdict says whether the audit passed, in one line.
func verdict(r *report.Report) string {
	if r.Compliant {
		return "COMPLIANT: no mandatory violation"
	}
	return fmt.Sprintf("NOT COMPLIANT: %d mandatory violation(s)", r.Summary.Mandatory)
}

// statusCounts lists the policy results by status, the worst first ("2 failed, 20 passed").
func statusCounts(r *report.Report) string {
	var parts []string
	for _, s := range report.Statuses {
		if n := r.Summary.Policies[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}

// stackNames lists the audited stacks.
func stackNames(r *report.Report) string {
	names := make([]string, len(r.Stacks))
	for i, s := range r.Stacks {
		names[i] = s.Name
	}
	return strings.Join(names, " + ")
}

// headline is a finding's one-line summary: the first line of its message after the policy's
// description.
func headline(f report.Finding) string {
	msg := f.Message
	if _, rest, ok := strings.Cut(msg, "\n"); ok {
		msg = rest
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return msg
}

// waiverNote says how a waiver applies to a finding.
func waiverNote(w *report.AppliedWaiver) string {
	if w == nil {
		return ""
	}
	if w.Expired {
		return fmt.Sprintf("waiver expired on %s (approved by %s: %s)", w.Expires, w.ApprovedBy, w.Reason)
	}
	return fmt.Sprintf("waived until %s (approved by %s: %s)", w.Expires, w.ApprovedBy, w.Reason)
}

// percent prints an availability, with enough digits to tell nines apart.
func percent(a float64) string {
	if a >= 0.99999 && a < 1 {
		return fmt.Sprintf("%.6f%%", a*100)
	}
	return fmt.Sprintf("%.4f%%", a*100)
}

// truncate shortens s to n runes.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// checkedTypes lists a result's evidence, by type.
func checkedTypes(p report.PolicyResult) string {
	keys := make([]string, 0, len(p.CheckedTypes))
	for k := range p.CheckedTypes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", p.CheckedTypes[k], k)
	}
	return strings.Join(parts, ", ")
}
