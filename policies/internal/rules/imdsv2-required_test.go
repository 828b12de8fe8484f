package rules

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

func TestRemediateIMDSv2(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lt := func(opts resource.PropertyValue) *policy.Resource {
		props := resource.PropertyMap{"imageId": resource.NewStringProperty("ami-1")}
		if !opts.IsNull() {
			props["metadataOptions"] = opts
		}
		return &policy.Resource{URN: "urn:pulumi:s::p::aws:ec2/launchTemplate:LaunchTemplate::lt", Type: graph.TypeLaunchTemplate, Properties: props}
	}
	t.Run("optional becomes required, other options kept", func(t *testing.T) {
		r := lt(resource.NewObjectProperty(resource.PropertyMap{
			"httpTokens":              resource.NewStringProperty("optional"),
			"httpEndpoint":            resource.NewStringProperty("enabled"),
			"httpPutResponseHopLimit": resource.NewNumberProperty(3),
		}))
		fixed, err := remediateIMDSv2(ctx, r, policy.Args{})
		require.NoError(t, err)
		require.NotNil(t, fixed)
		assert.Equal(t, "required", graph.Get(fixed, "metadataOptions.httpTokens").Value.StringValue())
		assert.Equal(t, 3.0, graph.Get(fixed, "metadataOptions.httpPutResponseHopLimit").Value.NumberValue())
		assert.Equal(t, "ami-1", fixed["imageId"].StringValue())
		assert.Equal(t, "optional", graph.Prop(r, "metadataOptions.httpTokens").Value.StringValue(), "the input is not changed")
		assert.Empty(t, checkIMDSv2(ctx, &policy.Resource{URN: r.URN, Type: r.Type, Properties: fixed}, policy.Args{}))
	})
	t.Run("unset gets the defaults containers need", func(t *testing.T) {
		fixed, err := remediateIMDSv2(ctx, lt(resource.NewNullProperty()), policy.Args{})
		require.NoError(t, err)
		assert.Equal(t, "required", graph.Get(fixed, "metadataOptions.httpTokens").Value.StringValue())
		assert.Equal(t, "enabled", graph.Get(fixed, "metadataOptions.httpEndpoint").Value.StringValue())
		assert.Equal(t, 2.0, graph.Get(fixed, "metadataOptions.httpPutResponseHopLimit").Value.NumberValue())
	})
	t.Run("compliant, unknown and other types are left alone", func(t *testing.T) {
		for _, r := range []*policy.Resource{
			lt(resource.NewObjectProperty(resource.PropertyMap{"httpTokens": resource.NewStringProperty("required")})),
			lt(resource.NewObjectProperty(resource.PropertyMap{"httpTokens": resource.MakeComputed(resource.NewStringProperty(""))})),
			lt(resource.MakeComputed(resource.NewObjectProperty(resource.PropertyMap{}))),
			{URN: "urn:pulumi:s::p::aws:s3/bucketV2:BucketV2::b", Type: graph.TypeS3BucketV2, Properties: resource.PropertyMap{}},
		} {
			fixed, err := remediateIMDSv2(ctx, r, policy.Args{})
			require.NoError(t, err)
			assert.Nil(t, fixed)
		}
	})
}
