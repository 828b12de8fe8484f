package plan_test

import (
	"context"
	"testing"

	"github.com/ess-ha/ess-ha/internal/plan"
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

// FuzzStackOutputs reads any state file as the owner's plan of a member (essha plan --peer-plan):
// StackOutputs must not panic, and must return outputs or an error. The seeds are the plan of the
// shipped owner and small state files.
func FuzzStackOutputs(f *testing.F) {
	res, err := plan.Run(context.Background(), plan.Options{Stack: "prod-us-east-1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(res.State)
	for _, s := range stateSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, state []byte) {
		outputs, err := plan.StackOutputs(context.Background(), state)
		switch {
		case err != nil && outputs != nil:
			t.Errorf("outputs and an error: %v", err)
		case err != nil && err.Error() == "":
			t.Error("an empty error")
		}
	})
}
