package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// DNSAAAADualStack is the name of the policy that AAAA alias records point at targets with IPv6 addresses.
const DNSAAAADualStack = "ha-dns-aaaa-dual-stack"

// The IP address types of Elastic Load Balancing v2 load balancers that have IPv6 addresses; "ipv4", the
// default, has none
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-ip-address-type.html).
var dualStackLBTypes = map[string]bool{"dualstack": true, "dualstack-without-public-ipv4": true}

// A Global Accelerator's dnsName resolves to its IPv4 addresses only; a DUAL_STACK accelerator also has a
// dualStackDnsName that resolves to its IPv4 and IPv6 addresses
// (https://docs.aws.amazon.com/global-accelerator/latest/dg/dns-addressing-custom-domains.dns-addressing.html).
const acceleratorDualStack = "DUAL_STACK"

var recDNSAAAA = baseline + ", for the DNS names of " + recLB + ` ("The Load Balancers will each have public DNS addresses")`

func dnsAAAADualStack() policy.Policy {
	return policy.Policy{
		Name: DNSAAAADualStack,
		Description: "Every Route 53 AAAA alias record points at a target that has IPv6 addresses: an application or " +
			"network load balancer whose ipAddressType is dualstack (or dualstack-without-public-ipv4), the " +
			"dualStackDnsName of a DUAL_STACK Global Accelerator (its dnsName answers IPv4 only), or a CloudFront " +
			"distribution with isIpv6Enabled. An AAAA alias to an IPv4-only target answers AAAA queries with no " +
			"address. Alias targets are followed by DNS name in deployed state and through property dependencies " +
			"during a preview; targets outside the stack are not checked.",
		Recommendation: recDNSAAAA,
		DefaultLevel:   policy.Mandatory,
		CheckStack:     checkDNSAAAADualStack,
	}
}

// aliasTarget is a resource an alias record points at, and which of its DNS names the alias names ("" when
// the alias was followed through property dependencies because its name is unknown).
type aliasTarget struct {
	r   *policy.Resource
	via string
}

// aliasIndex maps the DNS names alias records point at to their resources.
type aliasIndex map[string]aliasTarget

// aliasTargetTypes are the resource types an AAAA alias can point at that this policy understands.
var aliasTargetTypes = []string{graph.TypeLoadBalancer, graph.TypeGlobalAccelerator, graph.TypeCloudfrontDistribution}

func newAliasIndex(g *graph.Graph) aliasIndex {
	ix := aliasIndex{}
	add := func(r *policy.Resource, keys ...string) {
		for _, k := range keys {
			if n, ok := graph.Prop(r, k).Str(); ok && n != "" {
				ix[normalizeName(n)] = aliasTarget{r: r, via: k}
			}
		}
	}
	for _, r := range g.OfType(graph.TypeLoadBalancer) {
		add(r, "dnsName")
	}
	for _, r := range g.OfType(graph.TypeGlobalAccelerator) {
		add(r, "dnsName", "dualStackDnsName")
	}
	for _, r := range g.OfType(graph.TypeCloudfrontDistribution) {
		add(r, "domainName")
	}
	return ix
}

// lookup finds the target a known alias name points at. Route 53 aliases to an ELB load balancer usually
// name it with the "dualstack." prefix.
func (ix aliasIndex) lookup(name string) (aliasTarget, bool) {
	n := normalizeName(name)
	if t, ok := ix[n]; ok {
		return t, true
	}
	if rest, ok := strings.CutPrefix(n, "dualstack."); ok {
		if t, ok := ix[rest]; ok && t.via == "dnsName" {
			return t, true
		}
	}
	return aliasTarget{}, false
}

func checkDNSAAAADualStack(_ context.Context, s *policy.Stack, _ policy.Args) []policy.Violation {
	g := graph.Of(s)
	ix := newAliasIndex(g)
	var out []policy.Violation
	for _, rec := range g.OfType(graph.TypeRoute53Record) {
		typ := graph.Prop(rec, "type")
		if t, ok := typ.Str(); (ok && !strings.EqualFold(t, "AAAA")) || !graph.Prop(rec, "aliases").Present {
			continue
		}
		targets, unknown := ix.targetsOf(g, rec)
		var found []policy.Violation
		if unknown {
			found = append(found, unverifiable(rec.URN, unknownReason(rec, "aliases"), "whether the AAAA record's alias target has IPv6 addresses", recDNSAAAA))
		}
		for _, t := range targets {
			found = append(found, aaaaTargetFindings(rec, t)...)
		}
		for _, v := range found {
			if typ.Unknown() && !v.CannotVerify {
				v = unverifiable(rec.URN, unknownReason(rec, "type"), "whether the record is an AAAA record, whose alias target "+
					"has no IPv6 address", recDNSAAAA)
			}
			out = append(out, v)
		}
	}
	return out
}

