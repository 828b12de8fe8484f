// Package analyzer serves a pack of policies over Pulumi's Analyzer gRPC protocol, with the semantics of
// Pulumi's Node policy SDK: enforcement levels (pack default, per-policy default, configured level, the
// `all` key), configuration validated against each policy's schema, resource policies in Analyze, stack
// policies in AnalyzeStack, remediations in Remediate.
//
// What can go wrong, and what the engine sees:
//   - A violation is a diagnostic at the policy's level; a finding that cannot be decided during a
//     preview is an advisory diagnostic.
//   - A policy that fails (panics) is an error, never a violation, as in the Node policy SDK, which
//     fails the call with "Error validating resource with policy ..." when a policy throws: a failure
//     says nothing about the resource, so it must neither block as a violation that a waiver or a level
//     could silence, nor pass as advisory. The call fails with codes.Internal naming every policy that
//     failed (the others still run, so that all failures are reported at once); `pulumi preview` and
//     `pulumi up` stop with that error. A remediation that fails fails Remediate the same way. The
//     panic's stack goes to the plugin's standard error; the process stays up.
//   - A malformed request (a value with no kind, nesting deeper than MaxDepth, more than MaxValues
//     values, a string longer than MaxStringBytes) fails with codes.InvalidArgument, naming the
//     resource and the path of the value, before any policy runs.
//
// Every message that leaves the pack, diagnostic or error, passes through the request's secrets
// (package redact) and is at most MaxMessageBytes long; a policy reports at most
// MaxDiagnosticsPerPolicy diagnostics per call, and one more saying how many it left out.
package analyzer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	pkgplugin "github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/redact"
	"github.com/ess-ha/ess-ha/policies/internal/waiver"
)

// Bounds of what the pack says.
const (
	// MaxMessageBytes is the length of the longest diagnostic message or error; a longer one is cut,
	// saying how much was left out.
	MaxMessageBytes = 4 << 10
	// MaxDiagnosticsPerPolicy is how many diagnostics one policy reports in one call; the rest are
	// summed up in one more diagnostic at the highest level among them.
	MaxDiagnosticsPerPolicy = 250
)

// Pack is a policy pack to serve.
type Pack struct {
	// Name is the pack's name, as users see it in diagnostics and configure it in the service.
	Name string
	// Version is the pack's version; PulumiPolicy.yaml's version takes precedence in the engine.
	Version     string
	Description string
	// DefaultLevel applies to every policy that has no DefaultLevel of its own; empty means advisory,
	// as in Pulumi's Node policy SDK.
	DefaultLevel policy.Level
	Policies     []policy.Policy
}

// Option adjusts a Server.
type Option func(*Server)

// WithLog sends the stacks of panicking policies to w (the plugin's standard error). By default they
// are dropped; the diagnostic reports the panic either way.
func WithLog(w io.Writer) Option { return func(s *Server) { s.log = w } }

// WithClock sets the clock waivers are judged by (their expiry against the current UTC day); the
// default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// Server implements pulumirpc.AnalyzerServer for a Pack. It is safe for concurrent use: the engine
// analyzes resources in parallel.
type Server struct {
	pulumirpc.UnimplementedAnalyzerServer

	pack    Pack
	entries []*entry
	byName  map[string]*entry
	info    *pulumirpc.AnalyzerInfo
	log     io.Writer
	now     func() time.Time
	limits  limits

	// ctx is cancelled by Cancel; every policy call runs under it.
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.RWMutex
	state *state // replaced, never mutated
}

// entry is one policy, checked and prepared once.
type entry struct {
	p      policy.Policy
	level  policy.Level // the default level
	schema *pkgplugin.AnalyzerPolicyConfigSchema
}

// state is what the engine has told the server, replaced as a whole on every change.
type state struct {
	config packConfig
	dryRun bool
}

// packNameRE is the pattern Pulumi's policy SDKs require of pack names.
var packNameRE = regexp.MustCompile(`^[a-zA-Z0-9-_.]{1,100}$`)

