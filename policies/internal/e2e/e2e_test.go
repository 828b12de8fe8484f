package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/engine"
	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// The shipped stacks, each a Pulumi.<stack>.yaml at the repository root.
var shippedStacks = []string{"prod-us-east-1", "prod-us-west-2"}

// secondaryStack is the shipped stack of the active-active pair's secondary region, which the
// multi-region mutations break.
const secondaryStack = "prod-us-west-2"

// env is what every end-to-end run needs.
type env struct {
	root string // module root
	cli  string // pulumi executable
}

// ciEnv is the variable CI systems (and .ci/run) set to true. Under it, an end-to-end test that cannot
// run fails instead of skipping, so that CI cannot pass without running it.
const ciEnv = "CI"

// underCI reports whether ciEnv holds a true value (true, 1, ...).
func underCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv(ciEnv))
	return ci
}

// cliUnavailable says what to do when the Pulumi CLI could not be built into cli: fail under CI, skip
// elsewhere; the message names the command that builds it and the variable that replaces it.
func cliUnavailable(ci bool, cli string, err error) (fail bool, msg string) {
	msg = fmt.Sprintf("the Pulumi CLI could not be built from tools/pulumi.mod, so the end-to-end tests cannot run. "+
		"Build it from the module root with `%s`, or set %s to a pulumi binary: %v", engine.BuildCommand(cli), engine.CLIEnv, err)
	if ci {
		return true, ciEnv + "=true: " + msg
	}
	return false, "skipping: " + msg
}

// cliBuild is the Pulumi CLI the tests share. TestMain builds it once, before any test runs, so that a
// cold build (minutes) does not count against the tests' -timeout (10 minutes by default), which starts
// with the first test; it still counts against go test's own kill timer (the timeout plus a minute),
// so CI builds the CLI in a step before the tests and names it with ESS_HA_PULUMI_CLI.
var cliBuild struct {
	root, cli string
	err       error
}

// buildCLI fills cliBuild: the CLI $ESS_HA_PULUMI_CLI names, or the one tools/pulumi.mod pins, built
// (or found up to date) at engine.PinnedCLIPath.
func buildCLI(ctx context.Context) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		cliBuild.err = err
		return
	}
	cliBuild.root = root
	if cliBuild.cli = os.Getenv(engine.CLIEnv); cliBuild.cli != "" {
		return
	}
	if cliBuild.cli, err = engine.PinnedCLIPath(); err != nil {
		cliBuild.cli = filepath.Join(os.TempDir(), "ess-ha", "pulumi-cli", "pulumi")
	}
	fmt.Fprintf(os.Stderr, "e2e: building the Pulumi CLI from tools/pulumi.mod into %s (minutes when cold)\n", cliBuild.cli)
	cliBuild.err = BuildCLI(ctx, root, cliBuild.cli)
}

// newEnv returns the Pulumi CLI that TestMain built. When it could not be built, for instance without
// network access to a cold module cache, it skips the test saying why, or, under CI=true, fails it.
func newEnv(t *testing.T) env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end tests build the Pulumi CLI; skipped with -short")
	}
	if cliBuild.err != nil {
		if fail, msg := cliUnavailable(underCI(), cliBuild.cli, cliBuild.err); fail {
			t.Fatal(msg)
		} else {
			t.Skip(msg)
		}
	}
	return env{root: cliBuild.root, cli: cliBuild.cli}
}

// TestCLIUnavailableFailsUnderCI holds the rule newEnv follows when the Pulumi CLI cannot be built:
// under CI=true the end-to-end tests fail, naming the command that builds the CLI, instead of skipping.
func TestCLIUnavailableFailsUnderCI(t *testing.T) { // not parallel: it sets CI
	const cli = "/cache/ess-ha/pulumi-cli/pulumi"
	buildErr := errors.New("go: no network")
	fail, msg := cliUnavailable(true, cli, buildErr)
	assert.True(t, fail, "under CI a missing CLI fails the test")
	assert.Contains(t, msg, "CI=true")
	assert.Contains(t, msg, "go build -modfile=tools/pulumi.mod -o "+cli+" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi")
	assert.Contains(t, msg, engine.CLIEnv)
	assert.Contains(t, msg, "go: no network")
	fail, msg = cliUnavailable(false, cli, buildErr)
	assert.False(t, fail, "outside CI a missing CLI skips the test")
	assert.Contains(t, msg, "go build -modfile=tools/pulumi.mod")
	t.Setenv(ciEnv, "true")
	assert.True(t, underCI())
	t.Setenv(ciEnv, "")
	assert.False(t, underCI())
}