// targetsOf returns the targets of a record's aliases: by DNS name where the name is known and names a
// resource of the stack, else through the record's property dependencies on aliases (a preview, or a
// state whose target lacks its DNS name). unknown is true when an alias name is unknown and no dependency
// names a target. Known names of other stacks' targets are left out.
func (ix aliasIndex) targetsOf(g *graph.Graph, rec *policy.Resource) (targets []aliasTarget, unknown bool) {
	unknownNames, unmatched := 0, 0
	for _, leaf := range graph.Leaves(rec.Properties, "aliases.name") {
		switch {
		case !leaf.Known:
			unknownNames++
		case !leaf.Value.IsString():
		case hasTargetSuffix(leaf.Value.StringValue()):
			if t, ok := ix.lookup(leaf.Value.StringValue()); ok {
				targets = append(targets, t)
			} else {
				unmatched++
			}
		}
		// Other names (another record of the zone, an S3 website, an API) are not targets this policy knows.
	}
	if unknownNames == 0 && unmatched == 0 {
		return targets, false
	}
	deps := g.Dependencies(rec, "aliases", aliasTargetTypes...)
	for _, d := range deps {
		if !slices.ContainsFunc(targets, func(t aliasTarget) bool { return t.r == d }) {
			targets = append(targets, aliasTarget{r: d})
		}
	}
	return targets, unknownNames > 0 && len(deps) == 0
}

// hasTargetSuffix reports whether a DNS name is one of a load balancer, an accelerator or a CloudFront
// distribution.
func hasTargetSuffix(name string) bool {
	n := normalizeName(name)
	for _, suf := range lbTargetSuffixes {
		if strings.HasSuffix(n, suf) {
			return true
		}
	}
	return false
}

// aaaaTargetFindings checks that the target of an AAAA alias has IPv6 addresses.
func aaaaTargetFindings(rec *policy.Resource, t aliasTarget) []policy.Violation {
	name := show(rec, "name")
	who := graph.Describe(t.r)
	noAddress := fmt.Sprintf("so Route 53 answers AAAA queries for %s with no address and IPv6-only clients cannot reach the service", name)
	switch graph.Canonical(t.r.Type) {
	case graph.TypeLoadBalancer:
		f := graph.Prop(t.r, "ipAddressType")
		v, _ := f.Str()
		switch {
		case f.Unknown():
			return []policy.Violation{unverifiable(rec.URN, unknownReason(t.r, "ipAddressType"), "whether the AAAA record's load balancer has IPv6 addresses", recDNSAAAA)}
		case dualStackLBTypes[v]:
			return nil
		}
		shown := f.Show()
		if !f.Present {
			shown = `null (the default, "ipv4")`
		}
		return []policy.Violation{finding(rec, "aliases", show(rec, "aliases"),
			fmt.Sprintf("the AAAA record aliases the load balancer %s, whose ipAddressType = %s: it has no IPv6 addresses, %s", who, shown, noAddress),
			fmt.Sprintf(`set ipAddressType of %s to "dualstack" (its subnets need IPv6 CIDR blocks and IPv6 routes, its security groups `+
				`IPv6 rules), or remove the AAAA record`, who), recDNSAAAA)}
	case graph.TypeGlobalAccelerator:
		f := graph.Prop(t.r, "ipAddressType")
		v, _ := f.Str()
		switch {
		case f.Unknown():
			return []policy.Violation{unverifiable(rec.URN, unknownReason(t.r, "ipAddressType"), "whether the AAAA record's accelerator has IPv6 addresses", recDNSAAAA)}
		case t.via == "dualStackDnsName":
			return nil
		case !strings.EqualFold(v, acceleratorDualStack):
			shown := f.Show()
			if !f.Present {
				shown = `null (the default, "IPV4")`
			}
			return []policy.Violation{finding(rec, "aliases", show(rec, "aliases"),
				fmt.Sprintf("the AAAA record aliases the Global Accelerator %s, whose ipAddressType = %s: it has no IPv6 addresses, %s", who, shown, noAddress),
				fmt.Sprintf(`set ipAddressType of %s to "DUAL_STACK" and alias its dualStackDnsName, or remove the AAAA record`, who), recDNSAAAA)}
		case t.via == "dnsName":
			return []policy.Violation{finding(rec, "aliases", show(rec, "aliases"),
				fmt.Sprintf("the AAAA record aliases the dnsName of the dual-stack Global Accelerator %s, which resolves to its IPv4 addresses only, %s", who, noAddress),
				fmt.Sprintf("alias the dualStackDnsName of %s instead", who), recDNSAAAA)}
		}
		return []policy.Violation{unverifiable(rec.URN, unknownReason(rec, "aliases"),
			"whether the AAAA record aliases the dualStackDnsName of the accelerator "+who+" (its dnsName answers IPv4 only)", recDNSAAAA)}
	case graph.TypeCloudfrontDistribution:
		switch boolIs(t.r, "isIpv6Enabled", false) {
		case graph.Maybe:
			return []policy.Violation{unverifiable(rec.URN, unknownReason(t.r, "isIpv6Enabled"), "whether the AAAA record's distribution has IPv6 addresses", recDNSAAAA)}
		case graph.No:
			return []policy.Violation{finding(rec, "aliases", show(rec, "aliases"),
				fmt.Sprintf("the AAAA record aliases the CloudFront distribution %s, whose isIpv6Enabled = %s, %s", who, showOr(t.r, "isIpv6Enabled", "null (false)"), noAddress),
				fmt.Sprintf("set isIpv6Enabled of %s to true, or remove the AAAA record", who), recDNSAAAA)}
		}
	}
	return nil
}
