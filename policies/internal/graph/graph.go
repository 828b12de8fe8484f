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
	"strconv"
	"strings"
	"sync"

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
	g.byID, g.byARN = newIndex(len(g.resources)), newIndex(len(g.resources))
	for _, r := range g.resources {
		if r == nil {
			continue
		}
		id := ID(r)
		if id != "" {
			g.byID.add(id, r)
		}
		if arn, ok := knownString(r.Properties, "arn"); ok && arn != "" {
			g.byARN.add(arn, r)
			// The Analyzer protocol does not carry IDs; bridged providers repeat them in the "id" output,
			// but a state without it still names EC2 resources by ID at the end of their ARNs.
			if id == "" {
				if alias := idFromARN(arn); alias != "" {
					g.byID.add(alias, r)
				}
			}
		}
	}
}

// indexNames fills byName and vpcByTable.
func (g *Graph) indexNames() {
	g.byName = newIndex(len(g.resources))
	for _, r := range g.resources {
		if r == nil {
			continue
		}
		for _, k := range nameKeys {
			if name, ok := knownString(r.Properties, k); ok && name != "" {
				g.byName.add(name, r)
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

// index maps a key to resources. Keys are nearly always unique, so the first resource of a key is kept
// in one map and the rare others in a second, which keeps the index to one allocation-free entry per key.
//
// A key that more than maxPerKey resources answer to is ambiguous: a real ID, ARN or name names one
// resource (a few at most, of different types), so such a state is broken or hostile, and following the
// key to all of them would make every lookup cost as much as the stack, and the analysis quadratic.
// An ambiguous key names nothing; references through it fall back on property dependencies, which
// name each resource exactly.
type index struct {
	first     map[string]*policy.Resource
	more      map[string][]*policy.Resource
	ambiguous map[string]bool
}

// maxPerKey is the most resources one key may name before it is ambiguous.
const maxPerKey = 8

func newIndex(n int) index {
	return index{first: make(map[string]*policy.Resource, n), more: map[string][]*policy.Resource{}, ambiguous: map[string]bool{}}
}

func (ix index) add(key string, r *policy.Resource) {
	if _, ok := ix.first[key]; !ok {
		ix.first[key] = r
		return
	}
	if ix.ambiguous[key] {
		return
	}
	if len(ix.more[key])+1 >= maxPerKey {
		ix.ambiguous[key] = true
		delete(ix.more, key)
		return
	}
	ix.more[key] = append(ix.more[key], r)
}

// get returns the resources of a key, in insertion order; none for an ambiguous key.
func (ix index) get(key string) []*policy.Resource {
	r, ok := ix.first[key]
	if !ok || ix.ambiguous[key] {
		return nil
	}
	more := ix.more[key]
	if len(more) == 0 {
		return []*policy.Resource{r}
	}
	return append([]*policy.Resource{r}, more...)
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
// value names: by ARN, else by ID, else by name (see nameKeys).
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

// filter keeps the resources of the wanted types; all of them when no type is given.
func (g *Graph) filter(rs []*policy.Resource, types []string) []*policy.Resource {
	if len(types) == 0 || len(rs) == 0 {
		return rs
	}
	var out []*policy.Resource
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

// add appends resources that are not already there.
func (rs *Refs) add(seen map[*policy.Resource]bool, found ...*policy.Resource) {
	for _, r := range found {
		if !seen[r] {
			seen[r] = true
			rs.Resources = append(rs.Resources, r)
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
	var rs Refs
	seen := map[*policy.Resource]bool{}
	top, _, _ := strings.Cut(path, ".")
	top = strings.TrimSuffix(top, "[]")
	unknown := 0
	for _, leaf := range Leaves(r.Properties, path) {
		rs.Secret = rs.Secret || leaf.Secret
		switch {
		case !leaf.Present:
		case !leaf.Known:
			unknown++
		case leaf.Value.IsResourceReference():
			ref := leaf.Value.ResourceReferenceValue()
			if t := g.byURN[ref.URN]; t != nil && (len(types) == 0 || g.Is(t, types...)) {
				rs.add(seen, t)
			} else {
				rs.Dangling = append(rs.Dangling, string(ref.URN))
			}
		case leaf.Value.IsString():
			s := leaf.Value.StringValue()
			if s == "" {
				continue
			}
			if found := g.Lookup(s, types...); len(found) > 0 {
				rs.add(seen, found...)
			} else {
				rs.Dangling = append(rs.Dangling, s)
			}
		}
	}
	if unknown == 0 && len(rs.Dangling) == 0 {
		return rs
	}
	// The property dependencies stand in for values that are unknown (a preview), and for known values
	// that name nothing by ID, ARN or name (a state whose outputs lack the "id" output that stands in for
	// the IDs the Analyzer protocol does not carry). Dangling values are dropped only when the
	// dependencies account for every unresolved value.
	before := len(rs.Resources)
	found := g.Dependencies(r, top, types...)
	rs.add(seen, found...)
	added := len(rs.Resources) - before
	rs.ViaDependencies = added > 0
	rs.Unknown = unknown > 0 && len(found) == 0
	if len(rs.Dangling) > 0 && added >= unknown+len(rs.Dangling) {
		rs.Dangling = nil
	}
	return rs
}

// Dependencies returns the resources of the wanted types (any when none is given) that r's property
// dependencies list for a top-level property, in order.
func (g *Graph) Dependencies(r *policy.Resource, key string, types ...string) []*policy.Resource {
	var out []*policy.Resource
	for _, urn := range r.PropertyDependencies[resource.PropertyKey(key)] {
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
	var buf [8]string
	w := leafWalk{keys: buf[:0]}
	for rest, more := path, true; more; {
		var k string
		k, rest, more = strings.Cut(rest, ".")
		w.keys = append(w.keys, strings.TrimSuffix(k, "[]"))
	}
	root := Field{Raw: resource.NewObjectProperty(pm), Value: resource.NewObjectProperty(pm), Present: true, Known: true}
	w.walk(root.Get(w.keys[0]), 1)
	return w.out
}

// leafWalk is one walk of Leaves: the path's keys, and the leaves found so far.
type leafWalk struct {
	keys []string
	out  []Field
}

// walk collects the leaves under f, which the first next keys of the path reached.
func (w *leafWalk) walk(f Field, next int) {
	switch {
	case !f.Present:
		return
	case !f.Known:
		w.out = append(w.out, f)
		return
	case f.Value.IsArray():
		for _, it := range f.Items() {
			w.walk(it, next)
		}
		return
	case next == len(w.keys):
		w.out = append(w.out, f)
		return
	}
	w.walk(f.Get(w.keys[next]), next+1)
}
