package rules

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// NoOpenIngress is the name of the policy that nothing but the load balancers' web ports is open to the
// internet.
const NoOpenIngress = "ha-no-open-ingress"

func noOpenIngress() policy.Policy {
	return policy.Policy{
		Name: NoOpenIngress,
		Description: "Ingress from 0.0.0.0/0 or ::/0 (security group inline ingress, aws:ec2/securityGroupRule, " +
			"aws:vpc/securityGroupIngressRule) is allowed only on allowedPorts (80 and 443, TCP) and only on a security " +
			"group of an internet-facing load balancer. Any other port open to the world, or the web ports open on " +
			"anything but the load balancer, is a violation.",
		Recommendation: recLB + ` ("Load Balancers are the only ESS component in the public subnets"); ` + recAZ,
		DefaultLevel:   policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"allowedPorts": {
				"type":        "array",
				"items":       map[string]any{"type": "integer", "minimum": 0, "maximum": 65535},
				"default":     []any{80, 443},
				"description": "TCP ports an internet-facing load balancer's security group may open to the world.",
			},
		}},
		CheckStack: checkNoOpenIngress,
	}
}

// worldCIDRs are the sources that mean the whole internet.
var worldCIDRs = []string{"0.0.0.0/0", "::/0"}

// ingressRule is one ingress rule, wherever it is written.
type ingressRule struct {
	owner   *policy.Resource // the resource that holds the rule
	path    string           // where, for messages
	sgs     []*policy.Resource
	sgWhy   string // why the rule's security group is unknown
	proto   graph.Field
	from    graph.Field
	to      graph.Field
	sources []graph.Field
}

func checkNoOpenIngress(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	g := graph.Of(s)
	allowed := allowedPorts(args)
	// Security groups of internet-facing load balancers.
	lbSGs := map[*policy.Resource]*policy.Resource{}
	lbUnknown := ""
	for _, lb := range g.OfType(graph.TypeLoadBalancer, graph.TypeClassicLoadBalancer) {
		scheme := boolIs(lb, "internal", false)
		refs := g.Resolve(lb, "securityGroups", graph.TypeSecurityGroup, graph.TypeDefaultSecurityGroup)
		if scheme == graph.Maybe {
			lbUnknown = firstNonEmpty(lbUnknown, unknownReason(lb, "internal"))
			continue
		}
		if scheme == graph.Yes {
			continue
		}
		if refs.Unknown {
			lbUnknown = firstNonEmpty(lbUnknown, unknownReason(lb, "securityGroups"))
		}
		for _, sg := range refs.Resources {
			lbSGs[sg] = lb
		}
	}
	// Each rule is checked as soon as it is read, in the order of the resources.
	var out []policy.Violation
	check := func(ir *ingressRule) { out = append(out, ir.check(allowed, lbSGs, lbUnknown)...) }
	for _, sg := range g.OfType(graph.TypeSecurityGroup, graph.TypeDefaultSecurityGroup) {
		f := graph.Prop(sg, "ingress")
		if f.Unknown() {
			check(&ingressRule{owner: sg, path: "ingress", sgs: []*policy.Resource{sg}, sources: []graph.Field{f}})
			continue
		}
		for _, it := range f.Items() {
			ir := ingressRule{
				owner: sg, path: it.Path, sgs: []*policy.Resource{sg},
				proto: it.Get("protocol"), from: it.Get("fromPort"), to: it.Get("toPort"),
				sources: append(it.Get("cidrBlocks").Items(), it.Get("ipv6CidrBlocks").Items()...),
			}
			if c := it.Get("cidrBlocks"); c.Unknown() {
				ir.sources = append(ir.sources, c)
			}
			if c := it.Get("ipv6CidrBlocks"); c.Unknown() {
				ir.sources = append(ir.sources, c)
			}
			check(&ir)
		}
	}
	sgOf := func(r *policy.Resource) ([]*policy.Resource, string) {
		refs := g.Resolve(r, "securityGroupId", graph.TypeSecurityGroup, graph.TypeDefaultSecurityGroup)
		return refs.Resources, refsReason(r, "securityGroupId", refs)
	}
	for _, r := range g.OfType(graph.TypeSecurityGroupRule) {
		if t, _ := graph.Prop(r, "type").Str(); t != "ingress" {
			continue
		}
		sgs, why := sgOf(r)
		ir := ingressRule{owner: r, sgs: sgs, sgWhy: why, proto: graph.Prop(r, "protocol"),
			from: graph.Prop(r, "fromPort"), to: graph.Prop(r, "toPort")}
		for _, p := range []string{"cidrBlocks", "ipv6CidrBlocks"} {
			f := graph.Prop(r, p)
			if f.Unknown() {
				ir.sources = append(ir.sources, f)
			}
			ir.sources = append(ir.sources, f.Items()...)
		}
		check(&ir)
	}
	for _, r := range g.OfType(graph.TypeSecurityGroupIngressRule) {
		sgs, why := sgOf(r)
		check(&ingressRule{owner: r, sgs: sgs, sgWhy: why, proto: graph.Prop(r, "ipProtocol"),
			from: graph.Prop(r, "fromPort"), to: graph.Prop(r, "toPort"),
			sources: []graph.Field{graph.Prop(r, "cidrIpv4"), graph.Prop(r, "cidrIpv6")}})
	}
	return out
}

