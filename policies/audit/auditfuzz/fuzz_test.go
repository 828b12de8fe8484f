package auditfuzz_test

import (
	"strings"
	"testing"

	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

// FuzzRun audits any state file: it must give a report or an error, never panic, and no policy may
// fail on what the file holds (a failing policy is an error naming it, which the audit reports). The
// seeds are a generated state of every resource type the policies check (as the shipped plans hold
// them: policies/audit's tests audit those) and small state files.
func FuzzRun(f *testing.F) {
	mix, err := synth.NewMix(synth.MixCellSize).StateJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(mix)
	for _, s := range []string{
		`{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},"resources":[{"urn":"urn:pulumi:prod::ess-ha::pulumi:pulumi:Stack::ess-ha-prod","type":"pulumi:pulumi:Stack","custom":false}]}}`,
		`{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},"resources":[{"urn":"urn:pulumi:prod::ess-ha::aws:ec2/subnet:Subnet::a","type":"aws:ec2/subnet:Subnet","custom":true,"id":"subnet-1","outputs":{"availabilityZone":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"\"us-east-1a\""}}}]}}`,
		`{"version":3,"deployment":{}}`,
		`{"version":3}`,
		`{}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, state []byte) {
		report, err := audit.Run(t.Context(), audit.Options{Inputs: []audit.Input{{Name: "fuzz.json", Data: append([]byte{}, state...)}}})
		switch {
		case err != nil && report != nil:
			t.Errorf("a report and an error: %v", err)
		case err == nil && report == nil:
			t.Error("neither a report nor an error")
		case err != nil && (err.Error() == "" || strings.Contains(err.Error(), "panic")):
			t.Errorf("a policy failed, or an empty error: %v", err)
		}
	})
}
