package rules

// What the multi-region policies (ha-weighted-records-health-checked, ha-drain-check-inverted,
// ha-global-database-member, ha-registry-replicated) share: the Route 53 health checks and how records
// name them, the drain switch of the STOP pattern, whether a stack is one region of an active-active
// pair, and which region a stack is in.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Type tokens of the multi-region resources (the graph knows the others).
const (
	typeHealthCheck    = "aws:route53/healthCheck:HealthCheck"
	typeGlobalCluster  = "aws:rds/globalCluster:GlobalCluster"
	typeEcrReplication = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
	typeAwsProvider    = "pulumi:providers:aws"
)

// recRegional is the AsurionID section the multi-region policies enforce.
var recRegional = asurionSection("Designed for protection against regional service disruptions")

// defaultDrainPrefix is the resource path under which drain objects live.
const defaultDrainPrefix = "/drain/"

// multiRegionProp is the config property that says whether a stack is one region of an active-active
// pair: true, false, or "infer" (the default) to tell from its weighted records and drain checks.
const multiRegionProp = "multiRegion"

// multiRegionSchema is the schema fragment of multiRegionProp.
func multiRegionSchema() map[string]any {
	return map[string]any{
		"enum":    []any{"infer", true, false},
		"default": "infer",
		"description": `Whether the stack is one region of an active-active pair: true or false, or "infer" to ` +
			"tell from the stack (weighted Route 53 records with a setIdentifier, or a health check probing a drain switch).",
	}
}

// healthChecks indexes the stack's health checks by the ID at the end of their ARNs
// (arn:aws:route53:::healthcheck/<id>), which the graph does not, so that references by ID still resolve
// when the Analyzer protocol carries neither IDs nor an "id" output.
type healthChecks struct {
	g      *graph.Graph
	byARN  map[string]*policy.Resource
	prefix string
}

// healthChecksKey is the memo key of a stack's healthChecks (the prefix is part of the key).
type healthChecksKey struct{ prefix string }

// healthChecksOf returns the health-check index of a stack, shared by the policies of one analysis.
func healthChecksOf(s *policy.Stack, prefix string) *healthChecks {
	build := func() any {
		g := graph.Of(s)
		h := &healthChecks{g: g, byARN: map[string]*policy.Resource{}, prefix: prefix}
		for _, hc := range g.OfType(typeHealthCheck) {
			arn, _ := graph.Prop(hc, "arn").Str()
			if _, id, ok := strings.Cut(arn, ":healthcheck/"); ok && id != "" {
				h.byARN[id] = hc
			}
		}
		return h
	}
	if h, ok := s.Memo(healthChecksKey{prefix}, build).(*healthChecks); ok {
		return h
	}
	h, _ := build().(*healthChecks)
	return h
}

// resolve follows a property of r that names health checks by ID (healthCheckId, childHealthchecks).
func (h *healthChecks) resolve(r *policy.Resource, path string) graph.Refs {
	refs := h.g.Resolve(r, path, typeHealthCheck)
	if len(refs.Dangling) == 0 {
		return refs
	}
	var still []string
	for _, id := range refs.Dangling {
		if hc := h.byARN[id]; hc != nil {
			if !containsRes(refs.Resources, hc) {
				refs.Resources = append(refs.Resources, hc)
			}
			continue
		}
		still = append(still, id)
	}
	refs.Dangling = still
	return refs
}

// probeTypes are the health-check types that fetch a URL and so can probe a drain object.
var probeTypes = map[string]bool{"HTTP": true, "HTTPS": true, "HTTP_STR_MATCH": true, "HTTPS_STR_MATCH": true}

// isS3Host reports whether a host name is an S3 endpoint: <bucket>.s3.<region>.amazonaws.com,
// <bucket>.s3.amazonaws.com, the legacy <bucket>.s3-<region>.amazonaws.com and website endpoints, and the
// path-style s3.<region>.amazonaws.com.
func isS3Host(host string) bool {
	host = normalizeName(host)
	rest, ok := strings.CutSuffix(host, ".amazonaws.com")
	if !ok {
		rest, ok = strings.CutSuffix(host, ".amazonaws.com.cn")
	}
	if !ok {
		return false
	}
	for _, label := range strings.Split(rest, ".") {
		if label == "s3" || strings.HasPrefix(label, "s3-") {
			return true
		}
	}
	return false
}

