package rules_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// BenchmarkAll runs every policy of the pack (stack policies once, resource policies on every resource)
// on copies of the shipped topology, at 1,000, 10,000 and 100,000 resources, in deployed state and in
// preview. Time per resource should stay flat as the stack grows.
func BenchmarkAll(b *testing.B) {
	for _, mode := range []string{"deployed", "preview"} {
		f, err := policytest.LoadFixture("testdata/_shared/ess." + mode + ".json")
		require.NoError(b, err)
		for _, n := range []int{1_000, 10_000, 100_000} {
			big := policytest.Replicate(f.Stack, (n+len(f.Stack.Resources)-1)/len(f.Stack.Resources))
			all := rules.All()
			cfgs := make([]map[string]any, len(all))
			for i, p := range all {
				cfgs[i], err = policytest.Config(p, nil)
				require.NoError(b, err)
			}
			b.Run(fmt.Sprintf("%s/%d", mode, n), func(b *testing.B) {
				ctx := b.Context()
				b.ReportAllocs()
				for b.Loop() {
					st := &policy.Stack{Resources: big.Resources} // a fresh stack: the graph is built each time
					for i, p := range all {
						if _, err := policytest.Run(ctx, p, st, policy.Args{Config: cfgs[i], DryRun: mode == "preview"}); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(big.Resources)), "ns/resource")
			})
		}
	}
}
