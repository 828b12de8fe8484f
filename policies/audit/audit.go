// Package audit runs the ess-ha policy pack on a state file (what `pulumi stack export` or `essha plan`
// writes) without the Pulumi CLI: the engine's own snapshot analysis, deploy.AnalyzeSnapshot, the code
// behind `pulumi policy analyze --file`, drives the pack's Analyzer server over an in-memory gRPC
// connection. An auditor gets the same verdicts as the CLI, from one binary, with a report to keep.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/pkg/v3/resource/deploy"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets/b64"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/pack"
)


// Finding is one policy violation.
type Finding struct {
	Policy  string                   `json:"policy"`
	Level   apitype.EnforcementLevel `json:"level"`
	URN     resource.URN             `json:"urn,omitempty"`
	Message string                   `json:"message"`
}

// Report is the outcome of an audit.
type Report struct {
	Pack      string `json:"pack"`
	Resources int    `json:"resources"`
	// Compliant is true when no mandatory violation was found.
	Compliant bool      `json:"compliant"`
	Findings  []Finding `json:"findings"`
}

// Mandatory counts the mandatory findings.
func (r *Report) Mandatory() int {
	n := 0
	for _, f := range r.Findings {
		if f.Level == apitype.Mandatory {
			n++
		}
	}
	return n
}

// Run audits a state file (deployment JSON as `pulumi stack export` writes it) with the pack's policies
// configured by config (the --policy-pack-config format, already parsed; nil for the defaults).
func Run(ctx context.Context, state []byte, config map[string]plugin.AnalyzerPolicyConfig) (*Report, error) {
	var untyped apitype.UntypedDeployment
	if err := json.Unmarshal(state, &untyped); err != nil {
		return nil, fmt.Errorf("reading the state file: %w", err)
	}
	report := &Report{Pack: pack.Name + "@v" + pack.Version}
	// Plans and `pulumi stack export --show-secrets` write secrets as plaintext envelopes, which need no
	// secrets provider; an export with encrypted secrets needs the stack's own provider, which an
	// offline audit does not have.
	snap, err := stack.DeserializeUntypedDeployment(ctx, &untyped, b64.Base64SecretsProvider)
	if err != nil {
		return nil, fmt.Errorf("reading the state file: %w (if its secrets are encrypted, export it with `pulumi stack export --show-secrets`, or use `pulumi policy analyze`)", err)
	}
	for _, r := range snap.Resources {
		if !r.URN.IsValid() {
			return nil, fmt.Errorf("the state file has a resource with an invalid URN %q", r.URN)
		}
		if !r.Delete {
			report.Resources++
		}
	}

	a, stop, err := connect(ctx)
	if err != nil {
		return nil, err
	}
	defer stop()
	if config != nil {
		if err := a.Configure(ctx, config); err != nil {
			return nil, fmt.Errorf("configuring the policy pack: %w", err)
		}
	}
	events := &collector{}
	mandatory, err := deploy.AnalyzeSnapshot(ctx, snap, []plugin.Analyzer{a}, events)
	if err != nil {
		return nil, fmt.Errorf("running the policies: %w", err)
	}
	report.Findings = events.sorted()
	report.Compliant = !mandatory
	return report, nil
}

// connect serves the pack on an in-memory listener and returns the engine's analyzer client for it.
func connect(ctx context.Context) (plugin.Analyzer, func(), error) {
	srv, err := analyzer.New(pack.Definition())
	if err != nil {
		return nil, nil, fmt.Errorf("loading the policy pack: %w", err)
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	pulumirpc.RegisterAnalyzerServer(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///ess-ha-pack",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		gs.Stop()
		return nil, nil, fmt.Errorf("connecting to the policy pack: %w", err)
	}
	stop := func() {
		_ = conn.Close()
		gs.Stop()
	}
	return plugin.NewAnalyzerWithClient(tokens.QName(pack.Name), pulumirpc.NewAnalyzerClient(conn)), stop, nil
}

// collector gathers the engine's policy events. The engine calls it from several goroutines.
type collector struct {
	mu       sync.Mutex
	findings []Finding
}

var _ deploy.PolicyEvents = (*collector)(nil)

func (c *collector) OnPolicyViolation(urn resource.URN, d plugin.AnalyzeDiagnostic) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.URN != "" {
		urn = d.URN
	}
	c.findings = append(c.findings, Finding{Policy: d.PolicyName, Level: d.EnforcementLevel, URN: urn, Message: d.Message})
}

func (c *collector) OnPolicyRemediation(resource.URN, plugin.Remediation, property.Map, property.Map) {
}
func (c *collector) OnPolicyAnalyzeSummary(plugin.PolicySummary)      {}
func (c *collector) OnPolicyRemediateSummary(plugin.PolicySummary)    {}
func (c *collector) OnPolicyAnalyzeStackSummary(plugin.PolicySummary) {}

// sorted returns the findings mandatory first, then by policy, resource and message: a stable report.
func (c *collector) sorted() []Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]Finding{}, c.findings...)
	rank := map[apitype.EnforcementLevel]int{apitype.Mandatory: 0, apitype.Remediate: 1, apitype.Advisory: 2}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank[a.Level] != rank[b.Level] {
			return rank[a.Level] < rank[b.Level]
		}
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.URN != b.URN {
			return a.URN < b.URN
		}
		return a.Message < b.Message
	})
	return out
}

// ErrNotCompliant is returned by callers that turn a report with mandatory findings into a failure.
var ErrNotCompliant = errors.New("mandatory policy violations found")