// New checks the pack and returns a server for it, configured with every policy's default level and
// schema defaults until the engine sends configuration.
func New(pack Pack, opts ...Option) (*Server, error) {
	if !packNameRE.MatchString(pack.Name) {
		return nil, fmt.Errorf("invalid policy pack name %q: use 1 to 100 letters, digits, '-', '_' or '.'", pack.Name)
	}
	if pack.DefaultLevel == "" {
		pack.DefaultLevel = policy.Advisory
	}
	if !validLevel(pack.DefaultLevel) {
		return nil, fmt.Errorf("policy pack %s: invalid default enforcement level %q", pack.Name, pack.DefaultLevel)
	}
	s := &Server{pack: pack, byName: make(map[string]*entry, len(pack.Policies)), now: time.Now, limits: defaultLimits}
	for _, o := range opts {
		o(s)
	}
	for i := range pack.Policies {
		e, err := newEntry(pack.Policies[i], pack.DefaultLevel)
		if err != nil {
			return nil, fmt.Errorf("policy pack %s: %w", pack.Name, err)
		}
		if _, dup := s.byName[e.p.Name]; dup {
			return nil, fmt.Errorf("policy pack %s: two policies are named %q", pack.Name, e.p.Name)
		}
		s.entries = append(s.entries, e)
		s.byName[e.p.Name] = e
	}
	defaults, err := s.reconcile(nil)
	if err != nil {
		return nil, fmt.Errorf("the schema defaults do not validate: %w", err)
	}
	s.state = &state{config: defaults}
	if s.info, err = s.analyzerInfo(); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// newEntry checks one policy.
func newEntry(p policy.Policy, packLevel policy.Level) (*entry, error) {
	switch {
	case p.Name == "":
		return nil, errors.New("a policy has no name")
	case p.Name == allPolicies:
		return nil, fmt.Errorf("policy name %q is reserved", allPolicies)
	case p.CheckResource != nil && p.CheckStack != nil:
		return nil, fmt.Errorf("policy %s sets both CheckResource and CheckStack", p.Name)
	case p.CheckResource == nil && p.CheckStack == nil && p.Remediate == nil:
		return nil, fmt.Errorf("policy %s has neither a check nor a remediation", p.Name)
	}
	level := p.DefaultLevel
	if level == "" {
		level = packLevel
	}
	if !validLevel(level) {
		return nil, fmt.Errorf("policy %s: invalid default enforcement level %q", p.Name, level)
	}
	schema, err := compileSchema(&p)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", p.Name, err)
	}
	return &entry{p: p, level: level, schema: schema}, nil
}

// analyzerInfo describes the pack and every policy.
func (s *Server) analyzerInfo() (*pulumirpc.AnalyzerInfo, error) {
	info := &pulumirpc.AnalyzerInfo{
		Name:           s.pack.Name,
		DisplayName:    s.pack.Name,
		Version:        s.pack.Version,
		Description:    s.pack.Description,
		SupportsConfig: true,
	}
	for _, e := range s.entries {
		props := make(map[string]any, len(e.schema.Properties))
		for k, v := range e.schema.Properties {
			props[k] = map[string]any(v)
		}
		ps, err := structpb.NewStruct(props)
		if err != nil {
			return nil, fmt.Errorf("policy %s: encoding its schema: %w", e.p.Name, err)
		}
		display := e.p.DisplayName
		if display == "" {
			display = e.p.Name
		}
		pi := &pulumirpc.PolicyInfo{
			Name:             e.p.Name,
			DisplayName:      display,
			Description:      e.p.Description,
			EnforcementLevel: toRPCLevel(e.level),
			ConfigSchema:     &pulumirpc.PolicyConfigSchema{Properties: ps, Required: slices.Clone(e.schema.Required)},
			PolicyType:       pulumirpc.PolicyType_POLICY_TYPE_RESOURCE,
		}
		if e.p.CheckStack != nil {
			pi.PolicyType = pulumirpc.PolicyType_POLICY_TYPE_STACK
		}
		if e.p.Recommendation != "" {
			pi.Message = "Enforces: " + e.p.Recommendation
		}
		info.Policies = append(info.Policies, pi)
	}
	return info, nil
}

