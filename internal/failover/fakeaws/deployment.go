package fakeaws

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ess-ha/ess-ha/internal/stopswitch"
)

// The active-active deployment the failover tests act on: region East's drain switch lives in West's
// bucket and West's in East's.
const (
	Deployment = "ess-test"
	Account    = "123456789012"
	East       = "us-east-1"
	West       = "us-west-2"
	EastBucket = "ess-test-stop-123456789012-us-east-1" // holds drain/us-west-2
	WestBucket = "ess-test-stop-123456789012-us-west-2" // holds drain/us-east-1
)

// Regions are the deployment's regions, East first.
func Regions() []string { return []string{East, West} }

// Now is the time that test clients record in the drain objects they write.
func Now() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }

// DrainCheck is the deployment's inverted Route 53 health check of region's drain switch, as the stack
// creates it, whose checkers answer obs.
func DrainCheck(t testing.TB, id, region string, obs []Observation) HealthCheck {
	t.Helper()
	switches, err := stopswitch.Pair(Deployment, Account, Regions())
	if err != nil {
		t.Fatalf("the test deployment's switches: %v", err)
	}
	for _, s := range switches {
		if s.Region == region {
			return HealthCheck{ID: id, FQDN: s.FQDN(), ResourcePath: s.ResourcePath(), Inverted: true, Observations: obs}
		}
	}
	t.Fatalf("the test deployment has no switch for %s", region)
	return HealthCheck{}
}

// SetEnv points the AWS SDK's standard chain at fake static credentials and away from any real
// configuration, instance metadata, endpoint or retry setting, for the rest of the test.
func SetEnv(tb testing.TB) {
	tb.Helper()
	dir := tb.TempDir()
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
		tb.Setenv(k, v)
	}
}
