// Package e2e runs policy packs the way users do, with the real Pulumi CLI: it builds the CLI from the
// repository's tools/pulumi.mod, builds a pack binary as the `pulumi-analyzer-policy-go` plugin that
// older engines look for on PATH and newer ones run directly, and runs `pulumi policy analyze --file` on state files; and it builds essha
// to run previews, ups and destroys through the engine with the stand-in AWS provider (internal/engine).
// The end-to-end tests and the overhead measurements (cmd/packoverhead, e2e/cmd/previewstack) share it.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ess-ha/ess-ha/internal/engine"
)

// PluginName is the executable the engine runs for a `runtime: go` policy pack when no Go language
// host is installed.
const PluginName = "pulumi-analyzer-policy-go"

// ModuleRoot returns the directory of the main module's go.mod, as seen from the current directory.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root with go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("finding the module root: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// BuildCLI builds the Pulumi CLI pinned by tools/pulumi.mod into out, with the command essha preview
// names when it finds no CLI (engine.BuildCommand). The Go build cache makes a rebuild of an unchanged
// CLI quick; a cold build takes minutes.
func BuildCLI(ctx context.Context, moduleRoot, out string) error {
	cmd := exec.CommandContext(ctx, "go", engine.BuildArgs(out)...)
	cmd.Dir = moduleRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the Pulumi CLI from tools/pulumi.mod: %w\n%s", err, b)
	}
	return nil
}

// BuildEssha builds the essha command into out: the binary that also serves the stand-in AWS provider
// and the policy pack to the engine. It is built without symbol tables, which halves the link.
func BuildEssha(ctx context.Context, moduleRoot, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", out, "./cmd/essha")
	cmd.Dir = moduleRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building essha: %w\n%s", err, b)
	}
	return nil
}

// BuildPack builds the main package pkg (e.g. "./policies") as binDir/pulumi-analyzer-policy-go.
func BuildPack(ctx context.Context, moduleRoot, pkg, binDir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(binDir, PluginName), pkg)
	cmd.Dir = moduleRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building policy pack %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// WritePackDir writes a minimal PulumiPolicy.yaml for a `runtime: go` pack into dir.
func WritePackDir(dir, version string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating pack directory: %w", err)
	}
	yaml := fmt.Sprintf("runtime: go\nversion: %s\ndescription: a test policy pack\n", version)
	if err := os.WriteFile(filepath.Join(dir, "PulumiPolicy.yaml"), []byte(yaml), 0o644); err != nil {
		return fmt.Errorf("writing PulumiPolicy.yaml: %w", err)
	}
	return nil
}

// Analyze is one `pulumi policy analyze --file` run.
type Analyze struct {
	// CLI is the pulumi executable.
	CLI string
	// Home is PULUMI_HOME, a scratch directory.
	Home string
	// BinDir holds the pack's pulumi-analyzer-policy-go and goes first on PATH.
	BinDir string
	// PackDir is the pack's directory (with PulumiPolicy.yaml).
	PackDir string
	// Pack, when set, is what --policy-pack names instead of PackDir: see PackArgument.
	Pack string
	// StateFile is the state to analyze, as `pulumi stack export` writes it.
	StateFile string
	// ConfigFile, when set, is passed as --policy-pack-config.
	ConfigFile string
	// JSON asks for JSON events instead of the human display.
	JSON bool
}

// Result is what a run printed and how it ended.
type Result struct {
	ExitCode int
	Stdout   string
	Stderr   string
	Duration time.Duration
}

// Output is everything the run printed.
func (r Result) Output() string { return r.Stdout + r.Stderr }

// env is the environment of the CLI: the pack's plugin first on PATH, a scratch PULUMI_HOME.
func (a Analyze) env() []string {
	return append(os.Environ(),
		"PATH="+a.BinDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+a.Home,
		"PULUMI_SKIP_UPDATE_CHECK=1",
		"PULUMI_CONFIG_PASSPHRASE=test",
	)
}

// PackArgument returns what --policy-pack must name for a's CLI: PackDir, or the pack's executable for
// CLIs that run a Go pack's folder only through a language host (engine.PackArgument). Set it as Pack
// once, before many runs.
func (a Analyze) PackArgument(ctx context.Context) (string, error) {
	return engine.PackArgument(ctx, a.CLI, a.PackDir, filepath.Join(a.BinDir, PluginName), a.Home, a.env())
}

// Run runs the analysis. A non-zero exit is a Result, not an error; an error means the CLI could not run.
func (a Analyze) Run(ctx context.Context) (Result, error) {
	pack := a.Pack
	if pack == "" {
		pack = a.PackDir
	}
	args := []string{"policy", "analyze", "--file", a.StateFile, "--policy-pack", pack,
		"--non-interactive", "--color", "never"}
	if a.ConfigFile != "" {
		args = append(args, "--policy-pack-config", a.ConfigFile)
	}
	if a.JSON {
		args = append(args, "--json")
	}
	cmd := exec.CommandContext(ctx, a.CLI, args...)
	cmd.Dir = a.Home
	cmd.Env = a.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		return res, fmt.Errorf("running %s %s: %w", a.CLI, strings.Join(args, " "), err)
	}
	return res, nil
}

// Violation is one policy violation event of a JSON run.
type Violation struct {
	ResourceURN      string `json:"resourceUrn"`
	Message          string `json:"message"`
	PolicyName       string `json:"policyName"`
	PolicyPackName   string `json:"policyPackName"`
	EnforcementLevel string `json:"enforcementLevel"`
}

// Violations reads the policy violation events of a JSON run's standard output.
func Violations(stdout string) ([]Violation, error) {
	var out []Violation
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var ev struct {
			PolicyEvent *Violation `json:"policyEvent"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return nil, fmt.Errorf("reading event %q: %w", line, err)
		}
		if ev.PolicyEvent != nil {
			out = append(out, *ev.PolicyEvent)
		}
	}
	return out, sc.Err()
}
