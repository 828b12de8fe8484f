package analyzer

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/synth"
)

// TestUnmarshalPropertiesAsThePlugin decodes every kind of value the engine sends, and the synthetic
// stack's, with the fast decoder and with plugin.UnmarshalProperties: the results are equal.
func TestUnmarshalPropertiesAsThePlugin(t *testing.T) {
	t.Parallel()
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
			got, err := unmarshalProperties(s, out, &budget{limits: defaultLimits})
			require.NoError(t, err)
			assert.True(t, resource.NewObjectProperty(want).DeepEquals(resource.NewObjectProperty(got)), "%v then %v:\nwant %v\ngot  %v", in, out, want, got)
		}
	}
	req, err := synth.New(500).AnalyzeStackRequest()
	require.NoError(t, err)
	for _, r := range req.GetResources() {
		want, err := plugin.UnmarshalProperties(r.GetProperties(), checkOptions)
		require.NoError(t, err)
		got, err := unmarshalProperties(r.GetProperties(), checkOptions, &budget{limits: defaultLimits})
		require.NoError(t, err)
		require.True(t, resource.NewObjectProperty(want).DeepEquals(resource.NewObjectProperty(got)), r.GetUrn())
	}
}

// TestAnalyzeStackStopsWhenCancelled: a cancelled call stops: it returns Canceled and runs no policy.
func TestAnalyzeStackStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	req, err := synth.New(20_000).AnalyzeStackRequest()
	require.NoError(t, err)
	ran := 0
	srv, err := New(Pack{Name: "p", Version: "0.1.0", Policies: []policy.Policy{{Name: "count", DefaultLevel: policy.Mandatory,
		CheckStack: func(context.Context, *policy.Stack, policy.Args) []policy.Violation { ran++; return nil }}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = srv.AnalyzeStack(ctx, req)
	assert.Equal(t, codes.Canceled, status.Code(err))
	assert.Zero(t, ran)
	_, err = decodeStack(ctx, req, defaultLimits)
	assert.ErrorIs(t, err, context.Canceled, "decoding stops too")
}
