// Package traffic provides the Traffic component: one region's share of an active-active pair's
// weighted DNS, its Route 53 health checks, and the S3 bucket that holds the peer region's drain
// switch (the STOP pattern, "Secondary Takes Over Primary").
//
// How the pieces fit, for a pair of regions R and P:
//
//   - Each regional stack creates the stop bucket of its own region, <deployment>-stop-<account>-<R>,
//     and that bucket holds the drain object of the OTHER region, drain/<P>. So the switch that
//     drains R is drain/R in <deployment>-stop-<account>-<P>, in region P: draining R is a single S3
//     PutObject that works while R is down. Package internal/stopswitch names the buckets, the objects and the URL the
//     drain checks probe, for this component and for `essha failover` alike.
//   - Route 53 health checks are global, so each stack creates its own region's checks: an HTTPS
//     check of the services' health path through the region's load balancer, an INVERTED HTTPS
//     check of the region's drain object (present: S3 answers 200, inverted to unhealthy; absent:
//     S3 answers 403, inverted to healthy), a CLOUDWATCH_METRIC check per dependency alarm (the
//     database, each cache member: what the services need to serve), and a CALCULATED check that is
//     healthy only when all of them are. A dependency with several alarms (the cache, healthy while
//     any member is) is a nested CALCULATED check that needs one of them.
//   - Each stack creates its region's weighted alias records (set identifier = the region) tied to
//     the calculated check, so Route 53 stops answering with a region that fails or is drained.
//
// The program never creates, updates or deletes a drain object: a `pulumi up` cannot undo a
// failover. Route 53's checkers read the drain object anonymously, so the bucket policy grants
// s3:GetObject on that one object, and only to the published address ranges of the checker regions
// the health checks use: a grant limited to fixed source ranges is not public in S3's terms, so the
// bucket keeps all four S3 Block Public Access settings on.
package traffic

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/awstags"

	"github.com/ess-ha/ess-ha/components/dns"
	"github.com/ess-ha/ess-ha/internal/awsname"
	"github.com/ess-ha/ess-ha/internal/stopswitch"
)

// Defaults and fixed settings of the health checks.
const (
	// DefaultWeight is the records' weight when TrafficArgs.Weight is nil: equal shares per region.
	DefaultWeight = 100
	// DefaultHealthCheckPath is the load-balancer check's path when TrafficArgs.HealthCheckPath is empty.
	DefaultHealthCheckPath = "/health"
	// RequestInterval is the seconds between two requests of one Route 53 checker (10 is "fast").
	RequestInterval = 10
	// FailureThreshold is how many consecutive results flip a check's status.
	FailureThreshold = 3
	// HealthCheckRulePriority is the priority of the listener rule that answers the load-balancer
	// check (edge's host rules use 10, 20, 30...).
	HealthCheckRulePriority = 1
	// InsufficientDataHealthStatus is what a dependency check reports while its alarm has too little
	// data: the last status the alarm gave, and healthy for a new check. The dependency alarms treat
	// missing data as breaching, so this covers only a new or re-created alarm.
	// https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
	InsufficientDataHealthStatus = "LastKnownStatus"
	// maxChildHealthChecks is Route 53's limit on the children of a CALCULATED check.
	maxChildHealthChecks = 256
	// CheckerIPRangesService is the service of the Route 53 health checkers' addresses in AWS's
	// ip-ranges.json (ROUTE53_HEALTHCHECKS), as aws.GetIpRanges takes it. The provider compares it
	// case-insensitively with the file's service field; its generated docs' spelling
	// "route53Healthchecks" matches nothing.
	// https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/meta/ip_ranges_data_source.go
	CheckerIPRangesService = "route53_healthchecks"
)

// maxBucketPolicyBytes is S3's limit on the size of a bucket policy (20 KB).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html
const maxBucketPolicyBytes = 20 * 1024

// checkerRegions are the regions Route 53 health checkers run in: the only values a health check's
// regions accept (the HealthCheckRegion enum of the Route 53 API, e.g.
// https://boto3.amazonaws.com/v1/documentation/api/1.26.87/reference/services/route53/client/create_health_check.html).
var checkerRegions = []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}

