// Package stackexport reads what the program needs from a state file: `pulumi stack export` output, or
// the state `essha plan` writes in the same format.
package stackexport

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Outputs returns the outputs of the stack resource of a state file (deployment version 3), as a
// StackReference to that stack would read them. A stack with no outputs gives an empty map.
func Outputs(state []byte) (map[string]any, error) {
	var untyped apitype.UntypedDeployment
	if err := json.Unmarshal(state, &untyped); err != nil {
		return nil, fmt.Errorf("reading the state file: %w", err)
	}
	if untyped.Version != 3 {
		return nil, fmt.Errorf("reading the state file: deployment version %d, want 3 (as pulumi stack export writes)", untyped.Version)
	}
	var dep apitype.DeploymentV3
	if err := json.Unmarshal(untyped.Deployment, &dep); err != nil {
		return nil, fmt.Errorf("reading the state file's deployment: %w", err)
	}
	for _, r := range dep.Resources {
		if r.Type == resource.RootStackType {
			if r.Outputs == nil {
				return map[string]any{}, nil
			}
			return r.Outputs, nil
		}
	}
	return nil, errors.New("the state file has no stack resource (pulumi:pulumi:Stack): is it a stack export?")
}
