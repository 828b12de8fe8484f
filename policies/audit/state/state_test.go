package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets/b64"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/audit/state"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

const prefix = "urn:pulumi:dev::proj::"

func stateOf(t *testing.T, resources []map[string]any, mutate func(manifest map[string]any)) []byte {
	t.Helper()
	version := "v3.259.0"
	manifest := map[string]any{"time": "2026-01-01T00:00:00Z", "version": version,
		"magic": "3a8caea57c2ab58d5a5fcb7be4d1dd36ea40937d2aeacc5887ca8fd6fe0a5e55"}
	var m apitype.ManifestV1
	m.Version = version
	manifest["magic"] = m.NewMagic()
	if mutate != nil {
		mutate(manifest)
	}
	b, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"manifest": manifest, "resources": resources}})
	require.NoError(t, err)
	return b
}

// base is a small valid state: the stack, a provider and a VPC.
func base() []map[string]any {
	return []map[string]any{
		{"urn": prefix + "pulumi:pulumi:Stack::proj-dev", "custom": false, "type": "pulumi:pulumi:Stack"},
		{"urn": prefix + "pulumi:providers:aws::default", "custom": true, "id": "p1", "type": "pulumi:providers:aws"},
		{"urn": prefix + "aws:ec2/vpc:Vpc::main", "custom": true, "id": "vpc-1", "type": "aws:ec2/vpc:Vpc",
			"parent": prefix + "pulumi:pulumi:Stack::proj-dev", "provider": prefix + "pulumi:providers:aws::default::p1",
			"outputs": map[string]any{"cidrBlock": "10.0.0.0/16"}},
	}
}

// engineVerdict runs the engine's own integrity check on a state.
func engineVerdict(t *testing.T, b []byte) error {
	t.Helper()
	var u apitype.UntypedDeployment
	require.NoError(t, json.Unmarshal(b, &u))
	snap, err := stack.DeserializeUntypedDeployment(t.Context(), &u, b64.Base64SecretsProvider)
	if err != nil {
		return err
	}
	return snap.VerifyIntegrity()
}

// TestBrokenStatesAreRefused: every broken state the engine refuses is refused, with an error naming
// the file, where in it and what is wrong (the defect: they passed in silence, or with a hint about
// encrypted secrets).
func TestBrokenStatesAreRefused(t *testing.T) {
	t.Parallel()
	withVPC := func(extra map[string]any) []map[string]any { return append(base(), extra) }
	cases := []struct {
		name  string
		state []byte
		want  []string
		// engine is false when the engine accepts the file or cannot read it at all.
		engine bool
	}{
		{"empty object", []byte(`{}`), []string{`neither "version" nor "deployment"`, "pulumi stack export"}, false},
		{"null", []byte(`null`), []string{"the document is null"}, false},
		{"null deployment", []byte(`{"version":3,"deployment":null}`), []string{"deployment: is null, not an object"}, false},
		{"not JSON", []byte(`{"version": 3,`), []string{"not JSON"}, false},
		{"wrong version", []byte(`{"version": 99, "deployment": {}}`), []string{"version: 99 is not supported; want 3"}, false},
		{"duplicate URN", stateOf(t, withVPC(map[string]any{"urn": prefix + "aws:ec2/vpc:Vpc::main", "custom": true, "id": "vpc-2",
			"type": "aws:ec2/vpc:Vpc", "outputs": map[string]any{"cidrBlock": "0.0.0.0/0"}}), nil),
			[]string{"deployment.resources[3].urn", "duplicate resource " + prefix + "aws:ec2/vpc:Vpc::main", "deployment.resources[2]"}, true},
		{"dangling parent", stateOf(t, withVPC(map[string]any{"urn": prefix + "aws:ec2/subnet:Subnet::a", "custom": true, "id": "s-1",
			"type": "aws:ec2/subnet:Subnet", "parent": prefix + "ess-ha:network:Network::gone"}), nil),
			[]string{"deployment.resources[3].parent", "ess-ha:network:Network::gone is missing from the file"}, true},
		{"dangling dependency", stateOf(t, withVPC(map[string]any{"urn": prefix + "aws:ec2/subnet:Subnet::a", "custom": true, "id": "s-1",
			"type": "aws:ec2/subnet:Subnet", "dependencies": []string{prefix + "aws:ec2/vpc:Vpc::gone"}}), nil),
			[]string{"deployment.resources[3].dependencies[0]", "dependency", "missing"}, true},
		{"dangling property dependency", stateOf(t, withVPC(map[string]any{"urn": prefix + "aws:ec2/subnet:Subnet::a", "custom": true, "id": "s-1",
			"type": "aws:ec2/subnet:Subnet", "propertyDependencies": map[string]any{"vpcId": []string{prefix + "aws:ec2/vpc:Vpc::gone"}}}), nil),
			[]string{"deployment.resources[3].propertyDependencies.vpcId[0]", "from property vpcId"}, true},
		{"dangling provider", stateOf(t, withVPC(map[string]any{"urn": prefix + "aws:ec2/subnet:Subnet::a", "custom": true, "id": "s-1",
			"type": "aws:ec2/subnet:Subnet", "provider": prefix + "pulumi:providers:aws::other::p9"}), nil),
			[]string{"deployment.resources[3].provider", "unknown provider"}, true},
		{"cycle", stateOf(t, append(base(),
			map[string]any{"urn": prefix + "aws:ec2/subnet:Subnet::a", "custom": true, "id": "s-1", "type": "aws:ec2/subnet:Subnet",
				"dependencies": []string{prefix + "aws:ec2/subnet:Subnet::b"}},
			map[string]any{"urn": prefix + "aws:ec2/subnet:Subnet::b", "custom": true, "id": "s-2", "type": "aws:ec2/subnet:Subnet",
				"dependencies": []string{prefix + "aws:ec2/subnet:Subnet::a"}}), nil),
			[]string{"deployment.resources[3].dependencies[0]", "comes after it (at deployment.resources[4])", "cycle"}, true},
		{"bad magic", stateOf(t, base(), func(m map[string]any) { m["magic"] = "0000" }),
			[]string{"deployment.manifest.magic", "does not match"}, true},
		{"component with an ID", stateOf(t, withVPC(map[string]any{"urn": prefix + "ess-ha:x:Y::c", "custom": false, "id": "x", "type": "ess-ha:x:Y"}), nil),
			[]string{"deployment.resources[3].id", "'custom' false"}, true},
		// Found by FuzzRun: the SDK's provider reference checks assert (panic) on a URN whose type has
		// no module, so these crashed the audit.
		{"provider whose URN names no provider type", stateOf(t, withVPC(map[string]any{"urn": prefix + "pulumi:s::p2", "custom": true, "id": "p2",
			"type": "pulumi:providers:aws"}), nil),
			[]string{"deployment.resources[3].urn", "provider " + prefix + "pulumi:s::p2", "not a provider type"}, false},
		{"provider reference whose URN names no provider type", stateOf(t, withVPC(map[string]any{"urn": prefix + "aws:ec2/subnet:Subnet::a", "custom": true, "id": "s-1",
			"type": "aws:ec2/subnet:Subnet", "provider": prefix + "pulumi:s::default::p1"}), nil),
			[]string{"deployment.resources[3].provider", "malformed provider reference", "not a provider type"}, false},
		{"invalid URN", stateOf(t, withVPC(map[string]any{"urn": "vpc-main", "custom": true, "id": "x", "type": "aws:ec2/vpc:Vpc"}), nil),
			[]string{"deployment.resources[3].urn", "not a valid URN"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := state.Parse(t.Context(), "broken.json", c.state)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "broken.json: ")
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "encrypted", "no misleading hint about secrets")
			if c.engine {
				assert.Error(t, engineVerdict(t, c.state), "the engine refuses it too")
			}
		})
	}
	_, err := state.Parse(t.Context(), "ok.json", stateOf(t, base(), nil))
	require.NoError(t, err)
	require.NoError(t, engineVerdict(t, stateOf(t, base(), nil)))
}

