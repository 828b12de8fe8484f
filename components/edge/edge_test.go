package edge_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/dns"
	"github.com/ess-ha/ess-ha/components/edge"
	"github.com/ess-ha/ess-ha/components/network"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

var (
	zones     = []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	hostnames = []string{"example.com", "identity.example.com", "oidc.example.com"}
	routes    = []edge.Route{
		{Name: "ess-ldp", Hostname: "example.com", Port: 8081, HealthPath: "/health"},
		{Name: "ess-identity", Hostname: "identity.example.com", Port: 8082},
		{Name: "ess-oidc-broker", Hostname: "oidc.example.com", Port: 8083, HealthPath: "/ready"},
	}
)

// result is what a run of a network, a zone and an edge produced.
type result struct {
	m    *mocks.Mocks
	edge *edge.Edge
}

// runEdge creates a network, a hosted zone and an edge wired the way the region component wires them;
// mutate adjusts the edge's args before it is created.
func runEdge(t *testing.T, zoneNames []string, mutate func(a *edge.EdgeArgs)) (result, error) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var e *edge.Edge
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		net, err := network.NewNetwork(ctx, "net", &network.NetworkArgs{VpcCidr: "10.0.0.0/16", Zones: zoneNames, FlowLogRetentionDays: 30})
		if err != nil {
			return err
		}
		zone, err := dns.NewZone(ctx, "dns", &dns.ZoneArgs{Domain: "example.com"})
		if err != nil {
			return err
		}
		args := &edge.EdgeArgs{
			Domain:          "example.com",
			Hostnames:       hostnames,
			ZoneID:          zone.ZoneID,
			VpcID:           net.VpcID.ToStringOutput(),
			VpcCidr:         net.VpcCidr,
			PublicSubnetIDs: network.IDs(net.PublicSubnets),
			Zones:           net.Zones,
			Routes:          routes,
			Tags:            map[string]string{"project": "ess-ha"},
		}
		if mutate != nil {
			mutate(args)
		}
		e, err = edge.NewEdge(ctx, "edge", args)
		return err
	})
	return result{m: m, edge: e}, err
}

func mustRun(t *testing.T, zoneNames []string, mutate func(a *edge.EdgeArgs)) result {
	t.Helper()
	r, err := runEdge(t, zoneNames, mutate)
	require.NoError(t, err)
	return r
}

