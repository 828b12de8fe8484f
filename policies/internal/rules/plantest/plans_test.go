package plantest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/pool"
	regioncomp "github.com/ess-ha/ess-ha/components/region"
	"github.com/ess-ha/ess-ha/internal/config"
	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/internal/images"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// shippedStacks are the stacks whose configuration ships with the project.
var shippedStacks = []string{"prod-us-east-1", "prod-us-west-2"}

// TestShippedPlansPass runs every policy, at its default configuration, on the offline plan of each
// shipped stack, as deployed state and as the preview derived from it: no policy may report a violation.
// Cannot-verify findings are logged.
func TestShippedPlansPass(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, stack := range shippedStacks {
		t.Run(stack, func(t *testing.T) {
			res, err := plan.Run(ctx, plan.Options{Stack: stack})
			require.NoError(t, err)
			st, err := policytest.LoadState(res.State)
			require.NoError(t, err)
			require.NotEmpty(t, st.Resources)
			for _, mode := range []struct {
				name  string
				stack *policy.Stack
			}{{"deployed", st}, {"deployed without IDs", policytest.WithoutIDs(st)}, {"preview", policytest.ToPreview(st)}} {
				for _, p := range rules.All() {
					cfg, err := policytest.Config(p, nil)
					require.NoError(t, err)
					vs, err := policytest.Run(ctx, p, mode.stack, policy.Args{Config: cfg, DryRun: mode.name == "preview"})
					require.NoError(t, err)
					blocking, unverified := policytest.Split(vs)
					assert.Empty(t, blocking, "%s (%s) reports violations on the plan of %s:\n%s", p.Name, mode.name, stack, policytest.Format(blocking))
					if len(unverified) > 0 {
						t.Logf("%s (%s): %d cannot-verify findings:\n%s", p.Name, mode.name, len(unverified), policytest.Format(unverified))
					}
				}
			}
		})
	}
}

// TestPoolUserDataImages checks that the extractor finds every image the pools' generated user data runs,
// each from the region's private ECR registry.
func TestPoolUserDataImages(t *testing.T) {
	t.Parallel()
	const region = "us-east-1"
	cfg := config.Defaults()
	for _, p := range []config.Pool{cfg.EssPool, cfg.BackendPool} {
		urls := map[string]string{}
		logs := map[string]string{}
		for _, c := range p.Containers {
			urls[c.Repository] = fmt.Sprintf("123456789012.dkr.ecr.%s.amazonaws.com/%s", region, c.Repository)
			logs[c.Name] = "/ess-ha/" + c.Name
		}
		script, err := pool.UserData(region, regioncomp.PoolContainers(p.Containers), urls, logs, "/ess-ha/test/")
		require.NoError(t, err)
		refs := images.Extract(script)
		want := map[string]bool{}
		for _, c := range p.Containers {
			want[urls[c.Repository]+":"+c.Tag] = true
		}
		got := map[string]bool{}
		for _, img := range refs {
			assert.Empty(t, img.Unresolved, "image %s on line %d", img.Ref, img.Line)
			reg := images.Classify(img.Ref)
			assert.True(t, reg.PrivateECR, "%s", img.Ref)
			assert.Equal(t, "123456789012", reg.Account)
			got[img.Ref] = true
		}
		assert.Equal(t, want, got)
	}
}
