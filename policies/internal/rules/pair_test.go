package rules_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// TestPairFixtures runs every pair policy on its fixtures (each holds both stacks of a pair, told apart
// by their URNs): the shipped pair passes, each fail fixture fails with the expected message; and run on
// either stack alone, as during a preview, a pair policy finds nothing.
func TestPairFixtures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, p := range rules.Pair() {
		t.Run(p.Name, func(t *testing.T) {
			require.True(t, p.Pair)
			byVerdict := fixtures(t, p.Name)
			assert.NotEmpty(t, byVerdict[policytest.Pass], "testdata/%s/pass", p.Name)
			assert.NotEmpty(t, byVerdict[policytest.Fail], "testdata/%s/fail", p.Name)
			for _, v := range policytest.Verdicts {
				for _, f := range byVerdict[v] {
					t.Run(string(v)+"/"+filepath.Base(f.Path), func(t *testing.T) {
						vs, err := policytest.RunFixture(ctx, p, f)
						require.NoError(t, err)
						t.Logf("%s:\n%s", f.Description, policytest.Format(vs))
						for _, problem := range policytest.Check(f, vs) {
							t.Errorf("%s (%s): %s", f.Path, f.Description, problem)
						}
						checkGolden(t, p, f, vs)
						for _, x := range vs {
							if !x.CannotVerify {
								assert.Contains(t, x.Message, "Fix: ")
							}
							assert.Contains(t, x.Message, "Enforces ")
						}
						for _, stack := range []string{"prod-us-east-1", "prod-us-west-2"} {
							one := &policy.Stack{}
							for _, r := range f.Stack.Resources {
								if string(r.URN.Stack()) == stack {
									one.Resources = append(one.Resources, r)
								}
							}
							alone, err := policytest.Run(ctx, p, one, policy.Args{Config: map[string]any{}})
							require.NoError(t, err)
							assert.Empty(t, alone, "on %s alone the pair policy finds nothing", stack)
						}
					})
				}
			}
		})
	}
}
