package render_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/audit/render"
	"github.com/ess-ha/ess-ha/policies/audit/report"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files of the text and Markdown reports")

// sample is a fixed audit: one generated cell whose database is single-AZ (a mandatory violation), its
// cache finding waived, a waiver that matches nothing, judged as of 2026-06-01.
func sample(t *testing.T) *report.Report {
	t.Helper()
	s := synth.New(2 + synth.CellSize)
	for _, r := range s.Resources {
		switch r.Type {
		case "aws:rds/instance:Instance":
			r.Inputs["multiAz"], r.Outputs["multiAz"] = false, false
		case "aws:elasticache/replicationGroup:ReplicationGroup":
			r.Inputs["automaticFailoverEnabled"], r.Outputs["automaticFailoverEnabled"] = false, false
		}
	}
	b, err := s.StateJSON()
	require.NoError(t, err)
	var ws []any
	require.NoError(t, json.Unmarshal([]byte(`[
		{"resource": "urn:pulumi:synthetic::ess-ha::aws:elasticache/replicationGroup:ReplicationGroup::*", "reason": "failover is tested in Q3",
		 "approvedBy": "jane@example.org", "expires": "2026-09-30"},
		{"resource": "urn:pulumi:elsewhere::*", "reason": "stale", "approvedBy": "bob@example.org", "expires": "2026-12-31"}]`), &ws))
	r, err := audit.Run(t.Context(), audit.Options{
		Inputs: []audit.Input{{Name: "synthetic.json", Data: b}},
		Config: map[string]plugin.AnalyzerPolicyConfig{"ha-cache-failover": {Properties: map[string]any{"waivers": ws}}},
		AsOf:   time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
	})
	require.NoError(t, err)
	require.False(t, r.Compliant)
	return r
}

func write(t *testing.T, f render.Format, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, render.Write(&buf, f, r))
	return buf.Bytes()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./policies/audit/render -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs from its golden file (go test -update rewrites it)", name)
}

func TestTextGolden(t *testing.T) {
	t.Parallel()
	out := write(t, render.Text, sample(t))
	golden(t, "report.txt", out)
	for _, w := range []string{"NOT COMPLIANT", "ha-rds-multi-az", "waived until 2026-09-30", "REL10-BP01", "AVAILABILITY ESTIMATE (MODEL",
		"ha-cache-failover.waivers[0]", "matches no finding"} {
		assert.Contains(t, string(out), w)
	}
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	out := write(t, render.Markdown, sample(t))
	golden(t, "report.md", out)
	assert.Less(t, len(out), 65536, "short enough for a pull-request comment")
	assert.Contains(t, string(out), "NOT COMPLIANT")
}

// TestJSONShape checks the documented shape of the JSON report.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(write(t, render.JSON, sample(t)), &doc))
	for _, k := range []string{"schemaVersion", "pack", "asOf", "stacks", "compliant", "summary", "policies", "findings", "controls", "waivers", "availability", "topology"} {
		assert.Contains(t, doc, k)
	}
	assert.Equal(t, report.SchemaVersion, doc["schemaVersion"])
	assert.Equal(t, false, doc["compliant"])
	p := doc["policies"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "status", "level", "checked", "checkedTypes", "stack", "controls", "description", "recommendation"} {
		assert.Contains(t, p, k)
	}
	statuses := map[string]bool{}
	for _, s := range report.Statuses {
		statuses[string(s)] = true
	}
	for _, x := range doc["policies"].([]any) {
		assert.True(t, statuses[x.(map[string]any)["status"].(string)])
	}
	f := doc["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"policy", "level", "status", "urn", "message", "stack"} {
		assert.Contains(t, f, k)
	}
	a := doc["availability"].(map[string]any)
	assert.Contains(t, a["model"], "MODEL")
	assert.NotEmpty(t, a["assumptions"])
	assert.NotEmpty(t, a["sources"])
}

