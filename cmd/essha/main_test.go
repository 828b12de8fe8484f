package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
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
		{"bad --set", []string{"plan", "--set", "novalue", "--out", "x.json"}, "is not key=value"},
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

// projectDir writes the shipped project files, plus extra stack files, into a temporary folder that
// ESSHA_PROJECT_DIR then names.
func projectDir(t *testing.T, extra map[string]string) {
	t.Helper()
	dir := t.TempDir()
	shipped := essha.ProjectFiles()
	names, err := fs.Glob(shipped, "Pulumi*.yaml")
	require.NoError(t, err)
	for _, name := range names {
		b, err := fs.ReadFile(shipped, name)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	for name, body := range extra {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	t.Setenv("ESSHA_PROJECT_DIR", dir)
}

// fakeAWS points the AWS SDK at fake credentials and no real configuration, and starts a fake S3
// holding the shipped deployment's stop buckets and an empty fake Route 53.
func fakeAWS(t *testing.T) (s3 *fakeaws.S3, route53 *fakeaws.Route53) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL_ROUTE_53": "",
	} {
		t.Setenv(k, v)
	}
	return fakeaws.NewS3(t, "example-solid-prod-stop-123456789012-us-east-1", "example-solid-prod-stop-123456789012-us-west-2"),
		fakeaws.NewRoute53(t)
}

// TestFailoverIgnoresUnrelatedStacks: a stack file that is not part of the pair, and that `pulumi up`
// would refuse (no domain, a value of the wrong type), does not stop any failover subcommand. The
// account comes from the pair's aws:allowedAccountIds.
func TestFailoverIgnoresUnrelatedStacks(t *testing.T) {
	for name, dev := range map[string]string{
		"no domain":     "config:\n  aws:region: eu-west-1\n",
		"wrong types":   "config:\n  aws:region: eu-west-1\n  ess-ha:availabilityZones: many\n",
		"not even YAML": "config: [\n",
	} {
		t.Run(name, func(t *testing.T) {
			projectDir(t, map[string]string{"Pulumi.dev.yaml": dev})
			s3, r53 := fakeAWS(t)
			ends := []string{"--endpoint", s3.URL(), "--route53-endpoint", r53.URL()}
			for _, args := range [][]string{
				{"failover", "status"},
				{"failover", "drain", "--region", "us-east-1"},
				{"failover", "drain", "--region", "us-west-2", "--force"},
				{"failover", "restore", "--region", "us-west-2"},
				{"failover", "restore", "--region", "us-east-1"},
			} {
				var out, errOut bytes.Buffer
				err := run(context.Background(), append(args, ends...), &out, &errOut)
				require.NoError(t, err, "%v", args)
				assert.Contains(t, out.String(), "example-solid-prod-stop-123456789012-us-", "%v", args)
			}
			_, _, ok := s3.Object(t, "example-solid-prod-stop-123456789012-us-west-2", "drain/us-east-1")
			assert.False(t, ok, "restored")
			assert.Len(t, s3.Versions("example-solid-prod-stop-123456789012-us-west-2", "drain/us-east-1"), 2, "one drain, one restore")
		})
	}
}

