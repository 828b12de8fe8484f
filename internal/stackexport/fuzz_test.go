package stackexport_test

import (
	"testing"

	"github.com/ess-ha/ess-ha/internal/stackexport"
)

// stateSeeds are small state files: a stack with outputs and secrets, an export without a deployment,
// a bare deployment, and others a careless hand would write.
var stateSeeds = []string{
	`{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},"resources":[{"urn":"urn:pulumi:prod::ess-ha::pulumi:pulumi:Stack::ess-ha-prod","type":"pulumi:pulumi:Stack","outputs":{"hostedZoneId":"Z123","secret":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"\"x\""},"list":["a",{"b":1}]}}]}}`,
	`{"version":3,"deployment":{"resources":[{"urn":"urn:pulumi:prod::ess-ha::pulumi:pulumi:Stack::s","type":"pulumi:pulumi:Stack"}]}}`,
	`{"version":3,"deployment":{"resources":[{"urn":"","type":""}]}}`,
	`{"version":3}`,
	`{"version":4,"deployment":{}}`,
	`{"resources":[]}`,
	`[]`,
	``,
}

// FuzzOutputs reads any state file as the owner's plan of a member (essha plan --peer-plan):
// Outputs must not panic, and must return outputs or an error. The seeds are small state files; the
// plan of the shipped owner is read in internal/plan's TestMemberTakesThePeerPlan.
func FuzzOutputs(f *testing.F) {
	for _, s := range stateSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, state []byte) {
		outputs, err := stackexport.Outputs(state)
		switch {
		case err != nil && outputs != nil:
			t.Errorf("outputs and an error: %v", err)
		case err != nil && err.Error() == "":
			t.Error("an empty error")
		}
	})
}
