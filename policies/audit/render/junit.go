package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// JUnit XML, as CI tools read it: one test suite per stack (and one for the pair), one test case per
// policy, findings as failures, waived and disabled policies as skipped with their reason.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

// WriteJUnit writes the report as JUnit XML.
func WriteJUnit(w io.Writer, r *report.Report) error {
	out := junitSuites{Name: r.Pack}
	suites := map[string]*junitSuite{}
	var order []string
	for _, p := range r.Policies {
		s := suites[p.Stack]
		if s == nil {
			s = &junitSuite{Name: p.Stack}
			suites[p.Stack] = s
			order = append(order, p.Stack)
		}
		c := junitCase{Name: p.Name, Classname: "ess-ha." + p.Stack,
			SystemOut: fmt.Sprintf("%s; level %s; checked %d resource(s): %s", p.Status, p.Level, p.Checked, checkedTypes(p))}
		findings := r.FindingsOf(p)
		switch p.Status {
		case report.Failed:
			var text strings.Builder
			failed := 0
			for _, f := range findings {
				if f.Status != report.Violation {
					continue
				}
				failed++
				fmt.Fprintf(&text, "[%s] %s\n%s\n", f.Level, f.URN, f.Message)
				if note := waiverNote(f.Waiver); note != "" {
					fmt.Fprintf(&text, "%s\n", note)
				}
				text.WriteString("\n")
			}
			c.Failure = &junitFailure{Message: fmt.Sprintf("%d finding(s) at level %s", failed, p.Level), Type: p.Level, Text: text.String()}
			s.Failures++
		case report.Waived:
			var reasons []string
			for _, f := range findings {
				if f.Status == report.WaivedFinding {
					reasons = append(reasons, urnName(f.URN)+": "+waiverNote(f.Waiver))
				}
			}
			c.Skipped = &junitSkipped{Message: strings.Join(dedupe(reasons), "; ")}
			s.Skipped++
		case report.Disabled:
			c.Skipped = &junitSkipped{Message: "disabled by the policy pack configuration"}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for _, name := range order {
		s := suites[name]
		out.Suites = append(out.Suites, *s)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
