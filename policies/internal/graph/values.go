package graph

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// UnknownSentinel is the string Pulumi's wire and state formats use for an unknown value. A property
// holding it (because whoever decoded the properties did not keep unknowns) is treated as unknown.
const UnknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

// What Show prints instead of a value it must not or cannot print.
const (
	ShownSecret  = "[secret]"
	ShownUnknown = "[unknown during preview]"
)

// Unwrap strips the secret and known-output wrappers off v. It returns the underlying value, whether that
// value is known (false for a computed value, an unknown output or the unknown sentinel), and whether any
// wrapper was secret. Use the value for logic; never print it when secret is true.
func Unwrap(v resource.PropertyValue) (val resource.PropertyValue, known, secret bool) {
	for {
		// One type switch instead of a type assertion per wrapper: policies unwrap every value they read.
		switch x := v.V.(type) {
		case string:
			return v, x != UnknownSentinel, secret
		case *resource.Secret:
			secret = true
			v = x.Element
		case resource.Output:
			secret = secret || x.Secret
			if !x.Known {
				return v, false, secret
			}
			v = x.Element
		case resource.Computed:
			return v, false, secret
		default:
			return v, true, secret
		}
	}
}

// IsUnknown reports whether v is unknown at its top level (computed, an unknown output, or the sentinel).
func IsUnknown(v resource.PropertyValue) bool {
	_, known, _ := Unwrap(v)
	return !known
}

// Field is one property value looked up by path, with its wrappers removed.
type Field struct {
	// Path is the dotted path the field was looked up by, for messages.
	Path string
	// Raw is the value as stored, wrappers intact. Print it with Show, or print the field with Field.Show.
	Raw resource.PropertyValue
	// Value is the unwrapped value; meaningful only when Known.
	Value resource.PropertyValue
	// Present is false when the property, or an object on the way to it, is missing or null. An unknown
	// value counts as present.
	Present bool
	// Known is false when the value, or a value on the way to it, is unknown.
	Known bool
	// Secret is true when the value, or a value on the way to it, is secret.
	Secret bool
}

// Get looks up a dotted path ("metadataOptions.httpTokens") in a property map.
func Get(pm resource.PropertyMap, path string) Field {
	// The first key is looked up in pm directly: the root is a known object.
	k, rest, more := strings.Cut(path, ".")
	raw, ok := pm[resource.PropertyKey(k)]
	f := Field{Path: k}.with(raw, ok)
	for more {
		k, rest, more = strings.Cut(rest, ".")
		f = f.child(k)
	}
	f.Path = path
	return f
}

// Prop looks up a dotted path in a resource's properties.
func Prop(r *policy.Resource, path string) Field {
	return Get(r.Properties, path)
}

// Get returns the field's property key when the field is an object. A missing key under a known object
// is not present; any key under an unknown value is unknown.
func (f Field) Get(key string) Field {
	child := f.child(key)
	child.Path = joinPath(f.Path, key)
	return child
}

// child is Get without the path, for lookups whose intermediate paths nobody reads.
func (f Field) child(key string) Field {
	child := Field{Secret: f.Secret}
	switch {
	case !f.Present:
		child.Known = true
		return child
	case !f.Known:
		child.Present = true
		child.Raw = f.Raw
		return child
	}
	obj, isObj := f.Value.V.(resource.PropertyMap)
	if !isObj {
		child.Known = true
		return child
	}
	raw, ok := obj[resource.PropertyKey(key)]
	return child.with(raw, ok)
}

// with fills in a field from a raw value.
func (f Field) with(raw resource.PropertyValue, ok bool) Field {
	f.Raw = raw
	if !ok || raw.IsNull() {
		f.Known = true
		return f
	}
	val, known, secret := Unwrap(raw)
	f.Value = val
	f.Known = known
	f.Secret = f.Secret || secret
	f.Present = !known || !val.IsNull()
	return f
}

// Items returns the elements of an array field. It returns nil for a missing, unknown or non-array field;
// check Known to tell an unknown array from an empty one.
func (f Field) Items() []Field {
	return f.items(true)
}

