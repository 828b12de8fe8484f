package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/engine"
)

func TestPreviewHelpPrintsUsageAndSucceeds(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		var out, errOut bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"preview", flag}, &out, &errOut))
		assert.Empty(t, errOut.String())
		for _, want := range []string{
			"usage: essha preview --stack NAME [--policy-pack-config FILE] [--set key=value ...]",
			"AWS does not", "Exit status: 0 the preview passed the pack, 1 a mandatory policy violation, 2 any other error.",
			"-stack NAME", "-policy-pack-config FILE", "-set key=value", "-project-dir DIR",
		} {
			assert.Contains(t, out.String(), want)
		}
	}
}

func TestPreviewErrorsNameTheProblem(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no stack", []string{"preview"}, "--stack is required"},
		{"unknown flag", []string{"preview", "--stacks", "x"}, "flag provided but not defined: -stacks (essha preview --help lists the flags)"},
		{"stray argument", []string{"preview", "--stack", "prod-us-east-1", "extra"}, "unexpected arguments"},
		{"bad --set", []string{"preview", "--stack", "prod-us-east-1", "--set", "novalue"}, "is not key=value"},
		{"missing policy config", []string{"preview", "--stack", "prod-us-east-1", "--policy-pack-config", missing}, "--policy-pack-config"},
		{"unknown stack", []string{"preview", "--stack", "dev"}, "known stacks: prod-us-east-1, prod-us-west-2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tc.args, &out, &errOut)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, out.String())
		})
	}
}

func TestPreviewWithoutACLINamesTheCommandThatBuildsIt(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(engine.CLIEnv, "")
	t.Setenv("PATH", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", t.TempDir())
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"preview", "--stack", "prod-us-east-1"}, &out, &errOut)
	require.ErrorIs(t, err, engine.ErrNoCLI)
	pinned := filepath.Join(cache, "ess-ha", "pulumi-cli", "pulumi")
	assert.Contains(t, err.Error(),
		"go build -modfile=tools/pulumi.mod -o "+pinned+" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi")
	_, statErr := os.Stat(pinned)
	assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing is built behind the user's back")
}

func TestPluginNamesAreTheOnesTheEngineRuns(t *testing.T) {
	assert.Contains(t, pluginMains, engine.ProviderPlugin)
	assert.Contains(t, pluginMains, engine.PackPlugin)
	assert.Equal(t, "pulumi-resource-aws", engine.ProviderPlugin)
}
