// Package mockstest holds the helpers the component tests share to read what a program registered
// under the mocks.
package mockstest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
)

// One returns the only registration of a type, failing the test when there is not exactly one.
func One(t testing.TB, m *mocks.Mocks, typ string) *mocks.Registration {
	t.Helper()
	regs := m.ByType(typ)
	require.Len(t, regs, 1, typ)
	return regs[0]
}

// Str returns a registration's string input key, unwrapped when it is a secret, or "" when the input is
// not set or not a string.
func Str(r *mocks.Registration, key string) string {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// Await returns an output's value once the mocked run has resolved it.
func Await[T any](t testing.TB, o pulumi.Output) T {
	t.Helper()
	ch := make(chan T, 1)
	o.ApplyT(func(v T) T { ch <- v; return v })
	return <-ch
}

// Strings returns the strings of an array value, or nil when v is not an array; an element that is not
// a string gives "".
func Strings(v resource.PropertyValue) []string {
	if !v.IsArray() {
		return nil
	}
	out := make([]string, 0, len(v.ArrayValue()))
	for _, e := range v.ArrayValue() {
		s := ""
		if e.IsString() {
			s = e.StringValue()
		}
		out = append(out, s)
	}
	return out
}

// Strs returns a registration's string array input key, or nil when it is not set or not an array.
func Strs(r *mocks.Registration, key string) []string {
	return Strings(r.Inputs[resource.PropertyKey(key)])
}
