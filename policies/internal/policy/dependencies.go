package policy

import (
	"cmp"
	"iter"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// PropertyDependency is one top-level property and the resources its value was computed from.
type PropertyDependency struct {
	Key  resource.PropertyKey
	URNs []resource.URN
}

// PropertyDependencies are a resource's property dependencies: for each top-level property, the
// resources its value depends on. They are a list sorted by key rather than a map: nearly every resource
// has some, and a map each (two allocations of some 400 bytes, for three or four keys) was a quarter of
// the memory that decoding an AnalyzeStack request or a state file allocated. The zero value has none.
// Build them with NewPropertyDependencies or PropertyDependenciesOf; change them with Set and Delete.
type PropertyDependencies struct {
	sorted []PropertyDependency // by key, each key once
}

// NewPropertyDependencies returns the property dependencies deps lists. It sorts deps in place and keeps
// it. A key listed more than once keeps its last entry, as in a map literal.
func NewPropertyDependencies(deps []PropertyDependency) PropertyDependencies {
	if len(deps) == 0 {
		return PropertyDependencies{}
	}
	slices.SortStableFunc(deps, byKey)
	kept := deps[:0]
	for i, d := range deps {
		if i+1 < len(deps) && deps[i+1].Key == d.Key {
			continue // a later entry of the same key wins
		}
		kept = append(kept, d)
	}
	return PropertyDependencies{sorted: kept}
}

// PropertyDependenciesOf returns the property dependencies of a map.
func PropertyDependenciesOf(m map[resource.PropertyKey][]resource.URN) PropertyDependencies {
	deps := make([]PropertyDependency, 0, len(m))
	for k, urns := range m {
		deps = append(deps, PropertyDependency{Key: k, URNs: urns})
	}
	return NewPropertyDependencies(deps)
}

func byKey(a, b PropertyDependency) int { return cmp.Compare(a.Key, b.Key) }

// find returns where key is, or would be inserted, and whether it is there.
func (pds PropertyDependencies) find(key resource.PropertyKey) (int, bool) {
	return slices.BinarySearchFunc(pds.sorted, key, func(d PropertyDependency, k resource.PropertyKey) int {
		return cmp.Compare(d.Key, k)
	})
}

// Of returns the resources the top-level property key depends on; none when it has no entry.
func (pds PropertyDependencies) Of(key resource.PropertyKey) []resource.URN {
	if i, ok := pds.find(key); ok {
		return pds.sorted[i].URNs
	}
	return nil
}

// Len is how many properties have an entry.
func (pds PropertyDependencies) Len() int { return len(pds.sorted) }

// All yields each property and its resources, in the order of the keys.
func (pds PropertyDependencies) All() iter.Seq2[resource.PropertyKey, []resource.URN] {
	return func(yield func(resource.PropertyKey, []resource.URN) bool) {
		for _, d := range pds.sorted {
			if !yield(d.Key, d.URNs) {
				return
			}
		}
	}
}

// Set gives the property key the resources urns, replacing its entry if it has one. Set and Delete
// change a copy of the list, so that a copy of pds (a copied resource) keeps its entries.
func (pds *PropertyDependencies) Set(key resource.PropertyKey, urns []resource.URN) {
	i, ok := pds.find(key)
	if ok {
		pds.sorted = slices.Clone(pds.sorted)
		pds.sorted[i].URNs = urns
		return
	}
	pds.sorted = slices.Insert(slices.Clip(pds.sorted), i, PropertyDependency{Key: key, URNs: urns})
}

// Delete removes the entry of the property key, if it has one.
func (pds *PropertyDependencies) Delete(key resource.PropertyKey) {
	if i, ok := pds.find(key); ok {
		pds.sorted = slices.Delete(slices.Clone(pds.sorted), i, i+1)
	}
}
