// Package pool provides the Pool component: one auto-scaling group of EC2 instances running containers
// pulled from the region's private registry. The stack has two: ess and backend.
package pool

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// Roles of a pool; the group's "pool" tag carries it, and the policy pack relies on that tag.
const (
	RoleEss     = "ess"
	RoleBackend = "backend"
)

// PoolTagKey is the tag every pool resource and instance carries, with the pool's Role as value.
const PoolTagKey = "pool"

// Instance settings every pool uses.
const (
	// RootVolumeGiB is the size of the encrypted gp3 root volume.
	RootVolumeGiB = 30
	// HealthCheckGracePeriod is how long (seconds) the containers of a new instance have to become
	// healthy once it is in service. Pulling the images and starting the containers happen before, in
	// the launch lifecycle hook (LaunchHookName), which the grace period does not count.
	HealthCheckGracePeriod = 300
	// InstanceWarmup is the group's default instance warmup, in seconds: how long after going in
	// service an instance's metrics start to count for scaling, and an instance refresh waits before
	// the next replacement.
	InstanceWarmup = 300
)

// Container is one container a pool runs. Its image is pulled only from the region's private ECR
// repository named Repository.
type Container struct {
	// Name is the container's name on the instance; it keys the container's log group in
	// PoolArgs.LogGroupNames. Lower-case letters, digits and hyphens, starting with a letter.
	Name string
	// Repository is the private ECR repository name, e.g. "inrupt/ess-ldp"; it keys
	// PoolArgs.RepositoryURLs and PoolArgs.RepositoryArns.
	Repository string
	// Tag is the image tag, e.g. "2.3.1" (ECR tags are immutable).
	Tag string
	// Port is the host port the container listens on, 0 for none. The ess pool admits the load
	// balancers on every container port.
	Port int
}

// PoolArgs configures a Pool.
type PoolArgs struct {
	// Role is RoleEss or RoleBackend.
	Role   string
	Region string
	VpcID  pulumi.StringInput
	// SubnetIDs are the private application subnets, one per AZ.
	SubnetIDs pulumi.StringArray
	// Zones is the number of AZs (the ess pool keeps MinPerZone instances in each).
	Zones int
	// InstanceTypes are the EC2 instance types the group may launch, in order of preference: the group
	// launches the first type that has capacity in the AZ, then the next (on-demand, "prioritized").
	// At least 1, at most MaxInstanceTypes, no duplicates; all of them must run the AMI (the same
	// architecture: m6i, m7i, c6i... for an x86_64 AMI).
	InstanceTypes []string
	// AmiID is an AMI id or a resolve:ssm: reference.
	AmiID      string
	MinPerZone int
	MaxSize    int
	// CPUTargetPercent is the average CPU utilization (percent) the target tracking scaling policy keeps
	// the group at, between its minimum and MaxSize; 0 means DefaultCPUTargetPercent.
	CPUTargetPercent float64
	Containers       []Container
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
	// Secrets are the secrets the instances read at boot, from Secrets Manager in Region, and hand to
	// the containers (see SecretEnv and SecretsFile), such as DatabaseCredentials() and
	// CacheAuthToken() for the ess pool. Their ARNs must match SecretArnPatterns.
	Secrets []SecretEnv
	// SecretKmsKeyArns are the customer-managed KMS keys that encrypt those secrets (the database's and
	// the cache's keys). The pool may kms:Decrypt with them only through Secrets Manager; without them
	// GetSecretValue on a secret encrypted with a customer-managed key is denied.
	SecretKmsKeyArns pulumi.StringArray
	// VpcCidr is the VPC's IPv4 block. With DataPorts it lets the pool reach the data tier: egress on
	// each DataPort to VpcCidr. Without it the pool's only egress is HTTPS.
	VpcCidr pulumi.StringInput
	// DataPorts are TCP ports the pool may reach inside VpcCidr, e.g. 5432 (PostgreSQL) and 6379 (Redis).
	DataPorts []int
	Tags      map[string]string
}

