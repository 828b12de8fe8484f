package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// MinAvailabilityZones is the name of the policy that every tier spans enough AZs.
const MinAvailabilityZones = "ha-min-availability-zones"

func minAvailabilityZones() policy.Policy {
	return policy.Policy{
		Name: MinAvailabilityZones,
		Description: "Every tier spans at least minimumZones availability zones: each VPC has a public and a " +
			"private subnet in that many AZs; each auto-scaling group's subnets, each load balancer's subnets (or, " +
			"with one load balancer per AZ, the load balancers of one scheme together), each Global Accelerator " +
			"endpoint group's load balancers, each DB and cache subnet group, and each cache replication group's " +
			"nodes span that many AZs.",
		Recommendation: recAZ + ` ("at least 2 availability zones", "each availability zone should contain a public ` +
			`subnet and a private subnet"); ` + recGateway + "; " + recAsurionAZ,
		DefaultLevel: policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"minimumZones": intProp(2, 1, "How many availability zones every tier must span."),
		}},
		CheckStack: checkMinAvailabilityZones,
	}
}

// zoneCheck accumulates the findings of ha-min-availability-zones.
type zoneCheck struct {
	g   *graph.Graph
	min int
	out []policy.Violation
}

func checkMinAvailabilityZones(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	c := &zoneCheck{g: graph.Of(s), min: cfgInt(args, "minimumZones", 2)}
	c.vpcs()
	for _, r := range c.g.OfType(graph.TypeAutoscalingGroup) {
		c.autoscalingGroup(r)
	}
	c.loadBalancers()
	for _, r := range c.g.OfType(graph.TypeRdsSubnetGroup, graph.TypeCacheSubnetGroup) {
		subs, refs := c.g.SubnetsOf(r, "subnetIds")
		c.spread(r, "subnetIds", subs, refs, "the subnet group")
	}
	for _, r := range c.g.OfType(graph.TypeCacheReplication) {
		c.replicationGroup(r)
	}
	return c.out
}

// spread checks that subnets span enough AZs.
func (c *zoneCheck) spread(r *policy.Resource, prop string, subs []*graph.Subnet, refs graph.Refs, what string) {
	z := graph.ZonesOf(subs)
	if len(z.Names) >= c.min {
		return
	}
	if reason := firstNonEmpty(refsReason(r, prop, refs), first(z.Unknown)); reason != "" {
		c.out = append(c.out, unverifiable(r.URN, reason, "whether "+what+" spans "+plural(c.min, "availability zone"), recAZ))
		return
	}
	c.out = append(c.out, finding(r, prop, show(r, prop),
		fmt.Sprintf("%s spans %s (%s) through %s, fewer than the %d required", what, plural(len(z.Names), "availability zone"),
			z, subnetNames(subs), c.min),
		fmt.Sprintf("add subnets in other availability zones until %s spans at least %d", what, c.min), recAZ))
}

// vpcs checks that each VPC has a public and a private subnet in enough AZs.
func (c *zoneCheck) vpcs() {
	type zoneTiers struct{ public, private, maybe bool }
	secret := map[resource.URN]bool{}
	byVPC := map[resource.URN]map[string]*zoneTiers{}
	unknown := map[resource.URN]string{}
	for _, s := range c.g.Subnets() {
		if s.VPC == nil {
			continue
		}
		if byVPC[s.VPC.URN] == nil {
			byVPC[s.VPC.URN] = map[string]*zoneTiers{}
		}
		if s.AZ == "" {
			unknown[s.VPC.URN] = firstNonEmpty(unknown[s.VPC.URN], s.AZWhy)
			continue
		}
		secret[s.VPC.URN] = secret[s.VPC.URN] || s.AZSecret
		zt := byVPC[s.VPC.URN][s.AZ]
		if zt == nil {
			zt = &zoneTiers{}
			byVPC[s.VPC.URN][s.AZ] = zt
		}
		switch s.Public {
		case graph.Yes:
			zt.public = true
		case graph.No:
			zt.private = true
		default:
			zt.maybe = true
			unknown[s.VPC.URN] = firstNonEmpty(unknown[s.VPC.URN], s.Why)
		}
	}
	for _, vpc := range c.g.OfType(graph.TypeVpc) {
		zones := byVPC[vpc.URN]
		if len(zones) == 0 && unknown[vpc.URN] == "" {
			continue // no subnets in this stack
		}
		var full, partial []string
		for az, zt := range zones {
			if zt.public && zt.private {
				full = append(full, az)
			} else {
				desc := az + " has no "
				if zt.public {
					desc += "private subnet"
				} else {
					desc += "public subnet"
				}
				partial = append(partial, desc)
			}
		}
		if len(full) >= c.min {
			continue
		}
		if reason := unknown[vpc.URN]; reason != "" {
			c.out = append(c.out, unverifiable(vpc.URN, reason,
				fmt.Sprintf("whether the VPC has a public and a private subnet in %s", plural(c.min, "availability zone")), recAZ))
			continue
		}
		sort.Strings(full)
		sort.Strings(partial)
		problem := fmt.Sprintf("its subnets give it a public and a private subnet in %s (%s), fewer than the %d required",
			plural(len(full), "availability zone"), graph.Zones{Names: full, Secret: secret[vpc.URN]}, c.min)
		if len(partial) > 0 && !secret[vpc.URN] {
			problem += "; " + graph.List(partial, "; ")
		}
		c.out = append(c.out, finding(vpc, "", "", problem,
			fmt.Sprintf("give the VPC a public subnet (for the load balancers and NAT gateways) and a private subnet in each of at least %d availability zones", c.min),
			recAZ))
	}
}

