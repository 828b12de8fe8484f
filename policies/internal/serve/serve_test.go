package serve

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

func TestParseArgs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want Args
	}{
		{nil, Args{}},
		{[]string{"127.0.0.1:1234", "."}, Args{EngineAddress: "127.0.0.1:1234", PackDir: "."}},
		{[]string{"127.0.0.1:1234"}, Args{EngineAddress: "127.0.0.1:1234"}},
		{[]string{"--logtostderr", "-v=9", "--tracing", "http://x", "127.0.0.1:1234", "."}, Args{EngineAddress: "127.0.0.1:1234", PackDir: "."}},
		{[]string{"127.0.0.1:1234", ".", "-opt=value"}, Args{EngineAddress: "127.0.0.1:1234", PackDir: "."}},
	}
	for _, c := range cases {
		got, err := ParseArgs(c.args)
		require.NoError(t, err, c.args)
		assert.Equal(t, c.want, got, c.args)
	}
	_, err := ParseArgs([]string{"a", "b", "c"})
	assert.ErrorContains(t, err, "usage")
}

func testPack() analyzer.Pack {
	return analyzer.Pack{Name: "serve-test", Version: "1.2.3", Policies: []policy.Policy{{
		Name:          "p",
		CheckResource: func(context.Context, *policy.Resource, policy.Args) []policy.Violation { return nil },
	}}}
}

// running is a pack served by Run in this process.
type running struct {
	client pulumirpc.AnalyzerClient
	stdin  *io.PipeWriter
	done   chan error
}

// run starts Run with piped stdio and connects to the port it prints first.
func run(t *testing.T, ctx context.Context, pack analyzer.Pack) *running {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, pack, []string{"127.0.0.1:1", "."}, IO{Stdin: inR, Stdout: outW, Stderr: io.Discard})
		_ = outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	require.NoError(t, err)
	port, err := strconv.Atoi(strings.TrimSuffix(line, "\n"))
	require.NoError(t, err, "the first line of stdout is the port")
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(); _ = inW.Close() })
	return &running{client: pulumirpc.NewAnalyzerClient(conn), stdin: inW, done: done}
}

func (r *running) waitStopped(t *testing.T) {
	t.Helper()
	select {
	case err := <-r.done:
		assert.NoError(t, err, "a clean stop")
	case <-time.After(10 * time.Second):
		t.Fatal("the pack did not stop")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()
	r := run(t, t.Context(), testPack())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	info, err := r.client.GetPluginInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, "1.2.3", info.GetVersion())
	_, err = r.client.Cancel(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	r.waitStopped(t)
}

func TestRunStopsOnStdinClose(t *testing.T) {
	t.Parallel()
	r := run(t, t.Context(), testPack())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := r.client.GetAnalyzerInfo(ctx, &emptypb.Empty{}, grpc.WaitForReady(true))
	require.NoError(t, err)
	require.NoError(t, r.stdin.Close())
	r.waitStopped(t)
}

func TestRunStopsOnContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	r := run(t, ctx, testPack())
	cancel()
	r.waitStopped(t)
}

func TestRunRejectsBadPack(t *testing.T) {
	t.Parallel()
	err := Run(t.Context(), analyzer.Pack{Name: "bad name"}, nil, IO{Stdout: io.Discard, Stderr: io.Discard})
	assert.ErrorContains(t, err, "invalid policy pack name")
	err = Run(t.Context(), testPack(), []string{"a", "b", "c"}, IO{Stdout: io.Discard, Stderr: io.Discard})
	assert.ErrorContains(t, err, "usage")
}
