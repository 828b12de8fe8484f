package state

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/valyala/fastjson"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// newMagic is the engine's magic cookie for a manifest version (deploy.Manifest.NewMagic).
func newMagic(version string) string {
	if version == "" {
		return ""
	}
	return fmt.Sprintf("%x", sha256.Sum256([]byte(version)))
}

// chunk is how many resources one goroutine decodes before it looks for more work and checks for
// cancellation.
const chunk = 256

// decodeAll parses and decodes the resources in parallel, each goroutine with its own parser; the
// properties decoded from a parse tree own their strings, so the parser's memory is reused for the
// next resource.
func decodeAll(ctx context.Context, f *File, src source, items []span, dec *decrypter, opts Options) error {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		firstAt  = len(items)
		wg       sync.WaitGroup
	)
	workers := min(runtime.GOMAXPROCS(0), (len(items)+chunk-1)/chunk)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p fastjson.Parser // reused: its memory grows to the largest resource once
			var buf []byte        // reused: the bytes of one chunk of resources
			d := &decoder{dec: dec, opts: opts, strs: map[string]resource.PropertyValue{}, keys: map[string]resource.PropertyKey{},
				names: map[string]string{}}
			for {
				if ctx.Err() != nil {
					return
				}
				start := int(next.Add(chunk)) - chunk
				if start >= len(items) {
					return
				}
				end := min(start+chunk, len(items))
				data, err := src.read(buf, items[start].start, items[end-1].end)
				if err != nil {
					mu.Lock()
					if start < firstAt {
						firstAt, firstErr = start, &Error{Path: f.Path, Where: fmt.Sprintf("deployment.resources[%d]", start), What: err.Error()}
					}
					mu.Unlock()
					return
				}
				buf = data
				base := items[start].start
				for i := start; i < end; i++ {
					v, err := p.ParseBytes(data[items[i].start-base : items[i].end-base])
					if err != nil {
						err = &Error{Path: f.Path, Where: fmt.Sprintf("deployment.resources[%d]", i), What: err.Error()}
					} else {
						var r *Resource
						if r, err = d.resource(f.Path, i, v); err == nil {
							f.Resources[i] = r
						}
					}
					if err != nil {
						mu.Lock()
						if i < firstAt {
							firstAt, firstErr = i, err
						}
						mu.Unlock()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return errCancelled(ctx)
	}
	return firstErr
}

// decoder decodes resources on one goroutine. It interns short strings and keys: the same tag keys,
// tag values, regions and types repeat across thousands of resources, and a shared string (and the
// boxed property value holding it) costs nothing more.
type decoder struct {
	dec  *decrypter
	opts Options
	strs map[string]resource.PropertyValue
	keys map[string]resource.PropertyKey
	// names interns type tokens, URNs and provider references.
	names map[string]string
}

// Limits of the interning caches.
const (
	internMaxLen     = 96
	internMaxEntries = 1 << 16
)

func (d *decoder) str(b []byte) resource.PropertyValue {
	if len(b) > internMaxLen {
		return resource.NewStringProperty(string(b))
	}
	if v, ok := d.strs[string(b)]; ok {
		return v
	}
	v := resource.NewStringProperty(string(b))
	if len(d.strs) < internMaxEntries {
		d.strs[v.StringValue()] = v
	}
	return v
}

// name interns a type token, URN or provider reference: the resources of a stack share a few types,
// parents and providers, and depend on the same few resources.
func (d *decoder) name(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.names) < internMaxEntries {
		d.names[s] = s
	}
	return s
}

func (d *decoder) key(b []byte) resource.PropertyKey {
	if k, ok := d.keys[string(b)]; ok {
		return k
	}
	k := resource.PropertyKey(b)
	if len(d.keys) < internMaxEntries {
		d.keys[string(k)] = k
	}
	return k
}

