package stopswitch_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/stopswitch"
)

func TestPair(t *testing.T) {
	t.Parallel()
	sw, err := stopswitch.Pair("ess-prod", "123456789012", []string{"us-east-1", "us-west-2"})
	require.NoError(t, err)
	assert.Equal(t, []stopswitch.Switch{
		{Region: "us-east-1", Bucket: "ess-prod-stop-123456789012-us-west-2", BucketRegion: "us-west-2", Key: "drain/us-east-1"},
		{Region: "us-west-2", Bucket: "ess-prod-stop-123456789012-us-east-1", BucketRegion: "us-east-1", Key: "drain/us-west-2"},
	}, sw)
	assert.Equal(t, stopswitch.For("ess-prod", "123456789012", "us-east-1", "us-west-2"), sw[0])
	assert.Equal(t, "ess-prod-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com", sw[0].FQDN())
	assert.Equal(t, stopswitch.BucketFQDN("ess-prod", "123456789012", "us-west-2"), sw[0].FQDN())
	assert.Equal(t, "/drain/us-east-1", sw[0].ResourcePath())
	assert.Equal(t, "https://ess-prod-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com/drain/us-east-1", sw[0].URL())
	assert.Equal(t, "s3://ess-prod-stop-123456789012-us-west-2/drain/us-east-1", sw[0].URI())
	assert.Equal(t, "s3://ess-prod-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2)", sw[0].String())
}

// TestPairMultiDigitRegion: a region number of two digits is a region (the SDKs' partition rule).
func TestPairMultiDigitRegion(t *testing.T) {
	t.Parallel()
	sw, err := stopswitch.Pair("ess", "123456789012", []string{"ap-southeast-10", "ap-southeast-2"})
	require.NoError(t, err)
	assert.Equal(t, "ess-stop-123456789012-ap-southeast-2", sw[0].Bucket)
}

func TestPairErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, deployment, account string
		regions                   []string
		want                      string
	}{
		{"none", "ess", "123456789012", nil, "exactly two regions, got 0"},
		{"three", "ess", "123456789012", []string{"us-east-1", "us-west-2", "eu-west-1"}, "exactly two regions, got 3"},
		{"same twice", "ess", "123456789012", []string{"us-east-1", "us-east-1"}, "us-east-1 twice"},
		{"bad region", "ess", "123456789012", []string{"us-east-1", "US_WEST"}, `region "US_WEST" is not an AWS region name`},
		{"empty deployment", "", "123456789012", []string{"us-east-1", "us-west-2"}, `deployment name ""`},
		{"dotted deployment", "ess.prod", "123456789012", []string{"us-east-1", "us-west-2"}, `deployment name "ess.prod"`},
		{"trailing hyphen", "ess-", "123456789012", []string{"us-east-1", "us-west-2"}, `deployment name "ess-"`},
		{"upper case", "ESS", "123456789012", []string{"us-east-1", "us-west-2"}, `deployment name "ESS"`},
		{"punycode prefix", "xn--ess", "123456789012", []string{"us-east-1", "us-west-2"}, "start with xn--"},
		{"sthree prefix", "sthree-ess", "123456789012", []string{"us-east-1", "us-west-2"}, "start with sthree-"},
		{"demo prefix", "amzn-s3-demo-ess", "123456789012", []string{"us-east-1", "us-west-2"}, "start with amzn-s3-demo-"},
		{"short account", "ess", "12345678901", []string{"us-east-1", "us-west-2"}, "12-digit"},
		{"too long", strings.Repeat("a", 50), "123456789012", []string{"us-east-1", "us-west-2"}, "S3 allows 63"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sw, err := stopswitch.Pair(tc.deployment, tc.account, tc.regions)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, sw)
		})
	}
}

// TestBucketNameLimit: the longest deployment name whose stop buckets fit S3's 63 characters.
func TestBucketNameLimit(t *testing.T) {
	t.Parallel()
	region := "ap-southeast-2"
	longest := strings.Repeat("a", stopswitch.MaxBucketName-len("-stop-123456789012-")-len(region))
	require.NoError(t, stopswitch.CheckBucketName(longest, "123456789012", region))
	require.Len(t, stopswitch.BucketName(longest, "123456789012", region), stopswitch.MaxBucketName)
	require.Error(t, stopswitch.CheckBucketName(longest+"a", "123456789012", region))
}
