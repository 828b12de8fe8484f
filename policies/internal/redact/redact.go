// Package redact is the last line of the pack's secret handling: it knows the plaintext of every secret
// value a request carried, and removes it from any text that leaves the pack (a diagnostic's message, a
// failure's error). Policies render values through the graph package, which prints secrets as "[secret]";
// this package makes sure that a policy that forgets to, or a panic that formats a value, still cannot
// put a secret's plaintext in front of the user.
package redact

import (
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Shown replaces a secret in text.
const Shown = "[secret]"

// MinLen is the length from which a secret string is redacted. Shorter secrets ("1", "yes") would
// match everywhere and make every message unreadable; policies never print them (graph.Show prints
// "[secret]" for any secret value, whatever its length).
const MinLen = 4

// wordLen is the length from which a secret is redacted wherever it occurs. A shorter one is redacted
// only as a whole word, so that a four-letter secret does not eat into every longer word holding it.
const wordLen = 8

// prefixLen is the length of the index key: every secret is at least this long.
const prefixLen = MinLen

// Set holds the plaintext of the secrets of a request. The zero value and nil redact nothing.
type Set struct {
	// pending, when not nil, are the maps whose secrets are collected on first use (see Lazily).
	once    sync.Once
	pending []resource.PropertyMap
	// byPrefix indexes the secrets by their first prefixLen bytes, longest first, so that finding them
	// in a text costs one map lookup per byte whatever the number of secrets.
	byPrefix map[string][]string
}

// Of collects the secrets of property maps: every string held anywhere inside a secret value (or a
// secret output) that is at least MinLen long.
func Of(maps ...resource.PropertyMap) *Set {
	s := &Set{}
	s.collect(maps)
	s.once.Do(func() {})
	return s
}

// Lazily is Of, with the collecting put off until the set is first used: most requests give no message
// to redact, and collecting the secrets of a large stack costs a walk of every value. Its methods are
// safe for concurrent use.
func Lazily(maps ...resource.PropertyMap) *Set {
	return &Set{pending: maps}
}

// ready collects the pending maps' secrets once.
func (s *Set) ready() {
	s.once.Do(func() {
		s.collect(s.pending)
		s.pending = nil
	})
}

// collect indexes the secrets of maps.
func (s *Set) collect(maps []resource.PropertyMap) {
	seen := map[string]bool{}
	add := func(v string) {
		if len(v) < MinLen || v == Shown || seen[v] {
			return
		}
		seen[v] = true
		if s.byPrefix == nil {
			s.byPrefix = map[string][]string{}
		}
		k := v[:prefixLen]
		s.byPrefix[k] = append(s.byPrefix[k], v)
	}
	for _, m := range maps {
		for _, v := range m {
			collect(v, false, add)
		}
	}
	for _, list := range s.byPrefix {
		sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	}
}

// collect walks a value, calling add with every string inside a secret.
func collect(v resource.PropertyValue, secret bool, add func(string)) {
	switch {
	case v.IsSecret():
		collect(v.SecretValue().Element, true, add)
	case v.IsOutput():
		o := v.OutputValue()
		collect(o.Element, secret || o.Secret, add)
	case v.IsString():
		if secret {
			add(v.StringValue())
		}
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			collect(e, secret, add)
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			collect(e, secret, add)
		}
	}
}

// Empty reports whether the set holds no secret.
func (s *Set) Empty() bool {
	if s == nil {
		return true
	}
	s.ready()
	return len(s.byPrefix) == 0
}

// String returns text with every secret in it replaced by "[secret]".
func (s *Set) String(text string) string {
	if s.Empty() || len(text) < MinLen {
		return text
	}
	var b strings.Builder
	last := 0 // text[last:i] is not yet copied
	for i := 0; i+prefixLen <= len(text); {
		n := s.match(text, i)
		if n == 0 {
			i++
			continue
		}
		b.WriteString(text[last:i])
		b.WriteString(Shown)
		i += n
		last = i
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// match returns the length of the longest secret at text[i:], or 0.
func (s *Set) match(text string, i int) int {
	for _, secret := range s.byPrefix[text[i:i+prefixLen]] {
		if !strings.HasPrefix(text[i:], secret) {
			continue
		}
		if len(secret) < wordLen && (wordByte(text, i-1) || wordByte(text, i+len(secret))) {
			continue
		}
		return len(secret)
	}
	return 0
}

// wordByte reports whether text[i] exists and is a letter or digit.
func wordByte(text string, i int) bool {
	if i < 0 || i >= len(text) {
		return false
	}
	c := text[i]
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
