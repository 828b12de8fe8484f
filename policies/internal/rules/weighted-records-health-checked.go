package rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// WeightedRecordsHealthChecked is the name of the policy that every Route 53 record with a routing policy
// has a set identifier and a health check.
const WeightedRecordsHealthChecked = "ha-weighted-records-health-checked"

var recWeightedRecords = recRegional + ` ("we use Route 53 weighted routing to distribute customer traffic between ` +
	`the two regions"; "we associate the weighted DNS records with the inverted health checks"; "The failing health ` +
	`check stops Route 53 from forwarding requests to its associated regional ALB")`

func weightedRecordsHealthChecked() policy.Policy {
	return policy.Policy{
		Name: WeightedRecordsHealthChecked,
		Description: "Every Route 53 record (aws:route53/record) that uses a routing policy (weightedRoutingPolicies, " +
			"latencyRoutingPolicies, failoverRoutingPolicies, geolocationRoutingPolicies, geoproximityRoutingPolicy, " +
			"cidrRoutingPolicy or multivalueAnswerRoutingPolicy) has a setIdentifier and a healthCheckId, so that Route 53 " +
			"stops answering with a region that failed or was drained. A healthCheckId that resolves to a resource of the " +
			"stack (by ID, or through property dependencies during a preview) must name an aws:route53/healthCheck; one " +
			"that names nothing in the stack is taken as an external health check.",
		Recommendation: recWeightedRecords,
		DefaultLevel:   policy.Mandatory,
		CheckStack:     checkWeightedRecordsHealthChecked,
	}
}

// routingPolicies are the record properties that make a record one of a set answered by a routing
// policy; kind is how messages name such a record.
var routingPolicies = []struct {
	prop, kind string
	flag       bool // a boolean rather than a list or an object
}{
	{"weightedRoutingPolicies", "weighted", false},
	{"latencyRoutingPolicies", "latency", false},
	{"failoverRoutingPolicies", "failover", false},
	{"geolocationRoutingPolicies", "geolocation", false},
	{"geoproximityRoutingPolicy", "geoproximity", false},
	{"cidrRoutingPolicy", "CIDR", false},
	{"multivalueAnswerRoutingPolicy", "multivalue answer", true},
}

// routingPolicy tells whether a record uses a routing policy: Yes with its kind, Maybe with what is
// unknown, or No.
func routingPolicy(r *policy.Resource) (graph.Tri, string) {
	var unknown string
	for _, p := range routingPolicies {
		f := graph.Prop(r, p.prop)
		switch {
		case !f.Present:
			continue
		case f.Unknown():
			unknown = firstNonEmpty(unknown, unknownReason(r, p.prop))
		case p.flag:
			if b, ok := f.Bool(); ok && b {
				return graph.Yes, p.kind
			}
		case f.Value.IsArray():
			if len(f.Items()) > 0 {
				return graph.Yes, p.kind
			}
		case f.Value.IsObject():
			return graph.Yes, p.kind
		}
	}
	if unknown != "" {
		return graph.Maybe, unknown
	}
	return graph.No, ""
}

// emptyString reports whether a field is missing, null or a known empty string.
func emptyString(f graph.Field) bool {
	if !f.Present {
		return true
	}
	s, ok := f.Str()
	return ok && strings.TrimSpace(s) == ""
}

func checkWeightedRecordsHealthChecked(_ context.Context, s *policy.Stack, _ policy.Args) []policy.Violation {
	g := graph.Of(s)
	h := healthChecksOf(s, defaultDrainPrefix)
	rec := recWeightedRecords
	var out []policy.Violation
	for _, r := range g.OfType(graph.TypeRoute53Record) {
		uses, detail := routingPolicy(r)
		if uses == graph.No {
			continue
		}
		setID, hcID := graph.Prop(r, "setIdentifier"), graph.Prop(r, "healthCheckId")
		if uses == graph.Maybe {
			if emptyString(setID) || emptyString(hcID) {
				out = append(out, unverifiable(r.URN, detail, "whether the record uses a routing policy and so needs a setIdentifier and a healthCheckId", rec))
			}
			continue
		}
		what := fmt.Sprintf("the %s %s record for %s", detail, recordType(r), show(r, "name"))
		if emptyString(setID) {
			out = append(out, finding(r, "setIdentifier", setID.Show(),
				what+" has no set identifier, so Route 53 cannot tell the regions' records of the name apart",
				"set setIdentifier to the region the record sends traffic to (for example \"us-west-2\"), unique per name and type",
				rec))
		}
		if emptyString(hcID) {
			out = append(out, finding(r, "healthCheckId", hcID.Show(),
				what+" has no health check, so Route 53 keeps answering with it when its region fails or is drained",
				"set healthCheckId to the region's health check: a CALCULATED check that combines the HTTPS check through the "+
					"region's load balancer with the inverted check of the region's drain object",
				rec))
			continue
		}
		refs := h.resolve(r, "healthCheckId")
		switch {
		case len(refs.Resources) > 0:
			continue
		case refs.Unknown:
			out = append(out, unverifiable(r.URN, unknownReason(r, "healthCheckId"), "whether the record's health check exists", rec))
			continue
		}
		// A known ID that names no health check of the stack: fine if it names nothing here (an external
		// health check), wrong if it names another kind of resource.
		for _, id := range refs.Dangling {
			others := g.Lookup(id)
			if len(others) == 0 {
				continue
			}
			out = append(out, finding(r, "healthCheckId", hcID.Show(),
				fmt.Sprintf("%s names %s, which is not a Route 53 health check", what, describeAll(others)),
				"set healthCheckId to the id of the region's aws:route53/healthCheck", rec))
			break
		}
	}
	return out
}

// recordType returns a record's type (A, AAAA, CNAME...) for messages, or "DNS" when it cannot be shown.
func recordType(r *policy.Resource) string {
	f := graph.Prop(r, "type")
	if t, ok := f.Str(); ok && !f.Secret && t != "" && len(t) <= 8 {
		return strings.ToUpper(t)
	}
	return "DNS"
}
