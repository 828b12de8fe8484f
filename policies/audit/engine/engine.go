// Package engine runs the pack's policies directly on decoded state files, with the semantics of
// `pulumi policy analyze` and the pack's Analyzer server (levels, remediations, messages, the root stack
// for stack-level findings, panics as findings), without the engine, gRPC or structpb. It judges every
// finding against the configured waivers as of a day, runs the pair policies on two stacks together,
// and records the evidence of what each policy checked.
package engine

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/audit/report"
	"github.com/ess-ha/ess-ha/policies/audit/state"
	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/waiver"
)

// PairStack is the Stack of the results and findings of pair policies.
const PairStack = "pair"

// Options configure a run.
type Options struct {
	// Pack is the policy pack.
	Pack analyzer.Pack
	// Settings is the pack's effective configuration (analyzer.Server.Resolve).
	Settings analyzer.Settings
	// AsOf is the day waivers are judged against.
	AsOf time.Time
	// Log receives the stacks of panicking policies; nil drops them.
	Log io.Writer
}

// Stack is one state file ready to audit.
type Stack struct {
	File  *state.File
	Views *state.Views
	// Name is the stack's name in the report.
	Name string

	root   resource.URN
	live   map[resource.URN]string       // URN -> type
	types  map[string]int                // canonical type -> count
	inputs map[string][]*policy.Resource // canonical type -> the resources' inputs, in stack order
}

// NewStack prepares a decoded state file.
func NewStack(f *state.File) *Stack {
	v := f.Views()
	s := &Stack{File: f, Views: v, Name: f.Stack, live: make(map[resource.URN]string, len(v.Sources)), types: map[string]int{},
		inputs: map[string][]*policy.Resource{}}
	for i, r := range v.Sources {
		t := graph.Canonical(r.Type)
		s.live[r.URN] = r.Type
		s.types[t]++
		s.inputs[t] = append(s.inputs[t], v.Inputs[i])
	}
	s.root = analyzer.RootURN(v.Outputs.Resources)
	return s
}

// InputTypes returns which resource types' inputs an audit with these options reads: those the resource
// policies that run check, or nil (every type) when one of them does not declare its types.
func InputTypes(opts Options) func(typ string) bool {
	want := map[string]bool{}
	for _, p := range opts.Pack.Policies {
		if p.CheckResource == nil && p.Remediate == nil {
			continue
		}
		if opts.Settings[p.Name].Level == policy.Disabled {
			continue
		}
		if len(p.Types) == 0 {
			return nil
		}
		for _, t := range p.Types {
			want[t] = true
		}
	}
	return func(typ string) bool { return want[graph.Canonical(typ)] }
}

// Run audits the stacks: every policy on each stack, and the pair policies on the two stacks together
// when there are two. It stops with the context's error when ctx is cancelled.
func Run(ctx context.Context, opts Options, stacks []*Stack) (*report.Report, error) {
	r := &run{opts: opts, asOf: waiver.Day(opts.AsOf), used: map[*waiver.Waiver]int{}, waivers: map[string][]waiver.Waiver{}}
	for name, ps := range opts.Settings {
		r.waivers[name] = ps.Waivers
	}
	var jobs []job
	for i := range opts.Pack.Policies {
		p := &opts.Pack.Policies[i]
		if p.Pair {
			jobs = append(jobs, r.pairJobs(p, stacks)...)
			continue
		}
		for _, s := range stacks {
			jobs = append(jobs, r.stackJobs(p, s)...)
		}
	}
	if err := r.execute(ctx, jobs); err != nil {
		return nil, err
	}
	return r.report(stacks), nil
}

// run is one audit in progress.
type run struct {
	opts Options
	asOf time.Time

	mu      sync.Mutex
	found   []report.Finding
	results []*result
	used    map[*waiver.Waiver]int
	// waivers are each policy's waivers; used counts the findings each matched, by pointer into them.
	waivers map[string][]waiver.Waiver
}

// result is one policy on one stack, being filled in.
type result struct {
	p       *policy.Policy
	stack   string
	level   policy.Level
	checked map[string]int
	// applicable is false when nothing of the policy's types is there (or, for a pair policy, there is
	// no pair).
	applicable bool
}

// job is a unit of work: a policy on some resources, or on a whole stack.
type job struct {
	res *result
	run func(ctx context.Context) []report.Finding
}

func (r *run) settings(p *policy.Policy) analyzer.PolicySettings {
	return r.opts.Settings[p.Name]
}

