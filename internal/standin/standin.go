// Package standin is a stand-in for the AWS provider plugin (pulumi-resource-aws) that lets the Pulumi
// engine preview, deploy, preview again and destroy the ess-ha program with no AWS account. It answers
// as AWS would in shape only: every resource gets the deterministic ID and computed outputs of package
// fakevalues (the same values `essha plan` gives under the SDK mocks), every invoke fakevalues' answer,
// and nothing is validated or created anywhere.
//
// The engine does the rest itself: Check accepts the inputs as they are, and Diff answers DIFF_UNKNOWN
// so that the engine compares old and new inputs. Previews behave as a bridged provider's: a new
// resource's computed outputs (ID, ARN, endpoints) are unknown, as in a first preview against AWS; an
// updated resource keeps the computed outputs it has, so that what depends on them shows no change.
package standin

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	sdkprovider "github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/internal/fakevalues"
)

// Package is the provider's package name, as in the type tokens it serves (aws:ec2/vpc:Vpc).
const Package = "aws"

// awsSDK is the module of the pulumi-aws SDK whose version the stand-in reports as its own.
const awsSDK = "github.com/pulumi/pulumi-aws/sdk/v6"

// Main runs the stand-in as the engine's provider plugin process: it serves on a free port, prints the
// port for the engine, and returns when the engine is done with it.
func Main() error {
	return sdkprovider.Main(Package, func(*sdkprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return New(Version()), nil
	})
}

// Version is the version of the pulumi-aws SDK linked into this binary (the provider the program's
// resources ask for), or "" when the build carries no module information.
func Version() string {
	info, _ := debug.ReadBuildInfo()
	return sdkVersion(info)
}

// sdkVersion reads the pulumi-aws SDK's version, without its "v", from a binary's build information.
func sdkVersion(info *debug.BuildInfo) string {
	if info == nil {
		return ""
	}
	for _, dep := range info.Deps {
		if dep.Path != awsSDK {
			continue
		}
		if dep.Replace != nil && dep.Replace.Version != "" {
			dep = dep.Replace
		}
		return strings.TrimPrefix(dep.Version, "v")
	}
	return ""
}

// Provider is the stand-in provider: one instance per provider resource the engine configures (the
// default AWS provider of a stack, or an explicit one for another region).
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	version string

	mu     sync.Mutex
	region string
}

// New returns an unconfigured stand-in that reports version as its own.
func New(version string) *Provider { return &Provider{version: version} }

// marshal are the options the stand-in (un)marshals properties with: secrets and resource references
// kept, as the SDK mocks keep them, so both hand fakevalues the same values.
var marshal = plugin.MarshalOptions{KeepSecrets: true, KeepResources: true, KeepUnknowns: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, marshal)
}

// regionOf returns the fake region the provider was configured for.
func (p *Provider) regionOf() (fakevalues.Region, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.region == "" {
		return fakevalues.Region{}, status.Error(codes.FailedPrecondition,
			"the stand-in AWS provider has no region: set aws:region in the stack's configuration, or region on the provider")
	}
	return fakevalues.Region{Name: p.region}, nil
}

// Handshake declares what the stand-in accepts: secrets and resource references, as the SDK mocks
// keep them. A provider that handshakes supports previews (Create and Update with preview set).
func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

// GetPluginInfo reports the stand-in's version: the pulumi-aws SDK's.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

// CheckConfig accepts the provider's configuration as it is.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig lets the engine compare the old and new configuration itself.
func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_UNKNOWN}, nil
}

// Configure takes the region from the provider's configuration (region, or the stack's aws:region).
func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	region := ""
	if args := req.GetArgs(); args != nil {
		if v, ok := args.GetFields()["region"]; ok {
			region = v.GetStringValue()
		}
	}
	if region == "" {
		region = req.GetVariables()["aws:region"] //nolint:staticcheck // engines older than the args protocol send only variables
	}
	p.mu.Lock()
	p.region = region
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, SupportsPreview: true}, nil
}