// Pool is a launch template, an IAM role and instance profile, a security group and an auto-scaling
// group over the application subnets of every AZ, with its launch lifecycle hook and its target
// tracking scaling policy.
type Pool struct {
	pulumi.ResourceState

	GroupName        pulumi.StringOutput `pulumi:"groupName"`
	SecurityGroupID  pulumi.IDOutput     `pulumi:"securityGroupId"`
	RoleArn          pulumi.StringOutput `pulumi:"roleArn"`
	LaunchTemplateID pulumi.IDOutput     `pulumi:"launchTemplateId"`

	name, region string
	role         *iam.Role
	keysAllowed  bool
}

// AllowSecretKeys lets the pool's instances kms:Decrypt with the given keys, through Secrets Manager
// only, by adding an inline policy to the pool's role. It is for the keys of secrets created after the
// pool: the database's and the cache's keys, whose components need the pool's security group first, so
// they cannot be passed as PoolArgs.SecretKmsKeyArns. Call it at most once per pool.
func (p *Pool) AllowSecretKeys(ctx *pulumi.Context, keyArns pulumi.StringArray) error {
	if p.role == nil {
		return errors.New("pool: AllowSecretKeys needs a Pool created by NewPool")
	}
	if p.keysAllowed {
		return fmt.Errorf("pool %s: AllowSecretKeys was already called: pass every key in one call", p.name)
	}
	if len(keyArns) == 0 {
		return fmt.Errorf("pool %s: AllowSecretKeys needs at least one key ARN", p.name)
	}
	p.keysAllowed = true
	keys := make([]any, len(keyArns))
	for i, k := range keyArns {
		keys[i] = k
	}
	policy := pulumi.All(keys...).ApplyT(func(v []any) (string, error) {
		arns := make([]string, len(v))
		for i := range v {
			arns[i] = v[i].(string)
		}
		return policyJSON([]map[string]any{secretKeysStatement(p.region, arns)})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, p.name+"-secret-keys", &iam.RolePolicyArgs{
		Role:   p.role.Name,
		Policy: policy,
	}, pulumi.Parent(p)); err != nil {
		return fmt.Errorf("pool %s: allowing the secret keys: %w", p.name, err)
	}
	return nil
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *PoolArgs) Validate() error {
	if a == nil {
		return errors.New("PoolArgs is nil: pass the pool's configuration")
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	ess := a.Role == RoleEss
	if a.Role != RoleEss && a.Role != RoleBackend {
		bad("PoolArgs.Role = %q is invalid: use %q or %q", a.Role, RoleEss, RoleBackend)
	}
	if !awsname.IsRegion(a.Region) {
		bad("PoolArgs.Region = %q is invalid: set the stack's AWS region, such as us-east-1", a.Region)
	}
	if a.VpcID == nil {
		bad("PoolArgs.VpcID is not set: pass the VPC's id")
	}
	if a.Zones < 2 {
		bad("PoolArgs.Zones = %d is invalid: the HA architecture spans at least 2 AZs", a.Zones)
	}
	if len(a.SubnetIDs) != a.Zones {
		bad("PoolArgs.SubnetIDs has %d subnets for %d zones: pass one private application subnet per AZ", len(a.SubnetIDs), a.Zones)
	}
	if len(a.InstanceTypes) == 0 {
		bad("PoolArgs.InstanceTypes is empty: list at least one EC2 instance type, such as m6i.large, in order of preference")
	}
	if len(a.InstanceTypes) > MaxInstanceTypes {
		bad("PoolArgs.InstanceTypes has %d types: a group takes at most %d; drop the least preferred", len(a.InstanceTypes), MaxInstanceTypes)
	}
	types := map[string]bool{}
	for i, t := range a.InstanceTypes {
		if !awsname.IsInstanceType(t) {
			bad("PoolArgs.InstanceTypes[%d] = %q is invalid: use an EC2 instance type such as m6i.large", i, t)
		}
		if types[t] {
			bad("PoolArgs.InstanceTypes[%d] = %q is listed twice: list each type once, in order of preference", i, t)
		}
		types[t] = true
	}
	if a.CPUTargetPercent != 0 && (a.CPUTargetPercent < 1 || a.CPUTargetPercent > 99) {
		bad("PoolArgs.CPUTargetPercent = %g is invalid: use an average CPU utilization from 1 to 99, or 0 for the default %d", a.CPUTargetPercent, DefaultCPUTargetPercent)
	}
	if !strings.HasPrefix(a.AmiID, "ami-") && !strings.HasPrefix(a.AmiID, "resolve:ssm:") {
		bad("PoolArgs.AmiID = %q is invalid: use an AMI id (ami-...) or resolve:ssm:/path", a.AmiID)
	}
	if a.MinPerZone < 0 || ess && a.MinPerZone < 1 {
		bad("PoolArgs.MinPerZone = %d is invalid: the ess pool keeps at least 1 instance in every AZ, the backend pool 0 or more", a.MinPerZone)
	}
	if minSize, desired := a.sizes(); a.MaxSize < desired || a.MaxSize < minSize {
		bad("PoolArgs.MaxSize = %d is invalid: it must be at least MinPerZone x Zones (%d) and at least 1", a.MaxSize, max(minSize, desired))
	}
	if len(a.Containers) == 0 {
		bad("PoolArgs.Containers is empty: list at least one container to run")
	}
	ports := 0
	for i, c := range a.Containers {
		if _, ok := a.RepositoryURLs[c.Repository]; !ok {
			bad("PoolArgs.Containers[%d] (%s): repository %q is not in PoolArgs.RepositoryURLs: add it to the registry", i, c.Name, c.Repository)
		}
		if _, ok := a.RepositoryArns[c.Repository]; !ok {
			bad("PoolArgs.Containers[%d] (%s): repository %q is not in PoolArgs.RepositoryArns: add it to the registry", i, c.Name, c.Repository)
		}
		if _, ok := a.LogGroupNames[c.Name]; !ok {
			bad("PoolArgs.Containers[%d] (%s): no log group in PoolArgs.LogGroupNames: create one per container", i, c.Name)
		}
		if _, ok := a.LogGroupArns[c.Name]; !ok {
			bad("PoolArgs.Containers[%d] (%s): no log group in PoolArgs.LogGroupArns: create one per container", i, c.Name)
		}
		if c.Port > 0 {
			ports++
		}
	}
	// The image references, names and tags are checked by UserData with placeholder URLs.
	placeholders, groups := map[string]string{}, map[string]string{}
	for _, c := range a.Containers {
		placeholders[c.Repository] = "123456789012.dkr.ecr." + a.Region + ".amazonaws.com/" + c.Repository
		groups[c.Name] = "/placeholder"
	}
	if awsname.IsRegion(a.Region) && len(a.Containers) > 0 {
		if _, err := UserData(a.Region, a.Containers, placeholders, groups, "/placeholder"); err != nil {
			bad("PoolArgs.Containers: %w", err)
		}
	}
	if err := validateSecrets("PoolArgs.Secrets", a.Secrets); err != nil {
		errs = append(errs, err)
	}
	if len(a.Secrets) > 0 && len(a.SecretArnPatterns) == 0 {
		bad("PoolArgs.Secrets is set without PoolArgs.SecretArnPatterns: the instances may not read the secrets; pass their ARN patterns")
	}
	for _, k := range sortedKeys(a.Tags) {
		if !instanceTagKeyPattern.MatchString(k) || k == "." || k == ".." || k == "_index" || strings.HasPrefix(k, "aws:") {
			bad("PoolArgs.Tags: key %q cannot tag the instances: the instances read their tags from the instance metadata, which allows letters, digits and + - = . , _ : @ only (no spaces, no /, not aws:); rename the tag", k)
		}
	}
	if _, err := NormalizePath("PoolArgs.ParameterPath", a.ParameterPath); err != nil {
		errs = append(errs, err)
	}
	if ess {
		if a.IngressSecurityGroupID == nil {
			bad("PoolArgs.IngressSecurityGroupID is not set: the ess pool is reached from the load balancers' security group only; pass it")
		}
		if len(a.TargetGroupArns) == 0 {
			bad("PoolArgs.TargetGroupArns is empty: the ess pool registers with the load balancers' target groups; pass them")
		}
		if ports == 0 {
			bad("PoolArgs.Containers: no container of the ess pool has a port for the load balancers to reach")
		}
	} else if a.Role == RoleBackend {
		if a.IngressSecurityGroupID != nil {
			bad("PoolArgs.IngressSecurityGroupID is set for the backend pool: only the ess pool is reachable from the load balancers; leave it nil")
		}
		if len(a.TargetGroupArns) != 0 {
			bad("PoolArgs.TargetGroupArns is set for the backend pool: only the ess pool is behind the load balancers; leave it empty")
		}
	}
	for i, p := range a.SecretArnPatterns {
		if p == "*" || !strings.HasPrefix(p, "arn:") || !strings.Contains(p, ":secretsmanager:") || !strings.Contains(p, ":secret:") {
			bad("PoolArgs.SecretArnPatterns[%d] = %q is invalid: use a Secrets Manager secret ARN such as arn:aws:secretsmanager:us-east-1:*:secret:rds!db-*", i, p)
		}
	}
	if len(a.SecretKmsKeyArns) > 0 && len(a.SecretArnPatterns) == 0 {
		bad("PoolArgs.SecretKmsKeyArns is set without PoolArgs.SecretArnPatterns: the keys are only used to read those secrets")
	}
	for i, p := range a.DataPorts {
		if p < 1 || p > 65535 {
			bad("PoolArgs.DataPorts[%d] = %d is invalid: use a TCP port from 1 to 65535", i, p)
		}
	}
	if len(a.DataPorts) > 0 && a.VpcCidr == nil {
		bad("PoolArgs.DataPorts is set without PoolArgs.VpcCidr: pass the VPC's CIDR block the data tier lives in")
	}
	return errors.Join(errs...)
}

// instanceTagKeyPattern is what a tag key may be when the instance metadata exposes the instance's tags:
// "Non-compliance will result in failed launches"
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-tags-in-IMDS.html).
var instanceTagKeyPattern = regexp.MustCompile(`^[A-Za-z0-9+=.,_:@-]{1,128}$`)

// cpuTarget returns the scaling policy's target.
func (a *PoolArgs) cpuTarget() float64 {
	if a.CPUTargetPercent == 0 {
		return DefaultCPUTargetPercent
	}
	return a.CPUTargetPercent
}

// sizes returns the group's minimum and desired capacity.
func (a *PoolArgs) sizes() (minSize, desired int) {
	minSize = a.MinPerZone * a.Zones
	desired = minSize
	if desired == 0 {
		desired = 1
	}
	return minSize, desired
}

// NewPool creates the Pool component: its IAM role, its security group, its launch template, and its
// auto-scaling group with the launch lifecycle hook and the scaling policy.
func NewPool(ctx *pulumi.Context, name string, args *PoolArgs, opts ...pulumi.ResourceOption) (*Pool, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("pool %s: %w", name, err)
	}
	comp := &Pool{name: name, region: args.Region}
	if err := ctx.RegisterComponentResource("ess-ha:pool:Pool", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering pool %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tagMap := poolTags(name, args)
	tags := pulumi.ToStringMap(tagMap)

	role, profile, err := newInstanceRole(ctx, name, args, tags, parent)
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w", name, err)
	}
	sg, err := newSecurityGroup(ctx, name, args, tags, parent)
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w", name, err)
	}
	lt, err := newLaunchTemplate(ctx, name, args, profile, sg, tags, parent)
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w", name, err)
	}
	group, err := newGroup(ctx, name, args, lt, role, tagMap, parent)
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w", name, err)
	}

	comp.GroupName, comp.SecurityGroupID, comp.RoleArn, comp.LaunchTemplateID = group.Name, sg.ID(), role.Arn, lt.ID()
	comp.role = role
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"groupName":        comp.GroupName,
		"securityGroupId":  comp.SecurityGroupID,
		"roleArn":          comp.RoleArn,
		"launchTemplateId": comp.LaunchTemplateID,
	}); err != nil {
		return nil, fmt.Errorf("pool %s: registering outputs: %w", name, err)
	}
	return comp, nil
}

