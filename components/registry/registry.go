// Package registry provides the Registry component: the region's private ECR repositories, and the
// Replication component that copies their images to the peer region.
//
// The ESS high availability document recommends against relying on a public repository such as
// Inrupt's own software releases: every pool pulls its images from these repositories only.
//
// In an active-active pair, one stack is the Owner: it creates the repositories. The other is a Member:
// ECR creates its repositories itself when replication first copies an image into them, from the
// repository creation templates the Member owns, so that a push made before the Member's stack exists
// can never collide with a repository the Member's stack would create (RepositoryAlreadyExists).
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/secure"
	"github.com/ess-ha/ess-ha/internal/awsname"
)

// DefaultKeepImages is how many images the lifecycle policy keeps per repository when
// RegistryArgs.KeepImages is 0.
const DefaultKeepImages = 30

// Mode says who creates a registry's repositories.
type Mode string

const (
	// Owner creates one ecr.Repository per repository name. It is the default (the zero Mode), for a
	// single-region stack and for the stack of a pair that is deployed first.
	Owner Mode = "owner"
	// Member creates no repository: ECR creates each one when replication from the Owner's region first
	// copies an image into it, from one repository creation template per prefix that the Member owns
	// (immutable tags, KMS with the Member's own key, the same lifecycle policy and tags as the Owner's
	// repositories), and a registry scanning configuration scans every image on push. The Member
	// computes the repositories' URLs and ARNs, which hold before the repositories exist: instances must
	// wait for the images to arrive.
	//
	// Order: deploy the Owner, then the Member, then push. A template applies only to repositories ECR
	// creates after it exists, so an image pushed to the Owner before the Member's stack is deployed
	// makes its Member repository with ECR's defaults (AES256, mutable tags, no lifecycle policy), and
	// the encryption of a repository cannot be changed. Such a repository must be deleted and the images
	// replicated again (a replication backfill).
	Member Mode = "member"
)

// RegistryArgs configures a Registry.
type RegistryArgs struct {
	// Mode says whether this stack creates the repositories (Owner, the default when empty) or lets
	// replication create them from templates (Member).
	Mode Mode
	// Repositories are the repository names every pool's images come from, e.g. "inrupt/ess-ldp".
	Repositories []string
	// KeepImages is how many images the lifecycle policy keeps per repository (0 means
	// DefaultKeepImages).
	KeepImages int
	Tags       map[string]string

	// AccountID and Region are this stack's AWS account ID (12 digits) and region (e.g. us-west-2).
	// Member mode computes the repository URLs and ARNs from them and checks them against the
	// provider's account and region; they are required there. Owner mode takes the URLs and ARNs from
	// the repositories it creates, and only checks the form of these fields when they are set.
	AccountID string
	Region    string
	// RepositoryPrefixes are the namespaces of Repositories, e.g. "inrupt/" and "backend/" (the same
	// list as ReplicationArgs.RepositoryPrefixes; a trailing "/" is optional). Member mode creates one
	// repository creation template per prefix and requires every repository to be under one: ECR always
	// reads a template prefix with a trailing "/" ("inrupt" covers "inrupt/ess-ldp" but not a
	// repository named "inrupt"), and ROOT covers every repository no other template of the registry
	// covers. Owner mode only checks their form when they are set.
	RepositoryPrefixes []string
}

// Registry is one private ECR repository per image: scan on push, immutable tags, KMS encryption, a
// lifecycle policy. In Owner mode the stack creates the repositories; in Member mode ECR creates them
// with the same settings when replication brings the first image (see Member).
type Registry struct {
	pulumi.ResourceState

	// URLs and Arns are keyed by repository name, in both modes.
	URLs map[string]pulumi.StringOutput
	Arns map[string]pulumi.StringOutput
	// KmsKeyArn is the key the repositories are encrypted with (in Member mode, once ECR creates them).
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
}

var (
	// templatePrefixPattern is ECR's rule for a repository creation template prefix, without the
	// optional trailing "/" (which validation strips): a repository namespace, or ROOT.
	// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html
	templatePrefixPattern = regexp.MustCompile(`^(?:(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*|ROOT)$`)
)

// RootPrefix is the repository creation template prefix that covers every repository no other template
// of the registry covers.
const RootPrefix = "ROOT"

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
		case !awsname.IsECRRepository(r):
			errs = append(errs, fmt.Errorf("RegistryArgs.Repositories[%d] = %q is not a valid ECR repository name: use 2-256 lower-case letters, digits and . _ - / such as inrupt/ess-ldp", i, r))
		case seen[r]:
			errs = append(errs, fmt.Errorf("RegistryArgs.Repositories[%d] = %q is a duplicate: list each repository once", i, r))
		}
		seen[r] = true
	}
	if a.KeepImages < 0 || a.KeepImages > 10000 {
		errs = append(errs, fmt.Errorf("RegistryArgs.KeepImages = %d is invalid: use 1 to 10000, or 0 for the default %d", a.KeepImages, DefaultKeepImages))
	}
	switch a.Mode {
	case "", Owner, Member:
	default:
		errs = append(errs, fmt.Errorf("RegistryArgs.Mode %q is invalid: use registry.Owner (the stack creates the repositories) or registry.Member (replication creates them from templates)", a.Mode))
	}
	member := a.Mode == Member
	switch {
	case a.AccountID == "" && member:
		errs = append(errs, errors.New("RegistryArgs.AccountID is empty: Member mode computes the repository URLs and ARNs from it; pass this stack's 12-digit AWS account ID"))
	case a.AccountID != "" && !awsname.IsAccountID(a.AccountID):
		errs = append(errs, fmt.Errorf("RegistryArgs.AccountID %q is invalid: pass this stack's 12-digit AWS account ID, such as 123456789012", a.AccountID))
	}
	switch {
	case a.Region == "" && member:
		errs = append(errs, errors.New("RegistryArgs.Region is empty: Member mode computes the repository URLs and ARNs from it; pass this stack's region, such as us-west-2"))
	case a.Region != "" && !awsname.IsRegion(a.Region):
		errs = append(errs, fmt.Errorf("RegistryArgs.Region %q is invalid: pass this stack's region, such as us-west-2", a.Region))
	}
	errs = append(errs, a.validatePrefixes(member)...)
	return errors.Join(errs...)
}