// pack is a built policy pack.
type pack struct {
	bin string // directory holding pulumi-analyzer-policy-go
	dir string // the pack's directory
	arg string // what --policy-pack names for the CLI: dir or the executable
}

// buildPack builds the main package pkg as the pack's plugin; dir is the pack's directory.
func (e env) buildPack(t *testing.T, ctx context.Context, pkg, dir string) pack {
	t.Helper()
	bin := t.TempDir()
	require.NoError(t, BuildPack(ctx, e.root, pkg, bin))
	arg, err := Analyze{CLI: e.cli, Home: t.TempDir(), BinDir: bin, PackDir: dir}.PackArgument(ctx)
	require.NoError(t, err)
	return pack{bin: bin, dir: dir, arg: arg}
}

// analyze runs `pulumi policy analyze --file` with JSON output on state, with an optional config
// file, and returns the run and its violations.
func (e env) analyze(t *testing.T, ctx context.Context, p pack, state []byte, config string) (Result, []Violation) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "state.json")
	require.NoError(t, os.WriteFile(file, state, 0o600))
	a := Analyze{CLI: e.cli, Home: dir, BinDir: p.bin, PackDir: p.dir, Pack: p.arg, StateFile: file, JSON: true}
	if config != "" {
		a.ConfigFile = filepath.Join(dir, "policy-config.json")
		require.NoError(t, os.WriteFile(a.ConfigFile, []byte(config), 0o600))
	}
	res, err := a.Run(ctx)
	require.NoError(t, err)
	vs, err := Violations(res.Stdout)
	require.NoError(t, err, res.Output())
	return res, vs
}

// levels maps each policy that reported to the levels it reported at.
func levels(vs []Violation) map[string][]string {
	out := map[string][]string{}
	for _, v := range vs {
		out[v.PolicyName] = append(out[v.PolicyName], v.EnforcementLevel)
	}
	return out
}

func mandatory(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.EnforcementLevel == "mandatory" {
			out = append(out, v)
		}
	}
	return out
}

// handState is a small state file as `pulumi stack export` writes it: the stack, the default AWS
// provider, a VPC, one subnet per zone and an RDS instance.
func handState(t *testing.T, multiAz bool, zones ...string) []byte {
	t.Helper()
	const prefix = "urn:pulumi:dev::proj::"
	stack := prefix + "pulumi:pulumi:Stack::proj-dev"
	provider := prefix + "pulumi:providers:aws::default"
	vpc := prefix + "aws:ec2/vpc:Vpc::main"
	res := []map[string]any{
		{"urn": stack, "custom": false, "type": "pulumi:pulumi:Stack"},
		{"urn": provider, "custom": true, "id": "prov-1", "type": "pulumi:providers:aws",
			"inputs": map[string]any{"region": "us-east-1"}, "outputs": map[string]any{"region": "us-east-1"}},
		{"urn": vpc, "custom": true, "id": "vpc-1", "type": "aws:ec2/vpc:Vpc", "parent": stack, "provider": provider + "::prov-1",
			"inputs":  map[string]any{"cidrBlock": "10.0.0.0/16", "tags": map[string]any{"owner": "platform"}},
			"outputs": map[string]any{"id": "vpc-1", "cidrBlock": "10.0.0.0/16", "tags": map[string]any{"owner": "platform"}}},
	}
	for i, z := range zones {
		res = append(res, map[string]any{
			"urn": fmt.Sprintf("%saws:ec2/subnet:Subnet::private-%d", prefix, i), "custom": true,
			"id": fmt.Sprintf("subnet-%d", i), "type": "aws:ec2/subnet:Subnet", "parent": stack, "provider": provider + "::prov-1",
			"inputs":               map[string]any{"vpcId": "vpc-1", "availabilityZone": z},
			"outputs":              map[string]any{"id": fmt.Sprintf("subnet-%d", i), "vpcId": "vpc-1", "availabilityZone": z},
			"dependencies":         []string{vpc},
			"propertyDependencies": map[string]any{"vpcId": []string{vpc}},
		})
	}
	res = append(res, map[string]any{
		"urn": prefix + "aws:rds/instance:Instance::db", "custom": true, "id": "db-1", "type": "aws:rds/instance:Instance",
		"parent": stack, "provider": provider + "::prov-1",
		"inputs": map[string]any{"multiAz": multiAz}, "outputs": map[string]any{"id": "db-1", "multiAz": multiAz},
	})
	b, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{
		"manifest":  map[string]any{"time": "2026-01-01T00:00:00Z", "magic": "", "version": "v3.259.0"},
		"resources": res,
	}})
	require.NoError(t, err)
	return b
}

