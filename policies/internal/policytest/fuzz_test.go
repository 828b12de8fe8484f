package policytest_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/ess-ha/ess-ha/policies/internal/policytest"
)

// stateSeeds returns state files for fuzzing the readers of state: the shared fixture topologies
// written as deployments, and small hand-written ones.
func stateSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	paths, err := filepath.Glob("../rules/testdata/_shared/*.deployed.json")
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range paths {
		f, err := policytest.LoadFixture(p)
		if err != nil {
			tb.Fatal(err)
		}
		var resources []map[string]any
		for _, r := range f.Raw {
			resources = append(resources, map[string]any{
				"urn": policytest.ShortURNPrefix + r.Type + "::" + r.URN, "type": r.Type, "id": r.ID,
				"outputs": r.Properties, "dependencies": []string{},
			})
		}
		b, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"resources": resources}})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	for _, s := range []string{
		`{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:s::p::aws:ec2/subnet:Subnet::a","type":"aws:ec2/subnet:Subnet","outputs":{"availabilityZone":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"AAAA"}}}]}}`,
		`{"resources":[{"urn":"x","type":"y","delete":true}]}`,
		`{"version":3,"deployment":{"resources":[{"urn":"","type":"","outputs":{"a":{"4dabf18193072939515e22adb298388d":"unknown-sig"}}}]}}`,
		`{"version":2,"deployment":{}}`,
		`{"version":3,"deployment":{}}`,
		`null`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// FuzzLoadState reads any state file as the policy tests and tools do: LoadState must not panic, and
// must return a stack or an error.
func FuzzLoadState(f *testing.F) {
	for _, s := range stateSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, state []byte) {
		st, err := policytest.LoadState(state)
		switch {
		case err != nil && st != nil:
			t.Errorf("a stack and an error: %v", err)
		case err == nil && st == nil:
			t.Error("neither a stack nor an error")
		case err != nil && err.Error() == "":
			t.Error("an empty error")
		}
	})
}
