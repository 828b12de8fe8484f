package graph_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
)

const shared = "../rules/testdata/_shared"

func load(t *testing.T, name string) *policy.Stack {
	t.Helper()
	f, err := policytest.LoadFixture(filepath.Join(shared, name))
	require.NoError(t, err)
	return f.Stack
}

func find(t *testing.T, st *policy.Stack, name string) *policy.Resource {
	t.Helper()
	for _, r := range st.Resources {
		if r.URN.Name() == name {
			return r
		}
	}
	t.Fatalf("no resource %q", name)
	return nil
}

func names(rs []*policy.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.URN.Name()
	}
	return out
}

// TestNetworkFacts checks the derived subnet facts of the shared network, deployed and in preview: the
// same answers either way.
func TestNetworkFacts(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"deployed", "preview"} {
		t.Run(mode, func(t *testing.T) {
			st := load(t, "ess."+mode+".json")
			g := graph.New(st)
			for _, tier := range []string{"public", "app", "data"} {
				for i, z := range []string{"a", "b", "c"} {
					s := g.Subnet(find(t, st, tier+"-"+z))
					require.NotNil(t, s)
					assert.Equal(t, "us-east-1"+z, s.AZ, "%s-%s AZ", tier, z)
					require.NotNil(t, s.VPC)
					assert.Equal(t, "vpc", s.VPC.URN.Name())
					if tier == "public" {
						assert.Equal(t, graph.Yes, s.Public, "%s-%s: %s", tier, z, s.Why)
						assert.Contains(t, s.Why, "internet gateway")
						assert.Empty(t, s.NATs)
					} else {
						assert.Equal(t, graph.No, s.Public, "%s-%s: %s", tier, z, s.Why)
						assert.Equal(t, []string{"nat-" + z}, names(s.NATs), "%s-%s egress (%s)", tier, z, s.EgressWhy)
						assert.Empty(t, s.EgressWhy)
					}
					_ = i
				}
			}
			asg := find(t, st, "ess-asg")
			subs, refs := g.SubnetsOf(asg, "vpcZoneIdentifiers")
			assert.True(t, refs.Complete())
			assert.Equal(t, mode == "preview", refs.ViaDependencies)
			assert.Len(t, subs, 3)
			assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, graph.ZonesOf(subs).Names)

			lt := g.Resolve(asg, "launchTemplate.id", graph.TypeLaunchTemplate)
			assert.Equal(t, []string{"ess-lt"}, names(lt.Resources))
			tgs := g.Resolve(asg, "targetGroupArns", graph.TypeTargetGroup)
			assert.Equal(t, []string{"tg-ldp", "tg-identity", "tg-oidc"}, names(tgs.Resources))

			https := find(t, st, "https")
			assert.Equal(t, []string{"alb"}, names(g.Resolve(https, "loadBalancerArn", graph.TypeLoadBalancer).Resources))
			assert.Equal(t, []string{"tg-ldp"}, names(g.Resolve(https, "defaultActions.targetGroupArn", graph.TypeTargetGroup).Resources))
			rule := find(t, st, "rule-oidc")
			assert.Equal(t, []string{"https"}, names(g.Resolve(rule, "listenerArn", graph.TypeListener).Resources))
			assert.Equal(t, []string{"tg-oidc"}, names(g.Resolve(rule, "actions[].targetGroupArn", graph.TypeTargetGroup).Resources))

			alb := find(t, st, "alb")
			albSubs, _ := g.SubnetsOf(alb, "subnets")
			assert.Equal(t, []string{"public-a", "public-b", "public-c"}, subnetNames(albSubs))

			db := find(t, st, "db")
			assert.Equal(t, []string{"db-subnets"}, names(g.Resolve(db, "dbSubnetGroupName", graph.TypeRdsSubnetGroup).Resources))
			nat := find(t, st, "nat-b")
			natSubs, _ := g.SubnetsOf(nat, "subnetId")
			assert.Equal(t, []string{"public-b"}, subnetNames(natSubs))
		})
	}
}

