// Package registry provides the Registry component: the region's private ECR repositories.
//
// The ESS high availability document recommends against relying on a public repository such as
// Inrupt's own software releases: every pool pulls its images from these repositories only.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ess-ha/ess-ha/components/internal/secure"
	"regexp"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DefaultKeepImages is how many images the lifecycle policy keeps per repository when
// RegistryArgs.KeepImages is 0.
const DefaultKeepImages = 30

// RegistryArgs configures a Registry.
type RegistryArgs struct {
	// Repositories are the repository names every pool's images come from, e.g. "inrupt/ess-ldp".
	Repositories []string
	// KeepImages is how many images the lifecycle policy keeps per repository (0 means
	// DefaultKeepImages).
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

// repositoryPattern is ECR's rule for repository names.
var repositoryPattern = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *RegistryArgs) Validate() error {
	if a == nil {
		return errors.New("RegistryArgs is nil: pass the repositories to create")
	}
	var errs []error
	if len(a.Repositories) == 0 {
		errs = append(errs, errors.New("RegistryArgs.Repositories is empty: list at least one repository name, such as inrupt/ess-ldp"))
	}
	seen := map[string]bool{}
	for i, r := range a.Repositories {
		switch {
		case r == "":
			errs = append(errs, fmt.Errorf("RegistryArgs.Repositories[%d] is empty: give a repository name such as inrupt/ess-ldp", i))
		case len(r) < 2 || len(r) > 256 || !repositoryPattern.MatchString(r):
			errs = append(errs, fmt.Errorf("RegistryArgs.Repositories[%d] = %q is not a valid ECR repository name: use 2-256 lower-case letters, digits and . _ - / such as inrupt/ess-ldp", i, r))
		case seen[r]:
			errs = append(errs, fmt.Errorf("RegistryArgs.Repositories[%d] = %q is a duplicate: list each repository once", i, r))
		}
		seen[r] = true
	}
	if a.KeepImages < 0 || a.KeepImages > 10000 {
		errs = append(errs, fmt.Errorf("RegistryArgs.KeepImages = %d is invalid: use 1 to 10000, or 0 for the default %d", a.KeepImages, DefaultKeepImages))
	}
	return errors.Join(errs...)
}

// LifecyclePolicy returns the ECR lifecycle policy document that keeps the newest keep images.
func LifecyclePolicy(keep int) (string, error) {
	doc := map[string]any{
		"rules": []any{map[string]any{
			"rulePriority": 1,
			"description":  fmt.Sprintf("Keep the newest %d images", keep),
			"selection": map[string]any{
				"tagStatus":   "any",
				"countType":   "imageCountMoreThan",
				"countNumber": keep,
			},
			"action": map[string]any{"type": "expire"},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encoding the lifecycle policy: %w", err)
	}
	return string(b), nil
}

// NewRegistry creates the Registry component.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}
	keep := args.KeepImages
	if keep == 0 {
		keep = DefaultKeepImages
	}
	policy, err := LifecyclePolicy(keep)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}
	comp := &Registry{URLs: map[string]pulumi.StringOutput{}, Arns: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("ess-ha:registry:Registry", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering registry %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)

	key, err := secure.NewKey(ctx, name, pulumi.Sprintf("ess-ha %s: encrypts the private ECR repositories", name), tags, parent)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}
	comp.KmsKeyArn = key.Arn

	repos := append([]string(nil), args.Repositories...)
	sort.Strings(repos)
	urls, arns := pulumi.StringMap{}, pulumi.StringMap{}
	for _, r := range repos {
		repo, err := ecr.NewRepository(ctx, name+"-"+r, &ecr.RepositoryArgs{
			Name:               pulumi.String(r),
			ImageTagMutability: pulumi.String("IMMUTABLE"),
			ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
				ScanOnPush: pulumi.Bool(true),
			},
			EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
				&ecr.RepositoryEncryptionConfigurationArgs{
					EncryptionType: pulumi.String("KMS"),
					KmsKey:         key.Arn,
				},
			},
			Tags: tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("registry %s: creating repository %s: %w", name, r, err)
		}
		if _, err := ecr.NewLifecyclePolicy(ctx, name+"-"+r+"-lifecycle", &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(policy),
		}, parent); err != nil {
			return nil, fmt.Errorf("registry %s: creating the lifecycle policy of %s: %w", name, r, err)
		}
		comp.URLs[r], comp.Arns[r] = repo.RepositoryUrl, repo.Arn
		urls[r], arns[r] = repo.RepositoryUrl, repo.Arn
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"urls":      urls,
		"arns":      arns,
		"kmsKeyArn": comp.KmsKeyArn,
	}); err != nil {
		return nil, fmt.Errorf("registry %s: registering outputs: %w", name, err)
	}
	return comp, nil
}

// AliasName returns the KMS alias of the registry's key, unique per project, stack and component:
// alias/<project>-<stack>-<name>, with characters KMS does not allow replaced by "-".
func AliasName(project, stack, name string) string { return secure.AliasName(project, stack, name) }
