package failover

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover/fakeaws"
)

// Test deployment: region east's switch lives in west's bucket and vice versa.
const (
	testDeployment = "ess-test"
	testAccount    = "123456789012"
	east           = "us-east-1"
	west           = "us-west-2"
	eastBucket     = "ess-test-stop-123456789012-us-east-1" // holds drain/us-west-2
	westBucket     = "ess-test-stop-123456789012-us-west-2" // holds drain/us-east-1
)

var testRegions = []string{east, west}

// testNow is the time recorded in drain objects written by test clients.
func testNow() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }

// newFakeS3 starts a fake S3 holding the given (empty, versioned) buckets.
func newFakeS3(t *testing.T, buckets ...string) *fakeaws.S3 {
	t.Helper()
	return fakeaws.NewS3(t, buckets...)
}

// fakeAWSEnv points the SDK's standard chain at fake static credentials and
// away from any real configuration, instance metadata or endpoint.
func fakeAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
		"AWS_ENDPOINT_URL_ROUTE_53":   "",
		"AWS_MAX_ATTEMPTS":            "",
		"AWS_RETRY_MODE":              "",
		"AWS_CA_BUNDLE":               "",
	} {
		t.Setenv(k, v)
	}
}

// newTestClient returns a Client for the test deployment talking to an S3 at
// endpoint and a Route 53 at route53Endpoint (a closed port when "").
func newTestClient(t *testing.T, endpoint string, route53Endpoint ...string) *Client {
	t.Helper()
	fakeAWSEnv(t)
	sw, err := Switches(testDeployment, testAccount, testRegions)
	require.NoError(t, err)
	opts := Options{Endpoint: endpoint, Route53Endpoint: "http://127.0.0.1:1", Actor: "tester@testhost", Now: testNow}
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
