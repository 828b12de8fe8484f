// Package failover is the engine of the `essha failover` command: it drains a
// region out of, and restores it into, the weighted Route 53 records of an
// active-active deployment, using only S3 data-plane calls (the STOP pattern,
// "Secondary Takes Over Primary").
//
// Each region has a drain switch: an S3 object whose presence means "this
// region is drained". Route 53 watches the object's HTTPS URL with an inverted
// health check, so a present object makes the region's health check fail and
// weighted DNS stops sending it traffic. The object for a region lives in the
// bucket of the PEER region, so a region can be drained with one write while
// it is down. The Pulumi program creates the buckets and the health checks but
// never manages the objects, so `pulumi up` cannot undo a failover.
package failover

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Switch is the drain switch of one region: the object Key in Bucket, which
// lives in BucketRegion (the peer of Region).
type Switch struct {
	// Region is the region this switch drains.
	Region string
	// Bucket is the S3 bucket holding the switch object (the peer region's
	// stop bucket).
	Bucket string
	// BucketRegion is the region of Bucket (the peer region).
	BucketRegion string
	// Key is the object key of the switch inside Bucket.
	Key string
}

// URI returns the switch as an s3:// URI.
func (s Switch) URI() string {
	return "s3://" + s.Bucket + "/" + s.Key
}

// FQDN returns the virtual-hosted HTTPS host name of the switch's bucket, the
// host a Route 53 health check on the switch object must query.
func (s Switch) FQDN() string {
	return s.Bucket + ".s3." + s.BucketRegion + ".amazonaws.com"
}

// ResourcePath returns the path of the switch object under FQDN, the
// resource path of the Route 53 health check.
func (s Switch) ResourcePath() string {
	return "/" + s.Key
}

// String describes the switch, e.g. "s3://d-stop-us-west-2/drain/us-east-1 (in us-west-2)".
func (s Switch) String() string {
	return s.URI() + " (in " + s.BucketRegion + ")"
}

// BucketName returns the name of the stop bucket that deployment keeps in
// bucketRegion of account: <deployment>-stop-<account>-<bucketRegion>. That
// bucket holds the drain switches of the other regions. The account ID is part
// of the name so that nobody else can own a bucket of that name: a stranger's
// bucket answers the health checkers' probe with 200 or 301, which the
// inverted drain check reads as "drained".
func BucketName(deployment, account, bucketRegion string) string {
	return deployment + "-stop-" + account + "-" + bucketRegion
}

// ObjectKey returns the key of region's drain switch object.
func ObjectKey(region string) string {
	return "drain/" + region
}

var (
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	deploymentPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	accountPattern    = regexp.MustCompile(`^[0-9]{12}$`)
)

// maxBucketName is S3's limit on the length of a bucket name.
const maxBucketName = 63

// Switches returns the drain switches of deployment's two regions in account: the switch
// of each region lives in the other region's stop bucket. It fails unless
// there are exactly two distinct, well-formed region names and the deployment
// name yields valid S3 bucket names (lowercase letters, digits and hyphens;
// no dots, so that the health checks' HTTPS certificates match).
func Switches(deployment, account string, regions []string) ([]Switch, error) {
	if len(regions) != 2 {
		return nil, fmt.Errorf("failover needs exactly two regions, got %d (%s)", len(regions), strings.Join(regions, ", "))
	}
	for _, r := range regions {
		if !regionPattern.MatchString(r) {
			return nil, fmt.Errorf("region %q is not an AWS region name (like us-east-1)", r)
		}
	}
	if regions[0] == regions[1] {
		return nil, fmt.Errorf("failover needs two different regions, got %s twice", regions[0])
	}
	if !deploymentPattern.MatchString(deployment) {
		return nil, fmt.Errorf("deployment name %q cannot name S3 buckets: use lowercase letters, digits and inner hyphens", deployment)
	}
	if !accountPattern.MatchString(account) {
		return nil, fmt.Errorf("account %q is not a 12-digit AWS account ID", account)
	}
	switches := make([]Switch, 0, 2)
	for i, r := range regions {
		peer := regions[1-i]
		b := BucketName(deployment, account, peer)
		if len(b) > maxBucketName {
			return nil, fmt.Errorf("stop bucket name %q is %d characters, S3 allows %d: shorten deployment name %q", b, len(b), maxBucketName, deployment)
		}
		switches = append(switches, Switch{Region: r, Bucket: b, BucketRegion: peer, Key: ObjectKey(r)})
	}
	return switches, nil
}

// regionNames lists the regions of switches, in order.
func regionNames(switches []Switch) []string {
	names := make([]string, 0, len(switches))
	for _, s := range switches {
		names = append(names, s.Region)
	}
	return names
}

// validateSwitches checks that switches can drive a Client.
func validateSwitches(switches []Switch) error {
	if len(switches) == 0 {
		return fmt.Errorf("no drain switches given")
	}
	var seen []string
	for _, s := range switches {
		if s.Region == "" || s.Bucket == "" || s.BucketRegion == "" || s.Key == "" {
			return fmt.Errorf("drain switch %+v is incomplete: region, bucket, bucket region and key are all required", s)
		}
		if slices.Contains(seen, s.Region) {
			return fmt.Errorf("region %s has two drain switches", s.Region)
		}
		seen = append(seen, s.Region)
	}
	return nil
}
