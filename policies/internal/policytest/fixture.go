package policytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Verdict is what a fixture's folder says the policy must conclude.
type Verdict string

// The verdicts, named as the fixture folders.
const (
	Pass         Verdict = "pass"
	Fail         Verdict = "fail"
	CannotVerify Verdict = "cannot-verify"
)

// Verdicts lists the verdict folders in a stable order.
var Verdicts = []Verdict{Pass, Fail, CannotVerify}

// Fixture is one loaded fixture.
type Fixture struct {
	// Path is the file the fixture was loaded from.
	Path string
	// Verdict comes from the folder the file is in; empty when it is in none of them.
	Verdict     Verdict
	Description string
	DryRun      bool
	Config      map[string]any
	Stack       *policy.Stack
	Expect      []string
	// Raw are the resources as written (after includes), for tools that rewrite fixtures.
	Raw []RawResource
}

// RawResource is one resource of a fixture as written.
type RawResource struct {
	URN                  string              `json:"urn"`
	Type                 string              `json:"type"`
	Name                 string              `json:"name,omitempty"`
	ID                   string              `json:"id,omitempty"`
	Parent               string              `json:"parent,omitempty"`
	Provider             string              `json:"provider,omitempty"`
	Properties           map[string]any      `json:"properties,omitempty"`
	Dependencies         []string            `json:"dependencies,omitempty"`
	PropertyDependencies map[string][]string `json:"propertyDependencies,omitempty"`
}

// rawFixture is a fixture file.
type rawFixture struct {
	Description string         `json:"description"`
	DryRun      bool           `json:"dryRun"`
	Config      map[string]any `json:"config,omitempty"`
	Include     []string       `json:"include,omitempty"`
	Remove      []string       `json:"remove,omitempty"`
	Resources   []RawResource  `json:"resources"`
	Expect      []string       `json:"expect,omitempty"`
}

// ShortURNPrefix is what a short URN (a bare name) is expanded with: <prefix><type>::<name>.
const ShortURNPrefix = "urn:pulumi:test::ess-ha::"

// LoadFixture reads one fixture file, with its includes.
func LoadFixture(path string) (*Fixture, error) {
	raw, err := readRaw(path, 0)
	if err != nil {
		return nil, err
	}
	st, err := DecodeResources(raw.Resources)
	if err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	f := &Fixture{
		Path:        path,
		Verdict:     verdictOf(path),
		Description: raw.Description,
		DryRun:      raw.DryRun,
		Config:      raw.Config,
		Stack:       st,
		Expect:      raw.Expect,
		Raw:         raw.Resources,
	}
	return f, nil
}

// verdictOf returns the verdict named by the folder a fixture file is in.
func verdictOf(path string) Verdict {
	dir := Verdict(filepath.Base(filepath.Dir(path)))
	for _, v := range Verdicts {
		if v == dir {
			return v
		}
	}
	return ""
}

// maxIncludeDepth bounds include chains (and so include cycles).
const maxIncludeDepth = 8

// readRaw reads a fixture file and merges its includes.
func readRaw(path string, depth int) (*rawFixture, error) {
	if depth > maxIncludeDepth {
		return nil, fmt.Errorf("fixture %s: includes nest deeper than %d", path, maxIncludeDepth)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading fixture: %w", err)
	}
	var raw rawFixture
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	if len(raw.Include) == 0 && len(raw.Remove) == 0 {
		return &raw, nil
	}
	var merged []RawResource
	for _, inc := range raw.Include {
		sub, err := readRaw(filepath.Join(filepath.Dir(path), inc), depth+1)
		if err != nil {
			return nil, fmt.Errorf("fixture %s: include %s: %w", path, inc, err)
		}
		merged = append(merged, sub.Resources...)
	}
	remove := map[string]bool{}
	for _, r := range raw.Remove {
		remove[r] = true
	}
	kept := merged[:0]
	for _, r := range merged {
		if !remove[r.URN] && !remove[fullURN(r)] {
			kept = append(kept, r)
		}
	}
	merged = kept
	index := map[string]int{}
	for i, r := range merged {
		index[fullURN(r)] = i
	}
	for _, r := range raw.Resources {
		if i, ok := index[fullURN(r)]; ok {
			merged[i] = r
			continue
		}
		index[fullURN(r)] = len(merged)
		merged = append(merged, r)
	}
	raw.Resources = merged
	raw.Include, raw.Remove = nil, nil
	return &raw, nil
}

