package main

import (
	"context"
	"fmt"
	"io"
	"os"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/failover"
	"github.com/ess-ha/ess-ha/internal/project"
)

// runFailover runs `essha failover ...` for the active-active deployment of the project's stack files.
// ESSHA_PROJECT_DIR selects project files on disk instead of the embedded ones.
func runFailover(ctx context.Context, args []string, stdout io.Writer) error {
	files := essha.ProjectFiles()
	if dir := os.Getenv("ESSHA_PROJECT_DIR"); dir != "" {
		files = os.DirFS(dir)
	}
	pairs, err := project.Pairs(files)
	if err != nil {
		return fmt.Errorf("failover: reading the stacks: %w", err)
	}
	p, err := pairs.Select("")
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	return failover.Main(ctx, args, p.Deployment, p.Regions, stdout)
}
