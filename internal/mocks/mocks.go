// Package mocks runs the ess-ha program without a cloud: it implements the Go SDK's mock resource
// monitor with the deterministic fake IDs, ARNs and computed outputs of package fakevalues (the same
// values the stand-in provider of `essha preview` gives), and it records
// every registration (parent, provider, dependencies, property dependencies) so that the plan package
// can write the run as a state file.
package mocks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/ess-ha/ess-ha/internal/fakevalues"
)

// Account is the fake AWS account id the mocks use: AWS's own documentation example.
const Account = fakevalues.Account

// Registration is one resource the program registered, with what the engine would have recorded.
type Registration struct {
	URN                  resource.URN
	Type                 string
	Name                 string
	Custom               bool
	Parent               resource.URN
	Provider             string
	Version              string
	ID                   string
	Inputs               resource.PropertyMap
	Outputs              resource.PropertyMap
	Dependencies         []resource.URN
	PropertyDependencies map[resource.PropertyKey][]resource.URN
	Protect              bool
	RetainOnDelete       bool
	IgnoreChanges        []string
	// Aliases are the URNs besides URN the engine would look the resource up under in the previous
	// state: its own aliases, and for each alias of its parent the URN it had under that parent. The
	// engine multiplies a parent's aliases out to its children (generateAliases in the engine's step
	// generator, pkg/resource/deploy/step_generator.go; https://github.com/pulumi/pulumi/pull/2404),
	// so a component whose type token changes keeps its children's URNs with one alias of its own.
	// The engine does so for a parent it found under one of its aliases; the mocks, which have no
	// previous state, record them all.
	Aliases []resource.URN
	// External marks a resource the program read rather than manages (a StackReference).
	External          bool
	AdditionalSecrets []string
}

// Mocks is a pulumi.MockResourceMonitor for one stack in one region. It is safe for concurrent use, as
// the SDK registers resources from many goroutines.
type Mocks struct {
	Project string
	Stack   string
	Region  string

	// Writer is the region whose cluster is the writer of the Aurora global database: AWS's runtime
	// state, which moves on a switchover or failover. Empty means the region of the global cluster's
	// stack. It shows in the global cluster's outputs only, as it does in AWS: the program must not
	// depend on it (see fakevalues.Region).
	Writer string

	mu     sync.Mutex
	regs   map[resource.URN]*Registration
	stacks map[string]map[string]any
}

// StackReferenceType is the type token of a StackReference.
const StackReferenceType = "pulumi:pulumi:StackReference"

// SetStackOutputs makes a StackReference to stack read these outputs, as the engine would read them
// from the backend. A reference to a stack without outputs fails, as it does for a stack that does
// not exist.
func (m *Mocks) SetStackOutputs(stack string, outputs map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stacks == nil {
		m.stacks = map[string]map[string]any{}
	}
	m.stacks[stack] = outputs
}

// New returns mocks for a stack of the project in a region.
func New(project, stack, region string) *Mocks {
	return &Mocks{Project: project, Stack: stack, Region: region, regs: map[resource.URN]*Registration{}}
}

// Option returns the run option that makes pulumi.RunErr use these mocks.
func (m *Mocks) Option() pulumi.RunOption { return pulumi.WithMocks(m.Project, m.Stack, m) }

// Registrations returns every registered resource, sorted by URN.
func (m *Mocks) Registrations() []*Registration {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Registration, 0, len(m.regs))
	for _, r := range m.regs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// ByType returns the registrations of one type token, sorted by URN.
func (m *Mocks) ByType(typ string) []*Registration {
	var out []*Registration
	for _, r := range m.Registrations() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Call answers invokes with fakevalues' answers for the stack's region; an invoke fakevalues does not
// know returns its arguments, so component tests may call any data source.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	out, err := m.region().Invoke(args.Token, args.Args)
	if errors.Is(err, fakevalues.ErrUnknownInvoke) {
		return args.Args, nil
	}
	return out, err
}

