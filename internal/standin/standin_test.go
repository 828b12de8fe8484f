package standin

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/internal/mocks"
)

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(resource.NewPropertyMapFromMap(m), marshal)
	require.NoError(t, err)
	return s
}

func read(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	require.NoError(t, err)
	return m
}

func configured(t *testing.T, region string) *Provider {
	t.Helper()
	p := New("6.83.2")
	args, err := structpb.NewStruct(map[string]any{"region": region})
	require.NoError(t, err)
	resp, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: args})
	require.NoError(t, err)
	assert.True(t, resp.GetSupportsPreview())
	assert.True(t, resp.GetAcceptSecrets())
	return p
}

// TestCreateGivesWhatTheMocksGive registers the same VPC under the SDK mocks and with the stand-in: the
// same ID and outputs, from the one source of fake values.
func TestCreateGivesWhatTheMocksGive(t *testing.T) {
	m := mocks.New("ess-ha", "dev", "us-east-1")
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		_, err := ec2.NewVpc(ctx, "vpc", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16"),
			Tags: pulumi.StringMap{"Name": pulumi.String("ess")}})
		return err
	}))
	reg := m.ByType("aws:ec2/vpc:Vpc")[0]

	p := configured(t, "us-east-1")
	in, err := plugin.MarshalProperties(reg.Inputs, marshal)
	require.NoError(t, err)
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: string(reg.URN), Properties: in})
	require.NoError(t, err)
	assert.Equal(t, reg.ID, resp.GetId())
	assert.Equal(t, reg.Outputs, read(t, resp.GetProperties()))
	assert.Regexp(t, `^vpc-[0-9a-f]{17}$`, resp.GetId())
}

func TestCreateInAPreviewLeavesComputedOutputsUnknown(t *testing.T) {
	p := configured(t, "us-east-1")
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: "urn:pulumi:dev::ess-ha::aws:ec2/vpc:Vpc::vpc", Properties: props(t, map[string]any{"cidrBlock": "10.0.0.0/16"}),
		Preview: true,
	})
	require.NoError(t, err)
	assert.Empty(t, resp.GetId(), "no ID before AWS creates the resource")
	out := read(t, resp.GetProperties())
	assert.Equal(t, resource.PropertyMap{"cidrBlock": resource.NewProperty("10.0.0.0/16")}, out, "the inputs, no ARN")
}

func TestUpdateInAPreviewKeepsComputedOutputs(t *testing.T) {
	p := configured(t, "us-east-1")
	urn := "urn:pulumi:dev::ess-ha::aws:cloudwatch/logGroup:LogGroup::logs"
	created, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: props(t, map[string]any{"name": "logs", "retentionInDays": 90})})
	require.NoError(t, err)
	news := props(t, map[string]any{"name": "logs", "retentionInDays": 30})
	preview, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn, Id: created.GetId(), Olds: created.GetProperties(), News: news, Preview: true})
	require.NoError(t, err)
	out := read(t, preview.GetProperties())
	assert.Equal(t, read(t, created.GetProperties())["arn"], out["arn"], "the ARN stays known: dependents show no change")
	assert.Equal(t, resource.NewProperty(30.0), out["retentionInDays"])

	updated, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn, Id: created.GetId(), Olds: created.GetProperties(), News: news})
	require.NoError(t, err)
	assert.Equal(t, out, read(t, updated.GetProperties()), "the preview told what the update does")
}

func TestDiffLeavesTheComparisonToTheEngine(t *testing.T) {
	resp, err := New("").Diff(context.Background(), &pulumirpc.DiffRequest{})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_UNKNOWN, resp.GetChanges())
}

func TestInvokeAnswersForTheProvidersRegion(t *testing.T) {
	p := configured(t, "us-west-2")
	resp, err := p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "aws:index/getRegion:getRegion", Args: props(t, nil)})
	require.NoError(t, err)
	assert.Equal(t, "us-west-2", read(t, resp.GetReturn())["name"].StringValue())

	_, err = p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "aws:ec2/getAmi:getAmi", Args: props(t, nil)})
	assert.Equal(t, codes.Unimplemented, status.Code(err))
	assert.ErrorContains(t, err, "aws:ec2/getAmi:getAmi")
	assert.ErrorContains(t, err, "internal/fakevalues")

	resp, err = p.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: "aws:index/getIpRanges:getIpRanges",
		Args: props(t, map[string]any{"services": []any{"route53Healthchecks"}})})
	require.NoError(t, err, "a failed invoke is reported as the provider's failure, not an RPC error")
	require.Len(t, resp.GetFailures(), 1)
	assert.Contains(t, resp.GetFailures()[0].GetReason(), "no CIDR blocks")
}

func TestCallsBeforeConfigureFailClearly(t *testing.T) {
	_, err := New("").Create(context.Background(), &pulumirpc.CreateRequest{Urn: "urn:pulumi:dev::p::aws:ec2/vpc:Vpc::vpc", Properties: props(t, nil)})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err))
	assert.ErrorContains(t, err, "aws:region")
}

func TestConfigureReadsTheStacksRegionWhenTheProviderHasNone(t *testing.T) {
	p := New("")
	_, err := p.Configure(t.Context(), &pulumirpc.ConfigureRequest{Variables: map[string]string{"aws:region": "eu-west-1"}}) //nolint:staticcheck // the fallback for engines that send only variables
	require.NoError(t, err)
	r, err := p.regionOf()
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", r.Name)
}

func TestVersionIsThePulumiAWSSDKs(t *testing.T) {
	info := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "github.com/pulumi/pulumi/sdk/v3", Version: "v3.259.0"},
		{Path: "github.com/pulumi/pulumi-aws/sdk/v6", Version: "v6.83.2"},
	}}
	assert.Equal(t, "6.83.2", sdkVersion(info))
	info.Deps[1].Replace = &debug.Module{Path: "../pulumi-aws/sdk", Version: "v6.90.0"}
	assert.Equal(t, "6.90.0", sdkVersion(info), "a replacement's version")
	assert.Empty(t, sdkVersion(&debug.BuildInfo{}))
	assert.Empty(t, sdkVersion(nil))
}
