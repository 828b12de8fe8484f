package rules_test

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
)

var update = flag.Bool("update", false, "rewrite the golden findings of the fixtures (testdata/<policy>/<verdict>/<case>.golden)")

// checkGolden compares what a policy reported on a fixture with the findings pinned in the fixture's
// golden file, or rewrites that file under -update.
func checkGolden(t *testing.T, p policy.Policy, f *policytest.Fixture, vs []policy.Violation) {
	t.Helper()
	got := policytest.Findings(p, vs)
	path := policytest.GoldenPath(f)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "the findings of %s are pinned in %s; `go test ./policies/internal/rules -run Fixtures -update` writes it", f.Path, path)
	assert.Equal(t, string(want), got, "the findings of %s differ from %s; after a deliberate change, rewrite it with "+
		"`go test ./policies/internal/rules -run Fixtures -update` and review the diff", f.Path, path)
}