// items returns the elements of an array field, with their paths when paths is true.
func (f Field) items(paths bool) []Field {
	if !f.Present || !f.Known {
		return nil
	}
	arr, isArr := f.Value.V.([]resource.PropertyValue)
	if !isArr {
		return nil
	}
	out := make([]Field, len(arr))
	for i, e := range arr {
		out[i] = Field{Secret: f.Secret}.with(e, true)
		if paths {
			out[i].Path = f.Path + "[" + strconv.Itoa(i) + "]"
		}
	}
	return out
}

// Str returns the field's string value; ok is false unless the field is a known string.
func (f Field) Str() (s string, ok bool) {
	if !f.Present || !f.Known || !f.Value.IsString() {
		return "", false
	}
	return f.Value.StringValue(), true
}

// Bool returns the field's boolean value, accepting the strings "true" and "false" that some providers
// use for booleans; ok is false unless the field is a known boolean.
func (f Field) Bool() (b, ok bool) {
	if !f.Present || !f.Known {
		return false, false
	}
	switch {
	case f.Value.IsBool():
		return f.Value.BoolValue(), true
	case f.Value.IsString():
		v, err := strconv.ParseBool(strings.TrimSpace(f.Value.StringValue()))
		return v, err == nil
	}
	return false, false
}

// Num returns the field's numeric value, accepting numeric strings; ok is false unless the field is a
// known number.
func (f Field) Num() (n float64, ok bool) {
	if !f.Present || !f.Known {
		return 0, false
	}
	switch {
	case f.Value.IsNumber():
		return f.Value.NumberValue(), true
	case f.Value.IsString():
		v, err := strconv.ParseFloat(strings.TrimSpace(f.Value.StringValue()), 64)
		return v, err == nil
	}
	return 0, false
}

// Strings returns the field's string elements when it is an array of known strings, or a single known
// string as a one-element list. ok is false when the field or any element is unknown or not a string;
// a missing field gives (nil, true). The strings are for logic: a message shows them through Texts,
// which keeps each element's secrecy.
func (f Field) Strings() (ss []string, ok bool) {
	if !f.Present {
		return nil, true
	}
	if s, isStr := f.Str(); isStr {
		return []string{s}, true
	}
	if !f.Known || !f.Value.IsArray() {
		return nil, false
	}
	for _, it := range f.Items() {
		if !it.Present {
			continue
		}
		s, isStr := it.Str()
		if !isStr {
			return nil, false
		}
		ss = append(ss, s)
	}
	return ss, true
}

// Text returns the field as a Text: its string value ("" when it is not a known string), secret when
// the field or anything on its path is.
func (f Field) Text() Text {
	s, _ := f.Str()
	return Text{S: s, Secret: f.Secret}
}

// Texts is Strings with each element's secrecy: an element is secret when it, the array, or anything
// on the array's path is.
func (f Field) Texts() (ts []Text, ok bool) {
	if !f.Present {
		return nil, true
	}
	if s, isStr := f.Str(); isStr {
		return []Text{{S: s, Secret: f.Secret}}, true
	}
	if !f.Known || !f.Value.IsArray() {
		return nil, false
	}
	for _, it := range f.Items() {
		if !it.Present {
			continue
		}
		s, isStr := it.Str()
		if !isStr {
			return nil, false
		}
		ts = append(ts, Text{S: s, Secret: it.Secret})
	}
	return ts, true
}

// Unknown reports whether the field is present but unknown.
func (f Field) Unknown() bool { return f.Present && !f.Known }

// Show prints the field safely: "[secret]" when it or anything on its path is secret, "[unknown during
// preview]" when unknown, "null" when missing, else the value.
func (f Field) Show() string {
	switch {
	case f.Secret:
		return ShownSecret
	case !f.Present:
		return "null"
	case !f.Known:
		return ShownUnknown
	}
	return Show(f.Raw)
}

// Text is a string a policy read from the properties, or made from them, with whether it, or anything it
// was made from, is secret. It is how such a string gets into a message: printed with %s (String) it
// is the string, or "[secret]"; Quoted quotes it. A string derived from a Text (a part of it, a name
// parsed out of it) is a Text with the same Secret: see Derive.
type Text struct {
	S      string
	Secret bool
}

// Plain makes a Text of a string that holds no secret (one the policy made up).
func Plain(s string) Text { return Text{S: s} }

