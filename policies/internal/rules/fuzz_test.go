package rules_test

import (
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// FuzzPolicies changes one value of one resource of a fixture into any shape the protocol can carry and
// runs every policy on the result, deployed and as a preview: no policy may panic (a panicking policy
// fails the whole preview).
func FuzzPolicies(f *testing.F) {
	fixtures := allFixtures(f)
	// A seed per 16 fixtures keeps the seed run short; the fuzzer reaches the others by index.
	for i := 0; i < len(fixtures); i += 16 {
		f.Add(uint16(i), uint16(i), uint16(0), []byte{3, 4, 'x', 'y', 'z', 'w'})
	}
	policies := rules.All()
	f.Fuzz(func(t *testing.T, fixture, res, prop uint16, value []byte) {
		fx := fixtures[int(fixture)%len(fixtures)]
		if len(fx.Stack.Resources) == 0 {
			return
		}
		st := &policy.Stack{}
		target := int(res) % len(fx.Stack.Resources)
		for i, r := range fx.Stack.Resources {
			c := *r
			if i == target {
				c.Properties = r.Properties.Copy()
				keys := c.Properties.StableKeys()
				v, _ := fuzzValue(value, 5)
				if len(keys) == 0 || int(prop) >= len(keys)*2 {
					c.Properties[resource.PropertyKey("fuzz")] = v
				} else {
					c.Properties[keys[int(prop)%len(keys)]] = v
				}
			}
			st.Resources = append(st.Resources, &c)
		}
		for _, p := range policies {
			cfg, err := policytest.Config(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, dryRun := range []bool{false, true} {
				start := time.Now()
				if _, err := policytest.Run(t.Context(), p, st, policy.Args{Config: cfg, DryRun: dryRun}); err != nil {
					t.Fatalf("%s on %s: %v", p.Name, fx.Path, err)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%s on %s took %v", p.Name, fx.Path, d)
				}
			}
		}
	})
}

// fuzzValue makes a property value from bytes (see graph's fuzz test for the encoding).
func fuzzValue(data []byte, depth int) (resource.PropertyValue, []byte) {
	if len(data) == 0 {
		return resource.NewNullProperty(), nil
	}
	op, data := data[0], data[1:]
	text := func() string {
		if len(data) == 0 {
			return ""
		}
		n := min(int(data[0])%32, len(data)-1)
		s := string(data[1 : 1+n])
		data = data[1+n:]
		return s
	}
	if depth <= 0 {
		op %= 4
	}
	switch op % 9 {
	case 0:
		return resource.NewNullProperty(), data
	case 1:
		return resource.NewBoolProperty(op&0x80 != 0), data
	case 2:
		return resource.NewNumberProperty(float64(int8(op)) * 1e6), data
	case 3:
		return resource.NewStringProperty(text()), data
	case 4:
		var arr []resource.PropertyValue
		for range int(op>>4) % 5 {
			var v resource.PropertyValue
			v, data = fuzzValue(data, depth-1)
			arr = append(arr, v)
		}
		return resource.NewArrayProperty(arr), data
	case 5:
		obj := resource.PropertyMap{}
		for range int(op>>4) % 5 {
			k := text()
			var v resource.PropertyValue
			v, data = fuzzValue(data, depth-1)
			obj[resource.PropertyKey(k)] = v
		}
		return resource.NewObjectProperty(obj), data
	case 6:
		return resource.MakeComputed(resource.NewStringProperty("")), data
	case 7:
		v, rest := fuzzValue(data, depth-1)
		return resource.MakeSecret(v), rest
	default:
		v, rest := fuzzValue(data, depth-1)
		return resource.NewOutputProperty(resource.Output{Element: v, Known: op&0x40 != 0, Secret: op&0x80 != 0}), rest
	}
}
