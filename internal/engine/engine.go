// Package engine runs Pulumi programs through the real Pulumi CLI's engine with no cloud: the
// Automation API hosts the program in this process (an inline program, so no Go language host is
// needed), a stand-in AWS provider plugin (package standin) answers for AWS, a policy pack runs as
// the engine's analyzer plugin, and the state lives in a throwaway local backend. Nothing calls AWS
// and no credentials are read.
//
// The plugins are one executable (essha) linked under the names the engine looks for on PATH, which
// dispatches on the name it was started under (see cmd/essha/preview.go):
//
//	pulumi-resource-aws           the stand-in AWS provider
//	pulumi-analyzer-policy-essha  the policy pack
//
// The pack's PulumiPolicy.yaml says `runtime: essha`. No language host has that name, so every
// version of the engine runs pulumi-analyzer-policy-essha from PATH, the fallback it keeps for
// runtimes without a language host (https://github.com/pulumi/pulumi/pull/19334); with `runtime: go`,
// an engine that finds a Go language host (one is installed next to every released pulumi) would try to
// build the pack from source instead. (Recent CLIs also take an executable as --policy-pack,
// https://github.com/pulumi/pulumi/pull/24052, which older ones do not.)
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// The plugin executables the engine finds on PATH.
const (
	// ProviderPlugin is the AWS provider plugin: the stand-in.
	ProviderPlugin = "pulumi-resource-aws"
	// PackRuntime is the runtime the pack's PulumiPolicy.yaml names.
	PackRuntime = "essha"
	// PackPlugin is the plugin the engine runs for a pack of runtime PackRuntime.
	PackPlugin = "pulumi-analyzer-policy-" + PackRuntime
)

// passphrase encrypts the throwaway stacks' secrets. It protects nothing: the backend is deleted with
// the workspace, and its secrets are the fake values of the stand-in.
const passphrase = "essha-throwaway-backend"

// Options configure a Workspace.
type Options struct {
	// CLI is the pulumi executable; empty uses FindCLI.
	CLI string
	// Plugins is the executable that serves the plugins when started under their names (essha);
	// empty is the running executable.
	Plugins string
	// Pack, when set, serves the policy pack instead of Plugins: any executable that serves a pack
	// when started as `pulumi-analyzer-policy-essha <engine address> <pack directory>`.
	Pack string
	// PackName, PackVersion and PackDescription go into the pack's PulumiPolicy.yaml.
	PackName, PackVersion, PackDescription string
	// Dir is the scratch directory for the backend, PULUMI_HOME, the plugins and the stacks' work
	// directories; empty makes one under the system's temporary directory, which Close removes.
	Dir string
}

// Workspace is a throwaway local backend with the plugins and the pack in place. Its stacks share
// the backend, so one stack can read another's outputs through a StackReference.
type Workspace struct {
	dir     string
	ownsDir bool
	bin     string
	packDir string
	// packPath is what --policy-pack names for this CLI (see packForCLI).
	packPath string
	cli      auto.PulumiCommand
	cliPath  string
	env      map[string]string
}

