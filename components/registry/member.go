package registry

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Member mode creates no ecr.Repository (nor anything that needs one to exist, such as an
// ecr.LifecyclePolicy): ECR creates each repository the first time replication copies an image into it,
// from the repository creation template whose prefix covers it, so no push can ever collide with a
// repository this stack would create.
//
// What ECR does, and what this relies on:
//   - A template applies to the repositories ECR creates on the registry's behalf for the features in
//     appliedFor (here REPLICATION), and only to those created after the template exists; it does not
//     change existing repositories.
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html
//   - Without a template, a repository created by replication gets none of the source's settings:
//     tag immutability, scanning and KMS encryption are off.
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
//   - A template prefix always has an implied trailing "/" ("inrupt" is "inrupt/"); ROOT covers every
//     repository no other template covers.
//     https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html
//   - KMS encryption or resource tags in a template need a custom role that ECR assumes (trust
//     ecr.amazonaws.com, sts:AssumeRole) with ecr:CreateRepository, ecr:ReplicateImage and
//     ecr:TagResource, and kms:CreateGrant, kms:RetireGrant and kms:DescribeKey. The documented policy
//     grants them on "*"; here they are scoped to the template prefixes' repositories and to the
//     registry's key (ECR's own registry policy examples scope CreateRepository and ReplicateImage to
//     repository ARNs).
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create-iam.html
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-custom.html
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions-examples.html
//   - A template has no scanning setting: scanning of the repositories it makes comes from the
//     registry's scanning configuration. With basic scanning, repositories that match a scan-on-push
//     filter are scanned on push, the others only manually.
//     https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-filters.html

// member creates the role, one repository creation template per prefix, the registry scanning
// configuration, and computes the URLs and ARNs the repositories will have.
func (comp *Registry) member(ctx *pulumi.Context, name string, args *RegistryArgs, repos []string, policy string, keyArn pulumi.StringOutput, tags pulumi.StringMap) error {
	parent := pulumi.Parent(comp)

	// The computed URLs must name this stack's registry: check the arguments against the provider.
	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{}, parent)
	if err != nil {
		return fmt.Errorf("reading this stack's region: %w", err)
	}
	if region.Name != args.Region {
		return fmt.Errorf("RegistryArgs.Region %q is not the region this stack deploys to (%s): pass %s", args.Region, region.Name, region.Name)
	}
	identity, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{}, parent)
	if err != nil {
		return fmt.Errorf("reading this stack's account: %w", err)
	}
	if identity.AccountId != args.AccountID {
		return fmt.Errorf("RegistryArgs.AccountID %q is not the account this stack deploys to (%s): pass the deploying account's ID", args.AccountID, identity.AccountId)
	}
	partition, err := aws.GetPartition(ctx, &aws.GetPartitionArgs{}, parent)
	if err != nil {
		return fmt.Errorf("reading this stack's partition: %w", err)
	}
	at := registryLocation{partition: partition.Partition, dnsSuffix: partition.DnsSuffix, region: args.Region, account: args.AccountID}

	prefixes := templatePrefixes(args.RepositoryPrefixes)
	role, rolePolicy, err := templateRole(ctx, name, at, prefixes, keyArn, tags, parent)
	if err != nil {
		return err
	}
	for _, p := range prefixes {
		if _, err := ecr.NewRepositoryCreationTemplate(ctx, name+"-template-"+p, &ecr.RepositoryCreationTemplateArgs{
			Prefix:             pulumi.String(p),
			Description:        pulumi.String(fmt.Sprintf("ess-ha %s: repositories replication creates under %s", name, templateScope(p))),
			AppliedFors:        pulumi.StringArray{pulumi.String("REPLICATION")},
			ImageTagMutability: pulumi.String("IMMUTABLE"),
			EncryptionConfigurations: ecr.RepositoryCreationTemplateEncryptionConfigurationArray{
				&ecr.RepositoryCreationTemplateEncryptionConfigurationArgs{
					EncryptionType: pulumi.String("KMS"),
					KmsKey:         keyArn,
				},
			},
			LifecyclePolicy: pulumi.String(policy),
			ResourceTags:    tags,
			CustomRoleArn:   role.Arn,
		}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy})); err != nil {
			return fmt.Errorf("creating the repository creation template %s: %w", p, err)
		}
	}

	// A registry (account and region) has one scanning configuration: this stack owns it, as the
	// Replication component owns the replication configuration, and it covers every repository of the
	// registry (filter "*"), ours and any other. Scan on push is what the Owner's repositories do with
	// their own scanOnPush setting; the Owner's region needs no registry rule, and this region has no
	// repository-level setting that could disagree with this one.
	if _, err := ecr.NewRegistryScanningConfiguration(ctx, name+"-scanning", &ecr.RegistryScanningConfigurationArgs{
		ScanType: pulumi.String("BASIC"),
		Rules: ecr.RegistryScanningConfigurationRuleArray{
			&ecr.RegistryScanningConfigurationRuleArgs{
				ScanFrequency: pulumi.String("SCAN_ON_PUSH"),
				RepositoryFilters: ecr.RegistryScanningConfigurationRuleRepositoryFilterArray{
					&ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs{
						Filter:     pulumi.String("*"),
						FilterType: pulumi.String("WILDCARD"),
					},
				},
			},
		},
	}, parent); err != nil {
		return fmt.Errorf("creating the registry scanning configuration: %w", err)
	}

	for _, r := range repos {
		comp.URLs[r] = pulumi.String(at.url(r)).ToStringOutput()
		comp.Arns[r] = pulumi.String(at.arn(r)).ToStringOutput()
	}
	return nil
}