func subnetNames(ss []*graph.Subnet) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Resource.URN.Name()
	}
	return out
}

// stack builds a stack from fixture resources.
func stack(t *testing.T, raws ...policytest.RawResource) *policy.Stack {
	t.Helper()
	st, err := policytest.DecodeResources(raws)
	require.NoError(t, err)
	return st
}

func res(name, typ, id string, props map[string]any, pdeps map[string][]string) policytest.RawResource {
	return policytest.RawResource{URN: name, Type: typ, ID: id, Properties: props, PropertyDependencies: pdeps}
}

const unknown = graph.UnknownSentinel

// TestPublicSubnets covers the ways a subnet becomes public, or not, and what stays unknown.
func TestPublicSubnets(t *testing.T) {
	t.Parallel()
	vpc := res("vpc", graph.TypeVpc, "vpc-1", map[string]any{"mainRouteTableId": "rtb-main"}, nil)
	vpcPreview := res("vpc", graph.TypeVpc, "", map[string]any{"mainRouteTableId": unknown}, nil)
	igw := res("igw", graph.TypeInternetGateway, "igw-1", map[string]any{"vpcId": "vpc-1"}, nil)
	igwPreview := res("igw", graph.TypeInternetGateway, "", map[string]any{"vpcId": unknown}, map[string][]string{"vpcId": {"vpc"}})
	subnet := res("s", graph.TypeSubnet, "subnet-1", map[string]any{"vpcId": "vpc-1", "availabilityZone": "us-east-1a"}, nil)
	subnetPreview := res("s", graph.TypeSubnet, "", map[string]any{"vpcId": unknown, "availabilityZone": "us-east-1a"},
		map[string][]string{"vpcId": {"vpc"}})

	cases := []struct {
		name string
		rs   []policytest.RawResource
		want graph.Tri
		why  string
	}{
		{"no association, bare main table", []policytest.RawResource{vpc, igw, subnet}, graph.No, ""},
		{"main table gets a default route by id", []policytest.RawResource{vpc, igw, subnet,
			res("r", graph.TypeRoute, "r-1", map[string]any{"routeTableId": "rtb-main", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}, nil),
		}, graph.Yes, `aws:ec2/route:Route "r" sends 0.0.0.0/0 to internet gateway aws:ec2/internetGateway:InternetGateway "igw"`},
		{"main table gets a default route in preview", []policytest.RawResource{vpcPreview, igwPreview, subnetPreview,
			res("r", graph.TypeRoute, "", map[string]any{"routeTableId": unknown, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": unknown},
				map[string][]string{"routeTableId": {"vpc"}, "gatewayId": {"igw"}}),
		}, graph.Yes, "internet gateway"},
		{"inline ::/0 to an igw- id outside the stack", []policytest.RawResource{vpc, subnet,
			res("rt", graph.TypeRouteTable, "rtb-2", map[string]any{"routes": []any{map[string]any{"ipv6CidrBlock": "::/0", "gatewayId": "igw-elsewhere"}}}, nil),
			res("a", graph.TypeRouteTableAssociation, "", map[string]any{"subnetId": "subnet-1", "routeTableId": "rtb-2"}, nil),
		}, graph.Yes, "::/0 to internet gateway igw-elsewhere"},
		{"main route table association", []policytest.RawResource{vpc, igw, subnet,
			res("rt", graph.TypeRouteTable, "rtb-2", map[string]any{"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}}}, nil),
			res("m", graph.TypeMainRouteTableAssociation, "", map[string]any{"vpcId": "vpc-1", "routeTableId": "rtb-2"}, nil),
		}, graph.Yes, "routes[0]"},
		{"default route table resource in preview", []policytest.RawResource{vpcPreview, igwPreview, subnetPreview,
			res("d", graph.TypeDefaultRouteTable, "", map[string]any{"defaultRouteTableId": unknown,
				"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": unknown}}},
				map[string][]string{"defaultRouteTableId": {"vpc"}, "routes": {"igw"}}),
		}, graph.Yes, "DefaultRouteTable"},
		{"explicit association to a NAT table beats a public main table", []policytest.RawResource{vpc, igw, subnet,
			res("r", graph.TypeRoute, "r-1", map[string]any{"routeTableId": "rtb-main", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}, nil),
			res("nat", graph.TypeNatGateway, "nat-1", map[string]any{"subnetId": "subnet-9"}, nil),
			res("rt", graph.TypeRouteTable, "rtb-2", map[string]any{"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}}}, nil),
			res("a", graph.TypeRouteTableAssociation, "", map[string]any{"subnetId": "subnet-1", "routeTableId": "rtb-2"}, nil),
		}, graph.No, ""},
		{"a virtual private gateway is not an internet gateway", []policytest.RawResource{vpcPreview, subnetPreview,
			res("vgw", graph.TypeVpnGateway, "", map[string]any{}, nil),
			res("rt", graph.TypeRouteTable, "", map[string]any{"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": unknown}}},
				map[string][]string{"routes": {"vgw"}}),
			res("a", graph.TypeRouteTableAssociation, "", map[string]any{"subnetId": unknown, "routeTableId": unknown},
				map[string][]string{"subnetId": {"s"}, "routeTableId": {"rt"}}),
		}, graph.No, ""},
		{"unknown gateway without dependencies", []policytest.RawResource{vpcPreview, subnetPreview,
			res("rt", graph.TypeRouteTable, "", map[string]any{"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": unknown}}}, nil),
			res("a", graph.TypeRouteTableAssociation, "", map[string]any{"subnetId": unknown, "routeTableId": unknown},
				map[string][]string{"subnetId": {"s"}, "routeTableId": {"rt"}}),
		}, graph.Maybe, "gatewayId of"},
		{"unknown routes", []policytest.RawResource{vpcPreview, subnetPreview,
			res("rt", graph.TypeRouteTable, "", map[string]any{"routes": unknown}, nil),
			res("a", graph.TypeRouteTableAssociation, "", map[string]any{"subnetId": unknown, "routeTableId": unknown},
				map[string][]string{"subnetId": {"s"}, "routeTableId": {"rt"}}),
		}, graph.Maybe, "routes of"},
		{"unknown vpc", []policytest.RawResource{
			res("s", graph.TypeSubnet, "", map[string]any{"vpcId": unknown, "availabilityZone": "us-east-1a"}, nil),
		}, graph.Maybe, "vpcId of"},
		{"vpc outside the stack", []policytest.RawResource{
			res("s", graph.TypeSubnet, "subnet-1", map[string]any{"vpcId": "vpc-other", "availabilityZone": "us-east-1a"}, nil),
		}, graph.Maybe, "vpc-other is not in this stack"},
		{"route table outside the stack", []policytest.RawResource{vpc, subnet,
			res("a", graph.TypeRouteTableAssociation, "", map[string]any{"subnetId": "subnet-1", "routeTableId": "rtb-other"}, nil),
		}, graph.Maybe, "rtb-other is not in this stack"},
		{"an association whose subnet is unknown could be this subnet's", []policytest.RawResource{vpcPreview, igwPreview, subnetPreview,
			res("rt", graph.TypeRouteTable, "", map[string]any{"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": unknown}}},
				map[string][]string{"routes": {"igw"}}),
			res("a", graph.TypeRouteTableAssociation, "", map[string]any{"subnetId": unknown, "routeTableId": unknown},
				map[string][]string{"routeTableId": {"rt"}}),
		}, graph.Maybe, "subnetId of"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := stack(t, c.rs...)
			g := graph.New(st)
			s := g.Subnet(find(t, st, "s"))
			require.NotNil(t, s)
			assert.Equal(t, c.want, s.Public, "why: %s", s.Why)
			assert.Contains(t, s.Why, c.why)
		})
	}
}

