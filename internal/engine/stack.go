package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stack is a stack of the workspace's backend, with the program its operations run.
type Stack struct {
	w     *Workspace
	ws    auto.Workspace
	stack auto.Stack
}

// Stack creates the stack name of project in the backend, to run program with config ("namespace:key"
// to value, as the SDK reads it; JSON objects and arrays become structured values, as in a stack file).
func (w *Workspace) Stack(ctx context.Context, project, name string, program pulumi.RunFunc, cfg map[string]string) (*Stack, error) {
	ws, err := w.workspace(ctx, project, name, program)
	if err != nil {
		return nil, err
	}
	st, err := auto.NewStack(ctx, name, ws)
	if err != nil {
		return nil, fmt.Errorf("creating stack %s in the throwaway backend: %w", name, err)
	}
	s := &Stack{w: w, ws: ws, stack: st}
	if err := s.SetConfig(ctx, cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Import creates the stack name of project in the backend with state (a deployment, version 3, as
// `pulumi stack export` and `essha plan` write it), for other stacks to read its outputs.
func (w *Workspace) Import(ctx context.Context, project, name string, state []byte) error {
	var dep apitype.UntypedDeployment
	if err := json.Unmarshal(state, &dep); err != nil {
		return fmt.Errorf("reading the state to import as stack %s: %w", name, err)
	}
	ws, err := w.workspace(ctx, project, name, nil)
	if err != nil {
		return err
	}
	st, err := auto.NewStack(ctx, name, ws)
	if err != nil {
		return fmt.Errorf("creating stack %s in the throwaway backend: %w", name, err)
	}
	if dep, err = withSecretsProvider(ctx, ws, name, dep); err != nil {
		return err
	}
	if err := st.Import(ctx, dep); err != nil {
		return fmt.Errorf("importing the state of stack %s: %w", name, cliError(err))
	}
	return nil
}

// withSecretsProvider names the stack's own secrets provider (the passphrase, with the salt `pulumi
// stack init` chose) in a deployment that names none, as a plan does: `pulumi stack import` of
// plaintext secrets without a secrets provider panics ("attempt to encrypt value", pulumi v3.259.0; the
// same panic as https://github.com/pulumi/pulumi/issues/16874, whose workaround is a secrets manager
// on the destination stack).
func withSecretsProvider(ctx context.Context, ws auto.Workspace, name string, dep apitype.UntypedDeployment) (apitype.UntypedDeployment, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(dep.Deployment, &fields); err != nil {
		return dep, fmt.Errorf("reading the deployment to import as stack %s: %w", name, err)
	}
	if _, ok := fields["secrets_providers"]; ok {
		return dep, nil
	}
	ps, err := ws.StackSettings(ctx, name)
	if err != nil {
		return dep, fmt.Errorf("reading the settings of stack %s: %w", name, err)
	}
	if ps.EncryptionSalt == "" {
		return dep, fmt.Errorf("stack %s has no passphrase salt to import secrets with", name)
	}
	state, err := json.Marshal(map[string]string{"salt": ps.EncryptionSalt})
	if err != nil {
		return dep, err
	}
	sp, err := json.Marshal(apitype.SecretsProvidersV1{Type: "passphrase", State: state})
	if err != nil {
		return dep, err
	}
	fields["secrets_providers"] = sp
	if dep.Deployment, err = json.Marshal(fields); err != nil {
		return dep, fmt.Errorf("writing the deployment to import as stack %s: %w", name, err)
	}
	return dep, nil
}

// workspace makes a work directory for one stack of project, holding its Pulumi.yaml.
func (w *Workspace) workspace(ctx context.Context, project, name string, program pulumi.RunFunc) (auto.Workspace, error) {
	dir := filepath.Join(w.dir, "work", url.PathEscape(name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the work directory of stack %s: %w", name, err)
	}
	proj := workspace.Project{
		Name:    tokens.PackageName(project),
		Runtime: workspace.NewProjectRuntimeInfo("go", nil),
	}
	opts := []auto.LocalWorkspaceOption{
		auto.WorkDir(dir), auto.Project(proj), auto.Pulumi(w.cli), auto.PulumiHome(w.env["PULUMI_HOME"]),
		auto.EnvVars(w.env),
	}
	if program != nil {
		opts = append(opts, auto.Program(program))
	}
	ws, err := auto.NewLocalWorkspace(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up the work directory of stack %s: %w", name, err)
	}
	return ws, nil
}

// Name is the stack's name.
func (s *Stack) Name() string { return s.stack.Name() }

// SetProgram replaces the program the stack's operations run.
func (s *Stack) SetProgram(program pulumi.RunFunc) { s.ws.SetProgram(program) }

// SetConfig replaces the stack's configuration.
func (s *Stack) SetConfig(ctx context.Context, cfg map[string]string) error {
	ps, err := s.ws.StackSettings(ctx, s.Name())
	if err != nil {
		return fmt.Errorf("reading the settings of stack %s: %w", s.Name(), err)
	}
	ps.Config = config.Map{}
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return fmt.Errorf("stack %s: configuration key %q: %w", s.Name(), k, err)
		}
		ps.Config[key] = configValue(v)
	}
	if err := s.ws.SaveStackSettings(ctx, s.Name(), ps); err != nil {
		return fmt.Errorf("writing the configuration of stack %s: %w", s.Name(), err)
	}
	return nil
}

// configValue is a configuration value as a stack file holds it: JSON objects and arrays structured,
// anything else a string.
func configValue(v string) config.Value {
	t := strings.TrimSpace(v)
	if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)) {
		return config.NewObjectValue(t)
	}
	return config.NewValue(v)
}