// names lists the pack's policy names in order.
func (s *Server) names() []string {
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.p.Name
	}
	return out
}

// Done is closed once Cancel has been called.
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// current returns the state in effect.
func (s *Server) current() *state {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state
}

// update replaces the state with f's change of a copy of it.
func (s *Server) update(f func(*state)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := *s.state
	f(&next)
	s.state = &next
}

// begin starts a policy-running call: it fails once the server is cancelled, and otherwise returns a
// context that ends with the call or with Cancel, whichever comes first.
func (s *Server) begin(ctx context.Context) (context.Context, func(), error) {
	if s.ctx.Err() != nil {
		return nil, nil, status.Error(codes.Canceled, "the policy pack has been cancelled")
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }, nil
}

// Handshake acknowledges the engine; the pack needs nothing from it.
func (s *Server) Handshake(context.Context, *pulumirpc.AnalyzerHandshakeRequest) (*pulumirpc.AnalyzerHandshakeResponse, error) {
	return &pulumirpc.AnalyzerHandshakeResponse{}, nil
}

// GetPluginInfo returns the pack's version.
func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.pack.Version}, nil
}

// GetAnalyzerInfo describes the pack and its policies with their default levels and config schemas.
func (s *Server) GetAnalyzerInfo(context.Context, *emptypb.Empty) (*pulumirpc.AnalyzerInfo, error) {
	return s.info, nil
}

// ConfigureStack records whether this is a preview; the protocol carries dry-run only here. The stack's
// configuration, which may hold secrets, is not kept.
func (s *Server) ConfigureStack(_ context.Context, req *pulumirpc.AnalyzerStackConfigureRequest) (*pulumirpc.AnalyzerStackConfigureResponse, error) {
	s.update(func(st *state) { st.dryRun = req.GetDryRun() })
	return &pulumirpc.AnalyzerStackConfigureResponse{}, nil
}

// Configure replaces the pack's configuration. Policies absent from the request return to their
// defaults. Invalid configuration is rejected with InvalidArgument and leaves the previous one in place.
func (s *Server) Configure(_ context.Context, req *pulumirpc.ConfigureAnalyzerRequest) (*emptypb.Empty, error) {
	b := &budget{limits: s.limits}
	for _, name := range slices.Sorted(maps.Keys(req.GetPolicyConfig())) {
		if err := checkName("policy name", name, b); err != nil {
			return nil, status.Error(codes.InvalidArgument, bound("malformed configuration: "+err.Error()))
		}
		if err := checkStruct(req.GetPolicyConfig()[name].GetProperties(), 0, b); err != nil {
			return nil, status.Error(codes.InvalidArgument, bound(fmt.Sprintf("malformed configuration of policy %.100q: %v", name, err.at("properties"))))
		}
	}
	cfg, err := s.reconcile(req.GetPolicyConfig())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.update(func(st *state) { st.config = cfg })
	return &emptypb.Empty{}, nil
}

// Cancel stops the pack: running policies see their context cancelled and later calls fail.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	s.cancel()
	return &emptypb.Empty{}, nil
}

// Analyze runs the resource policies on one resource's inputs.
func (s *Server) Analyze(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.AnalyzeResponse, error) {
	var r *policy.Resource
	return s.run(ctx, checks{
		applies: func(p policy.Policy) bool { return p.CheckResource != nil },
		decode: func(context.Context) (resource.URN, *redact.Set, error) {
			var err error
			if r, err = resourceFromRequest(req, checkOptions, s.limits); err != nil {
				return "", nil, err
			}
			return r.URN, redact.Of(r.Properties), nil
		},
		check: func(ctx context.Context, p policy.Policy, args policy.Args) []policy.Violation {
			return p.CheckResource(ctx, r, args)
		},
	})
}

