package state_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ess-ha/ess-ha/policies/audit/state"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

// BenchmarkReadFile reads and decodes generated state files of the reference mix from disk, as
// `essha audit --file` does, at 4,000 resources (13 MB) and 100,000 resources (327 MB).
func BenchmarkReadFile(b *testing.B) {
	for _, n := range []int{4_000, 100_000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			data, err := synth.NewMix(n).StateJSON()
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(b.TempDir(), "mix.json")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := state.ReadFile(b.Context(), path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
