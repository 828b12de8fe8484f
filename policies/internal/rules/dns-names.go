package rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// DNSNames is the name of the policy that the three ESS DNS names exist and point at the load balancers.
const DNSNames = "ha-dns-names"

// essHosts are the names the ESS document requires, relative to the domain ("" is the domain itself).
var essHosts = []string{"", "identity", "oidc"}

func dnsNames() policy.Policy {
	return policy.Policy{
		Name: DNSNames,
		Description: "The stack has Route 53 records (A/AAAA aliases or CNAMEs) for <domain>, identity.<domain> and " +
			"oidc.<domain>, each pointing at a load balancer (or a Global Accelerator or CloudFront in front of it). The " +
			"domain comes from config domain, else from the stack's ACM certificate, else from its hosted zone; when " +
			"none gives it, the policy reports that it cannot verify (advisory) instead of failing.",
		Recommendation: recLB + ` ("These should be added as CNAME entries to your DNS configuration: identity.<DOMAIN>, ` +
			`<DOMAIN>, oidc.<DOMAIN>")`,
		DefaultLevel: policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"domain": {
				"type":        "string",
				"default":     "",
				"description": "The deployment's domain; empty derives it from the stack's ACM certificate or hosted zone.",
			},
		}},
		CheckStack: checkDNSNames,
	}
}

// lbTargetSuffixes are DNS names of the things a record may point at.
var lbTargetSuffixes = []string{".elb.amazonaws.com", ".awsglobalaccelerator.com", ".cloudfront.net", ".elb.amazonaws.com.cn"}

// normalizeName lower-cases a DNS name and drops its final dot.
func normalizeName(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

func checkDNSNames(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	g := graph.Of(s)
	rec := recLB
	domain, source, why, secret := dnsDomain(g, cfgString(args, "domain", ""))
	if domain == "" {
		if why == "" {
			why = "no domain is configured (config domain) and the stack has no ACM certificate or Route 53 hosted zone to derive it from"
		}
		return []policy.Violation{unverifiable("", why, "whether the records for <domain>, identity.<domain> and oidc.<domain> exist", rec)}
	}
	type found struct {
		r      *policy.Resource
		points bool
	}
	records := map[string][]found{}
	unknown := ""
	var out []policy.Violation
	for _, r := range g.OfType(graph.TypeRoute53Record) {
		t, _ := graph.Prop(r, "type").Str()
		if t != "A" && t != "AAAA" && t != "CNAME" {
			continue
		}
		name, reason := recordName(g, r)
		if name == "" {
			unknown = firstNonEmpty(unknown, reason)
			continue
		}
		points, pointWhy := pointsAtLB(g, r)
		if points == graph.Maybe {
			out = append(out, unverifiable(r.URN, pointWhy, "whether the record points at the load balancer", rec))
		}
		records[name] = append(records[name], found{r: r, points: points != graph.No})
	}
	for _, h := range essHosts {
		want := domain
		if h != "" {
			want = h + "." + domain
		}
		fs := records[want]
		shownWant, shownDomain := want, domain
		if secret {
			shownWant, shownDomain = graph.ShownSecret, graph.ShownSecret
		}
		if len(fs) == 0 {
			if unknown != "" {
				out = append(out, unverifiable("", unknown, "whether a record for "+shownWant+" exists", rec))
				continue
			}
			out = append(out, stackFinding(
				fmt.Sprintf("no aws:route53/record:Record (A/AAAA alias or CNAME) serves %s (domain %s, from %s)", shownWant, shownDomain, source),
				fmt.Sprintf("add a record for %s pointing at the load balancer (an alias A record at the apex, where a CNAME is not allowed)", shownWant), rec))
			continue
		}
		ok := false
		for _, f := range fs {
			ok = ok || f.points
		}
		if !ok {
			r := fs[0].r
			out = append(out, finding(r, "aliases", showRecordTarget(r),
				fmt.Sprintf("the record for %s does not point at a load balancer (or an accelerator or CloudFront in front of one)", shownWant),
				"point it at the load balancer's DNS name (alias, or CNAME off the apex)", rec))
		}
	}
	return out
}

// dnsDomain finds the deployment's domain and where it came from, or why it cannot be told.
func dnsDomain(g *graph.Graph, configured string) (domain, source, why string, secret bool) {
	if d := normalizeName(configured); d != "" {
		return d, "config domain", "", false
	}
	for _, c := range g.OfType(graph.TypeAcmCertificate) {
		f := graph.Prop(c, "domainName")
		if f.Unknown() {
			why = firstNonEmpty(why, unknownReason(c, "domainName"))
			continue
		}
		d, ok := f.Str()
		if !ok || d == "" {
			continue
		}
		best := normalizeName(strings.TrimPrefix(d, "*."))
		secret := f.Secret
		if sans, ok := graph.Prop(c, "subjectAlternativeNames").Texts(); ok {
			for _, san := range sans {
				n := normalizeName(strings.TrimPrefix(san.S, "*."))
				if len(n) < len(best) && strings.HasSuffix(best, "."+n) {
					best, secret = n, secret || san.Secret
				}
			}
		}
		return best, "the certificate " + graph.Describe(c), "", secret
	}
	for _, z := range g.OfType(graph.TypeRoute53Zone) {
		f := graph.Prop(z, "name")
		if f.Unknown() {
			why = firstNonEmpty(why, unknownReason(z, "name"))
			continue
		}
		if d, ok := f.Str(); ok && d != "" {
			return normalizeName(d), "the hosted zone " + graph.Describe(z), "", f.Secret
		}
	}
	return "", "", why, false
}

// recordName returns a record's fully qualified name, or why it is unknown.
func recordName(g *graph.Graph, r *policy.Resource) (string, string) {
	if fq, ok := graph.Prop(r, "fqdn").Str(); ok && fq != "" {
		return normalizeName(fq), ""
	}
	f := graph.Prop(r, "name")
	name, ok := f.Str()
	if !ok {
		return "", unknownReason(r, "name")
	}
	name = normalizeName(name)
	zones := g.Resolve(r, "zoneId", graph.TypeRoute53Zone)
	for _, z := range zones.Resources {
		zn, ok := graph.Prop(z, "name").Str()
		if !ok {
			continue
		}
		zn = normalizeName(zn)
		if name != zn && !strings.HasSuffix(name, "."+zn) {
			name += "." + zn
		}
	}
	return name, ""
}

// pointsAtLB decides whether a record targets a load balancer, an accelerator or a CloudFront distribution.
func pointsAtLB(g *graph.Graph, r *policy.Resource) (graph.Tri, string) {
	targets := []string{graph.TypeLoadBalancer, graph.TypeClassicLoadBalancer, graph.TypeGlobalAccelerator, graph.TypeCloudfrontDistribution}
	for _, path := range []string{"aliases.name", "records"} {
		top := strings.Split(path, ".")[0]
		if !graph.Prop(r, top).Present {
			continue
		}
		refs := g.Resolve(r, path, targets...)
		if len(refs.Resources) > 0 {
			return graph.Yes, ""
		}
		for _, d := range refs.Dangling {
			n := normalizeName(d)
			for _, suf := range lbTargetSuffixes {
				if strings.HasSuffix(n, suf) {
					return graph.Yes, ""
				}
			}
		}
		if refs.Unknown {
			return graph.Maybe, unknownReason(r, top)
		}
	}
	return graph.No, ""
}

// showRecordTarget prints what a record points at.
func showRecordTarget(r *policy.Resource) string {
	if graph.Prop(r, "aliases").Present {
		return show(r, "aliases")
	}
	return "null; records = " + show(r, "records")
}
