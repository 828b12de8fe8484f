package policytest

import (
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// handleKeys are the properties whose values other resources reference a resource by, besides its ID.
var handleKeys = []resource.PropertyKey{"arn", "name", "bucket", "clusterIdentifier", "identifier", "replicationGroupId", "dnsName", "repositoryUrl"}

// Replicate returns a stack made of copies of st, for benchmarks: each copy has its own URNs, IDs, ARNs
// and names (suffixed with the copy's number), so that references stay within a copy and the graph of
// the result is copies times the graph of st.
func Replicate(st *policy.Stack, copies int) *policy.Stack {
	handles := map[string]bool{}
	urns := map[resource.URN]bool{}
	for _, r := range st.Resources {
		urns[r.URN] = true
		if r.ID != "" {
			handles[r.ID] = true
		}
		for _, k := range handleKeys {
			if v, ok := r.Properties[k]; ok && v.IsString() && v.StringValue() != "" {
				handles[v.StringValue()] = true
			}
		}
	}
	out := &policy.Stack{Resources: make([]*policy.Resource, 0, len(st.Resources)*copies)}
	for i := range copies {
		suffix := "-" + strconv.Itoa(i)
		urn := func(u resource.URN) resource.URN {
			if urns[u] {
				return u + resource.URN(suffix)
			}
			return u
		}
		var rewrite func(v resource.PropertyValue) resource.PropertyValue
		rewrite = func(v resource.PropertyValue) resource.PropertyValue {
			switch {
			case v.IsString() && handles[v.StringValue()]:
				return resource.NewStringProperty(v.StringValue() + suffix)
			case v.IsArray():
				arr := make([]resource.PropertyValue, len(v.ArrayValue()))
				for j, e := range v.ArrayValue() {
					arr[j] = rewrite(e)
				}
				return resource.NewArrayProperty(arr)
			case v.IsObject():
				obj := make(resource.PropertyMap, len(v.ObjectValue()))
				for k, e := range v.ObjectValue() {
					obj[k] = rewrite(e)
				}
				return resource.NewObjectProperty(obj)
			case v.IsSecret():
				return resource.MakeSecret(rewrite(v.SecretValue().Element))
			}
			return v
		}
		for _, r := range st.Resources {
			c := &policy.Resource{
				URN:      urn(r.URN),
				Type:     r.Type,
				Name:     r.Name + suffix,
				Provider: r.Provider,
				Parent:   urn(r.Parent),
			}
			if r.ID != "" {
				c.ID = r.ID + suffix
			}
			c.Properties = rewrite(resource.NewObjectProperty(r.Properties)).ObjectValue()
			for _, d := range r.Dependencies {
				c.Dependencies = append(c.Dependencies, urn(d))
			}
			if r.PropertyDependencies.Len() > 0 {
				deps := make([]policy.PropertyDependency, 0, r.PropertyDependencies.Len())
				for k, ds := range r.PropertyDependencies.All() {
					us := make([]resource.URN, len(ds))
					for j, d := range ds {
						us[j] = urn(d)
					}
					deps = append(deps, policy.PropertyDependency{Key: k, URNs: us})
				}
				c.PropertyDependencies = policy.NewPropertyDependencies(deps)
			}
			out.Resources = append(out.Resources, c)
		}
	}
	return out
}
