package rules

import (
	"context"
	"fmt"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// EssCapacityPerAZ is the name of the policy that the ess pool keeps instances in every AZ it spans.
const EssCapacityPerAZ = "ha-ess-capacity-per-az"

func essCapacityPerAZ() policy.Policy {
	return policy.Policy{
		Name: EssCapacityPerAZ,
		Description: "Each ess auto-scaling group (tag pool=ess) keeps at least minimumPerZone instances in every AZ its " +
			"subnets span (minSize >= zones x minimumPerZone), so losing a zone leaves the others serving while the " +
			"group replaces capacity; and, when it serves target groups, it uses the load balancer's health checks " +
			"(healthCheckType \"ELB\") so that instances whose services fail are replaced.",
		Recommendation: recAZ + "; " + recPools + "; " + recAsurionAZ + ` ("microservices ran ... across 3 Availability Zones")`,
		DefaultLevel:   policy.Advisory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"minimumPerZone": intProp(1, 1, "The fewest ess instances each availability zone keeps."),
		}},
		CheckStack: checkEssCapacityPerAZ,
	}
}

func checkEssCapacityPerAZ(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	g := graph.Of(s)
	perZone := cfgInt(args, "minimumPerZone", 1)
	rec := recAZ + "; " + recPools
	// Groups attached to target groups through attachments.
	attached := map[*policy.Resource]bool{}
	for _, a := range g.OfType(graph.TypeAutoscalingAttachment, "aws:autoscaling/trafficSourceAttachment:TrafficSourceAttachment") {
		for _, r := range g.Resolve(a, "autoscalingGroupName", graph.TypeAutoscalingGroup).Resources {
			attached[r] = true
		}
	}
	var out []policy.Violation
	for _, r := range g.OfType(graph.TypeAutoscalingGroup) {
		if !hasPool(r, poolEss) {
			continue
		}
		subs, refs := g.SubnetsOf(r, "vpcZoneIdentifiers")
		z := graph.ZonesOf(subs)
		minSize := graph.Prop(r, "minSize")
		n, ok := minSize.Num()
		unknownZones := len(z.Unknown) + len(refs.Dangling)
		if refs.Unknown {
			unknownZones++
		}
		switch {
		case minSize.Unknown():
			out = append(out, unverifiable(r.URN, unknownReason(r, "minSize"), "whether the ess pool keeps instances in every zone", rec))
		case !ok:
		case int(n) < len(z.Names)*perZone:
			out = append(out, finding(r, "minSize", minSize.Show(),
				fmt.Sprintf("the ess group spans %s (%s) but keeps at least %s, fewer than %d per zone, so a zone can be left without ess capacity",
					plural(len(z.Names), "availability zone"), z, plural(int(n), "instance"), perZone),
				fmt.Sprintf("set minSize to at least %d", len(z.Names)*perZone), rec))
		case unknownZones > 0 && int(n) < (len(z.Names)+unknownZones)*perZone:
			out = append(out, unverifiable(r.URN, firstNonEmpty(refsReason(r, "vpcZoneIdentifiers", refs), first(z.Unknown)),
				"how many zones the ess group must keep instances in", rec))
		}
		tgs := graph.Prop(r, "targetGroupArns")
		serves := attached[r] || len(tgs.Items()) > 0 || tgs.Unknown()
		hc := graph.Prop(r, "healthCheckType")
		switch v, _ := hc.Str(); {
		case !serves:
		case hc.Unknown():
			out = append(out, unverifiable(r.URN, unknownReason(r, "healthCheckType"), "whether unhealthy ess instances are replaced", rec))
		case v != "ELB":
			out = append(out, finding(r, "healthCheckType", showOr(r, "healthCheckType", `null ("EC2")`),
				"the group replaces only instances whose EC2 status checks fail, not those the load balancer finds unhealthy",
				`set healthCheckType to "ELB" (with a healthCheckGracePeriod that covers container start-up)`, rec))
		}
	}
	return out
}

// hasPool reports whether an auto-scaling group's tags say it belongs to a pool.
func hasPool(r *policy.Resource, pool string) bool {
	for _, t := range graph.Prop(r, "tags").Items() {
		k, _ := t.Get("key").Str()
		v, _ := t.Get("value").Str()
		if k == poolTag && v == pool {
			return true
		}
	}
	return false
}
