package stackexport_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/stackexport"
)

func TestOutputs(t *testing.T) {
	t.Parallel()
	outputs, err := stackexport.Outputs([]byte(stateSeeds[0]))
	require.NoError(t, err)
	assert.Equal(t, "Z123", outputs["hostedZoneId"])
	assert.Equal(t, []any{"a", map[string]any{"b": float64(1)}}, outputs["list"])

	outputs, err = stackexport.Outputs([]byte(stateSeeds[1]))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{}, outputs, "a stack that has no outputs")

	for state, want := range map[string]string{
		`{"version":4,"deployment":{}}`:               "deployment version 4, want 3",
		`{"version":3,"deployment":{"resources":[]}}`: "no stack resource (pulumi:pulumi:Stack)",
		`{"version":3,"deployment":[]}`:               "reading the state file's deployment",
		`[]`:                                          "reading the state file",
	} {
		_, err := stackexport.Outputs([]byte(state))
		require.Error(t, err, state)
		assert.Contains(t, err.Error(), want, state)
	}
}
