package topology

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Stack is one stack (its resources' outputs, as stack policies see them), named. The stack's graph is
// shared with the policies that already built it.
type Stack struct {
	Name  string
	Stack *policy.Stack
}

// Type tokens the graph has no constant for.
const (
	typeHealthCheck   = "aws:route53/healthCheck:HealthCheck"
	typeGlobalCluster = "aws:rds/globalCluster:GlobalCluster"
	typeEcrReplicate  = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
	typeAwsProvider   = "pulumi:providers:aws"
	unknownZone       = "(zone unknown)"
)

// Derive derives the topology of each stack, in order.
func Derive(stacks []Stack) *Topology {
	t := &Topology{Regions: []Region{}}
	for _, s := range stacks {
		t.Regions = append(t.Regions, derive(s))
	}
	return t
}

func derive(s Stack) Region {
	g := graph.Of(s.Stack)
	reg := Region{Stack: s.Name, Name: regionOf(g)}
	zoneOf := map[string]string{} // subnet URN -> zone
	zones := map[string]*Zone{}
	for _, sn := range g.Subnets() {
		z := sn.AZ
		if z == "" || sn.AZSecret {
			z = unknownZone
		}
		zoneOf[string(sn.Resource.URN)] = z
		tier := "private"
		if sn.Public == graph.Yes {
			tier = "public"
		}
		if zones[z] == nil {
			zones[z] = &Zone{Name: z}
		}
		zones[z].Subnets = append(zones[z].Subnets, Node{URN: sn.Resource.URN, Type: sn.Resource.Type,
			Name: graph.Name(sn.Resource), Label: tier + " subnet", Tier: tier, Zones: []string{z}})
	}
	for _, name := range sortedKeys(zones) {
		reg.Zones = append(reg.Zones, *zones[name])
	}
	subnetZones := func(r *policy.Resource, path string) []string {
		set := map[string]bool{}
		for _, sn := range g.Resolve(r, path, graph.TypeSubnet).Resources {
			if z := zoneOf[string(sn.URN)]; z != "" {
				set[z] = true
			}
		}
		return sortedSet(set)
	}
	for _, lb := range g.OfType(graph.TypeLoadBalancer, graph.TypeClassicLoadBalancer) {
		scheme := "internet-facing"
		if internal, _ := graph.Prop(lb, "internal").Bool(); internal {
			scheme = "internal"
		}
		zs := subnetZones(lb, "subnets")
		if len(zs) == 0 {
			zs = subnetZones(lb, "subnetMappings.subnetId")
		}
		reg.LoadBalancers = append(reg.LoadBalancers, node(lb, "load balancer, "+scheme, zs, 0))
	}
	for _, asg := range g.OfType(graph.TypeAutoscalingGroup) {
		pool := tagValue(asg, "pool")
		if pool == "" {
			pool = graph.Name(asg)
		}
		size := num(asg, "desiredCapacity")
		if size == 0 {
			size = num(asg, "minSize")
		}
		label := fmt.Sprintf("%s pool, %d to %d instances", pool, num(asg, "minSize"), num(asg, "maxSize"))
		reg.Pools = append(reg.Pools, node(asg, label, subnetZones(asg, "vpcZoneIdentifiers"), size))
	}
	for _, gc := range g.OfType(typeGlobalCluster) {
		reg.Databases = append(reg.Databases, node(gc, "Aurora global database", nil, 0))
	}
	members := g.OfType(graph.TypeRdsClusterInstance)
	for _, c := range g.OfType(graph.TypeRdsCluster) {
		id, _ := graph.Prop(c, "clusterIdentifier").Str()
		set := map[string]bool{}
		n := 0
		for _, m := range members {
			mid, _ := graph.Prop(m, "clusterIdentifier").Str()
			deps := g.Dependencies(m, "clusterIdentifier", graph.TypeRdsCluster)
			if (id != "" && mid == id) || (len(deps) > 0 && deps[0] == c) {
				n++
				if z, ok := graph.Prop(m, "availabilityZone").Str(); ok && !graph.Prop(m, "availabilityZone").Secret {
					set[z] = true
				}
			}
		}
		label := "Aurora cluster"
		if gid, ok := graph.Prop(c, "globalClusterIdentifier").Str(); ok && gid != "" {
			label += ", member of a global database"
		}
		reg.Databases = append(reg.Databases, node(c, fmt.Sprintf("%s, %d instance(s)", label, n), sortedSet(set), n))
	}
	for _, db := range g.OfType(graph.TypeRdsInstance) {
		label := "RDS instance, single-AZ"
		size := 1
		if multi, _ := graph.Prop(db, "multiAz").Bool(); multi {
			label, size = "RDS instance, Multi-AZ (a standby in another zone)", 2
		}
		reg.Databases = append(reg.Databases, node(db, label, nil, size))
	}
	for _, c := range g.OfType(graph.TypeCacheReplication) {
		n := num(c, "numCacheClusters")
		var zs []string
		if f := graph.Prop(c, "preferredCacheClusterAzs"); !f.Secret {
			if list, ok := f.Strings(); ok {
				zs = sortedSet(toSet(list))
			}
		}
		label := fmt.Sprintf("cache, %d node(s)", n)
		if failover, _ := graph.Prop(c, "automaticFailoverEnabled").Bool(); failover {
			label += ", automatic failover"
		}
		reg.Caches = append(reg.Caches, node(c, label, zs, n))
	}
	if repos := g.OfType(graph.TypeEcrRepository); len(repos) > 0 {
		reg.Registries = append(reg.Registries, Node{URN: repos[0].URN, Type: repos[0].Type, Name: "ECR",
			Label: fmt.Sprintf("ECR registry, %d repositories", len(repos)), Size: len(repos)})
	}
	for _, rc := range g.OfType(typeEcrReplicate) {
		var to []string
		for _, d := range graph.Leaves(rc.Properties, "replicationConfiguration.rules.destinations.region") {
			if v, ok := d.Str(); ok && !d.Secret {
				to = append(to, v)
			}
		}
		reg.Registries = append(reg.Registries, node(rc, "replicates to "+strings.Join(sortedSet(toSet(to)), ", "), nil, 0))
	}
	for _, hc := range g.OfType(typeHealthCheck) {
		typ, _ := graph.Prop(hc, "type").Str()
		path, _ := graph.Prop(hc, "resourcePath").Str()
		inverted, _ := graph.Prop(hc, "invertHealthcheck").Bool()
		if inverted && strings.HasPrefix(path, "/drain/") {
			where := graph.Prop(hc, "fqdn").Show()
			reg.DrainSwitches = append(reg.DrainSwitches, node(hc, "drain switch: inverted check of "+where+" "+strings.Trim(graph.Prop(hc, "resourcePath").Show(), `"`), nil, 0))
			continue
		}
		reg.HealthChecks = append(reg.HealthChecks, node(hc, strings.ToLower(typ)+" health check", nil, 0))
	}
	for _, nat := range g.OfType(graph.TypeNatGateway) {
		reg.NATGateways = append(reg.NATGateways, node(nat, "NAT gateway", subnetZones(nat, "subnetId"), 0))
	}
	return reg
}

func node(r *policy.Resource, label string, zones []string, size int) Node {
	return Node{URN: r.URN, Type: r.Type, Name: graph.Name(r), Label: label, Zones: zones, Size: size}
}

// regionOf is a stack's region: its default AWS provider's, else the first region an ARN names.
func regionOf(g *graph.Graph) string {
	for _, p := range g.OfType(typeAwsProvider) {
		if strings.HasPrefix(graph.Name(p), "default") {
			if f := graph.Prop(p, "region"); !f.Secret {
				if v, ok := f.Str(); ok && v != "" {
					return v
				}
			}
		}
	}
	for _, r := range g.Resources() {
		f := graph.Prop(r, "arn")
		if arn, ok := f.Str(); ok && !f.Secret {
			if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[3] != "" {
				return parts[3]
			}
		}
	}
	return ""
}

// tagValue returns the value of an auto-scaling group tag (tags is a list of {key, value}).
func tagValue(r *policy.Resource, key string) string {
	for _, t := range graph.Prop(r, "tags").Items() {
		if k, _ := t.Get("key").Str(); k == key {
			if v := t.Get("value"); !v.Secret {
				s, _ := v.Str()
				return s
			}
		}
	}
	return ""
}

func num(r *policy.Resource, path string) int {
	f := graph.Prop(r, path)
	if f.Secret {
		return 0
	}
	n, _ := f.Num()
	return int(n)
}

func toSet(ss []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range ss {
		out[s] = true
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
