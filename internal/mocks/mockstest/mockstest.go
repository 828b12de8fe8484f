// Package mockstest holds the helpers the component tests share to read what a program registered
// under the mocks.
package mockstest

import (
	"testing"

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

// Await returns an output's value once the mocked run has resolved it.
func Await[T any](t testing.TB, o pulumi.Output) T {
	t.Helper()
	ch := make(chan T, 1)
	o.ApplyT(func(v T) T { ch <- v; return v })
	return <-ch
}
