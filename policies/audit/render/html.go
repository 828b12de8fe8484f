package render

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/ess-ha/ess-ha/policies/audit/report"
	"github.com/ess-ha/ess-ha/policies/audit/topology"
)

// WriteHTML writes the report as one self-contained HTML file, with its styles inline and no script or
// other resource to fetch: the verdict, a diagram of the audited topology drawn from the state (regions,
// zones, subnet tiers, load balancers, pools, database, cache, registry, health checks and drain
// switches, each marked with its findings), every policy with its evidence, the findings, the controls,
// the waivers and the availability estimate.
func WriteHTML(w io.Writer, r *report.Report) error {
	return htmlTemplate.Execute(w, htmlView{R: r, Diagram: diagram(r), Verdict: verdict(r), Counts: statusCounts(r), Stacks: stackNames(r)})
}

type htmlView struct {
	R       *report.Report
	Diagram template.HTML
	Verdict string
	Counts  string
	Stacks  string
}

// marks counts, per resource URN, the findings that fail and the ones waived.
type marks map[string]*mark

type mark struct{ failed, waived, unverified int }

func findingMarks(r *report.Report) marks {
	m := marks{}
	for _, f := range r.Findings {
		k := m[f.URN]
		if k == nil {
			k = &mark{}
			m[f.URN] = k
		}
		switch f.Status {
		case report.Violation:
			k.failed++
		case report.WaivedFinding:
			k.waived++
		default:
			k.unverified++
		}
	}
	return m
}

// Diagram geometry.
const (
	zoneW    = 210
	pad      = 14
	rowH     = 30
	nodeGap  = 6
	titleH   = 26
	regionGp = 30
)

// svg builds the diagram as SVG text; every text it holds is escaped.
type svg struct {
	b strings.Builder
	m marks
}

func (s *svg) rect(x, y, w, h int, class string) {
	fmt.Fprintf(&s.b, `<rect x="%d" y="%d" width="%d" height="%d" rx="5" class="%s"/>`, x, y, w, h, class)
}

func (s *svg) text(x, y int, class, t string) {
	fmt.Fprintf(&s.b, `<text x="%d" y="%d" class="%s">%s</text>`, x, y, class, template.HTMLEscapeString(t))
}

// node draws one resource, marked with its findings.
func (s *svg) node(x, y, w int, n topology.Node) {
	class := "node"
	badge := ""
	if k := s.m[string(n.URN)]; k != nil {
		switch {
		case k.failed > 0:
			class, badge = "node failed", fmt.Sprintf(" ✗%d", k.failed)
		case k.waived > 0:
			class, badge = "node waived", fmt.Sprintf(" ⚑%d", k.waived)
		default:
			class, badge = "node unverified", fmt.Sprintf(" ?%d", k.unverified)
		}
	}
	fmt.Fprintf(&s.b, `<g><title>%s</title>`, template.HTMLEscapeString(string(n.URN)))
	s.rect(x, y, w, rowH-nodeGap, class)
	s.text(x+6, y+16, "label", truncate(n.Label+": "+n.Name, w/6)+badge)
	s.b.WriteString(`</g>`)
}