// poolTags are the tags of every pool resource and instance: the common tags, Name, and PoolTagKey
// with the pool's role.
func poolTags(name string, args *PoolArgs) map[string]string {
	tagMap := map[string]string{}
	for k, v := range args.Tags {
		tagMap[k] = v
	}
	tagMap["Name"] = name
	tagMap[PoolTagKey] = args.Role
	return tagMap
}

// newInstanceRole creates the instances' role and instance profile. The instances pull their images,
// write their logs, read their settings and secrets (InstancePolicy), and are reachable through SSM
// Session Manager, nothing else.
func newInstanceRole(ctx *pulumi.Context, name string, args *PoolArgs, tags pulumi.StringMap, parent pulumi.ResourceOption) (*iam.Role, *iam.InstanceProfile, error) {
	partition := partitionOf(args.Region)
	path, _ := NormalizePath("PoolArgs.ParameterPath", args.ParameterPath) // validated by NewPool
	assume, err := policyJSON([]map[string]any{{
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "ec2.amazonaws.com"},
		"Action":    "sts:AssumeRole",
	}})
	if err != nil {
		return nil, nil, err
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description:      pulumi.Sprintf("ess-ha %s pool instances", args.Role),
		AssumeRolePolicy: pulumi.String(assume),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the IAM role: %w", err)
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-ssm-core", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.Sprintf("arn:%s:iam::aws:policy/AmazonSSMManagedInstanceCore", partition),
	}, parent); err != nil {
		return nil, nil, fmt.Errorf("attaching AmazonSSMManagedInstanceCore: %w", err)
	}
	repos := poolRepositories(args.Containers)
	var inputs []any
	for _, r := range repos {
		inputs = append(inputs, args.RepositoryArns[r])
	}
	for _, c := range args.Containers {
		inputs = append(inputs, args.LogGroupArns[c.Name])
	}
	for _, k := range args.SecretKmsKeyArns {
		inputs = append(inputs, k)
	}
	policy := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		strs := make([]string, len(v))
		for i := range v {
			strs[i] = v[i].(string)
		}
		nr, nc := len(repos), len(args.Containers)
		return InstancePolicy(partition, args.Region, strs[:nr], strs[nr:nr+nc], path, args.SecretArnPatterns, strs[nr+nc:])
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, parent); err != nil {
		return nil, nil, fmt.Errorf("creating the IAM policy: %w", err)
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-profile", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the instance profile: %w", err)
	}
	return role, profile, nil
}