// TestPropertiesAsTheEngineSeesThem compares the decoded properties with the engine's own decoding of
// the same file for a generated stack with secrets, unknowns and nested values.
func TestPropertiesAsTheEngineSeesThem(t *testing.T) {
	t.Parallel()
	b, err := synth.NewMix(400).StateJSON()
	require.NoError(t, err)
	f, err := state.Parse(t.Context(), "mix.json", b)
	require.NoError(t, err)
	var u apitype.UntypedDeployment
	require.NoError(t, json.Unmarshal(b, &u))
	snap, err := stack.DeserializeUntypedDeployment(t.Context(), &u, b64.Base64SecretsProvider)
	require.NoError(t, err)
	require.Len(t, f.Resources, len(snap.Resources))
	for i, r := range snap.Resources {
		got := f.Resources[i]
		assert.Equal(t, r.URN, got.URN)
		for k, v := range r.Outputs {
			assert.True(t, v.DeepEquals(got.Outputs[k]), fmt.Sprintf("%s.%s", r.URN, k))
		}
	}
	_ = deploy.Snapshot{}
}

// TestReadFileDecodesAsParse reads a state file from disk, a range at a time, and checks that it gives
// what parsing its bytes in memory gives; an empty file and a missing file are errors naming the file.
func TestReadFileDecodesAsParse(t *testing.T) {
	t.Parallel()
	b, err := synth.NewMix(1_200).StateJSON() // several chunks of resources
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "mix.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))

	want, err := state.Parse(t.Context(), path, b)
	require.NoError(t, err)
	got, err := state.ReadFile(t.Context(), path)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	empty := filepath.Join(t.TempDir(), "empty.json")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	_, err = state.ReadFileWith(t.Context(), "empty.json", empty, state.Options{})
	require.ErrorContains(t, err, "empty.json")

	_, err = state.ReadFile(t.Context(), filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "missing.json")
}

// TestReadFileStopsWhenCancelled checks that reading a file stops with the context's error.
func TestReadFileStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	b, err := synth.NewMix(1_200).StateJSON()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "mix.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = state.ReadFile(ctx, path)
	require.ErrorIs(t, err, context.Canceled)
}
