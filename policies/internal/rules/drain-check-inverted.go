package rules

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// DrainCheckInverted is the name of the policy that the STOP drain switch works: drain checks are
// inverted, and the health check of a weighted record fails when any of its parts fails, the drain check
// among them.
const DrainCheckInverted = "ha-drain-check-inverted"

var recDrain = recRegional + ` ("We leverage Route 53 inverted health checks, following the Secondary Takes Over ` +
	`Primary (STOP) pattern"; "we associate the weighted DNS records with the inverted health checks, and those ` +
	`health checks with S3 objects. We invoke health check failure for a particular DNS by uploading its associated object")`

func drainCheckInverted() policy.Policy {
	return policy.Policy{
		Name: DrainCheckInverted,
		Description: "The STOP drain switch works. A health check that probes a drain switch (an HTTP or HTTPS check " +
			"of an S3 endpoint, fqdn *.s3.*.amazonaws.com or *.s3.amazonaws.com, or of a resourcePath under " +
			"drainPathPrefix) has invertHealthcheck true and is not disabled, so that uploading the drain object fails " +
			"it. The health check of every weighted Route 53 record is a drain check itself or a CALCULATED check, " +
			"neither inverted nor disabled, that includes a drain check among its children (directly or nested) and " +
			"fails when any child fails: childHealthThreshold equals the number of childHealthchecks on the record's " +
			"check and on every nested CALCULATED check on the way to a drain check; otherwise draining cannot take the " +
			"region out of the weighted records. A nested CALCULATED check that leads to no drain check (say, \"the " +
			"cache is gone\" over one CLOUDWATCH_METRIC check per node, threshold 1) may use any threshold.",
		Recommendation: recDrain,
		DefaultLevel:   policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"drainPathPrefix": {
				"type":        "string",
				"minLength":   1,
				"default":     defaultDrainPrefix,
				"description": "The resource path under which drain objects live; an HTTP(S) health check of a path under it is a drain check.",
			},
		}},
		CheckStack: checkDrainCheckInverted,
	}
}

// drainCheck holds what ha-drain-check-inverted learns.
type drainCheck struct {
	g   *graph.Graph
	h   *healthChecks
	out []policy.Violation
}

func checkDrainCheckInverted(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	prefix := cfgString(args, "drainPathPrefix", defaultDrainPrefix)
	if prefix == "" {
		prefix = defaultDrainPrefix
	}
	c := &drainCheck{g: graph.Of(s), h: healthChecksOf(s, prefix)}
	for _, hc := range c.g.OfType(typeHealthCheck) {
		c.drainSwitch(hc)
	}
	// The health checks of the weighted records, each with the records that use it.
	var order []*policy.Resource
	users := map[*policy.Resource][]*policy.Resource{}
	for _, r := range c.g.OfType(graph.TypeRoute53Record) {
		if isWeighted(r) != graph.Yes || emptyString(graph.Prop(r, "healthCheckId")) {
			continue // ha-weighted-records-health-checked reports records without a health check
		}
		for _, hc := range c.h.resolve(r, "healthCheckId").Resources {
			if users[hc] == nil {
				order = append(order, hc)
			}
			users[hc] = append(users[hc], r)
		}
	}
	for _, hc := range order {
		c.regionCheck(hc, users[hc])
	}
	return c.out
}

// drainSwitch checks one health check that may probe a drain switch.
func (c *drainCheck) drainSwitch(hc *policy.Resource) {
	d := c.h.drain(hc)
	invert := boolIs(hc, "invertHealthcheck", false)
	switch d.is {
	case graph.Maybe:
		if invert != graph.Yes {
			c.out = append(c.out, unverifiable(hc.URN, d.why, "whether the health check probes a drain switch and so must be inverted", recDrain))
		}
		return
	case graph.No:
		return
	}
	switch invert {
	case graph.Maybe:
		c.out = append(c.out, unverifiable(hc.URN, unknownReason(hc, "invertHealthcheck"), "whether the drain check is inverted", recDrain))
	case graph.No:
		c.out = append(c.out, finding(hc, "invertHealthcheck", show(hc, "invertHealthcheck"),
			fmt.Sprintf("the health check probes a drain switch (%s) but is not inverted: it is unhealthy while the drain "+
				"object is absent, taking the region out of rotation in normal operation, and healthy when the object is "+
				"uploaded, so draining brings the region back instead of failing it over", d.shown),
			"set invertHealthcheck to true, so that the check fails exactly when the drain object exists", recDrain))
	}
	c.disabled(hc, "the drain check")
}