// TestResolve covers known, unknown, partially known, dangling and secret references.
func TestResolve(t *testing.T) {
	t.Parallel()
	st := stack(t,
		res("a", graph.TypeSubnet, "subnet-a", map[string]any{"availabilityZone": "us-east-1a"}, nil),
		res("b", graph.TypeSubnet, "", map[string]any{"availabilityZone": "us-east-1b"}, nil),
		res("x", graph.TypeVpc, "", map[string]any{}, nil),
		res("known", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": []any{"subnet-a"}}, nil),
		res("mixed", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": []any{"subnet-a", unknown}},
			map[string][]string{"vpcZoneIdentifiers": {"a", "b", "x"}}),
		res("whole", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": unknown},
			map[string][]string{"vpcZoneIdentifiers": {"b"}}),
		res("nodeps", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": unknown}, nil),
		res("wrongdeps", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": unknown},
			map[string][]string{"vpcZoneIdentifiers": {"x"}}),
		res("dangling", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": []any{"subnet-a", "subnet-zzz"}}, nil),
		res("secret", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": map[string]any{
			"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": `["subnet-a"]`}}, nil),
	)
	g := graph.New(st)
	cases := []struct {
		name     string
		want     []string
		unknown  bool
		dangling []string
		secret   bool
	}{
		{"known", []string{"a"}, false, nil, false},
		{"mixed", []string{"a", "b"}, false, nil, false},
		{"whole", []string{"b"}, false, nil, false},
		{"nodeps", []string{}, true, nil, false},
		{"wrongdeps", []string{}, true, nil, false},
		{"dangling", []string{"a"}, false, []string{"subnet-zzz"}, false},
		{"secret", []string{"a"}, false, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refs := g.Resolve(find(t, st, c.name), "vpcZoneIdentifiers", graph.TypeSubnet)
			assert.Equal(t, c.want, names(refs.Resources))
			assert.Equal(t, c.unknown, refs.Unknown)
			assert.Equal(t, c.dangling, refs.Dangling)
			assert.Equal(t, c.secret, refs.Secret)
		})
	}
}