// TestSARIFValidatesAgainstTheSchema validates the SARIF report against the official SARIF 2.1.0 schema
// (OASIS, errata 01), kept in testdata so that a clone alone runs the test.
func TestSARIFValidatesAgainstTheSchema(t *testing.T) {
	t.Parallel()
	out := write(t, render.SARIF, sample(t))
	schemaPath := filepath.Join("testdata", "sarif-schema-2.1.0.json")
	raw, err := os.ReadFile(schemaPath)
	require.NoError(t, err)
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("sarif.json", schemaDoc))
	schema, err := c.Compile("sarif.json")
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	require.NoError(t, err)
	require.NoError(t, schema.Validate(doc))

	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID   string `json:"id"`
						Help struct {
							Text string `json:"text"`
						} `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					LogicalLocations []struct {
						FullyQualifiedName string `json:"fullyQualifiedName"`
					} `json:"logicalLocations"`
				} `json:"locations"`
				Suppressions []struct {
					Justification string `json:"justification"`
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(out, &log))
	assert.Equal(t, "2.1.0", log.Version)
	require.Len(t, log.Runs, 1)
	assert.Len(t, log.Runs[0].Tool.Driver.Rules, 28, "each policy is a rule")
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		if r.ID == "ha-rds-multi-az" {
			assert.Contains(t, r.Help.Text, "RDS.5", "the help names the controls")
		}
	}
	suppressed := 0
	for _, r := range log.Runs[0].Results {
		require.NotEmpty(t, r.Locations)
		assert.True(t, strings.HasPrefix(r.Locations[0].LogicalLocations[0].FullyQualifiedName, "urn:pulumi:"), "the URN is the logical location")
		if len(r.Suppressions) > 0 {
			suppressed++
			assert.Contains(t, r.Suppressions[0].Justification, "failover is tested in Q3")
		}
	}
	assert.Positive(t, suppressed, "waived findings are suppressed with their reason")
}

// TestJUnitParses parses the JUnit report: a test case per policy and stack, failures for findings,
// skipped (with the reason) for waivers.
func TestJUnitParses(t *testing.T) {
	t.Parallel()
	var doc struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(write(t, render.JUnit, sample(t)), &doc))
	assert.Equal(t, 28, doc.Tests)
	seen := map[string]bool{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			switch c.Name {
			case "ha-rds-multi-az":
				require.NotNil(t, c.Failure)
				assert.Contains(t, c.Failure.Text, "multiAz")
				seen[c.Name] = true
			case "ha-cache-failover":
				require.NotNil(t, c.Skipped)
				assert.Contains(t, c.Skipped.Message, "failover is tested in Q3")
				seen[c.Name] = true
			}
		}
	}
	assert.Len(t, seen, 2)
}

// TestHTMLIsSelfContained parses the HTML report: no script and nothing fetched, a diagram of the
// topology with the failing resource marked.
func TestHTMLIsSelfContained(t *testing.T) {
	t.Parallel()
	out := write(t, render.HTML, sample(t))
	doc, err := html.Parse(bytes.NewReader(out))
	require.NoError(t, err)
	var svgs, marked int
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "img", "iframe":
				t.Errorf("the report has a <%s>", n.Data)
			case "svg":
				svgs++
			case "rect":
				for _, a := range n.Attr {
					if a.Key == "class" && strings.Contains(a.Val, "failed") {
						marked++
					}
				}
			}
			for _, a := range n.Attr {
				if a.Key == "src" || (a.Key == "href" && n.Data != "a") {
					t.Errorf("<%s %s=%q> fetches something", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	assert.Equal(t, 1, svgs, "one diagram")
	assert.Positive(t, marked, "the failing database is marked")
	for _, w := range []string{"public subnet", "private subnet", "ess pool", "backend pool", "load balancer", "cache", "us-east-1a"} {
		assert.Contains(t, string(out), w)
	}
}
