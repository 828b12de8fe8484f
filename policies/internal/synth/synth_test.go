package synth

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSizesAreExact(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 10, CellSize + 2, 1000} {
		assert.Len(t, New(n).Resources, n)
	}
	s := New(2 + CellSize)
	cells := 0
	for _, r := range s.Resources {
		if r.Type == "ess-ha:region:Region" {
			cells++
		}
	}
	assert.Equal(t, 1, cells, "one whole cell")
}

func TestDependenciesComeFirst(t *testing.T) {
	t.Parallel()
	s := New(1000)
	seen := map[resource.URN]bool{}
	ids := map[string]bool{}
	for _, r := range s.Resources {
		require.False(t, seen[r.URN], "duplicate %s", r.URN)
		for _, d := range r.Dependencies {
			assert.True(t, seen[d], "%s depends on %s, which comes later", r.URN, d)
		}
		for k, ds := range r.PropertyDependencies {
			for _, d := range ds {
				assert.Contains(t, r.Dependencies, d, "%s.%s", r.URN, k)
			}
		}
		if r.Parent != "" {
			assert.True(t, seen[r.Parent], "%s's parent comes later", r.URN)
		}
		if r.Custom {
			require.False(t, ids[r.ID], "duplicate id %s", r.ID)
			ids[r.ID] = true
		}
		seen[r.URN] = true
	}
}

func TestEncodings(t *testing.T) {
	t.Parallel()
	s := New(200)
	req, err := s.AnalyzeStackRequest()
	require.NoError(t, err)
	require.Len(t, req.GetResources(), 200)
	var db map[resource.PropertyKey]resource.PropertyValue
	for _, r := range req.GetResources() {
		if r.GetType() == "aws:rds/instance:Instance" {
			db, err = plugin.UnmarshalProperties(r.GetProperties(), plugin.MarshalOptions{KeepSecrets: true})
			require.NoError(t, err)
			assert.NotEmpty(t, r.GetPropertyDependencies()["dbSubnetGroupName"].GetUrns())
			break
		}
	}
	require.NotNil(t, db)
	assert.True(t, db["password"].IsSecret())
	assert.True(t, db["multiAz"].BoolValue())

	b, err := s.StateJSON()
	require.NoError(t, err)
	var doc struct {
		Version    int `json:"version"`
		Deployment struct {
			Resources []map[string]any `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.Equal(t, 3, doc.Version)
	assert.Len(t, doc.Deployment.Resources, 200)
}