// TestShow checks that values print safely.
func TestShow(t *testing.T) {
	t.Parallel()
	secret := resource.MakeSecret(resource.NewStringProperty("hunter2"))
	cases := []struct {
		v    resource.PropertyValue
		want string
	}{
		{resource.NewStringProperty("subnet-1"), `"subnet-1"`},
		{resource.NewNumberProperty(443), "443"},
		{resource.NewBoolProperty(false), "false"},
		{resource.NewNullProperty(), "null"},
		{secret, "[secret]"},
		{resource.MakeComputed(resource.NewStringProperty("")), "[unknown during preview]"},
		{resource.NewStringProperty(graph.UnknownSentinel), "[unknown during preview]"},
		{resource.NewOutputProperty(resource.Output{Element: resource.NewStringProperty("x"), Known: true, Secret: true}), "[secret]"},
		{resource.NewOutputProperty(resource.Output{Known: false}), "[unknown during preview]"},
		{resource.NewOutputProperty(resource.Output{Element: resource.NewStringProperty("x"), Known: true}), `"x"`},
		{resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("a"), secret}), `["a", [secret]]`},
		{resource.NewObjectProperty(resource.PropertyMap{"b": secret, "a": resource.NewNumberProperty(1)}), `{a: 1, b: [secret]}`},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, graph.Show(c.v))
	}
	long := graph.Show(resource.NewStringProperty(fmt.Sprintf("%0200d", 0)))
	assert.Contains(t, long, "…(200 bytes)")
}