// TestPolicyAnalyzeTestPack proves the transport with the real CLI on a hand-written state and the
// test pack's three policies (e2e-rds-multi-az, mandatory resource policy; e2e-min-zones, mandatory
// stack policy with a minimumZones property; e2e-owner-tag, advisory).
func TestPolicyAnalyzeTestPack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	e := newEnv(t)
	dir := t.TempDir()
	require.NoError(t, WritePackDir(dir, "0.0.1"))
	p := e.buildPack(t, ctx, "./policies/internal/e2e/testpack", dir)

	t.Run("a compliant state passes", func(t *testing.T) {
		res, vs := e.analyze(t, ctx, p, handState(t, true, "us-east-1a", "us-east-1b"), "")
		assert.Equal(t, 0, res.ExitCode, res.Output())
		assert.Empty(t, vs, res.Output())
	})
	t.Run("a mandatory resource violation fails", func(t *testing.T) {
		res, vs := e.analyze(t, ctx, p, handState(t, false, "us-east-1a", "us-east-1b"), "")
		assert.NotEqual(t, 0, res.ExitCode)
		assert.Contains(t, res.Stderr, "mandatory policy violations")
		require.Len(t, vs, 1, res.Output())
		assert.Equal(t, "e2e-rds-multi-az", vs[0].PolicyName)
		assert.Equal(t, "mandatory", vs[0].EnforcementLevel)
		assert.Equal(t, "e2e-test-pack", vs[0].PolicyPackName)
		assert.Equal(t, "urn:pulumi:dev::proj::aws:rds/instance:Instance::db", vs[0].ResourceURN)
		assert.Contains(t, vs[0].Message, "db: multiAz is false; set it to true")
	})
	t.Run("a mandatory stack violation fails", func(t *testing.T) {
		res, vs := e.analyze(t, ctx, p, handState(t, true, "us-east-1a"), "")
		assert.NotEqual(t, 0, res.ExitCode)
		assert.Equal(t, map[string][]string{"e2e-min-zones": {"mandatory"}}, levels(vs), res.Output())
		assert.Equal(t, "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", vs[0].ResourceURN, "stack findings land on the stack")
	})
	t.Run("policy-pack-config sets levels and properties", func(t *testing.T) {
		state := handState(t, false, "us-east-1a", "us-east-1b")
		res, vs := e.analyze(t, ctx, p, state, `{"all": "advisory", "e2e-min-zones": {"minimumZones": 3}}`)
		assert.Equal(t, 0, res.ExitCode, "advisory violations do not fail:\n%s", res.Output())
		assert.Equal(t, map[string][]string{"e2e-rds-multi-az": {"advisory"}, "e2e-min-zones": {"advisory"}}, levels(vs))
		for _, v := range vs {
			if v.PolicyName == "e2e-min-zones" {
				assert.Contains(t, v.Message, "minimumZones is 3")
			}
		}
		res, vs = e.analyze(t, ctx, p, state, `{"all": "advisory", "e2e-min-zones": {"enforcementLevel": "mandatory", "minimumZones": 3}}`)
		assert.NotEqual(t, 0, res.ExitCode, "a policy's own level beats all")
		assert.Equal(t, map[string][]string{"e2e-rds-multi-az": {"advisory"}, "e2e-min-zones": {"mandatory"}}, levels(vs))
	})
	t.Run("disabled policies do not run", func(t *testing.T) {
		res, vs := e.analyze(t, ctx, p, handState(t, false, "us-east-1a"), `{"all": "disabled"}`)
		assert.Equal(t, 0, res.ExitCode, res.Output())
		assert.Empty(t, vs)
	})
	t.Run("bad config is rejected clearly", func(t *testing.T) {
		for config, want := range map[string][]string{
			`{"e2e-min-zones": {"minimumZones": "three"}}`: {"e2e-min-zones", "minimumZones", "integer"},
			`{"e2e-min-zones": {"minZones": 3}}`:           {"e2e-min-zones", `unknown property "minZones"`, `"minimumZones"`},
			`{"e2e-min-zone": "mandatory"}`:                {`unknown policy "e2e-min-zone"`, `"e2e-min-zones"`},
		} {
			res, _ := e.analyze(t, ctx, p, handState(t, true, "us-east-1a", "us-east-1b"), config)
			assert.NotEqual(t, 0, res.ExitCode, config)
			for _, w := range want {
				assert.Contains(t, res.Stderr, w, config)
			}
		}
	})
	t.Run("the human display names the policy", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "state.json")
		require.NoError(t, os.WriteFile(file, handState(t, false, "us-east-1a", "us-east-1b"), 0o600))
		res, err := Analyze{CLI: e.cli, Home: t.TempDir(), BinDir: p.bin, PackDir: p.dir, Pack: p.arg, StateFile: file}.Run(ctx)
		require.NoError(t, err)
		assert.NotEqual(t, 0, res.ExitCode)
		assert.Contains(t, res.Stdout, "[mandatory]  e2e-rds-multi-az")
		assert.Contains(t, res.Stdout, "db: multiAz is false; set it to true")
	})
}

