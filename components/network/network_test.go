package network_test

import (
	"encoding/json"
	"net/netip"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/network"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

func run(t *testing.T, args *network.NetworkArgs) (*mocks.Mocks, *network.Network) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var net *network.Network
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		n, err := network.NewNetwork(ctx, "net", args)
		net = n
		return err
	})
	require.NoError(t, err)
	return m, net
}

func defaultArgs() *network.NetworkArgs {
	return &network.NetworkArgs{
		VpcCidr:              "10.0.0.0/16",
		Zones:                zones,
		FlowLogRetentionDays: 90,
		Tags:                 map[string]string{"project": "ess-ha"},
	}
}

func tag(r *mocks.Registration, key string) string {
	v, ok := r.Inputs["tags"]
	if !ok || !v.IsObject() {
		return ""
	}
	t := v.ObjectValue()[resource.PropertyKey(key)]
	if !t.IsString() {
		return ""
	}
	return t.StringValue()
}

func TestSubnetCIDR(t *testing.T) {
	t.Parallel()
	cases := []struct {
		vpc  string
		tier network.Tier
		zone int
		want string
	}{
		{"10.0.0.0/16", network.Public, 0, "10.0.0.0/21"},
		{"10.0.0.0/16", network.Public, 1, "10.0.8.0/21"},
		{"10.0.0.0/16", network.Public, 7, "10.0.56.0/21"},
		{"10.0.0.0/16", network.App, 0, "10.0.64.0/21"},
		{"10.0.0.0/16", network.App, 2, "10.0.80.0/21"},
		{"10.0.0.0/16", network.Data, 0, "10.0.128.0/21"},
		{"10.0.0.0/16", network.Data, 7, "10.0.184.0/21"},
		{"172.16.4.0/22", network.App, 1, "172.16.5.32/27"},
	}
	for _, c := range cases {
		got, err := network.SubnetCIDR(c.vpc, c.tier, c.zone)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%s %s zone %d", c.vpc, c.tier, c.zone)
	}

	// Every block of the plan is distinct and inside the VPC.
	vpc := netip.MustParsePrefix("10.0.0.0/16")
	var all []netip.Prefix
	for _, tier := range network.Tiers() {
		for z := 0; z < network.MaxZones; z++ {
			s, err := network.SubnetCIDR("10.0.0.0/16", tier, z)
			require.NoError(t, err)
			p := netip.MustParsePrefix(s)
			assert.True(t, vpc.Contains(p.Addr()), "%s is inside the VPC", s)
			for _, q := range all {
				assert.False(t, p.Overlaps(q), "%s overlaps %s", p, q)
			}
			all = append(all, p)
		}
	}

	bad := []struct {
		vpc  string
		tier network.Tier
		zone int
		want string
	}{
		{"10.0.0.0/16", network.Public, 8, "zone index 8"},
		{"10.0.0.0/16", network.Public, -1, "zone index -1"},
		{"10.0.0.0/16", network.Tier(3), 0, "tier 3"},
		{"not-a-cidr", network.Public, 0, "not-a-cidr"},
		{"10.0.0.1/16", network.Public, 0, "host bits"},
		{"10.0.0.0/24", network.Public, 0, "too small"},
		{"fd00::/48", network.Public, 0, "IPv4"},
	}
	for _, c := range bad {
		_, err := network.SubnetCIDR(c.vpc, c.tier, c.zone)
		require.Error(t, err, "%+v", c)
		assert.Contains(t, err.Error(), c.want)
	}
}

func TestRegionOfZones(t *testing.T) {
	t.Parallel()
	r, err := network.RegionOfZones([]string{"eu-west-3a", "eu-west-3b"})
	require.NoError(t, err)
	assert.Equal(t, "eu-west-3", r)
	r, err = network.RegionOfZones([]string{"us-gov-west-1a"})
	require.NoError(t, err)
	assert.Equal(t, "us-gov-west-1", r)
	_, err = network.RegionOfZones([]string{"us-east-1a", "us-west-2a"})
	assert.ErrorContains(t, err, "span regions")
	_, err = network.RegionOfZones([]string{"us-west-2-lax-1a"})
	assert.ErrorContains(t, err, "not an AZ name")
	_, err = network.RegionOfZones(nil)
	assert.Error(t, err)
}

func TestNetworkArgsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(a *network.NetworkArgs)
		want   string
	}{
		{"one zone", func(a *network.NetworkArgs) { a.Zones = zones[:1] }, "NetworkArgs.Zones has 1 zone"},
		{"no zones", func(a *network.NetworkArgs) { a.Zones = nil }, "NetworkArgs.Zones has 0 zone"},
		{"nine zones", func(a *network.NetworkArgs) {
			a.Zones = []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f", "us-east-1g", "us-east-1h", "us-east-1i"}
		}, "at most 8"},
		{"two regions", func(a *network.NetworkArgs) { a.Zones = []string{"us-east-1a", "us-west-2b"} }, "NetworkArgs.Zones"},
		{"duplicate zone", func(a *network.NetworkArgs) { a.Zones = []string{"us-east-1a", "us-east-1a"} }, "twice"},
		{"bad cidr", func(a *network.NetworkArgs) { a.VpcCidr = "10.0.0.0/8" }, "NetworkArgs.VpcCidr"},
		{"host bits", func(a *network.NetworkArgs) { a.VpcCidr = "10.0.1.0/16" }, "NetworkArgs.VpcCidr"},
		{"empty cidr", func(a *network.NetworkArgs) { a.VpcCidr = "" }, "NetworkArgs.VpcCidr"},
		{"no retention", func(a *network.NetworkArgs) { a.FlowLogRetentionDays = 0 }, "NetworkArgs.FlowLogRetentionDays"},
		{"odd retention", func(a *network.NetworkArgs) { a.FlowLogRetentionDays = 100 }, "NetworkArgs.FlowLogRetentionDays"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := defaultArgs()
			c.mutate(args)
			m := mocks.New("ess-ha", "test", "us-east-1")
			err := m.Run(nil, func(ctx *pulumi.Context) error {
				_, err := network.NewNetwork(ctx, "net", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.Registrations(), "nothing is registered when the args are bad")
		})
	}
	m := mocks.New("ess-ha", "test", "us-east-1")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		_, err := network.NewNetwork(ctx, "net", nil)
		return err
	})
	assert.ErrorContains(t, err, "nil")
}

func TestNetworkParenting(t *testing.T) {
	t.Parallel()
	m, net := run(t, defaultArgs())
	comp := mockstest.One(t, m, "ess-ha:network:Network")
	assert.Equal(t, comp.URN, urnOf(t, net))
	assert.Equal(t, "net", comp.Name)
	assert.Equal(t, "us-east-1", net.Region)
	assert.Equal(t, zones, net.Zones)
	n := 0
	for _, r := range m.Registrations() {
		if r.URN == comp.URN {
			continue
		}
		n++
		assert.Equal(t, comp.URN, r.Parent, "%s is parented to the network", r.URN)
		assert.Regexp(t, `^net-`, r.Name, "%s is prefixed with the component name", r.URN)
	}
	assert.Greater(t, n, 30)
}