// resource decodes deployment.resources[i].
func (d *decoder) resource(path string, i int, v *fastjson.Value) (*Resource, error) {
	at := "deployment.resources[" + strconv.Itoa(i) + "]"
	fail := func(field, format string, args ...any) error {
		where := at
		if field != "" {
			where += "." + field
		}
		return &Error{Path: path, Where: where, What: fmt.Sprintf(format, args...)}
	}
	o, err := v.Object()
	if err != nil {
		return nil, fail("", "is %s, not a resource object", jsonKind(v))
	}
	r := &Resource{Index: i, Type: d.name(v.GetStringBytes("type"))}
	wantInputs := d.opts.Inputs == nil || d.opts.Inputs(r.Type)
	var visitErr error
	o.Visit(func(key []byte, val *fastjson.Value) {
		if visitErr != nil {
			return
		}
		k := string(key)
		bytes := func() []byte {
			if val.Type() == fastjson.TypeNull {
				return nil
			}
			b, err := val.StringBytes()
			if err != nil {
				visitErr = fail(k, "is %s, not a string", jsonKind(val))
			}
			return b
		}
		str := func() string { return string(bytes()) }
		// name is a string that repeats across resources (a type, a parent, a provider): interned.
		name := func() string { return d.name(bytes()) }
		boolean := func() bool {
			if val.Type() == fastjson.TypeNull {
				return false
			}
			b, err := val.Bool()
			if err != nil {
				visitErr = fail(k, "is %s, not a boolean", jsonKind(val))
			}
			return b
		}
		urns := func(field string, val *fastjson.Value) []resource.URN {
			if val.Type() == fastjson.TypeNull {
				return nil
			}
			arr, err := val.Array()
			if err != nil {
				visitErr = fail(field, "is %s, not a list of URNs", jsonKind(val))
				return nil
			}
			out := make([]resource.URN, len(arr))
			for j, e := range arr {
				b, err := e.StringBytes()
				if err != nil {
					visitErr = fail(field+"["+strconv.Itoa(j)+"]", "is %s, not a URN", jsonKind(e))
					return nil
				}
				out[j] = resource.URN(d.name(b))
			}
			return out
		}
		switch k {
		case "urn":
			r.URN = resource.URN(str())
		case "type":
			r.Type = name()
		case "custom":
			r.Custom = boolean()
		case "delete":
			r.Delete = boolean()
		case "id":
			r.ID = str()
		case "parent":
			r.Parent = resource.URN(name())
		case "provider":
			r.Provider = name()
		case "deletedWith":
			r.DeletedWith = resource.URN(name())
		case "pendingReplacement":
			r.PendingReplacement = boolean()
		case "dependencies":
			r.Dependencies = urns(k, val)
		case "replaceWith":
			r.ReplaceWith = urns(k, val)
		case "propertyDependencies":
			if val.Type() == fastjson.TypeNull {
				return
			}
			po, err := val.Object()
			if err != nil {
				visitErr = fail(k, "is %s, not an object of URN lists", jsonKind(val))
				return
			}
			deps := make([]policy.PropertyDependency, 0, po.Len())
			po.Visit(func(pk []byte, pv *fastjson.Value) {
				if visitErr == nil {
					deps = append(deps, policy.PropertyDependency{Key: resource.PropertyKey(pk), URNs: urns(k+"."+string(pk), pv)})
				}
			})
			r.PropertyDependencies = policy.NewPropertyDependencies(deps)
		case "inputs", "outputs":
			if k == "inputs" && !wantInputs {
				return
			}
			pm, err := d.properties(val)
			if err != nil {
				visitErr = fail(k, "%v", err)
				return
			}
			if k == "inputs" {
				r.Inputs = pm
			} else {
				r.Outputs = pm
			}
		}
	})
	if visitErr != nil {
		return nil, visitErr
	}
	// The engine's own checks when it reads a resource (stack.DeserializeResource), then its URN check
	// (pulumi policy analyze).
	switch {
	case r.URN == "":
		return nil, fail("urn", "missing: every resource needs its URN (the engine: \"resource missing required 'urn' field\")")
	case !r.URN.IsValid():
		return nil, fail("urn", "%q is not a valid URN (want urn:pulumi:<stack>::<project>::<type>::<name>)", string(r.URN))
	case r.Type == "":
		return nil, fail("type", "missing for resource %s", r.URN)
	case !r.Custom && r.ID != "":
		return nil, fail("id", "resource %s has 'custom' false but an ID (%q): only custom resources have IDs", r.URN, r.ID)
	}
	if r.Inputs == nil {
		r.Inputs = resource.PropertyMap{}
	}
	if r.Outputs == nil {
		r.Outputs = resource.PropertyMap{}
	}
	return r, nil
}