// New sets up a workspace: the scratch directories, the plugin links and the pack's directory, and
// the CLI.
func New(ctx context.Context, opts Options) (*Workspace, error) {
	cliPath := opts.CLI
	if cliPath == "" {
		var err error
		if cliPath, err = FindCLI(); err != nil {
			return nil, err
		}
	}
	plugins := opts.Plugins
	if plugins == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding this executable to serve the plugins: %w", err)
		}
		plugins = exe
	}
	pack := opts.Pack
	if pack == "" {
		pack = plugins
	}
	w := &Workspace{dir: opts.Dir}
	if w.dir == "" {
		dir, err := os.MkdirTemp("", "essha-engine-")
		if err != nil {
			return nil, fmt.Errorf("creating the throwaway backend's directory: %w", err)
		}
		w.dir, w.ownsDir = dir, true
	}
	ok := false
	defer func() {
		if !ok {
			_ = w.Close()
		}
	}()
	w.bin = filepath.Join(w.dir, "bin")
	w.packDir = filepath.Join(w.dir, "pack")
	backend := filepath.Join(w.dir, "backend")
	home := filepath.Join(w.dir, "home")
	for _, d := range []string{w.bin, w.packDir, backend, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", d, err)
		}
	}
	// The CLI goes into bin too: the Automation API puts a CLI's directory first on the PATH its
	// commands see, so the plugins there win over any installed ones.
	links := map[string]string{"pulumi": cliPath, ProviderPlugin: plugins, PackPlugin: pack}
	for name, target := range links {
		if err := link(target, filepath.Join(w.bin, name)); err != nil {
			return nil, err
		}
	}
	if err := writePackProject(w.packDir, opts); err != nil {
		return nil, err
	}
	w.env = map[string]string{
		"PATH":                          w.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PULUMI_BACKEND_URL":            "file://" + filepath.ToSlash(backend),
		"PULUMI_HOME":                   home,
		"PULUMI_CONFIG_PASSPHRASE":      passphrase,
		"PULUMI_CONFIG_PASSPHRASE_FILE": "",
		"PULUMI_SKIP_UPDATE_CHECK":      "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "false",
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK":    "true",
		// The backend is thrown away: write each operation's state once, at its end, rather than
		// after every step, which makes an up or destroy of a few hundred resources quadratic (an up
		// of a shipped stack: about 25 s with checkpoints, 6 s without). See
		// https://github.com/pulumi/pulumi/issues/10668.
		"PULUMI_SKIP_CHECKPOINTS":                       "true",
		"PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS": "true",
	}
	// Nothing here talks to AWS or to Pulumi Cloud; blank the credentials a caller's environment may
	// hold, so that no process of the preview can use them.
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "PULUMI_ACCESS_TOKEN"} {
		w.env[v] = ""
	}
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: w.dir, SkipVersionCheck: true})
	if err != nil {
		return nil, fmt.Errorf("running %s: %w", cliPath, err)
	}
	w.cli, w.cliPath = versioned{cli}, cliPath
	if w.packPath, err = w.packForCLI(ctx); err != nil {
		return nil, err
	}
	ok = true
	return w, nil
}

// probeState is a state file of one resource, on which `pulumi policy analyze` loads the pack.
const probeState = `{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},` +
	`"resources":[{"urn":"urn:pulumi:probe::probe::pulumi:pulumi:Stack::probe-probe","custom":false,"type":"pulumi:pulumi:Stack"}]}}`

// packForCLI returns what --policy-pack names for the workspace's CLI (see PackArgument).
func (w *Workspace) packForCLI(ctx context.Context) (string, error) {
	env := os.Environ()
	for k, v := range w.env {
		env = append(env, k+"="+v)
	}
	return PackArgument(ctx, w.cliPath, w.packDir, filepath.Join(w.bin, PackPlugin), w.dir, env)
}

// PackArgument returns what `--policy-pack` must name for the CLI at cli to run a Go policy pack whose
// folder (with PulumiPolicy.yaml) is dir and whose executable is exe: the folder, which CLIs up to at
// least v3.259.0 run through the executable's name on PATH (pulumi-analyzer-policy-<runtime>), or the
// executable itself, which later CLIs run directly (https://github.com/pulumi/pulumi/pull/24052) while
// they run a folder only through a language host, and there is none here ("no language plugin
// 'pulumi-language-go'", v3.276.0). A `pulumi policy analyze` of one resource, about a second, run in
// the scratch folder with env, tells which; any other outcome keeps the folder, and the real run
// reports its own errors.
func PackArgument(ctx context.Context, cli, dir, exe, scratch string, env []string) (string, error) {
	state := filepath.Join(scratch, "probe-state.json")
	if err := os.WriteFile(state, []byte(probeState), 0o600); err != nil {
		return "", fmt.Errorf("writing the policy pack probe: %w", err)
	}
	cmd := exec.CommandContext(ctx, cli, "policy", "analyze", "--file", state, "--policy-pack", dir,
		"--non-interactive", "--color", "never")
	cmd.Dir = scratch
	cmd.Env = env
	out, _ := cmd.CombinedOutput() // a violation or a failure: what it says decides
	if strings.Contains(string(out), "no language plugin 'pulumi-language-") {
		return exe, nil
	}
	return dir, nil
}

