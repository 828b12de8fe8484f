package engine

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// CLIEnv names a pulumi executable to use instead of searching for one.
const CLIEnv = "ESS_HA_PULUMI_CLI"

// cliPackage is the Go package of the Pulumi CLI that tools/pulumi.mod pins.
const cliPackage = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"

// PinnedCLIPath is where the Pulumi CLI pinned by tools/pulumi.mod is built, by BuildCommand and by the
// end-to-end tests: <user cache directory>/ess-ha/pulumi-cli/pulumi.
func PinnedCLIPath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory for the pinned Pulumi CLI: %w", err)
	}
	return filepath.Join(cache, "ess-ha", "pulumi-cli", "pulumi"), nil
}

// BuildArgs are the arguments of the `go` command, run from the repository root, that builds the CLI
// pinned by tools/pulumi.mod into out.
func BuildArgs(out string) []string {
	return []string{"build", "-modfile=tools/pulumi.mod", "-o", out, cliPackage}
}

// BuildCommand is BuildArgs as a command line to show a user.
func BuildCommand(out string) string {
	cmd := "go"
	for _, a := range BuildArgs(out) {
		cmd += " " + a
	}
	return cmd
}

// ErrNoCLI is wrapped by FindCLI's error when there is no Pulumi CLI to run.
var ErrNoCLI = errors.New("no Pulumi CLI")

// FindCLI returns the pulumi executable to run: $ESS_HA_PULUMI_CLI when set, else `pulumi` on PATH,
// else the CLI pinned by tools/pulumi.mod at PinnedCLIPath. When there is none, the error gives the
// command that builds the pinned one.
func FindCLI() (string, error) {
	if p := os.Getenv(CLIEnv); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s is not an executable: %w", ErrNoCLI, CLIEnv, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("pulumi"); err == nil {
		return p, nil
	}
	pinned, err := PinnedCLIPath()
	if err != nil {
		return "", fmt.Errorf("%w: none on PATH, and %w", ErrNoCLI, err)
	}
	if _, err := exec.LookPath(pinned); err == nil {
		return pinned, nil
	}
	return "", fmt.Errorf("%w: none on PATH and none at %s. Build the one tools/pulumi.mod pins, from the "+
		"repository's root (minutes the first time):\n  %s\nor install the Pulumi CLI, or set %s to a pulumi executable",
		ErrNoCLI, pinned, BuildCommand(pinned), CLIEnv)
}