// drainProbe is what a health check says about being a drain check.
type drainProbe struct {
	is graph.Tri
	// why says, for Maybe, what is unknown.
	why string
	// shown describes what the check probes, safely: its fqdn and resourcePath.
	shown string
}

// drain tells whether a health check probes a drain switch: an HTTP(S) check of an S3 endpoint, or of
// a resourcePath under the drain prefix. During a preview an unknown fqdn counts as an S3 endpoint when
// its property dependencies name an S3 bucket, and as another endpoint when they name only other
// resources (a load balancer).
func (h *healthChecks) drain(hc *policy.Resource) drainProbe {
	p := drainProbe{shown: probeTarget(hc)}
	typ := graph.Prop(hc, "type")
	if t, ok := typ.Str(); ok && !probeTypes[strings.ToUpper(t)] {
		return p // CALCULATED, TCP, CLOUDWATCH_METRIC, RECOVERY_CONTROL
	}
	var maybe []string
	if typ.Unknown() {
		maybe = append(maybe, unknownReason(hc, "type"))
	}
	path := graph.Prop(hc, "resourcePath")
	switch s, ok := path.Str(); {
	case ok && strings.HasPrefix(s, h.prefix):
		p.is = graph.Yes
		return p
	case path.Unknown():
		maybe = append(maybe, unknownReason(hc, "resourcePath"))
	}
	fqdn := graph.Prop(hc, "fqdn")
	switch s, ok := fqdn.Str(); {
	case ok && isS3Host(s):
		p.is = graph.Yes
		return p
	case fqdn.Unknown():
		deps := h.g.Dependencies(hc, "fqdn")
		switch {
		case len(h.g.Dependencies(hc, "fqdn", graph.TypeS3BucketV2, graph.TypeS3Bucket)) > 0:
			p.is = graph.Yes
			return p
		case len(deps) == 0:
			maybe = append(maybe, unknownReason(hc, "fqdn"))
		}
	}
	if len(maybe) > 0 {
		p.is, p.why = graph.Maybe, maybe[0]
	}
	return p
}

// probeTarget describes what a health check probes, for messages.
func probeTarget(hc *policy.Resource) string {
	var parts []string
	for _, k := range []string{"fqdn", "ipAddress", "resourcePath"} {
		if f := graph.Prop(hc, k); f.Present {
			parts = append(parts, k+" "+f.Show())
		}
	}
	if len(parts) == 0 {
		return "no endpoint"
	}
	return strings.Join(parts, ", ")
}

// hcType returns a health check's type in upper case, and whether it is known.
func hcType(hc *policy.Resource) (string, bool) {
	t, ok := graph.Prop(hc, "type").Str()
	return strings.ToUpper(t), ok
}

// isWeighted reports whether a record uses weighted routing (Maybe when weightedRoutingPolicies is
// unknown).
func isWeighted(r *policy.Resource) graph.Tri {
	f := graph.Prop(r, "weightedRoutingPolicies")
	switch {
	case f.Unknown():
		return graph.Maybe
	case len(f.Items()) > 0:
		return graph.Yes
	}
	return graph.No
}

// membership says whether a stack is one region of an active-active pair.
type membership struct {
	is graph.Tri
	// evidence says, for Yes, what makes it one.
	evidence string
	// why says, for Maybe, what is unknown.
	why string
}

// membershipKey is the memo key of a stack's inferred membership.
type membershipKey struct{}

// memberOf tells whether a stack is one region of an active-active pair, from config multiRegion, or
// else from its weighted records with a setIdentifier and its drain checks.
func memberOf(s *policy.Stack, args policy.Args) membership {
	if v, ok := args.Config[multiRegionProp].(bool); ok {
		if v {
			return membership{is: graph.Yes, evidence: "config " + multiRegionProp + " is true"}
		}
		return membership{is: graph.No}
	}
	build := func() any { return inferMembership(s) }
	if m, ok := s.Memo(membershipKey{}, build).(membership); ok {
		return m
	}
	m, _ := build().(membership)
	return m
}

