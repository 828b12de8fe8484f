package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
)

// fakeCLI writes a pulumi that prints version as its version and does nothing else.
func fakeCLI(t *testing.T, version string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pulumi")
	script := "#!/bin/sh\nif [ \"$1\" = version ]; then echo '" + version + "'; fi\n"
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path
}

func TestFindCLIOrder(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	onPath := fakeCLI(t, "v3.200.0")
	explicit := fakeCLI(t, "v3.201.0")

	t.Setenv(CLIEnv, explicit)
	t.Setenv("PATH", filepath.Dir(onPath))
	got, err := FindCLI()
	require.NoError(t, err)
	assert.Equal(t, explicit, got, "$%s first", CLIEnv)

	t.Setenv(CLIEnv, "")
	got, err = FindCLI()
	require.NoError(t, err)
	assert.Equal(t, onPath, got, "then pulumi on PATH")

	t.Setenv("PATH", t.TempDir())
	pinned, err := PinnedCLIPath()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(cache, "ess-ha", "pulumi-cli", "pulumi"), pinned)
	_, err = FindCLI()
	require.ErrorIs(t, err, ErrNoCLI)
	assert.Contains(t, err.Error(), "go build -modfile=tools/pulumi.mod -o "+pinned+" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
		"the error gives the command that builds the pinned CLI")

	require.NoError(t, os.MkdirAll(filepath.Dir(pinned), 0o755))
	require.NoError(t, os.Rename(fakeCLI(t, ""), pinned))
	got, err = FindCLI()
	require.NoError(t, err)
	assert.Equal(t, pinned, got, "then the pinned one")

	t.Setenv(CLIEnv, filepath.Join(t.TempDir(), "nothing"))
	_, err = FindCLI()
	require.ErrorIs(t, err, ErrNoCLI, "a wrong $%s is an error, not a fallback", CLIEnv)
}

func TestNewSetsUpPluginsPackAndCLI(t *testing.T) {
	ctx := context.Background()
	plugins := fakeCLI(t, "") // any executable
	dir := t.TempDir()
	w, err := New(ctx, Options{CLI: fakeCLI(t, ""), Plugins: plugins, Dir: dir, PackName: "ess-ha", PackVersion: "0.1.0", PackDescription: "the pack"})
	require.NoError(t, err)
	defer w.Close()

	_, version := w.CLI()
	assert.Equal(t, semver.MustParse(PinnedCLIVersion), version, "a CLI built from source reports no version: the pinned one stands in")
	assert.Contains(t, w.DescribeCLI(), "reports no version, as a build from source does: taken as v"+PinnedCLIVersion)
	for _, name := range []string{ProviderPlugin, PackPlugin, "pulumi"} {
		fi, err := os.Stat(filepath.Join(dir, "bin", name))
		require.NoError(t, err, name)
		assert.NotZero(t, fi.Mode()&0o111, "%s is executable", name)
	}
	target, err := os.Readlink(filepath.Join(dir, "bin", ProviderPlugin))
	require.NoError(t, err)
	assert.Equal(t, plugins, target)
	yaml, err := os.ReadFile(filepath.Join(dir, "pack", "PulumiPolicy.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(yaml), "runtime: essha\n")
	assert.Contains(t, string(yaml), `version: "0.1.0"`)
	assert.Equal(t, "pulumi-analyzer-policy-essha", PackPlugin, "the engine runs pulumi-analyzer-policy-<runtime>")
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "PULUMI_ACCESS_TOKEN"} {
		value, set := w.env[v]
		assert.True(t, set && value == "", "%s is blanked for the CLI and its plugins", v)
	}
	assert.Equal(t, "file://"+filepath.ToSlash(filepath.Join(dir, "backend")), w.env["PULUMI_BACKEND_URL"], "a throwaway local backend")

	w2, err := New(ctx, Options{CLI: fakeCLI(t, "v3.300.1"), Plugins: plugins, Dir: t.TempDir()})
	require.NoError(t, err)
	_, version = w2.CLI()
	assert.Equal(t, "3.300.1", version.String(), "a released CLI's own version")
	assert.Contains(t, w2.DescribeCLI(), "(v3.300.1)")
}

func TestNewTwiceOnOneDirectoryLeavesTheTargetsAlone(t *testing.T) {
	ctx := context.Background()
	dir, cli, plugins := t.TempDir(), fakeCLI(t, ""), fakeCLI(t, "")
	before, err := os.ReadFile(cli)
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		_, err := New(ctx, Options{CLI: cli, Plugins: plugins, Dir: dir})
		require.NoError(t, err)
	}
	after, err := os.ReadFile(cli)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the links are replaced, the CLI is not written through them")
}