func TestFailoverChoosesTheDeployment(t *testing.T) {
	other := "config:\n  aws:region: eu-west-1\n  ess-ha:peerRegion: eu-central-1\n  ess-ha:deployment: other\n"
	projectDir(t, map[string]string{"Pulumi.other-eu-west-1.yaml": other})
	s3, r53 := fakeAWS(t)
	ends := []string{"--endpoint", s3.URL(), "--route53-endpoint", r53.URL()}
	var out, errOut bytes.Buffer

	err := run(context.Background(), append([]string{"failover", "status"}, ends...), &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "several active-active deployments (example-solid-prod, other): choose one with --deployment NAME")

	err = run(context.Background(), append([]string{"failover", "status", "--deployment", "example-solid-prod"}, ends...), &out, &errOut)
	require.NoError(t, err, "the other deployment's missing half does not matter")
	assert.Contains(t, out.String(), "deployment example-solid-prod")

	err = run(context.Background(), append([]string{"failover", "drain", "--region", "eu-west-1", "--deployment", "other"}, ends...), &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deployment other: the stack in eu-west-1 (Pulumi.other-eu-west-1.yaml) names peerRegion eu-central-1, but no stack in eu-central-1 names eu-west-1 back")

	err = run(context.Background(), append([]string{"failover", "status", "--deployment", "nope"}, ends...), &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no active-active deployment named "nope"`)
}

func TestFailoverAccount(t *testing.T) {
	noAccount := map[string]string{}
	for _, f := range []string{"Pulumi.prod-us-east-1.yaml", "Pulumi.prod-us-west-2.yaml"} {
		b, err := fs.ReadFile(essha.ProjectFiles(), f)
		require.NoError(t, err)
		noAccount[f] = regexp.MustCompile(`(?m)^  aws:allowedAccountIds:.*\n`).ReplaceAllString(string(b), "")
		require.NotEqual(t, string(b), noAccount[f], "the shipped stack files pin the account")
	}
	projectDir(t, noAccount)
	s3, r53 := fakeAWS(t)
	ends := []string{"--endpoint", s3.URL(), "--route53-endpoint", r53.URL()}
	var out, errOut bytes.Buffer

	err := run(context.Background(), append([]string{"failover", "status"}, ends...), &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the AWS account of deployment example-solid-prod is unknown")
	assert.Contains(t, err.Error(), "pass --account-id ID, or set aws:allowedAccountIds")
	assert.Contains(t, err.Error(), "Pulumi.prod-us-east-1.yaml, Pulumi.prod-us-west-2.yaml")

	out.Reset()
	err = run(context.Background(), append([]string{"failover", "status", "--account-id", "123456789012"}, ends...), &out, &errOut)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "s3://example-solid-prod-stop-123456789012-us-west-2/drain/us-east-1")

	// --account-id wins over the stack files, with a note.
	projectDir(t, nil)
	out.Reset()
	err = run(context.Background(), append([]string{"failover", "status", "--account-id", "210987654321"}, ends...), &out, &errOut)
	require.Error(t, err, "no stop buckets in that account")
	assert.Contains(t, out.String(), "note: --account-id 210987654321 differs from aws:allowedAccountIds 123456789012 in Pulumi.prod-us-east-1.yaml, Pulumi.prod-us-west-2.yaml; using 210987654321")
	assert.Contains(t, err.Error(), "bucket example-solid-prod-stop-210987654321-us-east-1 does not exist")
}

func TestFailoverHelpReadsNothing(t *testing.T) {
	t.Setenv("ESSHA_PROJECT_DIR", t.TempDir()) // no Pulumi.yaml there
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"failover", "--help"}, &out, &errOut))
	assert.Contains(t, out.String(), "--deployment NAME")
	assert.Contains(t, out.String(), "--route53-endpoint URL")
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	state := filepath.Join(dir, "plan.json")
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"plan", "--stack", "prod-us-west-2", "--out", state}, &out, &errOut))

	out.Reset()
	require.NoError(t, run(ctx, []string{"audit", "--file", state}, &out, &errOut), "the shipped plan is compliant")
	assert.Contains(t, out.String(), "COMPLIANT: no mandatory violation")

	out.Reset()
	require.NoError(t, run(ctx, []string{"audit", "--file", state, "--json"}, &out, &errOut))
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

// TestPlanMemberWithPeerPlan: the member of a pair reads its owner's outputs from --peer-plan, and a
// missing file is an error that names the flag.
func TestPlanMemberWithPeerPlan(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	east, west := filepath.Join(dir, "east.json"), filepath.Join(dir, "west.json")
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"plan", "--stack", "prod-us-east-1", "--out", east}, &out, &errOut))
	require.NoError(t, run(ctx, []string{"plan", "--stack", "prod-us-west-2", "--peer-plan", east, "--out", west}, &out, &errOut))
	b, err := os.ReadFile(west)
	require.NoError(t, err)
	assert.Contains(t, string(b), "pulumi:pulumi:StackReference")

	err = run(ctx, []string{"plan", "--stack", "prod-us-west-2", "--peer-plan", filepath.Join(dir, "missing.json"), "--out", west}, &out, &errOut)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--peer-plan")
}
