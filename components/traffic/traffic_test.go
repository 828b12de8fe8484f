package traffic_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/observability"
	"github.com/ess-ha/ess-ha/components/traffic"
	"github.com/ess-ha/ess-ha/internal/failover"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
	"github.com/ess-ha/ess-ha/internal/stopswitch"
)

var hostnames = []string{"example.com", "identity.example.com", "oidc.example.com"}

const (
	deployment = "ess-prod"
	zoneID     = "Z0123456789ABCDEFGHIJ"
	edgeDNS    = "edge-alb-1234.us-east-1.elb.amazonaws.com"
	edgeZone   = "Z35SXDOTRQ7X7K"
)

func baseArgs(region, peer string) *traffic.TrafficArgs {
	return &traffic.TrafficArgs{
		Deployment:      deployment,
		AccountID:       mocks.Account,
		Region:          region,
		PeerRegion:      peer,
		Hostnames:       hostnames,
		ZoneID:          pulumi.String(zoneID),
		AliasDNSName:    pulumi.String(edgeDNS),
		AliasZoneID:     pulumi.String(edgeZone),
		HealthCheckFQDN: pulumi.String(edgeDNS),
		Tags:            map[string]string{"project": "ess-ha"},
	}
}

func run(t *testing.T, region string, args *traffic.TrafficArgs) (*mocks.Mocks, *traffic.Traffic, error) {
	t.Helper()
	m := mocks.New("ess-ha", "prod-"+region, region)
	var comp *traffic.Traffic
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = traffic.NewTraffic(ctx, "traffic", args)
		return err
	})
	return m, comp, err
}

func mustRun(t *testing.T, region string, args *traffic.TrafficArgs) (*mocks.Mocks, *traffic.Traffic) {
	t.Helper()
	m, comp, err := run(t, region, args)
	require.NoError(t, err)
	return m, comp
}

func boolean(r *mocks.Registration, key string) bool {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	return ok && v.IsBool() && v.BoolValue()
}

