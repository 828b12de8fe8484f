// Package graph indexes the resources of one stack so that policies can follow references between them:
// through IDs and ARNs in deployed state, and through property dependencies during a preview, when new
// resources have no IDs yet. Both paths are meant to give the same answer, and a reference that neither
// can settle is reported as unknown, never guessed.
//
// A Graph is built once per stack analysis, in time linear in the size of the stack (New; Of shares one
// Graph between the stack policies of one AnalyzeStack), and is read-only afterwards, so policies may use
// it concurrently. On top of the indexes it derives the network facts the HA policies need: each subnet's
// availability zone, whether it is public (its route table sends 0.0.0.0/0 or ::/0 to an internet gateway),
// and where its IPv4 egress goes (Subnet, NatGateway); and the launch templates an auto-scaling group
// launches from, whether it names them in launchTemplate or in a mixed instances policy (TemplatesOf).
package graph

import (
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// nameKeys are the properties that hold a resource's user-visible name or other unique handle that other
// resources reference it by (an auto-scaling group by name, an RDS cluster by identifier, a bucket by
// name, a load balancer by DNS name).
var nameKeys = []resource.PropertyKey{
	"name", "bucket", "clusterIdentifier", "identifier", "replicationGroupId", "dnsName", "repositoryUrl",
}

// Graph is the index of one stack. Build it with New or Of.
type Graph struct {
	resources []*policy.Resource
	byURN     map[resource.URN]*policy.Resource
	byID      index
	byARN     index
	byName    index
	byType    map[string][]*policy.Resource
	// vpcByTable maps the IDs of the route tables AWS creates with a VPC (mainRouteTableId,
	// defaultRouteTableId) to the VPC.
	vpcByTable map[string]*policy.Resource

	net *network

	// subnetsOf keeps the answers of SubnetsOf.
	subnetsMu sync.Mutex
	subnetsOf map[subnetsKey]subnetsOf
}

// graphKey is the policy.Stack memo key of the stack's Graph.
type graphKey struct{}

// Of returns the Graph of a stack, building it the first time any policy asks for it.
func Of(s *policy.Stack) *Graph {
	if g, ok := s.Memo(graphKey{}, func() any { return New(s) }).(*Graph); ok {
		return g
	}
	// The build panicked for an earlier caller; build again so that this caller gets the panic too.
	return New(s)
}

// New indexes a stack and derives its network facts, in time linear in its size. The indexes of a large
// stack are built concurrently, each map by one goroutine.
func New(s *policy.Stack) *Graph {
	n := len(s.Resources)
	g := &Graph{
		resources:  s.Resources,
		byType:     make(map[string][]*policy.Resource),
		vpcByTable: make(map[string]*policy.Resource),
		subnetsOf:  make(map[subnetsKey]subnetsOf),
	}
	parts := []func(){g.indexURNsAndTypes, g.indexIDsAndARNs, g.indexNames}
	if n < parallelAbove {
		for _, part := range parts {
			part()
		}
	} else {
		var wg sync.WaitGroup
		for _, part := range parts[1:] {
			wg.Go(part)
		}
		parts[0]()
		wg.Wait()
	}
	g.net = buildNetwork(g)
	return g
}

// parallelAbove is the number of resources from which New builds its indexes concurrently: below it,
// starting goroutines costs more than it saves.
const parallelAbove = 4096

// forEachChunk is how many items one goroutine of forEach takes at a time.
const forEachChunk = 256

// forEach calls f for every i from 0 to n-1, on every processor when n is large enough to be worth it.
// Each call must write only what belongs to its i.
func forEach(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/forEachChunk)
	if workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(forEachChunk)) - forEachChunk
				if start >= n {
					return
				}
				for i := start; i < min(start+forEachChunk, n); i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}

// indexURNsAndTypes fills byURN and byType.
func (g *Graph) indexURNsAndTypes() {
	g.byURN = make(map[resource.URN]*policy.Resource, len(g.resources))
	for _, r := range g.resources {
		if r == nil {
			continue
		}
		t := Canonical(r.Type)
		g.byURN[r.URN] = r
		g.byType[t] = append(g.byType[t], r)
	}
}

// indexIDsAndARNs fills byID and byARN.
func (g *Graph) indexIDsAndARNs() {
	g.byID, g.byARN = newIndex(g.resources), newIndex(g.resources)
	for i, r := range g.resources {
		if r == nil {
			continue
		}
		id := ID(r)
		if id != "" {
			g.byID.add(id, i)
		}
		if arn, ok := knownString(r.Properties, "arn"); ok && arn != "" {
			g.byARN.add(arn, i)
			// The Analyzer protocol does not carry IDs; bridged providers repeat them in the "id" output,
			// but a state without it still names EC2 resources by ID at the end of their ARNs.
			if id == "" {
				if alias := idFromARN(arn); alias != "" {
					g.byID.add(alias, i)
				}
			}
		}
	}
}