// newSecurityGroup creates the instances' security group: the ess pool is reachable from the load
// balancers' group on its container ports only, the backend pool not at all; egress is HTTPS, and each
// of DataPorts inside the VPC.
func newSecurityGroup(ctx *pulumi.Context, name string, args *PoolArgs, tags pulumi.StringMap, parent pulumi.ResourceOption) (*ec2.SecurityGroup, error) {
	sg, err := ec2.NewSecurityGroup(ctx, name+"-sg", &ec2.SecurityGroupArgs{
		Description: pulumi.Sprintf("ess-ha %s pool instances", args.Role),
		VpcId:       args.VpcID,
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the security group: %w", err)
	}
	if args.Role == RoleEss {
		for _, port := range containerPorts(args.Containers) {
			if _, err := vpc.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("%s-ingress-%d", name, port), &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId:           sg.ID().ToStringOutput(),
				Description:               pulumi.Sprintf("port %d from the load balancers", port),
				IpProtocol:                pulumi.String("tcp"),
				FromPort:                  pulumi.Int(port),
				ToPort:                    pulumi.Int(port),
				ReferencedSecurityGroupId: args.IngressSecurityGroupID,
				Tags:                      tags,
			}, parent); err != nil {
				return nil, fmt.Errorf("creating the ingress rule for port %d: %w", port, err)
			}
		}
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-egress-https", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID().ToStringOutput(),
		Description:     pulumi.String("HTTPS to AWS APIs and the registry, through the VPC endpoints or the NAT gateways"),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Tags:            tags,
	}, parent); err != nil {
		return nil, fmt.Errorf("creating the HTTPS egress rule: %w", err)
	}
	var cidr pulumi.StringOutput
	if len(args.DataPorts) > 0 {
		cidr = args.VpcCidr.ToStringOutput().ApplyT(func(c string) (string, error) {
			if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() {
				return "", fmt.Errorf("pool %s: PoolArgs.VpcCidr = %q is not an IPv4 CIDR block", name, c)
			}
			return c, nil
		}).(pulumi.StringOutput)
	}
	for _, port := range uniqueSorted(args.DataPorts) {
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, fmt.Sprintf("%s-egress-%d", name, port), &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: sg.ID().ToStringOutput(),
			Description:     pulumi.Sprintf("port %d to the data tier in the VPC", port),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(port),
			ToPort:          pulumi.Int(port),
			CidrIpv4:        cidr,
			Tags:            tags,
		}, parent); err != nil {
			return nil, fmt.Errorf("creating the egress rule for port %d: %w", port, err)
		}
	}
	return sg, nil
}

