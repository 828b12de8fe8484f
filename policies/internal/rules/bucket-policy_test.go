package rules

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPublicStatements checks the bucket-policy evaluation against the rules and examples of "The meaning
// of public" in the Amazon S3 User Guide
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status).
func TestPublicStatements(t *testing.T) {
	t.Parallel()
	doc := func(stmt string) string { return `{"Version":"2012-10-17","Statement":[` + stmt + `]}` }
	allowAll := func(cond string) string {
		s := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/drain/us-east-1"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return doc(s + "}")
	}
	cases := []struct {
		name   string
		doc    string
		public bool
		why    string
	}{
		// The user guide's public examples.
		{"a Federated principal", doc(`{"Principal":{"Federated":"graph.facebook.com"},"Resource":"*","Action":"s3:PutObject","Effect":"Allow"}`), true, "it has no Condition"},
		{"Principal *", doc(`{"Principal":"*","Resource":"*","Action":"s3:PutObject","Effect":"Allow"}`), true, "it has no Condition"},
		{"StringLike aws:SourceVpc vpc-*", allowAll(`{"StringLike":{"aws:SourceVpc":"vpc-*"}}`), true, "not a fixed value"},
		// The user guide's non-public example, and the other keys it lists.
		{"StringEquals aws:SourceVpc fixed", allowAll(`{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}`), false, ""},
		{"aws:SourceVpce", allowAll(`{"StringEquals":{"aws:SourceVpce":["vpce-1a2b3c4d"]}}`), false, ""},
		{"aws:SourceArn", allowAll(`{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudfront::123456789012:distribution/E1"}}`), false, ""},
		{"aws:SourceAccount", allowAll(`{"StringEquals":{"aws:SourceAccount":"123456789012"}}`), false, ""},
		{"aws:PrincipalOrgID", allowAll(`{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`), false, ""},
		{"condition keys are case-insensitive", allowAll(`{"StringEquals":{"AWS:SOURCEVPC":"vpc-91237329"}}`), false, ""},
		{"aws:userid of a role's sessions", allowAll(`{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}`), false, ""},
		{"aws:userid wildcard", allowAll(`{"StringLike":{"aws:userid":"*"}}`), true, "not a fixed value"},
		{"access points of a fixed account", allowAll(`{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}`), false, ""},
		// aws:SourceIp: fixed CIDRs no broader than /8 (IPv4) and /32 (IPv6).
		{"Route 53 health checker CIDRs", allowAll(`{"IpAddress":{"aws:SourceIp":["15.177.0.0/18","54.243.31.192/26","2600:1f14:7ff:f800::/56"]}}`), false, ""},
		{"a single address", allowAll(`{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`), false, ""},
		{"a /8", allowAll(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), false, ""},
		{"0.0.0.0/1", allowAll(`{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}`), true, "broader than /8"},
		{"one broad CIDR among narrow ones", allowAll(`{"IpAddress":{"aws:SourceIp":["15.177.0.0/18","0.0.0.0/0"]}}`), true, `"0.0.0.0/0": broader than /8`},
		{"an IPv6 /16", allowAll(`{"IpAddress":{"aws:SourceIp":"2600::/16"}}`), true, "broader than /32"},
		{"not an address", allowAll(`{"IpAddress":{"aws:SourceIp":"route53"}}`), true, "not an IP address or CIDR"},
		// Conditions that do not limit a grant.
		{"NotIpAddress", allowAll(`{"NotIpAddress":{"aws:SourceIp":"15.177.0.0/18"}}`), true, "does not limit the grant to fixed values"},
		{"IfExists", allowAll(`{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-91237329"}}`), true, "IfExists also grants requests without aws:SourceVpc"},
		{"aws:SecureTransport", allowAll(`{"Bool":{"aws:SecureTransport":"true"}}`), true, "S3 does not count aws:SecureTransport as limiting"},
		{"a policy variable", allowAll(`{"StringEquals":{"aws:SourceAccount":"${aws:PrincipalAccount}"}}`), true, "not a fixed value"},
		{"one limiting condition among others", allowAll(`{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"15.177.0.0/18"}}`), false, ""},
		// Principals.
		{`{"AWS": "*"}`, doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}`), true, "it has no Condition"},
		{"an AWS principal among others that is *", doc(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","*"]},"Action":"s3:GetObject","Resource":"*"}`), true, ""},
		{"a wildcard account", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"s3:GetObject","Resource":"*"}`), true, ""},
		{"a fixed account and a service", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::127311923021:root","Service":"logdelivery.elasticloadbalancing.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}`), false, ""},
		{"NotPrincipal", doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"*"}`), true, ""},
		// Deny statements never make a policy public.
		{"Deny to *", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), false, ""},
		{"a single statement object", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, true, ""},
		{"no statement", `{"Version":"2012-10-17"}`, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := publicStatements(c.doc)
			require.NoError(t, err)
			if !c.public {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Contains(t, got[0].Why, c.why)
		})
	}
}

// TestPublicStatementsDescribe checks what a public statement says about itself.
func TestPublicStatementsDescribe(t *testing.T) {
	t.Parallel()
	got, err := publicStatements(`{"Statement":[{"Sid":"Deny","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"},` +
		`{"Sid":"Read","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"*"}]}`)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, publicStatement{Index: 1, Sid: "Read", Grant: `s3:GetObject, s3:GetObjectVersion to Principal "*"`, Why: "it has no Condition"}, got[0])

	for _, bad := range []string{"not json", `{"Statement":"x"}`} {
		_, err := publicStatements(bad)
		assert.Error(t, err, fmt.Sprintf("%q", bad))
	}
}
