package policy_test

import (
	"maps"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

func TestPropertyDependencies(t *testing.T) {
	t.Parallel()
	a, b, c := resource.URN("urn:a"), resource.URN("urn:b"), resource.URN("urn:c")

	var none policy.PropertyDependencies
	assert.Zero(t, none.Len())
	assert.Nil(t, none.Of("vpcId"))
	assert.Empty(t, maps.Collect(none.All()))

	pds := policy.NewPropertyDependencies([]policy.PropertyDependency{
		{Key: "subnetIds", URNs: []resource.URN{a}},
		{Key: "vpcId", URNs: []resource.URN{b}},
		{Key: "empty"},
		{Key: "subnetIds", URNs: []resource.URN{a, c}}, // the last entry of a key wins, as in a map literal
	})
	assert.Equal(t, 3, pds.Len())
	assert.Equal(t, []resource.URN{a, c}, pds.Of("subnetIds"))
	assert.Equal(t, []resource.URN{b}, pds.Of("vpcId"))
	assert.Nil(t, pds.Of("empty"))
	assert.Nil(t, pds.Of("missing"))
	var keys []resource.PropertyKey
	for k := range pds.All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []resource.PropertyKey{"empty", "subnetIds", "vpcId"}, keys, "in the order of the keys")

	m := map[resource.PropertyKey][]resource.URN{"vpcId": {b}, "subnetIds": {a, c}, "empty": nil}
	assert.Equal(t, pds, policy.PropertyDependenciesOf(m))
	assert.Equal(t, m, maps.Collect(pds.All()))
}

func TestPropertyDependenciesSetAndDelete(t *testing.T) {
	t.Parallel()
	a, b := resource.URN("urn:a"), resource.URN("urn:b")
	pds := policy.PropertyDependenciesOf(map[resource.PropertyKey][]resource.URN{"b": {a}, "d": {a}})
	copied := pds

	pds.Set("d", []resource.URN{b})
	pds.Set("c", []resource.URN{b})
	pds.Set("a", []resource.URN{b})
	assert.Equal(t, map[resource.PropertyKey][]resource.URN{"a": {b}, "b": {a}, "c": {b}, "d": {b}}, maps.Collect(pds.All()))

	pds.Delete("b")
	pds.Delete("missing")
	assert.Equal(t, map[resource.PropertyKey][]resource.URN{"a": {b}, "c": {b}, "d": {b}}, maps.Collect(pds.All()))
	assert.Equal(t, map[resource.PropertyKey][]resource.URN{"b": {a}, "d": {a}}, maps.Collect(copied.All()),
		"a copy keeps its entries")
}
