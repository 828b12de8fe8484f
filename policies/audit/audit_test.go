package audit_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/audit"
)

func planState(t *testing.T, stack string) []byte {
	t.Helper()
	res, err := plan.Run(context.Background(), plan.Options{Stack: stack})
	require.NoError(t, err)
	return res.State
}

// withBackendTaggedEss tags the backend group pool=ess: one group serving both pools' role.
func withBackendTaggedEss(t *testing.T, state []byte) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(state, &doc))
	changed := 0
	for _, r := range doc["deployment"].(map[string]any)["resources"].([]any) {
		res := r.(map[string]any)
		if res["type"] != "aws:autoscaling/group:Group" {
			continue
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
	}
	require.Equal(t, 2, changed, "the backend group's inputs and outputs")
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// TestShippedPlansAreCompliant audits the shipped stacks' plans: no mandatory finding.
func TestShippedPlansAreCompliant(t *testing.T) {
	for _, stack := range []string{"prod-us-east-1", "prod-us-west-2"} {
		t.Run(stack, func(t *testing.T) {
			report, err := audit.Run(context.Background(), planState(t, stack), nil)
			require.NoError(t, err)
			var mandatory []audit.Finding
			for _, f := range report.Findings {
				if f.Level == apitype.Mandatory {
					mandatory = append(mandatory, f)
				}
			}
			assert.Empty(t, mandatory)
			assert.True(t, report.Compliant)
			assert.Greater(t, report.Resources, 150)
			assert.Equal(t, "ess-ha@v0.1.0", report.Pack)
		})
	}
}

func TestMandatoryViolationMakesTheStackNonCompliant(t *testing.T) {
	report, err := audit.Run(context.Background(), withBackendTaggedEss(t, planState(t, "prod-us-east-1")), nil)
	require.NoError(t, err)
	assert.False(t, report.Compliant)
	require.NotEmpty(t, report.Findings)
	first := report.Findings[0]
	assert.Equal(t, apitype.Mandatory, first.Level, "mandatory findings come first")
	var policies []string
	for _, f := range report.Findings {
		policies = append(policies, f.Policy)
	}
	assert.Contains(t, policies, "ha-separate-pools")
}

func TestConfigurationChangesTheVerdict(t *testing.T) {
	state := withBackendTaggedEss(t, planState(t, "prod-us-east-1"))
	cfg := map[string]plugin.AnalyzerPolicyConfig{"ha-separate-pools": {EnforcementLevel: apitype.Advisory}}
	report, err := audit.Run(context.Background(), state, cfg)
	require.NoError(t, err)
	assert.True(t, report.Compliant, "an advisory finding does not fail the audit")
	for _, f := range report.Findings {
		if f.Policy == "ha-separate-pools" {
			assert.Equal(t, apitype.Advisory, f.Level)
		}
	}

	_, err = audit.Run(context.Background(), state, map[string]plugin.AnalyzerPolicyConfig{
		"ha-min-availability-zones": {EnforcementLevel: apitype.Mandatory, Properties: map[string]any{"minZones": 3}},
	})
	require.Error(t, err, "an undeclared property is refused")
	assert.Contains(t, err.Error(), "minZones")
}

func TestBadStateFilesAreRefusedClearly(t *testing.T) {
	_, err := audit.Run(context.Background(), []byte("{not json"), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading the state file")
	_, err = audit.Run(context.Background(), []byte(`{"version": 99, "deployment": {}}`), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading the state file")
}