// validatePrefixes checks RepositoryPrefixes; in Member mode they are required and must cover every
// repository the way ECR matches a template prefix.
func (a *RegistryArgs) validatePrefixes(member bool) []error {
	var errs []error
	if len(a.RepositoryPrefixes) == 0 {
		if member {
			errs = append(errs, errors.New("RegistryArgs.RepositoryPrefixes is empty: Member mode creates one repository creation template per prefix; list the repositories' namespaces, such as inrupt/ and backend/"))
		}
		return errs
	}
	first := map[string]int{}
	for i, p := range a.RepositoryPrefixes {
		t := templatePrefix(p)
		j, dup := first[t]
		switch {
		case !templatePrefixPattern.MatchString(t) || len(t) > 256:
			errs = append(errs, fmt.Errorf("RegistryArgs.RepositoryPrefixes[%d] %q is invalid: use a repository namespace of lower-case letters, digits and . _ - /, such as inrupt/, or ROOT", i, p))
		case dup:
			errs = append(errs, fmt.Errorf("RegistryArgs.RepositoryPrefixes[%d] %q is the same template prefix %q as RepositoryPrefixes[%d] %q (the trailing \"/\" is implied): list each prefix once", i, p, t, j, a.RepositoryPrefixes[j]))
		default:
			first[t] = i
		}
	}
	if !member {
		return errs
	}
	for i, r := range a.Repositories {
		if r != "" && !covered(r, a.RepositoryPrefixes) {
			errs = append(errs, fmt.Errorf("RegistryArgs.Repositories[%d] = %q is under none of RegistryArgs.RepositoryPrefixes %q: ECR reads a template prefix as a namespace with a trailing \"/\" (inrupt covers inrupt/ess-ldp, not inrupt nor inruptx/ess); add the repository's namespace, or ROOT for a repository without one", i, r, a.RepositoryPrefixes))
		}
	}
	return errs
}

// templatePrefix is the prefix a repository creation template is created with: the namespace without
// its trailing "/", which ECR always assumes.
func templatePrefix(p string) string { return strings.TrimSuffix(p, "/") }

// covered tells whether a template of one of the prefixes covers a repository: a namespace prefix
// covers the repositories under "<prefix>/", ROOT covers every repository.
func covered(repo string, prefixes []string) bool {
	for _, p := range prefixes {
		if t := templatePrefix(p); t == RootPrefix || strings.HasPrefix(repo, t+"/") {
			return true
		}
	}
	return false
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

// NewRegistry creates the Registry component: the KMS key, then in Owner mode the repositories with
// their lifecycle policies, in Member mode the repository creation templates, their role and the
// registry scanning configuration.
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
	if args.Mode == Member {
		err = comp.member(ctx, name, args, repos, policy, key.Arn, tags)
	} else {
		err = comp.owner(ctx, name, repos, policy, key.Arn, tags)
	}
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}

	urls, arns := pulumi.StringMap{}, pulumi.StringMap{}
	for r := range comp.URLs {
		urls[r], arns[r] = comp.URLs[r], comp.Arns[r]
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

// owner creates one repository per name, with its lifecycle policy, and takes the URLs and ARNs from
// them.
func (comp *Registry) owner(ctx *pulumi.Context, name string, repos []string, policy string, keyArn pulumi.StringOutput, tags pulumi.StringMap) error {
	parent := pulumi.Parent(comp)
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
					KmsKey:         keyArn,
				},
			},
			Tags: tags,
		}, parent)
		if err != nil {
			return fmt.Errorf("creating repository %s: %w", r, err)
		}
		if _, err := ecr.NewLifecyclePolicy(ctx, name+"-"+r+"-lifecycle", &ecr.LifecyclePolicyArgs{
			Repository: repo.Name,
			Policy:     pulumi.String(policy),
		}, parent); err != nil {
			return fmt.Errorf("creating the lifecycle policy of %s: %w", r, err)
		}
		comp.URLs[r], comp.Arns[r] = repo.RepositoryUrl, repo.Arn
	}
	return nil
}

// AliasName returns the KMS alias of the registry's key, unique per project, stack and component:
// alias/<project>-<stack>-<name>, with characters KMS does not allow replaced by "-".
func AliasName(project, stack, name string) string { return secure.AliasName(project, stack, name) }
