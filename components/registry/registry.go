// Package registry provides the Registry component: the region's private ECR repositories.
package registry

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// RegistryArgs configures a Registry.
type RegistryArgs struct {
	// Repositories are the repository names every pool's images come from, e.g. "inrupt/ess-ldp".
	Repositories []string
	// KeepImages is how many images the lifecycle policy keeps per repository.
	KeepImages int
	Tags       map[string]string
}

// Registry is one private ECR repository per image: scan on push, immutable tags, KMS encryption, a
// lifecycle policy.
type Registry struct {
	pulumi.ResourceState

	// URLs and Arns are keyed by repository name.
	URLs      map[string]pulumi.StringOutput
	Arns      map[string]pulumi.StringOutput
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
}

// NewRegistry creates the Registry component.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	panic("TODO")
}
