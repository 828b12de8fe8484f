package failover

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
)

func TestVerdict(t *testing.T) {
	obs := func(n, seeing int) []CheckerAnswer {
		var out []CheckerAnswer
		for _, o := range fakeaws.Answers(n, seeing) {
			out = append(out, CheckerAnswer{Region: o.Region, IP: o.IP, Status: o.Status})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		check DrainCheck
		want  Verdict
	}{
		{"every checker sees the object", DrainCheck{Inverted: true, Answers: obs(16, 16)}, Verdict{Seeing: 16, Total: 16, Known: true, Drained: true}},
		{"none does", DrainCheck{Inverted: true, Answers: obs(16, 0)}, Verdict{Seeing: 0, Total: 16, Known: true, Drained: false}},
		{"3 of 16 is more than 18%", DrainCheck{Inverted: true, Answers: obs(16, 3)}, Verdict{Seeing: 3, Total: 16, Known: true, Drained: true}},
		{"2 of 16 is not", DrainCheck{Inverted: true, Answers: obs(16, 2)}, Verdict{Seeing: 2, Total: 16, Known: true, Drained: false}},
		{"exactly 18% is not more", DrainCheck{Inverted: true, Answers: obs(50, 9)}, Verdict{Seeing: 9, Total: 50, Known: true, Drained: false}},
		{"not inverted: a present object keeps the region in", DrainCheck{Answers: obs(16, 16)}, Verdict{Seeing: 16, Total: 16, Known: true, Drained: false}},
		{"not inverted, object absent", DrainCheck{Answers: obs(16, 0)}, Verdict{Seeing: 0, Total: 16, Known: true, Drained: true}},
		{"disabled counts as healthy, inverted: drained", DrainCheck{Inverted: true, Disabled: true, Answers: obs(16, 0)}, Verdict{Seeing: 0, Total: 16, Known: true, Drained: true}},
		{"disabled, not inverted: serving", DrainCheck{Disabled: true}, Verdict{Known: true, Drained: false}},
		{"no answers yet", DrainCheck{Inverted: true}, Verdict{}},
		{"unreadable", DrainCheck{Inverted: true, Err: fmt.Errorf("boom")}, Verdict{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.check.Verdict())
		})
	}
	assert.True(t, CheckerAnswer{Status: "Success: HTTP Status Code 301, Moved Permanently"}.SeesObject(), "a 3xx counts as a success for Route 53")
}

// TestCheckerViewsFindsDrainChecksAcrossPages: the drain checks are found by
// FQDN and resource path among unrelated checks, over several pages, and each
// one's checker answers are read.
func TestCheckerViewsFindsDrainChecksAcrossPages(t *testing.T) {
	eastCheck := fakeaws.DrainCheck(t, "hc-east", fakeaws.East, fakeaws.Answers(16, 16))
	westCheck := fakeaws.DrainCheck(t, "hc-west", fakeaws.West, fakeaws.Answers(16, 0))
	r53 := fakeaws.NewRoute53(t,
		fakeaws.HealthCheck{ID: "hc-lb", FQDN: "solid.example.com", ResourcePath: "/health"},
		eastCheck,
		fakeaws.HealthCheck{ID: "hc-other-path", FQDN: eastCheck.FQDN, ResourcePath: "/drain/eu-west-1", Inverted: true},
		fakeaws.HealthCheck{ID: "hc-calculated", Type: "CALCULATED"},
		westCheck,
	)
	r53.SetPageSize(2)
	c := newTestClient(t, "http://127.0.0.1:1", r53.URL())

	views, err := c.CheckerViews(context.Background())
	require.NoError(t, err)
	require.Len(t, views, 2)
	assert.Equal(t, fakeaws.East, views[0].Switch.Region)
	assert.Equal(t, "https://ess-test-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com/drain/us-east-1", views[0].URL())
	require.Len(t, views[0].Checks, 1)
	require.Len(t, views[1].Checks, 1)
	e, w := views[0].Checks[0], views[1].Checks[0]
	assert.Equal(t, "hc-east", e.ID)
	assert.True(t, e.Inverted)
	require.Len(t, e.Answers, 16)
	assert.Equal(t, CheckerAnswer{Region: "us-east-1", IP: "192.0.2.1", Status: "Success: HTTP Status Code 200, OK", CheckedAt: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)}, e.Answers[0])
	assert.Equal(t, Verdict{Seeing: 16, Total: 16, Known: true, Drained: true}, e.Verdict())
	assert.Equal(t, "hc-west", w.ID)
	assert.Equal(t, Verdict{Seeing: 0, Total: 16, Known: true, Drained: false}, w.Verdict())

	var lists int
	for _, r := range r53.Requests() {
		if strings.HasPrefix(r, "GET /2013-04-01/healthcheck?") || r == "GET /2013-04-01/healthcheck" {
			lists++
		}
	}
	assert.Equal(t, 3, lists, "5 checks in pages of 2: every page is read (%v)", r53.Requests())
}

func TestCheckerViewsRoute53Refuses(t *testing.T) {
	r53 := fakeaws.NewRoute53(t)
	r53.Fail(http.StatusForbidden)
	c := newTestClient(t, "http://127.0.0.1:1", r53.URL())
	views, err := c.CheckerViews(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "route53:ListHealthChecks and route53:GetHealthCheckStatus")
	require.Len(t, views, 2)
	for _, v := range views {
		assert.Error(t, v.Err)
		assert.Empty(t, v.Checks)
	}
}
