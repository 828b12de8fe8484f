// Command ess-ha is the ess-ha policy pack: built as pulumi-analyzer-policy-go, it serves the pack's
// policies to the Pulumi engine over the Analyzer protocol (see PulumiPolicy.yaml and README.md).
package main

import (
	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
	"github.com/ess-ha/ess-ha/policies/internal/serve"
)

// Pack identity; PulumiPolicy.yaml's version must match (main_test.go checks it).
const (
	packName    = "ess-ha"
	packVersion = "0.1.0"
)

func main() {
	serve.Main(pack())
}

// pack is the pack this binary serves.
func pack() analyzer.Pack {
	return analyzer.Pack{
		Name:        packName,
		Version:     packVersion,
		Description: "ESS high availability on AWS (Inrupt ESS HA architecture) and the security checks around it.",
		Policies:    rules.All(),
	}
}
