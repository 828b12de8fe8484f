package project_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/project"
)

const projectYAML = `name: ess-ha
runtime: go
config:
  deployment: {type: string, default: ess-ha}
  peerRegion: {type: string, default: ""}
  zones: {type: integer, default: 3}
`

func files(stacks map[string]string) fstest.MapFS {
	fs := fstest.MapFS{"Pulumi.yaml": {Data: []byte(projectYAML)}}
	for name, body := range stacks {
		fs["Pulumi."+name+".yaml"] = &fstest.MapFile{Data: []byte(body)}
	}
	return fs
}

func TestLoadAppliesDeclaredDefaultsAndTypes(t *testing.T) {
	fs := files(map[string]string{"a": "config:\n  aws:region: us-east-1\n"})
	_, cfg, err := project.Load(context.Background(), fs, "a", map[string]string{"peerRegion": "us-west-2"})
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", cfg["aws:region"])
	assert.Equal(t, "ess-ha", cfg["ess-ha:deployment"], "declared default applied")
	assert.Equal(t, "3", cfg["ess-ha:zones"])
	assert.Equal(t, "us-west-2", cfg["ess-ha:peerRegion"], "override applied")

	_, _, err = project.Load(context.Background(), fs, "a", map[string]string{"zones": "many"})
	require.Error(t, err, "a value of the wrong type is refused as pulumi up refuses it")
	assert.Contains(t, err.Error(), "zones")
}

func TestPairs(t *testing.T) {
	ctx := context.Background()
	pair := files(map[string]string{
		"east":   "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n  ess-ha:deployment: acme\n",
		"west":   "config:\n  aws:region: us-west-2\n  ess-ha:peerRegion: us-east-1\n  ess-ha:deployment: acme\n",
		"single": "config:\n  aws:region: eu-west-1\n",
	})
	pairs, err := project.Pairs(ctx, pair)
	require.NoError(t, err)
	assert.Equal(t, []project.Pair{{Deployment: "acme", Regions: []string{"us-east-1", "us-west-2"}}}, pairs)

	oneSided := files(map[string]string{
		"east": "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n",
		"west": "config:\n  aws:region: us-west-2\n",
	})
	_, err = project.Pairs(ctx, oneSided)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no stack in us-west-2 names us-east-1 back")
}

func TestShippedStacksFormOnePair(t *testing.T) {
	pairs, err := project.Pairs(context.Background(), essha.ProjectFiles())
	require.NoError(t, err)
	assert.Equal(t, []project.Pair{{Deployment: "example-solid-prod", Regions: []string{"us-east-1", "us-west-2"}}}, pairs)
}