// AnalyzeStack runs the stack policies on every resource's outputs. Resource policies run only in
// Analyze, as in Pulumi's Node policy SDK.
func (s *Server) AnalyzeStack(ctx context.Context, req *pulumirpc.AnalyzeStackRequest) (*pulumirpc.AnalyzeResponse, error) {
	var stack *policy.Stack
	return s.run(ctx, checks{
		applies: func(p policy.Policy) bool { return p.CheckStack != nil },
		decode: func(ctx context.Context) (resource.URN, *redact.Set, error) {
			var err error
			if stack, err = stackFromRequest(ctx, req, s.limits); err != nil {
				return "", nil, err
			}
			props := make([]resource.PropertyMap, len(stack.Resources))
			for i, r := range stack.Resources {
				props[i] = r.Properties
			}
			return "", redact.Lazily(props...), nil
		},
		root: func() resource.URN { return RootURN(stack.Resources) },
		check: func(ctx context.Context, p policy.Policy, args policy.Args) []policy.Violation {
			return p.CheckStack(ctx, stack, args)
		},
	})
}

// checks is one kind of check: which policies have it, how to decode its input (once, and only if a
// policy runs; it returns the URN diagnostics name, empty for the stack, and the input's secrets), and
// how to run it.
type checks struct {
	applies func(policy.Policy) bool
	decode  func(context.Context) (resource.URN, *redact.Set, error)
	check   func(context.Context, policy.Policy, policy.Args) []policy.Violation
	// root returns the URN the engine attributes stack-level findings to; nil for resource checks.
	root func() resource.URN
}

// run runs a kind of check for every policy that has it and whose level lets it run, each guarded so
// that a failing policy cannot stop the others or the process. The stack's checks run concurrently, one
// per processor (a stack and its graph are read-only once built); the diagnostics keep the pack's
// order. It returns the diagnostics, or, when a policy failed, an Internal error naming every failure.
func (s *Server) run(ctx context.Context, c checks) (*pulumirpc.AnalyzeResponse, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	st := s.current()
	type task struct {
		e     *entry
		pc    policyConfig
		level policy.Level
	}
	var tasks []task
	for _, e := range s.entries {
		if !c.applies(e.p) {
			continue
		}
		pc := st.config[e.p.Name]
		if level, run := checkLevel(pc.level, e.p.Remediate != nil); run {
			tasks = append(tasks, task{e: e, pc: pc, level: level})
		}
	}
	if len(tasks) == 0 {
		return &pulumirpc.AnalyzeResponse{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	urn, secrets, err := decode(ctx, c.decode)
	if err != nil {
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return nil, status.Error(codes.InvalidArgument, bound("malformed request: "+err.Error()))
	}
	var root resource.URN
	if c.root != nil {
		root = c.root()
	} else {
		root = urn
	}
	results := make([][]*pulumirpc.AnalyzeDiagnostic, len(tasks))
	failures := make([]error, len(tasks))
	one := func(i int) {
		t := tasks[i]
		var vs []policy.Violation
		failures[i] = guard(s.log, t.e.p.Name, func() error {
			vs = c.check(ctx, t.e.p, st.args(t.pc))
			return nil
		})
		if failures[i] != nil {
			return
		}
		ds := s.appendDiagnostics(nil, t.e, t.level, urn, vs, secrets)
		if len(t.pc.waivers) > 0 {
			applyWaivers(ds, t.pc.waivers, root, s.now())
		}
		results[i] = ds
	}
	if c.root == nil || len(tasks) == 1 {
		for i := range tasks {
			if err := ctx.Err(); err != nil {
				return nil, status.FromContextError(err).Err()
			}
			one(i)
		}
	} else {
		next := make(chan int)
		var wg sync.WaitGroup
		for range min(len(tasks), runtime.GOMAXPROCS(0)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					if ctx.Err() == nil {
						one(i)
					}
				}
			}()
		}
		for i := range tasks {
			next <- i
		}
		close(next)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, status.FromContextError(err).Err()
		}
	}
	var messages []string
	for i, failure := range failures {
		if failure != nil {
			messages = append(messages, s.failureMessage("policy", tasks[i].e, failure))
		}
	}
	if len(messages) > 0 {
		return nil, status.Error(codes.Internal, bound(secrets.String(strings.Join(messages, "\n"))))
	}
	var diags []*pulumirpc.AnalyzeDiagnostic
	for _, ds := range results {
		diags = append(diags, ds...)
	}
	return &pulumirpc.AnalyzeResponse{Diagnostics: diags}, nil
}

