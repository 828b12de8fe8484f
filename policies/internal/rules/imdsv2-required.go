package rules

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// IMDSv2Required is the name of the policy that instances require IMDSv2.
const IMDSv2Required = "ha-imdsv2-required"

func imdsv2Required() policy.Policy {
	return policy.Policy{
		Name: IMDSv2Required,
		Description: "Launch templates, instances and launch configurations require IMDSv2 (metadataOptions.httpTokens " +
			"\"required\"), or turn the metadata service off (httpEndpoint \"disabled\"), so that a request forgery in a " +
			"container cannot read the instance role's credentials. Remediation sets httpTokens to \"required\" (and, when " +
			"unset, httpPutResponseHopLimit to 2 so containers keep reaching the metadata service).",
		Recommendation: baseline + ", for the EC2 pools of " + recPools,
		DefaultLevel:   policy.Mandatory,
		CheckResource:  checkIMDSv2,
		Remediate:      remediateIMDSv2,
	}
}

// imdsTypes are the resource types with metadataOptions.
var imdsTypes = map[string]bool{graph.TypeLaunchTemplate: true, graph.TypeInstance: true, graph.TypeLaunchConfiguration: true}

func checkIMDSv2(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
	if !imdsTypes[graph.Canonical(r.Type)] {
		return nil
	}
	if v, _ := graph.Prop(r, "metadataOptions.httpEndpoint").Str(); v == "disabled" {
		return nil
	}
	f := graph.Prop(r, "metadataOptions.httpTokens")
	if f.Unknown() {
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, f.Path), "whether IMDSv2 is required", baseline)}
	}
	if v, _ := f.Str(); v == "required" {
		return nil
	}
	shown := f.Show()
	if !f.Present {
		shown = `null (the AMI's default, usually "optional")`
	}
	return []policy.Violation{finding(r, f.Path, shown,
		"instances accept IMDSv1, whose unauthenticated requests let a server-side request forgery read the instance role's credentials",
		`set metadataOptions.httpTokens to "required" (and httpPutResponseHopLimit to 2 so that containers can still reach the metadata service)`,
		baseline+", for the EC2 pools of "+recPools)}
}

// remediateIMDSv2 sets metadataOptions.httpTokens to "required", keeping the other metadata options.
func remediateIMDSv2(ctx context.Context, r *policy.Resource, args policy.Args) (resource.PropertyMap, error) {
	if len(checkIMDSv2(ctx, r, args)) == 0 {
		return nil, nil
	}
	f := graph.Prop(r, "metadataOptions")
	if f.Unknown() || f.Secret {
		return nil, nil // cannot rewrite what is not known
	}
	opts := resource.PropertyMap{}
	if f.Present && f.Value.IsObject() {
		opts = f.Value.ObjectValue().Copy()
	}
	if graph.Get(opts, "httpTokens").Unknown() {
		return nil, nil
	}
	opts["httpTokens"] = resource.NewStringProperty("required")
	if !opts.HasValue("httpEndpoint") {
		opts["httpEndpoint"] = resource.NewStringProperty("enabled")
	}
	// Containers on the instance are one network hop further away: with IMDSv2 they need a hop limit of 2.
	if !opts.HasValue("httpPutResponseHopLimit") {
		opts["httpPutResponseHopLimit"] = resource.NewNumberProperty(2)
	}
	out := r.Properties.Copy()
	out["metadataOptions"] = resource.NewObjectProperty(opts)
	return out, nil
}