// newLaunchTemplate creates the instances' launch template: IMDSv2 with instance tags, an encrypted gp3
// root volume, no public IP, no instance type (the group's mixed instances policy sets it), and the
// user data that starts the containers.
func newLaunchTemplate(ctx *pulumi.Context, name string, args *PoolArgs, profile *iam.InstanceProfile, sg *ec2.SecurityGroup, tags pulumi.StringMap, parent pulumi.ResourceOption) (*ec2.LaunchTemplate, error) {
	lt, err := ec2.NewLaunchTemplate(ctx, name+"-lt", &ec2.LaunchTemplateArgs{
		Description: pulumi.Sprintf("ess-ha %s pool", args.Role),
		ImageId:     pulumi.String(args.AmiID),
		// No instance type: the group's mixed instances policy sets it (PoolArgs.InstanceTypes).
		UpdateDefaultVersion: pulumi.Bool(true),
		IamInstanceProfile:   &ec2.LaunchTemplateIamInstanceProfileArgs{Arn: profile.Arn},
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(2),
			// The user data reads the group's name from the instance's aws:autoscaling:groupName tag.
			InstanceMetadataTags: pulumi.String("enabled"),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{
			&ec2.LaunchTemplateBlockDeviceMappingArgs{
				DeviceName: pulumi.String("/dev/xvda"),
				Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
					VolumeType:          pulumi.String("gp3"),
					VolumeSize:          pulumi.Int(RootVolumeGiB),
					Encrypted:           pulumi.String("true"),
					DeleteOnTermination: pulumi.String("true"),
				},
			},
		},
		NetworkInterfaces: ec2.LaunchTemplateNetworkInterfaceArray{
			&ec2.LaunchTemplateNetworkInterfaceArgs{
				DeviceIndex:              pulumi.Int(0),
				AssociatePublicIpAddress: pulumi.String("false"),
				DeleteOnTermination:      pulumi.String("true"),
				SecurityGroups:           pulumi.StringArray{sg.ID().ToStringOutput()},
			},
		},
		Monitoring: &ec2.LaunchTemplateMonitoringArgs{Enabled: pulumi.Bool(true)},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: tags},
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: tags},
		},
		UserData: userData(name, args),
		Tags:     tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the launch template: %w", err)
	}
	return lt, nil
}

