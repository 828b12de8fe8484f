// Package program is the ess-ha Pulumi program: it reads and validates the stack's configuration,
// creates the region, and exports what an operator needs. infra/main.go runs it under the engine and
// the plan package runs exactly the same function under mocks.
package program

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/region"
	"github.com/ess-ha/ess-ha/internal/config"
	"github.com/ess-ha/ess-ha/internal/pairing"
)

// Build reads the configuration and creates the region, and returns the stack outputs without
// exporting them.
func Build(ctx *pulumi.Context) (*region.Region, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	// The member of a pair reads its owner's outputs before it registers anything else: deploying the
	// member first fails here, before any resource is created.
	var owner *pairing.Owner
	if cfg.Member() {
		owner, err = pairing.Read(ctx, cfg.PeerStack, pairing.Expect{Deployment: cfg.Deployment, AccountID: cfg.AccountID, Region: cfg.PeerRegion})
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", ctx.Stack(), err)
		}
	}
	r, err := region.NewRegion(ctx, "ess", &region.RegionArgs{Config: cfg, Owner: owner})
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", ctx.Stack(), err)
	}
	return r, nil
}

// Run is the program: Build, then export every output.
func Run(ctx *pulumi.Context) error {
	r, err := Build(ctx)
	if err != nil {
		return err
	}
	Export(ctx, r.Outputs)
	return nil
}

// Export exports every output as a stack output, in name order.
func Export(ctx *pulumi.Context, outputs pulumi.Map) {
	keys := make([]string, 0, len(outputs))
	for k := range outputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ctx.Export(k, outputs[k])
	}
}
