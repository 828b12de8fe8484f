package availability

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/audit/topology"
)

func sampleRegion(name string, dbZones ...string) topology.Region {
	three := []string{"a", "b", "c"}
	return topology.Region{
		Stack: name, Name: name,
		LoadBalancers: []topology.Node{{Name: "alb", Label: "load balancer, internet-facing", Zones: three}},
		Pools: []topology.Node{{Name: "ess", Label: "ess pool, 3 to 9 instances", Zones: three, Size: 3},
			{Name: "backend", Label: "backend pool, 3 to 9 instances", Zones: three, Size: 3}},
		Databases: []topology.Node{{Name: "db", Label: "Aurora cluster, 2 instance(s)", Zones: dbZones, Size: 2}},
		Caches:    []topology.Node{{Name: "cache", Label: "cache, 2 node(s)", Zones: []string{"a", "b"}, Size: 2}},
	}
}

// TestModel: tiers get the SLA the topology earns, a region is their product, the pair is the
// availability of either region; the estimate says it is a model, with its assumptions and sources.
func TestModel(t *testing.T) {
	t.Parallel()
	e := Of(&topology.Topology{Regions: []topology.Region{sampleRegion("east", "a", "b"), sampleRegion("west", "a")}})
	require.Len(t, e.Regions, 2)
	assert.True(t, strings.HasPrefix(e.Model, "MODEL"))
	assert.NotEmpty(t, e.Assumptions)
	for _, s := range e.Sources {
		assert.True(t, strings.HasPrefix(s.URL, "https://aws.amazon.com/"), s.URL)
	}
	east, west := e.Regions[0], e.Regions[1]
	assert.InDelta(t, 0.9999*0.9999*0.9999*0.9999*0.9999, east.Availability, 1e-12, "every tier multi-AZ")
	assert.Equal(t, auroraSingle, west.Tiers[4].SLA, "a cluster in one zone gets the single-AZ commitment")
	assert.Less(t, west.Availability, east.Availability)
	require.NotNil(t, e.Pair)
	assert.InDelta(t, 1-(1-east.Availability)*(1-west.Availability), e.Pair.Availability, 1e-12)
	assert.Len(t, e.Pair.RegionLoss, 2)
	assert.Contains(t, strings.Join(east.AZLoss, "\n"), "keeps at least 2 of its 3 instances")
	assert.Contains(t, strings.Join(west.AZLoss, "\n"), "database db is lost with zone a")

	one := Of(&topology.Topology{Regions: []topology.Region{sampleRegion("east", "a", "b")}})
	assert.Nil(t, one.Pair, "no pair estimate for one stack")
}
