package analyzer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// checkOptions unmarshal the properties policies check: unknown values stay unknown, secrets stay
// wrapped, and resource references and output values keep their shape instead of being flattened.
var checkOptions = plugin.MarshalOptions{
	Label:            "analyzer.properties",
	KeepUnknowns:     true,
	KeepSecrets:      true,
	KeepResources:    true,
	KeepOutputValues: true,
}

// remediateOptions unmarshal and marshal the properties remediations rewrite. The engine sends them with
// internal keys (such as "__defaults") and uses what comes back as the resource's new inputs, so the
// keys must survive the round trip.
var remediateOptions = plugin.MarshalOptions{
	Label:        "analyzer.remediate",
	KeepUnknowns: true,
	KeepSecrets:  true,
}

// idKey is the output property in which bridged providers repeat a resource's ID.
const idKey resource.PropertyKey = "id"

// Limits of what the pack accepts in one request. The engine sends nothing near them (the deepest
// property of a real stack is a few levels down; the largest string is a user data script, at most 16
// KB on EC2, or a policy document); a request beyond them is refused with InvalidArgument before
// anything is decoded, so that no input can make the pack slow (the SDK's decoding is quadratic in the
// depth of nested objects: 3,300 levels take seconds) or make a policy's message grow without bound.
const (
	// MaxDepth is how deeply objects and arrays may nest inside one property.
	MaxDepth = 64
	// MaxValues is how many values (every property, element, URN and key) one request may carry.
	MaxValues = 1 << 22
	// MaxStringBytes is the length of the longest string value.
	MaxStringBytes = 4 << 20
	// MaxNameBytes is the length of the longest URN, type, name or property key.
	MaxNameBytes = 16 << 10
)

// limits are the bounds a server checks requests against.
type limits struct {
	depth, values, stringBytes, nameBytes int
}

// defaultLimits are the documented limits.
var defaultLimits = limits{depth: MaxDepth, values: MaxValues, stringBytes: MaxStringBytes, nameBytes: MaxNameBytes}

// requestError is a problem with one value of a request, with the path to it.
type requestError struct {
	path    []string // innermost first
	problem string
}

func (e *requestError) Error() string {
	p := slices.Clone(e.path)
	slices.Reverse(p)
	return strings.Join(p, "") + ": " + e.problem
}

// at adds a step of the path on the way out of the recursion.
func (e *requestError) at(step string) *requestError {
	e.path = append(e.path, step)
	return e
}

// noKind is the problem with a value that has no kind.
const noKind = "a value with no kind (neither null, bool, number, string, list nor struct)"

// budget checks one request against the limits, counting its values.
type budget struct {
	limits
	values int
}

func (b *budget) spend() *requestError {
	b.values++
	if b.values > b.limits.values {
		return &requestError{problem: fmt.Sprintf("the request carries more than %d values, the most the pack accepts", b.limits.values)}
	}
	return nil
}

// checkName checks a URN, type, name or key.
func checkName(what, s string, b *budget) error {
	if err := b.spend(); err != nil {
		return err.at(what)
	}
	if len(s) > b.nameBytes {
		return fmt.Errorf("%s is %d bytes long; the pack accepts at most %d", what, len(s), b.nameBytes)
	}
	return nil
}

// checkStruct checks that a property struct is well formed and within the limits.
func checkStruct(s *structpb.Struct, depth int, b *budget) *requestError {
	for k, v := range s.GetFields() {
		if err := b.spend(); err != nil {
			return err
		}
		if len(k) > b.nameBytes {
			return &requestError{path: []string{fmt.Sprintf(".%.64q…", k)}, problem: fmt.Sprintf("a key of %d bytes; the pack accepts at most %d", len(k), b.nameBytes)}
		}
		if err := checkValue(v, depth, b); err != nil {
			return err.at("." + k)
		}
	}
	return nil
}

// checkValue checks one value: it has a kind, nests no deeper than the limit, and its strings are not
// too long.
func checkValue(v *structpb.Value, depth int, b *budget) *requestError {
	if depth > b.depth {
		return &requestError{problem: fmt.Sprintf("values nest more than %d levels deep, the most the pack accepts", b.depth)}
	}
	switch k := v.GetKind().(type) {
	case nil:
		return &requestError{problem: noKind}
	case *structpb.Value_StringValue:
		if len(k.StringValue) > b.stringBytes {
			return &requestError{problem: fmt.Sprintf("a string of %d bytes; the pack accepts at most %d", len(k.StringValue), b.stringBytes)}
		}
	case *structpb.Value_StructValue:
		return checkStruct(k.StructValue, depth+1, b)
	case *structpb.Value_ListValue:
		for i, e := range k.ListValue.GetValues() {
			if err := b.spend(); err != nil {
				return err
			}
			if err := checkValue(e, depth+1, b); err != nil {
				return err.at("[" + strconv.Itoa(i) + "]")
			}
		}
	}
	return nil
}

// decodeProperties checks a request's properties and decodes them. A malformed value is an error naming
// its path, never a panic: the SDK's decoder panics on some shapes the protocol can carry, so a panic
// that gets past the checks is turned into an error too.
func decodeProperties(props *structpb.Struct, opts plugin.MarshalOptions, b *budget) (pm resource.PropertyMap, err error) {
	defer func() {
		if v := recover(); v != nil {
			pm, err = nil, fmt.Errorf("properties: malformed: %v", v)
		}
	}()
	pm, err = unmarshalProperties(props, opts, b)
	var rerr *requestError
	if errors.As(err, &rerr) {
		return nil, rerr.at("properties")
	}
	return pm, err
}

