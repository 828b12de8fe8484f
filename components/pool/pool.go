// Package pool provides the Pool component: one auto-scaling group of EC2 instances running containers
// pulled from the region's private registry. The stack has two: ess and backend.
package pool

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/config"
)

// Roles of a pool; the group's "pool" tag carries it, and the policy pack relies on that tag.
const (
	RoleEss     = "ess"
	RoleBackend = "backend"
)

// PoolArgs configures a Pool.
type PoolArgs struct {
	// Role is RoleEss or RoleBackend.
	Role   string
	Region string
	VpcID  pulumi.StringInput
	// SubnetIDs are the private application subnets, one per AZ.
	SubnetIDs pulumi.StringArray
	// Zones is the number of AZs (the ess pool keeps MinPerZone instances in each).
	Zones        int
	InstanceType string
	// AmiID is an AMI id or a resolve:ssm: reference.
	AmiID      string
	MinPerZone int
	MaxSize    int
	Containers []config.Container
	// RepositoryURLs and RepositoryArns are the private ECR repositories, keyed by repository name.
	RepositoryURLs map[string]pulumi.StringOutput
	RepositoryArns map[string]pulumi.StringOutput
	// LogGroupNames and LogGroupArns are the containers' log groups, keyed by container name.
	LogGroupNames map[string]pulumi.StringOutput
	LogGroupArns  map[string]pulumi.StringOutput
	// IngressSecurityGroupID is the load balancers' group, the only source allowed to reach the ess
	// pool's container ports; nil for the backend pool.
	IngressSecurityGroupID pulumi.StringInput
	// TargetGroupArns are the ess target groups the group registers with (ess only), in Containers order
	// of the routed containers.
	TargetGroupArns pulumi.StringArray
	// ParameterPath is the SSM path the containers read their runtime settings from (database and cache
	// endpoints, secret ARNs), e.g. "/ess-ha/prod-us-east-1/".
	ParameterPath string
	// SecretArnPatterns are the Secrets Manager ARNs (wildcards allowed) the pool may read.
	SecretArnPatterns []string
	Tags              map[string]string
}

// Pool is a launch template, an IAM role and instance profile, a security group and an auto-scaling
// group over the application subnets of every AZ.
type Pool struct {
	pulumi.ResourceState

	GroupName        pulumi.StringOutput `pulumi:"groupName"`
	SecurityGroupID  pulumi.IDOutput     `pulumi:"securityGroupId"`
	RoleArn          pulumi.StringOutput `pulumi:"roleArn"`
	LaunchTemplateID pulumi.IDOutput     `pulumi:"launchTemplateId"`
}

// NewPool creates the Pool component.
func NewPool(ctx *pulumi.Context, name string, args *PoolArgs, opts ...pulumi.ResourceOption) (*Pool, error) {
	panic("TODO")
}
