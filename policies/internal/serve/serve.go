// Package serve runs a policy pack as a Pulumi analyzer plugin process: it serves the pack over gRPC on
// a free local port, prints the port as the first line of standard output for the engine to read, and
// stops cleanly when the engine cancels the pack, closes the plugin's standard input, or interrupts it.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
)

// Args are the plugin's command line: `[flags] [<engine address> [<pack directory>]]`.
type Args struct {
	// EngineAddress is the engine's gRPC address; empty when the pack runs on its own.
	EngineAddress string
	// PackDir is the policy pack's directory, usually "." (the engine starts the plugin in it).
	PackDir string
}

// ParseArgs reads the plugin's arguments. Flags the engine may pass to any plugin (--logtostderr,
// -v=N, --tracing <endpoint>, and -key=value runtime options from PulumiPolicy.yaml) are accepted and
// ignored; more than two positional arguments is an error.
func ParseArgs(args []string) (Args, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--tracing" || a == "-tracing":
			i++ // skip the endpoint
		case strings.HasPrefix(a, "-") && a != "-":
			// other flags carry their value after '='
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) > 2 {
		return Args{}, fmt.Errorf("usage: <engine address> [<policy pack directory>], got %d arguments: %q", len(pos), pos)
	}
	var out Args
	if len(pos) > 0 {
		out.EngineAddress = pos[0]
	}
	if len(pos) > 1 {
		out.PackDir = pos[1]
	}
	return out, nil
}

// IO are the process's standard streams.
type IO struct {
	// Stdin, when not nil, is watched: the pack stops when it reaches end of file, which is how a
	// plugin learns that the engine that started it has gone.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// drainTimeout bounds how long a stopping pack waits for calls in flight.
const drainTimeout = 5 * time.Second

// Run serves pack until ctx ends, the engine calls Cancel, or stdio.Stdin reaches end of file, and
// returns nil on any of those. It prints the port before serving.
func Run(ctx context.Context, pack analyzer.Pack, args []string, stdio IO) error {
	if _, err := ParseArgs(args); err != nil {
		return err
	}
	srv, err := analyzer.New(pack, analyzer.WithLog(stdio.Stderr))
	if err != nil {
		return fmt.Errorf("loading policy pack: %w", err)
	}
	stop := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterAnalyzerServer(s, srv)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("serving policy pack %s: %w", pack.Name, err)
	}
	if _, err := fmt.Fprintf(stdio.Stdout, "%d\n", handle.Port); err != nil {
		close(stop)
		return errors.Join(fmt.Errorf("printing the port: %w", err), <-handle.Done)
	}

	eof := make(chan struct{})
	if stdio.Stdin != nil {
		go func() {
			_, _ = io.Copy(io.Discard, stdio.Stdin)
			close(eof)
		}()
	}

	select {
	case err := <-handle.Done:
		if err != nil {
			return fmt.Errorf("serving policy pack %s: %w", pack.Name, err)
		}
		return nil
	case <-ctx.Done():
	case <-srv.Done():
	case <-eof:
	}
	// GracefulStop, run by ServeWithOptions once stop is closed, lets calls in flight finish (among
	// them the Cancel call that may have brought us here); a call that hangs cannot keep the process up.
	close(stop)
	select {
	case err := <-handle.Done:
		return err
	case <-time.After(drainTimeout):
		return nil
	}
}

// Main runs pack as the process's plugin and exits: 0 after a clean stop, 1 after an error.
func Main(pack analyzer.Pack) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stdio := IO{Stdout: os.Stdout, Stderr: os.Stderr}
	if watchStdin(os.Stdin) {
		stdio.Stdin = os.Stdin
	}
	err := Run(ctx, pack, os.Args[1:], stdio)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", pack.Name, err)
		os.Exit(1)
	}
}

// watchStdin reports whether stdin is a pipe, as when the engine starts the plugin. A terminal or
// /dev/null is not watched, so running the pack by hand does not stop it at once.
func watchStdin(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeNamedPipe != 0
}
