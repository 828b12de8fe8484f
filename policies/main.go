// Command ess-ha is the ess-ha policy pack: built as pulumi-analyzer-policy-go, it serves the pack's
// policies to the Pulumi engine over the Analyzer protocol (see PulumiPolicy.yaml and README.md).
package main

import "github.com/ess-ha/ess-ha/policies/pack"

func main() { pack.Main() }
