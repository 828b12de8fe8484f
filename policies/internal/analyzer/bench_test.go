package analyzer

import (
	"context"
	"fmt"
	"testing"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

// benchSizes are the synthetic stack sizes of the AnalyzeStack benchmarks.
var benchSizes = []int{1_000, 10_000, 100_000}

// noopStackPolicy makes AnalyzeStack decode the stack without checking anything: the transport's own
// cost.
var noopStackPolicy = policy.Policy{
	Name: "noop", DefaultLevel: policy.Mandatory,
	CheckStack: func(context.Context, *policy.Stack, policy.Args) []policy.Violation { return nil },
}

// benchmarkAnalyzeStack times AnalyzeStack, as the engine calls it, on synthetic stacks of each size.
// Besides ns/op it reports ns/resource, which stays flat when the cost grows linearly, and cpu-ns/op, the
// process's CPU time per call (user and system, every goroutine and the garbage collector): divided by
// ns/op, how many processors the call kept busy.
func benchmarkAnalyzeStack(b *testing.B, policies []policy.Policy) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			req, err := synth.New(n).AnalyzeStackRequest()
			if err != nil {
				b.Fatal(err)
			}
			srv, err := New(Pack{Name: "bench", Version: "0.1.0", Policies: policies})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			for b.Loop() {
				if _, err := srv.AnalyzeStack(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			cpu = processCPU() - cpu
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/resource")
			if cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkAnalyzeStackTransport measures decoding the stack (properties, parents, dependencies,
// property dependencies) with one stack policy that checks nothing.
func BenchmarkAnalyzeStackTransport(b *testing.B) {
	benchmarkAnalyzeStack(b, []policy.Policy{noopStackPolicy})
}

// BenchmarkAnalyzeStack measures AnalyzeStack with every policy of the ess-ha pack.
func BenchmarkAnalyzeStack(b *testing.B) {
	benchmarkAnalyzeStack(b, rules.All())
}

// TestSyntheticStackIsCompliant checks that the benchmarks' synthetic stacks pass every rule, so that
// they time the common case rather than the formatting of violations.
func TestSyntheticStackIsCompliant(t *testing.T) {
	t.Parallel()
	req, err := synth.New(1_000).AnalyzeStackRequest()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Pack{Name: "bench", Version: "0.1.0", Policies: rules.All()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.AnalyzeStack(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.GetDiagnostics() {
		t.Errorf("%s (%s) on %s: %s", d.GetPolicyName(), d.GetEnforcementLevel(), d.GetUrn(), d.GetMessage())
	}
}