// unknowns are the strings the Analyzer protocol decodes as unknown values (the state file's own
// placeholder is the first).
var unknowns = map[string]bool{
	plugin.UnknownStringValue: true, plugin.UnknownBoolValue: true, plugin.UnknownNumberValue: true,
	plugin.UnknownArrayValue: true, plugin.UnknownAssetValue: true, plugin.UnknownArchiveValue: true,
	plugin.UnknownObjectValue: true,
}

// properties decodes a property map. Internal keys ("__defaults", "__meta") are dropped at the top
// level, as the Analyzer protocol drops them.
func (d *decoder) properties(v *fastjson.Value) (resource.PropertyMap, error) {
	if v.Type() == fastjson.TypeNull {
		return resource.PropertyMap{}, nil
	}
	o, err := v.Object()
	if err != nil {
		return nil, fmt.Errorf("is %s, not an object of properties", jsonKind(v))
	}
	pm := make(resource.PropertyMap, o.Len())
	var firstErr error
	o.Visit(func(key []byte, val *fastjson.Value) {
		if firstErr != nil {
			return
		}
		k := d.key(key)
		if resource.IsInternalPropertyKey(k) {
			return
		}
		pv, err := d.value(val, 0)
		if err != nil {
			firstErr = fmt.Errorf("%s: %w", k, err)
			return
		}
		pm[k] = pv
	})
	return pm, firstErr
}

// maxDepth bounds the nesting of property values, as a guard against hostile files.
const maxDepth = 256

// value decodes one property value as the pack sees it behind the engine: the state file's unknown
// placeholder (and the protocol's other unknown sentinels) become unknown values; signed objects
// (secrets, assets, archives, resource references) go through the engine's own code.
func (d *decoder) value(v *fastjson.Value, depth int) (resource.PropertyValue, error) {
	if depth > maxDepth {
		return resource.PropertyValue{}, fmt.Errorf("values nest deeper than %d levels", maxDepth)
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return resource.NewNullProperty(), nil
	case fastjson.TypeTrue:
		return resource.NewBoolProperty(true), nil
	case fastjson.TypeFalse:
		return resource.NewBoolProperty(false), nil
	case fastjson.TypeNumber:
		n, err := v.Float64()
		if err != nil {
			return resource.PropertyValue{}, fmt.Errorf("bad number %s: %w", v.String(), err)
		}
		return resource.NewNumberProperty(n), nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if len(b) == 36 && unknowns[string(b)] {
			return unknown(string(b)), nil
		}
		return d.str(b), nil
	case fastjson.TypeArray:
		arr, _ := v.Array()
		out := make([]resource.PropertyValue, len(arr))
		for i, e := range arr {
			pv, err := d.value(e, depth+1)
			if err != nil {
				return resource.PropertyValue{}, err
			}
			out[i] = pv
		}
		return resource.NewArrayProperty(out), nil
	}
	o, _ := v.Object()
	if o.Get(resource.SigKey) != nil {
		return signed(v, d.dec)
	}
	pm := make(resource.PropertyMap, o.Len())
	var firstErr error
	o.Visit(func(key []byte, val *fastjson.Value) {
		if firstErr != nil {
			return
		}
		pv, err := d.value(val, depth+1)
		if err != nil {
			firstErr = err
			return
		}
		pm[d.key(key)] = pv
	})
	if firstErr != nil {
		return resource.PropertyValue{}, firstErr
	}
	return resource.NewObjectProperty(pm), nil
}

