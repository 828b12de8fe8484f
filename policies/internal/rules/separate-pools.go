package rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// SeparatePools is the name of the policy that the ess and backend pools are separate auto-scaling groups.
const SeparatePools = "ha-separate-pools"

// The pool tag and its values.
const (
	poolTag     = "pool"
	poolEss     = "ess"
	poolBackend = "backend"
)

func separatePools() policy.Policy {
	return policy.Policy{
		Name: SeparatePools,
		Description: "The stack has separate ess and backend auto-scaling groups, told apart by the tag pool: at least one " +
			"of each, none untagged or with another value, none serving both; no launch template (or launch " +
			"configuration) shared between an ess and a backend group, whether a group names it in launchTemplate or in " +
			"mixedInstancesPolicy.launchTemplate (its launchTemplateSpecification or an override's); and only ess groups (or instances tagged " +
			"pool=ess) registered with the target groups of an internet-facing load balancer, whether through the " +
			"group's targetGroupArns, an aws:autoscaling/attachment, or an aws:lb/targetGroupAttachment.",
		Recommendation: recPools + ` ("two Auto-Scaling Groups (ASG) are used to provide separate pools of EC2 instances, ` +
			`one for the ess services and one for the backend services")`,
		DefaultLevel: policy.Mandatory,
		CheckStack:   checkSeparatePools,
	}
}

// poolsCheck holds what ha-separate-pools learns.
type poolsCheck struct {
	g    *graph.Graph
	pool map[*policy.Resource]string // "ess", "backend", or "" when unknown or invalid (already reported)
	out  []policy.Violation
}

func checkSeparatePools(_ context.Context, s *policy.Stack, _ policy.Args) []policy.Violation {
	c := &poolsCheck{g: graph.Of(s), pool: map[*policy.Resource]string{}}
	groups := c.g.OfType(graph.TypeAutoscalingGroup)
	seen := map[string]bool{}
	unknown := false
	for _, r := range groups {
		p, known := c.poolOf(r)
		c.pool[r] = p
		seen[p] = true
		unknown = unknown || !known
	}
	for _, want := range []string{poolEss, poolBackend} {
		if seen[want] || unknown {
			continue
		}
		c.out = append(c.out, stackFinding(
			fmt.Sprintf("no aws:autoscaling/group:Group is tagged %s=%s (%s in the stack)", poolTag, want, plural(len(groups), "auto-scaling group")),
			fmt.Sprintf("run the %s services in their own auto-scaling group, tagged %s=%s (propagateAtLaunch true)", want, poolTag, want),
			recPools))
	}
	c.launchTemplates(groups)
	c.publicTargets(groups)
	return c.out
}

// poolOf reads a group's pool tag and reports a missing, invalid or double one. It returns the pool
// ("" when none is valid) and whether the tag is known.
func (c *poolsCheck) poolOf(r *policy.Resource) (string, bool) {
	tags := graph.Prop(r, "tags")
	if tags.Unknown() {
		c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "tags"), "which pool the group belongs to", recPools))
		return "", false
	}
	var values []string
	secret := false
	for _, t := range tags.Items() {
		k := t.Get("key")
		if k.Unknown() {
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, k.Path), "which pool the group belongs to", recPools))
			return "", false
		}
		if key, _ := k.Str(); key != poolTag {
			continue
		}
		v := t.Get("value")
		if v.Unknown() {
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, v.Path), "which pool the group belongs to", recPools))
			return "", false
		}
		val, _ := v.Str()
		values = append(values, strings.TrimSpace(val))
		secret = secret || v.Secret
	}
	values = distinctStrings(values)
	shown := func() string { // for the messages only
		if secret {
			return graph.ShownSecret
		}
		return graph.List(quoteAll(values), ", ")
	}
	switch {
	case len(values) == 0:
		c.out = append(c.out, finding(r, "tags", tags.Show(),
			"the auto-scaling group has no pool tag, so it belongs to neither the ess nor the backend pool",
			fmt.Sprintf(`add the tag {key: %q, value: %q or %q, propagateAtLaunch: true}`, poolTag, poolEss, poolBackend), recPools))
		return "", true
	case len(values) > 1 || strings.ContainsAny(values[0], ",; ") || values[0] == "both":
		c.out = append(c.out, finding(r, "tags", tags.Show(),
			fmt.Sprintf("the auto-scaling group serves both pools (%s = %s), so backend workloads can starve the critical ess services", poolTag, shown()),
			"split it into an ess group and a backend group, each with its own launch template and a single pool tag", recPools))
		return "", true
	case values[0] != poolEss && values[0] != poolBackend:
		c.out = append(c.out, finding(r, "tags", tags.Show(),
			fmt.Sprintf("the pool tag is %s, neither %q nor %q", shown(), poolEss, poolBackend),
			fmt.Sprintf("tag the group %s=%s or %s=%s", poolTag, poolEss, poolTag, poolBackend), recPools))
		return "", true
	}
	return values[0], true
}