// TestPolicyAnalyzeShippedPlans runs the ess-ha pack, built from ./policies, on the offline plans of
// the shipped stacks (which must pass) and on mutated plans, one per seed recommendation, and on the
// secondary region's plan one per multi-region recommendation (which must fail, naming the policy).
func TestPolicyAnalyzeShippedPlans(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	e := newEnv(t)
	p := e.buildPack(t, ctx, "./policies", filepath.Join(e.root, "policies"))

	for _, stack := range shippedStacks {
		t.Run(stack, func(t *testing.T) {
			planned, err := plan.Run(ctx, plan.Options{Stack: stack})
			require.NoError(t, err)

			t.Run("the plan passes", func(t *testing.T) {
				res, vs := e.analyze(t, ctx, p, planned.State, "")
				assert.Equal(t, 0, res.ExitCode, res.Output())
				assert.Empty(t, mandatory(vs), res.Output())
				assertSameFindings(t, ctx, vs, planned.State)
			})
			mutations := SeedMutations()
			if stack == secondaryStack {
				mutations = append(mutations, MultiRegionMutations()...)
			}
			for _, m := range mutations {
				t.Run(m.Name, func(t *testing.T) {
					st, err := ParseState(planned.State)
					require.NoError(t, err)
					require.NoError(t, m.Apply(st))
					b, err := st.Bytes()
					require.NoError(t, err)
					res, vs := e.analyze(t, ctx, p, b, "")
					assert.NotEqual(t, 0, res.ExitCode, res.Output())
					assert.Contains(t, levels(vs)[m.Policy], "mandatory", "%s must report %s:\n%s", m.Name, m.Policy, res.Output())

					// essha audit, which runs the policies directly on the state, reaches the same verdict as
					// the CLI, finding for finding.
					r, err := audit.Run(ctx, audit.Options{Inputs: []audit.Input{{Name: m.Name, Data: b}}})
					require.NoError(t, err)
					assert.False(t, r.Compliant)
					assert.Equal(t, mandatoryPolicies(vs), auditMandatoryPolicies(r), "essha audit and pulumi policy analyze fail the same policies")
					assertSameFindings(t, ctx, vs, b)
				})
			}
		})
	}

	t.Run("policy-pack-config", func(t *testing.T) {
		planned, err := plan.Run(ctx, plan.Options{Stack: shippedStacks[0]})
		require.NoError(t, err)
		st, err := ParseState(planned.State)
		require.NoError(t, err)
		require.NoError(t, DatabaseSingleAZ(st))
		b, err := st.Bytes()
		require.NoError(t, err)

		res, vs := e.analyze(t, ctx, p, b, `{"ha-rds-multi-az": "advisory"}`)
		assert.Equal(t, 0, res.ExitCode, "an advisory violation does not fail:\n%s", res.Output())
		assert.Contains(t, levels(vs)["ha-rds-multi-az"], "advisory", res.Output())
		assert.Empty(t, mandatory(vs), res.Output())

		res, _ = e.analyze(t, ctx, p, planned.State, `{"ha-min-availability-zones": {"minimumZones": "two"}}`)
		assert.NotEqual(t, 0, res.ExitCode)
		assert.Contains(t, res.Stderr, "ha-min-availability-zones")
		assert.Contains(t, res.Stderr, "minimumZones")
	})
}

