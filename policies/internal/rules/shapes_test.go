package rules_test

import (
	"math"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// shapes are values of every kind the Analyzer protocol can carry, in place of any property.
func shapes() []resource.PropertyValue {
	str := resource.NewStringProperty
	a, _ := asset.FromText("text")
	ar, _ := archive.FromAssets(map[string]any{"a": a})
	return []resource.PropertyValue{
		resource.NewNullProperty(),
		resource.NewBoolProperty(true),
		resource.NewNumberProperty(-1e300),
		resource.NewNumberProperty(math.NaN()),
		resource.NewNumberProperty(math.Inf(1)),
		str(""),
		str("04da6b54-80e4-46f7-96ec-b56ff0331ba9"), // the unknown sentinel
		str(strings.Repeat("é", 300)),
		str("$(("),
		resource.NewArrayProperty(nil),
		resource.NewArrayProperty([]resource.PropertyValue{resource.NewNullProperty(), str("")}),
		resource.NewObjectProperty(resource.PropertyMap{}),
		resource.NewObjectProperty(resource.PropertyMap{"": resource.NewNullProperty()}),
		resource.MakeComputed(str("")),
		resource.MakeSecret(resource.MakeComputed(str(""))),
		resource.MakeSecret(resource.NewArrayProperty([]resource.PropertyValue{resource.MakeSecret(str("x"))})),
		resource.NewOutputProperty(resource.Output{Element: str("x"), Known: false}),
		resource.NewOutputProperty(resource.Output{Element: resource.NewNullProperty(), Known: true, Secret: true}),
		resource.MakeCustomResourceReference("", "", ""),
		resource.MakeCustomResourceReference("urn:pulumi:s::p::t::n", "id-1", ""),
		resource.NewAssetProperty(a),
		resource.NewArchiveProperty(ar),
	}
}

// reshape returns a copy of a stack with every resource and property changed by f.
func reshape(st *policy.Stack, f func(i int, r *policy.Resource)) *policy.Stack {
	out := &policy.Stack{}
	for i, r := range st.Resources {
		c := *r
		c.Properties = r.Properties.Copy()
		f(i, &c)
		out.Resources = append(out.Resources, &c)
	}
	return out
}

// replaceLeaves replaces every leaf of a value, the n-th of the walk by shapes[(n+shift) % len].
func replaceLeaves(v resource.PropertyValue, shift int, n *int, kinds []resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = replaceLeaves(e, shift, n, kinds)
		}
		return resource.NewArrayProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for _, k := range v.ObjectValue().StableKeys() {
			obj[k] = replaceLeaves(v.ObjectValue()[k], shift, n, kinds)
		}
		return resource.NewObjectProperty(obj)
	}
	*n++
	return kinds[(*n+shift)%len(kinds)]
}

// TestPoliciesAcceptEveryShape runs every policy on every fixture changed into shapes the protocol
// allows: no URN, a URN that is not one, no name, no type, no properties, and every property, and every
// leaf inside them, replaced by values of every kind. No policy may fail (panic) on any of them: a
// failure fails the whole preview.
func TestPoliciesAcceptEveryShape(t *testing.T) {
	t.Parallel()
	kinds := shapes()
	variants := map[string]func(*policy.Stack) *policy.Stack{
		"no urn": func(st *policy.Stack) *policy.Stack {
			return reshape(st, func(_ int, r *policy.Resource) { r.URN = "" })
		},
		"no urn, no name": func(st *policy.Stack) *policy.Stack {
			return reshape(st, func(_ int, r *policy.Resource) { r.URN, r.Name = "", "" })
		},
		"not a urn": func(st *policy.Stack) *policy.Stack {
			return reshape(st, func(_ int, r *policy.Resource) { r.URN, r.Name = "urn:pulumi:", "" })
		},
		"no type": func(st *policy.Stack) *policy.Stack {
			return reshape(st, func(_ int, r *policy.Resource) { r.Type = "" })
		},
		"no properties": func(st *policy.Stack) *policy.Stack {
			return reshape(st, func(_ int, r *policy.Resource) { r.Properties = nil })
		},
	}
	for shift := range kinds {
		variants["properties of every kind/"+string(rune('a'+shift))] = func(st *policy.Stack) *policy.Stack {
			return reshape(st, func(i int, r *policy.Resource) {
				for j, k := range r.Properties.StableKeys() {
					r.Properties[k] = kinds[(i+j+shift)%len(kinds)]
				}
			})
		}
		variants["leaves of every kind/"+string(rune('a'+shift))] = func(st *policy.Stack) *policy.Stack {
			n := 0
			return reshape(st, func(_ int, r *policy.Resource) {
				r.Properties = replaceLeaves(resource.NewObjectProperty(r.Properties), shift, &n, kinds).ObjectValue()
			})
		}
	}
	all := allFixtures(t)
	for name, variant := range variants {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, f := range all {
				// The changes of properties run on the shared topologies, which hold every type the
				// policies check, and the secrets fixture; the others run on every fixture.
				if (strings.HasPrefix(name, "properties") || strings.HasPrefix(name, "leaves")) &&
					!strings.Contains(f.Path, "_shared") && !strings.Contains(f.Path, "_secrets") {
					continue
				}
				st := variant(f.Stack)
				for _, p := range rules.All() {
					cfg, err := policytest.Config(p, nil)
					require.NoError(t, err)
					for _, dryRun := range []bool{false, true} {
						_, err = policytest.Run(t.Context(), p, st, policy.Args{Config: cfg, DryRun: dryRun})
						require.NoError(t, err, "%s on %s", p.Name, f.Path)
					}
				}
			}
		})
	}
}