// allowedPorts reads the allowedPorts config.
func allowedPorts(args policy.Args) []int {
	v, ok := args.Config["allowedPorts"].([]any)
	if !ok {
		return []int{80, 443}
	}
	var out []int
	for _, e := range v {
		switch n := e.(type) {
		case float64:
			out = append(out, int(n))
		case int:
			out = append(out, n)
		}
	}
	return out
}

// check decides one rule.
func (ir *ingressRule) check(allowed []int, lbSGs map[*policy.Resource]*policy.Resource, lbUnknown string) []policy.Violation {
	r := ir.owner
	rec := recLB + "; " + recAZ
	var world []string
	prop := ir.path
	secret := ir.proto.Secret || ir.from.Secret || ir.to.Secret
	for _, src := range ir.sources {
		if src.Unknown() {
			return []policy.Violation{unverifiable(r.URN, unknownReason(r, src.Path), "whether the rule opens ingress to the internet", rec)}
		}
		if v, ok := src.Str(); ok && slices.Contains(worldCIDRs, strings.TrimSpace(v)) {
			world = append(world, v)
			prop = firstNonEmpty(prop, src.Path)
			secret = secret || src.Secret
		}
	}
	if len(world) == 0 {
		return nil
	}
	ports, desc, unknown := portRange(ir.proto, ir.from, ir.to)
	if unknown != "" {
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, unknown), "which ports the rule opens to the internet", rec)}
	}
	var disallowed bool
	if ports == nil {
		disallowed = true
	} else {
		for _, p := range ports {
			if !slices.Contains(allowed, p) {
				disallowed = true
				break
			}
		}
	}
	if secret {
		desc, world = "ports ("+graph.ShownSecret+")", []string{graph.ShownSecret}
	}
	what := fmt.Sprintf("%s from %s", desc, graph.List(world, " and "))
	allowedDesc := joinInts(allowed)
	if disallowed {
		return []policy.Violation{finding(r, prop, what,
			fmt.Sprintf("the rule opens %s to the internet; only TCP %s on an internet-facing load balancer may be", desc, allowedDesc),
			"restrict the source to the load balancers' security group or the VPC's CIDR, or close the port", rec)}
	}
	if len(ir.sgs) == 0 {
		if ir.sgWhy != "" {
			return []policy.Violation{unverifiable(r.URN, ir.sgWhy, "whether the group open to the internet belongs to a load balancer", rec)}
		}
		return nil
	}
	for _, sg := range ir.sgs {
		if lbSGs[sg] != nil {
			continue
		}
		if lbUnknown != "" {
			return []policy.Violation{unverifiable(r.URN, lbUnknown, "whether the group open to the internet belongs to a load balancer", rec)}
		}
		return []policy.Violation{finding(r, prop, what,
			fmt.Sprintf("%s opens %s to the internet but is not a security group of an internet-facing load balancer, so it exposes something other than the load balancer",
				graph.Describe(sg), desc),
			"admit the web ports only on the load balancers' security group, and admit traffic to the instances only from that group", rec)}
	}
	return nil
}

// portRange returns the TCP ports a rule opens (nil for all ports or a non-TCP protocol), a description,
// and the name of an unknown property it needs.
func portRange(proto, from, to graph.Field) (ports []int, desc, unknown string) {
	for _, f := range []graph.Field{proto, from, to} {
		if f.Unknown() {
			return nil, "", f.Path
		}
	}
	p := strings.ToLower(strings.TrimSpace(fieldString(proto)))
	switch p {
	case "-1", "all", "":
		return nil, "all ports and protocols", ""
	case "tcp", "6":
	default:
		return nil, "protocol " + p, ""
	}
	lo, ok1 := from.Num()
	hi, ok2 := to.Num()
	if !ok1 || !ok2 {
		return nil, "all TCP ports", ""
	}
	if lo == 0 && hi == 65535 || lo < 0 {
		return nil, "all TCP ports", ""
	}
	if hi-lo > 1024 {
		return nil, fmt.Sprintf("TCP ports %d-%d", int(lo), int(hi)), ""
	}
	for x := int(lo); x <= int(hi); x++ {
		ports = append(ports, x)
	}
	if lo == hi {
		return ports, fmt.Sprintf("TCP port %d", int(lo)), ""
	}
	return ports, fmt.Sprintf("TCP ports %d-%d", int(lo), int(hi)), ""
}

// fieldString prints a string or number field.
func fieldString(f graph.Field) string {
	if s, ok := f.Str(); ok {
		return s
	}
	if n, ok := f.Num(); ok {
		return strconv.Itoa(int(n))
	}
	return ""
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return graph.List(parts, " and ")
}
