package rules_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/images"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

var nameRe = regexp.MustCompile(`^ha-[a-z0-9-]+$`)

// seed are the five recommendations of the pack's issue, mandatory by default.
var seed = []string{"ha-min-availability-zones", "ha-public-subnets-lb-only", "ha-rds-multi-az", "ha-private-registry", "ha-separate-pools"}

// TestCatalog checks what every policy declares.
func TestCatalog(t *testing.T) {
	t.Parallel()
	all := rules.All()
	seen := map[string]bool{}
	for _, p := range all {
		t.Run(p.Name, func(t *testing.T) {
			assert.Regexp(t, nameRe, p.Name)
			assert.False(t, seen[p.Name], "duplicate name")
			seen[p.Name] = true
			assert.NotEmpty(t, p.Description)
			assert.NotEmpty(t, p.Recommendation)
			assert.Regexp(t, `Inrupt ESS "High Availability Architecture", section "|AsurionID multi-region article, "`, p.Recommendation,
				"the recommendation names a document and a section")
			assert.Contains(t, []policy.Level{policy.Advisory, policy.Mandatory}, p.DefaultLevel)
			assert.True(t, (p.CheckResource == nil) != (p.CheckStack == nil), "exactly one of CheckResource and CheckStack")
			if p.Remediate != nil {
				assert.NotNil(t, p.CheckResource, "remediations run on resources")
			}
			_, err := policytest.Config(p, nil)
			assert.NoError(t, err, "the schema's defaults validate")
			if p.Schema != nil {
				for k, v := range p.Schema.Properties {
					assert.Contains(t, v, "default", "property %s has a default", k)
					assert.Contains(t, v, "description", "property %s has a description", k)
				}
			}
		})
	}
	for _, name := range seed {
		i := slices.IndexFunc(all, func(p policy.Policy) bool { return p.Name == name })
		require.GreaterOrEqual(t, i, 0, "seed policy %s", name)
		assert.Equal(t, policy.Mandatory, all[i].DefaultLevel, name)
	}
	// The order is stable.
	again := rules.All()
	for i := range all {
		assert.Equal(t, all[i].Name, again[i].Name)
	}
}

// fixtures loads a policy's fixtures by verdict.
func fixtures(t *testing.T, name string) map[policytest.Verdict][]*policytest.Fixture {
	t.Helper()
	out := map[policytest.Verdict][]*policytest.Fixture{}
	for _, v := range policytest.Verdicts {
		fs, err := policytest.LoadFixtures(filepath.Join("testdata", name, string(v)))
		require.NoError(t, err)
		out[v] = fs
	}
	return out
}

// TestFixtures runs every policy on its fixtures: pass fixtures give no violation, fail fixtures at least
// one, cannot-verify fixtures only cannot-verify findings; every expected substring appears; and the
// findings are exactly those pinned in the fixture's golden file (-update rewrites them). A policy
// without a pass or a fail fixture fails the test.
func TestFixtures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, p := range rules.All() {
		t.Run(p.Name, func(t *testing.T) {
			byVerdict := fixtures(t, p.Name)
			assert.NotEmpty(t, byVerdict[policytest.Pass], "the policy has no pass fixture in testdata/%s/pass", p.Name)
			assert.NotEmpty(t, byVerdict[policytest.Fail], "the policy has no fail fixture in testdata/%s/fail", p.Name)
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
							assert.NotContains(t, x.Message, "%!", "a formatting error in %q", x.Message)
							if !x.CannotVerify {
								assert.Contains(t, x.Message, "Fix: ", "the message says what to change")
							}
							assert.Contains(t, x.Message, "Enforces ", "the message names the recommendation")
						}
					})
				}
			}
		})
	}
}

