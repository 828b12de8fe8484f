package awsname_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// TestRules pins each rule's edge cases: what AWS accepts is accepted, what it refuses (or what
// this project refuses on purpose, such as upper case that AWS would fold) is refused.
func TestRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rule string
		is   func(string) bool
		ok   []string
		bad  []string
	}{
		{"region", awsname.IsRegion,
			[]string{"us-east-1", "eu-west-3", "us-gov-west-1", "ap-southeast-10", "us-isob-east-1", "eusc-de-east-1", "il-central-1"},
			[]string{"", "us-east", "us-east-", "US-EAST-1", "us_east_1", "us-east-1a", "useast1", "us--east-1", "us-east-1 ", "-us-east-1", "u-east-1", "abcde-east-1", "us-east-1\n"}},
		{"account ID", awsname.IsAccountID,
			[]string{"123456789012", "000000000000"},
			[]string{"", "12345678901", "1234567890123", "12345678901a", " 123456789012", "1234-5678-9012"}},
		{"instance type", awsname.IsInstanceType,
			[]string{"m6i.large", "m7i-flex.xlarge", "u-6tb1.metal", "t4g.nano", "c6in.32xlarge"},
			[]string{"", "large", "m6i", "M6i.large", "mi.large", "m6i.", ".large", "m6i.large.x", "m6i." + strings.Repeat("a", 17), "u-" + strings.Repeat("a", 24) + "1.metal"}},
		{"hosted zone ID", awsname.IsHostedZoneID,
			[]string{"Z0123456789ABCDEFGHIJ", "Z1", "Z" + strings.Repeat("A", 31)},
			[]string{"", "Z", "z0123", "/hostedzone/Z0123", "Z0123-4", "Z" + strings.Repeat("A", 32)}},
		{"hostname", awsname.IsHostname,
			[]string{"example.com", "identity.example.com", "a.io", "x-1.example.org", strings.Repeat("a", 63) + ".com"},
			[]string{"", "com", "example.com.", "Example.com", "-a.example.com", "a-.example.com", "a..com", "example.c", "example.123", strings.Repeat("a", 64) + ".com", strings.Repeat(strings.Repeat("a", 63)+".", 4) + "com", "a_b.example.com", "*.example.com"}},
		{"RDS identifier", awsname.IsRDSIdentifier,
			[]string{"a", "ess-prod", "ess-prod-db1", strings.Repeat("a", 63), strings.Repeat("a-", 31) + "a"},
			[]string{"", "1ess", "ess-", "ess--prod", "Ess-prod", "ess_prod", strings.Repeat("a", 64), strings.Repeat("a-", 32) + "a", strings.Repeat("a-", 40) + "a"}},
		{"RDS database name", awsname.IsRDSDatabaseName,
			[]string{"ess", "ess_prod", "a" + strings.Repeat("b", 62)},
			[]string{"", "1ess", "ess-prod", "Ess", "a" + strings.Repeat("b", 63)}},
		{"RDS user name", awsname.IsRDSUsername,
			[]string{"ess", "ess_admin", "a" + strings.Repeat("b", 15)},
			[]string{"", "_ess", "ess-admin", "Ess", "a" + strings.Repeat("b", 16)}},
		{"ECR repository", awsname.IsECRRepository,
			[]string{"ab", "inrupt/ess-ldp", "a/b", "project-a/nginx_web.app", strings.Repeat("a", 256)},
			[]string{"", "a", "Inrupt/ess", "inrupt//ess", "inrupt/", "/ess", "ess--ldp_", "ess-", "ess..x", strings.Repeat("a", 257)}},
		{"image tag", awsname.IsImageTag,
			[]string{"2.3.1", "v1", "_x", "A-1.b_c", strings.Repeat("a", 128)},
			[]string{"", ".1", "-1", "1 2", "a:b", "a/b", strings.Repeat("a", 129)}},
		{"log group", awsname.IsLogGroup,
			[]string{"/ess/prod", "a", "a.b-c_d/e#f", strings.Repeat("a", 512)},
			[]string{"", "a b", "a:b", "a*", strings.Repeat("a", 513)}},
		{"health check path", awsname.IsHealthCheckPath,
			[]string{"/", "/health", "/a/b-c.d~e", "/%20", "/" + strings.Repeat("h", 254)},
			[]string{"", "health", "/a b", "/a?b=1", "/a#b", "/a\n", "/" + strings.Repeat("h", 255)}},
		{"SSM path", awsname.IsSSMPath,
			[]string{"/ess", "/ess/prod/db", "/ess/prod/", "/a.b-c_d"},
			[]string{"", "/", "ess/prod", "//ess", "/ess//db", "/ess prod", "/ess/*"}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			for _, s := range tc.ok {
				assert.True(t, tc.is(s), "%s %q is allowed", tc.rule, s)
			}
			for _, s := range tc.bad {
				assert.False(t, tc.is(s), "%s %q is not allowed", tc.rule, s)
			}
		})
	}
}

func TestZoneRegion(t *testing.T) {
	t.Parallel()
	for zone, want := range map[string]string{"us-east-1a": "us-east-1", "ap-southeast-10c": "ap-southeast-10", "us-gov-west-1b": "us-gov-west-1"} {
		got, ok := awsname.ZoneRegion(zone)
		assert.True(t, ok, zone)
		assert.Equal(t, want, got, zone)
	}
	for _, zone := range []string{"", "us-east-1", "us-east-1-bos-1a", "us-east-1ab", "US-EAST-1A", "use1-az1"} {
		_, ok := awsname.ZoneRegion(zone)
		assert.False(t, ok, zone)
	}
}
