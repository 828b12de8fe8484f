package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/failover"
	"github.com/ess-ha/ess-ha/internal/project"
)

// runFailover runs `essha failover ...` for an active-active deployment of the project's stack files.
// ESSHA_PROJECT_DIR selects project files on disk instead of the embedded ones.
func runFailover(ctx context.Context, args []string, stdout io.Writer) error {
	files := essha.ProjectFiles()
	if dir := os.Getenv("ESSHA_PROJECT_DIR"); dir != "" {
		files = os.DirFS(dir)
	}
	return failover.Main(ctx, args, findDeployment(files), stdout)
}

// findDeployment finds a deployment to fail over in the project files. It reads only what a failover
// needs from each stack file, so a stack that is not part of the chosen pair cannot stop it.
func findDeployment(files fs.FS) failover.FindDeployment {
	return func(name string) (failover.Deployment, error) {
		pairs, err := project.Pairs(files)
		if err != nil {
			return failover.Deployment{}, fmt.Errorf("reading the stack files: %w", err)
		}
		p, err := pairs.Select(name)
		if err != nil {
			return failover.Deployment{}, err
		}
		return failover.Deployment{
			Name:       p.Deployment,
			Regions:    p.Regions,
			AccountID:  p.AccountID,
			AccountErr: p.AccountErr,
			Files:      p.Files(),
		}, nil
	}
}