// indexNames fills byName and vpcByTable.
func (g *Graph) indexNames() {
	g.byName = newIndex(g.resources)
	for i, r := range g.resources {
		if r == nil {
			continue
		}
		for _, k := range nameKeys {
			if name, ok := knownString(r.Properties, k); ok && name != "" {
				g.byName.add(name, i)
			}
		}
		if Canonical(r.Type) == TypeVpc {
			for _, k := range []resource.PropertyKey{"mainRouteTableId", "defaultRouteTableId"} {
				if id, ok := knownString(r.Properties, k); ok && id != "" {
					g.vpcByTable[id] = r
				}
			}
		}
	}
}

// index maps a key to resources. Keys are nearly always unique, so a key's only resource is kept as its
// position in the stack, which keeps the index to one allocation-free entry per key and lets get return
// it without allocating; the rare keys of several resources keep their list in a second map.
//
// A key that more than maxPerKey resources answer to is ambiguous: a real ID, ARN or name names one
// resource (a few at most, of different types), so such a state is broken or hostile, and following the
// key to all of them would make every lookup cost as much as the stack, and the analysis quadratic.
// An ambiguous key names nothing; references through it fall back on property dependencies, which
// name each resource exactly.
type index struct {
	resources []*policy.Resource // the stack's, which positions refer to
	// pos is the position of a key's only resource, or several when the key has more than one.
	pos map[string]int
	// more lists the resources of the keys of several, in insertion order; nil for an ambiguous key.
	more map[string][]*policy.Resource
}

// maxPerKey is the most resources one key may name before it is ambiguous.
const maxPerKey = 8

// several is the position of a key with more than one resource.
const several = -1

func newIndex(resources []*policy.Resource) index {
	return index{resources: resources, pos: make(map[string]int, len(resources)), more: map[string][]*policy.Resource{}}
}

// add records that the resource at position i answers to key.
func (ix index) add(key string, i int) {
	p, ok := ix.pos[key]
	switch {
	case !ok:
		ix.pos[key] = i
	case p != several:
		ix.pos[key] = several
		ix.more[key] = []*policy.Resource{ix.resources[p], ix.resources[i]}
	default:
		list := ix.more[key]
		switch {
		case list == nil: // ambiguous already
		case len(list) >= maxPerKey:
			ix.more[key] = nil
		default:
			ix.more[key] = append(list, ix.resources[i])
		}
	}
}

// get returns the resources of a key, in insertion order; none for an ambiguous key. The slice is
// shared: callers must not change its elements (appending to it copies).
func (ix index) get(key string) []*policy.Resource {
	p, ok := ix.pos[key]
	switch {
	case !ok:
		return nil
	case p != several:
		return ix.resources[p : p+1 : p+1]
	}
	list := ix.more[key]
	return list[:len(list):len(list)]
}

// idFromARN returns the ID at the end of an EC2 ARN (arn:aws:ec2:<region>:<account>:subnet/subnet-0abc),
// or "".
func idFromARN(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return ""
	}
	parts := strings.SplitN(rest, ":", 5)
	if len(parts) != 5 || parts[1] != "ec2" {
		return ""
	}
	kind, id, ok := strings.Cut(parts[4], "/")
	if !ok || strings.Contains(id, "/") || !strings.Contains(id, "-") || kind == "" {
		return ""
	}
	return id
}

// knownString returns a top-level property's value when it is a known string (secret or not).
func knownString(pm resource.PropertyMap, key resource.PropertyKey) (string, bool) {
	v, ok := pm[key]
	if !ok {
		return "", false
	}
	val, known, _ := Unwrap(v)
	if !known || !val.IsString() {
		return "", false
	}
	return val.StringValue(), true
}

// ID returns a resource's ID: its ID field, or else the "id" output bridged providers repeat; empty
// when unknown.
func ID(r *policy.Resource) string {
	if r.ID != "" && r.ID != UnknownSentinel {
		return r.ID
	}
	if id, ok := knownString(r.Properties, "id"); ok {
		return id
	}
	return ""
}

// Name returns a resource's name: its Name field, or else the name part of its URN, or else the URN
// itself. The protocol allows any URN, even none: the SDK's URN accessors panic on one that is not
// well formed, so policies name resources only through Name and Describe.
func Name(r *policy.Resource) string {
	switch {
	case r.Name != "":
		return r.Name
	case r.URN.IsValid():
		return r.URN.Name()
	case r.URN != "":
		return string(r.URN)
	}
	return "(unnamed)"
}

