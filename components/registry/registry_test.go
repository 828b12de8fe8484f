package registry

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

func run(t *testing.T, args *RegistryArgs) (*mocks.Mocks, *Registry, error) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var comp *Registry
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewRegistry(ctx, "registry", args)
		return err
	})
	return m, comp, err
}

func TestRegistryRepositories(t *testing.T) {
	t.Parallel()
	m, comp, err := run(t, &RegistryArgs{
		Repositories: []string{"inrupt/ess-ldp", "backend/prometheus"},
		Tags:         map[string]string{"project": "ess-ha"},
	})
	require.NoError(t, err)

	keys := m.ByType("aws:kms/key:Key")
	require.Len(t, keys, 1)
	assert.True(t, keys[0].Inputs["enableKeyRotation"].BoolValue(), "the CMK rotates")
	keyArn := keys[0].Outputs["arn"].StringValue()
	aliases := m.ByType("aws:kms/alias:Alias")
	require.Len(t, aliases, 1)
	assert.Equal(t, "alias/ess-ha-test-registry", aliases[0].Inputs["name"].StringValue())
	assert.Equal(t, keys[0].ID, aliases[0].Inputs["targetKeyId"].StringValue())

	repos := m.ByType("aws:ecr/repository:Repository")
	require.Len(t, repos, 2)
	names := map[string]bool{}
	for _, r := range repos {
		in := r.Inputs
		names[in["name"].StringValue()] = true
		assert.Equal(t, "IMMUTABLE", in["imageTagMutability"].StringValue(), "tags are immutable")
		assert.True(t, in["imageScanningConfiguration"].ObjectValue()["scanOnPush"].BoolValue(), "scan on push")
		enc := in["encryptionConfigurations"].ArrayValue()
		require.Len(t, enc, 1)
		assert.Equal(t, "KMS", enc[0].ObjectValue()["encryptionType"].StringValue())
		assert.Equal(t, keyArn, enc[0].ObjectValue()["kmsKey"].StringValue(), "encrypted with the registry's CMK")
		assert.Equal(t, "ess-ha", in["tags"].ObjectValue()["project"].StringValue(), "tagged")
	}
	assert.Equal(t, map[string]bool{"inrupt/ess-ldp": true, "backend/prometheus": true}, names)

	policies := m.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy")
	require.Len(t, policies, 2)
	for _, p := range policies {
		assert.True(t, names[p.Inputs["repository"].StringValue()], "the policy is on a repository of the registry")
		var doc struct {
			Rules []struct {
				Selection struct {
					CountType   string `json:"countType"`
					CountNumber int    `json:"countNumber"`
				} `json:"selection"`
				Action struct {
					Type string `json:"type"`
				} `json:"action"`
			} `json:"rules"`
		}
		require.NoError(t, json.Unmarshal([]byte(p.Inputs["policy"].StringValue()), &doc))
		require.Len(t, doc.Rules, 1)
		assert.Equal(t, "imageCountMoreThan", doc.Rules[0].Selection.CountType)
		assert.Equal(t, DefaultKeepImages, doc.Rules[0].Selection.CountNumber, "KeepImages defaults to 30")
		assert.Equal(t, "expire", doc.Rules[0].Action.Type)
	}

	require.Contains(t, comp.URLs, "inrupt/ess-ldp")
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/inrupt/ess-ldp", mockstest.Await[any](t, comp.URLs["inrupt/ess-ldp"]))
	assert.Equal(t, "arn:aws:ecr:us-east-1:123456789012:repository/backend/prometheus", mockstest.Await[any](t, comp.Arns["backend/prometheus"]))
	assert.Equal(t, keyArn, mockstest.Await[any](t, comp.KmsKeyArn))
	assertParented(t, m, "ess-ha:registry:Registry")
}

func TestRegistryKeepImages(t *testing.T) {
	t.Parallel()
	m, _, err := run(t, &RegistryArgs{Repositories: []string{"inrupt/ess-ldp"}, KeepImages: 5})
	require.NoError(t, err)
	policies := m.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy")
	require.Len(t, policies, 1)
	assert.Contains(t, policies[0].Inputs["policy"].StringValue(), `"countNumber":5`)
}

func TestRegistryRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args *RegistryArgs
		want string
	}{
		{"nil", nil, "RegistryArgs is nil"},
		{"no repositories", &RegistryArgs{}, "RegistryArgs.Repositories is empty"},
		{"empty name", &RegistryArgs{Repositories: []string{"a/b", ""}}, "RegistryArgs.Repositories[1] is empty"},
		{"duplicate", &RegistryArgs{Repositories: []string{"inrupt/ess-ldp", "inrupt/ess-ldp"}}, `RegistryArgs.Repositories[1] = "inrupt/ess-ldp" is a duplicate`},
		{"registry host", &RegistryArgs{Repositories: []string{"docker.io/Inrupt/ess"}}, "not a valid ECR repository name"},
		{"negative keep", &RegistryArgs{Repositories: []string{"a/b"}, KeepImages: -1}, "RegistryArgs.KeepImages = -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := run(t, tc.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType("aws:ecr/repository:Repository"), "nothing is created")
		})
	}
}

func assertParented(t *testing.T, m *mocks.Mocks, componentType string) {
	t.Helper()
	comps := m.ByType(componentType)
	require.Len(t, comps, 1)
	children := 0
	for _, r := range m.Registrations() {
		if r.Type == componentType {
			continue
		}
		children++
		assert.Equal(t, comps[0].URN, r.Parent, "%s %s is parented to the component", r.Type, r.Name)
		assert.Contains(t, r.Name, "registry", "child names carry the component's name")
	}
	assert.NotZero(t, children)
}