// blockingURNs returns the sorted URNs of the violations that block ("" for the stack).
func blockingURNs(vs []policy.Violation) []string {
	var out []string
	for _, v := range vs {
		if !v.CannotVerify {
			out = append(out, string(v.URN))
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestPreviewAndDeployedAgree proves that the relationship checks give the same verdict during a preview
// (no IDs, references only through property dependencies) as on deployed state: for every pair of
// <case>.preview.json and <case>.deployed.json fixtures, for every deployed fixture against the preview
// derived from it (policytest.ToPreview), and against itself without IDs (policytest.WithoutIDs: the
// Analyzer protocol carries no IDs), the resources found at fault are the same.
func TestPreviewAndDeployedAgree(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, p := range rules.All() {
		t.Run(p.Name, func(t *testing.T) {
			byVerdict := fixtures(t, p.Name)
			previews := 0
			for _, v := range []policytest.Verdict{policytest.Pass, policytest.Fail} {
				byPath := map[string]*policytest.Fixture{}
				for _, f := range byVerdict[v] {
					byPath[f.Path] = f
					if f.DryRun {
						previews++
					}
				}
				for _, f := range byVerdict[v] {
					if f.DryRun {
						continue
					}
					deployed, err := policytest.RunFixture(ctx, p, f)
					require.NoError(t, err)
					want := blockingURNs(deployed)
					if pf := byPath[strings.TrimSuffix(f.Path, ".deployed.json")+".preview.json"]; pf != nil {
						got, err := policytest.RunFixture(ctx, p, pf)
						require.NoError(t, err)
						assert.Equal(t, want, blockingURNs(got), "%s and its preview fixture disagree:\ndeployed:\n%s\npreview:\n%s",
							f.Path, policytest.Format(deployed), policytest.Format(got))
					}
					derived := *f
					derived.Stack = policytest.ToPreview(f.Stack)
					derived.DryRun = true
					got, err := policytest.RunFixture(ctx, p, &derived)
					require.NoError(t, err)
					assert.Equal(t, want, blockingURNs(got), "%s and the preview derived from it disagree:\ndeployed:\n%s\npreview:\n%s",
						f.Path, policytest.Format(deployed), policytest.Format(got))
					noIDs := *f
					noIDs.Stack = policytest.WithoutIDs(f.Stack)
					got, err = policytest.RunFixture(ctx, p, &noIDs)
					require.NoError(t, err)
					assert.Equal(t, want, blockingURNs(got), "%s disagrees with itself without IDs (as the Analyzer protocol sends it):\nwith:\n%s\nwithout:\n%s",
						f.Path, policytest.Format(deployed), policytest.Format(got))
				}
			}
			if p.CheckStack != nil {
				assert.Positive(t, previews, "a stack policy has preview fixtures")
			}
		})
	}
}

// secretsIn collects the plaintext strings held inside secrets.
func secretsIn(v resource.PropertyValue, inSecret bool, out map[string]bool) {
	switch {
	case v.IsSecret():
		secretsIn(v.SecretValue().Element, true, out)
	case v.IsOutput():
		secretsIn(v.OutputValue().Element, inSecret || v.OutputValue().Secret, out)
	case v.IsString() && inSecret:
		s := v.StringValue()
		out[s] = true
		if dec := images.DecodeUserData(s); dec != s {
			for _, img := range images.Extract(dec) {
				out[img.Ref] = true
			}
		}
	case v.IsNumber() && inSecret && v.NumberValue() > 9:
		out[graph.Show(resource.NewNumberProperty(v.NumberValue()))] = true
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			secretsIn(e, inSecret, out)
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			secretsIn(e, inSecret, out)
		}
	}
}

// TestSecretsNeverPrinted runs every policy on every fixture, and on a stack with secrets wherever a
// message could print a value, and checks that no message contains a secret's plaintext.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var all []*policytest.Fixture
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(path) != ".json" || strings.Contains(path, "_shared") {
			return nil
		}
		f, err := policytest.LoadFixture(path)
		if err != nil {
			return err
		}
		all = append(all, f)
		return nil
	})
	require.NoError(t, err)
	secretFixture := slices.IndexFunc(all, func(f *policytest.Fixture) bool { return strings.Contains(f.Path, "_secrets") })
	require.GreaterOrEqual(t, secretFixture, 0, "testdata/_secrets has the secrets fixture")
	reported := 0
	for _, f := range all {
		plain := map[string]bool{}
		for _, r := range f.Stack.Resources {
			secretsIn(resource.NewObjectProperty(r.Properties), false, plain)
		}
		if len(plain) == 0 {
			continue
		}
		for _, p := range rules.All() {
			f.Config = nil // the secrets fixture runs every policy with its defaults
			vs, err := policytest.RunFixture(ctx, p, f)
			require.NoError(t, err)
			for _, v := range vs {
				if strings.Contains(f.Path, "_secrets") {
					reported++
				}
				for s := range plain {
					if len(s) >= 4 {
						assert.NotContains(t, v.Message, s, "%s: %s prints a secret", f.Path, p.Name)
					}
				}
			}
		}
	}
	assert.Positive(t, reported, "the secrets fixture makes policies report findings about its secret values")
}
