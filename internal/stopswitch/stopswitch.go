package stopswitch

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// MaxBucketName is S3's limit on the length of a bucket name.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const MaxBucketName = 63

// deploymentPattern: lower-case letters, digits and inner hyphens. S3 bucket names also take dots,
// but a dotted bucket name breaks the *.s3.<region>.amazonaws.com certificate of virtual-hosted HTTPS
// requests, which the drain checks make.
var deploymentPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// reservedPrefixes are the prefixes S3 refuses at the start of a bucket name; a stop bucket starts
// with the deployment name, so the deployment name must not start with one.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
var reservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}

// Switch is the drain switch of one region: the object Key in Bucket, which lives in BucketRegion
// (the peer of Region).
type Switch struct {
	// Region is the region this switch drains.
	Region string
	// Bucket is the S3 bucket holding the switch object (the peer region's stop bucket).
	Bucket string
	// BucketRegion is the region of Bucket (the peer region).
	BucketRegion string
	// Key is the object key of the switch inside Bucket.
	Key string
}

// For returns the drain switch of region, which lives in the stop bucket that deployment keeps in
// peerRegion of account. It checks nothing: see Pair, CheckDeployment and CheckBucketName.
func For(deployment, account, region, peerRegion string) Switch {
	return Switch{Region: region, Bucket: BucketName(deployment, account, peerRegion), BucketRegion: peerRegion, Key: ObjectKey(region)}
}

// URI returns the switch as an s3:// URI.
func (s Switch) URI() string {
	return "s3://" + s.Bucket + "/" + s.Key
}

// FQDN returns the regional, virtual-hosted HTTPS host name of the switch's bucket: the host a
// Route 53 health check on the switch object queries.
func (s Switch) FQDN() string {
	return bucketFQDN(s.Bucket, s.BucketRegion)
}

// ResourcePath returns the path of the switch object under FQDN: the Route 53 health check's
// resource path.
func (s Switch) ResourcePath() string {
	return "/" + s.Key
}

// URL returns the HTTPS URL of the switch object, the one the drain check requests:
// https://<deployment>-stop-<account>-<peer>.s3.<peer>.amazonaws.com/drain/<region>.
func (s Switch) URL() string {
	return "https://" + s.FQDN() + s.ResourcePath()
}

// String describes the switch, e.g. "s3://d-stop-123456789012-us-west-2/drain/us-east-1 (in us-west-2)".
func (s Switch) String() string {
	return s.URI() + " (in " + s.BucketRegion + ")"
}

// BucketName returns the name of the stop bucket that deployment keeps in bucketRegion of account:
// <deployment>-stop-<account>-<bucketRegion>. That bucket holds the drain switch of the other region.
func BucketName(deployment, account, bucketRegion string) string {
	return deployment + "-stop-" + account + "-" + bucketRegion
}

// BucketFQDN returns the regional, virtual-hosted S3 host name of the stop bucket that deployment
// keeps in bucketRegion of account: what a drain check on a switch in that bucket connects to.
func BucketFQDN(deployment, account, bucketRegion string) string {
	return bucketFQDN(BucketName(deployment, account, bucketRegion), bucketRegion)
}

func bucketFQDN(bucket, region string) string {
	return bucket + ".s3." + region + ".amazonaws.com"
}

// ObjectKey returns the key of region's drain switch object.
func ObjectKey(region string) string {
	return "drain/" + region
}

// CheckDeployment reports why deployment cannot name stop buckets, or nil: it must be lower-case
// letters, digits and inner hyphens (no dots), and must not start with a prefix S3 reserves.
func CheckDeployment(deployment string) error {
	if !deploymentPattern.MatchString(deployment) {
		return fmt.Errorf("deployment name %q cannot name S3 buckets: use lowercase letters, digits and inner hyphens", deployment)
	}
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(deployment, p) {
			return fmt.Errorf("deployment name %q cannot name S3 buckets: S3 refuses bucket names that start with %s", deployment, p)
		}
	}
	return nil
}

// CheckBucketName reports whether the stop bucket that deployment keeps in bucketRegion of account
// is too long for S3, or nil.
func CheckBucketName(deployment, account, bucketRegion string) error {
	if b := BucketName(deployment, account, bucketRegion); len(b) > MaxBucketName {
		return fmt.Errorf("stop bucket name %q is %d characters, S3 allows %d: shorten deployment name %q", b, len(b), MaxBucketName, deployment)
	}
	return nil
}

// Pair returns the drain switches of deployment's two regions in account: the switch of each region
// lives in the other region's stop bucket. It fails unless there are exactly two distinct AWS region
// names, account is an AWS account ID, and the deployment name yields valid S3 bucket names.
func Pair(deployment, account string, regions []string) ([]Switch, error) {
	if len(regions) != 2 {
		return nil, fmt.Errorf("failover needs exactly two regions, got %d (%s)", len(regions), strings.Join(regions, ", "))
	}
	for _, r := range regions {
		if !awsname.IsRegion(r) {
			return nil, fmt.Errorf("region %q is not an AWS region name (like us-east-1)", r)
		}
	}
	if regions[0] == regions[1] {
		return nil, fmt.Errorf("failover needs two different regions, got %s twice", regions[0])
	}
	if err := CheckDeployment(deployment); err != nil {
		return nil, err
	}
	if !awsname.IsAccountID(account) {
		return nil, fmt.Errorf("account %q is not a 12-digit AWS account ID", account)
	}
	switches := make([]Switch, 0, 2)
	for i, r := range regions {
		peer := regions[1-i]
		if err := CheckBucketName(deployment, account, peer); err != nil {
			return nil, err
		}
		switches = append(switches, For(deployment, account, r, peer))
	}
	return switches, nil
}
