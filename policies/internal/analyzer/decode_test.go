package analyzer

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

// TestUnmarshalPropertiesAsThePlugin decodes every kind of value the engine sends, and the synthetic
// stack's, with the fast decoder and with plugin.UnmarshalProperties: the results are equal.
func TestUnmarshalPropertiesAsThePlugin(t *testing.T) {
	a, err := asset.FromText("hello")
	require.NoError(t, err)
	urn := resource.URN("urn:pulumi:dev::proj::aws:ec2/vpc:Vpc::main")
	pm := resource.PropertyMap{
		"null":          resource.NewNullProperty(),
		"bool":          resource.NewBoolProperty(true),
		"number":        resource.NewNumberProperty(3.5),
		"string":        resource.NewStringProperty("x"),
		"unknowns":      resource.NewArrayProperty([]resource.PropertyValue{resource.MakeComputed(resource.NewStringProperty("")), resource.MakeComputed(resource.NewBoolProperty(false)), resource.MakeComputed(resource.NewObjectProperty(resource.PropertyMap{}))}),
		"secret":        resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"p": resource.NewStringProperty("hunter2")})),
		"nested":        resource.NewObjectProperty(resource.PropertyMap{"a": resource.NewArrayProperty([]resource.PropertyValue{resource.MakeSecret(resource.NewNumberProperty(1))})}),
		"asset":         resource.NewAssetProperty(a),
		"ref":           resource.MakeCustomResourceReference(urn, "vpc-1", ""),
		"output":        resource.NewOutputProperty(resource.Output{Element: resource.NewStringProperty("o"), Known: true, Secret: true, Dependencies: []resource.URN{urn}}),
		"unknownOutput": resource.NewOutputProperty(resource.Output{Known: false}),
		"__internal":    resource.NewStringProperty("kept"),
	}
	for _, in := range []plugin.MarshalOptions{
		{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true},
		{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true},
		{KeepUnknowns: true, KeepSecrets: true},
	} {
		s, err := plugin.MarshalProperties(pm, in)
		require.NoError(t, err)
		for _, out := range []plugin.MarshalOptions{checkOptions, remediateOptions} {
			want, err := plugin.UnmarshalProperties(s, out)
			require.NoError(t, err)
			got, err := unmarshalProperties(s, out)
			require.NoError(t, err)
			assert.True(t, resource.NewObjectProperty(want).DeepEquals(resource.NewObjectProperty(got)), "%v then %v:\nwant %v\ngot  %v", in, out, want, got)
		}
	}
	req, err := synth.New(500).AnalyzeStackRequest()
	require.NoError(t, err)
	for _, r := range req.GetResources() {
		want, err := plugin.UnmarshalProperties(r.GetProperties(), checkOptions)
		require.NoError(t, err)
		got, err := unmarshalProperties(r.GetProperties(), checkOptions)
		require.NoError(t, err)
		require.True(t, resource.NewObjectProperty(want).DeepEquals(resource.NewObjectProperty(got)), r.GetUrn())
	}
}
