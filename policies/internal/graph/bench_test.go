package graph_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
)

// BenchmarkNew builds the graph of copies of the shipped topology at 1,000, 10,000 and 100,000
// resources; time and allocations per resource should stay flat.
func BenchmarkNew(b *testing.B) {
	for _, mode := range []string{"deployed", "preview"} {
		f, err := policytest.LoadFixture("../rules/testdata/_shared/ess." + mode + ".json")
		require.NoError(b, err)
		for _, n := range []int{1_000, 10_000, 100_000} {
			big := policytest.Replicate(f.Stack, (n+len(f.Stack.Resources)-1)/len(f.Stack.Resources))
			b.Run(fmt.Sprintf("%s/%d", mode, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					g := graph.New(big)
					if len(g.Subnets()) == 0 {
						b.Fatal("no subnets")
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(big.Resources)), "ns/resource")
			})
		}
	}
}
