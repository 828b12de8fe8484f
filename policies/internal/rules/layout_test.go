package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// pairFile is the one file that holds every pair policy (ha-pair-*).
const pairFile = "pair.go"

// sourceOf names the file a policy is written in: ha-<slug> lives in <slug>.go, the pair policies
// (ha-pair-<slug>) together in pair.go. policies/README.md states the rule.
func sourceOf(p policy.Policy) string {
	if p.Pair {
		return pairFile
	}
	return strings.TrimPrefix(p.Name, "ha-") + ".go"
}

// TestLayout holds the pack to the layout policies/README.md describes: every policy ha-<slug> of the pack
// is declared (its name constant) in rules/<slug>.go, or, for a pair policy ha-pair-<slug>, in
// rules/pair.go; it has at least one pass and one fail fixture in testdata/<policy>/pass and
// testdata/<policy>/fail; and testdata holds nothing else: each folder is a policy's (or, starting with
// "_", shared), with only verdict folders of fixtures (<case>.json) and their golden findings
// (<case>.golden, beside its fixture).
func TestLayout(t *testing.T) {
	t.Parallel()
	policies := append(rules.All(), rules.Pair()...)
	names := map[string]bool{}
	for _, p := range policies {
		names[p.Name] = true
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, p.Pair, strings.HasPrefix(p.Name, "ha-pair-"), "a policy is a pair policy exactly when its name starts with ha-pair-")
			src, err := os.ReadFile(sourceOf(p))
			require.NoError(t, err, "policy %s is written in rules/%s", p.Name, sourceOf(p))
			assert.Contains(t, string(src), `= "`+p.Name+`"`, "rules/%s declares the name constant of %s", sourceOf(p), p.Name)
			for _, v := range []policytest.Verdict{policytest.Pass, policytest.Fail} {
				fs, err := filepath.Glob(filepath.Join("testdata", p.Name, string(v), "*.json"))
				require.NoError(t, err)
				assert.NotEmpty(t, fs, "policy %s has a fixture in testdata/%s/%s", p.Name, p.Name, v)
			}
		})
	}
	entries, err := os.ReadDir("testdata")
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "_") {
			continue
		}
		dir := filepath.Join("testdata", e.Name())
		if !assert.True(t, e.IsDir() && names[e.Name()], "%s is not the fixture folder of a policy of the pack", dir) {
			continue
		}
		verdicts, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, v := range verdicts {
			vdir := filepath.Join(dir, v.Name())
			if !assert.True(t, v.IsDir() && isVerdict(v.Name()), "%s is not a verdict folder (pass, fail, cannot-verify)", vdir) {
				continue
			}
			files, err := os.ReadDir(vdir)
			require.NoError(t, err)
			for _, f := range files {
				ext := filepath.Ext(f.Name())
				path := filepath.Join(vdir, f.Name())
				assert.True(t, !f.IsDir() && (ext == ".json" || ext == ".golden"), "%s is neither a fixture (.json) nor golden findings (.golden)", path)
				if ext == ".golden" {
					assert.FileExists(t, strings.TrimSuffix(path, ext)+".json", "%s pins the findings of a fixture that is gone", path)
				}
			}
		}
	}
}

func isVerdict(name string) bool {
	for _, v := range policytest.Verdicts {
		if string(v) == name {
			return true
		}
	}
	return false
}
