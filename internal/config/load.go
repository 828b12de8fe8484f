package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ess-ha/ess-ha/internal/suggest"
)

// MaxValueBytes is the longest value, as written, that any configuration key takes. The largest real
// value, a pool with its containers, is well under 2 KB.
const MaxValueBytes = 64 << 10

// maxValueDepth is how deeply objects and lists may nest in a configuration value (a pool's containers
// are three levels down).
const maxValueDepth = 8

// Error is a configuration error: the key (with the path inside an object value, such as
// essPool.containers[1].healthPath), the bad value and what is allowed.
type Error struct {
	// Key is the configuration key and path, without the namespace for the project's own keys
	// ("essPool.minPerZone"), with it for others ("aws:region").
	Key     string
	Value   any
	Allowed string
	// unknownKey marks a key inside an object value that is not one of the object's: the rest of the
	// object can still be read and checked.
	unknownKey bool
}

func (e *Error) Error() string {
	key := e.Key
	if !strings.Contains(key, ":") {
		key = Namespace + ":" + key
	}
	return fmt.Sprintf("config %s = %s is invalid: %s", key, Show(e.Value), e.Allowed)
}

// showMax is how many characters of a value an error shows.
const showMax = 64

// Show prints a configuration value for an error: strings quoted, anything else as JSON, either cut to
// a few dozen characters with its full length, so that a 2 MB value gives a short error.
func Show(v any) string {
	s, isString := v.(string)
	if isString {
		s = strconv.Quote(s)
	} else if b, err := json.Marshal(v); err == nil {
		s = string(b)
	} else {
		s = fmt.Sprint(v)
	}
	if utf8.RuneCountInString(s) <= showMax {
		return s
	}
	r := []rune(s)
	return string(r[:showMax]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// Load reads the stack's configuration from the Pulumi context, applies the defaults and validates it.
// All problems are reported together, each naming the key, the value and what is allowed: a key of the
// project's namespace that the program does not read (a typo), a value of the wrong type or out of
// range, an unknown key inside an object.
func Load(ctx *pulumi.Context) (*Config, error) {
	cfg := Defaults()
	var errs []error
	errs = append(errs, checkEngineKeys()...)
	c := pulumiconfig.New(ctx, Namespace)
	awsCfg := pulumiconfig.New(ctx, "aws")
	cfg.Region = awsCfg.Get("region")
	if cfg.Region == "" {
		errs = append(errs, errors.New("config aws:region is not set: set it with 'pulumi config set aws:region us-east-1'"))
	}
	// raw returns a key's value, or false when it is unset or too long to read.
	raw := func(key string) (string, bool) {
		v, ok := ctx.GetConfig(Namespace + ":" + key)
		if ok && len(v) > MaxValueBytes {
			errs = append(errs, &Error{Key: key, Value: v, Allowed: fmt.Sprintf("it is %d bytes long; no value of this project is longer than %d", len(v), MaxValueBytes)})
			return "", false
		}
		return v, ok
	}
	str := func(key string, dst *string) {
		if v, ok := raw(key); ok {
			*dst = v
		}
	}
	num := func(key string, dst *int) {
		v, ok := raw(key)
		if !ok {
			return
		}
		n, err := c.TryInt(key)
		if err != nil {
			errs = append(errs, &Error{Key: key, Value: v, Allowed: "must be a whole number"})
			return
		}
		*dst = n
	}
	obj := func(key string, dst any) {
		if v, ok := raw(key); ok {
			errs = append(errs, decodeStrict(key, v, dst)...)
		}
	}
	if v := awsCfg.Get("allowedAccountIds"); v != "" {
		var ids []string
		if err := json.Unmarshal([]byte(v), &ids); err != nil || len(ids) != 1 {
			errs = append(errs, &Error{Key: "aws:allowedAccountIds", Value: v, Allowed: `must list exactly one 12-digit AWS account ID, such as ["123456789012"]: it guards the deployment against the wrong account and names the stop buckets`})
		} else {
			cfg.AccountID = ids[0]
		}
	}
	str("deployment", &cfg.Deployment)
	str("peerRegion", &cfg.PeerRegion)
	str("pairRole", &cfg.PairRole)
	str("peerStack", &cfg.PeerStack)
	num("routingWeight", &cfg.RoutingWeight)
	obj("globalDatabase", &cfg.GlobalDatabase)
	str("domain", &cfg.Domain)
	str("hostedZoneId", &cfg.HostedZoneID)
	str("vpcCidr", &cfg.VpcCidr)
	num("availabilityZones", &cfg.AvailabilityZones)
	obj("zoneNames", &cfg.ZoneNames)
	str("loadBalancers", &cfg.LoadBalancers)
	str("gateway", &cfg.Gateway)
	str("amiId", &cfg.AmiID)
	num("logRetentionDays", &cfg.LogRetentionDays)
	str("alarmEmail", &cfg.AlarmEmail)
	obj("essPool", &cfg.EssPool)
	obj("backendPool", &cfg.BackendPool)
	obj("database", &cfg.Database)
	obj("cache", &cfg.Cache)
	// A value that did not decode left its default in place, so Validate does not repeat its problem.
	errs = append(errs, cfg.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// checkEngineKeys checks the keys of the configuration the engine passes to the program (in the
// PULUMI_CONFIG environment variable, under `pulumi up` and `preview`): the Pulumi CLI accepts any
// key, so a misspelt one would silently leave its default in place. Under the SDK's mocks there is no
// such variable, and the caller (the project loader) checks the keys itself.
func checkEngineKeys() []error {
	raw, ok := os.LookupEnv(pulumi.EnvConfig)
	if !ok || raw == "" {
		return nil
	}
	var values map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		return []error{fmt.Errorf("reading the stack's configuration from %s: %w", pulumi.EnvConfig, err)}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	return CheckKeys(keys)
}

// CheckKeys checks configuration keys ("namespace:key"): every key of the project's namespace must be
// one the program reads (Declared), and every key must have a namespace and a name. Each unknown key
// is an error suggesting the closest known one.
func CheckKeys(keys []string) []error {
	known := slices.Sorted(func(yield func(string) bool) {
		for k := range Declared() {
			if !yield(k) {
				return
			}
		}
	})
	var errs []error
	sort.Strings(keys)
	for _, k := range keys {
		ns, name, ok := strings.Cut(k, ":")
		switch {
		case !ok || ns == "" || name == "":
			errs = append(errs, fmt.Errorf("config key %s is invalid: write namespace:key, such as %s:domain or aws:region", Show(k), Namespace))
		case ns == Namespace && !slices.Contains(known, name):
			errs = append(errs, UnknownKey(name, known))
		}
	}
	return errs
}

// UnknownKey is the error for a key of the project's namespace that is not in known.
func UnknownKey(name string, known []string) error {
	return fmt.Errorf("config %s is not a key of this project%s: the keys are %s",
		Show(Namespace+":"+name), suggest.DidYouMean(name, known), strings.Join(known, ", "))
}

// decodeStrict decodes the JSON value of key into dst, a pointer to a struct or a slice holding the
// defaults. The value is checked first, and every problem is an error naming its path: an unknown key
// (with the closest known one), a key given twice, a value of the wrong type, a number that is not
// whole or does not fit, nesting deeper than maxValueDepth. For an object, each key given replaces its
// default as a whole (a list given replaces the default list, element fields included); keys not given
// keep their defaults.
func decodeStrict(key, raw string, dst any) []error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	tree, err := parseJSON(dec, 0)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("text after the value")
		}
	}
	if err != nil {
		return []error{&Error{Key: key, Value: raw, Allowed: "must be " + expect(reflect.TypeOf(dst).Elem()) + ": " + err.Error()}}
	}
	t := reflect.TypeOf(dst).Elem()
	errs := checkShape(key, tree, t)
	for _, e := range errs {
		if ce, ok := errors.AsType[*Error](e); !ok || !ce.unknownKey {
			return errs // a value of the wrong type: keep the defaults, which Validate then does not blame
		}
	}
	v := reflect.ValueOf(dst).Elem()
	if obj, ok := tree.(*object); ok && t.Kind() == reflect.Struct {
		for _, k := range obj.keys {
			if f, ok := fieldByJSON(t, k); ok {
				v.FieldByIndex(f.Index).SetZero()
			}
		}
	} else {
		v.SetZero()
	}
	if err := json.Unmarshal([]byte(raw), dst); err != nil {
		return append(errs, &Error{Key: key, Value: raw, Allowed: "must be " + expect(t) + ": " + err.Error()})
	}
	return errs // unknown keys only: the known ones are read, so that Validate reports their problems too
}

// replaced are keys that were renamed, with what replaced them.
var replaced = map[string]string{
	"instanceType": `instanceTypes, a list in order of preference such as ["m6i.large", "m6a.large"]`,
}

// object is a JSON object with its keys in the order written.
type object struct {
	keys   []string
	values map[string]any
}

// parseJSON reads one JSON value: objects as *object, arrays as []any, numbers as json.Number.
func parseJSON(dec *json.Decoder, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("values nest more than %d levels deep", maxValueDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		obj := &object{values: map[string]any{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("not JSON: %w", err)
			}
			k := kt.(string)
			if _, dup := obj.values[k]; dup {
				return nil, fmt.Errorf("key %s is given twice", Show(k))
			}
			v, err := parseJSON(dec, depth+1)
			if err != nil {
				return nil, err
			}
			obj.keys = append(obj.keys, k)
			obj.values[k] = v
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		return obj, nil
	case json.Delim('['):
		var arr []any
		for dec.More() {
			v, err := parseJSON(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		if arr == nil {
			arr = []any{}
		}
		return arr, nil
	}
	return tok, nil
}

// checkShape checks a parsed value against the Go type it decodes into.
func checkShape(path string, v any, t reflect.Type) []error {
	wrong := func() []error {
		return []error{&Error{Key: path, Value: plain(v), Allowed: "must be " + expect(t)}}
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(*object)
		if !ok {
			return wrong()
		}
		var errs []error
		names := jsonNames(t)
		for _, k := range obj.keys {
			f, ok := fieldByJSON(t, k)
			if !ok {
				hint := suggest.DidYouMean(k, names)
				if r, ok := replaced[k]; ok {
					hint = " (it was replaced by " + r + ")"
				}
				errs = append(errs, &Error{Key: path + "." + shortKey(k), Value: plain(obj.values[k]), unknownKey: true,
					Allowed: fmt.Sprintf("%s has no key %s%s; its keys are %s", path, Show(k), hint, strings.Join(names, ", "))})
				continue
			}
			errs = append(errs, checkShape(path+"."+k, obj.values[k], f.Type)...)
		}
		return errs
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return wrong()
		}
		var errs []error
		for i, e := range arr {
			errs = append(errs, checkShape(fmt.Sprintf("%s[%d]", path, i), e, t.Elem())...)
		}
		return errs
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong()
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if !ok {
			return wrong()
		}
		if _, err := strconv.ParseInt(string(n), 10, strconv.IntSize); err != nil {
			return []error{&Error{Key: path, Value: plain(v), Allowed: "must be a whole number (it is checked against its range once it is one)"}}
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong()
		}
	}
	return nil
}

// shortKey cuts a key that is not one of ours to a few dozen characters, and escapes one holding a
// character that does not print (a newline would split the error line), for a key path in an error.
func shortKey(k string) string {
	if utf8.RuneCountInString(k) <= showMax/2 && utf8.ValidString(k) && !strings.ContainsFunc(k, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return k
	}
	return strings.Trim(Show(k), `"`)
}

// plain turns a parsed value back into plain JSON types, for an error to show.
func plain(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.values))
		for k, e := range x.values {
			m[k] = plain(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// expect says what a Go type takes in JSON.
func expect(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct:
		return "an object with the keys " + strings.Join(jsonNames(t), ", ")
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "a list of objects, each with the keys " + strings.Join(jsonNames(t.Elem()), ", ")
		}
		return "a list of " + strings.TrimPrefix(expect(t.Elem()), "a ") + "s"
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	}
	return "a " + t.String()
}

// jsonNames lists the JSON keys of a struct type, in field order.
func jsonNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// fieldByJSON finds the field of a struct type whose JSON key is name, exactly as written.
func fieldByJSON(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); jsonName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonName is a field's JSON key, "" for a field JSON skips.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}