// decode runs a request's decoding, turning a panic into an error: whatever the request holds, the
// process stays up.
func decode(ctx context.Context, f func(context.Context) (resource.URN, *redact.Set, error)) (urn resource.URN, secrets *redact.Set, err error) {
	defer func() {
		if v := recover(); v != nil {
			urn, secrets, err = "", nil, fmt.Errorf("decoding failed: %v", v)
		}
	}()
	return f(ctx)
}

// Remediate runs, in pack order, the remediations of the policies whose level is remediate, each on
// the properties the previous one left, and returns the properties each one changed. A remediation
// that fails changes nothing and fails the call with Internal, as in the Node policy SDK.
func (s *Server) Remediate(ctx context.Context, req *pulumirpc.AnalyzeRequest) (*pulumirpc.RemediateResponse, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	st := s.current()
	var (
		r       *policy.Resource
		secrets *redact.Set
		out     []*pulumirpc.Remediation
	)
	for _, e := range s.entries {
		pc := st.config[e.p.Name]
		if e.p.Remediate == nil || pc.level != policy.Remediate {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, status.FromContextError(err).Err()
		}
		if r == nil {
			_, secrets, err = decode(ctx, func(context.Context) (resource.URN, *redact.Set, error) {
				var err error
				if r, err = resourceFromRequest(req, remediateOptions, s.limits); err != nil {
					return "", nil, err
				}
				return r.URN, redact.Of(r.Properties), nil
			})
			if err != nil {
				return nil, status.Error(codes.InvalidArgument, bound("malformed request: "+err.Error()))
			}
		}
		fixed, failure := s.remediate(ctx, e, r, st.args(pc))
		if failure == nil && fixed != nil {
			ps, err := plugin.MarshalProperties(fixed, remediateOptions)
			if err != nil {
				failure = fmt.Errorf("encoding its result: %w", err)
			} else {
				out = append(out, &pulumirpc.Remediation{
					PolicyName:        e.p.Name,
					PolicyPackName:    s.pack.Name,
					PolicyPackVersion: s.pack.Version,
					Description:       e.p.Description,
					Properties:        ps,
				})
				r.Properties = fixed
			}
		}
		if failure != nil {
			return nil, status.Error(codes.Internal, bound(secrets.String(s.failureMessage("remediation", e, failure))))
		}
	}
	return &pulumirpc.RemediateResponse{Remediations: out}, nil
}

// remediate runs one remediation on a copy of the resource's properties.
func (s *Server) remediate(ctx context.Context, e *entry, r *policy.Resource, args policy.Args) (resource.PropertyMap, error) {
	props, err := cloneProperties(r.Properties)
	if err != nil {
		return nil, err
	}
	in := *r
	in.Properties = props
	var fixed resource.PropertyMap
	err = guard(s.log, e.p.Name, func() error {
		var err error
		fixed, err = e.p.Remediate(ctx, &in, args)
		return err
	})
	return fixed, err
}

// args are what a policy call receives.
func (st *state) args(pc policyConfig) policy.Args {
	return policy.Args{Config: pc.props, DryRun: st.dryRun}
}