func TestCloseRemovesOnlyWhatNewMade(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := New(ctx, Options{CLI: fakeCLI(t, ""), Plugins: fakeCLI(t, ""), Dir: dir})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	_, err = os.Stat(dir)
	assert.NoError(t, err, "a directory given to New is the caller's")

	w, err = New(ctx, Options{CLI: fakeCLI(t, ""), Plugins: fakeCLI(t, "")})
	require.NoError(t, err)
	made := w.dir
	require.NoError(t, w.Close())
	_, err = os.Stat(made)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestConfigValueStructuresJSON(t *testing.T) {
	obj := configValue(`{"minPerZone": 1}`)
	assert.True(t, obj.Object())
	arr := configValue(`["123456789012"]`)
	assert.True(t, arr.Object())
	for _, s := range []string{"us-east-1", "16.11", "[not json", ""} {
		assert.False(t, configValue(s).Object(), s)
	}
}

func TestResultSummaries(t *testing.T) {
	r := &Result{
		Steps: []Step{
			{Op: "same", URN: "a", Type: "aws:ec2/vpc:Vpc"},
			{Op: "read", URN: "b", Type: "pulumi:pulumi:StackReference"},
			{Op: "update", URN: "c", Type: "aws:cloudwatch/logGroup:LogGroup", Diffs: []string{"retentionInDays"}},
			{Op: "update", URN: "s", Type: "pulumi:pulumi:Stack"},
		},
		Violations: []Violation{
			{Policy: "b-policy", Level: string(apitype.Mandatory)},
			{Policy: "a-policy", Level: string(apitype.Mandatory)},
			{Policy: "c-policy", Level: string(apitype.Advisory)},
			{Policy: "a-policy", Level: string(apitype.Mandatory)},
		},
	}
	assert.Equal(t, []Step{r.Steps[2]}, r.Changed())
	assert.Len(t, r.Mandatory(), 3)
	assert.Equal(t, []string{"a-policy", "b-policy"}, r.PolicyNames(string(apitype.Mandatory)))
}

func TestCLIErrorKeepsTheCLIsStandardError(t *testing.T) {
	long := errors.New("failed to run preview: exit status 255\ncode: 255\nstdout: lots\nof output\nstderr: error: the real reason\n") //nolint:revive // the Automation API's error, verbatim
	assert.EqualError(t, cliError(long), "failed to run preview: exit status 255: error: the real reason")
	plain := errors.New("context canceled")
	assert.Equal(t, plain, cliError(plain))
}

// TestPinnedCLIVersionIsTheOneToolsPins: the version essha reports for a CLI built from source is the
// one tools/pulumi.mod builds.
func TestPinnedCLIVersionIsTheOneToolsPins(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "tools", "pulumi.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "\tgithub.com/pulumi/pulumi/pkg/v3 v"+PinnedCLIVersion+"\n", "tools/pulumi.mod pins another CLI: update PinnedCLIVersion")
}

// TestCLIBuildsWithTheMainModulesVersions: tools/pulumi.mod requires every module go.mod requires, at
// the same version, so that building the CLI reuses every package the main module's build compiled (a
// cold CI compiles them once, not twice) and updating a dependency cannot leave the CLI behind. After an
// update: copy go.mod's require blocks into tools/pulumi.mod and run go mod tidy -modfile=tools/pulumi.mod.
func TestCLIBuildsWithTheMainModulesVersions(t *testing.T) {
	t.Parallel()
	requires := func(path string) map[string]string {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		f, err := modfile.ParseLax(path, b, nil)
		require.NoError(t, err)
		versions := make(map[string]string, len(f.Require))
		for _, r := range f.Require {
			versions[r.Mod.Path] = r.Mod.Version
		}
		return versions
	}
	tools := requires(filepath.Join("..", "..", "tools", "pulumi.mod"))
	for path, version := range requires(filepath.Join("..", "..", "go.mod")) {
		assert.Equal(t, version, tools[path], "tools/pulumi.mod requires %s at another version than go.mod", path)
	}
}

// TestPackPathFollowsTheCLI: a CLI that runs a pack's folder through the plugin on PATH gets the
// folder; one that wants a language host for the pack's runtime (v3.276.0) gets the executable.
func TestPackPathFollowsTheCLI(t *testing.T) {
	t.Parallel()
	for name, says := range map[string]string{
		"folder":     "error: one or more mandatory policy violations were found",
		"executable": "error: could not start policy pack: no language plugin 'pulumi-language-" + PackRuntime + "' found in the workspace or on your $PATH",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cli := filepath.Join(t.TempDir(), "pulumi")
			script := "#!/bin/sh\nif [ \"$1\" = policy ]; then echo \"" + says + "\"; exit 1; fi\n"
			require.NoError(t, os.WriteFile(cli, []byte(script), 0o755))
			w, err := New(t.Context(), Options{CLI: cli, Plugins: fakeCLI(t, ""), Dir: t.TempDir(), PackName: "ess-ha", PackVersion: "0.1.0"})
			require.NoError(t, err)
			defer w.Close()
			if name == "folder" {
				assert.Equal(t, w.packDir, w.PolicyPackPath())
			} else {
				assert.Equal(t, filepath.Join(w.bin, PackPlugin), w.PolicyPackPath())
			}
		})
	}
}
