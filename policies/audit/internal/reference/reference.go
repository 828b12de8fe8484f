// Package reference runs the pack the way `pulumi policy analyze --file` does: the engine's own
// snapshot analysis (deploy.AnalyzeSnapshot) driving the pack's Analyzer server over gRPC. It is slow
// and exists only so that tests can prove the audit's direct engine reaches the same verdicts, and it
// converts fixtures into state files for them.
package reference

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"sort"
	"strings"
	"sync"

	pkganalyzer "github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets/b64"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Finding is one diagnostic as the engine reports it.
type Finding struct {
	Policy  string
	Level   string
	URN     string
	Message string
}

// Analyze runs the pack on a state file through the engine and the gRPC server, with configuration
// as a --policy-pack-config file holds it (reconciled as the CLI does), and returns the findings
// sorted.
func Analyze(ctx context.Context, pack analyzer.Pack, state []byte, config map[string]plugin.AnalyzerPolicyConfig) ([]Finding, error) {
	var untyped apitype.UntypedDeployment
	if err := json.Unmarshal(state, &untyped); err != nil {
		return nil, err
	}
	snap, err := stack.DeserializeUntypedDeployment(ctx, &untyped, b64.Base64SecretsProvider)
	if err != nil {
		return nil, err
	}
	srv, err := analyzer.New(pack)
	if err != nil {
		return nil, err
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(math.MaxInt32), grpc.MaxSendMsgSize(math.MaxInt32))
	pulumirpc.RegisterAnalyzerServer(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	conn, err := grpc.NewClient("passthrough:///pack",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32), grpc.MaxCallSendMsgSize(math.MaxInt32)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	a := plugin.NewAnalyzerWithClient(tokens.QName(pack.Name), pulumirpc.NewAnalyzerClient(conn))
	info, err := a.GetAnalyzerInfo(ctx)
	if err != nil {
		return nil, err
	}
	cfg, invalid, err := pkganalyzer.ReconcilePolicyPackConfig(info.Policies, info.InitialConfig, config)
	if err != nil {
		return nil, err
	}
	if len(invalid) > 0 {
		return nil, fmt.Errorf("invalid config: %v", invalid)
	}
	if err := a.Configure(ctx, cfg); err != nil {
		return nil, err
	}
	c := &collector{}
	if _, err := deploy.AnalyzeSnapshot(ctx, snap, []plugin.Analyzer{a}, nil /* no policy exceptions */, c); err != nil {
		return nil, err
	}
	sort.Slice(c.out, func(i, j int) bool {
		a, b := c.out[i], c.out[j]
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.URN != b.URN {
			return a.URN < b.URN
		}
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		return a.Message < b.Message
	})
	return c.out, nil
}

type collector struct {
	mu  sync.Mutex
	out []Finding
}

// OnPolicyViolation records a finding. The reference passes no policy exceptions, so there are none.
func (c *collector) OnPolicyViolation(urn resource.URN, d plugin.AnalyzeDiagnostic, _ []apitype.PolicyEventException) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.URN != "" {
		urn = d.URN
	}
	c.out = append(c.out, Finding{Policy: d.PolicyName, Level: string(d.EnforcementLevel), URN: string(urn), Message: d.Message})
}

func (c *collector) OnPolicyRemediation(urn resource.URN, rem plugin.Remediation, _, _ property.Map) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out = append(c.out, Finding{Policy: rem.PolicyName, Level: "remediate", URN: string(urn)})
}
func (c *collector) OnPolicyAnalyzeSummary(plugin.PolicySummary)      {}
func (c *collector) OnPolicyRemediateSummary(plugin.PolicySummary)    {}
func (c *collector) OnPolicyAnalyzeStackSummary(plugin.PolicySummary) {}

// StateOf writes a stack (a fixture's) as a state file the engine and the audit both accept: its
// properties as inputs and outputs, resources ordered so that every parent and dependency comes first,
// references to resources outside the stack dropped, and the manifest's magic cookie right.
func StateOf(st *policy.Stack) ([]byte, error) {
	urns := map[resource.URN]*policy.Resource{}
	for _, r := range st.Resources {
		urns[r.URN] = r
	}
	keep := func(us []resource.URN) []resource.URN {
		var out []resource.URN
		for _, u := range us {
			if _, ok := urns[u]; ok {
				out = append(out, u)
			}
		}
		return out
	}
	// Depth-first order: dependencies before dependents; a cycle's back edge is dropped.
	var ordered []*policy.Resource
	state := map[resource.URN]int{}
	var visit func(r *policy.Resource)
	deps := func(r *policy.Resource) []resource.URN {
		all := append([]resource.URN{r.Parent}, r.Dependencies...)
		for _, urns := range r.PropertyDependencies.All() {
			all = append(all, urns...)
		}
		return keep(all)
	}
	visit = func(r *policy.Resource) {
		if state[r.URN] != 0 {
			return
		}
		state[r.URN] = 1
		for _, d := range deps(r) {
			if state[d] == 0 {
				visit(urns[d])
			}
		}
		state[r.URN] = 2
		ordered = append(ordered, r)
	}
	for _, r := range st.Resources {
		visit(r)
	}
	pos := map[resource.URN]int{}
	for i, r := range ordered {
		pos[r.URN] = i
	}
	before := func(i int, us []resource.URN) []resource.URN {
		var out []resource.URN
		for _, u := range keep(us) {
			if pos[u] < i {
				out = append(out, u)
			}
		}
		return out
	}
	res := make([]apitype.ResourceV3, 0, len(ordered))
	for i, r := range ordered {
		props, err := stack.SerializeProperties(context.Background(), r.Properties, config.NopEncrypter, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.URN, err)
		}
		custom := r.Type != string(resource.RootStackType) && !strings.HasPrefix(r.Type, "ess-ha:")
		id := resource.ID(r.ID)
		if !custom {
			id = ""
		}
		out := apitype.ResourceV3{URN: r.URN, Type: tokens.Type(r.Type), Custom: custom, ID: id,
			Inputs: props, Outputs: props, Dependencies: before(i, r.Dependencies)}
		if p := before(i, []resource.URN{r.Parent}); len(p) == 1 {
			out.Parent = p[0]
		}
		if r.PropertyDependencies.Len() > 0 {
			out.PropertyDependencies = map[resource.PropertyKey][]resource.URN{}
			for k, v := range r.PropertyDependencies.All() {
				if kept := before(i, v); len(kept) > 0 {
					out.PropertyDependencies[k] = kept
				}
			}
		}
		res = append(res, out)
	}
	m := apitype.ManifestV1{Version: "fixture"}
	m.Magic = m.NewMagic()
	dep, err := json.Marshal(apitype.DeploymentV3{Manifest: m, Resources: res})
	if err != nil {
		return nil, err
	}
	return json.Marshal(apitype.UntypedDeployment{Version: 3, Deployment: dep})
}
