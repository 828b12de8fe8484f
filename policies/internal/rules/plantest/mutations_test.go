package plantest

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/images"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// ofType returns the resources of a type.
func ofType(st *policy.Stack, typ string) []*policy.Resource {
	var out []*policy.Resource
	for _, r := range st.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// poolGroup returns the auto-scaling group tagged pool=<pool>.
func poolGroup(t *testing.T, st *policy.Stack, pool string) *policy.Resource {
	t.Helper()
	for _, r := range ofType(st, graph.TypeAutoscalingGroup) {
		for _, tag := range graph.Prop(r, "tags").Items() {
			if k, _ := tag.Get("key").Str(); k == "pool" {
				if v, _ := tag.Get("value").Str(); v == pool {
					return r
				}
			}
		}
	}
	t.Fatalf("no group tagged pool=%s", pool)
	return nil
}

// TestMutatedPlansFail breaks the plan of a shipped stack once per seed recommendation, the way the
// pack's end-to-end test does with the CLI, and checks that the right policy reports it, in deployed
// state and in the preview derived from it.
func TestMutatedPlansFail(t *testing.T) {
	t.Parallel()
	res, err := plan.Run(t.Context(), plan.Options{Stack: "prod-us-east-1"})
	require.NoError(t, err)
	str := resource.NewStringProperty
	cases := []struct {
		name   string
		policy string
		mutate func(t *testing.T, st *policy.Stack)
		expect string
	}{
		{"a single AZ", rules.MinAvailabilityZones, func(t *testing.T, st *policy.Stack) {
			for _, s := range ofType(st, graph.TypeSubnet) {
				s.Properties["availabilityZone"] = str("us-east-1a")
				s.Properties["availabilityZoneId"] = str("use1-az1")
			}
		}, "fewer than the 2 required"},
		{"an auto-scaling group in public subnets", rules.PublicSubnetsLBOnly, func(t *testing.T, st *policy.Stack) {
			g := graph.New(st)
			var ids []resource.PropertyValue
			var urns []resource.URN
			for _, s := range g.Subnets() {
				if s.Public == graph.Yes {
					ids = append(ids, str(graph.ID(s.Resource)))
					urns = append(urns, s.Resource.URN)
				}
			}
			require.NotEmpty(t, ids)
			asg := poolGroup(t, st, "ess")
			asg.Properties["vpcZoneIdentifiers"] = resource.NewArrayProperty(ids)
			asg.PropertyDependencies.Set("vpcZoneIdentifiers", urns)
		}, "public subnet"},
		{"a single-AZ database", rules.RdsMultiAZ, func(t *testing.T, st *policy.Stack) {
			members := ofType(st, graph.TypeRdsClusterInstance)
			require.Len(t, members, 2)
			for i, r := range st.Resources {
				if r == members[1] {
					st.Resources = append(st.Resources[:i], st.Resources[i+1:]...)
					break
				}
			}
		}, "has 1 instance"},
		{"an image from Docker Hub", rules.PrivateRegistry, func(t *testing.T, st *policy.Stack) {
			// The ess group names its template in launchTemplate or in mixedInstancesPolicy: follow either.
			tpls := graph.New(st).TemplatesOf(poolGroup(t, st, "ess")).Resources
			require.NotEmpty(t, tpls, "the ess group's launch template")
			lt := tpls[0]
			s, _ := graph.Prop(lt, "userData").Str()
			script := images.DecodeUserData(s)
			img := images.Extract(script)[0].Ref
			script = strings.ReplaceAll(script, img, "docker.io/inrupt/ess-ldp:2.3.1")
			lt.Properties["userData"] = str(base64.StdEncoding.EncodeToString([]byte(script)))
		}, "Docker Hub"},
		{"one group serving both pools", rules.SeparatePools, func(t *testing.T, st *policy.Stack) {
			backend := poolGroup(t, st, "backend")
			ess := poolGroup(t, st, "ess")
			tags := append(ess.Properties["tags"].ArrayValue(), resource.NewObjectProperty(resource.PropertyMap{
				"key": str("pool"), "value": str("backend"), "propagateAtLaunch": resource.NewBoolProperty(true),
			}))
			ess.Properties["tags"] = resource.NewArrayProperty(tags)
			for i, r := range st.Resources {
				if r == backend {
					st.Resources = append(st.Resources[:i], st.Resources[i+1:]...)
					break
				}
			}
		}, "serves both pools"},
	}
	all := rules.All()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := policytest.LoadState(res.State)
			require.NoError(t, err)
			c.mutate(t, st)
			i := -1
			for j, p := range all {
				if p.Name == c.policy {
					i = j
				}
			}
			require.GreaterOrEqual(t, i, 0)
			p := all[i]
			cfg, err := policytest.Config(p, nil)
			require.NoError(t, err)
			for _, mode := range []struct {
				name  string
				stack *policy.Stack
			}{{"deployed", st}, {"deployed without IDs", policytest.WithoutIDs(st)}, {"preview", policytest.ToPreview(st)}} {
				vs, err := policytest.Run(t.Context(), p, mode.stack, policy.Args{Config: cfg, DryRun: mode.name == "preview"})
				require.NoError(t, err)
				blocking, _ := policytest.Split(vs)
				require.NotEmpty(t, blocking, "%s (%s) reports nothing", p.Name, mode.name)
				assert.Contains(t, policytest.Format(blocking), c.expect)
				t.Logf("%s (%s):\n%s", p.Name, mode.name, policytest.Format(blocking))
			}
		})
	}
}