// DefaultHealthCheckRegions returns the checker regions used when TrafficArgs.HealthCheckRegions is
// empty: three, Route 53's minimum, on two continents.
func DefaultHealthCheckRegions() []string {
	return []string{"us-east-1", "us-west-1", "eu-west-1"}
}

var (
	dependencyPattern = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$`)
)

// AlarmCheck is a CloudWatch alarm that a Route 53 health check of type CLOUDWATCH_METRIC follows:
// unhealthy while the alarm is in ALARM. Route 53 follows only standard-resolution alarms on one
// metric with a simple statistic (see observability.DependencyAlarms).
type AlarmCheck struct {
	// Name is the alarm's name (observability.HealthAlarm.Name).
	Name pulumi.StringInput
	// Region is the region the alarm lives in (observability.HealthAlarm.Region).
	Region string
	// Revision, when set, changes whenever the alarm's settings change
	// (observability.HealthAlarm.Revision): the health check is then updated, which makes Route 53
	// re-read the alarm, as it does not follow changes by itself.
	Revision pulumi.StringInput
}

// Dependency is something the region's services need to serve, such as the database or the cache:
// present while at least one of its alarms is OK. The region's health check needs every dependency
// present.
type Dependency struct {
	// Name is a short lower-case key, such as database or cache: it names the health checks.
	Name string
	// Alarms are the dependency's alarms. One alarm is a direct child of the region's check; several
	// (one per cache member) are the children of a nested CALCULATED check that needs one of them,
	// since a failover moves the primary to another member and the cache is gone only when all are.
	Alarms []AlarmCheck
}

// TrafficArgs configures a Traffic component.
type TrafficArgs struct {
	// Deployment names the pair; it is the stop buckets' prefix (<deployment>-stop-<account>-<region>,
	// stopswitch.BucketName) and must be the name `essha failover` is given. Lower-case letters,
	// digits and inner hyphens, no dots (dots would break the S3 wildcard certificate the drain checks
	// connect to), not starting with a prefix S3 reserves (stopswitch.CheckDeployment).
	Deployment string
	// AccountID is the AWS account both regions run in; it is part of the stop buckets' names.
	AccountID string
	// Region is this stack's region, e.g. "us-east-1"; PeerRegion is the other region of the pair.
	Region     string
	PeerRegion string
	// Hostnames are the names served by both regions: <domain>, identity.<domain>, oidc.<domain>.
	Hostnames []string
	// ZoneID is the hosted zone of Hostnames.
	ZoneID pulumi.StringInput
	// AliasDNSName and AliasZoneID are this region's edge (edge.AliasDNSName, edge.AliasZoneID).
	AliasDNSName pulumi.StringInput
	AliasZoneID  pulumi.StringInput

	// HealthCheckFQDN is the name the load-balancer check resolves and connects to: this region's
	// load balancer DNS name (or its accelerator's). Route 53 sends it as the Host header and as the
	// TLS SNI name; there is no way to send another Host header without a fixed IP address, and
	// Route 53 does not validate the certificate, so a certificate for the domain is fine.
	//
	// The load balancer must answer HealthCheckPath for Host = HealthCheckFQDN with a 2xx or 3xx.
	// The edge's HTTPS listeners answer 404 to hosts they do not route, so either set
	// HealthCheckListenerArns and HealthCheckTargetGroupArn (this component then adds the rule), or
	// add an equivalent rule to the edge. Without it the check never passes, and when every weighted
	// record of a name is unhealthy Route 53 answers with all of them: no failover, and no drain.
	HealthCheckFQDN pulumi.StringInput
	// HealthCheckPath is the path checked through the load balancer; empty means "/health".
	HealthCheckPath string
	// HealthCheckRegions are the Route 53 checker regions of the endpoint checks: at least 3 of
	// us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1 and
	// sa-east-1; empty means DefaultHealthCheckRegions. The same list selects the checkers' address
	// ranges (aws.GetIpRanges, service route53_healthchecks) that the stop bucket lets read the drain
	// object, so the allowed ranges are exactly those of the checkers in use. AWS changes those
	// ranges now and then; the lookup runs on every `pulumi up` (and preview), which updates the
	// policy, so run one after AWS announces a change. A checker whose address is not allowed gets
	// 403, which the inverted drain check reads as "not drained"; a drain takes while more than 18%
	// of the checkers can read the object (Route 53 counts an endpoint healthy above 18%,
	// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
	//
	// The bucket in this region is read by the PEER's drain check, with the peer stack's list: both
	// stacks of a pair must use the same HealthCheckRegions.
	HealthCheckRegions []string
	// HealthCheckListenerArns, when set, are the HTTPS listeners (one per load balancer) that get a
	// rule forwarding Host = HealthCheckFQDN and path = HealthCheckPath to HealthCheckTargetGroupArn,
	// so that the load-balancer check reaches a service. Set both or neither.
	HealthCheckListenerArns   pulumi.StringArray
	HealthCheckTargetGroupArn pulumi.StringInput

	// Dependencies are what the services need to serve besides the load-balancer path, each followed
	// through CloudWatch alarms (observability.DependencyAlarms): the region drains when one of them
	// is gone. Empty: only the load-balancer path and the drain switch decide.
	Dependencies []Dependency

	// Weight is the region's weight, 0 to 255. nil means DefaultWeight (100, equal shares). A weight
	// of 0 is explicit (pulumi.IntRef(0)): the region takes no traffic while the other region's
	// records are healthy, and all of it when they are not (a warm standby).
	Weight *int
	Tags   map[string]string
}

// Traffic is one region's weighted records, health checks and stop bucket.
type Traffic struct {
	pulumi.ResourceState

	// DrainBucket is the stop bucket in this region, <deployment>-stop-<account>-<Region>; it holds the PEER
	// region's drain object, drain/<PeerRegion>.
	DrainBucket pulumi.StringOutput `pulumi:"drainBucket"`
	// DrainObjectURL is the HTTPS URL of THIS region's drain switch, in the peer's stop bucket:
	// https://<deployment>-stop-<account>-<PeerRegion>.s3.<PeerRegion>.amazonaws.com/drain/<Region>.
	DrainObjectURL pulumi.StringOutput `pulumi:"drainObjectUrl"`
	// HealthCheckID is the calculated check the weighted records carry (healthy = serving).
	HealthCheckID pulumi.StringOutput `pulumi:"healthCheckId"`
	// LBHealthCheckID is the HTTPS check of the load balancer path.
	LBHealthCheckID pulumi.StringOutput `pulumi:"lbHealthCheckId"`
	// DrainHealthCheckID is the inverted check of this region's drain object.
	DrainHealthCheckID pulumi.StringOutput `pulumi:"drainHealthCheckId"`
	// DependencyHealthCheckIDs are the health checks of TrafficArgs.Dependencies, keyed by Name: the
	// CLOUDWATCH_METRIC check of a dependency with one alarm, the nested CALCULATED check otherwise.
	DependencyHealthCheckIDs pulumi.StringMapOutput `pulumi:"dependencyHealthCheckIds"`
	// CheckerCidrs are the address ranges (IPv4, then IPv6) the stop bucket lets read the peer's drain
	// object: those of the Route 53 checkers in HealthCheckRegions, as published when the stack ran.
	CheckerCidrs pulumi.StringArrayOutput `pulumi:"checkerCidrs"`
	// RecordFqdns are the names of the weighted records, in Hostnames order.
	RecordFqdns pulumi.StringArrayOutput `pulumi:"recordFqdns"`

	// Records are the weighted alias records (an A and an AAAA per hostname).
	Records *dns.Records
	// Weight is the weight the records were given.
	Weight int
	// HealthCheckRegions are the checker regions the endpoint checks use.
	HealthCheckRegions []string
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *TrafficArgs) Validate() error {
	if a == nil {
		return errors.New("TrafficArgs is nil: pass &traffic.TrafficArgs{Deployment, Region, PeerRegion, Hostnames, ...}")
	}
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	if err := stopswitch.CheckDeployment(a.Deployment); err != nil {
		bad("TrafficArgs.Deployment is invalid: %v, such as ess-prod", err)
	}
	for _, r := range []struct{ field, value string }{{"Region", a.Region}, {"PeerRegion", a.PeerRegion}} {
		if !awsname.IsRegion(r.value) {
			bad("TrafficArgs.%s %q is invalid: use an AWS region name such as us-east-1", r.field, r.value)
		} else if err := stopswitch.CheckBucketName(a.Deployment, a.AccountID, r.value); err != nil {
			bad("TrafficArgs.Deployment %q is too long: %v", a.Deployment, err)
		}
	}
	if !awsname.IsAccountID(a.AccountID) {
		bad("TrafficArgs.AccountID %q is invalid: pass the 12-digit AWS account ID (aws.GetCallerIdentity), it names the stop buckets", a.AccountID)
	}
	if a.Region != "" && a.Region == a.PeerRegion {
		bad("TrafficArgs.PeerRegion %q is this stack's Region: name the other region of the pair", a.PeerRegion)
	}
	if len(a.Hostnames) == 0 {
		bad("TrafficArgs.Hostnames is empty: list the names both regions serve, e.g. example.com, identity.example.com, oidc.example.com")
	}
	seen := map[string]bool{}
	for i, h := range a.Hostnames {
		if !awsname.IsHostname(h) {
			bad("TrafficArgs.Hostnames[%d] %q is invalid: use a lower-case DNS name without a trailing dot, such as identity.example.com", i, h)
		}
		if seen[h] {
			bad("TrafficArgs.Hostnames[%d] %q is listed twice: list every name once", i, h)
		}
		seen[h] = true
	}
	if a.ZoneID == nil {
		bad("TrafficArgs.ZoneID is not set: pass the hosted zone id, e.g. zone.ZoneID")
	}
	if a.AliasDNSName == nil {
		bad("TrafficArgs.AliasDNSName is not set: pass this region's edge, e.g. edge.AliasDNSName")
	}
	if a.AliasZoneID == nil {
		bad("TrafficArgs.AliasZoneID is not set: pass the edge's alias hosted zone id, e.g. edge.AliasZoneID")
	}
	if a.HealthCheckFQDN == nil {
		bad("TrafficArgs.HealthCheckFQDN is not set: pass this region's load balancer DNS name, e.g. edge.LoadBalancers[0].DnsName")
	}
	if a.HealthCheckPath != "" && !awsname.IsHealthCheckPath(a.HealthCheckPath) {
		bad("TrafficArgs.HealthCheckPath %q is invalid: use an absolute URL path of up to 255 characters such as /health, or leave it empty", a.HealthCheckPath)
	}
	if n := len(a.HealthCheckRegions); n > 0 && n < 3 {
		bad("TrafficArgs.HealthCheckRegions lists %d region(s): Route 53 needs at least 3 checker regions, or leave it empty for %v", n, DefaultHealthCheckRegions())
	}
	seenRegion := map[string]bool{}
	for i, r := range a.HealthCheckRegions {
		if !slices.Contains(checkerRegions, r) {
			bad("TrafficArgs.HealthCheckRegions[%d] %q is not a Route 53 checker region: use some of %v", i, r, checkerRegions)
		}
		if seenRegion[r] {
			bad("TrafficArgs.HealthCheckRegions[%d] %q is listed twice: list every region once", i, r)
		}
		seenRegion[r] = true
	}
	seenDep := map[string]bool{}
	for i, d := range a.Dependencies {
		if !dependencyPattern.MatchString(d.Name) {
			bad("TrafficArgs.Dependencies[%d].Name %q is invalid: use a short lower-case key such as database or cache", i, d.Name)
		}
		if seenDep[d.Name] {
			bad("TrafficArgs.Dependencies[%d].Name %q is listed twice: give every dependency its own name", i, d.Name)
		}
		seenDep[d.Name] = true
		if len(d.Alarms) == 0 || len(d.Alarms) > maxChildHealthChecks {
			bad("TrafficArgs.Dependencies[%d] (%s) has %d alarms: pass 1 to %d, e.g. observability.DependencyAlarms' Database or Cache", i, d.Name, len(d.Alarms), maxChildHealthChecks)
		}
		for j, al := range d.Alarms {
			if al.Name == nil {
				bad("TrafficArgs.Dependencies[%d].Alarms[%d].Name is not set: pass the alarm's name (observability.HealthAlarm.Name)", i, j)
			}
			if !awsname.IsRegion(al.Region) {
				bad("TrafficArgs.Dependencies[%d].Alarms[%d].Region %q is invalid: pass the region the alarm lives in, such as us-east-1", i, j, al.Region)
			}
		}
	}
	if n := 2 + len(a.Dependencies); n > maxChildHealthChecks {
		bad("TrafficArgs.Dependencies lists %d dependencies: the region's check would have %d children, Route 53 allows %d", len(a.Dependencies), n, maxChildHealthChecks)
	}
	if (len(a.HealthCheckListenerArns) > 0) != (a.HealthCheckTargetGroupArn != nil) {
		bad("TrafficArgs.HealthCheckListenerArns and HealthCheckTargetGroupArn go together: set both (to add the health-check listener rule) or neither")
	}
	if a.Weight != nil && (*a.Weight < 0 || *a.Weight > 255) {
		bad("TrafficArgs.Weight %d is invalid: use 0 to 255, or nil for the default %d", *a.Weight, DefaultWeight)
	}
	return errors.Join(errs...)
}

// BucketPolicy returns the stop bucket's policy: s3:GetObject on exactly the one drain object it
// holds, for requests from the Route 53 checkers' address ranges checkerCIDRs only (IPv4 and IPv6,
// an aws:SourceIp condition), and a denial of every request not made over TLS. Not listing, not other
// keys, not writes, not other addresses.
//
// S3 does not count a policy that limits access to a set of CIDRs with aws:SourceIp as public, so
// BlockPublicPolicy accepts it and RestrictPublicBuckets lets it work ("The meaning of public",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
// It is an error to pass no ranges (the drain switch could never be read: no drain), a range that
// does not parse, a range that allows every address, or so many that the policy passes S3's 20 KB.
func BucketPolicy(bucket, peerRegion string, checkerCIDRs []string) (string, error) {
	if len(checkerCIDRs) == 0 {
		return "", errors.New("the stop bucket policy needs the Route 53 checkers' address ranges: none were given, and without them no checker could read the drain object")
	}
	cidrs := make([]string, 0, len(checkerCIDRs))
	for _, c := range checkerCIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return "", fmt.Errorf("the stop bucket policy's checker range %q is not a CIDR block: %w", c, err)
		}
		if p.Bits() == 0 {
			return "", fmt.Errorf("the stop bucket policy's checker range %q allows every address: pass the Route 53 checkers' ranges", c)
		}
		if s := p.Masked().String(); !slices.Contains(cidrs, s) {
			cidrs = append(cidrs, s)
		}
	}
	arn := "arn:aws:s3:::" + bucket
	doc, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":       "Route53HealthCheckersReadTheDrainSwitch",
				"Effect":    "Allow",
				"Principal": "*",
				"Action":    "s3:GetObject",
				"Resource":  arn + "/" + stopswitch.ObjectKey(peerRegion),
				"Condition": map[string]any{"IpAddress": map[string]any{"aws:SourceIp": cidrs}},
			},
			map[string]any{
				"Sid":       "DenyInsecureTransport",
				"Effect":    "Deny",
				"Principal": "*",
				"Action":    "s3:*",
				"Resource":  []string{arn, arn + "/*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			},
		},
	})
	if err != nil {
		return "", fmt.Errorf("encoding the stop bucket policy: %w", err)
	}
	if len(doc) > maxBucketPolicyBytes {
		return "", fmt.Errorf("the stop bucket policy has %d bytes with %d checker ranges, S3 allows %d: use fewer TrafficArgs.HealthCheckRegions", len(doc), len(cidrs), maxBucketPolicyBytes)
	}
	return string(doc), nil
}

// NewTraffic creates the Traffic component: the stop bucket of this region, the three health checks
// of this region, and its weighted records.
func NewTraffic(ctx *pulumi.Context, name string, args *TrafficArgs, opts ...pulumi.ResourceOption) (*Traffic, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("traffic %s: %w", name, err)
	}
	weight := DefaultWeight
	if args.Weight != nil {
		weight = *args.Weight
	}
	path := args.HealthCheckPath
	if path == "" {
		path = DefaultHealthCheckPath
	}
	checkers := slices.Clone(args.HealthCheckRegions)
	if len(checkers) == 0 {
		checkers = DefaultHealthCheckRegions()
	}
	bucketName := stopswitch.BucketName(args.Deployment, args.AccountID, args.Region)
	drainSwitch := stopswitch.For(args.Deployment, args.AccountID, args.Region, args.PeerRegion)

	comp := &Traffic{Weight: weight, HealthCheckRegions: checkers}
	if err := ctx.RegisterComponentResource("ess-ha:traffic:Traffic", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering traffic %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)

	// The checkers' current ranges, read from AWS's ip-ranges.json on every run (preview included).
	ranges := aws.GetIpRangesOutput(ctx, aws.GetIpRangesOutputArgs{
		Services: pulumi.ToStringArray([]string{CheckerIPRangesService}),
		Regions:  pulumi.ToStringArray(checkers),
	}, parent)
	comp.CheckerCidrs = pulumi.All(ranges.CidrBlocks(), ranges.Ipv6CidrBlocks()).ApplyT(func(v []any) []string {
		return append(slices.Clone(v[0].([]string)), v[1].([]string)...)
	}).(pulumi.StringArrayOutput)
	policy := comp.CheckerCidrs.ApplyT(func(cidrs []string) (string, error) {
		doc, err := BucketPolicy(bucketName, args.PeerRegion, cidrs)
		if err != nil {
			return "", fmt.Errorf("traffic %s: checker regions %v: %w", name, checkers, err)
		}
		return doc, nil
	}).(pulumi.StringOutput)

	bucket, err := newStopBucket(ctx, name, bucketName, policy, args.Tags, parent)
	if err != nil {
		return nil, fmt.Errorf("traffic %s: %w", name, err)
	}

	// The load-balancer path: an HTTPS request for the health path through the region's edge.
	regions := pulumi.ToStringArray(checkers)
	if len(args.HealthCheckListenerArns) > 0 {
		for i, listener := range args.HealthCheckListenerArns {
			ruleName := fmt.Sprintf("%s-health-rule-%d", name, i)
			if _, err := lb.NewListenerRule(ctx, ruleName, &lb.ListenerRuleArgs{
				ListenerArn: listener,
				Priority:    pulumi.Int(HealthCheckRulePriority),
				Conditions: lb.ListenerRuleConditionArray{
					lb.ListenerRuleConditionArgs{HostHeader: &lb.ListenerRuleConditionHostHeaderArgs{
						Values: pulumi.StringArray{args.HealthCheckFQDN},
					}},
					lb.ListenerRuleConditionArgs{PathPattern: &lb.ListenerRuleConditionPathPatternArgs{
						Values: pulumi.StringArray{pulumi.String(path)},
					}},
				},
				Actions: lb.ListenerRuleActionArray{lb.ListenerRuleActionArgs{
					Type:           pulumi.String("forward"),
					TargetGroupArn: args.HealthCheckTargetGroupArn,
				}},
				Tags: awstags.With(args.Tags, "Name", ruleName),
			}, parent); err != nil {
				return nil, fmt.Errorf("traffic %s: creating the health-check listener rule %s: %w", name, ruleName, err)
			}
		}
	}
	lbName := name + "-lb-check"
	lbCheck, err := route53.NewHealthCheck(ctx, lbName, &route53.HealthCheckArgs{
		Type:             pulumi.String("HTTPS"),
		Fqdn:             args.HealthCheckFQDN,
		Port:             pulumi.Int(443),
		ResourcePath:     pulumi.String(path),
		EnableSni:        pulumi.Bool(true),
		RequestInterval:  pulumi.Int(RequestInterval),
		FailureThreshold: pulumi.Int(FailureThreshold),
		Regions:          regions,
		Tags:             awstags.With(args.Tags, "Name", lbName, "region", args.Region, "check", "load-balancer"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("traffic %s: creating health check %s: %w", name, lbName, err)
	}

	// The drain switch: this region's object in the peer's bucket, read over HTTPS, inverted.
	drainName := name + "-drain-check"
	drainCheck, err := route53.NewHealthCheck(ctx, drainName, &route53.HealthCheckArgs{
		Type:              pulumi.String("HTTPS"),
		Fqdn:              pulumi.String(drainSwitch.FQDN()),
		Port:              pulumi.Int(443),
		ResourcePath:      pulumi.String(drainSwitch.ResourcePath()),
		EnableSni:         pulumi.Bool(true),
		InvertHealthcheck: pulumi.Bool(true),
		RequestInterval:   pulumi.Int(RequestInterval),
		FailureThreshold:  pulumi.Int(FailureThreshold),
		Regions:           regions,
		Tags:              awstags.With(args.Tags, "Name", drainName, "region", args.Region, "check", "drain"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("traffic %s: creating health check %s: %w", name, drainName, err)
	}

	// What the services need: a check per dependency.
	children := pulumi.StringArray{lbCheck.ID().ToStringOutput(), drainCheck.ID().ToStringOutput()}
	depIDs := pulumi.StringMap{}
	for _, d := range args.Dependencies {
		id, err := newDependencyCheck(ctx, name, args.Region, d, args.Tags, parent)
		if err != nil {
			return nil, fmt.Errorf("traffic %s: %w", name, err)
		}
		children = append(children, id)
		depIDs[d.Name] = id
	}

	// The region: healthy only while the load-balancer path is healthy AND the region is not drained
	// AND every dependency is there. ALL children must be healthy.
	regionName := name + "-region-check"
	regionCheck, err := route53.NewHealthCheck(ctx, regionName, &route53.HealthCheckArgs{
		Type:                 pulumi.String("CALCULATED"),
		ChildHealthchecks:    children,
		ChildHealthThreshold: pulumi.Int(len(children)),
		Tags:                 awstags.With(args.Tags, "Name", regionName, "region", args.Region, "check", "region"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("traffic %s: creating health check %s: %w", name, regionName, err)
	}

	records, err := dns.NewRecords(ctx, name+"-records", &dns.RecordsArgs{
		ZoneID:        args.ZoneID,
		Hostnames:     args.Hostnames,
		TargetDNSName: args.AliasDNSName,
		TargetZoneID:  args.AliasZoneID,
		SetIdentifier: args.Region,
		Weight:        weight,
		HealthCheckID: regionCheck.ID().ToStringOutput(),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("traffic %s: %w", name, err)
	}

	comp.DrainBucket = bucket.Bucket
	comp.DrainObjectURL = pulumi.String(drainSwitch.URL()).ToStringOutput()
	comp.HealthCheckID = regionCheck.ID().ToStringOutput()
	comp.LBHealthCheckID = lbCheck.ID().ToStringOutput()
	comp.DrainHealthCheckID = drainCheck.ID().ToStringOutput()
	comp.DependencyHealthCheckIDs = depIDs.ToStringMapOutput()
	comp.RecordFqdns = records.Fqdns
	comp.Records = records
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"drainBucket":              comp.DrainBucket,
		"drainObjectUrl":           comp.DrainObjectURL,
		"healthCheckId":            comp.HealthCheckID,
		"lbHealthCheckId":          comp.LBHealthCheckID,
		"drainHealthCheckId":       comp.DrainHealthCheckID,
		"checkerCidrs":             comp.CheckerCidrs,
		"dependencyHealthCheckIds": comp.DependencyHealthCheckIDs,
		"recordFqdns":              comp.RecordFqdns,
	}); err != nil {
		return nil, fmt.Errorf("traffic %s: registering outputs: %w", name, err)
	}
	return comp, nil
}

// newDependencyCheck creates the health check of one dependency and returns its ID: a
// CLOUDWATCH_METRIC check of its alarm, or, for several alarms, a CALCULATED check that needs one of
// the CLOUDWATCH_METRIC checks of its alarms (present while any alarm is OK). The nested check does
// not contain the drain check, which stays a direct child of the region's check.
func newDependencyCheck(ctx *pulumi.Context, name, region string, d Dependency, common map[string]string, parent pulumi.ResourceOrInvokeOption) (pulumi.StringOutput, error) {
	base := name + "-dep-" + d.Name
	check := "dependency:" + d.Name
	alarmCheck := func(rname, tag string, a AlarmCheck) (pulumi.StringOutput, error) {
		hargs := &route53.HealthCheckArgs{
			Type:                         pulumi.String("CLOUDWATCH_METRIC"),
			CloudwatchAlarmName:          a.Name,
			CloudwatchAlarmRegion:        pulumi.String(a.Region),
			InsufficientDataHealthStatus: pulumi.String(InsufficientDataHealthStatus),
			Tags:                         awstags.With(common, "Name", rname, "region", region, "check", tag),
		}
		if a.Revision != nil {
			// An update makes Route 53 re-read the alarm's settings.
			// https://github.com/hashicorp/terraform-provider-aws/issues/29251
			hargs.Triggers = pulumi.StringMap{"alarmRevision": a.Revision}
		}
		hc, err := route53.NewHealthCheck(ctx, rname, hargs, parent)
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("creating health check %s: %w", rname, err)
		}
		return hc.ID().ToStringOutput(), nil
	}
	if len(d.Alarms) == 1 {
		return alarmCheck(base+"-check", check, d.Alarms[0])
	}
	members := pulumi.StringArray{}
	for i, a := range d.Alarms {
		id, err := alarmCheck(fmt.Sprintf("%s-%d-check", base, i+1), fmt.Sprintf("%s:%d", check, i+1), a)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		members = append(members, id)
	}
	rname := base + "-check"
	hc, err := route53.NewHealthCheck(ctx, rname, &route53.HealthCheckArgs{
		Type:                 pulumi.String("CALCULATED"),
		ChildHealthchecks:    members,
		ChildHealthThreshold: pulumi.Int(1),
		Tags:                 awstags.With(common, "Name", rname, "region", region, "check", check),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating health check %s: %w", rname, err)
	}
	return hc.ID().ToStringOutput(), nil
}

// newStopBucket creates the stop bucket of this region: versioned (every drain and restore leaves a
// version, an audit trail), SSE-S3 encrypted, owner-enforced (no ACLs), with all four Block Public
// Access settings on: its policy (BucketPolicy) grants Route 53's anonymous checkers s3:GetObject on
// the one drain object from their address ranges only, which S3 does not count as public. The bucket
// is never force-destroyed, and no object in it is ever managed here.
func newStopBucket(ctx *pulumi.Context, name, bucketName string, policy pulumi.StringInput, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*s3.BucketV2, error) {
	bname := name + "-stop-bucket"
	bucket, err := s3.NewBucketV2(ctx, bname, &s3.BucketV2Args{
		Bucket:       pulumi.String(bucketName),
		ForceDestroy: pulumi.Bool(false),
		Tags:         awstags.With(common, "Name", bucketName),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating stop bucket %s: %w", bname, err)
	}
	if _, err := s3.NewBucketVersioningV2(ctx, bname+"-versioning", &s3.BucketVersioningV2Args{
		Bucket: bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{
			Status: pulumi.String("Enabled"),
		},
	}, parent); err != nil {
		return nil, fmt.Errorf("enabling versioning on %s: %w", bname, err)
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, bname+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				// SSE-S3, not KMS: anonymous readers (Route 53's checkers) cannot use a KMS key.
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, parent); err != nil {
		return nil, fmt.Errorf("encrypting %s: %w", bname, err)
	}
	own, err := s3.NewBucketOwnershipControls(ctx, bname+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("enforcing bucket ownership of %s: %w", bname, err)
	}
	// All four on, as AWS recommends for every bucket (Security Hub control S3.8): the policy below is
	// not public, because its one grant is limited to fixed source ranges.
	pab, err := s3.NewBucketPublicAccessBlock(ctx, bname+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("setting the public access block of %s: %w", bname, err)
	}
	if _, err := s3.NewBucketPolicy(ctx, bname+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policy,
	}, parent, pulumi.DependsOn([]pulumi.Resource{pab, own})); err != nil {
		return nil, fmt.Errorf("creating the policy of %s: %w", bname, err)
	}
	return bucket, nil
}