func diagram(r *report.Report) template.HTML {
	t := r.Topology
	if t == nil || len(t.Regions) == 0 {
		return ""
	}
	s := &svg{m: findingMarks(r)}
	x := pad
	maxH := 0
	for _, reg := range t.Regions {
		w, h := s.region(x, pad, reg)
		x += w + regionGp
		if h > maxH {
			maxH = h
		}
	}
	head := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="audited topology" width="%d" height="%d" viewBox="0 0 %d %d">`,
		x, maxH+2*pad, x, maxH+2*pad)
	return template.HTML(head + s.b.String() + `</svg>`)
}

// region draws one region and returns its size.
func (s *svg) region(x0, y0 int, reg topology.Region) (int, int) {
	zones := max(1, len(reg.Zones))
	w := zones*zoneW + (zones+1)*pad
	outer := s
	s = &svg{m: outer.m}
	y := y0 + titleH + pad
	// The load balancers and pools span the zones they are in.
	span := func(n topology.Node) (int, int) {
		first, last := -1, -1
		for i, z := range reg.Zones {
			for _, nz := range n.Zones {
				if nz == z.Name {
					if first < 0 {
						first = i
					}
					last = i
				}
			}
		}
		if first < 0 {
			return x0 + pad, w - 2*pad
		}
		return x0 + pad + first*(zoneW+pad), (last-first+1)*zoneW + (last-first)*pad
	}
	for _, lb := range reg.LoadBalancers {
		nx, nw := span(lb)
		s.node(nx, y, nw, lb)
		y += rowH
	}
	zoneTop := y
	maxRows := 0
	for _, z := range reg.Zones {
		maxRows = max(maxRows, len(z.Subnets))
	}
	zoneH := titleH + maxRows*rowH + pad
	for i, z := range reg.Zones {
		zx := x0 + pad + i*(zoneW+pad)
		s.rect(zx, zoneTop, zoneW, zoneH, "zone")
		s.text(zx+6, zoneTop+17, "zonetitle", z.Name)
		for j, sn := range z.Subnets {
			s.node(zx+6, zoneTop+titleH+j*rowH, zoneW-12, sn)
		}
	}
	y = zoneTop + zoneH + pad
	for _, p := range append(append([]topology.Node{}, reg.Pools...), reg.NATGateways...) {
		nx, nw := span(p)
		s.node(nx, y, nw, p)
		y += rowH
	}
	for _, group := range []struct {
		title string
		nodes []topology.Node
	}{{"data", append(append([]topology.Node{}, reg.Databases...), reg.Caches...)}, {"registry", reg.Registries},
		{"health checks", reg.HealthChecks}, {"drain switches", reg.DrainSwitches}} {
		if len(group.nodes) == 0 {
			continue
		}
		s.text(x0+pad, y+14, "grouptitle", group.title)
		y += 20
		for _, n := range group.nodes {
			s.node(x0+pad, y, w-2*pad, n)
			y += rowH
		}
	}
	h := y - y0 + pad
	inner := s.b.String()
	outer.rect(x0, y0, w, h, "region")
	title := "stack " + reg.Stack
	if reg.Name != "" {
		title += ", region " + reg.Name
	}
	outer.text(x0+8, y0+18, "regiontitle", title)
	outer.b.WriteString(inner)
	return w, h
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"percent":  percent,
	"waiver":   waiverNote,
	"types":    checkedTypes,
	"lower":    strings.ToLower,
	"statusOf": func(s report.Status) string { return string(s) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ess-ha audit of {{.Stacks}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b1f24}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.verdict{font-size:17px;font-weight:600;padding:8px 12px;border-radius:6px;display:inline-block}
.ok{background:#dafbe1}.bad{background:#ffebe9}
.s-failed{color:#cf222e;font-weight:600}.s-waived{color:#9a6700}.s-cannot-verify{color:#8250df}.s-passed{color:#1a7f37}
.s-not-applicable,.s-disabled{color:#57606a}
pre{white-space:pre-wrap;margin:0;font-size:12px}.model{background:#fff8c5;padding:6px 10px;border-radius:6px}
svg .region{fill:#f6f8fa;stroke:#57606a}svg .zone{fill:#fff;stroke:#8c959f;stroke-dasharray:4 3}
svg .node{fill:#ddf4ff;stroke:#54aeff}svg .node.failed{fill:#ffebe9;stroke:#cf222e;stroke-width:2}
svg .node.waived{fill:#fff8c5;stroke:#bf8700;stroke-width:2}svg .node.unverified{fill:#fbefff;stroke:#8250df}
svg text{font:11px system-ui,sans-serif;fill:#1b1f24}svg .regiontitle{font-weight:700;font-size:13px}
svg .zonetitle,svg .grouptitle{font-weight:600}
</style></head><body>
<h1>ess-ha audit of {{.Stacks}}</h1>
<p>{{.R.Pack}}, waivers judged as of {{.R.AsOf}}. Report schema {{.R.SchemaVersion}}.</p>
<p class="verdict {{if .R.Compliant}}ok{{else}}bad{{end}}">{{.Verdict}}</p>
<p>Policies: {{.Counts}}.</p>
<table><tr><th>Stack</th><th>File</th><th>Resources</th></tr>
{{range .R.Stacks}}<tr><td>{{.Name}}</td><td>{{.File}}</td><td>{{.Resources}}</td></tr>{{end}}</table>

<h2>Topology</h2>
<p>Drawn from the state. Red: a failed finding; yellow: waived; violet: cannot verify. Hover a box for its URN.</p>
<div style="overflow-x:auto">{{.Diagram}}</div>

<h2>Policies</h2>
<table><tr><th>Status</th><th>Policy</th><th>Stack</th><th>Level</th><th>Checked (evidence)</th><th>Findings</th><th>Controls</th></tr>
{{range .R.Policies}}<tr><td class="s-{{statusOf .Status}}">{{.Status}}</td><td><b>{{.Name}}</b><br><small>{{.Recommendation}}</small></td>
<td>{{.Stack}}</td><td>{{.Level}}</td><td>{{.Checked}}{{with types .}}<br><small>{{.}}</small>{{end}}</td>
<td>{{.Failed}} failed, {{.Waived}} waived, {{.CannotVerify}} cannot verify</td>
<td>{{range .Controls}}<a href="{{.URL}}">{{.ID}}</a> {{end}}</td></tr>
{{end}}</table>

<h2>Findings</h2>
{{if .R.Findings}}<table><tr><th>Status</th><th>Policy</th><th>Resource</th><th>Message</th></tr>
{{range .R.Findings}}<tr><td class="s-{{.Status}}">{{.Status}} ({{.Level}})</td><td>{{.Policy}}<br><small>{{.Stack}}</small></td>
<td><small>{{.URN}}</small></td><td><pre>{{.Message}}</pre>{{with waiver .Waiver}}<p><i>{{.}}</i></p>{{end}}</td></tr>
{{end}}</table>{{else}}<p>No findings.</p>{{end}}

<h2>Controls</h2>
<table><tr><th>Control</th><th>Framework</th><th>Status</th><th>Policies</th></tr>
{{range .R.Controls}}<tr><td><a href="{{.URL}}">{{.ID}}</a> {{.Title}}</td><td>{{.Framework}}</td><td class="s-{{statusOf .Status}}">{{.Status}}</td>
<td>{{range .Policies}}{{.Name}} ({{.Stack}}): {{.Status}}<br>{{end}}</td></tr>{{end}}</table>

<h2>Waivers</h2>
{{if .R.Waivers}}<table><tr><th>Waiver</th><th>Resource</th><th>Reason</th><th>Approved by</th><th>Expires</th><th>Matched</th></tr>
{{range .R.Waivers}}<tr><td>{{.Policy}}.waivers[{{.Index}}]</td><td><small>{{.Resource}}</small></td><td>{{.Reason}}</td><td>{{.ApprovedBy}}</td>
<td>{{.Expires}}{{if not .InForce}} (expired){{end}}</td><td>{{.Matched}}{{if eq .Matched 0}} (matches nothing){{end}}</td></tr>{{end}}</table>
{{else}}<p>No waivers configured.</p>{{end}}

{{with .R.Availability}}<h2>Availability estimate</h2>
<p class="model">{{.Model}}</p>
{{range .Regions}}<h3>{{.Stack}} ({{.Region}}): {{percent .Availability}}</h3>
<table><tr><th>Tier</th><th>Component</th><th>Availability</th><th>SLA</th><th>Why</th></tr>
{{range .Tiers}}<tr><td>{{.Name}}</td><td>{{.Component}}</td><td>{{percent .Availability}}</td><td><a href="{{.SLA.URL}}">{{.SLA.Service}}</a>, {{.SLA.Terms}}</td><td>{{.Why}}</td></tr>{{end}}</table>
<p>If a zone is lost:</p><ul>{{range .AZLoss}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .Pair}}<h3>The pair: {{percent .Availability}}</h3><p>{{.Formula}}</p><ul>{{range .RegionLoss}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p>Assumptions:</p><ul>{{range .Assumptions}}<li>{{.}}</li>{{end}}</ul>
<p>Sources:</p><ul>{{range .Sources}}<li>{{.Service}}, {{.Terms}}: {{percent .Uptime}} (<a href="{{.URL}}">{{.URL}}</a>)</li>{{end}}</ul>
{{end}}
{{if .R.Warnings}}<h2>Warnings</h2><ul>{{range .R.Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))