// Export returns the stack's state, secrets in plaintext, as `pulumi stack export --show-secrets`
// writes it.
func (s *Stack) Export(ctx context.Context) ([]byte, error) {
	dep, err := s.stack.Export(ctx)
	if err != nil {
		return nil, fmt.Errorf("exporting stack %s: %w", s.Name(), cliError(err))
	}
	b, err := json.Marshal(dep)
	if err != nil {
		return nil, fmt.Errorf("exporting stack %s: %w", s.Name(), err)
	}
	return b, nil
}

// RunOptions are the options of one operation.
type RunOptions struct {
	// Stdout and Stderr receive the CLI's own display as it runs; nil discards it.
	Stdout, Stderr io.Writer
	// PolicyPackConfig is a --policy-pack-config file for the pack.
	PolicyPackConfig string
	// NoPolicy runs the operation without the policy pack.
	NoPolicy bool
	// ContinueOnError lets a destroy go on past the resources it cannot delete (protected ones), so
	// that it reports every one of them.
	ContinueOnError bool
}

func (o RunOptions) streams() (io.Writer, io.Writer) {
	out, errOut := o.Stdout, o.Stderr
	if out == nil {
		out = io.Discard
	}
	if errOut == nil {
		errOut = io.Discard
	}
	return out, errOut
}

// Preview runs `pulumi preview` with the policy pack.
func (s *Stack) Preview(ctx context.Context, o RunOptions) (*Result, error) {
	out, errOut := o.streams()
	rec := newRecorder()
	opts := []optpreview.Option{
		optpreview.ProgressStreams(out), optpreview.ErrorProgressStreams(errOut),
		optpreview.EventStreams(rec.ch), optpreview.Color("never"),
	}
	if !o.NoPolicy {
		opts = append(opts, optpreview.PolicyPacks(s.w.packPath))
		if o.PolicyPackConfig != "" {
			opts = append(opts, optpreview.PolicyPackConfigs(o.PolicyPackConfig))
		}
	}
	_, err := s.stack.Preview(ctx, opts...)
	return rec.finish("preview", s.Name(), err)
}

// Up runs `pulumi up` with the policy pack.
func (s *Stack) Up(ctx context.Context, o RunOptions) (*Result, error) {
	out, errOut := o.streams()
	rec := newRecorder()
	opts := []optup.Option{
		optup.ProgressStreams(out), optup.ErrorProgressStreams(errOut),
		optup.EventStreams(rec.ch), optup.Color("never"),
	}
	if !o.NoPolicy {
		opts = append(opts, optup.PolicyPacks(s.w.packPath))
		if o.PolicyPackConfig != "" {
			opts = append(opts, optup.PolicyPackConfigs(o.PolicyPackConfig))
		}
	}
	_, err := s.stack.Up(ctx, opts...)
	return rec.finish("up", s.Name(), err)
}

// Destroy runs `pulumi destroy`. The engine refuses to delete protected resources, and what they
// depend on.
func (s *Stack) Destroy(ctx context.Context, o RunOptions) (*Result, error) {
	out, errOut := o.streams()
	rec := newRecorder()
	opts := []optdestroy.Option{
		optdestroy.ProgressStreams(out), optdestroy.ErrorProgressStreams(errOut),
		optdestroy.EventStreams(rec.ch), optdestroy.Color("never"),
	}
	if o.ContinueOnError {
		opts = append(opts, optdestroy.ContinueOnError())
	}
	_, err := s.stack.Destroy(ctx, opts...)
	return rec.finish("destroy", s.Name(), err)
}

// Result is what one operation did, as the engine's events tell it.
type Result struct {
	// Steps are the resource steps the engine reported, in order (one per resource, "same" included).
	Steps []Step
	// Violations are the policy pack's findings, in order.
	Violations []Violation
	// Remediations are the inputs the policy pack changed.
	Remediations []Remediation
	// Changes counts resources by operation, from the engine's summary.
	Changes map[string]int
	// Errors are the engine's error diagnostics, in order.
	Errors []string
}