// disabled reports a health check that is disabled: Route 53 considers it healthy whatever it probes.
func (c *drainCheck) disabled(hc *policy.Resource, what string) {
	switch boolIs(hc, "disabled", false) {
	case graph.Maybe:
		c.out = append(c.out, unverifiable(hc.URN, unknownReason(hc, "disabled"), "whether "+what+" can fail", recDrain))
	case graph.Yes:
		c.out = append(c.out, finding(hc, "disabled", show(hc, "disabled"),
			what+" is disabled, and Route 53 considers a disabled health check healthy, so draining cannot fail the region over",
			"set disabled to false (or remove it)", recDrain))
	}
}

// regionCheck checks the health check of weighted records.
func (c *drainCheck) regionCheck(hc *policy.Resource, records []*policy.Resource) {
	who := "the health check of the weighted records " + describeFew(records)
	t, known := hcType(hc)
	switch {
	case !known:
		c.out = append(c.out, unverifiable(hc.URN, unknownReason(hc, "type"), "whether "+who+" can be drained", recDrain))
		return
	case t != "CALCULATED":
		switch d := c.h.drain(hc); d.is {
		case graph.Maybe:
			c.out = append(c.out, unverifiable(hc.URN, d.why, "whether "+who+" probes a drain switch", recDrain))
		case graph.No:
			c.out = append(c.out, finding(hc, "type", show(hc, "type"),
				fmt.Sprintf("%s probes %s, which is not a drain switch, and is not a CALCULATED check that includes one, so the "+
					"region cannot be drained by a data-plane write", who, d.shown),
				"make the records' health check a CALCULATED check whose childHealthchecks are this check and an inverted check "+
					"of the region's drain object, with childHealthThreshold equal to their number", recDrain))
		}
		return
	}
	if boolIs(hc, "invertHealthcheck", false) == graph.Yes {
		c.out = append(c.out, finding(hc, "invertHealthcheck", show(hc, "invertHealthcheck"),
			who+" is an inverted CALCULATED check: it is healthy when its children fail, so a failed or drained region keeps its traffic",
			"set invertHealthcheck to false on the CALCULATED check (invert only the drain check among its children)", recDrain))
	}
	c.disabled(hc, who)
	c.thresholds(hc, who, "", map[*policy.Resource]bool{})
	switch has, why := c.includesDrain(hc, map[*policy.Resource]bool{}); has {
	case graph.Maybe:
		c.out = append(c.out, unverifiable(hc.URN, why, "whether "+who+" includes a drain check", recDrain))
	case graph.No:
		c.out = append(c.out, finding(hc, "childHealthchecks", show(hc, "childHealthchecks"),
			who+" includes no check of a drain switch among its children, so uploading a drain object cannot take the region out of the weighted records",
			"add the inverted HTTPS check of the region's drain object (kept in the peer region, resourcePath under the drain prefix) "+
				"to childHealthchecks and raise childHealthThreshold to the number of children", recDrain))
	}
}

// thresholds checks that a CALCULATED check fails when any child fails, and so does every nested
// CALCULATED check on the way from it to a drain check: otherwise an uploaded drain object, or a failed
// load balancer path, is outvoted by the healthy children. A nested CALCULATED check that leads to no
// drain check (an aggregate of CLOUDWATCH_METRIC checks, say) may use any threshold: it is one child, and
// the check above it still needs it healthy. unsure, when set, says which unknown value makes it uncertain
// that a nested check leads to a drain check: its mismatches are then reported as cannot-verify.
func (c *drainCheck) thresholds(hc *policy.Resource, who, unsure string, seen map[*policy.Resource]bool) {
	if seen[hc] {
		return
	}
	seen[hc] = true
	c.threshold(hc, who, unsure)
	for _, child := range c.h.resolve(hc, "childHealthchecks").Resources {
		if t, _ := hcType(child); t != "CALCULATED" {
			continue
		}
		leads, why := c.includesDrain(child, map[*policy.Resource]bool{})
		if leads == graph.No {
			continue // not on the way to a drain check: any threshold will do
		}
		c.thresholds(child, "the CALCULATED health check "+graph.Describe(child)+" nested in "+who, firstNonEmpty(unsure, why), seen)
	}
}

