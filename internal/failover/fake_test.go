package failover

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
)

// newTestClient returns a Client for the test deployment talking to an S3 at
// endpoint and a Route 53 at route53Endpoint (a closed port when "").
func newTestClient(t *testing.T, endpoint string, route53Endpoint ...string) *Client {
	t.Helper()
	fakeaws.SetEnv(t)
	sw, err := Switches(fakeaws.Deployment, fakeaws.Account, fakeaws.Regions())
	require.NoError(t, err)
	opts := Options{Endpoint: endpoint, Route53Endpoint: "http://127.0.0.1:1", Actor: "tester@testhost", Now: fakeaws.Now}
	if len(route53Endpoint) > 0 {
		opts.Route53Endpoint = route53Endpoint[0]
	}
	c, err := NewClient(context.Background(), sw, opts)
	require.NoError(t, err)
	return c
}

// conditions maps region to condition.
func conditions(states []State) map[string]Condition {
	m := map[string]Condition{}
	for _, s := range states {
		m[s.Region] = s.Condition
	}
	return m
}