// resourceChunk is how many resources one job of a resource policy checks.
const resourceChunk = 2048

// stackJobs are the jobs of one policy on one stack.
func (r *run) stackJobs(p *policy.Policy, s *Stack) []job {
	res := r.newResult(p, s.Name, []*Stack{s})
	configured := r.settings(p).Level
	level, runs := analyzer.CheckLevel(configured, p.Remediate != nil)
	args := policy.Args{Config: r.settings(p).Properties}
	var jobs []job
	if runs && p.CheckStack != nil {
		jobs = append(jobs, job{res: res, run: func(ctx context.Context) []report.Finding {
			var vs []policy.Violation
			failure := analyzer.Guard(r.opts.Log, p.Name, func() error {
				vs = p.CheckStack(ctx, s.Views.Outputs, args)
				return nil
			})
			return r.findings(p, s.Name, level, failure, vs, func(urn resource.URN) (resource.URN, string) {
				if t, ok := s.live[urn]; ok {
					return urn, t
				}
				return s.root, string(resource.RootStackType)
			})
		}})
	}
	if p.CheckResource == nil {
		return jobs
	}
	remediates := configured == policy.Remediate && p.Remediate != nil
	targets := s.Views.Inputs
	if len(p.Types) > 0 {
		// A resource policy reports nothing on resources of other types than it declares (a test of the
		// rules package holds every policy to it), so only those are given to it.
		targets = nil
		for _, t := range p.Types {
			targets = append(targets, s.inputs[t]...)
		}
	}
	for start := 0; start < len(targets); start += resourceChunk {
		part := targets[start:min(start+resourceChunk, len(targets))]
		if runs {
			jobs = append(jobs, job{res: res, run: func(ctx context.Context) []report.Finding {
				var out []report.Finding
				for _, in := range part {
					if ctx.Err() != nil {
						return out
					}
					var vs []policy.Violation
					failure := analyzer.Guard(r.opts.Log, p.Name, func() error {
						vs = p.CheckResource(ctx, in, args)
						return nil
					})
					out = append(out, r.findings(p, s.Name, level, failure, vs, func(urn resource.URN) (resource.URN, string) {
						if urn == "" {
							return in.URN, in.Type
						}
						return urn, s.live[urn]
					})...)
				}
				return out
			}})
		}
		if remediates {
			jobs = append(jobs, job{res: res, run: func(ctx context.Context) []report.Finding {
				var out []report.Finding
				for _, in := range part {
					if ctx.Err() != nil {
						return out
					}
					out = append(out, r.remediation(ctx, p, s.Name, in)...)
				}
				return out
			}})
		}
	}
	return jobs
}

// remediation runs a policy's remediation on one resource, as `pulumi policy analyze` does: it reports
// the change it would make, without making it; a remediation that fails is an advisory finding.
func (r *run) remediation(ctx context.Context, p *policy.Policy, stack string, in *policy.Resource) []report.Finding {
	var fixed resource.PropertyMap
	cp := *in
	cp.Properties = in.Properties.Copy()
	failure := analyzer.Guard(r.opts.Log, p.Name, func() error {
		var err error
		fixed, err = p.Remediate(ctx, &cp, policy.Args{Config: r.settings(p).Properties})
		return err
	})
	switch {
	case failure != nil:
		return []report.Finding{r.judge(report.Finding{Policy: p.Name, Stack: stack, Level: string(policy.Advisory),
			Status: report.Violation, URN: string(in.URN), Type: in.Type,
			Message: analyzer.FailureMessage("remediation", r.opts.Pack, p.Name, failure)})}
	case fixed == nil:
		return nil
	}
	return []report.Finding{{Policy: p.Name, Stack: stack, Level: string(policy.Remediate), Status: report.Remediation,
		URN: string(in.URN), Type: in.Type,
		Message: analyzer.Message(p, "the remediation would change the resource's inputs (the audit reports it and changes nothing)")}}
}