// NewResource records a registration and answers with a deterministic ID and outputs: the inputs plus
// what the provider would compute.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.ReadRPC != nil {
		return m.read(args)
	}
	rpc := args.RegisterRPC
	if rpc == nil {
		return "", nil, fmt.Errorf("mock registration of %s %q has no RPC", args.TypeToken, args.Name)
	}
	urn := m.urn(rpc.GetParent(), rpc.GetType(), rpc.GetName())
	reg := &Registration{
		URN:                  urn,
		Type:                 args.TypeToken,
		Name:                 args.Name,
		Custom:               args.Custom,
		Parent:               resource.URN(rpc.GetParent()),
		Provider:             rpc.GetProvider(),
		Version:              rpc.GetVersion(),
		Inputs:               args.Inputs,
		Protect:              rpc.GetProtect(),
		RetainOnDelete:       rpc.GetRetainOnDelete(),
		IgnoreChanges:        rpc.GetIgnoreChanges(),
		AdditionalSecrets:    rpc.GetAdditionalSecretOutputs(),
		PropertyDependencies: map[resource.PropertyKey][]resource.URN{},
	}
	aliases, err := m.aliases(rpc.GetName(), rpc.GetType(), reg.Parent, rpc.GetAliases())
	if err != nil {
		return "", nil, fmt.Errorf("mock registration of %s %q: %w", args.TypeToken, args.Name, err)
	}
	reg.Aliases = aliases
	for _, d := range rpc.GetDependencies() {
		reg.Dependencies = append(reg.Dependencies, resource.URN(d))
	}
	for k, deps := range rpc.GetPropertyDependencies() {
		for _, d := range deps.GetUrns() {
			reg.PropertyDependencies[resource.PropertyKey(k)] = append(reg.PropertyDependencies[resource.PropertyKey(k)], resource.URN(d))
		}
	}
	if !args.Custom {
		reg.Outputs = resource.PropertyMap{}
		if err := m.store(reg); err != nil {
			return "", nil, err
		}
		return "", resource.PropertyMap{}, nil
	}
	id, outputs := m.compute(args.TypeToken, args.Name, string(urn), args.Inputs)
	reg.ID, reg.Outputs = id, outputs
	if err := m.store(reg); err != nil {
		return "", nil, err
	}
	return id, outputs, nil
}

// read answers a ReadResource: only StackReferences, with the outputs given to SetStackOutputs.
func (m *Mocks) read(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.ReadRPC
	if args.TypeToken != StackReferenceType {
		return "", nil, fmt.Errorf("mocks cannot read %s %q: only StackReferences are read", args.TypeToken, args.Name)
	}
	m.mu.Lock()
	outputs, ok := m.stacks[args.ID]
	m.mu.Unlock()
	if !ok {
		return "", nil, fmt.Errorf("unknown stack %q: plan it first (essha plan plans a member's owner itself, or takes --peer-plan)", args.ID)
	}
	state := resource.NewPropertyMapFromMap(map[string]any{
		"name":              args.ID,
		"outputs":           outputs,
		"secretOutputNames": []any{},
	})
	reg := &Registration{
		URN:      m.urn(rpc.GetParent(), rpc.GetType(), rpc.GetName()),
		Type:     args.TypeToken,
		Name:     args.Name,
		Custom:   true,
		External: true,
		Parent:   resource.URN(rpc.GetParent()),
		Provider: rpc.GetProvider(),
		Version:  rpc.GetVersion(),
		ID:       args.ID,
		Inputs:   args.Inputs,
		Outputs:  state,
	}
	for _, d := range rpc.GetDependencies() {
		reg.Dependencies = append(reg.Dependencies, resource.URN(d))
	}
	if err := m.store(reg); err != nil {
		return "", nil, err
	}
	return args.ID, state, nil
}

// store records a registration. A second registration of a URN fails, with the engine's words: the
// engine refuses a program that registers two resources under one URN.
func (m *Mocks) store(reg *Registration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.regs[reg.URN]; dup {
		return fmt.Errorf("duplicate resource URN '%s'; try giving it a unique name (the engine refuses a second resource with the same URN)", reg.URN)
	}
	m.regs[reg.URN] = reg
	return nil
}

