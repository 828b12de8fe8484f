package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps are packages the Pulumi program must not link: the S3 client and the failover
// command belong to `essha failover`; the program shares only the names of the drain switches with
// it (internal/stopswitch).
var forbiddenDeps = []string{
	"github.com/aws/aws-sdk-go-v2/service/s3",
	"github.com/aws/aws-sdk-go-v2/service/route53",
	"github.com/ess-ha/ess-ha/internal/failover",
}

// TestProgramDoesNotLinkTheFailoverClient lists the program's dependencies with the go command of
// the toolchain running the test.
func TestProgramDoesNotLinkTheFailoverClient(t *testing.T) {
	// go test puts its toolchain's bin directory first on the PATH of the tests it runs.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goBin, "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != "github.com/ess-ha/ess-ha/infra" {
		t.Fatalf("go list -deps did not list the program last: %q", deps)
	}
	for _, d := range deps {
		for _, f := range forbiddenDeps {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("the Pulumi program links %s (forbidden: %s)", d, f)
			}
		}
	}
}
