package audit_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// waivers is a --policy-pack-config entry for ha-separate-pools with the given waivers.
func waivers(t *testing.T, ws ...map[string]any) map[string]plugin.AnalyzerPolicyConfig {
	t.Helper()
	list := make([]any, len(ws))
	for i, w := range ws {
		list[i] = w
	}
	// Through JSON, as a config file holds it.
	b, err := json.Marshal(list)
	require.NoError(t, err)
	var decoded []any
	require.NoError(t, json.Unmarshal(b, &decoded))
	return map[string]plugin.AnalyzerPolicyConfig{"ha-separate-pools": {Properties: map[string]any{"waivers": decoded}}}
}

func auditAsOf(t *testing.T, asOf string, cfg map[string]plugin.AnalyzerPolicyConfig, state []byte) (*report.Report, error) {
	t.Helper()
	day, err := audit.ParseAsOf(asOf)
	require.NoError(t, err)
	return audit.Run(t.Context(), audit.Options{Inputs: []audit.Input{{Name: "state.json", Data: state}}, Config: cfg, AsOf: day})
}

// TestWaivers: a waiver in force turns its findings into waived ones, listed with reason, approver
// and expiry, and the stack is compliant; on a later --as-of it has expired and the findings fail again
// with a note; a waiver matching nothing is reported.
func TestWaivers(t *testing.T) {
	t.Parallel()
	state := withBackendTaggedEss(t, planState(t, "prod-us-east-1"))
	cfg := waivers(t,
		map[string]any{"resource": "urn:pulumi:prod-us-east-1::ess-ha::*", "reason": "pools merged during the migration",
			"approvedBy": "jane@example.org", "expires": "2026-06-30"},
		map[string]any{"resource": "urn:pulumi:nowhere::*", "reason": "stale", "approvedBy": "bob@example.org", "expires": "2027-01-01"},
	)

	r, err := auditAsOf(t, "2026-06-30", cfg, state)
	require.NoError(t, err)
	assert.True(t, r.Compliant, "every mandatory finding is waived")
	assert.Equal(t, report.Waived, result(t, r, "ha-separate-pools", "prod-us-east-1").Status)
	waived := 0
	for _, f := range r.Findings {
		if f.Policy != "ha-separate-pools" {
			continue
		}
		waived++
		assert.Equal(t, report.WaivedFinding, f.Status, "never silent: listed as waived")
		require.NotNil(t, f.Waiver)
		assert.Equal(t, "pools merged during the migration", f.Waiver.Reason)
		assert.Equal(t, "jane@example.org", f.Waiver.ApprovedBy)
		assert.Equal(t, "2026-06-30", f.Waiver.Expires)
		assert.False(t, f.Waiver.Expired)
	}
	assert.Positive(t, waived)
	require.Len(t, r.Waivers, 2)
	assert.Equal(t, waived, r.Waivers[0].Matched)
	assert.Zero(t, r.Waivers[1].Matched)
	require.Len(t, r.Unmatched(), 1, "the waiver that matches nothing is reported")
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "ha-separate-pools.waivers[1]")

	r, err = auditAsOf(t, "2026-07-01", cfg, state)
	require.NoError(t, err)
	assert.False(t, r.Compliant, "an expired waiver waives nothing")
	for _, f := range r.Findings {
		if f.Policy != "ha-separate-pools" {
			continue
		}
		assert.Equal(t, report.Violation, f.Status)
		assert.Equal(t, "mandatory", f.Level, "back at its level")
		require.NotNil(t, f.Waiver)
		assert.True(t, f.Waiver.Expired)
		assert.Contains(t, f.Message, "expired on 2026-06-30")
	}
}

// TestWaiverConfigErrors: a waiver without a reason, an approver or an expiry, or with a bad date, is a
// configuration error naming the policy, the waiver and the field.
func TestWaiverConfigErrors(t *testing.T) {
	t.Parallel()
	state := planState(t, "prod-us-east-1")
	full := map[string]any{"resource": "urn:*", "reason": "r", "approvedBy": "a", "expires": "2026-06-30"}
	for field, want := range map[string]string{
		"reason": "reason is missing", "approvedBy": "approvedBy is missing", "expires": "expires is missing", "resource": "resource is missing",
	} {
		w := map[string]any{}
		for k, v := range full {
			if k != field {
				w[k] = v
			}
		}
		_, err := auditAsOf(t, "2026-06-01", waivers(t, w), state)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), "ha-separate-pools: waivers[0]: "+want)
	}
	bad := map[string]any{"resource": "urn:*", "reason": "r", "approvedBy": "a", "expires": "2026-02-30"}
	_, err := auditAsOf(t, "2026-06-01", waivers(t, bad), state)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `waivers[0]: expires "2026-02-30" is not a date`)
}

// TestAsOfDefaultsToToday: without --as-of, waivers are judged as of today.
func TestAsOfDefaultsToToday(t *testing.T) {
	t.Parallel()
	state := withBackendTaggedEss(t, planState(t, "prod-us-east-1"))
	cfg := waivers(t, map[string]any{"resource": "urn:*", "reason": "r", "approvedBy": "a",
		"expires": time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")})
	r, err := audit.Run(t.Context(), audit.Options{Inputs: []audit.Input{{Name: "s", Data: state}}, Config: cfg})
	require.NoError(t, err)
	assert.True(t, r.Compliant)
	assert.Equal(t, time.Now().UTC().Format("2006-01-02"), r.AsOf)
}