// Check accepts a resource's inputs as they are: no defaults, no validation.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// Diff lets the engine compare the old and new inputs itself (DIFF_UNKNOWN): a change is an update,
// never a replacement, since the stand-in does not know which properties force one.
func (p *Provider) Diff(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_UNKNOWN}, nil
}

// Create gives a new resource fakevalues' ID and outputs. In a preview its outputs are its inputs: the
// ID and every computed output are unknown until AWS creates it.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if req.GetPreview() {
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	id, outputs, err := p.compute(req.GetUrn(), req.GetProperties())
	if err != nil {
		return nil, err
	}
	props, err := plugin.MarshalProperties(outputs, marshal)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", req.GetUrn(), err)
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Update recomputes a resource's outputs from its new inputs; its ID does not change. In a preview its
// outputs are its old outputs with the new inputs over them: the computed outputs stay what they are,
// as AWS keeps a resource's ARN through an update in place.
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	if req.GetPreview() {
		return p.previewUpdate(req)
	}
	_, outputs, err := p.compute(req.GetUrn(), req.GetNews())
	if err != nil {
		return nil, err
	}
	props, err := plugin.MarshalProperties(outputs, marshal)
	if err != nil {
		return nil, fmt.Errorf("updating %s: %w", req.GetUrn(), err)
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// previewUpdate answers an Update in a preview.
func (p *Provider) previewUpdate(req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, fmt.Errorf("reading the outputs of %s: %w", req.GetUrn(), err)
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, fmt.Errorf("reading the inputs of %s: %w", req.GetUrn(), err)
	}
	outputs := olds.Copy()
	for k, v := range news {
		outputs[k] = v
	}
	props, err := plugin.MarshalProperties(outputs, marshal)
	if err != nil {
		return nil, fmt.Errorf("previewing the update of %s: %w", req.GetUrn(), err)
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// compute returns fakevalues' ID and outputs for a resource's inputs.
func (p *Provider) compute(rawURN string, inputs *structpb.Struct) (string, resource.PropertyMap, error) {
	urn, err := resource.ParseURN(rawURN)
	if err != nil {
		return "", nil, status.Errorf(codes.InvalidArgument, "bad URN %q: %v", rawURN, err)
	}
	props, err := unmarshal(inputs)
	if err != nil {
		return "", nil, fmt.Errorf("reading the inputs of %s: %w", urn, err)
	}
	if props.ContainsUnknowns() {
		return "", nil, status.Errorf(codes.InvalidArgument, "%s: inputs still unknown outside a preview", urn)
	}
	region, err := p.regionOf()
	if err != nil {
		return "", nil, err
	}
	id, outputs := region.Resource(string(urn.Type()), urn.Name(), string(urn), props)
	return id, outputs, nil
}

// Read returns the resource as the engine last recorded it: the stand-in's AWS never drifts.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// Delete forgets a resource.
func (p *Provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Invoke answers a data source with fakevalues' answer for the provider's region. A data source
// fakevalues does not answer fails, naming it, rather than returning something made up here.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, fmt.Errorf("reading the arguments of %s: %w", req.GetTok(), err)
	}
	region, err := p.regionOf()
	if err != nil {
		return nil, err
	}
	out, err := region.Invoke(req.GetTok(), args)
	if errors.Is(err, fakevalues.ErrUnknownInvoke) {
		return nil, status.Errorf(codes.Unimplemented,
			"the stand-in AWS provider has no answer for %s: add one to internal/fakevalues", req.GetTok())
	}
	if err != nil {
		// An invoke whose arguments the fake rejects answers with a failure, as a provider does; the call
		// itself succeeded.
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Reason: err.Error()}}}, nil //nolint:nilerr // the error is the response
	}
	ret, err := plugin.MarshalProperties(out, marshal)
	if err != nil {
		return nil, fmt.Errorf("answering %s: %w", req.GetTok(), err)
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// Cancel has nothing to stop: every call returns at once.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
