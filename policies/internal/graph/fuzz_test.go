package graph_test

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// build makes a property value of any shape the Analyzer protocol can carry from bytes: each byte picks
// a kind (null, bool, number, string, array, object, computed, secret, output, resource reference),
// and what follows gives its content. It never reads past data and nests at most depth levels.
func build(data []byte, depth int) (resource.PropertyValue, []byte) {
	if len(data) == 0 {
		return resource.NewNullProperty(), nil
	}
	op, data := data[0], data[1:]
	text := func() string {
		if len(data) == 0 {
			return ""
		}
		n := int(data[0]) % 24
		data = data[1:]
		n = min(n, len(data))
		s := string(data[:n])
		data = data[n:]
		return s
	}
	if depth <= 0 {
		op %= 4
	}
	switch op % 11 {
	case 0:
		return resource.NewNullProperty(), data
	case 1:
		return resource.NewBoolProperty(op&0x80 != 0), data
	case 2:
		if len(data) < 8 {
			return resource.NewNumberProperty(float64(op)), nil
		}
		return resource.NewNumberProperty(math.Float64frombits(binary.LittleEndian.Uint64(data))), data[8:]
	case 3:
		s := text()
		if op&0x80 != 0 {
			s = graph.UnknownSentinel
		}
		return resource.NewStringProperty(s), data
	case 4:
		n := int(op>>4) % 6
		arr := make([]resource.PropertyValue, 0, n)
		for range n {
			var v resource.PropertyValue
			v, data = build(data, depth-1)
			arr = append(arr, v)
		}
		return resource.NewArrayProperty(arr), data
	case 5:
		n := int(op>>4) % 6
		obj := resource.PropertyMap{}
		for range n {
			k := text()
			var v resource.PropertyValue
			v, data = build(data, depth-1)
			obj[resource.PropertyKey(k)] = v
		}
		return resource.NewObjectProperty(obj), data
	case 6:
		return resource.MakeComputed(resource.NewStringProperty("")), data
	case 7:
		v, rest := build(data, depth-1)
		return resource.MakeSecret(v), rest
	case 8:
		v, rest := build(data, depth-1)
		return resource.NewOutputProperty(resource.Output{Element: v, Known: op&0x40 != 0, Secret: op&0x80 != 0}), rest
	case 9:
		return resource.MakeCustomResourceReference(resource.URN(text()), resource.ID(text()), ""), data
	default:
		return resource.MakeComponentResourceReference(resource.URN(text()), ""), data
	}
}

// FuzzFields reads any property value, at any path, with every helper of the graph: none may panic,
// Show stays short, and a secret never shows its text.
func FuzzFields(f *testing.F) {
	f.Add([]byte{5 | 0x30, 4, 'n', 'a', 'm', 'e', 3, 3, 'a', 'b', 'c', 7, 3, 6, 's', 'e', 'c', 'r', 'e', 't'}, "name")
	f.Add([]byte{5 | 0x10, 4, 'a', 'z', 's', 'x', 4 | 0x30, 3, 2, 'a', 'b', 7, 3, 3, 'x', 'y', 'z', 6}, "azs")
	f.Add([]byte{8 | 0xc0, 5 | 0x20, 1, 'a', 4 | 0x50, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, "a.b.c")
	f.Add([]byte{9, 20, 'u', 'r', 'n', ':', 'p', 'u', 'l', 'u', 'm', 'i', ':', 's', ':', ':', 'p', ':', ':', 't', ':', ':', 3, 'i', 'd', '1'}, "")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		v, _ := build(data, 6)
		if !v.IsObject() {
			v = resource.NewObjectProperty(resource.PropertyMap{"v": v})
		}
		pm := v.ObjectValue()
		shown := graph.Show(v)
		if len(shown) > 64<<10 {
			t.Errorf("Show printed %d bytes", len(shown))
		}
		for _, p := range []string{path, "v", "v." + path} {
			fd := graph.Get(pm, p)
			_ = fd.Show()
			_, _ = fd.Str()
			_, _ = fd.Bool()
			_, _ = fd.Num()
			_, _ = fd.Strings()
			ts, _ := fd.Texts()
			_ = graph.ListTexts(ts, ", ")
			for _, it := range fd.Items() {
				_ = it.Show()
				_ = it.Get("x").Show()
			}
			text := fd.Text()
			if fd.Secret && (text.String() != graph.ShownSecret || fd.Show() != graph.ShownSecret) {
				t.Errorf("the secret field %s shows %q and %q", p, text.String(), fd.Show())
			}
			_, _, _ = graph.Unwrap(fd.Raw)
		}
		// The graph of a stack whose resources hold this value under every property the graph reads.
		var st policy.Stack
		for i, typ := range []string{graph.TypeSubnet, graph.TypeVpc, graph.TypeRouteTable, graph.TypeAutoscalingGroup, graph.TypeLoadBalancer, graph.TypeRoute53Record, graph.TypeRdsCluster} {
			props := resource.PropertyMap{}
			for _, k := range []string{"id", "arn", "vpcId", "subnetId", "subnetIds", "subnets", "routes", "routeTableId", "availabilityZone", "vpcZoneIdentifiers", "name", "zoneId", "aliases", "records", "gatewayId", "natGatewayId", "mainRouteTableId", "tags"} {
				props[resource.PropertyKey(k)] = pm["v"]
			}
			st.Resources = append(st.Resources, &policy.Resource{URN: resource.URN(strings.Repeat("x", i)), Type: typ, Properties: props})
		}
		g := graph.Of(&st)
		for _, r := range g.Resources() {
			_ = graph.Describe(r)
			_ = g.Resolve(r, "vpcId", graph.TypeVpc)
			_ = g.Resolve(r, "aliases.name", graph.TypeLoadBalancer)
			_, _ = g.SubnetsOf(r, "subnetIds")
			_, _ = g.SubnetsOf(r, "vpcZoneIdentifiers")
		}
	})
}