func inferMembership(s *policy.Stack) membership {
	g := graph.Of(s)
	var m membership
	for _, r := range g.OfType(graph.TypeRoute53Record) {
		w := isWeighted(r)
		if w == graph.No {
			continue
		}
		id := graph.Prop(r, "setIdentifier")
		switch v, ok := id.Str(); {
		case ok && v != "" && w == graph.Yes:
			return membership{is: graph.Yes, evidence: fmt.Sprintf("its weighted record %s has setIdentifier %s", graph.Describe(r), id.Show())}
		case w == graph.Maybe:
			m.why = firstNonEmpty(m.why, unknownReason(r, "weightedRoutingPolicies"))
		case id.Unknown():
			m.why = firstNonEmpty(m.why, unknownReason(r, "setIdentifier"))
		}
	}
	h := healthChecksOf(s, defaultDrainPrefix)
	for _, hc := range g.OfType(typeHealthCheck) {
		switch d := h.drain(hc); d.is {
		case graph.Yes:
			return membership{is: graph.Yes, evidence: fmt.Sprintf("its health check %s probes a drain switch (%s)", graph.Describe(hc), d.shown)}
		case graph.Maybe:
			m.why = firstNonEmpty(m.why, d.why)
		}
	}
	if m.why != "" {
		m.is = graph.Maybe
	}
	return m
}

// regionOfARN returns the region field of an ARN, or "" (global services have none).
func regionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// providerOf returns the provider resource of r when the stack holds it. The state names a provider as
// "<urn>::<id>", the Analyzer protocol by its URN.
func providerOf(g *graph.Graph, r *policy.Resource) *policy.Resource {
	if r.Provider == "" {
		return nil
	}
	if p := g.ByURN(resource.URN(r.Provider)); p != nil {
		return p
	}
	if i := strings.LastIndex(r.Provider, "::"); i > 0 {
		return g.ByURN(resource.URN(r.Provider[:i]))
	}
	return nil
}

// regionOf returns the region a resource is in and how that is known: its provider's region when the
// stack holds the provider, else the region most ARNs of the stack name (the ECR repositories' first, as
// they are the registry), else the region of the stack's only AWS provider. It returns "" when none
// tells.
func regionOf(g *graph.Graph, r *policy.Resource) (region, source string) {
	if p := providerOf(g, r); p != nil {
		if v, ok := graph.Prop(p, "region").Str(); ok && v != "" {
			return v, "the region of its provider " + graph.Describe(p)
		}
	}
	if arn, ok := graph.Prop(r, "arn").Str(); ok {
		if v := regionOfARN(arn); v != "" {
			return v, "its ARN"
		}
	}
	for _, set := range [][]*policy.Resource{g.OfType(graph.TypeEcrRepository), g.Resources()} {
		count := map[string]int{}
		for _, x := range set {
			if arn, ok := graph.Prop(x, "arn").Str(); ok {
				if v := regionOfARN(arn); v != "" {
					count[v]++
				}
			}
		}
		if len(count) == 0 {
			continue
		}
		regions := make([]string, 0, len(count))
		for k := range count {
			regions = append(regions, k)
		}
		sort.Slice(regions, func(i, j int) bool {
			if count[regions[i]] != count[regions[j]] {
				return count[regions[i]] > count[regions[j]]
			}
			return regions[i] < regions[j]
		})
		return regions[0], "the ARNs of the stack's resources"
	}
	var found []string
	var from *policy.Resource
	for _, p := range g.OfType(typeAwsProvider) {
		if v, ok := graph.Prop(p, "region").Str(); ok && v != "" {
			found = append(found, v)
			from = p
		}
	}
	if found = distinctStrings(found); len(found) == 1 {
		return found[0], "the region of the provider " + graph.Describe(from)
	}
	return "", ""
}
