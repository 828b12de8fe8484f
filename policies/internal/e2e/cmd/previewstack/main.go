// Command previewstack previews a shipped stack exactly as `essha preview` does, with the policy pack
// served by an executable of your choice. Timing it with the ess-ha pack and with nooppack (one
// policy that reports nothing) measures the ess-ha policies' share of a preview; a -pack that wraps
// the pack in /usr/bin/time -v measures the pack process's peak memory.
//
//	go build -o /tmp/essha ./cmd/essha
//	go build -o /tmp/nooppack ./policies/internal/e2e/nooppack
//	go build -o /tmp/previewstack ./policies/internal/e2e/cmd/previewstack
//	/tmp/previewstack -essha /tmp/essha -stack prod-us-east-1                      # the ess-ha pack
//	/tmp/previewstack -essha /tmp/essha -stack prod-us-east-1 -pack /tmp/nooppack  # the baseline
//
// The exit status is essha preview's: 0 passed, 1 a mandatory violation, 2 any other error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ess-ha/ess-ha/internal/engine"
	"github.com/ess-ha/ess-ha/internal/preview"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, engine.ErrNotCompliant):
		fmt.Fprintln(os.Stderr, "previewstack:", err)
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "previewstack:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("previewstack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "prod-us-east-1", "the shipped stack to preview")
	essha := fs.String("essha", "", "the essha binary, which serves the stand-in AWS provider (required)")
	pack := fs.String("pack", "", "the executable that serves the policy pack (default: essha, the ess-ha pack)")
	cli := fs.String("cli", "", "the pulumi executable (default: as essha preview finds it)")
	verbose := fs.Bool("v", false, "print the engine's output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *essha == "" {
		return errors.New("-essha is required: build it with go build -o /tmp/essha ./cmd/essha")
	}
	out, errOut := io.Discard, io.Discard
	if *verbose {
		out, errOut = stdout, stderr
	}
	_, err := preview.Run(ctx, preview.Options{
		Stack:  *stack,
		Engine: engine.Options{CLI: *cli, Plugins: *essha, Pack: *pack},
		Stdout: out, Stderr: errOut,
	})
	return err
}
