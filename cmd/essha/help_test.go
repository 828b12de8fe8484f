package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/cmd/essha/internal/failovercmd"
)

// TestHelpExitsZero: --help, -h and help on essha and on each command print usage to standard output
// and succeed (exit 0), reading nothing.
func TestHelpExitsZero(t *testing.T) {
	t.Setenv("ESSHA_PROJECT_DIR", t.TempDir()) // nothing to read there: help must not try
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Usage: essha <command> [flags]"},
		{[]string{"-h"}, "Usage: essha <command> [flags]"},
		{[]string{"help"}, "Run 'essha <command> --help'"},
		{[]string{"help", "plan"}, "Usage: essha plan --out FILE"},
		{[]string{"help", "failover"}, "usage: essha failover <subcommand>"},
		{[]string{"plan", "--help"}, "Usage: essha plan --out FILE"},
		{[]string{"plan", "-h"}, "--set KEY=VALUE"},
		{[]string{"plan", "--stack", "x", "--help"}, "Examples:"},
		{[]string{"failover", "--help"}, "usage: essha failover <subcommand>"},
		{[]string{"failover", "-h"}, "subcommands:"},
		{[]string{"failover", "help"}, "subcommands:"},
		{[]string{"failover", "status", "--help"}, "drain --region R"},
		{[]string{"failover", "drain", "--help"}, "--force"},
		{[]string{"failover", "drain", "-h"}, "--deployment NAME"},
		{[]string{"failover", "restore", "--help"}, "restore --region R"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			require.NoError(t, run(context.Background(), tc.args, &out, &errOut))
			assert.Contains(t, out.String(), tc.want)
			assert.Empty(t, errOut.String(), "help goes to standard output")
		})
	}
}

// TestPlanHelpListsEveryFlag keeps the plan's help in step with its flags.
func TestPlanHelpListsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"plan", "--help"}, &out, &bytes.Buffer{}))
	fs, _ := newPlanFlags()
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		assert.Contains(t, out.String(), "  --"+f.Name+" ", "the help describes --%s", f.Name)
	})
	assert.Equal(t, 5, n)
	assert.Contains(t, failovercmd.Usage, "--account-id ID")
}

// TestSetTwice: a key set twice is an error, whether spelt the same way (caught while parsing the flags)
// or with and without the namespace (caught by the project loader); never a race one of them wins.
func TestSetTwice(t *testing.T) {
	for _, args := range [][]string{
		{"plan", "--out", "-", "--set", "domain=one.example.com", "--set", "domain=two.example.com"},
		{"plan", "--out", "-", "--set", "ess-ha:domain=one.example.com", "--set", "domain=two.example.com"},
	} {
		var first string
		for range 3 {
			var out, errOut bytes.Buffer
			err := run(context.Background(), args, &out, &errOut)
			require.Error(t, err)
			assert.Empty(t, out.String(), "nothing is planned")
			if first == "" {
				first = err.Error()
			}
			assert.Equal(t, first, err.Error())
		}
		assert.Contains(t, first, "domain")
		assert.Contains(t, first, "one.example.com")
		assert.Contains(t, first, "two.example.com")
		assert.Contains(t, first, "set")
	}
}

// TestSetTypos: --set of a key the project does not have is an error suggesting the closest one.
func TestSetTypos(t *testing.T) {
	for set, want := range map[string]string{
		"availabilityZone=2": `(did you mean "availabilityZones"?)`,
		"nonexistent=5":      `"ess-ha:nonexistent" is not a key of project ess-ha`,
		":=1":                `config key ":" is invalid`,
		"=1":                 `"=1" is not key=value`,
		`essPool={not json`:  `essPool = "{not json" is not valid JSON`,
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"plan", "--out", "-", "--set", set}, &out, &errOut)
		require.Error(t, err, set)
		assert.Contains(t, err.Error(), want, set)
	}
}

// TestPlanIsDeterministicWithOverrides: the same overrides, in any order, give the same bytes.
func TestPlanIsDeterministicWithOverrides(t *testing.T) {
	plan := func(args ...string) []byte {
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), append([]string{"plan", "--stack", "prod-us-east-1", "--out", "-"}, args...), &out, &bytes.Buffer{}))
		return out.Bytes()
	}
	a := plan("--set", "ess-ha:domain=one.example.com", "--set", "availabilityZones=2")
	b := plan("--set", "availabilityZones=2", "--set", "domain=one.example.com")
	assert.Equal(t, a, b)
	assert.Contains(t, string(a), "identity.one.example.com")
}
