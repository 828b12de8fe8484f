package rules

import (
	"context"
	"fmt"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// EssLaunchBeforeTerminate is the name of the policy that the ess pool replaces its instances
// launch-before-terminate.
const EssLaunchBeforeTerminate = "ha-ess-launch-before-terminate"

// The healthy percentages Amazon EC2 Auto Scaling accepts, and what launch-before-terminate needs.
//
// The API takes MinHealthyPercentage 0 to 100 and MaxHealthyPercentage 100 to 200, -1 clearing a
// value, and refuses a pair more than 100 apart
// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html). With
// the minimum at 100 percent a replacement is launched, and must be healthy, before the instance it
// replaces is terminated, which needs room above the desired capacity: a maximum above 100
// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html,
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-maintenance-policy-overview-and-considerations.html).
const (
	healthyMinRequired = 100
	healthyMaxCeiling  = 200
	healthyMaxSpread   = 100
)

// Defaults of pulumi-aws (the Terraform provider's schema) for the preferences of an instance refresh: a
// preferences block that leaves a percentage out sends these.
const (
	refreshMinDefault = 90
	refreshMaxDefault = 100
)

var recLaunchBeforeTerminate = recAZ + "; " + recPools + "; " + recAsurionAZ +
	` ("microservices ran ... across 3 Availability Zones")`

func essLaunchBeforeTerminate() policy.Policy {
	return policy.Policy{
		Name: EssLaunchBeforeTerminate,
		Description: "Each ess auto-scaling group (tag pool=ess) replaces instances launch-before-terminate, so that a " +
			"zone whose only ess instance is being replaced keeps serving: its instanceMaintenancePolicy (which governs " +
			"health-check replacements, rebalancing and refreshes started without preferences) has minHealthyPercentage " +
			"100 and maxHealthyPercentage above 100 (at most 200), and the preferences of its instanceRefresh, when given, " +
			"do too (pulumi-aws sends minHealthyPercentage 90 and maxHealthyPercentage 100 for percentages a preferences " +
			"block leaves out).",
		Recommendation: recLaunchBeforeTerminate,
		DefaultLevel:   policy.Mandatory,
		CheckResource:  checkEssLaunchBeforeTerminate,
	}
}

func checkEssLaunchBeforeTerminate(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
	if graph.Canonical(r.Type) != graph.TypeAutoscalingGroup {
		return nil
	}
	ess, why := inPool(r, poolEss)
	if ess == graph.No {
		return nil
	}
	var out []policy.Violation
	for _, v := range append(maintenancePolicyFindings(r), refreshFindings(r)...) {
		if ess == graph.Maybe {
			if !v.CannotVerify {
				v = unverifiable(r.URN, why, "whether the group is in the ess pool and so must replace instances launch-before-terminate", recLaunchBeforeTerminate)
			}
		}
		out = append(out, v)
	}
	return out
}

// inPool tells whether an auto-scaling group's pool tag names a pool, and, for Maybe, what is unknown.
func inPool(r *policy.Resource, pool string) (graph.Tri, string) {
	tags := graph.Prop(r, "tags")
	if tags.Unknown() {
		return graph.Maybe, unknownReason(r, "tags")
	}
	for _, t := range tags.Items() {
		k, v := t.Get("key"), t.Get("value")
		key, _ := k.Str()
		switch {
		case k.Unknown():
			return graph.Maybe, unknownReason(r, k.Path)
		case key != poolTag:
		case v.Unknown():
			return graph.Maybe, unknownReason(r, v.Path)
		default:
			if val, _ := v.Str(); val == pool {
				return graph.Yes, ""
			}
		}
	}
	return graph.No, ""
}

// maintenancePolicyFindings checks a group's instanceMaintenancePolicy.
func maintenancePolicyFindings(r *policy.Resource) []policy.Violation {
	const fix = "set instanceMaintenancePolicy to {minHealthyPercentage: 100, maxHealthyPercentage: 200} (any maximum above 100 " +
		"and at most 200 will do), so that Auto Scaling launches each replacement and waits for it to be healthy before it " +
		"terminates the instance it replaces"
	imp := graph.Prop(r, "instanceMaintenancePolicy")
	switch {
	case imp.Unknown():
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, imp.Path), "whether the ess group replaces instances launch-before-terminate", recLaunchBeforeTerminate)}
	case !imp.Present:
		return []policy.Violation{finding(r, imp.Path, "null",
			"without an instance maintenance policy Auto Scaling replaces an unhealthy ess instance by terminating it first, so "+
				"a zone whose only ess instance fails its health check is left without ess capacity until the replacement is in service",
			fix, recLaunchBeforeTerminate)}
	}
	return percentFindings(r, imp, -1, -1, "the instance maintenance policy",
		"health-check replacements, zone rebalancing and instance refreshes started without preferences", fix)
}

