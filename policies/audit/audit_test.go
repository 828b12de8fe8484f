package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/audit/report"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

// plans holds the shipped stacks' plans, made once per test binary and shared by parallel tests.
var plans struct {
	sync.Mutex
	state map[string][]byte
}

// planState plans a shipped stack once per test binary.
func planState(t testing.TB, stack string) []byte {
	t.Helper()
	plans.Lock()
	defer plans.Unlock()
	if b, ok := plans.state[stack]; ok {
		return b
	}
	res, err := plan.Run(t.Context(), plan.Options{Stack: stack})
	require.NoError(t, err)
	if plans.state == nil {
		plans.state = map[string][]byte{}
	}
	plans.state[stack] = res.State
	return res.State
}

func run(t testing.TB, cfg map[string]plugin.AnalyzerPolicyConfig, states ...[]byte) (*report.Report, error) {
	t.Helper()
	opts := audit.Options{Config: cfg, AsOf: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	for i, s := range states {
		opts.Inputs = append(opts.Inputs, audit.Input{Name: fmt.Sprintf("state-%d.json", i), Data: s})
	}
	return audit.Run(t.Context(), opts)
}

// mutate applies f to every resource of a state file.
func mutate(t testing.TB, state []byte, f func(r map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(state, &doc))
	for _, r := range doc["deployment"].(map[string]any)["resources"].([]any) {
		f(r.(map[string]any))
	}
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// withBackendTaggedEss tags the backend group pool=ess: one group serving both pools' role.
func withBackendTaggedEss(t testing.TB, state []byte) []byte {
	changed := 0
	out := mutate(t, state, func(res map[string]any) {
		if res["type"] != "aws:autoscaling/group:Group" {
			return
		}
		for _, part := range []string{"inputs", "outputs"} {
			for _, tag := range res[part].(map[string]any)["tags"].([]any) {
				tm := tag.(map[string]any)
				if tm["key"] == "pool" && tm["value"] == "backend" {
					tm["value"] = "ess"
					changed++
				}
			}
		}
	})
	require.Equal(t, 2, changed, "the backend group's inputs and outputs")
	return out
}

func result(t testing.TB, r *report.Report, policy, stack string) report.PolicyResult {
	t.Helper()
	for _, p := range r.Policies {
		if p.Name == policy && p.Stack == stack {
			return p
		}
	}
	t.Fatalf("no result for %s on %s", policy, stack)
	return report.PolicyResult{}
}

// TestShippedPlansAreCompliant audits the shipped stacks' plans: compliant, every policy with evidence.
func TestShippedPlansAreCompliant(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"prod-us-east-1", "prod-us-west-2"} {
		t.Run(stack, func(t *testing.T) {
			r, err := run(t, nil, planState(t, stack))
			require.NoError(t, err)
			assert.True(t, r.Compliant)
			assert.Zero(t, r.Summary.Mandatory)
			assert.Equal(t, "ess-ha@v0.1.0", r.Pack)
			assert.Equal(t, report.SchemaVersion, r.SchemaVersion)
			require.Len(t, r.Stacks, 1)
			assert.Equal(t, stack, r.Stacks[0].Name)
			assert.Greater(t, r.Stacks[0].Resources, 150)
			assert.Len(t, r.Policies, 28, "23 stack policies and 5 pair policies, each once")
			for _, p := range r.Policies {
				switch {
				case strings.HasPrefix(p.Name, "ha-pair-"):
					assert.Equal(t, report.NotApplicable, p.Status, "%s needs both stacks", p.Name)
				case p.Status == report.Passed:
					assert.Positive(t, p.Checked, "%s passed having checked nothing", p.Name)
					assert.NotEmpty(t, p.CheckedTypes, p.Name)
				}
			}
			assert.NotEmpty(t, r.Controls)
			require.NotNil(t, r.Availability)
			assert.Contains(t, r.Availability.Model, "MODEL")
		})
	}
}

func TestMandatoryViolationMakesTheStackNonCompliant(t *testing.T) {
	t.Parallel()
	r, err := run(t, nil, withBackendTaggedEss(t, planState(t, "prod-us-east-1")))
	require.NoError(t, err)
	assert.False(t, r.Compliant)
	require.NotEmpty(t, r.Findings)
	assert.Equal(t, "mandatory", r.Findings[0].Level, "mandatory findings come first")
	assert.Equal(t, report.Failed, result(t, r, "ha-separate-pools", "prod-us-east-1").Status)
}

func TestConfigurationChangesTheVerdict(t *testing.T) {
	t.Parallel()
	state := withBackendTaggedEss(t, planState(t, "prod-us-east-1"))
	r, err := run(t, map[string]plugin.AnalyzerPolicyConfig{"ha-separate-pools": {EnforcementLevel: apitype.Advisory}}, state)
	require.NoError(t, err)
	assert.True(t, r.Compliant, "an advisory finding does not fail the audit")
	assert.Equal(t, report.Failed, result(t, r, "ha-separate-pools", "prod-us-east-1").Status, "it still fails, at its level")

	r, err = run(t, map[string]plugin.AnalyzerPolicyConfig{"ha-separate-pools": {EnforcementLevel: apitype.Disabled}}, state)
	require.NoError(t, err)
	assert.Equal(t, report.Disabled, result(t, r, "ha-separate-pools", "prod-us-east-1").Status)

	_, err = run(t, map[string]plugin.AnalyzerPolicyConfig{
		"ha-min-availability-zones": {EnforcementLevel: apitype.Mandatory, Properties: map[string]any{"minZones": 3}},
	}, state)
	require.Error(t, err, "an undeclared property is refused")
	assert.Contains(t, err.Error(), `unknown property "minZones"`)
	assert.Contains(t, err.Error(), "ha-min-availability-zones")
}

// readmeConfig is the --policy-pack-config example of policies/README.md.
const readmeConfig = `{
  "all": "mandatory",
  "ha-min-availability-zones": { "minimumZones": 3 },
  "ha-private-registry": { "enforcementLevel": "advisory" },
  "ha-rds-multi-az": "mandatory"
}`

// TestREADMEConfigExample is the defect where the README's own example exited 2 with `invalid
// enforcement level ""`: an object without enforcementLevel keeps the policy's level.
func TestREADMEConfigExample(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(file, []byte(readmeConfig), 0o600))
	cfg, err := audit.LoadConfig(file)
	require.NoError(t, err)
	r, err := run(t, cfg, planState(t, "prod-us-east-1"))
	require.NoError(t, err)
	assert.Equal(t, "mandatory", result(t, r, "ha-min-availability-zones", "prod-us-east-1").Level)
	assert.Equal(t, "advisory", result(t, r, "ha-private-registry", "prod-us-east-1").Level)
	assert.Equal(t, "mandatory", result(t, r, "ha-ess-capacity-per-az", "prod-us-east-1").Level, "all sets every level")

	_, err = audit.LoadConfig(filepath.Join(t.TempDir(), "missing.json"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"ha-rds-multi-az": "strict"}`), 0o600))
	_, err = audit.LoadConfig(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.json")
	assert.Contains(t, err.Error(), "ha-rds-multi-az")
}

// TestLargeStatesAudit is the defect where a 3,154-resource state (6.3 MB) failed with gRPC's 4 MB
// message limit: the audit no longer goes through gRPC at all.
func TestLargeStatesAudit(t *testing.T) {
	t.Parallel()
	b, err := synth.NewMix(4000).StateJSON()
	require.NoError(t, err)
	require.Greater(t, len(b), 5<<20, "bigger than gRPC's default limit")
	r, err := run(t, nil, b)
	require.NoError(t, err)
	assert.Equal(t, 4000, r.Stacks[0].Resources)
}

// TestRepeatedIDsScale audits a stack whose resources all share one ID and one name: the work stays
// linear (the defect: 24k such resources took 21 s and 1.1 GB, 50k did not finish).
func TestRepeatedIDsScale(t *testing.T) {
	t.Parallel()
	b, err := synth.NewMix(20_000).WithRepeatedIDs().StateJSON()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	_, err = audit.Run(ctx, audit.Options{Inputs: []audit.Input{{Name: "repeated.json", Data: b}}})
	require.NoError(t, err)
}

// TestCancellationStopsTheWork cancels an audit: it returns the context's error instead of going on.
func TestCancellationStopsTheWork(t *testing.T) {
	t.Parallel()
	b, err := synth.NewMix(20_000).StateJSON()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = audit.Run(ctx, audit.Options{Inputs: []audit.Input{{Name: "big.json", Data: b}}})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}
