package waiver

import (
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGlob(t *testing.T) {
	t.Parallel()
	urn := "urn:pulumi:prod::ess-ha::ess-ha:pool:Pool$aws:autoscaling/group:Group::ess-asg"
	for pattern, want := range map[string]bool{
		urn: true, "urn:pulumi:prod::*": true, "*::ess-asg": true, "*aws:autoscaling/group:Group*": true,
		"urn:pulumi:prod::ess-ha::*::ess-as?": true, "urn:pulumi:dev::*": false, "*::ess": false, "": false, "*": true,
	} {
		assert.Equal(t, want, Glob(pattern, urn), pattern)
	}
}

func TestParseAndJudge(t *testing.T) {
	t.Parallel()
	ws, err := Parse("p", []any{
		map[string]any{"resource": "urn:a*", "reason": "r1", "approvedBy": "x", "expires": "2026-06-30"},
		map[string]any{"resource": "urn:ab", "reason": "r2", "approvedBy": "y", "expires": "2026-01-31"},
	})
	require.NoError(t, err)
	day := func(s string) time.Time { d, _ := time.Parse(DateLayout, s); return d.Add(23 * time.Hour) }
	outcome, w := Judge(ws, resource.URN("urn:ab"), day("2026-06-30"))
	assert.Equal(t, Waived, outcome, "in force through its expiry day")
	assert.Equal(t, "r1", w.Reason)
	outcome, w = Judge(ws, resource.URN("urn:ab"), day("2026-07-01"))
	assert.Equal(t, Expired, outcome)
	assert.Equal(t, "r1", w.Reason, "the waiver that expired last")
	outcome, _ = Judge(ws, resource.URN("urn:zz"), day("2026-01-01"))
	assert.Equal(t, None, outcome)

	for _, c := range []struct {
		v    any
		want string
	}{
		{"not a list", "p: waivers: want a list of waivers, got a string"},
		{[]any{"x"}, "p: waivers[0]: want an object"},
		{[]any{map[string]any{}}, "p: waivers[0]: resource is missing"},
		{[]any{map[string]any{"resource": "u", "reason": "", "approvedBy": "a", "expires": "2026-01-01"}}, "reason must be a non-empty string"},
		{[]any{map[string]any{"resource": "u", "reason": "r", "approvedBy": "a", "expires": "tomorrow"}}, `expires "tomorrow" is not a date`},
		{[]any{map[string]any{"resource": "u", "reason": "r", "approvedBy": "a", "expires": "2026-01-01", "by": "me"}}, `unknown field "by"`},
	} {
		v, want := c.v, c.want
		_, err := Parse("p", v)
		require.Error(t, err)
		assert.Contains(t, err.Error(), want)
	}
}
