package state

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Views are the two ways the pack sees a file's live resources, built once per file.
type Views struct {
	// Inputs are what resource policies get in Analyze: each resource's inputs, its parent and provider.
	Inputs []*policy.Resource
	// Outputs are what stack policies get in AnalyzeStack: each resource's outputs, its parent,
	// provider, dependencies and property dependencies.
	Outputs *policy.Stack
	// Sources maps each view resource back to the file's resource, by position.
	Sources []*Resource
}

// Views builds the file's views, as the engine hands the resources to the pack.
func (f *File) Views() *Views {
	provs := map[resource.URN]bool{}
	for _, r := range f.Resources {
		if providers.IsProviderType(tokens.Type(r.Type)) {
			provs[r.URN] = true
		}
	}
	live := f.Live()
	v := &Views{
		Inputs:  make([]*policy.Resource, len(live)),
		Outputs: &policy.Stack{Resources: make([]*policy.Resource, len(live))},
		Sources: live,
	}
	in := make([]policy.Resource, len(live))
	out := make([]policy.Resource, len(live))
	for i, r := range live {
		provider := ""
		if r.Provider != "" {
			if ref, err := parseProviderReference(r.Provider); err == nil && provs[ref.URN()] {
				provider = string(ref.URN())
			}
		}
		in[i] = policy.Resource{
			URN: r.URN, Type: r.Type, Name: r.URN.Name(), ID: idOf(r.Inputs), Provider: provider,
			Parent: r.Parent, Properties: r.Inputs,
		}
		out[i] = policy.Resource{
			URN: r.URN, Type: r.Type, Name: r.URN.Name(), ID: idOf(r.Outputs), Provider: provider,
			Parent: r.Parent, Properties: r.Outputs,
		}
		if len(r.Dependencies) > 0 {
			out[i].Dependencies = r.Dependencies
		}
		out[i].PropertyDependencies = sentDependencies(r.PropertyDependencies)
		v.Inputs[i] = &in[i]
		v.Outputs.Resources[i] = &out[i]
	}
	return v
}

// idOf is the ID the pack sees: the "id" property, which bridged providers repeat in their outputs; the
// protocol carries no other.
func idOf(pm resource.PropertyMap) string {
	if id, ok := pm["id"]; ok && id.IsString() {
		return id.StringValue()
	}
	return ""
}

// sentDependencies are the property dependencies the engine sends: those of properties with
// dependencies. The file's own are used as they are when none is empty, as is usual.
func sentDependencies(pds policy.PropertyDependencies) policy.PropertyDependencies {
	empty := 0
	for _, deps := range pds.All() {
		if len(deps) == 0 {
			empty++
		}
	}
	if empty == 0 {
		return pds
	}
	sent := make([]policy.PropertyDependency, 0, pds.Len()-empty)
	for k, deps := range pds.All() {
		if len(deps) > 0 {
			sent = append(sent, policy.PropertyDependency{Key: k, URNs: deps})
		}
	}
	return policy.NewPropertyDependencies(sent)
}
