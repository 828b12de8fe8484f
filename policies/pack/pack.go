// Package pack is the ess-ha policy pack, defined once: its identity and policies, and the plugin
// process that serves them to the Pulumi engine. The pack binary (./policies), the audit and the
// offline preview all use it.
package pack

import (
	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
	"github.com/ess-ha/ess-ha/policies/internal/serve"
)

// Identity of the pack; PulumiPolicy.yaml's version must match (a test checks it).
const (
	Name        = "ess-ha"
	Version     = "0.1.0"
	Description = "ESS high availability on AWS (Inrupt ESS HA architecture) and the security checks around it."
)

// Definition returns the pack: its identity and a fresh set of its policies, the pair policies last
// (they find nothing on one stack; an audit of both stacks of a pair runs them together).
func Definition() analyzer.Pack {
	return analyzer.Pack{Name: Name, Version: Version, Description: Description, Policies: append(rules.All(), rules.Pair()...)}
}

// Main runs the pack as the engine's analyzer plugin process (`pulumi-analyzer-policy-go <engine
// address> <pack directory>`), with the process's arguments and streams, and exits.
func Main() {
	serve.Main(Definition())
}
