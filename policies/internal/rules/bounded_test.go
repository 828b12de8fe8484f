package rules_test

import (
	"fmt"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// maxMessage is the most a finding of a policy may say; the analyzer cuts anything longer, but a
// policy's message should not need it.
const maxMessage = 3 << 10

// crowdedStack has many of everything a message could list: 10,000 subnets whose zone and VPC are
// unknown, 10,000 public subnets of one VPC, and groups, load balancers, databases and caches over
// all of them, by reference and by values that name nothing in the stack.
func crowdedStack(n int) *policy.Stack {
	urn := func(typ, name string) resource.URN {
		return resource.URN(policytest.ShortURNPrefix + typ + "::" + name)
	}
	str := resource.NewStringProperty
	unknown := resource.MakeComputed(str(""))
	st := &policy.Stack{}
	add := func(typ, name string, props resource.PropertyMap, deps map[resource.PropertyKey][]resource.URN) *policy.Resource {
		r := &policy.Resource{URN: urn(typ, name), Type: typ, Name: name, Properties: props, PropertyDependencies: policy.PropertyDependenciesOf(deps)}
		st.Resources = append(st.Resources, r)
		return r
	}
	vpc := add(graph.TypeVpc, "vpc", resource.PropertyMap{"id": str("vpc-1"), "cidrBlock": str("10.0.0.0/16")}, nil)
	add("aws:ec2/internetGateway:InternetGateway", "igw", resource.PropertyMap{"id": str("igw-1"), "vpcId": str("vpc-1")}, nil)
	add("aws:ec2/routeTable:RouteTable", "public", resource.PropertyMap{"id": str("rtb-1"), "vpcId": str("vpc-1"),
		"routes": resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
			"cidrBlock": str("0.0.0.0/0"), "gatewayId": str("igw-1")})})}, nil)
	var unknownSubs []resource.URN
	var dangling, publicIDs, zones []resource.PropertyValue
	for i := range n {
		unknownSubs = append(unknownSubs, add(graph.TypeSubnet, fmt.Sprintf("unknown-%d", i), resource.PropertyMap{
			"id": unknown, "availabilityZone": unknown, "vpcId": unknown}, nil).URN)
		id := fmt.Sprintf("subnet-public-%d", i)
		add(graph.TypeSubnet, fmt.Sprintf("public-%d", i), resource.PropertyMap{
			"id": str(id), "availabilityZone": str("us-east-1a"), "vpcId": str("vpc-1"), "mapPublicIpOnLaunch": resource.NewBoolProperty(true)}, nil)
		add("aws:ec2/routeTableAssociation:RouteTableAssociation", fmt.Sprintf("assoc-%d", i), resource.PropertyMap{
			"subnetId": str(id), "routeTableId": str("rtb-1")}, nil)
		publicIDs = append(publicIDs, str(id))
		dangling = append(dangling, str(fmt.Sprintf("subnet-elsewhere-%d", i)))
		zones = append(zones, str("us-east-1a"))
	}
	_ = vpc
	arr := resource.NewArrayProperty
	add(graph.TypeAutoscalingGroup, "ess", resource.PropertyMap{"vpcZoneIdentifiers": unknown, "minSize": resource.NewNumberProperty(1),
		"tags": arr([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{"key": str("pool"), "value": str("ess")})})},
		map[resource.PropertyKey][]resource.URN{"vpcZoneIdentifiers": unknownSubs})
	add(graph.TypeAutoscalingGroup, "public", resource.PropertyMap{"vpcZoneIdentifiers": arr(publicIDs), "minSize": resource.NewNumberProperty(1)}, nil)
	add(graph.TypeAutoscalingGroup, "elsewhere", resource.PropertyMap{"vpcZoneIdentifiers": arr(dangling), "minSize": resource.NewNumberProperty(1)}, nil)
	add(graph.TypeAutoscalingGroup, "zones", resource.PropertyMap{"availabilityZones": arr(zones), "minSize": resource.NewNumberProperty(1)}, nil)
	add(graph.TypeLoadBalancer, "alb", resource.PropertyMap{"subnets": arr(dangling), "internal": resource.NewBoolProperty(false)}, nil)
	add(graph.TypeLoadBalancer, "alb-unknown", resource.PropertyMap{"subnets": unknown}, map[resource.PropertyKey][]resource.URN{"subnets": unknownSubs})
	add("aws:rds/subnetGroup:SubnetGroup", "db", resource.PropertyMap{"subnetIds": arr(dangling), "name": str("db")}, nil)
	add("aws:elasticache/replicationGroup:ReplicationGroup", "cache", resource.PropertyMap{"preferredCacheClusterAzs": arr(zones)}, nil)
	return st
}

// TestMessagesListAFew: with 10,000 of everything, no finding says more than a few KB: lists name a
// few items and how many more.
func TestMessagesListAFew(t *testing.T) {
	t.Parallel()
	st := crowdedStack(10000)
	for _, dryRun := range []bool{false, true} {
		for _, p := range rules.All() {
			cfg, err := policytest.Config(p, nil)
			require.NoError(t, err)
			vs, err := policytest.Run(t.Context(), p, st, policy.Args{Config: cfg, DryRun: dryRun})
			require.NoError(t, err, p.Name)
			for _, v := range vs {
				assert.LessOrEqual(t, len(v.Message), maxMessage, "%s: %.600s", p.Name, v.Message)
			}
		}
	}
}

func TestListSaysHowManyMore(t *testing.T) {
	t.Parallel()
	items := make([]string, 9998)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	assert.Equal(t, "0, 1, 2, 3, 4, 5, 6, 7 and 9,990 more", graph.List(items, ", "))
	assert.Equal(t, "0; 1", graph.List(items[:2], "; "))
	assert.Equal(t, "1,234,567", graph.Count(1234567))
	assert.Equal(t, "-1,000", graph.Count(-1000))
	assert.Equal(t, "999", graph.Count(999))
}
