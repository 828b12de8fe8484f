package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
	pairs, err := project.Pairs(ctx, files)
	if err != nil {
		return fmt.Errorf("failover: reading the stacks: %w", err)
	}
	switch len(pairs) {
	case 0:
		return errors.New("failover: no stack sets peerRegion: there is no active-active deployment to fail over")
	case 1:
	default:
		names := make([]string, len(pairs))
		for i, p := range pairs {
			names[i] = p.Deployment
		}
		return fmt.Errorf("failover: the stacks describe several deployments (%s); keep one per project", strings.Join(names, ", "))
	}
	return failover.Main(ctx, args, pairs[0].Deployment, pairs[0].Regions, stdout)
}
