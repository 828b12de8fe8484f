package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/audit"
)

// TestAuditHelp: --help exits 0 and reads well; the file's value is named STATE.json.
func TestAuditHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--help"}, &out, &errOut))
	help := out.String()
	for _, w := range []string{"essha audit --file STATE.json [--file PEER.json]", "--file STATE.json", "--policy-pack-config C.json",
		"--as-of YYYY-MM-DD", "--format FORMAT", "--out PATH", "--stack NAME", "Exit status: 0 compliant, 1 a mandatory violation, 2 bad input"} {
		assert.Contains(t, help, w)
	}
	assert.NotContains(t, help, "pulumi stack export` output", "the value name of --file is not a command")
	assert.NotContains(t, help, "-file pulumi")
}

// TestAuditFormatsAndExitStatus: every format is written to --out; a non-compliant stack returns
// audit.ErrNotCompliant (exit 1), bad input any other error (exit 2), each naming what is wrong.
func TestAuditFormatsAndExitStatus(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	owner, member := filepath.Join(dir, "owner.json"), filepath.Join(dir, "member.json")
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"plan", "--stack", "prod-us-east-1", "--out", owner}, &out, &errOut))
	require.NoError(t, run(ctx, []string{"plan", "--stack", "prod-us-west-2", "--peer-plan", owner, "--out", member}, &out, &errOut))

	for _, f := range []string{"text", "json", "sarif", "junit", "markdown", "html"} {
		path := filepath.Join(dir, "report."+f)
		require.NoError(t, run(ctx, []string{"audit", "--file", owner, "--file", member, "--format", f, "--out", path, "--as-of", "2026-06-01"}, &out, &errOut), f)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotEmpty(t, b, f)
	}
	var rep map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Len(t, rep["stacks"], 2)
	assert.Equal(t, "2026-06-01", rep["asOf"])

	// Not compliant: exit 1.
	cfg := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(cfg, []byte(`{"ha-ess-capacity-per-az": {"enforcementLevel": "mandatory", "minimumPerZone": 5}}`), 0o644))
	err = run(ctx, []string{"audit", "--file", owner, "--policy-pack-config", cfg}, &out, &errOut)
	require.ErrorIs(t, err, audit.ErrNotCompliant)

	// Bad input or usage: exit 2, naming the file, the key and what is wrong.
	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"version":3,"deployment":null}`), 0o644))
	badCfg := filepath.Join(dir, "bad-config.json")
	require.NoError(t, os.WriteFile(badCfg, []byte(`{"ha-rds-multi-az": {"waivers": [{"resource": "urn:*", "reason": "r", "expires": "2026-06-30"}]}}`), 0o644))
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"audit", "--file", broken}, []string{"broken.json", "deployment", "null"}},
		{[]string{"audit", "--file", owner, "--format", "pdf"}, []string{"--format", "pdf", "sarif"}},
		{[]string{"audit", "--file", owner, "--as-of", "30/06/2026"}, []string{"--as-of", "YYYY-MM-DD"}},
		{[]string{"audit", "--file", owner, "--policy-pack-config", badCfg}, []string{"bad-config.json", "ha-rds-multi-az", "waivers[0]", "approvedBy is missing"}},
		{[]string{"audit", "--file", owner, "--file", member, "--file", owner}, []string{"3 state files"}},
		{[]string{"audit", "--file", owner, "extra"}, []string{"unexpected arguments"}},
		{[]string{"audit", "--bogus"}, []string{"bogus"}},
	} {
		err := run(ctx, tc.args, &out, &errOut)
		require.Error(t, err, strings.Join(tc.args, " "))
		assert.NotErrorIs(t, err, audit.ErrNotCompliant, "bad input exits 2, not 1")
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w, strings.Join(tc.args, " "))
		}
	}
}

// TestAuditStack plans a stack offline and audits the plan.
func TestAuditStack(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"audit", "--stack", "prod-us-east-1"}, &out, &errOut))
	assert.Contains(t, out.String(), "COMPLIANT")
	assert.Contains(t, out.String(), "plan of prod-us-east-1")
}
