package analyzer

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// The resource types of the test pack.
const (
	bucketType = "test:index:Bucket"
	subnetType = "aws:ec2/subnet:Subnet"
	groupType  = "aws:autoscaling/group:Group"
)

// secretValue must never appear in a diagnostic.
const secretValue = "hunter2-do-not-print"

// testURN names a resource of the test stack.
func testURN(typ, name string) resource.URN {
	return resource.NewURN("dev", "proj", "", tokens.Type(typ), name)
}

// recorder remembers what the test pack's policies were given.
type recorder struct {
	mu        sync.Mutex
	calls     map[string]int
	args      map[string][]policy.Args
	resources map[resource.URN]*policy.Resource
	stack     *policy.Stack
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, args: map[string][]policy.Args{}, resources: map[resource.URN]*policy.Resource{}}
}

func (r *recorder) call(name string, args policy.Args) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[name]++
	r.args[name] = append(r.args[name], args)
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[name]
}

func (r *recorder) lastArgs(t *testing.T, name string) policy.Args {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.args[name], "policy %s never ran", name)
	return r.args[name][len(r.args[name])-1]
}

// testPack is a pack exercising every kind of policy the server handles:
//   - bucket-public (mandatory resource policy): buckets with acl public-read; unknown acl cannot be verified;
//   - tags (advisory resource policy with a remediation, configurable tagKey);
//   - encrypted (remediate by default, no remediation, so mandatory): buckets with encrypted false;
//   - zones (mandatory stack policy, configurable minimumZones): subnets span too few AZs;
//   - off (disabled by default): must never run;
//   - boom, stack-boom, fix-boom: panic in a resource check, a stack check and a remediation; disabled
//     (the first two) or advisory, which does not run a remediation, until a test turns them on, since a
//     failing policy fails the whole call.
func testPack(rec *recorder) Pack {
	return Pack{
		Name:    "test-pack",
		Version: "0.1.0",
		Policies: []policy.Policy{
			{
				Name:           "bucket-public",
				DisplayName:    "Buckets are private",
				Description:    "Buckets must not be public.",
				Recommendation: "Test doc, section Buckets",
				DefaultLevel:   policy.Mandatory,
				CheckResource: func(_ context.Context, r *policy.Resource, args policy.Args) []policy.Violation {
					rec.call("bucket-public", args)
					if r.Type != bucketType {
						return nil
					}
					rec.mu.Lock()
					rec.resources[r.URN] = r
					rec.mu.Unlock()
					acl := r.Properties["acl"]
					switch {
					case acl.IsComputed():
						return []policy.Violation{{Message: fmt.Sprintf("%s: cannot verify during preview: acl is unknown", r.Name), CannotVerify: true}}
					case acl.IsString() && acl.StringValue() == "public-read":
						return []policy.Violation{{Message: fmt.Sprintf("%s: acl is public-read; set it to private", r.Name)}}
					}
					return nil
				},
			},
			{
				Name:         "tags",
				Description:  "Resources carry an owner tag.",
				DefaultLevel: policy.Advisory,
				Schema: &policy.Schema{Properties: map[string]map[string]any{
					"tagKey": {"type": "string", "default": "owner", "description": "the tag to require"},
				}},
				CheckResource: func(_ context.Context, r *policy.Resource, args policy.Args) []policy.Violation {
					rec.call("tags", args)
					key := args.Config["tagKey"].(string)
					tags := r.Properties["tags"]
					if tags.IsObject() && tags.ObjectValue().HasValue(resource.PropertyKey(key)) {
						return nil
					}
					return []policy.Violation{{Message: fmt.Sprintf("%s: tags has no %q; add it", r.Name, key)}}
				},
				Remediate: func(_ context.Context, r *policy.Resource, args policy.Args) (resource.PropertyMap, error) {
					rec.call("tags.remediate", args)
					key := resource.PropertyKey(args.Config["tagKey"].(string))
					tags := resource.PropertyMap{}
					if t := r.Properties["tags"]; t.IsObject() {
						tags = t.ObjectValue().Copy()
					}
					if tags.HasValue(key) {
						return nil, nil
					}
					tags[key] = resource.NewStringProperty("platform")
					out := r.Properties.Copy()
					out["tags"] = resource.NewObjectProperty(tags)
					return out, nil
				},
			},
			{
				Name:         "encrypted",
				Description:  "Buckets are encrypted.",
				DefaultLevel: policy.Remediate,
				CheckResource: func(_ context.Context, r *policy.Resource, args policy.Args) []policy.Violation {
					rec.call("encrypted", args)
					if e := r.Properties["encrypted"]; r.Type == bucketType && e.IsBool() && !e.BoolValue() {
						return []policy.Violation{{Message: r.Name + ": encrypted is false; set it to true"}}
					}
					return nil
				},
			},
			{
				Name:         "zones",
				Description:  "Subnets span enough availability zones.",
				DefaultLevel: policy.Mandatory,
				Schema: &policy.Schema{Properties: map[string]map[string]any{
					"minimumZones": {"type": "integer", "minimum": 1, "default": 2},
				}},
				CheckStack: func(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
					rec.call("zones", args)
					rec.mu.Lock()
					rec.stack = s
					rec.mu.Unlock()
					zones := map[string]bool{}
					var out []policy.Violation
					for _, r := range s.Resources {
						if r.Type != subnetType {
							continue
						}
						az := r.Properties["availabilityZone"]
						switch {
						case az.IsComputed():
							out = append(out, policy.Violation{URN: r.URN, CannotVerify: true,
								Message: r.Name + ": cannot verify during preview: availabilityZone is unknown"})
						case az.IsString():
							zones[az.StringValue()] = true
						}
					}
					minimum := int(args.Config["minimumZones"].(float64))
					if len(zones) < minimum {
						out = append(out, policy.Violation{Message: fmt.Sprintf("subnets span %d availability zones; minimumZones is %d", len(zones), minimum)})
					}
					return out
				},
			},
			{
				Name:         "off",
				Description:  "Never runs.",
				DefaultLevel: policy.Disabled,
				CheckResource: func(_ context.Context, r *policy.Resource, args policy.Args) []policy.Violation {
					rec.call("off", args)
					return []policy.Violation{{Message: "off ran"}}
				},
			},
			{
				Name:         "boom",
				Description:  "Panics.",
				DefaultLevel: policy.Disabled,
				CheckResource: func(context.Context, *policy.Resource, policy.Args) []policy.Violation {
					panic("kaboom")
				},
			},
			{
				Name:         "stack-boom",
				Description:  "Panics on stacks.",
				DefaultLevel: policy.Disabled,
				CheckStack: func(context.Context, *policy.Stack, policy.Args) []policy.Violation {
					var m map[string]int
					m["x"] = 1 //nolint:staticcheck // the policy panics on purpose: a nil map write
					return nil
				},
			},
			{
				Name:         "fix-boom",
				Description:  "Its remediation panics.",
				DefaultLevel: policy.Advisory,
				Remediate: func(_ context.Context, r *policy.Resource, _ policy.Args) (resource.PropertyMap, error) {
					r.Properties["damaged"] = resource.NewBoolProperty(true) // must not leak to later remediations
					panic("remediation kaboom")
				},
			},
		},
	}
}

// start serves pack on 127.0.0.1:0 over real gRPC and returns a client connected to it.
func start(t *testing.T, pack Pack) (pulumirpc.AnalyzerClient, *Server) {
	t.Helper()
	srv, err := New(pack)
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(1 << 30))
	pulumirpc.RegisterAnalyzerServer(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(1<<30), grpc.MaxCallRecvMsgSize(1<<30)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return pulumirpc.NewAnalyzerClient(conn), srv
}

// testContext bounds a test's calls.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