// autoscalingGroup checks an auto-scaling group's subnets, or its availabilityZones when it has none.
func (c *zoneCheck) autoscalingGroup(r *policy.Resource) {
	if graph.Prop(r, "vpcZoneIdentifiers").Present {
		subs, refs := c.g.SubnetsOf(r, "vpcZoneIdentifiers")
		c.spread(r, "vpcZoneIdentifiers", subs, refs, "the auto-scaling group")
		return
	}
	f := graph.Prop(r, "availabilityZones")
	if f.Unknown() {
		c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "availabilityZones"), "whether the group spans enough zones", recAZ))
		return
	}
	zones, _ := f.Strings()
	distinct := distinctStrings(zones)
	if len(distinct) < c.min {
		c.out = append(c.out, finding(r, "availabilityZones", f.Show(),
			fmt.Sprintf("the auto-scaling group spans %s, fewer than the %d required", plural(len(distinct), "availability zone"), c.min),
			fmt.Sprintf("set vpcZoneIdentifiers to private subnets in at least %d availability zones", c.min), recAZ))
	}
}

// lbInfo is what the load balancer check learns about one load balancer.
type lbInfo struct {
	r      *policy.Resource
	subs   []*graph.Subnet
	zones  graph.Zones
	reason string // why its zones cannot all be told
	scheme string
}

// loadBalancers checks each load balancer, accepting the one-per-AZ layout the ESS document allows, and
// the endpoint groups of a Global Accelerator in front of them.
func (c *zoneCheck) loadBalancers() {
	byURN := map[resource.URN]*lbInfo{}
	var infos []*lbInfo
	union := map[string]map[string]bool{}
	count := map[string]int{}
	for _, r := range c.g.OfType(graph.TypeLoadBalancer, graph.TypeClassicLoadBalancer) {
		info := c.lbZones(r)
		byURN[r.URN] = info
		infos = append(infos, info)
		if union[info.scheme] == nil {
			union[info.scheme] = map[string]bool{}
		}
		for _, z := range info.zones.Names {
			union[info.scheme][z] = true
		}
		count[info.scheme]++
	}
	for _, info := range infos {
		if len(info.zones.Names) >= c.min {
			continue
		}
		// One load balancer per AZ: acceptable when the load balancers of the scheme together span enough.
		if count[info.scheme] > 1 && len(union[info.scheme]) >= c.min {
			continue
		}
		r := info.r
		if info.reason != "" {
			c.out = append(c.out, unverifiable(r.URN, info.reason, "whether the load balancer spans enough availability zones", recLB))
			continue
		}
		c.out = append(c.out, finding(r, "subnets", show(r, "subnets"),
			fmt.Sprintf("the load balancer spans %s (%s) through %s, and the %s load balancers of the stack together span %s, fewer than the %d required",
				plural(len(info.zones.Names), "availability zone"), info.zones, subnetNames(info.subs), info.scheme,
				plural(len(union[info.scheme]), "availability zone"), c.min),
			fmt.Sprintf("place the load balancer in public subnets of at least %d availability zones (or one load balancer in each of them)", c.min),
			recAZ+"; "+recLB))
	}
	for _, eg := range c.g.OfType(graph.TypeGlobalAcceleratorEndpointGroup) {
		refs := c.g.Resolve(eg, "endpointConfigurations.endpointId", graph.TypeLoadBalancer)
		zones := map[string]bool{}
		secret := false
		reason := refsReason(eg, "endpointConfigurations", refs)
		for _, lb := range refs.Resources {
			info := byURN[lb.URN]
			for _, z := range info.zones.Names {
				zones[z] = true
			}
			secret = secret || info.zones.Secret
			reason = firstNonEmpty(reason, info.reason)
		}
		if len(zones) >= c.min {
			continue
		}
		if reason != "" {
			c.out = append(c.out, unverifiable(eg.URN, reason, "whether the accelerator's endpoints span enough availability zones", recGateway))
			continue
		}
		c.out = append(c.out, finding(eg, "endpointConfigurations", show(eg, "endpointConfigurations"),
			fmt.Sprintf("the gateway's endpoints are load balancers in %s (%s), fewer than the %d required",
				plural(len(zones), "availability zone"), graph.Zones{Names: sortedKeys(zones), Secret: secret}, c.min),
			fmt.Sprintf("add endpoints (load balancers) covering at least %d availability zones", c.min), recGateway+"; "+recAZ))
	}
}