// newResource builds the resource policies see from the common fields of an Analyze request and a
// stack resource, in r.
func newResource(r *policy.Resource, urn, typ, name string, props *structpb.Struct, provider *pulumirpc.AnalyzerProviderResource,
	opts plugin.MarshalOptions, b *budget,
) error {
	for _, f := range []struct{ what, s string }{{"urn", urn}, {"type", typ}, {"name", name}, {"provider urn", provider.GetUrn()}} {
		if err := checkName(f.what, f.s, b); err != nil {
			return fmt.Errorf("resource %.200q: %w", urn, err)
		}
	}
	pm, err := decodeProperties(props, opts, b)
	if err != nil {
		return fmt.Errorf("resource %.200q: %w", urn, err)
	}
	if pm == nil {
		pm = resource.PropertyMap{}
	}
	*r = policy.Resource{
		URN:        resource.URN(urn),
		Type:       typ,
		Name:       name,
		Properties: pm,
	}
	if id, ok := pm[idKey]; ok && id.IsString() {
		r.ID = id.StringValue()
	}
	if provider != nil {
		r.Provider = provider.GetUrn()
	}
	return nil
}

// resourceFromRequest builds the resource of an Analyze or Remediate request.
func resourceFromRequest(req *pulumirpc.AnalyzeRequest, opts plugin.MarshalOptions, lim limits) (*policy.Resource, error) {
	b := &budget{limits: lim}
	r := &policy.Resource{}
	if err := newResource(r, req.GetUrn(), req.GetType(), req.GetName(), req.GetProperties(), req.GetProvider(), opts, b); err != nil {
		return nil, err
	}
	parent := req.GetOptions().GetParent()
	if err := checkName("parent", parent, b); err != nil {
		return nil, fmt.Errorf("resource %.200q: %w", r.URN, err)
	}
	r.Parent = resource.URN(parent)
	return r, nil
}

// stackFromRequest builds the stack of an AnalyzeStack request, in the order the engine sent it,
// with each resource's parent, dependencies and property dependencies.
func stackFromRequest(ctx context.Context, req *pulumirpc.AnalyzeStackRequest, lim limits) (*policy.Stack, error) {
	if n := len(req.GetResources()); n > lim.values {
		return nil, fmt.Errorf("the request carries %d resources; the pack accepts at most %d values in all", n, lim.values)
	}
	rs, err := decodeStack(ctx, req, lim)
	if err != nil {
		return nil, err
	}
	return &policy.Stack{Resources: rs}, nil
}

// stackResource builds one resource of an AnalyzeStack request in r, spending from b. Its dependencies
// and property dependencies share a slice of URNs.
func stackResource(r *policy.Resource, ar *pulumirpc.AnalyzerResource, b *budget) error {
	if err := newResource(r, ar.GetUrn(), ar.GetType(), ar.GetName(), ar.GetProperties(), ar.GetProvider(), checkOptions, b); err != nil {
		return err
	}
	parent := ar.GetParent()
	if parent == "" {
		parent = ar.GetOptions().GetParent()
	}
	r.Parent = resource.URN(parent)
	if err := checkURNs(r, []string{parent}, "parent", b); err != nil {
		return err
	}
	deps, pds := ar.GetDependencies(), ar.GetPropertyDependencies()
	// The property dependencies usually list the dependencies again: room for both, without counting
	// them first. (More grows the slice; the parts already taken stay valid.)
	all := make([]resource.URN, 0, 2*len(deps))
	if len(deps) > 0 {
		if err := checkURNs(r, deps, "dependencies", b); err != nil {
			return err
		}
		all, r.Dependencies = appendURNs(all, deps)
	}
	if len(pds) > 0 {
		byKey := make([]policy.PropertyDependency, 0, len(pds))
		for k, v := range pds {
			if err := checkName("propertyDependencies", k, b); err != nil {
				return fmt.Errorf("resource %.200q: %w", r.URN, err)
			}
			if err := checkURNs(r, v.GetUrns(), "propertyDependencies", b); err != nil {
				return err
			}
			d := policy.PropertyDependency{Key: resource.PropertyKey(k)}
			all, d.URNs = appendURNs(all, v.GetUrns())
			byKey = append(byKey, d)
		}
		r.PropertyDependencies = policy.NewPropertyDependencies(byKey)
	}
	return nil
}

// checkURNs checks a resource's list of URNs (or keys) against the limits.
func checkURNs(r *policy.Resource, ss []string, what string, b *budget) error {
	for _, s := range ss {
		if err := checkName(what, s, b); err != nil {
			return fmt.Errorf("resource %.200q: %w", r.URN, err)
		}
	}
	return nil
}

// appendURNs appends strings to all as URNs, and returns all and the part it appended, whose capacity
// ends where it does, so that appending to one part cannot change the next.
func appendURNs(all []resource.URN, ss []string) (_, added []resource.URN) {
	start := len(all)
	for _, s := range ss {
		all = append(all, resource.URN(s))
	}
	return all, all[start:len(all):len(all)]
}

// cloneProperties copies a property map deeply, so that a remediation that fails half-way through
// rewriting it cannot leave its damage for the next one.
func cloneProperties(pm resource.PropertyMap) (resource.PropertyMap, error) {
	s, err := plugin.MarshalProperties(pm, remediateOptions)
	if err != nil {
		return nil, fmt.Errorf("copying properties: %w", err)
	}
	out, err := plugin.UnmarshalProperties(s, remediateOptions)
	if err != nil {
		return nil, fmt.Errorf("copying properties: %w", err)
	}
	return out, nil
}