// Step is one resource step.
type Step struct {
	// Op is the operation: same, create, update, delete, replace, read, ...
	Op string
	// URN and Type name the resource.
	URN, Type string
	// Diffs are the top-level properties that changed, for an update or a replacement.
	Diffs []string
}

// Violation is one finding of the policy pack.
type Violation struct {
	Policy, Pack, Level, URN, Message string
}

// Remediation is one change of inputs by the policy pack.
type Remediation struct {
	Policy, URN   string
	Before, After map[string]any
}

// Mandatory returns the mandatory violations.
func (r *Result) Mandatory() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Level == string(apitype.Mandatory) {
			out = append(out, v)
		}
	}
	return out
}

// Changed returns the steps that change something: every step but "same", "read" (a StackReference
// reads its stack on every run) and the stack's own, whose outputs follow its resources.
func (r *Result) Changed() []Step {
	var out []Step
	for _, s := range r.Steps {
		if s.Op != string(apitype.OpSame) && s.Op != string(apitype.OpRead) && s.Type != "pulumi:pulumi:Stack" {
			out = append(out, s)
		}
	}
	return out
}

// PolicyNames returns the sorted names of the policies that reported at level.
func (r *Result) PolicyNames(level string) []string {
	seen := map[string]bool{}
	for _, v := range r.Violations {
		if v.Level == level {
			seen[v.Policy] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// recorder collects an operation's events.
type recorder struct {
	ch   chan events.EngineEvent
	done chan struct{}
	mu   sync.Mutex
	res  Result
}

func newRecorder() *recorder {
	r := &recorder{ch: make(chan events.EngineEvent), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ev := range r.ch {
			r.record(ev.EngineEvent)
		}
	}()
	return r
}

// eventsGrace bounds the wait for the event stream's end once the operation has returned. The
// Automation API closes the stream when the CLI ends it; a CLI that failed before it opened the
// stream never does.
const eventsGrace = 5 * time.Second

func (r *recorder) record(ev apitype.EngineEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case ev.ResourcePreEvent != nil:
		m := ev.ResourcePreEvent.Metadata
		r.res.Steps = append(r.res.Steps, Step{Op: string(m.Op), URN: m.URN, Type: m.Type, Diffs: m.Diffs})
	case ev.PolicyEvent != nil:
		p := ev.PolicyEvent
		r.res.Violations = append(r.res.Violations, Violation{
			Policy: p.PolicyName, Pack: p.PolicyPackName, Level: p.EnforcementLevel, URN: p.ResourceURN, Message: p.Message,
		})
	case ev.PolicyRemediationEvent != nil:
		p := ev.PolicyRemediationEvent
		r.res.Remediations = append(r.res.Remediations, Remediation{Policy: p.PolicyName, URN: p.ResourceURN, Before: p.Before, After: p.After})
	case ev.SummaryEvent != nil:
		r.res.Changes = map[string]int{}
		for op, n := range ev.SummaryEvent.ResourceChanges {
			r.res.Changes[string(op)] = n
		}
	case ev.DiagnosticEvent != nil && ev.DiagnosticEvent.Severity == "error":
		r.res.Errors = append(r.res.Errors, strings.TrimSpace(ev.DiagnosticEvent.Message))
	}
}

// finish waits for the last event and turns the operation's error into one that says what failed: a
// mandatory policy violation (ErrNotCompliant), or the engine's own error messages.
func (r *recorder) finish(op, stack string, err error) (*Result, error) {
	select {
	case <-r.done:
	case <-time.After(eventsGrace):
	}
	r.mu.Lock()
	res := r.res
	r.mu.Unlock()
	if err == nil {
		return &res, nil
	}
	if names := res.PolicyNames(string(apitype.Mandatory)); len(names) > 0 {
		return &res, fmt.Errorf("pulumi %s of stack %s: %w: %s", op, stack, ErrNotCompliant, strings.Join(names, ", "))
	}
	if len(res.Errors) > 0 {
		return &res, fmt.Errorf("pulumi %s of stack %s failed: %s", op, stack, strings.Join(res.Errors, "; "))
	}
	return &res, fmt.Errorf("pulumi %s of stack %s failed: %w", op, stack, cliError(err))
}

// cliError shortens an Automation API error, which repeats the CLI's whole output, to its first line
// and the CLI's standard error.
func cliError(err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "\nstdout: ") {
		return err
	}
	head, _, _ := strings.Cut(msg, "\n")
	if _, stderr, ok := strings.Cut(msg, "\nstderr: "); ok && strings.TrimSpace(stderr) != "" {
		return fmt.Errorf("%s: %s", head, strings.TrimSpace(stderr))
	}
	return errors.New(head)
}
