package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/pack"
)

// TestPulumiPolicyYAML checks that the engine can load the pack's project file and that its runtime
// and version agree with the binary.
func TestPulumiPolicyYAML(t *testing.T) {
	t.Parallel()
	proj, err := workspace.LoadPolicyPack(filepath.Join(".", "PulumiPolicy.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "go", proj.Runtime.Name())
	assert.Equal(t, pack.Version, proj.Version, "PulumiPolicy.yaml and policies/pack disagree on the version")
	require.NotNil(t, proj.Description)
	assert.NotEmpty(t, *proj.Description)
}

// TestPackLoads checks that the shipped pack passes the server's checks (names, levels, schemas and
// their defaults).
func TestPackLoads(t *testing.T) {
	t.Parallel()
	_, err := analyzer.New(pack.Definition())
	require.NoError(t, err)
}

// TestPackServesTheRules checks that the binary serves every rule.
func TestPackServesTheRules(t *testing.T) {
	t.Parallel()
	p := pack.Definition()
	require.NotEmpty(t, p.Policies)
	names := map[string]bool{}
	for _, pol := range p.Policies {
		names[pol.Name] = true
	}
	for _, seed := range []string{"ha-min-availability-zones", "ha-public-subnets-lb-only", "ha-rds-multi-az",
		"ha-private-registry", "ha-separate-pools"} {
		assert.True(t, names[seed], seed)
	}
}

// TestBinaryServesAndStops runs the built pack as the engine does (`<engine address> .`, stdin a pipe):
// the first line of stdout is the port, the pack serves its policies there, and it exits 0 when the
// engine calls Cancel or closes its stdin.
func TestBinaryServesAndStops(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the pack binary")
	}
	bin := filepath.Join(t.TempDir(), "pulumi-analyzer-policy-go")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	for _, stop := range []string{"cancel", "stdin"} {
		t.Run(stop, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "127.0.0.1:1", ".")
			stdin, err := cmd.StdinPipe()
			require.NoError(t, err)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())

			line, err := bufio.NewReader(stdout).ReadString('\n')
			require.NoError(t, err, stderr.String())
			port, err := strconv.Atoi(strings.TrimSpace(line))
			require.NoError(t, err, "the first line is the port: %q", line)
			conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
			require.NoError(t, err)
			defer conn.Close()
			client := pulumirpc.NewAnalyzerClient(conn)
			info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
			require.NoError(t, err)
			assert.Equal(t, pack.Name, info.GetName())
			assert.Equal(t, pack.Version, info.GetVersion())
			assert.Len(t, info.GetPolicies(), len(pack.Definition().Policies))

			if stop == "cancel" {
				_, err = client.Cancel(ctx, &emptypb.Empty{})
				require.NoError(t, err)
			} else {
				require.NoError(t, stdin.Close())
			}
			require.NoError(t, cmd.Wait(), "a clean exit; stderr:\n%s", stderr.String())
		})
	}
}

// TestReadmeListsEveryPolicy keeps the README's policy table in step with the catalogue: every policy
// has a row with its default level.
func TestReadmeListsEveryPolicy(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	for _, p := range pack.Definition().Policies {
		row := fmt.Sprintf("| %#q | %s |", p.Name, p.DefaultLevel)
		assert.True(t, strings.Contains(string(readme), row), "README.md's policy table must have the row %s", row)
	}
}