// launchTemplates reports launch templates shared between the pools, whichever form a group names them
// in (launchTemplate, or the launch template of a mixed instances policy and of its overrides, or a
// launch configuration).
func (c *poolsCheck) launchTemplates(groups []*policy.Resource) {
	users := map[*policy.Resource]map[string][]*policy.Resource{}
	var order []*policy.Resource
	for _, r := range groups {
		p := c.pool[r]
		if p == "" {
			continue
		}
		tpls := c.g.TemplatesOf(r)
		if tpls.UnknownProp != "" {
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, tpls.UnknownProp), "whether the group shares its launch template with the other pool", recPools))
		}
		for _, lt := range tpls.Resources {
			if users[lt] == nil {
				users[lt] = map[string][]*policy.Resource{}
				order = append(order, lt)
			}
			if !containsRes(users[lt][p], r) {
				users[lt][p] = append(users[lt][p], r)
			}
		}
	}
	for _, lt := range order {
		ess, backend := users[lt][poolEss], users[lt][poolBackend]
		if len(ess) == 0 || len(backend) == 0 {
			continue
		}
		c.out = append(c.out, finding(lt, "", "",
			fmt.Sprintf("the launch template is used by the ess group %s and the backend group %s, so the pools cannot be managed separately",
				describeAll(ess), describeAll(backend)),
			"give each pool its own launch template (its own user data, containers, security group and instance profile)", recPools))
	}
}

