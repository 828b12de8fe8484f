package audit_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/audit/internal/reference"
	"github.com/ess-ha/ess-ha/policies/audit/report"
	"github.com/ess-ha/ess-ha/policies/internal/e2e"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/pack"
)

// same compares the audit's findings with the engine's diagnostics on one state file.
func same(t *testing.T, name string, state []byte, cfg map[string]plugin.AnalyzerPolicyConfig) {
	t.Helper()
	ctx := t.Context()
	want, err := reference.Analyze(ctx, pack.Definition(), state, cfg)
	require.NoError(t, err, name)
	r, err := audit.Run(ctx, audit.Options{Inputs: []audit.Input{{Name: name, Data: state}}, Config: cfg})
	require.NoError(t, err, name)
	var w, g []string
	for _, f := range want {
		w = append(w, f.Policy+" | "+f.Level+" | "+f.URN+" | "+f.Message)
	}
	for _, f := range r.Findings {
		msg := f.Message
		if f.Status == report.Remediation {
			msg = "" // the engine reports a remediation without a message
		}
		g = append(g, f.Policy+" | "+f.Level+" | "+f.URN+" | "+msg)
	}
	sort.Strings(w)
	sort.Strings(g)
	assert.Equal(t, w, g, "%s: the audit and the engine (pulumi policy analyze's deploy.AnalyzeSnapshot over gRPC) disagree", name)
}

// TestSameVerdictsAsTheEngineOnEveryFixture runs every fixture of every policy, as a state file, through
// the audit's direct engine and through the engine's own snapshot analysis driving the pack over gRPC
// (what `pulumi policy analyze --file` runs): every finding is the same, with its level, resource and
// message.
func TestSameVerdictsAsTheEngineOnEveryFixture(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs every fixture twice")
	}
	root := filepath.Join("..", "internal", "rules", "testdata")
	n := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" || strings.Contains(path, "_shared") {
			return err
		}
		// A pair fixture holds two stacks in one file, which no state file does; the pair audit takes
		// them as two files (TestPairAudit).
		if strings.Contains(path, "ha-pair-") || strings.Contains(path, "_pair") {
			return nil
		}
		f, err := policytest.LoadFixture(path)
		if err != nil {
			return err
		}
		state, err := reference.StateOf(f.Stack)
		if err != nil {
			return err
		}
		var cfg map[string]plugin.AnalyzerPolicyConfig
		if rel, _ := filepath.Rel(root, path); len(f.Config) > 0 {
			cfg = map[string]plugin.AnalyzerPolicyConfig{strings.Split(rel, string(filepath.Separator))[0]: {Properties: f.Config}}
		}
		n++
		t.Run(strings.TrimPrefix(path, root+string(filepath.Separator)), func(t *testing.T) {
			t.Parallel()
			same(t, path, state, cfg)
		})
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, n, 200)
}

// TestSameVerdictsAsTheEngineOnEveryMutation does the same on the shipped plans and on every mutation
// the end-to-end tests break them with.
func TestSameVerdictsAsTheEngineOnEveryMutation(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("plans the shipped stacks")
	}
	for _, stack := range []string{"prod-us-east-1", "prod-us-west-2"} {
		planned := planState(t, stack)
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			same(t, stack, planned, nil)
		})
		for _, m := range append(e2e.SeedMutations(), e2e.MultiRegionMutations()...) {
			st, err := e2e.ParseState(planned)
			require.NoError(t, err)
			require.NoError(t, m.Apply(st))
			b, err := st.Bytes()
			require.NoError(t, err)
			t.Run(stack+"/"+m.Name, func(t *testing.T) {
				t.Parallel()
				same(t, m.Name, b, nil)
			})
		}
	}
}