func named(t *testing.T, m *mocks.Mocks, name string) *mocks.Registration {
	t.Helper()
	for _, r := range m.Registrations() {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no resource named %s", name)
	return nil
}

// publicSubnets returns the IDs and URNs of the network's public subnets, in zone order.
func publicSubnets(m *mocks.Mocks) ([]string, []resource.URN) {
	var ids []string
	var urns []resource.URN
	for _, s := range m.ByType("aws:ec2/subnet:Subnet") {
		if s.Inputs["tags"].ObjectValue()["tier"].StringValue() == "public" {
			ids = append(ids, s.ID)
			urns = append(urns, s.URN)
		}
	}
	return ids, urns
}

func TestEdgeParenting(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	comp := mockstest.One(t, r.m, "ess-ha:edge:Edge")
	n := 0
	for _, reg := range r.m.Registrations() {
		if !strings.Contains(string(reg.URN), "ess-ha:edge:Edge$") {
			continue
		}
		n++
		assert.Equal(t, comp.URN, reg.Parent, "%s is parented to the edge", reg.URN)
		assert.True(t, strings.HasPrefix(reg.Name, "edge-"), "%s is prefixed with the component name", reg.Name)
	}
	assert.Greater(t, n, 15)
}

func TestEdgeLoadBalancerPlacement(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	alb := mockstest.One(t, r.m, "aws:lb/loadBalancer:LoadBalancer")
	ids, urns := publicSubnets(r.m)
	require.Len(t, ids, 3)

	assert.Equal(t, "application", mockstest.Str(alb, "loadBalancerType"))
	assert.False(t, alb.Inputs["internal"].BoolValue(), "the ALB is internet-facing")
	assert.Equal(t, ids, mockstest.Strings(alb.Inputs["subnets"]), "the ALB is in the public subnet of every AZ")
	assert.ElementsMatch(t, urns, alb.PropertyDependencies["subnets"], "the subnets' property dependencies name exactly the public subnets")
	assert.NotContains(t, alb.Inputs, resource.PropertyKey("subnetMappings"))
}

func TestEdgeLoadBalancerSettings(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	alb := mockstest.One(t, r.m, "aws:lb/loadBalancer:LoadBalancer")
	sg := named(t, r.m, "edge-alb-sg")
	assert.Equal(t, []string{sg.ID}, mockstest.Strings(alb.Inputs["securityGroups"]))
	assert.True(t, alb.Inputs["dropInvalidHeaderFields"].BoolValue())
	assert.True(t, alb.Inputs["enableDeletionProtection"].BoolValue())
	assert.True(t, alb.Inputs["enableHttp2"].BoolValue())
	assert.Contains(t, []string{"defensive", "strictest"}, mockstest.Str(alb, "desyncMitigationMode"))
	assert.LessOrEqual(t, len(mockstest.Str(alb, "namePrefix")), 6, "ALB name prefixes are at most 6 characters")

	bucket := mockstest.One(t, r.m, "aws:s3/bucketV2:BucketV2")
	logs := alb.Inputs["accessLogs"].ObjectValue()
	assert.True(t, logs["enabled"].BoolValue())
	assert.Equal(t, bucket.ID, logs["bucket"].StringValue())
	assert.Equal(t, edge.AccessLogPrefix, logs["prefix"].StringValue())
	policy := mockstest.One(t, r.m, "aws:s3/bucketPolicy:BucketPolicy")
	assert.Contains(t, alb.Dependencies, policy.URN, "the ALB waits for the bucket policy that lets it log")
}

func TestEdgeAccessLogBucket(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	bucket := mockstest.One(t, r.m, "aws:s3/bucketV2:BucketV2")
	assert.False(t, bucket.Inputs["forceDestroy"].BoolValue())

	pab := mockstest.One(t, r.m, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
	assert.Equal(t, bucket.ID, mockstest.Str(pab, "bucket"))
	for _, k := range []resource.PropertyKey{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.True(t, pab.Inputs[k].BoolValue(), "%s", k)
	}

	sse := mockstest.One(t, r.m, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
	assert.Equal(t, bucket.ID, mockstest.Str(sse, "bucket"))
	rules := sse.Inputs["rules"].ArrayValue()
	require.Len(t, rules, 1)
	assert.Equal(t, "AES256", rules[0].ObjectValue()["applyServerSideEncryptionByDefault"].ObjectValue()["sseAlgorithm"].StringValue())

	own := mockstest.One(t, r.m, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
	assert.Equal(t, "BucketOwnerEnforced", own.Inputs["rule"].ObjectValue()["objectOwnership"].StringValue())

	lc := mockstest.One(t, r.m, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
	lrules := lc.Inputs["rules"].ArrayValue()
	require.Len(t, lrules, 1)
	assert.Equal(t, "Enabled", lrules[0].ObjectValue()["status"].StringValue())
	assert.Equal(t, 365.0, lrules[0].ObjectValue()["expiration"].ObjectValue()["days"].NumberValue())

	policy := mockstest.One(t, r.m, "aws:s3/bucketPolicy:BucketPolicy")
	assert.Equal(t, bucket.ID, mockstest.Str(policy, "bucket"))
	var doc struct {
		Statement []struct {
			Sid       string
			Effect    string
			Principal any
			Action    string
			Resource  any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(mockstest.Str(policy, "policy")), &doc))
	require.Len(t, doc.Statement, 2)
	allow := doc.Statement[0]
	assert.Equal(t, "Allow", allow.Effect)
	assert.Equal(t, "s3:PutObject", allow.Action)
	assert.Equal(t, "arn:aws:s3:::"+bucket.ID+"/alb/AWSLogs/*", allow.Resource)
	principal := allow.Principal.(map[string]any)
	assert.Equal(t, "logdelivery.elasticloadbalancing.amazonaws.com", principal["Service"])
	assert.Equal(t, "arn:aws:iam::127311923021:root", principal["AWS"], "us-east-1 predates the service principal: its ELB account is named too")
	assert.Equal(t, "Deny", doc.Statement[1].Effect, "requests without TLS are refused")
	assert.Equal(t, bucket.ID, mockstest.Await[string](t, r.edge.AccessLogsBucket))
}

func TestEdgeAccessLogPolicyNewRegion(t *testing.T) {
	t.Parallel()
	r := mustRun(t, []string{"me-central-1a", "me-central-1b"}, nil)
	policy := mockstest.One(t, r.m, "aws:s3/bucketPolicy:BucketPolicy")
	var doc struct{ Statement []struct{ Principal any } }
	require.NoError(t, json.Unmarshal([]byte(mockstest.Str(policy, "policy")), &doc))
	assert.Equal(t, map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, doc.Statement[0].Principal)
}

func TestEdgeSecurityGroup(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	sg := named(t, r.m, "edge-alb-sg")
	vpc := mockstest.One(t, r.m, "aws:ec2/vpc:Vpc")
	assert.Equal(t, vpc.ID, mockstest.Str(sg, "vpcId"))
	var ports []float64
	for _, rule := range sg.Inputs["ingress"].ArrayValue() {
		o := rule.ObjectValue()
		assert.Equal(t, "tcp", o["protocol"].StringValue())
		assert.Equal(t, o["fromPort"].NumberValue(), o["toPort"].NumberValue())
		assert.Equal(t, []string{"0.0.0.0/0"}, mockstest.Strings(o["cidrBlocks"]))
		assert.Equal(t, []string{"::/0"}, mockstest.Strings(o["ipv6CidrBlocks"]))
		assert.NotContains(t, o, resource.PropertyKey("securityGroups"))
		ports = append(ports, o["fromPort"].NumberValue())
	}
	assert.ElementsMatch(t, []float64{80, 443}, ports, "only HTTP and HTTPS are admitted")
	var egress []float64
	for _, rule := range sg.Inputs["egress"].ArrayValue() {
		o := rule.ObjectValue()
		assert.Equal(t, []string{"10.0.0.0/16"}, mockstest.Strings(o["cidrBlocks"]), "egress stays in the VPC")
		assert.Equal(t, "tcp", o["protocol"].StringValue())
		egress = append(egress, o["fromPort"].NumberValue())
	}
	assert.ElementsMatch(t, []float64{8081, 8082, 8083}, egress, "egress only to the routes' ports")
	assert.Equal(t, sg.ID, mockstest.Await[string](t, r.edge.SecurityGroupID.ToStringOutput()))

	// Without VpcCidr the egress still only reaches the routes' ports.
	r2 := mustRun(t, zones, func(a *edge.EdgeArgs) { a.VpcCidr = nil })
	sg2 := named(t, r2.m, "edge-alb-sg")
	for _, rule := range sg2.Inputs["egress"].ArrayValue() {
		o := rule.ObjectValue()
		assert.Contains(t, []float64{8081, 8082, 8083}, o["fromPort"].NumberValue())
		assert.NotEqual(t, "-1", o["protocol"].StringValue())
	}
}

func TestEdgeCertificate(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	cert := mockstest.One(t, r.m, "aws:acm/certificate:Certificate")
	zone := mockstest.One(t, r.m, "aws:route53/zone:Zone")
	assert.Equal(t, "example.com", mockstest.Str(cert, "domainName"))
	assert.Equal(t, []string{"identity.example.com", "oidc.example.com"}, mockstest.Strings(cert.Inputs["subjectAlternativeNames"]))
	assert.Equal(t, "DNS", mockstest.Str(cert, "validationMethod"))

	options := map[string]map[string]string{}
	for _, o := range cert.Outputs["domainValidationOptions"].ArrayValue() {
		ov := o.ObjectValue()
		options[ov["domainName"].StringValue()] = map[string]string{
			"name": ov["resourceRecordName"].StringValue(), "type": ov["resourceRecordType"].StringValue(), "value": ov["resourceRecordValue"].StringValue(),
		}
	}
	var fqdns []string
	records := r.m.ByType("aws:route53/record:Record")
	require.Len(t, records, 3, "one validation record per hostname")
	for _, host := range hostnames {
		var rec *mocks.Registration
		for _, c := range records {
			if c.Name == "edge-cert-validation-"+host {
				rec = c
			}
		}
		require.NotNil(t, rec, "validation record for %s", host)
		assert.Equal(t, zone.ID, mockstest.Str(rec, "zoneId"))
		assert.Equal(t, options[host]["name"], mockstest.Str(rec, "name"), host)
		assert.Equal(t, options[host]["type"], mockstest.Str(rec, "type"), host)
		assert.Equal(t, []string{options[host]["value"]}, mockstest.Strings(rec.Inputs["records"]), host)
		assert.True(t, rec.Inputs["allowOverwrite"].BoolValue())
		fqdns = append(fqdns, rec.Outputs["fqdn"].StringValue())
	}
	val := mockstest.One(t, r.m, "aws:acm/certificateValidation:CertificateValidation")
	assert.Equal(t, cert.ID, mockstest.Str(val, "certificateArn"))
	assert.ElementsMatch(t, fqdns, mockstest.Strings(val.Inputs["validationRecordFqdns"]))
	assert.Equal(t, cert.ID, mockstest.Await[string](t, r.edge.CertificateArn))
}

func TestEdgeListeners(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	alb := mockstest.One(t, r.m, "aws:lb/loadBalancer:LoadBalancer")
	val := mockstest.One(t, r.m, "aws:acm/certificateValidation:CertificateValidation")
	listeners := map[float64]*mocks.Registration{}
	for _, l := range r.m.ByType("aws:lb/listener:Listener") {
		assert.Equal(t, alb.ID, mockstest.Str(l, "loadBalancerArn"))
		listeners[l.Inputs["port"].NumberValue()] = l
	}
	require.Len(t, listeners, 2)

	http := listeners[80]
	require.NotNil(t, http)
	assert.Equal(t, "HTTP", mockstest.Str(http, "protocol"))
	acts := http.Inputs["defaultActions"].ArrayValue()
	require.Len(t, acts, 1)
	assert.Equal(t, "redirect", acts[0].ObjectValue()["type"].StringValue())
	redirect := acts[0].ObjectValue()["redirect"].ObjectValue()
	assert.Equal(t, "HTTPS", redirect["protocol"].StringValue())
	assert.Equal(t, "443", redirect["port"].StringValue())
	assert.Equal(t, "HTTP_301", redirect["statusCode"].StringValue())

	https := listeners[443]
	require.NotNil(t, https)
	assert.Equal(t, "HTTPS", mockstest.Str(https, "protocol"))
	assert.Equal(t, "ELBSecurityPolicy-TLS13-1-2-2021-06", mockstest.Str(https, "sslPolicy"))
	assert.Equal(t, val.Outputs["certificateArn"].StringValue(), mockstest.Str(https, "certificateArn"))
	assert.Contains(t, https.PropertyDependencies["certificateArn"], val.URN, "HTTPS waits for the validated certificate")
	acts = https.Inputs["defaultActions"].ArrayValue()
	require.Len(t, acts, 1)
	assert.Equal(t, "fixed-response", acts[0].ObjectValue()["type"].StringValue())
	assert.Equal(t, "404", acts[0].ObjectValue()["fixedResponse"].ObjectValue()["statusCode"].StringValue())
}

func TestEdgeRoutes(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	vpc := mockstest.One(t, r.m, "aws:ec2/vpc:Vpc")
	var https *mocks.Registration
	for _, l := range r.m.ByType("aws:lb/listener:Listener") {
		if l.Inputs["port"].NumberValue() == 443 {
			https = l
		}
	}
	require.NotNil(t, https)

	tgs := map[string]*mocks.Registration{}
	for _, tg := range r.m.ByType("aws:lb/targetGroup:TargetGroup") {
		tgs[tg.ID] = tg
		assert.Equal(t, "HTTP", mockstest.Str(tg, "protocol"))
		assert.Equal(t, "instance", mockstest.Str(tg, "targetType"))
		assert.Equal(t, vpc.ID, mockstest.Str(tg, "vpcId"))
		assert.Equal(t, 30.0, tg.Inputs["deregistrationDelay"].NumberValue())
		assert.Equal(t, "200-399", tg.Inputs["healthCheck"].ObjectValue()["matcher"].StringValue())
	}
	require.Len(t, tgs, 3)
	require.Len(t, r.edge.TargetGroups, 3)
	require.Len(t, r.edge.TargetGroupArns, 3)

	rules := r.m.ByType("aws:lb/listenerRule:ListenerRule")
	require.Len(t, rules, 3)
	var priorities []float64
	for _, route := range routes {
		var rule *mocks.Registration
		for _, c := range rules {
			if c.Name == "edge-alb-rule-"+route.Name {
				rule = c
			}
		}
		require.NotNil(t, rule, "rule for %s", route.Name)
		assert.Equal(t, https.ID, mockstest.Str(rule, "listenerArn"))
		conds := rule.Inputs["conditions"].ArrayValue()
		require.Len(t, conds, 1)
		assert.Equal(t, []string{route.Hostname}, mockstest.Strings(conds[0].ObjectValue()["hostHeader"].ObjectValue()["values"]))
		acts := rule.Inputs["actions"].ArrayValue()
		require.Len(t, acts, 1)
		assert.Equal(t, "forward", acts[0].ObjectValue()["type"].StringValue())
		tg := tgs[acts[0].ObjectValue()["targetGroupArn"].StringValue()]
		require.NotNil(t, tg)
		assert.Equal(t, float64(route.Port), tg.Inputs["port"].NumberValue(), route.Name)
		want := route.HealthPath
		if want == "" {
			want = "/health"
		}
		assert.Equal(t, want, tg.Inputs["healthCheck"].ObjectValue()["path"].StringValue(), route.Name)
		priorities = append(priorities, rule.Inputs["priority"].NumberValue())
	}
	slices.Sort(priorities)
	assert.Len(t, slices.Compact(priorities), 3, "rule priorities are unique")
}

func TestEdgeSharedAlias(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, nil)
	alb := mockstest.One(t, r.m, "aws:lb/loadBalancer:LoadBalancer")
	assert.Empty(t, r.m.ByType("aws:globalaccelerator/accelerator:Accelerator"))
	assert.Equal(t, alb.Outputs["dnsName"].StringValue(), mockstest.Await[string](t, r.edge.AliasDNSName))
	assert.Equal(t, alb.Outputs["zoneId"].StringValue(), mockstest.Await[string](t, r.edge.AliasZoneID))
	assert.Equal(t, []string{alb.Outputs["dnsName"].StringValue()}, mockstest.Await[[]string](t, r.edge.LoadBalancerDNSNames))
	assert.Equal(t, []string{alb.Outputs["arnSuffix"].StringValue()}, mockstest.Await[[]string](t, r.edge.LoadBalancerArnSuffixes))
	assert.Nil(t, r.edge.Accelerator)
}

func TestEdgePerAzAccelerator(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, func(a *edge.EdgeArgs) {
		a.LoadBalancerPerZone = true
		a.GlobalAccelerator = true
	})
	albs := r.m.ByType("aws:lb/loadBalancer:LoadBalancer")
	require.Len(t, albs, 3, "one ALB per AZ")
	ids, urns := publicSubnets(r.m)
	var names, arns []string
	for _, alb := range albs {
		names = append(names, alb.Name)
		arns = append(arns, alb.ID)
		assert.False(t, alb.Inputs["internal"].BoolValue())
		assert.Equal(t, ids, mockstest.Strings(alb.Inputs["subnets"]), "each ALB spans every public subnet")
		assert.ElementsMatch(t, urns, alb.PropertyDependencies["subnets"])
	}
	assert.ElementsMatch(t, []string{"edge-alb-us-east-1a", "edge-alb-us-east-1b", "edge-alb-us-east-1c"}, names)
	assert.Len(t, r.m.ByType("aws:lb/listener:Listener"), 6)
	assert.Len(t, r.m.ByType("aws:lb/listenerRule:ListenerRule"), 9, "every ALB routes every host")
	assert.Len(t, r.m.ByType("aws:lb/targetGroup:TargetGroup"), 3, "target groups are shared")

	acc := mockstest.One(t, r.m, "aws:globalaccelerator/accelerator:Accelerator")
	assert.Equal(t, "IPV4", mockstest.Str(acc, "ipAddressType"))
	assert.True(t, acc.Inputs["enabled"].BoolValue())
	listener := mockstest.One(t, r.m, "aws:globalaccelerator/listener:Listener")
	assert.Equal(t, acc.ID, mockstest.Str(listener, "acceleratorArn"))
	assert.Equal(t, "TCP", mockstest.Str(listener, "protocol"))
	var ports []float64
	for _, pr := range listener.Inputs["portRanges"].ArrayValue() {
		assert.Equal(t, pr.ObjectValue()["fromPort"].NumberValue(), pr.ObjectValue()["toPort"].NumberValue())
		ports = append(ports, pr.ObjectValue()["fromPort"].NumberValue())
	}
	assert.ElementsMatch(t, []float64{80, 443}, ports)
	group := mockstest.One(t, r.m, "aws:globalaccelerator/endpointGroup:EndpointGroup")
	assert.Equal(t, "us-east-1", mockstest.Str(group, "endpointGroupRegion"))
	assert.Equal(t, listener.Outputs["arn"].StringValue(), mockstest.Str(group, "listenerArn"))
	var endpoints []string
	for _, ep := range group.Inputs["endpointConfigurations"].ArrayValue() {
		endpoints = append(endpoints, ep.ObjectValue()["endpointId"].StringValue())
		assert.True(t, ep.ObjectValue()["clientIpPreservationEnabled"].BoolValue())
	}
	assert.ElementsMatch(t, arns, endpoints)

	assert.Equal(t, acc.Outputs["dnsName"].StringValue(), mockstest.Await[string](t, r.edge.AliasDNSName), "DNS points at the accelerator")
	assert.Equal(t, "Z2BJ6XQ5FK7U4H", mockstest.Await[string](t, r.edge.AliasZoneID))
	assert.Len(t, mockstest.Await[[]string](t, r.edge.LoadBalancerDNSNames), 3)
	assert.Len(t, mockstest.Await[[]string](t, r.edge.LoadBalancerArnSuffixes), 3)
	assert.NotNil(t, r.edge.Accelerator)
}

func TestEdgeSharedAccelerator(t *testing.T) {
	t.Parallel()
	r := mustRun(t, zones, func(a *edge.EdgeArgs) { a.GlobalAccelerator = true })
	alb := mockstest.One(t, r.m, "aws:lb/loadBalancer:LoadBalancer")
	acc := mockstest.One(t, r.m, "aws:globalaccelerator/accelerator:Accelerator")
	group := mockstest.One(t, r.m, "aws:globalaccelerator/endpointGroup:EndpointGroup")
	eps := group.Inputs["endpointConfigurations"].ArrayValue()
	require.Len(t, eps, 1)
	assert.Equal(t, alb.ID, eps[0].ObjectValue()["endpointId"].StringValue())
	assert.Equal(t, acc.Outputs["dnsName"].StringValue(), mockstest.Await[string](t, r.edge.AliasDNSName))
	assert.NotEqual(t, alb.Outputs["dnsName"].StringValue(), mockstest.Await[string](t, r.edge.AliasDNSName))
}

func TestEdgeArgsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(a *edge.EdgeArgs)
		want   string
	}{
		{"per-zone load balancers without accelerator", func(a *edge.EdgeArgs) { a.LoadBalancerPerZone = true }, "EdgeArgs.LoadBalancerPerZone is set without EdgeArgs.GlobalAccelerator"},
		{"one zone", func(a *edge.EdgeArgs) { a.Zones = a.Zones[:1]; a.PublicSubnetIDs = a.PublicSubnetIDs[:1] }, "EdgeArgs.Zones has 1"},
		{"subnets mismatch", func(a *edge.EdgeArgs) { a.PublicSubnetIDs = a.PublicSubnetIDs[:2] }, "EdgeArgs.PublicSubnetIDs has 2"},
		{"zones in two regions", func(a *edge.EdgeArgs) { a.Zones = []string{"us-east-1a", "us-west-2a", "us-east-1c"} }, "EdgeArgs.Zones"},
		{"no routes", func(a *edge.EdgeArgs) { a.Routes = nil }, "EdgeArgs.Routes is empty"},
		{"duplicate hostname", func(a *edge.EdgeArgs) {
			a.Routes = []edge.Route{{Name: "a", Hostname: "example.com", Port: 1}, {Name: "b", Hostname: "example.com", Port: 2}}
		}, "EdgeArgs.Routes[1].Hostname"},
		{"duplicate route name", func(a *edge.EdgeArgs) {
			a.Routes = []edge.Route{{Name: "a", Hostname: "example.com", Port: 1}, {Name: "a", Hostname: "oidc.example.com", Port: 2}}
		}, "EdgeArgs.Routes[1].Name"},
		{"uncovered hostname", func(a *edge.EdgeArgs) {
			a.Routes = []edge.Route{{Name: "a", Hostname: "www.example.com", Port: 1}}
		}, "not covered by the certificate"},
		{"bad port", func(a *edge.EdgeArgs) { a.Routes = []edge.Route{{Name: "a", Hostname: "example.com", Port: 0}} }, "EdgeArgs.Routes[0].Port"},
		{"bad health path", func(a *edge.EdgeArgs) {
			a.Routes = []edge.Route{{Name: "a", Hostname: "example.com", Port: 80, HealthPath: "health"}}
		}, "EdgeArgs.Routes[0].HealthPath"},
		{"no domain", func(a *edge.EdgeArgs) { a.Domain = "" }, "EdgeArgs.Domain"},
		{"duplicate hostnames", func(a *edge.EdgeArgs) { a.Hostnames = []string{"example.com", "example.com"} }, "EdgeArgs.Hostnames[1]"},
		{"no zone id", func(a *edge.EdgeArgs) { a.ZoneID = nil }, "EdgeArgs.ZoneID"},
		{"no vpc", func(a *edge.EdgeArgs) { a.VpcID = nil }, "EdgeArgs.VpcID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := runEdge(t, zones, c.mutate)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, r.m.ByType("ess-ha:edge:Edge"), "nothing is registered when the args are bad")
		})
	}
	m := mocks.New("ess-ha", "test", "us-east-1")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		_, err := edge.NewEdge(ctx, "edge", nil)
		return err
	})
	assert.ErrorContains(t, err, "nil")
}
