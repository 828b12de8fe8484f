package registry_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/registry"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

func runReplication(t *testing.T, region string, args *registry.ReplicationArgs) (*mocks.Mocks, *registry.Replication, error) {
	t.Helper()
	m := mocks.New("ess-ha", "prod-"+region, region)
	var comp *registry.Replication
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = registry.NewReplication(ctx, "replication", args)
		return err
	})
	return m, comp, err
}

// rule returns the single rule of the single replication configuration a run created.
func rule(t *testing.T, m *mocks.Mocks) (*mocks.Registration, map[string][]map[string]string) {
	t.Helper()
	cfgs := m.ByType("aws:ecr/replicationConfiguration:ReplicationConfiguration")
	require.Len(t, cfgs, 1)
	rules := cfgs[0].Inputs["replicationConfiguration"].ObjectValue()["rules"].ArrayValue()
	require.Len(t, rules, 1, "one rule")
	out := map[string][]map[string]string{}
	for k, list := range rules[0].ObjectValue() {
		for _, e := range list.ArrayValue() {
			row := map[string]string{}
			for f, v := range e.ObjectValue() {
				row[string(f)] = v.StringValue()
			}
			out[string(k)] = append(out[string(k)], row)
		}
	}
	return cfgs[0], out
}

func TestReplicationToPeerRegion(t *testing.T) {
	t.Parallel()
	m, comp, err := runReplication(t, "us-east-1", &registry.ReplicationArgs{
		DestinationRegion:  "us-west-2",
		RepositoryPrefixes: []string{"inrupt/", "backend/"},
	})
	require.NoError(t, err)
	comps := m.ByType("ess-ha:registry:Replication")
	require.Len(t, comps, 1)
	cfg, r := rule(t, m)
	assert.Equal(t, comps[0].URN, cfg.Parent, "a child of the component")
	assert.Equal(t, "replication-configuration", cfg.Name)

	assert.Equal(t, []map[string]string{{"region": "us-west-2", "registryId": mocks.Account}}, r["destinations"],
		"to the peer region, in this account")
	assert.Equal(t, []map[string]string{
		{"filter": "inrupt/", "filterType": "PREFIX_MATCH"},
		{"filter": "backend/", "filterType": "PREFIX_MATCH"},
	}, r["repositoryFilters"], "only the pools' repositories")

	assert.Equal(t, mocks.Account, mockstest.Await[string](t, comp.RegistryID))
	assert.Equal(t, "us-west-2", mockstest.Await[string](t, comp.DestinationRegion))
	assert.Equal(t, mocks.Account, mockstest.Await[string](t, comp.DestinationRegistryID))
	assert.Equal(t, []string{"inrupt/", "backend/"}, mockstest.Await[[]string](t, comp.RepositoryPrefixes))
}

// TestReplicationBothWays plans the pair: each region replicates to the other.
func TestReplicationBothWays(t *testing.T) {
	t.Parallel()
	pair := map[string]string{"us-east-1": "us-west-2", "us-west-2": "us-east-1"}
	for region, peer := range pair {
		m, _, err := runReplication(t, region, &registry.ReplicationArgs{DestinationRegion: peer, RepositoryPrefixes: []string{"inrupt/"}})
		require.NoError(t, err, region)
		_, r := rule(t, m)
		require.Len(t, r["destinations"], 1)
		assert.Equal(t, peer, r["destinations"][0]["region"], "%s replicates to %s", region, peer)
	}
}

func TestReplicationOtherAccount(t *testing.T) {
	t.Parallel()
	m, comp, err := runReplication(t, "us-east-1", &registry.ReplicationArgs{
		DestinationRegion:  "eu-west-1",
		RepositoryPrefixes: []string{"inrupt/ess-ldp"},
		RegistryID:         "210987654321",
	})
	require.NoError(t, err)
	_, r := rule(t, m)
	assert.Equal(t, []map[string]string{{"region": "eu-west-1", "registryId": "210987654321"}}, r["destinations"])
	assert.Equal(t, "210987654321", mockstest.Await[string](t, comp.DestinationRegistryID))
}

func TestReplicationSameRegionRefused(t *testing.T) {
	t.Parallel()
	m, _, err := runReplication(t, "us-east-1", &registry.ReplicationArgs{DestinationRegion: "us-east-1", RepositoryPrefixes: []string{"inrupt/"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ReplicationArgs.DestinationRegion \"us-east-1\" is this stack's own region")
	assert.Empty(t, m.ByType("aws:ecr/replicationConfiguration:ReplicationConfiguration"), "nothing is replicated")
}

func TestReplicationArgsErrors(t *testing.T) {
	t.Parallel()
	many := make([]string, registry.MaxRepositoryFilters+1)
	for i := range many {
		many[i] = "p" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "/" + strings.Repeat("y", i/26)
	}
	cases := []struct {
		name string
		args *registry.ReplicationArgs
		want string
	}{
		{"nil", nil, "ReplicationArgs is nil"},
		{"no region", &registry.ReplicationArgs{RepositoryPrefixes: []string{"inrupt/"}}, "ReplicationArgs.DestinationRegion"},
		{"bad region", &registry.ReplicationArgs{DestinationRegion: "US-WEST-2", RepositoryPrefixes: []string{"inrupt/"}}, "ReplicationArgs.DestinationRegion"},
		{"no prefixes", &registry.ReplicationArgs{DestinationRegion: "us-west-2"}, "ReplicationArgs.RepositoryPrefixes is empty"},
		{"upper-case prefix", &registry.ReplicationArgs{DestinationRegion: "us-west-2", RepositoryPrefixes: []string{"Inrupt/"}}, "ReplicationArgs.RepositoryPrefixes[0]"},
		{"one-character prefix", &registry.ReplicationArgs{DestinationRegion: "us-west-2", RepositoryPrefixes: []string{"i"}}, "ReplicationArgs.RepositoryPrefixes[0]"},
		{"double slash", &registry.ReplicationArgs{DestinationRegion: "us-west-2", RepositoryPrefixes: []string{"inrupt//"}}, "ReplicationArgs.RepositoryPrefixes[0]"},
		{"duplicate prefix", &registry.ReplicationArgs{DestinationRegion: "us-west-2", RepositoryPrefixes: []string{"inrupt/", "inrupt/"}}, "ReplicationArgs.RepositoryPrefixes[1]"},
		{"too many prefixes", &registry.ReplicationArgs{DestinationRegion: "us-west-2", RepositoryPrefixes: many}, "ECR allows 100"},
		{"bad registry", &registry.ReplicationArgs{DestinationRegion: "us-west-2", RepositoryPrefixes: []string{"inrupt/"}, RegistryID: "acct-1"}, "ReplicationArgs.RegistryID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _, err := runReplication(t, "us-east-1", c.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Contains(t, err.Error(), "replication replication:")
			assert.Empty(t, m.Registrations(), "nothing is created")
		})
	}
}