// registryLocation is a private registry: its account, region and partition.
type registryLocation struct {
	partition, dnsSuffix, region, account string
}

// url is the URL of a repository of the registry: <account>.dkr.ecr.<region>.<dnsSuffix>/<name>, the
// registry's host (amazonaws.com.cn in the China partition) and the repository's name.
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html
func (l registryLocation) url(repo string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.%s/%s", l.account, l.region, l.dnsSuffix, repo)
}

// arn is the ARN of a repository of the registry: arn:<partition>:ecr:<region>:<account>:repository/<name>.
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Repository.html
func (l registryLocation) arn(repo string) string {
	return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", l.partition, l.region, l.account, repo)
}

// templatePrefixes returns the distinct template prefixes of RepositoryPrefixes, sorted.
func templatePrefixes(prefixes []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range prefixes {
		if t := templatePrefix(p); !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// templateScope says which repositories a template prefix covers.
func templateScope(prefix string) string {
	if prefix == RootPrefix {
		return "any namespace no other template covers"
	}
	return prefix + "/"
}

// templateRole creates <name>-template-role, which ECR assumes to create the repositories of the
// templates, and its inline policy <name>-template-policy.
func templateRole(ctx *pulumi.Context, name string, at registryLocation, prefixes []string, keyArn pulumi.StringOutput, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*iam.Role, *iam.RolePolicy, error) {
	trust, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecr.amazonaws.com"},
			"Action":    "sts:AssumeRole",
		}},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the template role's trust policy: %w", err)
	}
	role, err := iam.NewRole(ctx, name+"-template-role", &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("ess-ha %s: ECR assumes it to create the replicated repositories from the creation templates", name)),
		AssumeRolePolicy: pulumi.String(string(trust)),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the template role: %w", err)
	}
	var repositories []string
	for _, p := range prefixes {
		if p == RootPrefix {
			repositories = append(repositories, at.arn("*"))
		} else {
			repositories = append(repositories, at.arn(p+"/*"))
		}
	}
	policy := keyArn.ApplyT(func(key string) (string, error) {
		return templateRolePolicy(repositories, key)
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-template-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the template role's policy: %w", err)
	}
	return role, rolePolicy, nil
}

// templateRolePolicy returns the policy of the role ECR assumes to create repositories from creation
// templates: create, replicate into and tag the given repositories (ARN patterns), and use the key
// through grants.
func templateRolePolicy(repositoryArns []string, keyArn string) (string, error) {
	doc, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":      "CreateReplicatedRepositories",
				"Effect":   "Allow",
				"Action":   []string{"ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource"},
				"Resource": repositoryArns,
			},
			map[string]any{
				"Sid":      "EncryptWithTheRegistryKey",
				"Effect":   "Allow",
				"Action":   []string{"kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"},
				"Resource": keyArn,
			},
		},
	})
	if err != nil {
		return "", fmt.Errorf("encoding the template role's policy: %w", err)
	}
	return string(doc), nil
}