// aliases resolves a registration's aliases to URNs the way the engine does: each alias of its own,
// then, for each alias of its parent, the URN it inherits from it and the inherited form of each of its
// own aliases (see Registration.Aliases).
func (m *Mocks) aliases(name, typ string, parent resource.URN, specs []*pulumirpc.Alias) ([]resource.URN, error) {
	var out []resource.URN
	add := func(u resource.URN) {
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	var own []resource.URN
	for _, a := range specs {
		u, err := m.collapseAlias(name, typ, parent, a)
		if err != nil {
			return nil, err
		}
		own = append(own, u)
		add(u)
	}
	if parent == "" {
		return out, nil
	}
	m.mu.Lock()
	var parentAliases []resource.URN
	if p, ok := m.regs[parent]; ok {
		parentAliases = p.Aliases
	}
	m.mu.Unlock()
	for _, pa := range parentAliases {
		add(m.inheritedAlias(typ, name, parent.Name(), pa))
		for _, u := range own {
			add(m.inheritedAlias(string(u.Type()), u.Name(), parent.Name(), pa))
		}
	}
	return out, nil
}

// collapseAlias is the URN an alias names: its URN, or the resource's own URN with the parts the alias
// sets replaced (the engine's collapseAliasToUrn).
func (m *Mocks) collapseAlias(name, typ string, parent resource.URN, a *pulumirpc.Alias) (resource.URN, error) {
	spec := a.GetSpec()
	if spec == nil {
		u, err := resource.ParseURN(a.GetUrn())
		if err != nil {
			return "", fmt.Errorf("invalid alias URN: %w", err)
		}
		return u, nil
	}
	n, t, project, stack := spec.GetName(), spec.GetType(), spec.GetProject(), spec.GetStack()
	if n == "" {
		n = name
	}
	if t == "" {
		t = typ
	}
	if project == "" {
		project = m.Project
	}
	if stack == "" {
		stack = m.Stack
	}
	p := parent
	if u := spec.GetParentUrn(); u != "" {
		p = resource.URN(u)
	}
	if spec.GetNoParent() || p != "" && p.QualifiedType() == resource.RootStackType {
		p = ""
	}
	return resource.CreateURN(n, t, p, project, stack), nil
}

// inheritedAlias is the URN a child had under an alias of its parent: the alias's type chain, and the
// child's name with the parent's name prefix replaced by the alias's name (the engine's
// inheritedChildAlias).
func (m *Mocks) inheritedAlias(childType, childName, parentName string, parentAlias resource.URN) resource.URN {
	aliasName := childName
	if after, ok := strings.CutPrefix(childName, parentName); ok {
		aliasName = parentAlias.Name() + after
	}
	return resource.NewURN(tokens.QName(m.Stack), tokens.PackageName(m.Project), parentAlias.QualifiedType(), tokens.Type(childType), aliasName)
}

// urn builds a URN the way the engine does, the parent's type chain included.
func (m *Mocks) urn(parent, typ, name string) resource.URN {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return resource.NewURN(tokens.QName(m.Stack), tokens.PackageName(m.Project), parentType, tokens.Type(typ), name)
}

// compute returns the ID and outputs of a custom resource: fakevalues' answer for the stack's region.
// Every resource gets the stack's region, whichever provider it names.
func (m *Mocks) compute(typ, name, urn string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	return m.region().Resource(typ, name, urn, inputs)
}

// region is the fake AWS region of the stack.
func (m *Mocks) region() fakevalues.Region {
	return fakevalues.Region{Name: m.Region, Writer: m.Writer}
}

// Run runs a program under these mocks, with the given stack configuration ("namespace:key" to value),
// and returns its error once every registration has finished.
func (m *Mocks) Run(config map[string]string, program pulumi.RunFunc) error {
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: m.Project, Stack: m.Stack, Config: config, Mocks: m, Parallel: 1,
	})
	if err != nil {
		return fmt.Errorf("creating the mocked Pulumi context: %w", err)
	}
	return pulumi.RunWithContext(ctx, program)
}