// threshold checks one CALCULATED check's childHealthThreshold against its number of children. When
// unsure is set a mismatch is reported as cannot-verify, for that reason.
func (c *drainCheck) threshold(hc *policy.Resource, who, unsure string) {
	children := graph.Prop(hc, "childHealthchecks")
	n, exact := len(children.Items()), true
	if children.Unknown() {
		n, exact = len(c.g.Dependencies(hc, "childHealthchecks", typeHealthCheck)), false
	}
	if n == 0 {
		return
	}
	thr := graph.Prop(hc, "childHealthThreshold")
	v, ok := thr.Num()
	switch {
	case thr.Unknown():
		c.out = append(c.out, unverifiable(hc.URN, unknownReason(hc, "childHealthThreshold"), "whether "+who+" fails when any child fails", recDrain))
		return
	case thr.Present && !ok:
		return
	}
	got := int(v)
	var problem, fix string
	switch {
	case got == n:
		return
	case !exact:
		c.out = append(c.out, unverifiable(hc.URN, unknownReason(hc, "childHealthchecks"), "whether childHealthThreshold equals the number of children", recDrain))
		return
	case got < n:
		unset := ""
		if !thr.Present {
			unset = " (unset counts as 0)"
		}
		problem = fmt.Sprintf("%s has %s but needs only %d healthy%s, so it stays healthy while a child is "+
			"unhealthy: a failed load balancer path or a drained region keeps its traffic", who, plural(n, "child health check"), got, unset)
		fix = "set childHealthThreshold to " + strconv.Itoa(n) + ", the number of childHealthchecks, so that any unhealthy child fails the region"
	default:
		problem = fmt.Sprintf("%s needs %d healthy children but has %s, so Route 53 always considers it unhealthy and cannot tell a healthy region from a drained one",
			who, got, plural(n, "child health check"))
		fix = "set childHealthThreshold to " + strconv.Itoa(n) + ", the number of childHealthchecks"
	}
	if unsure != "" {
		c.out = append(c.out, unverifiable(hc.URN, unsure,
			fmt.Sprintf("whether %s leads to a drain check, and so whether its childHealthThreshold %s must equal its %s",
				graph.Describe(hc), thr.Show(), plural(n, "child health check")), recDrain))
		return
	}
	c.out = append(c.out, finding(hc, "childHealthThreshold", thr.Show(), problem, fix, recDrain))
}

// includesDrain tells whether a CALCULATED check has a drain check among its children, directly or
// through nested CALCULATED checks, and, for Maybe, what is unknown.
func (c *drainCheck) includesDrain(hc *policy.Resource, seen map[*policy.Resource]bool) (graph.Tri, string) {
	if seen[hc] {
		return graph.No, ""
	}
	seen[hc] = true
	refs := c.h.resolve(hc, "childHealthchecks")
	why := refsReason(hc, "childHealthchecks", refs)
	for _, child := range refs.Resources {
		switch d := c.h.drain(child); d.is {
		case graph.Yes:
			return graph.Yes, ""
		case graph.Maybe:
			why = firstNonEmpty(why, d.why)
		}
		if t, _ := hcType(child); t == "CALCULATED" {
			switch has, w := c.includesDrain(child, seen); has {
			case graph.Yes:
				return graph.Yes, ""
			case graph.Maybe:
				why = firstNonEmpty(why, w)
			}
		}
	}
	if why != "" {
		return graph.Maybe, why
	}
	return graph.No, ""
}

// describeFew names up to three resources for a message, and says how many more there are.
func describeFew(rs []*policy.Resource) string {
	if len(rs) <= 3 {
		return describeAll(rs)
	}
	return describeAll(rs[:3]) + fmt.Sprintf(" and %d more", len(rs)-3)
}
