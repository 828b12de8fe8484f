// Command emptypack is a policy pack with no policies, served exactly like the ess-ha pack. Comparing
// `pulumi policy analyze` with it and with the ess-ha pack measures what the ess-ha policies cost on
// top of the CLI, the engine and the transport (see cmd/packoverhead).
package main

import (
	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/serve"
)

func main() {
	serve.Main(analyzer.Pack{Name: "empty", Version: "0.0.0"})
}
