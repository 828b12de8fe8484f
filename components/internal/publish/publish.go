// Package publish writes the settings a component hands to the instances as SSM parameters: plain
// String parameters under the stack's parameter path, which the pools read at boot into their
// containers' environment.
package publish

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Parameter is one setting to publish.
type Parameter struct {
	// Key is the parameter's name relative to the path, e.g. "database/endpoint".
	Key string
	// Value is what the parameter holds. Never a secret: it stays readable in the state and the
	// console (publish a secret's ARN, not the secret).
	Value pulumi.StringInput
	// What says what the value is; the parameter's description is "ess-ha: " followed by it.
	What string
}

// Parameters creates, for each parameter in order, the String parameter <path>/<Key> (path with or
// without its trailing slash), named <name>-<Key with "/" replaced by "-">.
func Parameters(ctx *pulumi.Context, name, path string, params []Parameter, tags pulumi.StringMap, opts ...pulumi.ResourceOption) error {
	path = strings.TrimSuffix(path, "/")
	for _, p := range params {
		if _, err := ssm.NewParameter(ctx, name+"-"+strings.ReplaceAll(p.Key, "/", "-"), &ssm.ParameterArgs{
			Name:        pulumi.String(path + "/" + p.Key),
			Description: pulumi.String("ess-ha: " + p.What),
			Type:        pulumi.String("String"),
			// Not a secret: the value stays readable in the state and the console.
			InsecureValue: p.Value,
			Tags:          tags,
		}, opts...); err != nil {
			return fmt.Errorf("publishing %s: %w", p.Key, err)
		}
	}
	return nil
}