// String prints the text for a message: "[secret]" when secret, else the text.
func (t Text) String() string {
	if t.Secret {
		return ShownSecret
	}
	return t.S
}

// Quoted prints the text quoted, or "[secret]".
func (t Text) Quoted() string {
	if t.Secret {
		return ShownSecret
	}
	return quote(t.S)
}

// Derive makes a text from this one's string, as secret as this one.
func (t Text) Derive(s string) Text { return Text{S: s, Secret: t.Secret} }

// Strs returns the strings of texts, for logic.
func Strs(ts []Text) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.S
	}
	return out
}

// AnySecret reports whether any of the texts is secret.
func AnySecret(ts []Text) bool {
	for _, t := range ts {
		if t.Secret {
			return true
		}
	}
	return false
}

// ZonesOfTexts collects AZ names read from properties: distinct and sorted, secret when any is.
func ZonesOfTexts(ts []Text) Zones {
	names := Strs(ts)
	slices.Sort(names)
	return Zones{Names: slices.Compact(names), Secret: AnySecret(ts)}
}

// MaxListed is how many items a message lists before saying how many more there are.
const MaxListed = 8

// List joins items for a message with sep, listing at most MaxListed of them: "a, b, c and 9,990 more".
func List(items []string, sep string) string {
	if len(items) <= MaxListed {
		return strings.Join(items, sep)
	}
	return strings.Join(items[:MaxListed], sep) + " and " + Count(len(items)-MaxListed) + " more"
}

// ListTexts is List for texts, each printed as String.
func ListTexts(ts []Text, sep string) string {
	items := make([]string, 0, min(len(ts), MaxListed+1))
	for i, t := range ts {
		if i == MaxListed {
			break
		}
		items = append(items, t.String())
	}
	if len(ts) > MaxListed {
		return strings.Join(items, sep) + " and " + Count(len(ts)-MaxListed) + " more"
	}
	return strings.Join(items, sep)
}

// Count prints a whole number with thousands separators: 9,990.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// quote quotes a string for a message, shortened to showMaxString characters.
func quote(s string) string {
	if r := []rune(s); len(r) > showMaxString {
		return strconv.Quote(string(r[:showMaxString])) + "…(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

// joinPath appends a key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Limits of what Show prints.
const (
	showMaxString = 96
	showMaxItems  = 8
	showMaxDepth  = 4
)

// Show prints a property value for a message: secrets as "[secret]" (also when nested), unknown values
// as "[unknown during preview]", strings quoted and shortened, and long arrays and objects elided.
func Show(v resource.PropertyValue) string {
	var b strings.Builder
	show(&b, v, 0)
	return b.String()
}

func show(b *strings.Builder, v resource.PropertyValue, depth int) {
	val, known, secret := Unwrap(v)
	switch {
	case secret:
		b.WriteString(ShownSecret)
		return
	case !known:
		b.WriteString(ShownUnknown)
		return
	}
	switch {
	case val.IsNull():
		b.WriteString("null")
	case val.IsBool():
		b.WriteString(strconv.FormatBool(val.BoolValue()))
	case val.IsNumber():
		b.WriteString(strconv.FormatFloat(val.NumberValue(), 'f', -1, 64))
	case val.IsString():
		b.WriteString(quote(val.StringValue()))
	case val.IsArray():
		arr := val.ArrayValue()
		if depth >= showMaxDepth {
			b.WriteString("[…]")
			return
		}
		b.WriteByte('[')
		for i, e := range arr {
			if i == showMaxItems {
				b.WriteString(", … and " + Count(len(arr)-i) + " more")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			show(b, e, depth+1)
		}
		b.WriteByte(']')
	case val.IsObject():
		obj := val.ObjectValue()
		if depth >= showMaxDepth {
			b.WriteString("{…}")
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i == showMaxItems {
				b.WriteString(", … and " + Count(len(keys)-i) + " more")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": ")
			show(b, obj[resource.PropertyKey(k)], depth+1)
		}
		b.WriteByte('}')
	case val.IsResourceReference():
		b.WriteString("resource " + strconv.Quote(string(val.ResourceReferenceValue().URN)))
	case val.IsAsset():
		b.WriteString("[asset]")
	case val.IsArchive():
		b.WriteString("[archive]")
	default:
		b.WriteString("[" + val.TypeString() + "]")
	}
}