// Describe names a resource for a message: its type token and quoted name.
func Describe(r *policy.Resource) string {
	return r.Type + " " + strconv.Quote(Name(r))
}

// Resources returns every resource of the stack, in order.
func (g *Graph) Resources() []*policy.Resource { return g.resources }

// Type returns a resource's canonical type token.
func (g *Graph) Type(r *policy.Resource) string { return Canonical(r.Type) }

// Is reports whether a resource has one of the given canonical types.
func (g *Graph) Is(r *policy.Resource, types ...string) bool {
	t := g.Type(r)
	for _, want := range types {
		if t == want {
			return true
		}
	}
	return false
}

// OfType returns the resources of the given canonical types, in stack order within each type.
func (g *Graph) OfType(types ...string) []*policy.Resource {
	if len(types) == 1 {
		return g.byType[types[0]]
	}
	var out []*policy.Resource
	for _, t := range types {
		out = append(out, g.byType[t]...)
	}
	return out
}

// ByURN returns the resource with a URN, or nil.
func (g *Graph) ByURN(urn resource.URN) *policy.Resource { return g.byURN[urn] }

// Lookup returns the resources of the given types (any type when none is given) that a known reference
// value names: by ARN, else by ID, else by name (see nameKeys). The slice may be shared with the graph:
// do not change its elements.
func (g *Graph) Lookup(ref string, types ...string) []*policy.Resource {
	if ref == "" {
		return nil
	}
	if strings.HasPrefix(ref, "arn:") {
		if rs := g.filter(g.byARN.get(ref), types); len(rs) > 0 {
			return rs
		}
	}
	if rs := g.filter(g.byID.get(ref), types); len(rs) > 0 {
		return rs
	}
	return g.filter(g.byName.get(ref), types)
}

// filter keeps the resources of the wanted types; all of them when no type is given. When every one is
// of a wanted type, it returns rs itself.
func (g *Graph) filter(rs []*policy.Resource, types []string) []*policy.Resource {
	if len(types) == 0 || len(rs) == 0 {
		return rs
	}
	keep := 0
	for _, r := range rs {
		if g.Is(r, types...) {
			keep++
		}
	}
	switch keep {
	case len(rs):
		return rs
	case 0:
		return nil
	}
	out := make([]*policy.Resource, 0, keep)
	for _, r := range rs {
		if g.Is(r, types...) {
			out = append(out, r)
		}
	}
	return out
}

// Refs is what a reference property resolved to.
type Refs struct {
	// Resources are the resources of the wanted types the property names, without duplicates, in the
	// order found.
	Resources []*policy.Resource
	// Unknown is true when part of the value is unknown (a preview) and the resource's property
	// dependencies name no resource of a wanted type either: the targets cannot be told.
	Unknown bool
	// Dangling are known values that name no resource of a wanted type in this stack (resources of
	// another stack, or of the wrong type). Never print them when Secret is true.
	Dangling []string
	// Secret is true when any part of the value was secret.
	Secret bool
	// ViaDependencies is true when some targets were found through property dependencies because the
	// value was unknown.
	ViaDependencies bool
}

// Texts returns the dangling values as texts, all secret when any part of the value was.
func (rs Refs) Texts() []Text {
	out := make([]Text, len(rs.Dangling))
	for i, d := range rs.Dangling {
		out[i] = Text{S: d, Secret: rs.Secret}
	}
	return out
}

// Complete reports whether every part of the value resolved to a resource of the stack.
func (rs Refs) Complete() bool { return !rs.Unknown && len(rs.Dangling) == 0 }

// resolved collects the resources a reference resolves to, without duplicates. References name a few
// resources, which a scan of the list finds faster than a set; a set is kept from linearUpTo on.
type resolved struct {
	list []*policy.Resource
	set  map[*policy.Resource]bool
}

// linearUpTo is how many resources resolved checks for duplicates by scanning.
const linearUpTo = 16

// add appends resources that are not already there.
func (rv *resolved) add(found ...*policy.Resource) {
	for _, r := range found {
		if rv.set == nil {
			if slices.Contains(rv.list, r) {
				continue
			}
			rv.list = append(rv.list, r)
			if len(rv.list) == linearUpTo {
				rv.set = make(map[*policy.Resource]bool, 2*linearUpTo)
				for _, x := range rv.list {
					rv.set[x] = true
				}
			}
			continue
		}
		if !rv.set[r] {
			rv.set[r] = true
			rv.list = append(rv.list, r)
		}
	}
}