// PolicyPackPath is what the workspace passes as --policy-pack: the pack's folder, or, for CLIs that
// run a folder only through a language host, the pack's executable.
func (w *Workspace) PolicyPackPath() string { return w.packPath }

// CLI is the pulumi executable the workspace runs, and its version.
func (w *Workspace) CLI() (path string, version semver.Version) { return w.cliPath, w.cli.Version() }

// DescribeCLI names the CLI and its version for a reader, saying when the version is assumed.
func (w *Workspace) DescribeCLI() string {
	if v, ok := w.cli.(versioned); ok && v.PulumiCommand.Version().Equals(semver.Version{}) {
		return fmt.Sprintf("%s (reports no version, as a build from source does: taken as v%s, the version tools/pulumi.mod pins)", w.cliPath, PinnedCLIVersion)
	}
	return fmt.Sprintf("%s (v%s)", w.cliPath, w.cli.Version())
}

// Close deletes the workspace's scratch directory, if New made it.
func (w *Workspace) Close() error {
	if !w.ownsDir {
		return nil
	}
	if err := os.RemoveAll(w.dir); err != nil {
		return fmt.Errorf("removing the throwaway backend %s: %w", w.dir, err)
	}
	return nil
}

// PinnedCLIVersion is the Pulumi CLI release tools/pulumi.mod pins (a test checks that they agree). It
// can be older than the SDK linked here: releases after it no longer run a policy pack's
// pulumi-analyzer-policy-<runtime> from PATH, which essha preview relies on.
const PinnedCLIVersion = "3.276.0"

// versioned is a CLI that reports PinnedCLIVersion when it reports none, as a CLI built from source
// from tools/pulumi.mod does.
type versioned struct{ auto.PulumiCommand }

// Version is the CLI's version, or the pinned one.
func (v versioned) Version() semver.Version {
	if got := v.PulumiCommand.Version(); !got.Equals(semver.Version{}) {
		return got
	}
	return semver.MustParse(PinnedCLIVersion)
}

// link makes name run target: a symbolic link, or a copy where links are not allowed. Whatever name
// was is replaced, never written through.
func link(target, name string) error {
	abs, err := filepath.Abs(target)
	if err != nil {
		return fmt.Errorf("linking %s: %w", target, err)
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replacing %s: %w", name, err)
	}
	if err := os.Symlink(abs, name); err == nil {
		return nil
	}
	src, err := os.Open(abs)
	if err != nil {
		return fmt.Errorf("copying %s to %s: %w", abs, name, err)
	}
	defer src.Close()
	dst, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return fmt.Errorf("copying %s to %s: %w", abs, name, err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("copying %s to %s: %w", abs, name, err)
	}
	return dst.Close()
}

// writePackProject writes the pack's PulumiPolicy.yaml.
func writePackProject(dir string, opts Options) error {
	version := opts.PackVersion
	if version == "" {
		version = "0.0.0"
	}
	desc := opts.PackDescription
	if desc == "" {
		desc = opts.PackName
	}
	yaml := fmt.Sprintf("# The policy pack, served by %s from PATH.\nruntime: %s\nversion: %q\ndescription: %q\n",
		PackPlugin, PackRuntime, version, strings.TrimSpace(desc))
	if err := os.WriteFile(filepath.Join(dir, "PulumiPolicy.yaml"), []byte(yaml), 0o644); err != nil {
		return fmt.Errorf("writing the pack's PulumiPolicy.yaml: %w", err)
	}
	return nil
}

// ErrNotCompliant is wrapped by the error of an operation that the policy pack stopped with a
// mandatory violation.
var ErrNotCompliant = errors.New("mandatory policy violations")
