package plan_test

import (
	"context"
	"testing"

	"github.com/ess-ha/ess-ha/internal/plan"
)

// BenchmarkPlan measures one full mocked run of a shipped stack: config, program, state file, summary.
func BenchmarkPlan(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := plan.Run(ctx, plan.Options{Stack: "prod-us-east-1"}); err != nil {
			b.Fatal(err)
		}
	}
}
