package synth

import (
	"os"
	"testing"
)

// TestWriteFiles writes generated state files for whole-command benchmarks when SYNTH_OUT is set:
// SYNTH_OUT=/tmp go test ./policies/internal/synth -run TestWriteFiles
func TestWriteFiles(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("SYNTH_OUT")
	if dir == "" {
		t.Skip("set SYNTH_OUT to a directory to write the generated state files")
	}
	for name, s := range map[string]*Stack{
		"mix-4000.json":          NewMix(4000),
		"synth-100000.json":      New(100_000),
		"synth-100000-same.json": New(100_000).WithRepeatedIDs(),
		"synth-20000-same.json":  New(20_000).WithRepeatedIDs(),
	} {
		b, err := s.StateJSON()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