// regionsOf returns the checker regions of a health check.
func regionsOf(r *mocks.Registration) []string {
	var out []string
	if v, ok := r.Inputs["regions"]; ok && v.IsArray() {
		for _, e := range v.ArrayValue() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func num(r *mocks.Registration, key string) int {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsNumber() {
		return -1
	}
	return int(v.NumberValue())
}

// checks returns the health checks of a run keyed by their "check" tag: load-balancer, drain,
// region, and dependency:<name>[:<n>] for each dependency.
func checks(t *testing.T, m *mocks.Mocks) map[string]*mocks.Registration {
	t.Helper()
	out := map[string]*mocks.Registration{}
	for _, r := range m.ByType("aws:route53/healthCheck:HealthCheck") {
		tags := r.Inputs["tags"].ObjectValue()
		k := tags["check"].StringValue()
		require.NotContains(t, out, k, "one check per tag")
		out[k] = r
		assert.Equal(t, r.Name, tags["Name"].StringValue(), "every check is tagged with its Name")
		assert.Equal(t, "ess-ha", tags["project"].StringValue())
	}
	for _, k := range []string{"load-balancer", "drain", "region"} {
		require.Contains(t, out, k)
	}
	return out
}

// childrenOf returns the child health check IDs of a CALCULATED check.
func childrenOf(r *mocks.Registration) []string {
	var out []string
	for _, v := range r.Inputs["childHealthchecks"].ArrayValue() {
		out = append(out, v.StringValue())
	}
	return out
}

// dependencies are a database with one alarm and a cache with three members, as
// observability.DependencyAlarms gives them.
func dependencies() []traffic.Dependency {
	return []traffic.Dependency{
		{Name: "database", Alarms: []traffic.AlarmCheck{
			{Name: pulumi.String("prod-database-gone"), Region: "us-east-1", Revision: pulumi.String("r-db")},
		}},
		{Name: "cache", Alarms: []traffic.AlarmCheck{
			{Name: pulumi.String("prod-cache1-gone"), Region: "us-east-1", Revision: pulumi.String("r-c1")},
			{Name: pulumi.String("prod-cache2-gone"), Region: "us-east-1", Revision: pulumi.String("r-c2")},
			{Name: pulumi.String("prod-cache3-gone"), Region: "us-east-1"},
		}},
	}
}

type statement struct {
	Sid       string
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

// mockCheckerRanges are the address ranges internal/mocks publishes for the Route 53 checkers of
// each checker region (documentation addresses).
var mockCheckerRanges = map[string][]string{
	"us-east-1":      {"192.0.2.0/28", "198.51.100.0/28", "2001:db8:1::/48"},
	"us-west-1":      {"192.0.2.16/28", "198.51.100.16/28", "2001:db8:2::/48"},
	"us-west-2":      {"192.0.2.32/28", "198.51.100.32/28", "2001:db8:3::/48"},
	"eu-west-1":      {"192.0.2.48/28", "198.51.100.48/28", "2001:db8:4::/48"},
	"ap-southeast-1": {"192.0.2.64/28", "198.51.100.64/28", "2001:db8:5::/48"},
}

// checkerRanges returns the mock ranges of the checkers of regions, IPv4 (sorted) then IPv6.
func checkerRanges(t *testing.T, regions ...string) []string {
	t.Helper()
	var v4, v6 []string
	for _, r := range regions {
		ranges, ok := mockCheckerRanges[r]
		require.True(t, ok, "no mock ranges for %s", r)
		v4 = append(v4, ranges[:2]...)
		v6 = append(v6, ranges[2])
	}
	slices.Sort(v4)
	slices.Sort(v6)
	return append(v4, v6...)
}

// sourceIPs returns the aws:SourceIp ranges an IpAddress condition of a statement allows.
func sourceIPs(s statement) []string {
	var out []string
	list, _ := s.Condition["IpAddress"]["aws:SourceIp"].([]any)
	for _, v := range list {
		if c, ok := v.(string); ok {
			out = append(out, c)
		}
	}
	return out
}

// publicGrants returns the statements that S3 counts as public, by the rule of "The meaning of
// public" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
// an Allow to every principal is public unless a condition limits it to fixed values, here a set of
// CIDRs with aws:SourceIp. With BlockPublicPolicy on, S3 refuses a policy that has one; with
// RestrictPublicBuckets on, it ignores the grant for anonymous callers.
func publicGrants(stmts []statement) []statement {
	var out []statement
	for _, s := range stmts {
		everyone := s.Principal == "*"
		if p, ok := s.Principal.(map[string]any); ok && p["AWS"] == "*" {
			everyone = true
		}
		if s.Effect != "Allow" || !everyone {
			continue
		}
		fixed := len(sourceIPs(s)) > 0
		for _, c := range sourceIPs(s) {
			if p, err := netip.ParsePrefix(c); err != nil || p.Bits() == 0 {
				fixed = false
			}
		}
		if !fixed {
			out = append(out, s)
		}
	}
	return out
}

func policyOf(t *testing.T, m *mocks.Mocks) []statement {
	t.Helper()
	var doc struct{ Statement []statement }
	require.NoError(t, json.Unmarshal([]byte(mockstest.Str(mockstest.One(t, m, "aws:s3/bucketPolicy:BucketPolicy"), "policy")), &doc))
	return doc.Statement
}

func TestStopBucket(t *testing.T) {
	m, comp := mustRun(t, "us-east-1", baseArgs("us-east-1", "us-west-2"))
	trafficURN := mockstest.One(t, m, "ess-ha:traffic:Traffic").URN

	bucket := mockstest.One(t, m, "aws:s3/bucketV2:BucketV2")
	assert.Equal(t, trafficURN, bucket.Parent)
	assert.Equal(t, "ess-prod-stop-123456789012-us-east-1", mockstest.Str(bucket, "bucket"), "this region's stop bucket")
	assert.Equal(t, stopswitch.BucketName(deployment, mocks.Account, "us-east-1"), mockstest.Str(bucket, "bucket"), "the name the failover command uses")
	assert.False(t, boolean(bucket, "forceDestroy"))
	assert.Equal(t, "ess-prod-stop-123456789012-us-east-1", mockstest.Await[string](t, comp.DrainBucket))

	versioning := mockstest.One(t, m, "aws:s3/bucketVersioningV2:BucketVersioningV2")
	assert.Equal(t, "Enabled", versioning.Inputs["versioningConfiguration"].ObjectValue()["status"].StringValue())
	assert.Equal(t, bucket.ID, mockstest.Str(versioning, "bucket"))

	sse := mockstest.One(t, m, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	rules := sse.Inputs["rules"].ArrayValue()
	require.Len(t, rules, 1)
	assert.Equal(t, "AES256", rules[0].ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()["sseAlgorithm"].StringValue())

	own := mockstest.One(t, m, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
	assert.Equal(t, "BucketOwnerEnforced", own.Inputs["rule"].ObjectValue()["objectOwnership"].StringValue())

	// All four Block Public Access settings are on, and the policy is not public, so S3 accepts it
	// (BlockPublicPolicy) and applies its grant (RestrictPublicBuckets).
	pab := mockstest.One(t, m, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
	for _, k := range []string{"blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"} {
		assert.True(t, boolean(pab, k), "%s is on", k)
	}
	assert.Empty(t, publicGrants(policyOf(t, m)), "S3 does not count the policy as public")
	assert.Equal(t, bucket.ID, mockstest.Str(pab, "bucket"))

	bp := mockstest.One(t, m, "aws:s3/bucketPolicy:BucketPolicy")
	assert.Contains(t, bp.Dependencies, pab.URN, "the policy waits for the public access block")
	assert.Contains(t, bp.Dependencies, own.URN)

	for _, r := range m.Registrations() {
		if r.Type != "ess-ha:traffic:Traffic" && r.Type != "ess-ha:dns:Records" && r.Type != "aws:route53/record:Record" {
			assert.Equal(t, trafficURN, r.Parent, "%s is a child of the component", r.Name)
		}
		assert.True(t, strings.HasPrefix(r.Name, "traffic"), "%s is prefixed with the component's name", r.Name)
	}
}

func TestBucketPolicyScopedToPeerDrainObject(t *testing.T) {
	m, _ := mustRun(t, "us-east-1", baseArgs("us-east-1", "us-west-2"))
	stmts := policyOf(t, m)
	var allows, denies []statement
	for _, s := range stmts {
		switch s.Effect {
		case "Allow":
			allows = append(allows, s)
		case "Deny":
			denies = append(denies, s)
		}
	}
	require.Len(t, allows, 1, "one grant only")
	assert.Equal(t, "*", allows[0].Principal)
	assert.Equal(t, "s3:GetObject", allows[0].Action, "read only, no listing")
	assert.Equal(t, "arn:aws:s3:::ess-prod-stop-123456789012-us-east-1/drain/us-west-2", allows[0].Resource,
		"exactly the peer's drain object, no wildcard")
	assert.NotContains(t, allows[0].Resource, "*")
	require.Len(t, allows[0].Condition, 1, "one condition: the source address")
	assert.Equal(t, checkerRanges(t, traffic.DefaultHealthCheckRegions()...), sourceIPs(allows[0]),
		"only the checkers of the health checks' regions, IPv4 and IPv6")

	require.Len(t, denies, 1)
	assert.Equal(t, "s3:*", denies[0].Action)
	assert.ElementsMatch(t, []any{"arn:aws:s3:::ess-prod-stop-123456789012-us-east-1", "arn:aws:s3:::ess-prod-stop-123456789012-us-east-1/*"}, denies[0].Resource)
	assert.Equal(t, "false", denies[0].Condition["Bool"]["aws:SecureTransport"], "plain HTTP is refused")
}

func TestNoDrainObjectIsManaged(t *testing.T) {
	m, _ := mustRun(t, "us-east-1", baseArgs("us-east-1", "us-west-2"))
	require.NotEmpty(t, m.Registrations())
	for _, r := range m.Registrations() {
		lower := strings.ToLower(r.Type)
		assert.NotContains(t, lower, "bucketobject", "%s: the program never writes a drain object", r.Name)
		assert.NotContains(t, lower, "objectcopy", "%s", r.Name)
		assert.False(t, strings.HasPrefix(r.Type, "aws:s3/object"), "%s", r.Type)
		if strings.HasPrefix(r.Type, "aws:s3/") {
			assert.NotContains(t, r.Inputs, resource.PropertyKey("key"), "%s: no S3 resource names an object key", r.Name)
		}
	}
}

func TestHealthChecks(t *testing.T) {
	m, comp := mustRun(t, "us-east-1", baseArgs("us-east-1", "us-west-2"))
	c := checks(t, m)

	lbCheck := c["load-balancer"]
	assert.Equal(t, "traffic-lb-check", lbCheck.Name)
	assert.Equal(t, "HTTPS", mockstest.Str(lbCheck, "type"))
	assert.Equal(t, edgeDNS, mockstest.Str(lbCheck, "fqdn"))
	assert.Equal(t, 443, num(lbCheck, "port"))
	assert.Equal(t, "/health", mockstest.Str(lbCheck, "resourcePath"), "the default path")
	assert.True(t, boolean(lbCheck, "enableSni"))
	assert.Equal(t, 10, num(lbCheck, "requestInterval"))
	assert.Equal(t, 3, num(lbCheck, "failureThreshold"))
	assert.False(t, boolean(lbCheck, "invertHealthcheck"))
	assert.Equal(t, traffic.DefaultHealthCheckRegions(), regionsOf(lbCheck), "explicit checker regions, whose ranges the bucket allows")

	drain := c["drain"]
	assert.Equal(t, "traffic-drain-check", drain.Name)
	assert.Equal(t, "HTTPS", mockstest.Str(drain, "type"))
	assert.Equal(t, "ess-prod-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com", mockstest.Str(drain, "fqdn"), "the peer region's stop bucket")
	assert.Equal(t, "/drain/us-east-1", mockstest.Str(drain, "resourcePath"), "this region's switch")
	assert.Equal(t, 443, num(drain, "port"))
	assert.True(t, boolean(drain, "invertHealthcheck"), "object present (200) means drained")
	assert.True(t, boolean(drain, "enableSni"))
	assert.Equal(t, traffic.DefaultHealthCheckRegions(), regionsOf(drain))
	assert.Len(t, traffic.DefaultHealthCheckRegions(), 3, "Route 53's minimum")

	// The same switch the failover command writes.
	switches, err := failover.Switches(deployment, mocks.Account, []string{"us-east-1", "us-west-2"})
	require.NoError(t, err)
	assert.Equal(t, switches[0].FQDN(), mockstest.Str(drain, "fqdn"))
	assert.Equal(t, switches[0].ResourcePath(), mockstest.Str(drain, "resourcePath"))

	region := c["region"]
	assert.Equal(t, "traffic-region-check", region.Name)
	assert.Equal(t, "CALCULATED", mockstest.Str(region, "type"))
	assert.Equal(t, 2, num(region, "childHealthThreshold"), "both children must be healthy")
	children := region.Inputs["childHealthchecks"].ArrayValue()
	require.Len(t, children, 2)
	assert.ElementsMatch(t, []string{lbCheck.ID, drain.ID}, []string{children[0].StringValue(), children[1].StringValue()})

	assert.NotContains(t, region.Inputs, resource.PropertyKey("regions"), "a calculated check has no checkers")

	assert.Equal(t, region.ID, mockstest.Await[string](t, comp.HealthCheckID))
	assert.Equal(t, lbCheck.ID, mockstest.Await[string](t, comp.LBHealthCheckID))
	assert.Equal(t, drain.ID, mockstest.Await[string](t, comp.DrainHealthCheckID))
	assert.Equal(t, "https://ess-prod-stop-123456789012-us-west-2.s3.us-west-2.amazonaws.com/drain/us-east-1", mockstest.Await[string](t, comp.DrainObjectURL))
}

func TestWeightedRecords(t *testing.T) {
	m, comp := mustRun(t, "us-east-1", baseArgs("us-east-1", "us-west-2"))
	region := checks(t, m)["region"]
	recordsComp := mockstest.One(t, m, "ess-ha:dns:Records")
	assert.Equal(t, mockstest.One(t, m, "ess-ha:traffic:Traffic").URN, recordsComp.Parent, "the records are the component's children")

	records := m.ByType("aws:route53/record:Record")
	require.Len(t, records, len(hostnames), "an A record per name; no AAAA to IPv4-only targets")
	types := map[string][]string{}
	for _, r := range records {
		assert.Equal(t, recordsComp.URN, r.Parent)
		assert.Equal(t, zoneID, mockstest.Str(r, "zoneId"))
		assert.Equal(t, "us-east-1", mockstest.Str(r, "setIdentifier"), "set identifier = region")
		assert.Equal(t, region.ID, mockstest.Str(r, "healthCheckId"), "tied to the calculated check")
		w := r.Inputs["weightedRoutingPolicies"].ArrayValue()
		require.Len(t, w, 1)
		assert.Equal(t, float64(traffic.DefaultWeight), w[0].ObjectValue()["weight"].NumberValue())
		aliases := r.Inputs["aliases"].ArrayValue()
		require.Len(t, aliases, 1)
		assert.Equal(t, edgeDNS, aliases[0].ObjectValue()["name"].StringValue())
		assert.Equal(t, edgeZone, aliases[0].ObjectValue()["zoneId"].StringValue())
		types[mockstest.Str(r, "name")] = append(types[mockstest.Str(r, "name")], mockstest.Str(r, "type"))
	}
	for _, h := range hostnames {
		assert.Equal(t, []string{"A"}, types[h], h)
	}
	assert.Equal(t, hostnames, mockstest.Await[[]string](t, comp.RecordFqdns))
	assert.Len(t, comp.Records.Records, len(hostnames))
	assert.Equal(t, traffic.DefaultWeight, comp.Weight)
}

func TestExplicitWeights(t *testing.T) {
	for _, w := range []int{0, 37, 255} {
		args := baseArgs("us-west-2", "us-east-1")
		args.Weight = pulumi.IntRef(w)
		m, comp := mustRun(t, "us-west-2", args)
		assert.Equal(t, w, comp.Weight)
		for _, r := range m.ByType("aws:route53/record:Record") {
			weights := r.Inputs["weightedRoutingPolicies"].ArrayValue()
			require.Len(t, weights, 1)
			assert.Equal(t, float64(w), weights[0].ObjectValue()["weight"].NumberValue(), "weight %d is kept, 0 included", w)
			assert.Equal(t, "us-west-2", mockstest.Str(r, "setIdentifier"))
		}
	}
}

// TestPairFits plans both regions and checks that each region's drain check reads the object that
// the OTHER region's stop bucket holds and publishes, and that the record sets are disjoint.
func TestPairFits(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2"}
	type plan struct {
		bucket, allowed, drainFQDN, drainPath string
		allowedFrom, drainCheckers            []string
		setIDs                                map[string]bool
	}
	plans := map[string]plan{}
	for i, r := range regions {
		m, _ := mustRun(t, r, baseArgs(r, regions[1-i]))
		var allowed string
		var allowedFrom []string
		for _, s := range policyOf(t, m) {
			if s.Effect == "Allow" {
				allowed, _ = s.Resource.(string)
				allowedFrom = sourceIPs(s)
			}
		}
		drain := checks(t, m)["drain"]
		ids := map[string]bool{}
		for _, rec := range m.ByType("aws:route53/record:Record") {
			ids[mockstest.Str(rec, "setIdentifier")] = true
		}
		plans[r] = plan{
			bucket:    mockstest.Str(mockstest.One(t, m, "aws:s3/bucketV2:BucketV2"), "bucket"),
			allowed:   allowed,
			drainFQDN: mockstest.Str(drain, "fqdn"),
			drainPath: mockstest.Str(drain, "resourcePath"),
			setIDs:    ids,

			allowedFrom:   allowedFrom,
			drainCheckers: regionsOf(drain),
		}
	}
	for i, r := range regions {
		peer := plans[regions[1-i]]
		me := plans[r]
		assert.Equal(t, peer.bucket+".s3."+regions[1-i]+".amazonaws.com", me.drainFQDN, "%s's switch is in the peer's bucket", r)
		assert.Equal(t, "arn:aws:s3:::"+peer.bucket+me.drainPath, peer.allowed, "the peer's bucket exposes exactly %s's switch", r)
		assert.Equal(t, checkerRanges(t, me.drainCheckers...), peer.allowedFrom, "the peer's bucket lets exactly the checkers of %s's drain check read it", r)
		assert.Equal(t, map[string]bool{r: true}, me.setIDs)
	}
	assert.NotEqual(t, plans["us-east-1"].bucket, plans["us-west-2"].bucket)
}

func TestOptionalHealthCheckSettings(t *testing.T) {
	args := baseArgs("us-east-1", "us-west-2")
	args.HealthCheckPath = "/ready"
	args.HealthCheckRegions = []string{"eu-west-1", "us-west-1", "us-east-1"}
	args.HealthCheckListenerArns = pulumi.StringArray{
		pulumi.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/1/2"),
		pulumi.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/b/3/4"),
	}
	args.HealthCheckTargetGroupArn = pulumi.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ess-ldp/5")
	m, _ := mustRun(t, "us-east-1", args)

	c := checks(t, m)
	assert.Equal(t, "/ready", mockstest.Str(c["load-balancer"], "resourcePath"))
	for _, k := range []string{"load-balancer", "drain"} {
		assert.Equal(t, args.HealthCheckRegions, regionsOf(c[k]), k)
	}
	for _, s := range policyOf(t, m) {
		if s.Effect == "Allow" {
			assert.Equal(t, checkerRanges(t, "us-east-1", "us-west-1", "eu-west-1"), sourceIPs(s), "the ranges follow the checker regions")
		}
	}

	rules := m.ByType("aws:lb/listenerRule:ListenerRule")
	require.Len(t, rules, 2, "one rule per listener")
	for _, r := range rules {
		assert.Equal(t, traffic.HealthCheckRulePriority, num(r, "priority"))
		conds := r.Inputs["conditions"].ArrayValue()
		require.Len(t, conds, 2)
		var host, path []string
		for _, cnd := range conds {
			o := cnd.ObjectValue()
			if h, ok := o["hostHeader"]; ok {
				for _, v := range h.ObjectValue()["values"].ArrayValue() {
					host = append(host, v.StringValue())
				}
			}
			if p, ok := o["pathPattern"]; ok {
				for _, v := range p.ObjectValue()["values"].ArrayValue() {
					path = append(path, v.StringValue())
				}
			}
		}
		assert.Equal(t, []string{edgeDNS}, host, "only requests for the load balancer's own name")
		assert.Equal(t, []string{"/ready"}, path, "only the health path")
		actions := r.Inputs["actions"].ArrayValue()
		require.Len(t, actions, 1)
		assert.Equal(t, "forward", actions[0].ObjectValue()["type"].StringValue())
	}
}

func TestNoListenerRuleByDefault(t *testing.T) {
	m, _ := mustRun(t, "us-east-1", baseArgs("us-east-1", "us-west-2"))
	assert.Empty(t, m.ByType("aws:lb/listenerRule:ListenerRule"))
}

func TestArgsErrors(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *traffic.TrafficArgs)
		want   string
	}{
		{"nil", nil, "TrafficArgs is nil"},
		{"deployment with dots", func(a *traffic.TrafficArgs) { a.Deployment = "ess.prod" }, "TrafficArgs.Deployment"},
		{"deployment upper case", func(a *traffic.TrafficArgs) { a.Deployment = "ESS" }, "TrafficArgs.Deployment"},
		{"deployment too long", func(a *traffic.TrafficArgs) { a.Deployment = strings.Repeat("a", 50) }, "S3 allows 63"},
		{"deployment with a prefix S3 reserves", func(a *traffic.TrafficArgs) { a.Deployment = "xn--ess" }, "S3 refuses bucket names that start with xn--"},
		{"deployment ending with a hyphen", func(a *traffic.TrafficArgs) { a.Deployment = "ess-" }, "TrafficArgs.Deployment"},
		{"bad region", func(a *traffic.TrafficArgs) { a.Region = "east" }, "TrafficArgs.Region"},
		{"bad peer", func(a *traffic.TrafficArgs) { a.PeerRegion = "" }, "TrafficArgs.PeerRegion"},
		{"same region", func(a *traffic.TrafficArgs) { a.PeerRegion = a.Region }, "TrafficArgs.PeerRegion"},
		{"no hostnames", func(a *traffic.TrafficArgs) { a.Hostnames = nil }, "TrafficArgs.Hostnames is empty"},
		{"bad hostname", func(a *traffic.TrafficArgs) { a.Hostnames = []string{"Example.com."} }, "TrafficArgs.Hostnames[0]"},
		{"duplicate hostname", func(a *traffic.TrafficArgs) { a.Hostnames = []string{"example.com", "example.com"} }, "listed twice"},
		{"no zone", func(a *traffic.TrafficArgs) { a.ZoneID = nil }, "TrafficArgs.ZoneID"},
		{"no alias name", func(a *traffic.TrafficArgs) { a.AliasDNSName = nil }, "TrafficArgs.AliasDNSName"},
		{"no alias zone", func(a *traffic.TrafficArgs) { a.AliasZoneID = nil }, "TrafficArgs.AliasZoneID"},
		{"no fqdn", func(a *traffic.TrafficArgs) { a.HealthCheckFQDN = nil }, "TrafficArgs.HealthCheckFQDN"},
		{"relative path", func(a *traffic.TrafficArgs) { a.HealthCheckPath = "health" }, "TrafficArgs.HealthCheckPath"},
		{"two checker regions", func(a *traffic.TrafficArgs) { a.HealthCheckRegions = []string{"us-east-1", "us-west-1"} }, "at least 3"},
		{"not a checker region", func(a *traffic.TrafficArgs) {
			a.HealthCheckRegions = []string{"us-east-1", "us-west-1", "eu-central-1"}
		}, `TrafficArgs.HealthCheckRegions[2] "eu-central-1" is not a Route 53 checker region`},
		{"checker region twice", func(a *traffic.TrafficArgs) {
			a.HealthCheckRegions = []string{"us-east-1", "us-west-1", "us-east-1"}
		}, "listed twice"},
		{"weight too big", func(a *traffic.TrafficArgs) { a.Weight = pulumi.IntRef(256) }, "TrafficArgs.Weight"},
		{"negative weight", func(a *traffic.TrafficArgs) { a.Weight = pulumi.IntRef(-1) }, "TrafficArgs.Weight"},
		{"listener without target group", func(a *traffic.TrafficArgs) {
			a.HealthCheckListenerArns = pulumi.StringArray{pulumi.String("arn:listener")}
		}, "HealthCheckTargetGroupArn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var args *traffic.TrafficArgs
			if c.mutate != nil {
				args = baseArgs("us-east-1", "us-west-2")
				c.mutate(args)
			}
			m, _, err := run(t, "us-east-1", args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "traffic traffic:", "the error names the component")
			assert.Empty(t, m.Registrations(), "nothing is created")
		})
	}
}

func TestHelpers(t *testing.T) {
	doc, err := traffic.BucketPolicy("b", "us-west-2", []string{"192.0.2.0/28", "2001:db8::/48"})
	require.NoError(t, err)
	assert.Contains(t, doc, `"arn:aws:s3:::b/drain/us-west-2"`)
	assert.Contains(t, doc, `"aws:SourceIp":["192.0.2.0/28","2001:db8::/48"]`)
}

func TestBucketPolicyChecksTheRanges(t *testing.T) {
	doc, err := traffic.BucketPolicy("b", "us-west-2", []string{"192.0.2.1/28", "192.0.2.0/28", "2001:DB8::/48"})
	require.NoError(t, err)
	assert.Contains(t, doc, `"aws:SourceIp":["192.0.2.0/28","2001:db8::/48"]`, "normalised, each once")

	many := make([]string, 0, 2000)
	for i := range 2000 {
		many = append(many, fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	}
	for name, c := range map[string]struct {
		cidrs []string
		want  string
	}{
		"none":      {nil, "none were given"},
		"not CIDR":  {[]string{"192.0.2.1"}, `"192.0.2.1" is not a CIDR block`},
		"everybody": {[]string{"0.0.0.0/0"}, "allows every address"},
		"v6 all":    {[]string{"::/0"}, "allows every address"},
		"too big":   {many, "S3 allows 20480"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := traffic.BucketPolicy("b", "us-west-2", c.cidrs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestCheckerRangesOutput(t *testing.T) {
	_, comp := mustRun(t, "us-west-2", baseArgs("us-west-2", "us-east-1"))
	assert.Equal(t, checkerRanges(t, traffic.DefaultHealthCheckRegions()...), mockstest.Await[[]string](t, comp.CheckerCidrs))
	assert.Equal(t, traffic.DefaultHealthCheckRegions(), comp.HealthCheckRegions)
}

func TestDependencyChecks(t *testing.T) {
	args := baseArgs("us-east-1", "us-west-2")
	args.Dependencies = dependencies()
	m, comp := mustRun(t, "us-east-1", args)
	c := checks(t, m)
	require.Len(t, c, 3+1+1+3, "load balancer, drain, region, database, cache and its three members")

	db := c["dependency:database"]
	assert.Equal(t, "traffic-dep-database-check", db.Name)
	assert.Equal(t, "CLOUDWATCH_METRIC", mockstest.Str(db, "type"))
	assert.Equal(t, "prod-database-gone", mockstest.Str(db, "cloudwatchAlarmName"))
	assert.Equal(t, "us-east-1", mockstest.Str(db, "cloudwatchAlarmRegion"))
	assert.Equal(t, "LastKnownStatus", mockstest.Str(db, "insufficientDataHealthStatus"), "a new check is healthy, then follows the alarm")
	assert.Equal(t, "r-db", db.Inputs["triggers"].ObjectValue()["alarmRevision"].StringValue(), "a changed alarm updates the check")
	assert.False(t, boolean(db, "invertHealthcheck"))
	assert.NotContains(t, db.Inputs, resource.PropertyKey("regions"), "no checkers: Route 53 reads the alarm")

	cache := c["dependency:cache"]
	assert.Equal(t, "traffic-dep-cache-check", cache.Name)
	assert.Equal(t, "CALCULATED", mockstest.Str(cache, "type"))
	assert.Equal(t, 1, num(cache, "childHealthThreshold"), "the cache is there while any member is")
	var members []string
	for i := 1; i <= 3; i++ {
		mc := c[fmt.Sprintf("dependency:cache:%d", i)]
		require.NotNil(t, mc)
		assert.Equal(t, fmt.Sprintf("traffic-dep-cache-%d-check", i), mc.Name)
		assert.Equal(t, "CLOUDWATCH_METRIC", mockstest.Str(mc, "type"))
		assert.Equal(t, fmt.Sprintf("prod-cache%d-gone", i), mockstest.Str(mc, "cloudwatchAlarmName"))
		assert.Equal(t, "LastKnownStatus", mockstest.Str(mc, "insufficientDataHealthStatus"))
		members = append(members, mc.ID)
	}
	assert.Equal(t, members, childrenOf(cache))
	assert.NotContains(t, c["dependency:cache:3"].Inputs, resource.PropertyKey("triggers"), "no revision, no triggers")

	region := c["region"]
	assert.Equal(t, []string{c["load-balancer"].ID, c["drain"].ID, db.ID, cache.ID}, childrenOf(region))
	assert.Equal(t, 4, num(region, "childHealthThreshold"), "every child must be healthy")
	assert.Equal(t, map[string]string{"database": db.ID, "cache": cache.ID}, mockstest.Await[map[string]string](t, comp.DependencyHealthCheckIDs))

	for _, r := range m.ByType("aws:route53/healthCheck:HealthCheck") {
		assert.Equal(t, mockstest.One(t, m, "ess-ha:traffic:Traffic").URN, r.Parent, "%s is the component's child", r.Name)
	}
}

// TestRegionCheckCanBeDrained encodes what ha-drain-check-inverted accepts
// (policies/internal/rules/drain-check-inverted.go): the health check of the weighted records is a
// CALCULATED check, neither inverted nor disabled, with childHealthThreshold equal to its number of
// children and the drain check (an inverted, enabled HTTPS check of an *.s3.*.amazonaws.com name)
// among them; a nested CALCULATED check (a dependency with several alarms) does not contain the
// drain check.
func TestRegionCheckCanBeDrained(t *testing.T) {
	for name, deps := range map[string][]traffic.Dependency{"without dependencies": nil, "with dependencies": dependencies()} {
		t.Run(name, func(t *testing.T) {
			args := baseArgs("us-west-2", "us-east-1")
			args.Dependencies = deps
			m, _ := mustRun(t, "us-west-2", args)
			byID := map[string]*mocks.Registration{}
			for _, r := range m.ByType("aws:route53/healthCheck:HealthCheck") {
				byID[r.ID] = r
			}
			isDrain := func(r *mocks.Registration) bool {
				return mockstest.Str(r, "type") == "HTTPS" && strings.Contains(mockstest.Str(r, "fqdn"), ".s3.") && strings.HasSuffix(mockstest.Str(r, "fqdn"), ".amazonaws.com")
			}
			for _, rec := range m.ByType("aws:route53/record:Record") {
				hc := byID[mockstest.Str(rec, "healthCheckId")]
				require.NotNil(t, hc, "record %s has a health check of the stack", rec.Name)
				assert.Equal(t, "CALCULATED", mockstest.Str(hc, "type"))
				assert.False(t, boolean(hc, "invertHealthcheck"))
				assert.False(t, boolean(hc, "disabled"))
				kids := childrenOf(hc)
				assert.Equal(t, len(kids), num(hc, "childHealthThreshold"), "needs all %d children", len(kids))
				var drains int
				for _, id := range kids {
					child := byID[id]
					require.NotNil(t, child)
					if isDrain(child) {
						drains++
						assert.True(t, boolean(child, "invertHealthcheck"), "the drain check is inverted")
						assert.False(t, boolean(child, "disabled"))
					}
					if mockstest.Str(child, "type") == "CALCULATED" {
						for _, g := range childrenOf(child) {
							assert.False(t, isDrain(byID[g]), "the drain check is not nested")
						}
					}
				}
				assert.Equal(t, 1, drains, "the drain check is a direct child")
			}
		})
	}
}

func TestDependencyArgsErrors(t *testing.T) {
	for name, c := range map[string]struct {
		deps []traffic.Dependency
		want string
	}{
		"bad name":  {[]traffic.Dependency{{Name: "Data Base", Alarms: dependencies()[0].Alarms}}, `TrafficArgs.Dependencies[0].Name "Data Base" is invalid`},
		"twice":     {[]traffic.Dependency{dependencies()[0], dependencies()[0]}, `TrafficArgs.Dependencies[1].Name "database" is listed twice`},
		"no alarms": {[]traffic.Dependency{{Name: "cache"}}, "TrafficArgs.Dependencies[0] (cache) has 0 alarms"},
		"no alarm name": {[]traffic.Dependency{{Name: "cache", Alarms: []traffic.AlarmCheck{{Region: "us-east-1"}}}},
			"TrafficArgs.Dependencies[0].Alarms[0].Name is not set"},
		"bad alarm region": {[]traffic.Dependency{{Name: "cache", Alarms: []traffic.AlarmCheck{{Name: pulumi.String("a"), Region: "east"}}}},
			`TrafficArgs.Dependencies[0].Alarms[0].Region "east" is invalid`},
	} {
		t.Run(name, func(t *testing.T) {
			args := baseArgs("us-east-1", "us-west-2")
			args.Dependencies = c.deps
			m, _, err := run(t, "us-east-1", args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.Registrations())
		})
	}
}

// TestDependenciesFromObservability wires observability.DependencyAlarms into the region's check, as
// components/region does: each health check follows the alarm it names, in the alarm's region.
func TestDependenciesFromObservability(t *testing.T) {
	m := mocks.New("ess-ha", "prod-us-west-2", "us-west-2")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		deps, err := observability.NewDependencyAlarms(ctx, "deps", &observability.DependencyAlarmsArgs{
			Region:                    "us-west-2",
			DatabaseClusterIdentifier: pulumi.String("ess-globaldb-us-west-2"),
			CacheReplicationGroupID:   pulumi.String("ess-cache"),
			CacheClusters:             2,
		})
		if err != nil {
			return err
		}
		alarm := func(h observability.HealthAlarm) traffic.AlarmCheck {
			return traffic.AlarmCheck{Name: h.Name, Region: h.Region, Revision: h.Revision}
		}
		cache := traffic.Dependency{Name: "cache"}
		for _, h := range deps.Cache {
			cache.Alarms = append(cache.Alarms, alarm(h))
		}
		args := baseArgs("us-west-2", "us-east-1")
		args.Dependencies = []traffic.Dependency{{Name: "database", Alarms: []traffic.AlarmCheck{alarm(deps.Database)}}, cache}
		_, err = traffic.NewTraffic(ctx, "traffic", args)
		return err
	})
	require.NoError(t, err)

	alarms := map[string]*mocks.Registration{}
	for _, a := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		alarms[mockstest.Str(a, "name")] = a
	}
	c := checks(t, m)
	for key, alarmName := range map[string]string{
		"dependency:database": "ess-ha-prod-us-west-2-deps-database-gone",
		"dependency:cache:1":  "ess-ha-prod-us-west-2-deps-cache1-gone",
		"dependency:cache:2":  "ess-ha-prod-us-west-2-deps-cache2-gone",
	} {
		require.Contains(t, c, key)
		require.Contains(t, alarms, alarmName)
		assert.Equal(t, alarmName, mockstest.Str(c[key], "cloudwatchAlarmName"), key)
		assert.Equal(t, "us-west-2", mockstest.Str(c[key], "cloudwatchAlarmRegion"), key)
		assert.Contains(t, c[key].PropertyDependencies["cloudwatchAlarmName"], alarms[alarmName].URN, "%s is created after its alarm", key)
		assert.Len(t, c[key].Inputs["triggers"].ObjectValue()["alarmRevision"].StringValue(), 16, key)
	}
	assert.Len(t, childrenOf(c["region"]), 4)
}

// TestDrainSwitchAgreesWithFailover: for each pair, the stop bucket, the drain check's host and path,
// the bucket policy's object and the DrainObjectURL output of the component are the names the
// failover command reads and writes.
func TestDrainSwitchAgreesWithFailover(t *testing.T) {
	for _, tc := range []struct{ deployment, region, peer string }{
		{"ess-prod", "us-east-1", "us-west-2"},
		{"ess-prod", "us-west-2", "us-east-1"},
		{"a", "eu-west-1", "eu-central-1"},
		{"x-1-y", "ap-southeast-10", "ap-southeast-2"},
		{strings.Repeat("d", 63-len("-stop-123456789012-ap-southeast-10")), "ap-southeast-10", "us-east-1"},
	} {
		t.Run(tc.deployment+"/"+tc.region, func(t *testing.T) {
			args := baseArgs(tc.region, tc.peer)
			args.Deployment = tc.deployment
			m, comp := mustRun(t, tc.region, args)
			switches, err := failover.Switches(tc.deployment, mocks.Account, []string{tc.region, tc.peer})
			require.NoError(t, err)
			own, peer := switches[0], switches[1]

			assert.Equal(t, peer.Bucket, mockstest.Str(mockstest.One(t, m, "aws:s3/bucketV2:BucketV2"), "bucket"), "this region's bucket holds the peer's switch")
			drain := checks(t, m)["drain"]
			assert.Equal(t, own.FQDN(), mockstest.Str(drain, "fqdn"))
			assert.Equal(t, own.ResourcePath(), mockstest.Str(drain, "resourcePath"))
			assert.Equal(t, own.URL(), mockstest.Await[string](t, comp.DrainObjectURL))
			assert.Equal(t, "https://"+mockstest.Str(drain, "fqdn")+mockstest.Str(drain, "resourcePath"), own.URL())
			assert.Equal(t, "arn:aws:s3:::"+peer.Bucket+"/"+peer.Key, policyOf(t, m)[0].Resource)
		})
	}
}