// pairJobs are the jobs of a pair policy: on the two stacks together, when there are two.
func (r *run) pairJobs(p *policy.Policy, stacks []*Stack) []job {
	res := r.newResult(p, PairStack, stacks)
	if len(stacks) != 2 {
		res.applicable = false
		res.checked = map[string]int{}
		return nil
	}
	level, runs := analyzer.CheckLevel(r.settings(p).Level, false)
	if !runs || p.CheckStack == nil {
		return nil
	}
	union := &policy.Stack{Resources: slices.Concat(stacks[0].Views.Outputs.Resources, stacks[1].Views.Outputs.Resources)}
	args := policy.Args{Config: r.settings(p).Properties}
	return []job{{res: res, run: func(ctx context.Context) []report.Finding {
		var vs []policy.Violation
		failure := analyzer.Guard(r.opts.Log, p.Name, func() error {
			vs = p.CheckStack(ctx, union, args)
			return nil
		})
		return r.findings(p, PairStack, level, failure, vs, func(urn resource.URN) (resource.URN, string) {
			for _, s := range stacks {
				if t, ok := s.live[urn]; ok {
					return urn, t
				}
			}
			return stacks[0].root, string(resource.RootStackType)
		})
	}}}
}

// newResult records a policy's result on a stack (or the pair) with its evidence.
func (r *run) newResult(p *policy.Policy, stack string, stacks []*Stack) *result {
	res := &result{p: p, stack: stack, level: r.settings(p).Level, checked: map[string]int{}}
	for _, t := range p.Types {
		for _, s := range stacks {
			if n := s.types[t]; n > 0 {
				res.checked[t] += n
			}
		}
	}
	res.applicable = len(res.checked) > 0
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
	return res
}

// findings turns a policy call's outcome into findings, as the server and the engine do: one per
// violation (cannot-verify ones advisory), or one saying the policy failed; place attributes a URN to a
// resource of the audit (and its type), or to the root stack.
func (r *run) findings(p *policy.Policy, stack string, level policy.Level, failure error, vs []policy.Violation,
	place func(resource.URN) (resource.URN, string),
) []report.Finding {
	if failure != nil {
		urn, typ := place("")
		return []report.Finding{r.judge(report.Finding{Policy: p.Name, Stack: stack, Level: string(level),
			Status: report.Violation, URN: string(urn), Type: typ,
			Message: analyzer.Message(p, analyzer.FailureMessage("policy", r.opts.Pack, p.Name, failure))})}
	}
	out := make([]report.Finding, 0, len(vs))
	for _, v := range vs {
		urn, typ := place(v.URN)
		f := report.Finding{Policy: p.Name, Stack: stack, Level: string(level), Status: report.Violation,
			URN: string(urn), Type: typ, Message: analyzer.Message(p, v.Message)}
		if v.CannotVerify {
			f.Level, f.Status = string(policy.Advisory), report.Unverified
		}
		out = append(out, r.judge(f))
	}
	return out
}

// judge applies the policy's waivers to a finding.
func (r *run) judge(f report.Finding) report.Finding {
	ws := r.waivers[f.Policy]
	if len(ws) == 0 {
		return f
	}
	outcome, w := waiver.Judge(ws, resource.URN(f.URN), r.asOf)
	if outcome == waiver.None {
		return f
	}
	r.mu.Lock()
	r.used[w]++
	r.mu.Unlock()
	f.Waiver = &report.AppliedWaiver{Resource: w.Resource, Reason: w.Reason, ApprovedBy: w.ApprovedBy, Expires: w.Expires}
	if outcome == waiver.Waived {
		f.Status = report.WaivedFinding
		return f
	}
	f.Waiver.Expired = true
	f.Message += "\n" + waiver.ExpiredNote(w) + "."
	return f
}

// execute runs the jobs on a pool of workers, one per processor.
func (r *run) execute(ctx context.Context, jobs []job) error {
	work := make(chan job)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if ctx.Err() != nil {
					continue
				}
				fs := j.run(ctx)
				r.mu.Lock()
				r.found = append(r.found, fs...)
				r.mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		work <- j
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("the audit stopped: %w", context.Cause(ctx))
	}
	return nil
}