// Resolve follows a reference property of r to the resources it names. The path is dotted
// ("launchTemplate.id", "subnetMappings.subnetId", "defaultActions.forward.targetGroups.arn"); arrays met
// on the way, and at the end, are walked element by element, and a trailing "[]" on a key is allowed for
// readability. Known strings are looked up by ARN, ID and name; resource references by URN. When a value
// on the path is unknown, the resource's property dependencies on the path's first key stand in for it,
// keeping those of the wanted types.
func (g *Graph) Resolve(r *policy.Resource, path string, types ...string) Refs {
	var (
		rs      Refs
		found   resolved
		unknown int
	)
	eachLeaf(r.Properties, path, false, func(leaf Field) {
		rs.Secret = rs.Secret || leaf.Secret
		switch {
		case !leaf.Present:
		case !leaf.Known:
			unknown++
		case leaf.Value.IsResourceReference():
			ref := leaf.Value.ResourceReferenceValue()
			if t := g.byURN[ref.URN]; t != nil && (len(types) == 0 || g.Is(t, types...)) {
				found.add(t)
			} else {
				rs.Dangling = append(rs.Dangling, string(ref.URN))
			}
		case leaf.Value.IsString():
			s := leaf.Value.StringValue()
			if s == "" {
				return
			}
			if named := g.Lookup(s, types...); len(named) > 0 {
				found.add(named...)
			} else {
				rs.Dangling = append(rs.Dangling, s)
			}
		}
	})
	if unknown == 0 && len(rs.Dangling) == 0 {
		rs.Resources = found.list
		return rs
	}
	// The property dependencies stand in for values that are unknown (a preview), and for known values
	// that name nothing by ID, ARN or name (a state whose outputs lack the "id" output that stands in for
	// the IDs the Analyzer protocol does not carry). Dangling values are dropped only when the
	// dependencies account for every unresolved value.
	top, _, _ := strings.Cut(path, ".")
	top = strings.TrimSuffix(top, "[]")
	before := len(found.list)
	deps := g.Dependencies(r, top, types...)
	found.add(deps...)
	rs.Resources = found.list
	added := len(rs.Resources) - before
	rs.ViaDependencies = added > 0
	rs.Unknown = unknown > 0 && len(deps) == 0
	if len(rs.Dangling) > 0 && added >= unknown+len(rs.Dangling) {
		rs.Dangling = nil
	}
	return rs
}

// Dependencies returns the resources of the wanted types (any when none is given) that r's property
// dependencies list for a top-level property, in order.
func (g *Graph) Dependencies(r *policy.Resource, key string, types ...string) []*policy.Resource {
	var out []*policy.Resource
	for _, urn := range r.PropertyDependencies.Of(resource.PropertyKey(key)) {
		if t := g.byURN[urn]; t != nil && (len(types) == 0 || g.Is(t, types...)) {
			out = append(out, t)
		}
	}
	return out
}

// Leaves returns the values a dotted path reaches in a property map, walking every array met on the way
// and at the end. A value that is unknown stops the walk and is returned as an unknown leaf; a missing
// value gives no leaf.
func Leaves(pm resource.PropertyMap, path string) []Field {
	var out []Field
	eachLeaf(pm, path, true, func(f Field) { out = append(out, f) })
	return out
}

// eachLeaf calls visit with each leaf Leaves would return, in order, with its Path only when paths is
// true: following references needs only the values.
func eachLeaf(pm resource.PropertyMap, path string, paths bool, visit func(Field)) {
	k, rest, more := strings.Cut(path, ".")
	k = strings.TrimSuffix(k, "[]")
	raw, ok := pm[resource.PropertyKey(k)]
	f := Field{}.with(raw, ok)
	if paths {
		f.Path = k
	}
	walkLeaves(f, rest, more, paths, visit)
}

// walkLeaves visits the leaves under f, which the path up to rest reached; more is false when the path
// ends at f.
func walkLeaves(f Field, rest string, more, paths bool, visit func(Field)) {
	switch {
	case !f.Present:
		return
	case !f.Known:
		visit(f)
		return
	}
	if arr, isArr := f.Value.V.([]resource.PropertyValue); isArr {
		for i, e := range arr {
			it := Field{Secret: f.Secret}.with(e, true)
			if paths {
				it.Path = f.Path + "[" + strconv.Itoa(i) + "]"
			}
			walkLeaves(it, rest, more, paths, visit)
		}
		return
	}
	if !more {
		visit(f)
		return
	}
	var k string
	k, rest, more = strings.Cut(rest, ".")
	k = strings.TrimSuffix(k, "[]")
	child := f.child(k)
	if paths {
		child.Path = joinPath(f.Path, k)
	}
	walkLeaves(child, rest, more, paths, visit)
}
