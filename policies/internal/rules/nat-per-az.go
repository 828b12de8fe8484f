package rules

import (
	"context"
	"fmt"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// NatPerAZ is the name of the policy that egress survives the loss of an AZ.
const NatPerAZ = "ha-nat-per-az"

func natPerAZ() policy.Policy {
	return policy.Policy{
		Name: NatPerAZ,
		Description: "Egress survives the loss of an AZ: every private subnet whose 0.0.0.0/0 route goes to a NAT gateway " +
			"uses a NAT gateway in its own AZ, every public NAT gateway sits in a public subnet, and the NAT gateways " +
			"that private subnets use span at least minimumZones AZs.",
		Recommendation: recAZ + ` ("each availability zone should contain a public subnet and a private subnet"; the ` +
			`private subnets' egress must not depend on another zone); ` + recAsurionAZ,
		DefaultLevel: policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"minimumZones": intProp(2, 1, "How many availability zones the NAT gateways in use must span."),
		}},
		CheckStack: checkNatPerAZ,
	}
}

func checkNatPerAZ(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	g := graph.Of(s)
	minZones := cfgInt(args, "minimumZones", 2)
	var out []policy.Violation
	// Where each NAT gateway is.
	type natInfo struct {
		az, why string
		secret  bool
	}
	nats := map[*policy.Resource]natInfo{}
	for _, n := range g.OfType(graph.TypeNatGateway) {
		if ct, _ := graph.Prop(n, "connectivityType").Str(); ct == "private" {
			continue
		}
		subs, refs := g.SubnetsOf(n, "subnetId")
		info := natInfo{why: refsReason(n, "subnetId", refs)}
		for _, sn := range subs {
			info.az, info.why, info.secret = sn.AZ, firstNonEmpty(info.why, sn.AZWhy), sn.AZSecret
			switch sn.Public {
			case graph.No:
				out = append(out, finding(n, "subnetId", show(n, "subnetId"),
					fmt.Sprintf("the public NAT gateway sits in the private subnet %s, so nothing routed to it reaches the internet", graph.Describe(sn.Resource)),
					"place each NAT gateway in the public subnet of its availability zone", recAZ))
			case graph.Maybe:
				out = append(out, unverifiable(n.URN, sn.Why, "whether the NAT gateway sits in a public subnet", recAZ))
			}
		}
		nats[n] = info
	}
	used := map[string]bool{}
	usedSecret := false
	usedUnknown := ""
	for _, sn := range g.Subnets() {
		if sn.Public == graph.Yes {
			continue
		}
		r := sn.Resource
		if len(sn.NATDangling) > 0 {
			out = append(out, unverifiable(r.URN,
				fmt.Sprintf("the 0.0.0.0/0 route of %s goes to NAT gateway %s, which is not in this stack", graph.Describe(r), sn.NATDangling[0]),
				"whether its egress stays in its availability zone", recAZ))
		}
		if len(sn.NATs) == 0 {
			if sn.EgressWhy != "" && sn.Public == graph.No {
				out = append(out, unverifiable(r.URN, sn.EgressWhy, "which NAT gateway the subnet's egress uses", recAZ))
			}
			continue
		}
		for _, n := range sn.NATs {
			info, ok := nats[n]
			if !ok {
				continue // a private NAT gateway
			}
			if info.az != "" {
				used[info.az] = true
				usedSecret = usedSecret || info.secret
			} else {
				usedUnknown = firstNonEmpty(usedUnknown, info.why)
			}
			switch {
			case sn.AZ == "" || info.az == "":
				out = append(out, unverifiable(r.URN, firstNonEmpty(sn.AZWhy, info.why),
					"whether the subnet's NAT gateway is in the subnet's availability zone", recAZ))
			case sn.AZ != info.az:
				subnetAZ, natAZ := sn.AZ, info.az
				if sn.AZSecret || info.secret {
					subnetAZ, natAZ = graph.ShownSecret, graph.ShownSecret
				}
				out = append(out, finding(r, "availabilityZone", graph.Prop(r, "availabilityZone").Show(),
					fmt.Sprintf("the subnet's 0.0.0.0/0 route (%s) goes to NAT gateway %s in %s, so losing %s cuts the egress of %s",
						firstTable(sn.RouteTables), graph.Describe(n), natAZ, natAZ, subnetAZ),
					fmt.Sprintf("give %s its own NAT gateway (in its public subnet) and route the subnet's 0.0.0.0/0 to it", subnetAZ),
					recAZ))
			}
		}
	}
	if len(used) > 0 && len(used) < minZones {
		if usedUnknown != "" {
			out = append(out, unverifiable("", usedUnknown, "how many availability zones the NAT gateways span", recAZ))
		} else {
			out = append(out, stackFinding(
				fmt.Sprintf("the NAT gateways private subnets use span %s (%s), fewer than the %d required",
					plural(len(used), "availability zone"), graph.Zones{Names: sortedKeys(used), Secret: usedSecret}, minZones),
				fmt.Sprintf("run a NAT gateway in the public subnet of each of at least %d availability zones", minZones), recAZ))
		}
	}
	return out
}

// firstTable names the first route table of a subnet for a message.
func firstTable(names []string) string {
	if len(names) == 0 {
		return "its route table"
	}
	return names[0]
}
