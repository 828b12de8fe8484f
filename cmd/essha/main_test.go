package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/audit"
)

func TestCommandLineErrorsNameTheProblem(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"deploy"}, `unknown command "deploy"`},
		{"plan without --out", []string{"plan"}, "--out is required"},
		{"plan of an unknown stack", []string{"plan", "--stack", "dev", "--out", "x.json"}, "known stacks: prod-us-east-1, prod-us-west-2"},
		{"bad --set", []string{"plan", "--set", "novalue", "--out", "x.json"}, "want key=value"},
		{"unknown flag", []string{"plan", "--stacks", "x"}, "flag provided but not defined"},
		{"stray argument", []string{"plan", "--out", "x.json", "extra"}, "unexpected arguments"},
		{"bad config", []string{"plan", "--out", "x.json", "--set", "availabilityZones=1"}, "at least 2 AZs"},
		{"failover without subcommand", []string{"failover"}, "no subcommand given"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, &out, &errOut)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPlanWritesStateAndSummary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plan.json")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"plan", "--stack", "prod-us-east-1", "--out", out}, &stdout, &stderr))
	state, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(state), `"version": 3`)
	assert.Contains(t, stdout.String(), "Resources per component:")
	assert.Contains(t, stdout.String(), "pulumi policy analyze --file "+out)
}

func TestFailoverNeedsAPair(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: ess-ha\nruntime: go\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.solo.yaml"), []byte("config:\n  aws:region: eu-west-1\n"), 0o644))
	t.Setenv("ESSHA_PROJECT_DIR", dir)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"failover", "status"}, &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no stack sets peerRegion")
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	state := filepath.Join(dir, "plan.json")
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"plan", "--stack", "prod-us-west-2", "--out", state}, &out, &errOut))

	// Until the program fixes they guard are merged, the policies that fail on the shipped plans
	// (policies/internal/rules/plantest/known.go) run as advisory here; drop each with its entry there.
	known := filepath.Join(dir, "known-failures.json")
	require.NoError(t, os.WriteFile(known, []byte(`{"ha-buckets-not-public": "advisory", "ha-dns-aaaa-dual-stack": "advisory", `+
		`"ha-ess-launch-before-terminate": "advisory"}`), 0o644))

	out.Reset()
	require.NoError(t, run(ctx, []string{"audit", "--file", state, "--policy-pack-config", known}, &out, &errOut), "the shipped plan is compliant")
	assert.Contains(t, out.String(), "COMPLIANT: no mandatory violation")

	out.Reset()
	require.NoError(t, run(ctx, []string{"audit", "--file", state, "--json", "--policy-pack-config", known}, &out, &errOut))
	var report map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &report))
	assert.Equal(t, true, report["compliant"])

	// The configuration applies: the advisory capacity policy, made mandatory with a minimum the plan
	// does not meet, fails the audit.
	cfg := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"ha-ess-capacity-per-az": {"enforcementLevel": "mandatory", "minimumPerZone": 5}}`), 0o644))
	out.Reset()
	err := run(ctx, []string{"audit", "--file", state, "--policy-pack-config", cfg}, &out, &errOut)
	require.ErrorIs(t, err, audit.ErrNotCompliant)
	assert.Contains(t, out.String(), "NOT COMPLIANT")
	assert.Contains(t, out.String(), "[mandatory] ha-ess-capacity-per-az")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit"}, "--file is required"},
		{[]string{"audit", "--file", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"audit", "--file", state, "--policy-pack-config", filepath.Join(dir, "missing.json")}, "missing.json"},
	} {
		err := run(ctx, tc.args, &out, &errOut)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}
