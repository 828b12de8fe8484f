package plantest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// Types of the multi-region resources the mutations change.
const (
	typeHealthCheck    = "aws:route53/healthCheck:HealthCheck"
	typeEcrReplication = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
)

// weightedRecords returns the records with weighted routing.
func weightedRecords(st *policy.Stack) []*policy.Resource {
	var out []*policy.Resource
	for _, r := range ofType(st, graph.TypeRoute53Record) {
		if len(graph.Prop(r, "weightedRoutingPolicies").Items()) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// drainCheck returns the health check of the drain object.
func drainCheck(t *testing.T, st *policy.Stack) *policy.Resource {
	t.Helper()
	for _, hc := range ofType(st, typeHealthCheck) {
		if b, _ := graph.Prop(hc, "invertHealthcheck").Bool(); b {
			return hc
		}
	}
	t.Fatal("no inverted health check")
	return nil
}

// multiRegionPolicies are the policies of the AsurionID multi-region recommendations.
var multiRegionPolicies = []string{
	rules.WeightedRecordsHealthChecked, rules.DrainCheckInverted, rules.GlobalDatabaseMember, rules.RegistryReplicated,
}

// TestMultiRegionPoliciesApply checks that the shipped stacks count as regions of an active-active pair:
// with config multiRegion false the multi-region policies have nothing to say about a plan broken for
// each of them, so what they report on the plans (see TestMultiRegionMutationsFail) comes from inference.
func TestMultiRegionPoliciesApply(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for _, stack := range shippedStacks {
		res, err := plan.Run(ctx, plan.Options{Stack: stack})
		require.NoError(t, err)
		st, err := policytest.LoadState(res.State)
		require.NoError(t, err)
		assert.NotEmpty(t, weightedRecords(st), stack)
		assert.Len(t, ofType(st, typeEcrReplication), 1, stack)
		for _, c := range ofType(st, graph.TypeRdsCluster) {
			delete(c.Properties, "globalClusterIdentifier")
		}
		for _, p := range rules.All() {
			if p.Name != rules.GlobalDatabaseMember {
				continue
			}
			for _, setting := range []struct {
				value any
				fails bool
			}{{nil, true}, {"infer", true}, {true, true}, {false, false}} {
				var props map[string]any
				if setting.value != nil {
					props = map[string]any{"multiRegion": setting.value}
				}
				cfg, err := policytest.Config(p, props)
				require.NoError(t, err)
				vs, err := policytest.Run(ctx, p, st, policy.Args{Config: cfg})
				require.NoError(t, err)
				blocking, _ := policytest.Split(vs)
				assert.Equal(t, setting.fails, len(blocking) > 0, "%s with multiRegion %v:\n%s", stack, setting.value, policytest.Format(vs))
			}
		}
	}
}

// TestMultiRegionMutationsFail breaks the plan of the secondary region once per multi-region
// recommendation, the way the pack's end-to-end test does with the CLI, and checks that the right policy
// reports it, in deployed state, without IDs and in the preview derived from it.
func TestMultiRegionMutationsFail(t *testing.T) {
	t.Parallel()
	res, err := plan.Run(t.Context(), plan.Options{Stack: "prod-us-west-2"})
	require.NoError(t, err)
	cases := []struct {
		name   string
		policy string
		mutate func(t *testing.T, st *policy.Stack)
		expect string
	}{
		{"a weighted record without a health check", rules.WeightedRecordsHealthChecked, func(t *testing.T, st *policy.Stack) {
			recs := weightedRecords(st)
			require.NotEmpty(t, recs)
			delete(recs[0].Properties, "healthCheckId")
			recs[0].PropertyDependencies.Delete("healthCheckId")
		}, "has no health check"},
		{"a drain check that is not inverted", rules.DrainCheckInverted, func(t *testing.T, st *policy.Stack) {
			drainCheck(t, st).Properties["invertHealthcheck"] = resource.NewBoolProperty(false)
		}, "is not inverted"},
		{"the secondary outside the global database", rules.GlobalDatabaseMember, func(t *testing.T, st *policy.Stack) {
			clusters := ofType(st, graph.TypeRdsCluster)
			require.Len(t, clusters, 1)
			delete(clusters[0].Properties, "globalClusterIdentifier")
			clusters[0].PropertyDependencies.Delete("globalClusterIdentifier")
		}, "not a member of a global database"},
		{"the registry replicated to its own region", rules.RegistryReplicated, func(t *testing.T, st *policy.Stack) {
			cfgs := ofType(st, typeEcrReplication)
			require.Len(t, cfgs, 1)
			rulesV := cfgs[0].Properties["replicationConfiguration"].ObjectValue()["rules"].ArrayValue()
			for _, r := range rulesV {
				for _, d := range r.ObjectValue()["destinations"].ArrayValue() {
					d.ObjectValue()["region"] = resource.NewStringProperty("us-west-2")
				}
			}
		}, "no replication rule has a destination in another region"},
	}
	all := rules.All()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := policytest.LoadState(res.State)
			require.NoError(t, err)
			c.mutate(t, st)
			var p *policy.Policy
			for i := range all {
				if all[i].Name == c.policy {
					p = &all[i]
				}
			}
			require.NotNil(t, p)
			cfg, err := policytest.Config(*p, nil)
			require.NoError(t, err)
			for _, mode := range []struct {
				name  string
				stack *policy.Stack
			}{{"deployed", st}, {"deployed without IDs", policytest.WithoutIDs(st)}, {"preview", policytest.ToPreview(st)}} {
				vs, err := policytest.Run(t.Context(), *p, mode.stack, policy.Args{Config: cfg, DryRun: mode.name == "preview"})
				require.NoError(t, err)
				blocking, _ := policytest.Split(vs)
				require.NotEmpty(t, blocking, "%s (%s) reports nothing:\n%s", p.Name, mode.name, policytest.Format(vs))
				assert.Contains(t, policytest.Format(blocking), c.expect)
				t.Logf("%s (%s):\n%s", p.Name, mode.name, policytest.Format(blocking))
			}
			// Among the multi-region policies, only the one of the broken recommendation reports it.
			for _, q := range all {
				if q.Name == c.policy || !containsName(multiRegionPolicies, q.Name) {
					continue
				}
				qcfg, err := policytest.Config(q, nil)
				require.NoError(t, err)
				vs, err := policytest.Run(t.Context(), q, st, policy.Args{Config: qcfg})
				require.NoError(t, err)
				blocking, _ := policytest.Split(vs)
				assert.Empty(t, blocking, "%s also reports %s:\n%s", q.Name, c.name, policytest.Format(blocking))
			}
		})
	}
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