// userData is the launch template's user data, base64-encoded: UserData's script once the
// repositories' URLs and the log groups' names are known.
func userData(name string, args *PoolArgs) pulumi.StringOutput {
	repos := poolRepositories(args.Containers)
	urlInputs := make([]any, 0, len(repos)+len(args.Containers))
	for _, r := range repos {
		urlInputs = append(urlInputs, args.RepositoryURLs[r])
	}
	for _, c := range args.Containers {
		urlInputs = append(urlInputs, args.LogGroupNames[c.Name])
	}
	return pulumi.All(urlInputs...).ApplyT(func(v []any) (string, error) {
		urls, groups := map[string]string{}, map[string]string{}
		for i, r := range repos {
			urls[r] = v[i].(string)
		}
		for i, c := range args.Containers {
			groups[c.Name] = v[len(repos)+i].(string)
		}
		script, err := UserData(args.Region, args.Containers, urls, groups, args.ParameterPath, args.Secrets...)
		if err != nil {
			return "", fmt.Errorf("pool %s: %w", name, err)
		}
		return base64.StdEncoding.EncodeToString([]byte(script)), nil
	}).(pulumi.StringOutput)
}

// newGroup creates the auto-scaling group over every AZ's application subnet, tagged (and its
// instances at launch) with tagMap, with its launch lifecycle hook and its scaling policy.
func newGroup(ctx *pulumi.Context, name string, args *PoolArgs, lt *ec2.LaunchTemplate, role *iam.Role, tagMap map[string]string, parent pulumi.ResourceOption) (*autoscaling.Group, error) {
	groupTags := autoscaling.GroupTagArray{}
	for _, k := range sortedKeys(tagMap) {
		groupTags = append(groupTags, &autoscaling.GroupTagArgs{
			Key: pulumi.String(k), Value: pulumi.String(tagMap[k]), PropagateAtLaunch: pulumi.Bool(true),
		})
	}
	group, err := autoscaling.NewGroup(ctx, name+"-asg", groupArgs(args, lt, groupTags), parent,
		pulumi.IgnoreChanges(groupIgnoreChanges()))
	if err != nil {
		return nil, fmt.Errorf("creating the auto-scaling group: %w", err)
	}
	if err := newLifecycle(ctx, name, group, role, parent); err != nil {
		return nil, err
	}
	if err := newScalingPolicy(ctx, name, group, args.cpuTarget(), parent); err != nil {
		return nil, err
	}
	return group, nil
}

