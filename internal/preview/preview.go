// Package preview is `essha preview`: it runs a stack's real program (program.Run) through the Pulumi
// CLI's engine, offline, with the stand-in AWS provider and the ess-ha policy pack, against a throwaway
// local backend (package engine). The stack's configuration is loaded as `essha plan` loads it; the
// member of a pair reads its owner's outputs through a real StackReference, from the owner's offline
// plan (plan.Run) imported as the owner's stack into the same backend.
//
// What it proves: the engine accepts the program's resource graph (URNs, parents, providers,
// dependencies, aliases, protect), the program runs under the engine's dry-run semantics with every ID
// unknown, and the pack's verdicts are those the engine reaches on a first preview. What it does not:
// AWS never sees a request, so nothing AWS would refuse (a name taken, a quota, a value out of range,
// a missing permission) is found here.
package preview

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/engine"
	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/internal/program"
	"github.com/ess-ha/ess-ha/internal/project"
	"github.com/ess-ha/ess-ha/policies/pack"
)

// Options select the stack to preview and how.
type Options struct {
	// Stack is the stack name, e.g. prod-us-east-1; its configuration is Pulumi.<stack>.yaml.
	Stack string
	// ProjectDir holds Pulumi.yaml and the stack files; empty uses the files embedded in the binary.
	ProjectDir string
	// Overrides replace stack configuration values ("namespace:key" or "key" to a raw value), as
	// `essha plan --set` does.
	Overrides map[string]string
	// PolicyPackConfig is a --policy-pack-config file for the pack.
	PolicyPackConfig string
	// Engine sets up the engine: the CLI, the plugins' executable, a different pack. Its pack
	// identity fields are filled in from package pack when empty.
	Engine engine.Options
	// Stdout receives the engine's own preview output; Stderr its errors and essha's notes on what
	// runs. Nil discards.
	Stdout, Stderr io.Writer
}

// Run previews opts.Stack. A preview the pack stops with a mandatory violation returns an error that
// wraps engine.ErrNotCompliant; the Result is returned whenever the engine ran.
func Run(ctx context.Context, opts Options) (*engine.Result, error) {
	if opts.Stack == "" {
		return nil, errors.New("preview: no stack given: pass --stack, e.g. --stack prod-us-east-1")
	}
	log := opts.Stderr
	if log == nil {
		log = io.Discard
	}
	files := essha.ProjectFiles()
	if opts.ProjectDir != "" {
		files = os.DirFS(opts.ProjectDir)
	}
	proj, cfg, err := project.Load(ctx, files, opts.Stack, opts.Overrides)
	if err != nil {
		return nil, err
	}
	name := proj.Name.String()

	eo := opts.Engine
	if eo.PackName == "" {
		eo.PackName, eo.PackVersion, eo.PackDescription = pack.Name, pack.Version, pack.Description
	}
	w, err := engine.New(ctx, eo)
	if err != nil {
		return nil, fmt.Errorf("preview of stack %s: %w", opts.Stack, err)
	}
	defer w.Close()
	fmt.Fprintf(log, "essha: previewing stack %s with the Pulumi CLI at %s, the stand-in AWS provider and policy pack %s %s "+
		"(both served by essha from PATH), against a throwaway local backend: no AWS account, no credentials.\n",
		opts.Stack, w.DescribeCLI(), eo.PackName, eo.PackVersion)

	if peer := cfg[name+":peerStack"]; peer != "" {
		if err := importOwner(ctx, w, opts, name, peer); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "essha: its owner %s: planned offline (as essha plan does) and imported into the backend, for the StackReference.\n", peer)
	}
	st, err := w.Stack(ctx, name, opts.Stack, program.Run, cfg)
	if err != nil {
		return nil, fmt.Errorf("preview of stack %s: %w", opts.Stack, err)
	}
	return st.Preview(ctx, engine.RunOptions{Stdout: opts.Stdout, Stderr: opts.Stderr, PolicyPackConfig: opts.PolicyPackConfig})
}

// importOwner plans the owner's stack (the last part of peer, which may be org/project/stack) from the
// same project files, without the member's overrides, and imports the plan as stack peer.
func importOwner(ctx context.Context, w *engine.Workspace, opts Options, projectName, peer string) error {
	owner := peer[strings.LastIndex(peer, "/")+1:]
	if owner == opts.Stack {
		return fmt.Errorf("preview of stack %s: it names itself as its peer (ess-ha:peerStack)", opts.Stack)
	}
	res, err := plan.Run(ctx, plan.Options{Stack: owner, ProjectDir: opts.ProjectDir})
	if err != nil {
		return fmt.Errorf("preview of stack %s: planning its owner's stack %s for the StackReference: %w", opts.Stack, owner, err)
	}
	if err := w.Import(ctx, projectName, peer, res.State); err != nil {
		return fmt.Errorf("preview of stack %s: %w", opts.Stack, err)
	}
	return nil
}