// TestField checks property lookups through wrappers.
func TestField(t *testing.T) {
	t.Parallel()
	pm := resource.PropertyMap{
		"metadataOptions": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{
			"httpTokens": resource.NewStringProperty("required"),
		})),
		"nets": resource.NewArrayProperty([]resource.PropertyValue{
			resource.NewObjectProperty(resource.PropertyMap{"associatePublicIpAddress": resource.NewStringProperty("true")}),
		}),
		"later": resource.MakeComputed(resource.NewStringProperty("")),
		"n":     resource.NewStringProperty("7"),
	}
	f := graph.Get(pm, "metadataOptions.httpTokens")
	s, ok := f.Str()
	assert.True(t, ok)
	assert.Equal(t, "required", s)
	assert.True(t, f.Secret)
	assert.Equal(t, "[secret]", f.Show())

	items := graph.Get(pm, "nets").Items()
	require.Len(t, items, 1)
	b, ok := items[0].Get("associatePublicIpAddress").Bool()
	assert.True(t, ok)
	assert.True(t, b)

	u := graph.Get(pm, "later.deeper")
	assert.True(t, u.Unknown())
	assert.Equal(t, "[unknown during preview]", u.Show())

	m := graph.Get(pm, "missing.deeper")
	assert.False(t, m.Present)
	assert.True(t, m.Known)

	n, ok := graph.Get(pm, "n").Num()
	assert.True(t, ok)
	assert.Equal(t, 7.0, n)
}

// TestOfBuildsOnce checks that the stack policies of one analysis share one graph.
func TestOfBuildsOnce(t *testing.T) {
	t.Parallel()
	st := load(t, "network.deployed.json")
	assert.Same(t, graph.Of(st), graph.Of(st))
}

// TestResolveWithoutIDs covers a state whose resources carry no ID (the Analyzer protocol sends none and
// the provider did not repeat it in an "id" output): EC2 IDs are found at the end of ARNs, and known
// values that match nothing fall back to property dependencies.
func TestResolveWithoutIDs(t *testing.T) {
	t.Parallel()
	st := stack(t,
		res("a", graph.TypeSubnet, "", map[string]any{"arn": "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-a"}, nil),
		res("nat", graph.TypeNatGateway, "", map[string]any{}, nil),
		res("asg", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": []any{"subnet-a"}}, nil),
		res("route", graph.TypeRoute, "", map[string]any{"natGatewayId": "nat-1"}, map[string][]string{"natGatewayId": {"nat"}}),
		res("two", graph.TypeAutoscalingGroup, "", map[string]any{"vpcZoneIdentifiers": []any{"subnet-x", "subnet-y"}},
			map[string][]string{"vpcZoneIdentifiers": {"a"}}),
	)
	g := graph.New(st)
	refs := g.Resolve(find(t, st, "asg"), "vpcZoneIdentifiers", graph.TypeSubnet)
	assert.Equal(t, []string{"a"}, names(refs.Resources))
	assert.True(t, refs.Complete())
	refs = g.Resolve(find(t, st, "route"), "natGatewayId", graph.TypeNatGateway)
	assert.Equal(t, []string{"nat"}, names(refs.Resources))
	assert.True(t, refs.Complete())
	assert.True(t, refs.ViaDependencies)
	refs = g.Resolve(find(t, st, "two"), "vpcZoneIdentifiers", graph.TypeSubnet)
	assert.Equal(t, []string{"a"}, names(refs.Resources))
	assert.Equal(t, []string{"subnet-x", "subnet-y"}, refs.Dangling, "one dependency cannot account for two values")
}

// TestOfConcurrent checks that policies asking for the graph at once share one, safely (run with -race).
func TestOfConcurrent(t *testing.T) {
	t.Parallel()
	st := load(t, "ess.deployed.json")
	const n = 8
	got := make(chan *graph.Graph, n)
	for range n {
		go func() { got <- graph.Of(st) }()
	}
	first := <-got
	for range n - 1 {
		assert.Same(t, first, <-got)
	}
}

// TestTemplatesOf follows auto-scaling groups to their launch templates in both forms, launchTemplate
// and mixedInstancesPolicy (its launchTemplateSpecification and its overrides'), in deployed state, in
// preview and without IDs: the same templates every way.
func TestTemplatesOf(t *testing.T) {
	t.Parallel()
	fixture := func(t *testing.T, path string) *policy.Stack {
		t.Helper()
		f, err := policytest.LoadFixture(path)
		require.NoError(t, err)
		return f.Stack
	}
	const fixtures = "../rules/testdata/ha-separate-pools/"
	cases := []struct {
		name, file, group string
		want              []string
	}{
		{"launchTemplate", shared + "/ess.%s.json", "ess-asg", []string{"ess-lt"}},
		{"mixed instances policy", fixtures + "pass/ess-mixed.%s.json", "ess-asg", []string{"ess-lt"}},
		{"mixed instances policy with an override's template", fixtures + "fail/shared-launch-template-override.%s.json", "backend-asg", []string{"backend-lt", "ess-lt"}},
	}
	for _, c := range cases {
		for _, mode := range []string{"deployed", "preview", "deployed without IDs"} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				file := fmt.Sprintf(c.file, strings.Fields(mode)[0])
				st := fixture(t, file)
				if mode == "deployed without IDs" {
					st = policytest.WithoutIDs(st)
				}
				got := graph.New(st).TemplatesOf(find(t, st, c.group))
				assert.Equal(t, c.want, names(got.Resources))
				assert.Empty(t, got.UnknownProp)
			})
		}
	}
	t.Run("unknown without property dependencies", func(t *testing.T) {
		st := fixture(t, fixtures+"fail/shared-launch-template-override.preview.json")
		asg := find(t, st, "backend-asg")
		asg.PropertyDependencies = policy.PropertyDependencies{}
		got := graph.New(st).TemplatesOf(asg)
		assert.Empty(t, got.Resources)
		assert.Equal(t, "mixedInstancesPolicy", got.UnknownProp)
	})
}