// appendDiagnostics turns one policy call's violations into diagnostics, at most
// MaxDiagnosticsPerPolicy of them and one saying how many more there were. defaultURN names the
// resource of a resource policy's violations; secrets are redacted from every message.
func (s *Server) appendDiagnostics(diags []*pulumirpc.AnalyzeDiagnostic, e *entry, level policy.Level,
	defaultURN resource.URN, vs []policy.Violation, secrets *redact.Set,
) []*pulumirpc.AnalyzeDiagnostic {
	var left, leftBlocking int
	for i, v := range vs {
		l := level
		if v.CannotVerify {
			l = policy.Advisory
		}
		if i >= MaxDiagnosticsPerPolicy {
			left++
			if l != policy.Advisory {
				leftBlocking++
			}
			continue
		}
		urn := v.URN
		if urn == "" {
			urn = defaultURN
		}
		diags = append(diags, s.diagnostic(e, l, urn, secrets.String(v.Message)))
	}
	if left > 0 {
		l, what := level, strconv.Itoa(leftBlocking)+" of them at level "+string(level)
		if leftBlocking == 0 {
			l, what = policy.Advisory, "all of them cannot-verify findings"
		}
		diags = append(diags, s.diagnostic(e, l, defaultURN, fmt.Sprintf(
			"and %d more findings of this policy, not listed (%s): fix the ones above and run again", left, what)))
	}
	return diags
}

// applyWaivers judges a policy's new diagnostics against its waivers as of a day: a diagnostic a
// waiver in force matches becomes advisory, its message starting "waived until <expiry> (approved by
// <who>: <reason>)"; one only an expired waiver matches keeps its level and says the waiver expired.
// A diagnostic without a URN (a stack-level finding) is matched against root.
func applyWaivers(diags []*pulumirpc.AnalyzeDiagnostic, ws []waiver.Waiver, root resource.URN, asOf time.Time) {
	for _, d := range diags {
		urn := resource.URN(d.GetUrn())
		if urn == "" {
			urn = root
		}
		switch outcome, w := waiver.Judge(ws, urn, asOf); outcome {
		case waiver.Waived:
			d.EnforcementLevel = pulumirpc.EnforcementLevel_ADVISORY
			d.Message = bound(waiver.WaivedNote(w) + ": " + d.GetMessage())
		case waiver.Expired:
			d.Message = bound(d.GetMessage() + "\n" + waiver.ExpiredNote(w) + ".")
		}
	}
}

// RootURN returns the URN the engine attributes a stack-level finding to: the root stack resource
// (type pulumi:pulumi:Stack, without a parent), or else the default root stack URN of the first
// resource's stack and project; empty for an empty stack.
func RootURN(rs []*policy.Resource) resource.URN {
	var fallback resource.URN
	for _, r := range rs {
		if r == nil || !r.URN.IsValid() {
			continue
		}
		if r.Type == string(resource.RootStackType) && r.Parent == "" {
			return r.URN
		}
		if fallback == "" {
			fallback = resource.DefaultRootStackURN(r.URN.Stack(), r.URN.Project())
		}
	}
	return fallback
}

// diagnostic builds one diagnostic. As in Pulumi's Node policy SDK, the message starts with the
// policy's description.
func (s *Server) diagnostic(e *entry, level policy.Level, urn resource.URN, message string) *pulumirpc.AnalyzeDiagnostic {
	msg := e.p.Description
	if message != "" {
		if msg != "" {
			msg += "\n"
		}
		msg += message
	}
	return &pulumirpc.AnalyzeDiagnostic{
		PolicyName:        e.p.Name,
		PolicyPackName:    s.pack.Name,
		PolicyPackVersion: s.pack.Version,
		Description:       e.p.Description,
		Message:           bound(msg),
		EnforcementLevel:  toRPCLevel(level),
		Urn:               string(urn),
	}
}

// bound cuts a message to MaxMessageBytes, at a character boundary, saying how much was cut.
func bound(msg string) string {
	if len(msg) <= MaxMessageBytes {
		return msg
	}
	cut := MaxMessageBytes - 64
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "… (" + strconv.Itoa(len(msg)-cut) + " more bytes not shown)"
}

// failureMessage says that a policy or remediation failed, and why.
func (s *Server) failureMessage(what string, e *entry, failure error) string {
	return fmt.Sprintf("%s %q from policy pack %s@v%s failed: %v", what, e.p.Name, s.pack.Name, s.pack.Version, failure)
}