// lbZones collects the AZs of a load balancer's subnets and subnet mappings (or, for a classic load
// balancer without subnets, its availabilityZones).
func (c *zoneCheck) lbZones(r *policy.Resource) *lbInfo {
	info := &lbInfo{r: r, scheme: "internet-facing"}
	switch boolIs(r, "internal", false) {
	case graph.Yes:
		info.scheme = "internal"
	case graph.Maybe:
		info.scheme = "unknown-scheme"
	}
	var subs []*graph.Subnet
	for _, prop := range []string{"subnets", "subnetMappings.subnetId"} {
		if !graph.Prop(r, strings.Split(prop, ".")[0]).Present {
			continue
		}
		ss, refs := c.g.SubnetsOf(r, prop)
		subs = append(subs, ss...)
		info.reason = firstNonEmpty(info.reason, refsReason(r, strings.Split(prop, ".")[0], refs))
	}
	info.subs = subs
	info.zones = graph.ZonesOf(subs)
	info.reason = firstNonEmpty(info.reason, first(info.zones.Unknown))
	if len(subs) == 0 && info.reason == "" {
		if zs, ok := graph.Prop(r, "availabilityZones").Texts(); ok {
			info.zones = graph.ZonesOfTexts(zs)
		} else {
			info.reason = unknownReason(r, "availabilityZones")
		}
	}
	return info
}

// replicationGroup checks that a cache replication group's nodes can span enough AZs.
func (c *zoneCheck) replicationGroup(r *policy.Resource) {
	azs := graph.Prop(r, "preferredCacheClusterAzs")
	if azs.Present {
		list, ok := azs.Strings()
		if !ok {
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "preferredCacheClusterAzs"), "whether the nodes span enough availability zones", recAsurionAZ))
			return
		}
		if d := distinctStrings(list); len(d) < c.min {
			c.out = append(c.out, finding(r, "preferredCacheClusterAzs", azs.Show(),
				fmt.Sprintf("the replication group's nodes are placed in %s, fewer than the %d required", plural(len(d), "availability zone"), c.min),
				fmt.Sprintf("list at least %d distinct availability zones, primary and replicas in different zones", c.min), recAsurionAZ+"; "+recAZ))
		}
		return
	}
	nodes, prop, known := cacheNodes(r)
	switch {
	case !known:
		c.out = append(c.out, unverifiable(r.URN, unknownReason(r, prop), "whether the nodes span enough availability zones", recAsurionAZ))
	case nodes < c.min:
		c.out = append(c.out, finding(r, prop, show(r, prop),
			fmt.Sprintf("the replication group has %s per shard, which cannot span %d availability zones", plural(nodes, "node"), c.min),
			fmt.Sprintf("run at least %d nodes (a primary and replicas) in different availability zones", c.min), recAsurionAZ+"; "+recAZ))
	}
	// With enough nodes and no preferred AZs, ElastiCache spreads them over the subnet group's AZs; the
	// subnet group's own check covers its spread.
}

// subnetNames names subnets for a message, briefly.
func subnetNames(subs []*graph.Subnet) string {
	if len(subs) == 0 {
		return "no subnet"
	}
	names := make([]string, 0, len(subs))
	for _, s := range subs {
		names = append(names, fmt.Sprintf("%q", graph.Name(s.Resource)))
	}
	return pluralWord(len(subs), "subnet") + " " + graph.List(names, ", ")
}

// cacheNodes returns how many nodes each shard of a replication group has, the property that says so,
// and whether it is known. Cluster mode uses replicasPerNodeGroup; otherwise numCacheClusters (default 1).
func cacheNodes(r *policy.Resource) (nodes int, prop string, known bool) {
	if f := graph.Prop(r, "replicasPerNodeGroup"); f.Present && (graph.Prop(r, "numNodeGroups").Present || !graph.Prop(r, "numCacheClusters").Present) {
		n, ok := f.Num()
		return int(n) + 1, "replicasPerNodeGroup", ok
	}
	f := graph.Prop(r, "numCacheClusters")
	if !f.Present {
		return 1, "numCacheClusters", true
	}
	n, ok := f.Num()
	return int(n), "numCacheClusters", ok
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func distinctStrings(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
