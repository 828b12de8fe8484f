package audit_test

import (
	"fmt"
	"testing"

	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

// BenchmarkAudit audits generated state files of the reference mix (46 AWS types, about 3.2 KB a
// resource: 4,000 resources make 13 MB), from their bytes to the report.
func BenchmarkAudit(b *testing.B) {
	for _, n := range []int{4_000, 100_000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			data, err := synth.NewMix(n).StateJSON()
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := audit.Run(b.Context(), audit.Options{Inputs: []audit.Input{{Name: "mix.json", Data: data}}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