// refreshFindings checks the preferences of a group's instanceRefresh. A group without instanceRefresh
// is not refreshed by the provider; a refresh without preferences takes the instance maintenance policy's.
func refreshFindings(r *policy.Resource) []policy.Violation {
	const fix = "set instanceRefresh.preferences.minHealthyPercentage to 100 and maxHealthyPercentage to 200 (any value " +
		"above 100 and at most 200 will do), or remove the two percentages from preferences so that the refresh follows " +
		"the instance maintenance policy"
	ir := graph.Prop(r, "instanceRefresh")
	if ir.Unknown() {
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, ir.Path), "whether the ess group's instance refresh launches before it terminates", recLaunchBeforeTerminate)}
	}
	prefs := ir.Get("preferences")
	switch {
	case !ir.Present || !prefs.Present:
		return nil
	case prefs.Unknown():
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, prefs.Path), "whether the ess group's instance refresh launches before it terminates", recLaunchBeforeTerminate)}
	}
	return percentFindings(r, prefs, refreshMinDefault, refreshMaxDefault, "the instance refresh",
		"every refresh the provider starts when the launch template changes", fix)
}

// percentFindings checks the minHealthyPercentage and maxHealthyPercentage of an object. minDefault and
// maxDefault are what an unset value means (-1: no value, as the API's "clear").
func percentFindings(r *policy.Resource, obj graph.Field, minDefault, maxDefault int, what, governs, fix string) []policy.Violation {
	minF, maxF := obj.Get("minHealthyPercentage"), obj.Get("maxHealthyPercentage")
	for _, f := range []graph.Field{minF, maxF} {
		if f.Unknown() {
			return []policy.Violation{unverifiable(r.URN, unknownReason(r, f.Path), "whether "+what+" of the ess group launches before it terminates", recLaunchBeforeTerminate)}
		}
	}
	minV, minShown := percent(minF, minDefault)
	maxV, maxShown := percent(maxF, maxDefault)
	var problem, path, shown string
	switch {
	case minV != healthyMinRequired:
		path, shown = minF.Path, minShown
		problem = fmt.Sprintf("%s may take the ess group below its desired capacity (minHealthyPercentage %s): during %s Auto Scaling "+
			"terminates an instance before its replacement is in service, which leaves a zone whose only ess instance it was "+
			"without ess capacity", what, minShown, governs)
	case maxV <= healthyMinRequired:
		path, shown = maxF.Path, maxShown
		problem = fmt.Sprintf("%s keeps 100%% of the desired capacity healthy but allows none above it (maxHealthyPercentage %s), so "+
			"there is no room to launch a replacement first during %s", what, maxShown, governs)
	case maxV > healthyMaxCeiling || maxV-minV > healthyMaxSpread:
		path, shown = maxF.Path, maxShown
		problem = fmt.Sprintf("%s asks for a maxHealthyPercentage of %s, above the 200 (or more than 100 above the minimum) "+
			"that Amazon EC2 Auto Scaling accepts, so AWS refuses the setting", what, maxShown)
	default:
		return nil
	}
	return []policy.Violation{finding(r, path, shown, problem, fix, recLaunchBeforeTerminate)}
}

// percent reads a healthy percentage: its value (def when unset or -1) and how to print it. A secret
// value is never printed.
func percent(f graph.Field, def int) (int, string) {
	n, ok := f.Num()
	switch {
	case !f.Present || (ok && n == -1):
		shown := "null"
		if ok {
			shown = f.Show()
		}
		if def >= 0 {
			shown += fmt.Sprintf(" (the default, %d)", def)
		}
		return def, shown
	case !ok:
		return -1, f.Show()
	}
	return int(n), f.Show()
}
