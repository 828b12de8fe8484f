// Command nooppack is a policy pack that declares one resource policy, which reports nothing, served
// exactly like the ess-ha pack. A preview with it instead of the ess-ha pack costs everything a pack
// costs (the plugin process, the engine's Analyze and AnalyzeStack calls) but the ess-ha policies, so
// the two previews measure the ess-ha policies' share (see e2e/cmd/previewstack).
package main

import (
	"context"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/serve"
)

func main() {
	serve.Main(analyzer.Pack{Name: "noop", Version: "0.0.0", Policies: []policy.Policy{{
		Name:         "noop-reports-nothing",
		Description:  "Reports nothing: the baseline for measuring a pack's cost.",
		DefaultLevel: policy.Advisory,
		CheckResource: func(context.Context, *policy.Resource, policy.Args) []policy.Violation {
			return nil
		},
	}}})
}