func TestNetworkVPC(t *testing.T) {
	t.Parallel()
	m, _ := run(t, defaultArgs())
	vpc := mockstest.One(t, m, "aws:ec2/vpc:Vpc")
	assert.Equal(t, "10.0.0.0/16", mockstest.Str(vpc, "cidrBlock"))
	assert.True(t, vpc.Inputs["enableDnsHostnames"].BoolValue())
	assert.True(t, vpc.Inputs["enableDnsSupport"].BoolValue())
	assert.Equal(t, "ess-ha", tag(vpc, "project"))

	sg := mockstest.One(t, m, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
	assert.Equal(t, vpc.ID, mockstest.Str(sg, "vpcId"))
	for _, k := range []resource.PropertyKey{"ingress", "egress"} {
		v, ok := sg.Inputs[k]
		if ok {
			assert.True(t, v.IsArray(), "default SG %s is a list", k)
			assert.Empty(t, v.ArrayValue(), "default SG has no %s rules", k)
		}
	}
}

func TestNetworkSubnets(t *testing.T) {
	t.Parallel()
	m, net := run(t, defaultArgs())
	vpc := mockstest.One(t, m, "aws:ec2/vpc:Vpc")
	subnets := m.ByType("aws:ec2/subnet:Subnet")
	require.Len(t, subnets, 9)
	require.Len(t, net.PublicSubnets, 3)
	require.Len(t, net.AppSubnets, 3)
	require.Len(t, net.DataSubnets, 3)

	perZone := map[string][]string{}
	var prefixes []netip.Prefix
	for _, s := range subnets {
		zone := mockstest.Str(s, "availabilityZone")
		tier := tag(s, "tier")
		assert.Contains(t, zones, zone)
		assert.Equal(t, zone, tag(s, "zone"))
		assert.Equal(t, s.Name, tag(s, "Name"))
		assert.Equal(t, vpc.ID, mockstest.Str(s, "vpcId"))
		assert.False(t, s.Inputs["mapPublicIpOnLaunch"].BoolValue(), "%s maps no public IPs", s.Name)
		perZone[zone] = append(perZone[zone], tier)

		// The CIDR is the plan's for this tier and zone.
		var tierV network.Tier
		switch tier {
		case "public":
			tierV = network.Public
		case "app":
			tierV = network.App
		case "data":
			tierV = network.Data
		default:
			t.Fatalf("subnet %s has tier %q", s.Name, tier)
		}
		want, err := network.SubnetCIDR("10.0.0.0/16", tierV, slices.Index(zones, zone))
		require.NoError(t, err)
		assert.Equal(t, want, mockstest.Str(s, "cidrBlock"), s.Name)
		p := netip.MustParsePrefix(mockstest.Str(s, "cidrBlock"))
		for _, q := range prefixes {
			assert.False(t, p.Overlaps(q), "%s overlaps %s", p, q)
		}
		prefixes = append(prefixes, p)
	}
	for _, z := range zones {
		got := slices.Clone(perZone[z])
		slices.Sort(got)
		assert.Equal(t, []string{"app", "data", "public"}, got, "zone %s has one subnet of each tier", z)
	}

	// The slices are in Zones order and tier.
	urns := map[string]*mocks.Registration{}
	for _, s := range subnets {
		urns[string(s.URN)] = s
	}
	for i, z := range zones {
		pub := urns[string(urnOf(t, net.PublicSubnets[i]))]
		require.NotNil(t, pub)
		assert.Equal(t, z, mockstest.Str(pub, "availabilityZone"))
		assert.Equal(t, "public", tag(pub, "tier"))
		app := urns[string(urnOf(t, net.AppSubnets[i]))]
		assert.Equal(t, "app", tag(app, "tier"))
		assert.Equal(t, z, mockstest.Str(app, "availabilityZone"))
		data := urns[string(urnOf(t, net.DataSubnets[i]))]
		assert.Equal(t, "data", tag(data, "tier"))
		assert.Equal(t, z, mockstest.Str(data, "availabilityZone"))
	}

	// Deterministic: a second run plans the same blocks.
	m2, _ := run(t, defaultArgs())
	for i, s := range m2.ByType("aws:ec2/subnet:Subnet") {
		assert.Equal(t, mockstest.Str(subnets[i], "cidrBlock"), mockstest.Str(s, "cidrBlock"))
	}
}

func urnOf(t *testing.T, r pulumi.Resource) resource.URN {
	t.Helper()
	ch := make(chan string, 1)
	r.URN().ApplyT(func(u pulumi.URN) string { ch <- string(u); return string(u) })
	return resource.URN(<-ch)
}

func TestNetworkRouting(t *testing.T) {
	t.Parallel()
	m, _ := run(t, defaultArgs())
	byID := func(typ string) map[string]*mocks.Registration {
		out := map[string]*mocks.Registration{}
		for _, r := range m.ByType(typ) {
			out[r.ID] = r
		}
		return out
	}
	subnets := byID("aws:ec2/subnet:Subnet")
	tables := byID("aws:ec2/routeTable:RouteTable")
	nats := byID("aws:ec2/natGateway:NatGateway")
	igw := mockstest.One(t, m, "aws:ec2/internetGateway:InternetGateway")
	vpc := mockstest.One(t, m, "aws:ec2/vpc:Vpc")
	assert.Equal(t, vpc.ID, mockstest.Str(igw, "vpcId"))
	require.Len(t, tables, 9, "a public, an app and a data route table per AZ")

	// Every subnet is associated with exactly one route table of its own tier and AZ.
	assoc := map[string]string{}
	for _, a := range m.ByType("aws:ec2/routeTableAssociation:RouteTableAssociation") {
		sid := mockstest.Str(a, "subnetId")
		_, dup := assoc[sid]
		assert.False(t, dup, "subnet %s is associated once", sid)
		assoc[sid] = mockstest.Str(a, "routeTableId")
	}
	for id, s := range subnets {
		rtID, ok := assoc[id]
		require.True(t, ok, "subnet %s is associated with a route table", s.Name)
		rt := tables[rtID]
		require.NotNil(t, rt, "subnet %s's route table is one of the network's", s.Name)
		assert.NotEqual(t, vpc.Outputs["mainRouteTableId"].StringValue(), rtID)
		assert.Equal(t, tag(s, "tier"), tag(rt, "tier"), s.Name)
		assert.Equal(t, mockstest.Str(s, "availabilityZone"), tag(rt, "zone"), s.Name)
	}

	// One NAT per AZ, in that AZ's public subnet, with an elastic IP.
	require.Len(t, nats, 3)
	eips := byID("aws:ec2/eip:Eip")
	require.Len(t, eips, 3)
	natZones := map[string]string{}
	for id, n := range nats {
		s := subnets[mockstest.Str(n, "subnetId")]
		require.NotNil(t, s, "NAT %s is in a subnet of the network", n.Name)
		assert.Equal(t, "public", tag(s, "tier"))
		assert.Equal(t, tag(n, "zone"), mockstest.Str(s, "availabilityZone"))
		assert.Contains(t, eips, mockstest.Str(n, "allocationId"))
		assert.Contains(t, n.Dependencies, igw.URN, "NAT waits for the internet gateway")
		natZones[id] = mockstest.Str(s, "availabilityZone")
	}
	for _, e := range eips {
		assert.Equal(t, "vpc", mockstest.Str(e, "domain"))
	}
	assert.ElementsMatch(t, zones, mapValues(natZones))

	// Routes: the IGW only from public tables; app tables to their own AZ's NAT; data tables nothing.
	defaults := map[string]*mocks.Registration{}
	for _, r := range m.ByType("aws:ec2/route:Route") {
		rt := tables[mockstest.Str(r, "routeTableId")]
		require.NotNil(t, rt)
		assert.Equal(t, "0.0.0.0/0", mockstest.Str(r, "destinationCidrBlock"))
		defaults[mockstest.Str(r, "routeTableId")] = r
		switch tag(rt, "tier") {
		case "public":
			assert.Equal(t, igw.ID, mockstest.Str(r, "gatewayId"))
			assert.Empty(t, mockstest.Str(r, "natGatewayId"))
		case "app":
			assert.Empty(t, mockstest.Str(r, "gatewayId"), "app tables never reach the IGW")
			assert.Equal(t, tag(rt, "zone"), natZones[mockstest.Str(r, "natGatewayId")], "app table %s uses its own AZ's NAT", rt.Name)
		default:
			t.Errorf("route table %s (tier %s) must have no default route", rt.Name, tag(rt, "tier"))
		}
	}
	for id, rt := range tables {
		_, has := defaults[id]
		assert.Equal(t, tag(rt, "tier") != "data", has, "route table %s default route", rt.Name)
		_, inline := rt.Inputs["routes"]
		if inline {
			assert.Empty(t, rt.Inputs["routes"].ArrayValue(), "no inline routes on %s", rt.Name)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestNetworkFlowLogs(t *testing.T) {
	t.Parallel()
	m, _ := run(t, defaultArgs())
	vpc := mockstest.One(t, m, "aws:ec2/vpc:Vpc")
	fl := mockstest.One(t, m, "aws:ec2/flowLog:FlowLog")
	group := mockstest.One(t, m, "aws:cloudwatch/logGroup:LogGroup")
	role := mockstest.One(t, m, "aws:iam/role:Role")
	policy := mockstest.One(t, m, "aws:iam/rolePolicy:RolePolicy")

	assert.Equal(t, vpc.ID, mockstest.Str(fl, "vpcId"))
	assert.Equal(t, "ALL", mockstest.Str(fl, "trafficType"))
	assert.Equal(t, "cloud-watch-logs", mockstest.Str(fl, "logDestinationType"))
	groupArn := group.Outputs["arn"].StringValue()
	assert.Equal(t, groupArn, mockstest.Str(fl, "logDestination"))
	assert.Equal(t, role.Outputs["arn"].StringValue(), mockstest.Str(fl, "iamRoleArn"))
	assert.Equal(t, 90.0, group.Inputs["retentionInDays"].NumberValue())

	var trust struct {
		Statement []struct {
			Principal map[string]string
			Action    string
			Condition map[string]map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(mockstest.Str(role, "assumeRolePolicy")), &trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "vpc-flow-logs.amazonaws.com", trust.Statement[0].Principal["Service"])
	assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)
	assert.Equal(t, mocks.Account, trust.Statement[0].Condition["StringEquals"]["aws:SourceAccount"])

	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	assert.Equal(t, role.Outputs["name"].StringValue(), mockstest.Str(policy, "role"))
	require.NoError(t, json.Unmarshal([]byte(mockstest.Str(policy, "policy")), &doc))
	for _, s := range doc.Statement {
		assert.NotEqual(t, "*", s.Resource, "no statement on every resource")
		if rs, ok := s.Resource.([]any); ok {
			for _, r := range rs {
				assert.Contains(t, r, groupArn, "write access is scoped to the flow log group")
			}
		}
	}
}

func TestNetworkEndpoints(t *testing.T) {
	t.Parallel()
	m, net := run(t, defaultArgs())
	vpc := mockstest.One(t, m, "aws:ec2/vpc:Vpc")
	var appIDs []string
	var appURNs []resource.URN
	for _, s := range m.ByType("aws:ec2/subnet:Subnet") {
		if tag(s, "tier") == "app" {
			appIDs = append(appIDs, s.ID)
			appURNs = append(appURNs, s.URN)
		}
	}
	var privateTables []string
	for _, rt := range m.ByType("aws:ec2/routeTable:RouteTable") {
		if tag(rt, "tier") != "public" {
			privateTables = append(privateTables, rt.ID)
		}
	}
	sgs := m.ByType("aws:ec2/securityGroup:SecurityGroup")
	require.Len(t, sgs, 1)
	sg := sgs[0]
	ingress := sg.Inputs["ingress"].ArrayValue()
	require.Len(t, ingress, 1)
	rule := ingress[0].ObjectValue()
	assert.Equal(t, 443.0, rule["fromPort"].NumberValue())
	assert.Equal(t, 443.0, rule["toPort"].NumberValue())
	assert.Equal(t, "tcp", rule["protocol"].StringValue())
	assert.Equal(t, []resource.PropertyValue{resource.NewStringProperty("10.0.0.0/16")}, rule["cidrBlocks"].ArrayValue())
	if e, ok := sg.Inputs["egress"]; ok {
		assert.Empty(t, e.ArrayValue())
	}

	services := map[string]*mocks.Registration{}
	for _, ep := range m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		assert.Equal(t, vpc.ID, mockstest.Str(ep, "vpcId"))
		services[mockstest.Str(ep, "serviceName")] = ep
	}
	s3 := services["com.amazonaws.us-east-1.s3"]
	require.NotNil(t, s3, "S3 gateway endpoint")
	assert.Equal(t, "Gateway", mockstest.Str(s3, "vpcEndpointType"))
	assert.ElementsMatch(t, privateTables, mockstest.Strs(s3, "routeTableIds"))
	for _, svc := range []string{"ecr.api", "ecr.dkr", "secretsmanager", "logs", "ssm", "ssmmessages", "ec2messages"} {
		ep := services["com.amazonaws.us-east-1."+svc]
		require.NotNil(t, ep, "interface endpoint for %s", svc)
		assert.Equal(t, "Interface", mockstest.Str(ep, "vpcEndpointType"))
		assert.True(t, ep.Inputs["privateDnsEnabled"].BoolValue())
		assert.Equal(t, appIDs, mockstest.Strs(ep, "subnetIds"), "%s is in the app subnet of every AZ", svc)
		assert.ElementsMatch(t, appURNs, ep.PropertyDependencies["subnetIds"], "%s depends on exactly the app subnets", svc)
		assert.Equal(t, []string{sg.ID}, mockstest.Strs(ep, "securityGroupIds"))
	}
	assert.Len(t, services, 8)
	assert.NotNil(t, net.EndpointSecurityGroupID)
}

func TestNetworkRegionFromZones(t *testing.T) {
	t.Parallel()
	args := defaultArgs()
	args.Zones = []string{"eu-central-1a", "eu-central-1b"}
	args.VpcCidr = "10.20.0.0/20"
	m, net := run(t, args)
	assert.Equal(t, "eu-central-1", net.Region)
	assert.Len(t, m.ByType("aws:ec2/subnet:Subnet"), 6)
	assert.Len(t, m.ByType("aws:ec2/natGateway:NatGateway"), 2)
	found := false
	for _, ep := range m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
		assert.Regexp(t, `^com\.amazonaws\.eu-central-1\.`, mockstest.Str(ep, "serviceName"))
		found = true
	}
	assert.True(t, found)
	for _, s := range m.ByType("aws:ec2/subnet:Subnet") {
		assert.Regexp(t, `^10\.20\.`, mockstest.Str(s, "cidrBlock"))
		assert.Regexp(t, `/25$`, mockstest.Str(s, "cidrBlock"))
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		n, err := network.NewNetwork(ctx, "net", defaultArgs())
		if err != nil {
			return err
		}
		ids := network.IDs(n.PublicSubnets)
		require.Len(t, ids, 3)
		assert.Empty(t, network.IDs(nil))
		return nil
	})
	require.NoError(t, err)
}