// unknown is the unknown value the protocol decodes a sentinel string as.
func unknown(sentinel string) resource.PropertyValue {
	var elem resource.PropertyValue
	switch sentinel {
	case plugin.UnknownBoolValue:
		elem = resource.NewBoolProperty(false)
	case plugin.UnknownNumberValue:
		elem = resource.NewNumberProperty(0)
	case plugin.UnknownArrayValue:
		elem = resource.NewArrayProperty([]resource.PropertyValue{})
	case plugin.UnknownAssetValue:
		elem = resource.NewAssetProperty(nil)
	case plugin.UnknownArchiveValue:
		elem = resource.NewArchiveProperty(nil)
	case plugin.UnknownObjectValue:
		elem = resource.NewObjectProperty(resource.PropertyMap{})
	default:
		elem = resource.NewStringProperty("")
	}
	return resource.MakeComputed(elem)
}

// engineMarshal are the options the engine encodes properties with for the pack (Analyze and
// AnalyzeStack); checkOptions those the pack decodes them with.
var (
	engineMarshal = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}
	checkOptions  = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}
)

// signed decodes an object with a signature key through the engine's own path, from the state file's
// form to what the pack receives: stack.DeserializePropertyValue, the engine's property.Value round
// trip, and the protocol's encoding both ways. These values are rare (secrets, assets, resource
// references), so the cost does not matter.
func signed(v *fastjson.Value, dec *decrypter) (resource.PropertyValue, error) {
	var raw any
	if err := json.Unmarshal(v.MarshalTo(nil), &raw); err != nil {
		return resource.PropertyValue{}, err
	}
	pv, err := stack.DeserializePropertyValue(raw, dec)
	if err != nil {
		return resource.PropertyValue{}, err
	}
	pm := resource.ToResourcePropertyMap(resource.FromResourcePropertyMap(resource.PropertyMap{"v": pv}))
	s, err := plugin.MarshalProperties(pm, engineMarshal)
	if err != nil {
		return resource.PropertyValue{}, err
	}
	out, err := plugin.UnmarshalProperties(s, checkOptions)
	if err != nil {
		return resource.PropertyValue{}, err
	}
	if got, ok := out["v"]; ok {
		return got, nil
	}
	return resource.NewNullProperty(), nil
}

// decrypter decrypts the ciphertext of secrets: a b64 secrets provider's base64, or, for any other
// provider (which would need a passphrase, a login or a KMS key), the redacted string "[secret]", as
// `pulumi policy analyze --file` falls back to.
type decrypter struct {
	base64  bool
	blinded atomic.Bool
}

var _ config.Decrypter = (*decrypter)(nil)

func newDecrypter(sp *fastjson.Value) (*decrypter, error) {
	d := &decrypter{}
	if sp == nil || sp.Type() == fastjson.TypeNull {
		return d, nil
	}
	if sp.Type() != fastjson.TypeObject {
		return nil, fmt.Errorf("is %s, not an object", jsonKind(sp))
	}
	d.base64 = string(sp.GetStringBytes("type")) == "b64"
	return d, nil
}

// DecryptValue implements config.Decrypter.
func (d *decrypter) DecryptValue(_ context.Context, ciphertext string) (string, error) {
	if d.base64 {
		b, err := base64.StdEncoding.DecodeString(ciphertext)
		if err != nil {
			return "", fmt.Errorf("a b64 secret is not base64: %w", err)
		}
		return string(b), nil
	}
	d.blinded.Store(true)
	return `"[secret]"`, nil
}

// BatchDecrypt implements config.Decrypter.
func (d *decrypter) BatchDecrypt(ctx context.Context, ciphertexts []string) ([]string, error) {
	return config.DefaultBatchDecrypt(ctx, d, ciphertexts)
}
