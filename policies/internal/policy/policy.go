// Package policy defines what a policy of the ess-ha pack is: its name, level, configuration schema and
// checks, and the resources and violations the checks exchange. It knows nothing of gRPC or of the
// engine; the analyzer package serves these policies over Pulumi's Analyzer protocol, and an audit
// command can run them on a state file without an engine.
package policy

import (
	"context"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Level is an enforcement level, as in Pulumi's policy SDKs.
type Level string

// The enforcement levels a policy can have.
const (
	Advisory  Level = "advisory"
	Mandatory Level = "mandatory"
	Remediate Level = "remediate"
	Disabled  Level = "disabled"
)

// Resource is one resource as a policy sees it. During a preview, the properties of new resources may
// hold computed (unknown) values and the ID is empty; in deployed state everything is known. Secret values
// stay wrapped (resource.PropertyValue.IsSecret) and must never be printed.
type Resource struct {
	URN      resource.URN
	Type     string
	Name     string
	ID       string
	Provider string
	Parent   resource.URN
	// Properties are the inputs for Analyze and the outputs for AnalyzeStack.
	Properties           resource.PropertyMap
	Dependencies         []resource.URN
	PropertyDependencies PropertyDependencies
}

// Stack is every resource of a stack, in the order the engine sent them.
type Stack struct {
	Resources []*Resource

	// memo holds what Memo built, so that the stack policies of one AnalyzeStack share one resource
	// graph instead of each building its own. Pass a Stack by pointer: it must not be copied once used.
	memoMu sync.Mutex
	memo   map[any]*memoEntry
}

// memoEntry is one value of a Stack's memo, built at most once.
type memoEntry struct {
	once  sync.Once
	value any
}

// Memo returns the value stored under key, calling build to make it the first time the key is asked
// for. Build runs at most once per key and Stack, even when policies ask concurrently; it may itself call
// Memo with another key. Keys should be values of an unexported type of the asking package, as with
// context keys. Resources must not change after the first call.
func (s *Stack) Memo(key any, build func() any) any {
	s.memoMu.Lock()
	if s.memo == nil {
		s.memo = make(map[any]*memoEntry)
	}
	e, ok := s.memo[key]
	if !ok {
		e = &memoEntry{}
		s.memo[key] = e
	}
	s.memoMu.Unlock()
	e.once.Do(func() { e.value = build() })
	return e.value
}

// The frameworks of Control.
const (
	// WellArchitected is the AWS Well-Architected Framework, Reliability pillar (best practice IDs such
	// as REL10-BP01).
	WellArchitected = "AWS Well-Architected Reliability"
	// SecurityHub is AWS Security Hub's AWS Foundational Security Best Practices standard (control IDs
	// such as RDS.5).
	SecurityHub = "AWS Security Hub FSBP"
)

// Control is one control of an external framework that a policy serves.
type Control struct {
	// Framework is WellArchitected or SecurityHub.
	Framework string
	// ID is the framework's own identifier (REL10-BP01, RDS.5).
	ID string
	// Title is the framework's title of the control.
	Title string
	// URL is the page that defines the control.
	URL string
}

// Violation is one finding of a policy.
type Violation struct {
	// URN names the resource at fault; empty for a finding about the stack as a whole.
	URN resource.URN
	// Message says which resource, which property, the bad value, what to change, and which
	// recommendation the policy enforces.
	Message string
	// CannotVerify marks a finding that could not be decided because a value is unknown during preview.
	// It is always reported as advisory, whatever the policy's level, and never blocks.
	CannotVerify bool
}

// Args are what a check receives besides the resources.
type Args struct {
	// Config holds the policy's properties, validated against its schema, with defaults applied.
	Config map[string]any
	// DryRun is true during a preview.
	DryRun bool
}

// Schema describes a policy's configurable properties as JSON Schema (draft 7) fragments, the way
// Pulumi's policy SDKs declare them.
type Schema struct {
	Properties map[string]map[string]any
	Required   []string
}

// Policy is one rule of the pack. Exactly one of CheckResource and CheckStack is set.
type Policy struct {
	// Name is the stable id users configure and waive the policy by.
	Name string
	// DisplayName is an optional pretty name shown by tools that list a pack's policies; Name is used
	// when it is empty.
	DisplayName string
	Description string
	// Recommendation names the source document and section the policy enforces.
	Recommendation string
	DefaultLevel   Level
	Schema         *Schema

	// Types lists the resource types (canonical pulumi-aws tokens, as graph.Canonical returns them) the
	// policy checks. An audit counts the resources of these types as the evidence of what the policy
	// checked, and calls the policy not applicable to a stack that has none of them.
	Types []string
	// Controls are the controls of external frameworks the policy serves: AWS Well-Architected
	// Reliability pillar best practices and AWS Security Hub (Foundational Security Best Practices)
	// controls. An audit report can be read by control.
	Controls []Control
	// Pair marks a stack policy that checks the two stacks of an active-active pair as one deployment:
	// it is given both stacks' resources and groups them by their URN's stack. Run on one stack, as
	// during a preview, it finds nothing.
	Pair bool

	CheckResource func(ctx context.Context, r *Resource, args Args) []Violation
	CheckStack    func(ctx context.Context, s *Stack, args Args) []Violation
	// Remediate, when set, returns the resource's properties fixed, or nil when nothing needs fixing.
	// It runs only when the policy's level is remediate.
	Remediate func(ctx context.Context, r *Resource, args Args) (resource.PropertyMap, error)
}