// report assembles the report from the results and findings.
func (r *run) report(stacks []*Stack) *report.Report {
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Pack:          r.opts.Pack.Name + "@v" + r.opts.Pack.Version,
		AsOf:          r.asOf.Format(waiver.DateLayout),
		Compliant:     true,
		Summary:       report.Summary{Policies: map[report.Status]int{}, Findings: map[report.FindingStatus]int{}},
		Findings:      r.found,
	}
	if rep.Findings == nil {
		rep.Findings = []report.Finding{}
	}
	for _, s := range stacks {
		types := map[string]int{}
		for _, src := range s.Views.Sources {
			types[src.Type]++
		}
		rep.Stacks = append(rep.Stacks, report.Stack{Name: s.Name, Project: s.File.Project, File: s.File.Path,
			Resources: len(s.Views.Sources), Types: types})
		rep.Warnings = append(rep.Warnings, s.File.Warnings...)
	}
	report.SortFindings(rep.Findings)
	type key struct{ policy, stack string }
	counts := map[key]*report.PolicyResult{}
	for _, res := range r.results {
		pr := report.PolicyResult{
			Name: res.p.Name, Description: res.p.Description, Recommendation: res.p.Recommendation, Stack: res.stack,
			Level: string(res.level), Checked: sum(res.checked), CheckedTypes: res.checked, Types: nonNil(res.p.Types),
			Controls: controls(res.p),
		}
		rep.Policies = append(rep.Policies, pr)
	}
	for i := range rep.Policies {
		counts[key{rep.Policies[i].Name, rep.Policies[i].Stack}] = &rep.Policies[i]
	}
	for _, f := range rep.Findings {
		rep.Summary.Findings[f.Status]++
		if f.Status == report.Violation && f.Level == string(policy.Mandatory) {
			rep.Summary.Mandatory++
			rep.Compliant = false
		}
		pr := counts[key{f.Policy, f.Stack}]
		if pr == nil {
			continue
		}
		switch f.Status {
		case report.Violation:
			pr.Failed++
		case report.WaivedFinding:
			pr.Waived++
		case report.Unverified:
			pr.CannotVerify++
		case report.Remediation:
			pr.Remediations++
		}
	}
	for i, res := range r.results {
		pr := &rep.Policies[i]
		switch {
		case res.level == policy.Disabled:
			pr.Status = report.Disabled
		case pr.Failed > 0:
			pr.Status = report.Failed
		case pr.CannotVerify > 0:
			pr.Status = report.CannotVerify
		case pr.Waived > 0:
			pr.Status = report.Waived
		case !res.applicable && pr.Remediations == 0:
			pr.Status = report.NotApplicable
		default:
			pr.Status = report.Passed
		}
		rep.Summary.Policies[pr.Status]++
	}
	rep.Controls = byControl(rep.Policies)
	rep.Waivers = r.waiverUses()
	for _, w := range rep.Unmatched() {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the waiver %s.waivers[%d] (resource %q, approved by %s) matches no finding: "+
			"remove it, or fix its resource pattern", w.Policy, w.Index, w.Resource, w.ApprovedBy))
	}
	return rep
}

// waiverUses lists every configured waiver, in pack order, with how many findings it matched.
func (r *run) waiverUses() []report.WaiverUse {
	out := []report.WaiverUse{}
	for _, p := range r.opts.Pack.Policies {
		ws := r.waivers[p.Name]
		for i := range ws {
			w := &ws[i]
			out = append(out, report.WaiverUse{Policy: w.Policy, Index: w.Index, Resource: w.Resource, Reason: w.Reason,
				ApprovedBy: w.ApprovedBy, Expires: w.Expires, InForce: w.InForce(r.asOf), Matched: r.used[w]})
		}
	}
	return out
}

// byControl reads the policy results by control.
func byControl(results []report.PolicyResult) []report.ControlResult {
	idx := map[string]int{}
	var out []report.ControlResult
	for _, pr := range results {
		for _, c := range pr.Controls {
			k := c.Framework + "\x00" + c.ID
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, report.ControlResult{Control: c, Status: report.Disabled})
			}
			out[i].Policies = append(out[i].Policies, report.ControlPolicy{Name: pr.Name, Stack: pr.Stack, Status: pr.Status})
			out[i].Status = report.Worst(out[i].Status, pr.Status)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Framework != out[j].Framework {
			return out[i].Framework > out[j].Framework // Well-Architected first
		}
		return controlLess(out[i].ID, out[j].ID)
	})
	return out
}

// controlLess orders control IDs naturally (RDS.5 before RDS.11).
func controlLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := a[si:i], b[sj:j]
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			continue
		}
		if a[i] != b[j] {
			return a[i] < b[j]
		}
		i++
		j++
	}
	return len(a)-i < len(b)-j
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func controls(p *policy.Policy) []report.Control {
	out := make([]report.Control, len(p.Controls))
	for i, c := range p.Controls {
		out[i] = report.Control{Framework: c.Framework, ID: c.ID, Title: c.Title, URL: c.URL}
	}
	return out
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
