package registry

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// MaxRepositoryFilters is ECR's limit on the repository filters of one replication rule.
const MaxRepositoryFilters = 100

var (
	// prefixPattern is ECR's rule for a PREFIX_MATCH repository filter: a repository name prefix,
	// possibly ending in "/" (e.g. "inrupt/").
	prefixPattern = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$`)
)

// ReplicationArgs configures a Replication.
type ReplicationArgs struct {
	// DestinationRegion is the peer region the images are copied to, e.g. "us-west-2". It must not be
	// this stack's region.
	DestinationRegion string
	// RepositoryPrefixes select the repositories to replicate by name prefix, e.g. "inrupt/" and
	// "backend/": every repository the pools pull from must match one.
	RepositoryPrefixes []string
	// RegistryID is the destination registry, an AWS account id. Empty means this stack's own account
	// (cross-region replication within the account). Another account must allow the replication with
	// a registry permissions policy (ecr:ReplicateImage, ecr:CreateRepository).
	RegistryID string
}

// Replication is the replication configuration of this region's private ECR registry: every image
// pushed to a repository matching RepositoryPrefixes is copied to the same repository name in the
// destination region, so a region loss does not take the images with it and each region's pools pull
// from their own region's registry.
//
// What to know when running it:
//   - A registry has ONE replication configuration per region: this component owns it, so nothing
//     else (console, another stack in the same account and region) may set it.
//   - Only images pushed after the configuration exists are replicated; push (or re-push) the images
//     after the first `pulumi up`, or start a replication backfill.
//   - Replication writes into the destination's repository of the same name. When it exists (the
//     Owner's repositories always do), its settings apply (KMS key, immutable tags, lifecycle).
//     Otherwise ECR creates it, from the destination registry's repository creation template for
//     REPLICATION that covers it (what a Member Registry sets up) if one exists at that moment, else
//     with none of the source's settings (no KMS, mutable tags, no scanning) for good.
//   - Both stacks of a pair replicate outward (Owner to Member, Member to Owner). That is not a loop:
//     ECR replicates an image once per push, and the copy it writes in the destination is not
//     replicated again, "an image pushed to us-west-2 replicates to only us-east-1, it doesn't
//     replicate again" (https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html,
//     Considerations). So each push lands in both regions exactly once, whichever region takes it.
//   - With tag immutability, an image tag pushed to both regions cannot also be replicated (the copy
//     arrives without the duplicate tag): push every image to one region and let replication carry it.
type Replication struct {
	pulumi.ResourceState

	// RegistryID is the source registry (this account) the configuration belongs to.
	RegistryID pulumi.StringOutput `pulumi:"registryId"`
	// DestinationRegion and DestinationRegistryID are where the images go.
	DestinationRegion     pulumi.StringOutput `pulumi:"destinationRegion"`
	DestinationRegistryID pulumi.StringOutput `pulumi:"destinationRegistryId"`
	// RepositoryPrefixes are the replicated prefixes, in the order given.
	RepositoryPrefixes pulumi.StringArrayOutput `pulumi:"repositoryPrefixes"`
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *ReplicationArgs) Validate() error {
	if a == nil {
		return errors.New("ReplicationArgs is nil: pass &registry.ReplicationArgs{DestinationRegion, RepositoryPrefixes}")
	}
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	if !awsname.IsRegion(a.DestinationRegion) {
		bad("ReplicationArgs.DestinationRegion %q is invalid: use the peer region's name, such as us-west-2", a.DestinationRegion)
	}
	switch n := len(a.RepositoryPrefixes); {
	case n == 0:
		bad("ReplicationArgs.RepositoryPrefixes is empty: list the repository name prefixes to replicate, such as inrupt/ and backend/")
	case n > MaxRepositoryFilters:
		bad("ReplicationArgs.RepositoryPrefixes has %d prefixes: ECR allows %d per rule, use shorter common prefixes", n, MaxRepositoryFilters)
	}
	seen := map[string]bool{}
	for i, p := range a.RepositoryPrefixes {
		switch {
		case len(p) < 2 || len(p) > 256 || !prefixPattern.MatchString(p):
			bad("ReplicationArgs.RepositoryPrefixes[%d] %q is invalid: use 2 to 256 lower-case letters, digits and . _ - / forming a repository name prefix, such as inrupt/", i, p)
		case seen[p]:
			bad("ReplicationArgs.RepositoryPrefixes[%d] %q is listed twice: list every prefix once", i, p)
		}
		seen[p] = true
	}
	if a.RegistryID != "" && !awsname.IsAccountID(a.RegistryID) {
		bad("ReplicationArgs.RegistryID %q is invalid: use the destination's 12-digit AWS account id, or leave it empty for this account", a.RegistryID)
	}
	return errors.Join(errs...)
}

// NewReplication creates the Replication component: one ecr.ReplicationConfiguration with one rule
// that sends the repositories matching RepositoryPrefixes to DestinationRegion.
func NewReplication(ctx *pulumi.Context, name string, args *ReplicationArgs, opts ...pulumi.ResourceOption) (*Replication, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("replication %s: %w", name, err)
	}
	comp := &Replication{}
	if err := ctx.RegisterComponentResource("ess-ha:registry:Replication", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering replication %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)

	// The invokes run with the component's provider: the region and account of this registry.
	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("replication %s: reading this stack's region: %w", name, err)
	}
	if region.Name == args.DestinationRegion {
		return nil, fmt.Errorf("replication %s: ReplicationArgs.DestinationRegion %q is this stack's own region: name the peer region", name, args.DestinationRegion)
	}
	identity, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, parent)
	if err != nil {
		return nil, fmt.Errorf("replication %s: reading this stack's account: %w", name, err)
	}
	destRegistry := args.RegistryID
	if destRegistry == "" {
		destRegistry = identity.AccountId
	}

	filters := ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArray{}
	for _, p := range args.RepositoryPrefixes {
		filters = append(filters, ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs{
			Filter:     pulumi.String(p),
			FilterType: pulumi.String("PREFIX_MATCH"),
		})
	}
	cfg, err := ecr.NewReplicationConfiguration(ctx, name+"-configuration", &ecr.ReplicationConfigurationArgs{
		ReplicationConfiguration: &ecr.ReplicationConfigurationReplicationConfigurationArgs{
			Rules: ecr.ReplicationConfigurationReplicationConfigurationRuleArray{
				ecr.ReplicationConfigurationReplicationConfigurationRuleArgs{
					Destinations: ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArray{
						ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs{
							Region:     pulumi.String(args.DestinationRegion),
							RegistryId: pulumi.String(destRegistry),
						},
					},
					RepositoryFilters: filters,
				},
			},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("replication %s: creating the replication configuration: %w", name, err)
	}

	comp.RegistryID = cfg.RegistryId
	comp.DestinationRegion = pulumi.String(args.DestinationRegion).ToStringOutput()
	comp.DestinationRegistryID = pulumi.String(destRegistry).ToStringOutput()
	comp.RepositoryPrefixes = pulumi.ToStringArray(args.RepositoryPrefixes).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"registryId":            comp.RegistryID,
		"destinationRegion":     comp.DestinationRegion,
		"destinationRegistryId": comp.DestinationRegistryID,
		"repositoryPrefixes":    comp.RepositoryPrefixes,
	}); err != nil {
		return nil, fmt.Errorf("replication %s: registering outputs: %w", name, err)
	}
	return comp, nil
}
