package analyzer

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// checkOptions unmarshal the properties policies check: unknown values stay unknown, secrets stay
// wrapped, and resource references and output values keep their shape instead of being flattened.
var checkOptions = plugin.MarshalOptions{
	Label:            "analyzer.properties",
	KeepUnknowns:     true,
	KeepSecrets:      true,
	KeepResources:    true,
	KeepOutputValues: true,
}

// remediateOptions unmarshal and marshal the properties remediations rewrite. The engine sends them with
// internal keys (such as "__defaults") and uses what comes back as the resource's new inputs, so the
// keys must survive the round trip.
var remediateOptions = plugin.MarshalOptions{
	Label:        "analyzer.remediate",
	KeepUnknowns: true,
	KeepSecrets:  true,
}

// idKey is the output property in which bridged providers repeat a resource's ID.
const idKey resource.PropertyKey = "id"

// newResource builds the resource policies see from the common fields of an Analyze request and a
// stack resource.
func newResource(urn, typ, name string, props *structpb.Struct, provider *pulumirpc.AnalyzerProviderResource,
	opts plugin.MarshalOptions,
) (*policy.Resource, error) {
	pm, err := unmarshalProperties(props, opts)
	if err != nil {
		return nil, fmt.Errorf("unmarshalling the properties of %s: %w", urn, err)
	}
	if pm == nil {
		pm = resource.PropertyMap{}
	}
	r := &policy.Resource{
		URN:        resource.URN(urn),
		Type:       typ,
		Name:       name,
		Properties: pm,
	}
	if id, ok := pm[idKey]; ok && id.IsString() {
		r.ID = id.StringValue()
	}
	if provider != nil {
		r.Provider = provider.GetUrn()
	}
	return r, nil
}

// resourceFromRequest builds the resource of an Analyze or Remediate request.
func resourceFromRequest(req *pulumirpc.AnalyzeRequest, opts plugin.MarshalOptions) (*policy.Resource, error) {
	r, err := newResource(req.GetUrn(), req.GetType(), req.GetName(), req.GetProperties(), req.GetProvider(), opts)
	if err != nil {
		return nil, err
	}
	r.Parent = resource.URN(req.GetOptions().GetParent())
	return r, nil
}

// stackFromRequest builds the stack of an AnalyzeStack request, in the order the engine sent it,
// with each resource's parent, dependencies and property dependencies.
func stackFromRequest(ctx context.Context, req *pulumirpc.AnalyzeStackRequest) (*policy.Stack, error) {
	rs, err := decodeStack(ctx, req)
	if err != nil {
		return nil, err
	}
	return &policy.Stack{Resources: rs}, nil
}

// stackResource builds one resource of an AnalyzeStack request.
func stackResource(ar *pulumirpc.AnalyzerResource) (*policy.Resource, error) {
	r, err := newResource(ar.GetUrn(), ar.GetType(), ar.GetName(), ar.GetProperties(), ar.GetProvider(), checkOptions)
	if err != nil {
		return nil, err
	}
	parent := ar.GetParent()
	if parent == "" {
		parent = ar.GetOptions().GetParent()
	}
	r.Parent = resource.URN(parent)
	if deps := ar.GetDependencies(); len(deps) > 0 {
		r.Dependencies = urns(deps)
	}
	if pds := ar.GetPropertyDependencies(); len(pds) > 0 {
		r.PropertyDependencies = make(map[resource.PropertyKey][]resource.URN, len(pds))
		for k, v := range pds {
			r.PropertyDependencies[resource.PropertyKey(k)] = urns(v.GetUrns())
		}
	}
	return r, nil
}

// urns converts strings to URNs.
func urns(ss []string) []resource.URN {
	out := make([]resource.URN, len(ss))
	for i, s := range ss {
		out[i] = resource.URN(s)
	}
	return out
}

// cloneProperties copies a property map deeply, so that a remediation that fails half-way through
// rewriting it cannot leave its damage for the next one.
func cloneProperties(pm resource.PropertyMap) (resource.PropertyMap, error) {
	s, err := plugin.MarshalProperties(pm, remediateOptions)
	if err != nil {
		return nil, fmt.Errorf("copying properties: %w", err)
	}
	out, err := plugin.UnmarshalProperties(s, remediateOptions)
	if err != nil {
		return nil, fmt.Errorf("copying properties: %w", err)
	}
	return out, nil
}
