// Package awsname holds the rules for the AWS names and identifiers that the configuration, the
// components and the failover command check: one definition of each rule, from the AWS
// documentation cited beside it. It depends on nothing but the standard library.
//
// Each IsX function reports whether a string follows rule X. Where this project is stricter than
// AWS (lower case only where AWS would fold case and show a perpetual diff), the doc comment says so.
// Callers keep their own messages, which name the field and say what is allowed.
package awsname

import (
	"regexp"
	"strings"
)

var (
	// regionPattern: the geography (2 to 4 letters: us, ap, eusc), one or more words (gov, east,
	// southeast), and a number of one or more digits. The AWS SDKs' partitions.json matches regions
	// with ^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$ and its siblings (^eusc\-(de)\-\w+\-\d+$,
	// ^us\-gov\-\w+\-\d+$, ...): the number has any count of digits, so ap-southeast-10 is a region
	// name. https://github.com/aws/aws-sdk-go-v2/blob/main/internal/endpoints/awsrulesfn/partitions.json
	regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)
	// zonePattern: an Availability Zone is its region's name and one letter (us-east-1a). Local and
	// Wavelength Zones (us-east-1-bos-1a) do not match.
	// https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
	zonePattern = regexp.MustCompile(`^([a-z]{2,4}(-[a-z]+)+-[0-9]+)[a-z]$`)
	// accountPattern: "An AWS account ID is a 12-digit number".
	// https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// instanceTypePattern: an EC2 instance type, a family (with its generation and options), a dot
	// and a size: m6i.large, m7i-flex.xlarge, u-6tb1.metal. The API takes a string of up to 32
	// characters here (LaunchTemplateOverrides.InstanceType).
	// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]{1,16}$`)
	// hostedZoneIDPattern: a Route 53 hosted zone ID, Z and up to 31 upper-case letters and digits
	// (the API's ResourceId is at most 32 characters).
	// https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZone.html
	hostedZoneIDPattern = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	// labelPattern: a DNS label of RFC 1035 and RFC 1123 (letters, digits, inner hyphens, 1 to 63),
	// lower case only: Route 53 stores names in lower case.
	labelPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// tldPattern: a top-level domain, letters only.
	tldPattern = regexp.MustCompile(`^[a-z]{2,63}$`)
	// rdsIdentifierPattern: "1 to 63 letters, numbers, or hyphens. First character must be a letter.
	// Can't end with a hyphen or contain two consecutive hyphens" (the length is checked apart: each
	// repetition may be two characters). Lower case only: RDS stores identifiers in lower case.
	// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
	rdsIdentifierPattern = regexp.MustCompile(`^[a-z](-?[a-z0-9])*$`)
	// rdsDatabaseNamePattern: an Aurora PostgreSQL DatabaseName, "up to 63 alphanumeric characters",
	// beginning with a letter; PostgreSQL also takes underscores. Lower case only: PostgreSQL folds
	// unquoted names to lower case.
	// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
	rdsDatabaseNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	// rdsUsernamePattern: MasterUsername "must be 1 to 16 letters or numbers. First character must be
	// a letter"; underscores as PostgreSQL allows them, lower case only.
	// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
	rdsUsernamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,15}$`)
	// ecrRepositoryPattern: CreateRepository's repositoryName, length 2 to 256, pattern
	// (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*.
	// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
	ecrRepositoryPattern = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
	// imageTagPattern: an image tag of the OCI distribution spec, [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127},
	// which ECR follows. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
	imageTagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// logGroupPattern: CreateLogGroup's logGroupName, 1 to 512 of a-z, A-Z, 0-9, '_', '-', '/', '.'
	// and '#'. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
	logGroupPattern = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
	// healthCheckPathPattern: an absolute URL path of RFC 3986 characters (unreserved, sub-delims,
	// ':', '@', '%' and '/'): what a Route 53 health check's ResourcePath and a load balancer's
	// health check path request. No query, no fragment, no spaces.
	healthCheckPathPattern = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`)
	// ssmPathPattern: a hierarchy of SSM parameter names, /a/b/c, of letters, digits, '_', '.' and
	// '-'; a trailing slash is allowed. "Parameter names can consist of a-zA-Z0-9_.-" and a
	// hierarchy is formed with '/'.
	// https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html
	ssmPathPattern = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+/?$`)
)

// Limits of the names above that a pattern does not carry.
const (
	// MaxInstanceType is the length limit of an EC2 instance type.
	MaxInstanceType = 32
	// MaxHostname is the length limit of a DNS name without its trailing dot (RFC 1035).
	MaxHostname = 253
	// MaxRDSIdentifier is the length limit of an RDS DB cluster or global cluster identifier.
	MaxRDSIdentifier = 63
	// MinECRRepository and MaxECRRepository bound the length of an ECR repository name.
	MinECRRepository = 2
	MaxECRRepository = 256
	// MaxHealthCheckPath is the length limit of a Route 53 health check's ResourcePath.
	// https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
	MaxHealthCheckPath = 255
)

// IsRegion reports whether s is an AWS region name such as us-east-1, us-gov-west-1 or
// ap-southeast-10 (any count of digits at the end).
func IsRegion(s string) bool { return regionPattern.MatchString(s) }

// ZoneRegion returns the region of the Availability Zone named zone (us-east-1 for us-east-1a), and
// whether zone is an AZ name at all. Local and Wavelength Zones are not AZ names here.
func ZoneRegion(zone string) (region string, ok bool) {
	m := zonePattern.FindStringSubmatch(zone)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// IsAccountID reports whether s is an AWS account ID: exactly 12 digits.
func IsAccountID(s string) bool { return accountPattern.MatchString(s) }

// IsInstanceType reports whether s is an EC2 instance type such as m6i.large, m7i-flex.xlarge or
// u-6tb1.metal, of at most MaxInstanceType characters.
func IsInstanceType(s string) bool {
	return len(s) <= MaxInstanceType && instanceTypePattern.MatchString(s)
}

// IsHostedZoneID reports whether s is a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ
// (without the /hostedzone/ prefix).
func IsHostedZoneID(s string) bool { return hostedZoneIDPattern.MatchString(s) }

// IsDNSLabel reports whether s is one lower-case DNS label: 1 to 63 letters, digits and inner
// hyphens.
func IsDNSLabel(s string) bool { return labelPattern.MatchString(s) }

// IsTopLevelDomain reports whether s is a top-level domain: 2 to 63 lower-case letters.
func IsTopLevelDomain(s string) bool { return tldPattern.MatchString(s) }

// IsHostname reports whether s is a lower-case DNS name of at least two labels, without a trailing
// dot, of at most MaxHostname characters, whose last label is a top-level domain: example.com,
// identity.example.com.
func IsHostname(s string) bool {
	if len(s) > MaxHostname {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 || !IsTopLevelDomain(labels[len(labels)-1]) {
		return false
	}
	for _, l := range labels[:len(labels)-1] {
		if !IsDNSLabel(l) {
			return false
		}
	}
	return true
}

// IsRDSIdentifier reports whether s is a lower-case RDS DB cluster, instance or global cluster
// identifier: 1 to 63 letters, digits and hyphens, starting with a letter, not ending with a hyphen,
// without two hyphens in a row.
func IsRDSIdentifier(s string) bool {
	return len(s) <= MaxRDSIdentifier && rdsIdentifierPattern.MatchString(s)
}

// IsRDSDatabaseName reports whether s is a database name Aurora PostgreSQL creates: 1 to 63
// lower-case letters, digits and underscores, starting with a letter.
func IsRDSDatabaseName(s string) bool { return rdsDatabaseNamePattern.MatchString(s) }

// IsRDSUsername reports whether s is an RDS master user name: 1 to 16 lower-case letters, digits and
// underscores, starting with a letter. (rdsadmin is reserved; the callers refuse it.)
func IsRDSUsername(s string) bool { return rdsUsernamePattern.MatchString(s) }

// IsECRRepository reports whether s is an ECR repository name: 2 to 256 characters, lower-case
// path components of letters and digits joined by single '.', '_' or '-', separated by '/'.
func IsECRRepository(s string) bool {
	return len(s) >= MinECRRepository && len(s) <= MaxECRRepository && ecrRepositoryPattern.MatchString(s)
}

// IsImageTag reports whether s is an image tag: 1 to 128 letters, digits, '_', '.' and '-', not
// starting with '.' or '-'.
func IsImageTag(s string) bool { return imageTagPattern.MatchString(s) }

// IsLogGroup reports whether s is a CloudWatch Logs log group name: 1 to 512 letters, digits, '_',
// '-', '/', '.' and '#'.
func IsLogGroup(s string) bool { return logGroupPattern.MatchString(s) }

// IsHealthCheckPath reports whether s is an absolute URL path a health check can request: '/'
// followed by RFC 3986 path characters, at most MaxHealthCheckPath characters in all.
func IsHealthCheckPath(s string) bool {
	return len(s) <= MaxHealthCheckPath && healthCheckPathPattern.MatchString(s)
}

// IsSSMPath reports whether s is an SSM parameter hierarchy such as /ess/prod/db (a trailing slash
// is allowed): one or more '/'-led names of letters, digits, '_', '.' and '-'.
func IsSSMPath(s string) bool { return ssmPathPattern.MatchString(s) }