// TestMutationsApply checks the mutations on a plan without the CLI, so a plan that changes shape
// fails here with a clear message rather than as a missing violation.
func TestMutationsApply(t *testing.T) {
	ctx := context.Background()
	for _, stack := range shippedStacks {
		planned, err := plan.Run(ctx, plan.Options{Stack: stack})
		require.NoError(t, err)
		for _, m := range append(SeedMutations(), MultiRegionMutations()...) {
			st, err := ParseState(planned.State)
			require.NoError(t, err)
			require.NoError(t, m.Apply(st), "%s on %s", m.Name, stack)
			b, err := st.Bytes()
			require.NoError(t, err)
			assert.NotEqual(t, string(planned.State), string(b), "%s changed nothing on %s", m.Name, stack)
		}
		st, err := ParseState(planned.State)
		require.NoError(t, err)
		assert.NotEmpty(t, PublicSubnets(st), stack)
		assert.Less(t, len(PublicSubnets(st)), len(st.OfType(typeSubnet)), "%s: not every subnet is public", stack)
	}
}

// mandatoryPolicies are the names of the policies with a mandatory violation, sorted.
func mandatoryPolicies(vs []Violation) []string {
	seen := map[string]bool{}
	for _, v := range mandatory(vs) {
		seen[v.PolicyName] = true
	}
	return sortedNames(seen)
}

// auditMandatoryPolicies are the names of the policies with a mandatory violation in an audit, sorted.
func auditMandatoryPolicies(r *report.Report) []string {
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if f.Level == string(apitype.Mandatory) && f.Status == report.Violation {
			seen[f.Policy] = true
		}
	}
	return sortedNames(seen)
}

// assertSameFindings audits state with essha audit and checks that it reports exactly the CLI's
// violations: the same policies, levels, resources and messages.
func assertSameFindings(t *testing.T, ctx context.Context, cli []Violation, state []byte) {
	t.Helper()
	r, err := audit.Run(ctx, audit.Options{Inputs: []audit.Input{{Name: "state.json", Data: state}}})
	require.NoError(t, err)
	var want, got []string
	for _, v := range cli {
		want = append(want, v.PolicyName+" | "+v.EnforcementLevel+" | "+v.ResourceURN+" | "+v.Message)
	}
	for _, f := range r.Findings {
		got = append(got, f.Policy+" | "+f.Level+" | "+f.URN+" | "+f.Message)
	}
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got, "essha audit and pulumi policy analyze report the same findings")
}

func sortedNames(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
