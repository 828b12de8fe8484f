// Package essha holds the ess-ha Pulumi project files (Pulumi.yaml and the shipped stacks'
// Pulumi.<stack>.yaml), embedded so the offline plan runs on a machine with nothing but the binary.
package essha

import (
	"embed"
	"io/fs"
)

//go:embed Pulumi.yaml Pulumi.*.yaml
var projectFiles embed.FS

// ProjectFiles returns the embedded project files.
func ProjectFiles() fs.FS { return projectFiles }