func containsRes(rs []*policy.Resource, r *policy.Resource) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// publicTargets reports groups other than ess registered with the target groups of an internet-facing
// load balancer.
func (c *poolsCheck) publicTargets(groups []*policy.Resource) {
	g := c.g
	// Internet-facing load balancers, and the reason when a listener's load balancer is unknown.
	public := map[*policy.Resource]bool{}
	for _, lb := range g.OfType(graph.TypeLoadBalancer, graph.TypeClassicLoadBalancer) {
		public[lb] = boolIs(lb, "internal", false) == graph.No
	}
	publicTG := map[*policy.Resource]*policy.Resource{} // target group -> its internet-facing load balancer
	listenerLB := map[*policy.Resource]*policy.Resource{}
	unknownLB := ""
	for _, l := range g.OfType(graph.TypeListener) {
		refs := g.Resolve(l, "loadBalancerArn", graph.TypeLoadBalancer)
		if refs.Unknown {
			unknownLB = firstNonEmpty(unknownLB, unknownReason(l, "loadBalancerArn"))
		}
		for _, lb := range refs.Resources {
			if public[lb] {
				listenerLB[l] = lb
				for _, p := range []string{"defaultActions.targetGroupArn", "defaultActions.forward.targetGroups.arn"} {
					for _, tg := range g.Resolve(l, p, graph.TypeTargetGroup).Resources {
						publicTG[tg] = lb
					}
				}
			}
		}
	}
	for _, rule := range g.OfType(graph.TypeListenerRule) {
		for _, l := range g.Resolve(rule, "listenerArn", graph.TypeListener).Resources {
			lb := listenerLB[l]
			if lb == nil {
				continue
			}
			for _, p := range []string{"actions.targetGroupArn", "actions.forward.targetGroups.arn"} {
				for _, tg := range g.Resolve(rule, p, graph.TypeTargetGroup).Resources {
					publicTG[tg] = lb
				}
			}
		}
	}
	report := func(r, via *policy.Resource, prop string, tg, lb *policy.Resource) {
		var who string
		switch {
		case g.Is(r, graph.TypeInstance):
			who = "the instance " + graph.Describe(r) + ", which is not tagged pool=ess,"
		case c.pool[r] == poolBackend:
			who = "the backend group " + graph.Describe(r)
		default:
			return // ess, or a group whose pool tag is missing or unknown (reported already)
		}
		c.out = append(c.out, finding(via, prop, show(via, strings.Split(prop, ".")[0]),
			fmt.Sprintf("%s is registered with target group %s of the internet-facing load balancer %s; only the ess pool serves public traffic",
				who, graph.Describe(tg), graph.Describe(lb)),
			"register only the ess group with the public load balancer's target groups; reach backend services privately", recPools))
	}
	for _, r := range groups {
		if c.pool[r] != poolBackend {
			continue
		}
		refs := g.Resolve(r, "targetGroupArns", graph.TypeTargetGroup)
		if refs.Unknown && len(publicTG) > 0 {
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "targetGroupArns"), "whether the backend group serves the public load balancer", recPools))
		}
		for _, tg := range refs.Resources {
			switch lb := publicTG[tg]; {
			case lb != nil:
				report(r, r, "targetGroupArns", tg, lb)
			case unknownLB != "":
				c.out = append(c.out, unverifiable(r.URN, unknownLB, "whether the backend group's target group "+graph.Describe(tg)+" belongs to the public load balancer", recPools))
			}
		}
		for _, lb := range g.Resolve(r, "loadBalancers", graph.TypeClassicLoadBalancer).Resources {
			if public[lb] {
				report(r, r, "loadBalancers", lb, lb)
			}
		}
	}
	for _, a := range g.OfType(graph.TypeAutoscalingAttachment, "aws:autoscaling/trafficSourceAttachment:TrafficSourceAttachment") {
		asgs := g.Resolve(a, "autoscalingGroupName", graph.TypeAutoscalingGroup)
		var tgs []*policy.Resource
		var tgProp string
		for _, p := range []string{"lbTargetGroupArn", "trafficSource.identifier"} {
			if graph.Prop(a, strings.Split(p, ".")[0]).Present {
				tgProp = p
				tgs = append(tgs, g.Resolve(a, p, graph.TypeTargetGroup).Resources...)
			}
		}
		for _, lb := range g.Resolve(a, "elb", graph.TypeClassicLoadBalancer).Resources {
			if public[lb] {
				for _, r := range asgs.Resources {
					report(r, a, "elb", lb, lb)
				}
			}
		}
		for _, tg := range tgs {
			lb := publicTG[tg]
			if lb == nil {
				continue
			}
			if asgs.Unknown && len(asgs.Resources) == 0 {
				c.out = append(c.out, unverifiable(a.URN, unknownReason(a, "autoscalingGroupName"), "which pool serves the public load balancer", recPools))
			}
			for _, r := range asgs.Resources {
				report(r, a, tgProp, tg, lb)
			}
		}
	}
	for _, a := range g.OfType(graph.TypeTargetGroupAttachment) {
		for _, tg := range g.Resolve(a, "targetGroupArn", graph.TypeTargetGroup).Resources {
			lb := publicTG[tg]
			if lb == nil {
				continue
			}
			targets := g.Resolve(a, "targetId", graph.TypeInstance)
			if targets.Unknown && len(targets.Resources) == 0 {
				c.out = append(c.out, unverifiable(a.URN, unknownReason(a, "targetId"), "whether the target belongs to the ess pool", recPools))
				continue
			}
			for _, inst := range targets.Resources {
				if instancePool(inst) != poolEss {
					report(inst, a, "targetId", tg, lb)
				}
			}
			if len(targets.Resources) == 0 {
				c.out = append(c.out, finding(a, "targetId", show(a, "targetId"),
					fmt.Sprintf("a target outside the ess pool is registered with target group %s of the internet-facing load balancer %s; only the ess pool serves public traffic",
						graph.Describe(tg), graph.Describe(lb)),
					"register only the ess auto-scaling group with the public load balancer's target groups", recPools))
			}
		}
	}
}

// instancePool returns the pool tag of an aws:ec2/instance (its tags map).
func instancePool(r *policy.Resource) string {
	v, _ := graph.Prop(r, "tags."+poolTag).Str()
	return v
}
