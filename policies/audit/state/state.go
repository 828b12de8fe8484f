// Package state reads a Pulumi state file (what `pulumi stack export` and `essha plan` write) for an
// audit: quickly, in one pass with no intermediate generic JSON tree, checking its integrity as the
// engine does (deploy.Snapshot.VerifyIntegrity), and giving each resource's inputs and outputs exactly
// as the pack's policies would see them behind `pulumi policy analyze` (the engine's property
// conversions and the Analyzer protocol's encoding included), so that an audit reaches the same
// verdicts without the engine, gRPC or structpb.
package state

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/valyala/fastjson"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// File is one state file.
type File struct {
	// Path names the file in messages.
	Path string
	// Project and Stack are those of the root stack resource (or of the first resource's URN).
	Project, Stack string
	// Resources are every resource of the file, in file order, pending deletions included.
	Resources []*Resource
	// Warnings are things the auditor should know, such as secrets that could not be decrypted and are
	// analyzed as "[secret]".
	Warnings []string
}

// Resource is one resource of a state file.
type Resource struct {
	// Index is the resource's position in the file's deployment.resources.
	Index                int
	URN                  resource.URN
	Type                 string
	Custom               bool
	Delete               bool
	ID                   string
	Parent               resource.URN
	Provider             string
	Dependencies         []resource.URN
	PropertyDependencies policy.PropertyDependencies
	DeletedWith          resource.URN
	ReplaceWith          []resource.URN
	PendingReplacement   bool
	// Inputs and Outputs are the properties as the pack sees them (Analyze gets the inputs,
	// AnalyzeStack the outputs).
	Inputs, Outputs resource.PropertyMap
}

// Live returns the resources that are not pending deletion, the ones the engine analyzes.
func (f *File) Live() []*Resource {
	out := make([]*Resource, 0, len(f.Resources))
	for _, r := range f.Resources {
		if !r.Delete {
			out = append(out, r)
		}
	}
	return out
}

// Error is a problem with a state file: it names the file, where in it, and what is wrong.
type Error struct {
	Path string
	// Where is a JSON path into the file ("deployment.resources[3].urn"), or empty for the file as a whole.
	Where string
	What  string
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Path + ": " + e.What
	}
	return e.Path + ": " + e.Where + ": " + e.What
}

// expected is what a state file must look like, for messages.
const expected = "want what `pulumi stack export` or `essha plan` writes: {\"version\": 3, \"deployment\": {\"manifest\": ..., \"resources\": [...]}}"

// Parse reads and checks a state file's content; path names it in messages. The work stops, with the
// context's error, when ctx is cancelled.
func Parse(ctx context.Context, path string, data []byte) (*File, error) {
	return ParseWith(ctx, path, data, Options{})
}

// Options adjust what Parse decodes.
type Options struct {
	// Inputs, when set, says which resource types' inputs to decode (the types the resource policies
	// check); the inputs of other resources are left empty. Nil decodes every resource's inputs.
	Inputs func(typ string) bool
}

// ParseWith is Parse with options.
func ParseWith(ctx context.Context, path string, data []byte, opts Options) (*File, error) {
	return parse(ctx, path, data, memory(data), nil, opts)
}