// TestLargeStackSameFacts checks that a stack large enough for New to work on every processor derives,
// for every copy of the shared network, the same subnet facts as the network alone (run with -race).
func TestLargeStackSameFacts(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"deployed", "preview"} {
		st := load(t, "network."+mode+".json")
		const copies = 300
		big := policytest.Replicate(st, copies)
		one, all := graph.New(st).Subnets(), graph.New(big).Subnets()
		require.Len(t, all, copies*len(one), mode)
		for i, got := range all {
			want := one[i%len(one)]
			suffix := fmt.Sprintf("-%d", i/len(one))
			strip := func(s string) string { return strings.ReplaceAll(s, suffix, "") }
			where := fmt.Sprintf("%s: subnet %s", mode, got.Resource.URN)
			assert.Equal(t, want.Resource.URN+resource.URN(suffix), got.Resource.URN, where)
			assert.Equal(t, want.Public, got.Public, where)
			assert.Equal(t, strip(want.Why), strip(got.Why), where)
			assert.Equal(t, want.AZ, got.AZ, where)
			assert.Equal(t, strip(want.AZWhy), strip(got.AZWhy), where)
			assert.Equal(t, strip(want.EgressWhy), strip(got.EgressWhy), where)
			assert.Equal(t, len(want.NATs), len(got.NATs), where)
			for j := range min(len(want.NATs), len(got.NATs)) {
				assert.Equal(t, want.NATs[j].URN+resource.URN(suffix), got.NATs[j].URN, where)
			}
			assert.Len(t, got.RouteTables, len(want.RouteTables), where)
			if (want.VPC == nil) != (got.VPC == nil) {
				t.Errorf("%s: VPC %v, want %v", where, got.VPC, want.VPC)
			}
		}
	}
}

