// Command infra is the ess-ha Pulumi program, run by the engine with `pulumi up` once per regional stack.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/program"
)

func main() { pulumi.Run(program.Run) }
