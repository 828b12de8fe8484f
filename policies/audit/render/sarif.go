package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// informationURI is where the pack is documented.
const informationURI = "https://github.com/ess-ha/ess-ha/blob/main/policies/README.md"

// WriteSARIF writes the report as SARIF 2.1.0: one run, each policy a rule with its help text and
// controls, each finding a result with the resource's URN as its logical location; a waived finding
// carries an accepted external suppression with the waiver's reason.
func WriteSARIF(w io.Writer, r *report.Report) error {
	name, version, _ := strings.Cut(r.Pack, "@v")
	run := sarif.NewRunWithInformationURI(name, informationURI)
	run.Tool.Driver.WithVersion(version).WithSemanticVersion(version)
	seen := map[string]bool{}
	for _, p := range r.Policies {
		if seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		help := p.Description + "\n\nEnforces: " + p.Recommendation
		var md strings.Builder
		fmt.Fprintf(&md, "%s\n\n**Enforces:** %s\n", p.Description, p.Recommendation)
		props := sarif.NewPropertyBag()
		var ids []string
		if len(p.Controls) > 0 {
			help += "\n\nControls:"
			md.WriteString("\n**Controls:**\n\n")
			for _, c := range p.Controls {
				help += fmt.Sprintf("\n- %s %s: %s (%s)", c.Framework, c.ID, c.Title, c.URL)
				fmt.Fprintf(&md, "- %s [%s](%s): %s\n", c.Framework, c.ID, c.URL, c.Title)
				ids = append(ids, c.ID)
				props.AddTag(c.ID)
			}
		}
		props.Add("controls", ids)
		props.Add("level", p.Level)
		rule := run.AddRule(p.Name).
			WithName(p.Name).
			WithDescription(firstSentence(p.Description)).
			WithFullDescription(&sarif.MultiformatMessageString{Text: &p.Description}).
			WithHelp(&sarif.MultiformatMessageString{Text: &help, Markdown: ptr(md.String())}).
			WithHelpURI(informationURI + "#policies").
			WithProperties(props)
		rule.WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(p.Level, report.Violation)))
	}
	for _, f := range r.Findings {
		res := run.CreateResultForRule(f.Policy).
			WithLevel(sarifLevel(f.Level, f.Status)).
			WithMessage(sarif.NewTextMessage(f.Message))
		if idx := run.GetRuleIndex(f.Policy); idx >= 0 {
			res.WithRuleIndex(idx)
		}
		loc := sarif.NewLogicalLocation().WithFullyQualifiedName(f.URN).WithName(urnName(f.URN)).WithKind("resource")
		res.AddLocation(sarif.NewLocation().WithLogicalLocations([]*sarif.LogicalLocation{loc}))
		props := sarif.NewPropertyBag().Add("stack", f.Stack).Add("status", string(f.Status)).Add("enforcementLevel", f.Level)
		if f.Type != "" {
			props.Add("resourceType", f.Type)
		}
		if wv := f.Waiver; wv != nil {
			props.Add("waiver", map[string]any{"resource": wv.Resource, "reason": wv.Reason, "approvedBy": wv.ApprovedBy,
				"expires": wv.Expires, "expired": wv.Expired})
			if !wv.Expired {
				res.AddSuppression(sarif.NewSuppression().WithKind("external").WithStatus("accepted").
					WithJustification(fmt.Sprintf("%s (approved by %s, until %s)", wv.Reason, wv.ApprovedBy, wv.Expires)))
			}
		}
		res.WithProperties(props)
	}
	doc := sarif.NewReport()
	doc.Schema = "https://json.schemastore.org/sarif-2.1.0.json"
	doc.AddRun(run)
	return doc.PrettyWrite(w)
}

// sarifLevel maps a finding to a SARIF level: a mandatory violation is an error, an advisory one a
// warning, anything else a note.
func sarifLevel(level string, status report.FindingStatus) string {
	switch {
	case status != report.Violation:
		return "note"
	case level == "mandatory":
		return "error"
	case level == "advisory":
		return "warning"
	}
	return "note"
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

func ptr[T any](v T) *T { return &v }
