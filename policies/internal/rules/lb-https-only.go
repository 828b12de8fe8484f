package rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// LBHTTPSOnly is the name of the policy that load balancers serve HTTPS only, with a modern TLS policy.
const LBHTTPSOnly = "ha-lb-https-only"

// defaultSslPolicies are the TLS policies allowed by default: TLS 1.2 or later only. The TLS13-1-0 and
// TLS13-1-1 policies of the TLS13 family still accept TLS 1.0 and 1.1, so only TLS13-1-2 and TLS13-1-3 are
// in; the provider's default, ELBSecurityPolicy-2016-08, accepts TLS 1.0.
var defaultSslPolicies = []string{
	"ELBSecurityPolicy-TLS13-1-2-*", "ELBSecurityPolicy-TLS13-1-3-*",
	"ELBSecurityPolicy-TLS-1-2-*", "ELBSecurityPolicy-FS-1-2-*",
}

func lbHTTPSOnly() policy.Policy {
	def := make([]any, len(defaultSslPolicies))
	for i, p := range defaultSslPolicies {
		def[i] = p
	}
	return policy.Policy{
		Name: LBHTTPSOnly,
		Description: "Application load balancers serve HTTPS only: HTTPS (and TLS) listeners use an SSL policy in " +
			"allowedSslPolicies (by default TLS 1.2+ only; never the provider's default ELBSecurityPolicy-2016-08); " +
			"HTTP listeners only redirect to HTTPS (default actions and listener rules); and every application load " +
			"balancer drops invalid header fields.",
		Recommendation: baseline + ", for " + recLB,
		DefaultLevel:   policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"allowedSslPolicies": {
				"type":        "array",
				"items":       map[string]any{"type": "string"},
				"default":     def,
				"description": "The SSL policies HTTPS and TLS listeners may use; * matches any run of characters.",
			},
		}},
		CheckStack: checkLBHTTPSOnly,
	}
}

func checkLBHTTPSOnly(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	g := graph.Of(s)
	allowed := cfgStrings(args, "allowedSslPolicies", defaultSslPolicies)
	rec := baseline + ", for " + recLB
	var out []policy.Violation
	lbType := func(lb *policy.Resource) string {
		f := graph.Prop(lb, "loadBalancerType")
		if f.Unknown() {
			return ""
		}
		if v, ok := f.Str(); ok && v != "" {
			return v
		}
		return "application"
	}
	for _, lb := range g.OfType(graph.TypeLoadBalancer) {
		if lbType(lb) != "application" {
			continue
		}
		switch boolIs(lb, "dropInvalidHeaderFields", false) {
		case graph.Maybe:
			out = append(out, unverifiable(lb.URN, unknownReason(lb, "dropInvalidHeaderFields"), "whether invalid headers are dropped", rec))
		case graph.No:
			out = append(out, finding(lb, "dropInvalidHeaderFields", showOr(lb, "dropInvalidHeaderFields", "null (false)"),
				"the load balancer forwards header fields with invalid names, a request-smuggling vector to the ESS services",
				"set dropInvalidHeaderFields to true", rec))
		}
	}
	httpListeners := map[*policy.Resource]bool{}
	for _, l := range g.OfType(graph.TypeListener) {
		proto := graph.Prop(l, "protocol")
		p, _ := proto.Str()
		p = strings.ToUpper(p)
		switch {
		case proto.Unknown():
			out = append(out, unverifiable(l.URN, unknownReason(l, "protocol"), "whether the listener serves HTTPS", rec))
			continue
		case p == "":
			lbs := g.Resolve(l, "loadBalancerArn", graph.TypeLoadBalancer)
			if len(lbs.Resources) == 0 {
				if reason := refsReason(l, "loadBalancerArn", lbs); reason != "" {
					out = append(out, unverifiable(l.URN, reason, "the listener's protocol (it defaults by load balancer type)", rec))
				}
				continue
			}
			switch lbType(lbs.Resources[0]) {
			case "application":
				p = "HTTP"
			case "":
				out = append(out, unverifiable(l.URN, unknownReason(lbs.Resources[0], "loadBalancerType"), "the listener's protocol", rec))
				continue
			}
		}
		switch p {
		case "HTTPS", "TLS":
			f := graph.Prop(l, "sslPolicy")
			v, _ := f.Str()
			switch {
			case f.Unknown():
				out = append(out, unverifiable(l.URN, unknownReason(l, "sslPolicy"), "whether the listener's TLS policy is modern", rec))
			case !f.Present || v == "":
				out = append(out, finding(l, "sslPolicy", "null (the provider's default ELBSecurityPolicy-2016-08, which accepts TLS 1.0 and 1.1)",
					"the listener accepts obsolete TLS versions",
					"set sslPolicy to "+graph.List(allowed, " or "), rec))
			case !anyWildcard(allowed, v):
				out = append(out, finding(l, "sslPolicy", f.Show(),
					"the listener's TLS policy is not one of allowedSslPolicies",
					"set sslPolicy to "+graph.List(allowed, " or "), rec))
			}
		case "HTTP":
			httpListeners[l] = true
			out = append(out, httpActions(l, "defaultActions", rec)...)
		}
	}
	for _, rule := range g.OfType(graph.TypeListenerRule) {
		ls := g.Resolve(rule, "listenerArn", graph.TypeListener)
		for _, l := range ls.Resources {
			if httpListeners[l] {
				out = append(out, httpActions(rule, "actions", rec)...)
				break
			}
		}
	}
	return out
}

// httpActions checks that the actions of an HTTP listener or of a rule on one only redirect to HTTPS (or
// answer with a fixed response).
func httpActions(r *policy.Resource, prop, rec string) []policy.Violation {
	f := graph.Prop(r, prop)
	if f.Unknown() {
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, prop), "whether plain HTTP only redirects to HTTPS", rec)}
	}
	var out []policy.Violation
	for _, a := range f.Items() {
		t := a.Get("type")
		typ, _ := t.Str()
		switch {
		case t.Unknown():
			out = append(out, unverifiable(r.URN, unknownReason(r, t.Path), "whether plain HTTP only redirects to HTTPS", rec))
		case typ == "fixed-response":
		case typ == "redirect":
			p := a.Get("redirect").Get("protocol")
			if p.Unknown() {
				out = append(out, unverifiable(r.URN, unknownReason(r, p.Path), "whether the redirect goes to HTTPS", rec))
				continue
			}
			if v, _ := p.Str(); !strings.EqualFold(v, "HTTPS") {
				out = append(out, finding(r, p.Path, p.Show(),
					"the HTTP listener redirects to plain HTTP",
					`set the redirect's protocol to "HTTPS" (port "443", statusCode "HTTP_301")`, rec))
			}
		default:
			out = append(out, finding(r, a.Path, a.Show(),
				fmt.Sprintf("plain HTTP is served (%q action), so requests and session cookies travel unencrypted", typ),
				`make the HTTP listener's only action a redirect to HTTPS: {type: "redirect", redirect: {protocol: "HTTPS", port: "443", statusCode: "HTTP_301"}}`, rec))
		}
	}
	return out
}

// anyWildcard reports whether s matches any of the patterns.
func anyWildcard(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}
