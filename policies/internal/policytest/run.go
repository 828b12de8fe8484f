package policytest

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Config validates a policy's configuration properties against its schema and fills in the schema's
// defaults, as Pulumi does for --policy-pack-config.
func Config(p policy.Policy, props map[string]any) (map[string]any, error) {
	info := plugin.AnalyzerPolicyInfo{
		Name:             p.Name,
		EnforcementLevel: apitype.EnforcementLevel(p.DefaultLevel),
	}
	if p.Schema != nil {
		schema := &plugin.AnalyzerPolicyConfigSchema{
			Properties: make(map[string]plugin.JSONSchema, len(p.Schema.Properties)),
			Required:   p.Schema.Required,
		}
		for k, v := range p.Schema.Properties {
			schema.Properties[k] = plugin.JSONSchema(v)
		}
		info.ConfigSchema = schema
	}
	var given map[string]plugin.AnalyzerPolicyConfig
	if props != nil {
		given = map[string]plugin.AnalyzerPolicyConfig{p.Name: {Properties: props}}
	}
	result, invalid, err := analyzer.ReconcilePolicyPackConfig([]plugin.AnalyzerPolicyInfo{info}, nil, given)
	if err != nil {
		return nil, fmt.Errorf("policy %s: validating config: %w", p.Name, err)
	}
	if len(invalid) > 0 {
		return nil, fmt.Errorf("policy %s: invalid config: %s", p.Name, strings.Join(invalid, "; "))
	}
	out := result[p.Name].Properties
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// Run runs a policy on a stack as the analyzer would: a stack policy once, a resource policy on every
// resource (its violations default to the resource's URN). A panic is returned as an error.
func Run(ctx context.Context, p policy.Policy, st *policy.Stack, args policy.Args) (vs []policy.Violation, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("policy %s panicked: %v\n%s", p.Name, r, debug.Stack())
		}
	}()
	switch {
	case p.CheckStack != nil:
		return p.CheckStack(ctx, st, args), nil
	case p.CheckResource != nil:
		for _, r := range st.Resources {
			for _, v := range p.CheckResource(ctx, r, args) {
				if v.URN == "" {
					v.URN = r.URN
				}
				vs = append(vs, v)
			}
		}
		return vs, nil
	}
	return nil, fmt.Errorf("policy %s has no check", p.Name)
}

// RunFixture runs a policy on a fixture with the fixture's configuration and dryRun.
func RunFixture(ctx context.Context, p policy.Policy, f *Fixture) ([]policy.Violation, error) {
	cfg, err := Config(p, f.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	vs, err := Run(ctx, p, f.Stack, policy.Args{Config: cfg, DryRun: f.DryRun})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return vs, nil
}

// Split separates the violations that block (at the policy's level) from the CannotVerify findings,
// which are always advisory.
func Split(vs []policy.Violation) (blocking, cannotVerify []policy.Violation) {
	for _, v := range vs {
		if v.CannotVerify {
			cannotVerify = append(cannotVerify, v)
		} else {
			blocking = append(blocking, v)
		}
	}
	return blocking, cannotVerify
}

// Check compares what a policy reported on a fixture with the fixture's verdict and expectations, and
// describes every mismatch.
func Check(f *Fixture, vs []policy.Violation) []string {
	blocking, unverified := Split(vs)
	var problems []string
	var pool []policy.Violation
	switch f.Verdict {
	case Pass:
		if len(blocking) > 0 {
			problems = append(problems, "want no violation, got:\n"+Format(blocking))
		}
		pool = vs
	case Fail:
		if len(blocking) == 0 {
			problems = append(problems, "want a violation, got none; findings:\n"+Format(vs))
		}
		pool = blocking
	case CannotVerify:
		if len(blocking) > 0 {
			problems = append(problems, "want only cannot-verify findings, got violations:\n"+Format(blocking))
		}
		if len(unverified) == 0 {
			problems = append(problems, "want a cannot-verify finding, got none; findings:\n"+Format(vs))
		}
		pool = unverified
	default:
		problems = append(problems, "the fixture is in none of the folders pass, fail, cannot-verify")
	}
	for _, want := range f.Expect {
		if !slices.ContainsFunc(pool, func(v policy.Violation) bool { return strings.Contains(v.Message, want) }) {
			problems = append(problems, fmt.Sprintf("no message contains %q; findings:\n%s", want, Format(pool)))
		}
	}
	return problems
}

// Format lists violations one per line, for test failures.
func Format(vs []policy.Violation) string {
	if len(vs) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, v := range vs {
		kind := "violation"
		if v.CannotVerify {
			kind = "cannot-verify"
		}
		who := "(stack)"
		if v.URN != "" {
			who = string(v.URN)
			if n := urnName(v.URN); n != "" {
				who = n
			}
		}
		fmt.Fprintf(&b, "  [%s] %s: %s\n", kind, who, v.Message)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Findings writes violations as a fixture's golden file pins them: a header line, then one block per
// finding, sorted by URN and message: the policy, its level (the policy's default level; "advisory
// (cannot verify)" for a CannotVerify finding, which never blocks), the URN ("(stack)" for a finding about
// the whole stack), and the message indented on the next line. A changed message, level or URN, or an
// extra or missing finding, is then a line of a diff.
func Findings(p policy.Policy, vs []policy.Violation) string {
	sorted := slices.Clone(vs)
	slices.SortStableFunc(sorted, func(a, b policy.Violation) int {
		if c := strings.Compare(string(a.URN), string(b.URN)); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %d finding(s)\n", p.Name, len(sorted))
	for _, v := range sorted {
		level := string(p.DefaultLevel)
		if v.CannotVerify {
			level = string(policy.Advisory) + " (cannot verify)"
		}
		who := string(v.URN)
		if who == "" {
			who = "(stack)"
		}
		fmt.Fprintf(&b, "\n%s %s %s\n", p.Name, level, who)
		for _, line := range strings.Split(v.Message, "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return b.String()
}

// GoldenPath is the file that pins a fixture's findings: <case>.golden beside <case>.json.
func GoldenPath(f *Fixture) string {
	return strings.TrimSuffix(f.Path, filepath.Ext(f.Path)) + ".golden"
}