// TestCanonicalAliases checks that every type token pulumi-aws registers as an alias maps to its
// canonical token, and that other tokens stay as they are.
func TestCanonicalAliases(t *testing.T) {
	t.Parallel()
	for alias, canonical := range map[string]string{
		"aws:alb/loadBalancer:LoadBalancer":                                      graph.TypeLoadBalancer,
		"aws:alb/targetGroupAttachment:TargetGroupAttachment":                    graph.TypeTargetGroupAttachment,
		"aws:applicationloadbalancing/listenerRule:ListenerRule":                 graph.TypeListenerRule,
		"aws:elasticloadbalancingv2/targetGroup:TargetGroup":                     graph.TypeTargetGroup,
		"aws:elasticloadbalancing/loadBalancer:LoadBalancer":                     graph.TypeClassicLoadBalancer,
		"aws:elasticloadbalancingv2/targetGroupAttachment:TargetGroupAttachment": graph.TypeTargetGroupAttachment,
	} {
		assert.Equal(t, canonical, graph.Canonical(alias), alias)
	}
	for _, token := range []string{graph.TypeLoadBalancer, graph.TypeSubnet, "aws:alb", "aws:", "", "pulumi:pulumi:Stack", "aws:albx/loadBalancer:LoadBalancer"} {
		assert.Equal(t, token, graph.Canonical(token), token)
	}
}

// TestSubnetsOfShared checks that SubnetsOf, which keeps its answers, answers every policy alike, also
// concurrently (run with -race), and that appending to an answer changes no other.
func TestSubnetsOfShared(t *testing.T) {
	t.Parallel()
	st := load(t, "ess.deployed.json")
	g := graph.New(st)
	var groups []*policy.Resource
	for _, r := range g.OfType(graph.TypeAutoscalingGroup) {
		if subs, _ := g.SubnetsOf(r, "vpcZoneIdentifiers"); len(subs) > 1 {
			groups = append(groups, r)
		}
	}
	require.NotEmpty(t, groups)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, r := range groups {
				g.SubnetsOf(r, "vpcZoneIdentifiers")
			}
		}()
	}
	for range 4 {
		<-done
	}
	for _, r := range groups {
		first, refs := g.SubnetsOf(r, "vpcZoneIdentifiers")
		want, wantRefs := slices.Clone(first), slices.Clone(refs.Resources)
		mine, mineRefs := appended(first, &graph.Subnet{}), appended(refs.Resources, r)
		again, refsAgain := g.SubnetsOf(r, "vpcZoneIdentifiers")
		assert.Equal(t, want, again, r.URN)
		assert.Equal(t, wantRefs, refsAgain.Resources, r.URN)
		theirs, theirRefs := appended(again, &graph.Subnet{}), appended(refsAgain.Resources, nil)
		assert.NotSame(t, mine[len(mine)-1], theirs[len(theirs)-1], "appending to one answer changed another")
		assert.Same(t, r, mineRefs[len(mineRefs)-1], "appending to one answer changed another")
		assert.Nil(t, theirRefs[len(theirRefs)-1])
	}
}

// appended is what a caller that appends to an answer gets.
func appended[T any](s []T, x T) []T { return append(s, x) }

// TestZonesOfDistinctSorted checks that ZonesOf lists each known zone once, sorted, whether it tells
// them apart by scanning (a few subnets) or with a set (many), and collects why the others are unknown.
func TestZonesOfDistinctSorted(t *testing.T) {
	t.Parallel()
	zones := []string{"us-east-1c", "us-east-1a", "us-east-1b"}
	for _, n := range []int{0, 1, 3, 16, 17, 100} {
		var subs []*graph.Subnet
		for i := range n {
			subs = append(subs, &graph.Subnet{AZ: zones[i%len(zones)]})
		}
		subs = append(subs, &graph.Subnet{AZWhy: "availabilityZone is unknown"})
		z := graph.ZonesOf(subs)
		want := slices.Sorted(slices.Values(zones[:min(n, len(zones))]))
		if n == 0 {
			want = nil
		}
		assert.Equal(t, want, z.Names, "%d subnets", n)
		assert.Equal(t, []string{"availabilityZone is unknown"}, z.Unknown)
	}
}
