package main

import (
	"context"
	"io"
	"os"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/cmd/essha/internal/failovercmd"
)

// runFailover runs `essha failover ...` for an active-active deployment of the project's stack files:
// the embedded ones, or those in the folder ESSHA_PROJECT_DIR names.
func runFailover(ctx context.Context, args []string, stdout io.Writer) error {
	files := essha.ProjectFiles()
	if dir := os.Getenv("ESSHA_PROJECT_DIR"); dir != "" {
		files = os.DirFS(dir)
	}
	return failovercmd.Run(ctx, args, files, stdout)
}