// parse reads a document whose bytes are data: it walks data's outline and checks its header, then
// calls release (when not nil), after which data is not touched again, and decodes the resources, read
// from src.
func parse(ctx context.Context, path string, data []byte, src source, release func() error, opts Options) (*File, error) {
	fail := func(where, format string, args ...any) error {
		return &Error{Path: path, Where: where, What: fmt.Sprintf(format, args...)}
	}
	whole := span{skipSpace(data, 0), len(data)}
	if whole.start >= len(data) || data[whole.start] != '{' {
		var p fastjson.Parser
		v, err := p.ParseBytes(data)
		if err != nil {
			return nil, fail("", "not JSON: %v", err)
		}
		return nil, fail("", "not a state file: the document is %s; %s", jsonKind(v), expected)
	}
	o, err := outlineOf(data)
	if err != nil {
		return nil, fail("", "not JSON: %v", err)
	}
	small := func(s *span) *fastjson.Value {
		var p fastjson.Parser
		v, _ := p.ParseBytes(data[s.start:s.end]) // validated by the outline
		return v
	}
	switch {
	case o.deployment == nil && o.version == nil:
		return nil, fail("", "not a state file: it has neither \"version\" nor \"deployment\"; %s", expected)
	case o.deployment == nil:
		return nil, fail("deployment", "missing; %s", expected)
	case data[o.deployment.start] != '{':
		return nil, fail("deployment", "is %s, not an object; %s", jsonKind(small(o.deployment)), expected)
	case o.version == nil:
		return nil, fail("version", "missing; want 3")
	}
	if v, err := small(o.version).Int(); err != nil || v != 3 {
		return nil, fail("version", "%s is not supported; want 3, the deployment version `pulumi stack export` writes",
			string(data[o.version.start:o.version.end]))
	}
	f := &File{Path: path}
	var manifest, secrets *fastjson.Value
	if o.manifest != nil {
		manifest = small(o.manifest)
	}
	if o.secrets != nil {
		secrets = small(o.secrets)
	}
	if err := f.checkManifest(manifest, fail); err != nil {
		return nil, err
	}
	dec, err := newDecrypter(secrets)
	if err != nil {
		return nil, fail("deployment.secrets_providers", "%v", err)
	}
	if r := o.resources; r != nil && data[r.start] != 'n' && data[r.start] != '[' {
		return nil, fail("deployment.resources", "is %s, not a list of resources", jsonKind(small(r)))
	}
	if release != nil {
		if err := release(); err != nil {
			return nil, fail("", "releasing the file's memory map: %v", err)
		}
	}
	items := o.items
	f.Resources = make([]*Resource, len(items))
	if err := decodeAll(ctx, f, src, items, dec, opts); err != nil {
		return nil, err
	}
	if dec.blinded.Load() {
		f.Warnings = append(f.Warnings, "the file's secrets are encrypted and could not be decrypted offline: they are analyzed "+
			"as the string \"[secret]\" (as `pulumi policy analyze` does); export with `pulumi stack export --show-secrets` to analyze their values")
	}
	if err := f.verify(); err != nil {
		return nil, err
	}
	f.Project, f.Stack = f.identity()
	return f, nil
}

// checkManifest checks the manifest's magic cookie as the engine does: it must be the SHA-256 of the
// manifest's version, or empty when the version is.
func (f *File) checkManifest(m *fastjson.Value, fail func(string, string, ...any) error) error {
	if m == nil || m.Type() == fastjson.TypeNull {
		return nil // the engine accepts a missing manifest: its magic and version are both empty
	}
	if m.Type() != fastjson.TypeObject {
		return fail("deployment.manifest", "is %s, not an object", jsonKind(m))
	}
	version, magic := string(m.GetStringBytes("version")), string(m.GetStringBytes("magic"))
	if want := newMagic(version); magic != want {
		return fail("deployment.manifest.magic", "%q does not match the manifest's version %q (want %q): the file was "+
			"altered or corrupted (the engine refuses it: \"magic cookie mismatch; possible tampering/corruption detected\")",
			magic, version, want)
	}
	return nil
}

// identity returns the project and stack of the file.
func (f *File) identity() (project, stack string) {
	var first resource.URN
	for _, r := range f.Resources {
		if r.Type == string(resource.RootStackType) && r.Parent == "" {
			return string(r.URN.Project()), string(r.URN.Stack())
		}
		if first == "" {
			first = r.URN
		}
	}
	if first == "" {
		return "", ""
	}
	return string(first.Project()), string(first.Stack())
}

// jsonKind names a JSON value's kind for messages.
func jsonKind(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeNull:
		return "null"
	case fastjson.TypeObject:
		return "an object"
	case fastjson.TypeArray:
		return "a list"
	case fastjson.TypeString:
		return "a string"
	case fastjson.TypeNumber:
		return "a number"
	default:
		return "a boolean"
	}
}

// errCancelled wraps the context's error.
func errCancelled(ctx context.Context) error {
	return fmt.Errorf("reading the state file stopped: %w", context.Cause(ctx))
}

func resourceType(t string) tokens.Type { return tokens.Type(t) }
func resourceID(id string) resource.ID  { return resource.ID(id) }