// InstancePolicy returns the least-privilege inline policy of a pool's instances: an ECR login token
// (which AWS grants on "*" only), pulling from exactly the given repositories, writing to exactly the
// given log groups, reading the SSM parameters under parameterPath, reading the given secrets and
// decrypting them, through Secrets Manager only, with the given keys.
func InstancePolicy(partition, region string, repositoryArns, logGroupArns []string, parameterPath string, secretArnPatterns, kmsKeyArns []string) (string, error) {
	if len(repositoryArns) == 0 || len(logGroupArns) == 0 {
		return "", errors.New("the instance policy needs at least one repository and one log group")
	}
	path, err := NormalizePath("parameter path", parameterPath)
	if err != nil {
		return "", err
	}
	var logs []string
	for _, g := range uniqueStrings(logGroupArns) {
		logs = append(logs, g, g+":*")
	}
	statements := []map[string]any{
		{"Sid": "EcrLogin", "Effect": "Allow", "Action": []string{"ecr:GetAuthorizationToken"}, "Resource": "*"},
		{
			"Sid": "EcrPull", "Effect": "Allow",
			"Action":   []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
			"Resource": uniqueStrings(repositoryArns),
		},
		{"Sid": "Logs", "Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": logs},
		{
			"Sid": "Settings", "Effect": "Allow",
			"Action": []string{"ssm:GetParameter", "ssm:GetParametersByPath"},
			"Resource": []string{
				fmt.Sprintf("arn:%s:ssm:%s:*:parameter%s", partition, region, path),
				fmt.Sprintf("arn:%s:ssm:%s:*:parameter%s/*", partition, region, path),
			},
		},
	}
	if len(secretArnPatterns) > 0 {
		statements = append(statements, map[string]any{
			"Sid": "Secrets", "Effect": "Allow", "Action": []string{"secretsmanager:GetSecretValue"},
			"Resource": uniqueStrings(secretArnPatterns),
		})
		if len(kmsKeyArns) > 0 {
			statements = append(statements, secretKeysStatement(region, kmsKeyArns))
		}
	}
	return policyJSON(statements)
}

// secretKeysStatement allows kms:Decrypt with the keys, through Secrets Manager in the region only.
func secretKeysStatement(region string, keyArns []string) map[string]any {
	return map[string]any{
		"Sid": "SecretKeys", "Effect": "Allow", "Action": []string{"kms:Decrypt"},
		"Resource":  uniqueStrings(keyArns),
		"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": "secretsmanager." + region + ".amazonaws.com"}},
	}
}

func policyJSON(statements []map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		return "", fmt.Errorf("encoding a policy document: %w", err)
	}
	return string(b), nil
}

// partitionOf returns the AWS partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// poolRepositories returns the distinct repositories of the containers, sorted.
func poolRepositories(containers []Container) []string {
	var repos []string
	for _, c := range containers {
		repos = append(repos, c.Repository)
	}
	return uniqueStrings(repos)
}

// containerPorts returns the distinct non-zero container ports, sorted.
func containerPorts(containers []Container) []int {
	var ports []int
	for _, c := range containers {
		if c.Port > 0 {
			ports = append(ports, c.Port)
		}
	}
	return uniqueSorted(ports)
}

func uniqueSorted(in []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Ints(out)
	return out
}

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
