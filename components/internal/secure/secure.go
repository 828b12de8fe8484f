// Package secure holds what several components create the same way to protect a data store: a
// customer-managed KMS key with rotation (with an alias, or with a key policy of its own), and a security group that admits one port from
// one client security group and nothing else.
package secure

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AliasName is the KMS alias of a component's key: alias/<project>-<stack>-<name>, with the characters
// an alias does not allow replaced by "-" and cut to the 256 characters AWS allows.
func AliasName(project, stack, name string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '/' {
			return r
		}
		return '-'
	}, project+"-"+stack+"-"+name)
	if len(clean) > 250 {
		clean = clean[:250]
	}
	return "alias/" + clean
}

// KeyDeletionWindowDays is how long a deleted key can still be restored.
const KeyDeletionWindowDays = 30

// NewKey creates <name>-key, a customer-managed KMS key with automatic rotation and a 30-day deletion
// window and KMS's default key policy (the account's IAM policies govern its use), and
// <name>-key-alias pointing at it.
func NewKey(ctx *pulumi.Context, name string, description pulumi.StringInput, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	key, err := newKey(ctx, name, description, nil, tags, opts...)
	if err != nil {
		return nil, err
	}
	if _, err := kms.NewAlias(ctx, name+"-key-alias", &kms.AliasArgs{
		Name:        pulumi.String(AliasName(ctx.Project(), ctx.Stack(), name)),
		TargetKeyId: key.KeyId,
	}, opts...); err != nil {
		return nil, fmt.Errorf("creating the KMS key alias: %w", err)
	}
	return key, nil
}

// NewPolicyKey creates <name>-key, a customer-managed KMS key with automatic rotation and a 30-day
// deletion window, like NewKey, but with its own key policy: for a key an AWS service must be allowed to
// use in the key policy itself (CloudWatch Logs encrypting log groups, CloudWatch publishing alarms to an
// encrypted SNS topic). It has no alias.
func NewPolicyKey(ctx *pulumi.Context, name string, description, policy pulumi.StringInput, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	if policy == nil {
		return nil, fmt.Errorf("creating the KMS key %s-key: no key policy given: pass one, or use NewKey for the default policy", name)
	}
	return newKey(ctx, name, description, policy, tags, opts...)
}

// newKey creates <name>-key; a nil policy leaves KMS's default key policy.
func newKey(ctx *pulumi.Context, name string, description, policy pulumi.StringInput, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*kms.Key, error) {
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          description,
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(KeyDeletionWindowDays),
		Policy:               policy,
		Tags:                 tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the KMS key: %w", err)
	}
	return key, nil
}

// ClientOnlyGroupArgs describes a security group that admits one TCP port from one client group.
type ClientOnlyGroupArgs struct {
	// Description says what the group protects, e.g. "ess-ha database: PostgreSQL from the ess pool only".
	Description string
	VpcID       pulumi.StringInput
	// Port is the TCP port admitted; Service names it in the rule's resource name and description.
	Port    int
	Service string
	// Client is the only security group admitted.
	Client pulumi.StringInput
	Tags   pulumi.StringMap
}

// NewClientOnlyGroup creates <name>-sg and <name>-ingress-<service>, the group's single ingress rule.
func NewClientOnlyGroup(ctx *pulumi.Context, name string, args ClientOnlyGroupArgs, opts ...pulumi.ResourceOption) (*ec2.SecurityGroup, error) {
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.String(args.Description),
		VpcId:       args.VpcID,
		Tags:        args.Tags,
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the security group: %w", err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-ingress-"+args.Service, &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           sg.ID().ToStringOutput(),
		Description:               pulumi.Sprintf("%s from the client security group only", args.Service),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(args.Port),
		ToPort:                    pulumi.Int(args.Port),
		ReferencedSecurityGroupId: args.Client,
		Tags:                      args.Tags,
	}, opts...); err != nil {
		return nil, fmt.Errorf("creating the ingress rule: %w", err)
	}
	return sg, nil
}