// fullURN expands a short URN.
func fullURN(r RawResource) string {
	if strings.HasPrefix(r.URN, "urn:") {
		return r.URN
	}
	return ShortURNPrefix + r.Type + "::" + r.URN
}

// DecodeResources turns fixture resources into a stack: short URNs are expanded, references by short name
// are resolved, and properties are decoded from Pulumi's serialized state format.
func DecodeResources(raws []RawResource) (*policy.Stack, error) {
	byShort := map[string][]string{}
	for _, r := range raws {
		if r.Type == "" {
			return nil, fmt.Errorf("resource %q has no type", r.URN)
		}
		if r.URN == "" {
			return nil, fmt.Errorf("a resource of type %s has no urn", r.Type)
		}
		full := fullURN(r)
		byShort[urnName(resource.URN(full))] = append(byShort[urnName(resource.URN(full))], full)
	}
	ref := func(s string) (resource.URN, error) {
		if s == "" || strings.HasPrefix(s, "urn:") {
			return resource.URN(s), nil
		}
		switch urns := byShort[s]; len(urns) {
		case 0:
			return "", fmt.Errorf("no resource is named %q", s)
		case 1:
			return resource.URN(urns[0]), nil
		default:
			return "", fmt.Errorf("several resources are named %q: use a full URN", s)
		}
	}
	refs := func(ss []string) ([]resource.URN, error) {
		if ss == nil {
			return nil, nil
		}
		out := make([]resource.URN, 0, len(ss))
		for _, s := range ss {
			u, err := ref(s)
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		}
		return out, nil
	}
	st := &policy.Stack{Resources: make([]*policy.Resource, 0, len(raws))}
	seen := map[resource.URN]bool{}
	for _, r := range raws {
		urn := resource.URN(fullURN(r))
		if seen[urn] {
			return nil, fmt.Errorf("duplicate resource %s", urn)
		}
		seen[urn] = true
		props, err := stack.DeserializeProperties(orEmpty(r.Properties), blindDecrypter{})
		if err != nil {
			return nil, fmt.Errorf("resource %s: properties: %w", urn, err)
		}
		parent, err := ref(r.Parent)
		if err != nil {
			return nil, fmt.Errorf("resource %s: parent: %w", urn, err)
		}
		deps, err := refs(r.Dependencies)
		if err != nil {
			return nil, fmt.Errorf("resource %s: dependencies: %w", urn, err)
		}
		res := &policy.Resource{
			URN:          urn,
			Type:         r.Type,
			Name:         r.Name,
			ID:           r.ID,
			Provider:     r.Provider,
			Parent:       parent,
			Properties:   props,
			Dependencies: deps,
		}
		if res.Name == "" {
			res.Name = urnName(urn)
		}
		if len(r.PropertyDependencies) > 0 {
			keys := make([]string, 0, len(r.PropertyDependencies))
			for k := range r.PropertyDependencies {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			deps := make([]policy.PropertyDependency, 0, len(keys))
			for _, k := range keys {
				us, err := refs(r.PropertyDependencies[k])
				if err != nil {
					return nil, fmt.Errorf("resource %s: propertyDependencies[%s]: %w", urn, k, err)
				}
				deps = append(deps, policy.PropertyDependency{Key: resource.PropertyKey(k), URNs: us})
			}
			res.PropertyDependencies = policy.NewPropertyDependencies(deps)
		}
		st.Resources = append(st.Resources, res)
	}
	return st, nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// LoadFixtures loads every *.json fixture of a folder, sorted by file name. A missing folder gives none.
func LoadFixtures(dir string) ([]*Fixture, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing fixtures: %w", err)
	}
	var out []*Fixture
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		f, err := LoadFixture(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// blindDecrypter stands in for a secrets provider: every ciphertext decrypts to the string "[secret]",
// which stays wrapped as a secret. Policies never need a secret's plaintext to decide.
type blindDecrypter struct{}

var _ config.Decrypter = blindDecrypter{}

// DecryptValue implements config.Decrypter.
func (blindDecrypter) DecryptValue(_ context.Context, _ string) (string, error) {
	return `"[secret]"`, nil
}

// BatchDecrypt implements config.Decrypter.
func (blindDecrypter) BatchDecrypt(_ context.Context, ciphertexts []string) ([]string, error) {
	out := make([]string, len(ciphertexts))
	for i := range out {
		out[i] = `"[secret]"`
	}
	return out, nil
}
