// Package cache provides the Cache component: a Multi-AZ ElastiCache for Redis replication group.
package cache

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/publish"
	"github.com/ess-ha/ess-ha/components/internal/secure"
	"github.com/ess-ha/ess-ha/internal/awsname"
)

// Settings every cache uses.
const (
	// Port is Redis's port, the only one the security group opens.
	Port = 6379
	// AuthTokenLength is the length of the generated auth token (Redis allows 16 to 128).
	AuthTokenLength = 64
	// SnapshotRetentionDays is how many daily snapshots are kept.
	SnapshotRetentionDays = 1
)

// The SSM parameters the cache publishes, relative to CacheArgs.ParameterPath.
const (
	ParameterEndpoint           = "cache/endpoint"
	ParameterPort               = "cache/port"
	ParameterAuthTokenSecretArn = "cache/auth-token-secret-arn"
)

var (
	versionPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)
)

// Settings are the replication group's own settings.
type Settings struct {
	// NodeType is the ElastiCache node type, e.g. "cache.r6g.large".
	NodeType string
	// Replicas is the number of replicas besides the primary, 1 to 5, each in another AZ.
	Replicas int
	// EngineVersion is the Redis engine version, e.g. "7.1".
	EngineVersion string
}

// CacheArgs configures a Cache.
type CacheArgs struct {
	VpcID pulumi.StringInput
	// DataSubnetIDs are the data subnets, one per zone, in Zones order.
	DataSubnetIDs pulumi.StringArray
	Zones         []string
	// ClientSecurityGroupID is the ess pool's group, the only source allowed on 6379.
	ClientSecurityGroupID pulumi.StringInput
	Settings              Settings
	// ParameterPath is the SSM path where the endpoint and the token secret's ARN are published.
	ParameterPath string
	Tags          map[string]string
}

// Cache is a Redis replication group with its primary and replicas in different AZs.
type Cache struct {
	pulumi.ResourceState

	PrimaryEndpoint    pulumi.StringOutput `pulumi:"primaryEndpoint"`
	ReaderEndpoint     pulumi.StringOutput `pulumi:"readerEndpoint"`
	ReplicationGroupID pulumi.StringOutput `pulumi:"replicationGroupId"`
	// AuthTokenSecretArn is the ARN of the Secrets Manager secret holding the auth token.
	AuthTokenSecretArn pulumi.StringOutput `pulumi:"authTokenSecretArn"`
	SecurityGroupID    pulumi.IDOutput     `pulumi:"securityGroupId"`
	// KmsKeyArn is the customer-managed key that encrypts the cache at rest and the auth token secret;
	// readers of the secret need kms:Decrypt on it.
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// Clusters is the number of member clusters: the primary and its replicas.
	Clusters int
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *CacheArgs) Validate() error {
	if a == nil {
		return errors.New("CacheArgs is nil: pass the cache's configuration")
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if a.VpcID == nil {
		bad("CacheArgs.VpcID is not set: pass the VPC's id")
	}
	if len(a.Zones) < 2 {
		bad("CacheArgs.Zones has %d zones: the primary and its replicas need at least 2 AZs", len(a.Zones))
	}
	seen := map[string]bool{}
	for i, z := range a.Zones {
		if z == "" || seen[z] {
			bad("CacheArgs.Zones[%d] = %q is invalid: list distinct AZ names such as us-east-1a", i, z)
		}
		seen[z] = true
	}
	if len(a.DataSubnetIDs) != len(a.Zones) {
		bad("CacheArgs.DataSubnetIDs has %d subnets for %d zones: pass one data subnet per AZ, in Zones order", len(a.DataSubnetIDs), len(a.Zones))
	}
	if a.ClientSecurityGroupID == nil {
		bad("CacheArgs.ClientSecurityGroupID is not set: pass the ess pool's security group, the only client allowed on %d", Port)
	}
	s := a.Settings
	if !strings.HasPrefix(s.NodeType, "cache.") {
		bad("CacheArgs.Settings.NodeType = %q is invalid: use an ElastiCache node type such as cache.r6g.large", s.NodeType)
	}
	if s.Replicas < 1 || s.Replicas > 5 {
		bad("CacheArgs.Settings.Replicas = %d is invalid: use 1 to 5; a replica in another AZ is what makes failover possible", s.Replicas)
	}
	if !versionPattern.MatchString(s.EngineVersion) {
		bad("CacheArgs.Settings.EngineVersion = %q is invalid: use a Redis version such as 7.1", s.EngineVersion)
	}
	if !awsname.IsSSMPath(a.ParameterPath) {
		bad("CacheArgs.ParameterPath = %q is invalid: use an SSM path below the root such as /ess-ha/prod-us-east-1/", a.ParameterPath)
	}
	return errors.Join(errs...)
}

// PreferredZones returns the AZ of each of the n member clusters: zones cycled from the first, so the
// primary and its first len(zones)-1 replicas are all in different AZs.
func PreferredZones(zones []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = zones[i%len(zones)]
	}
	return out
}

// NewCache creates the Cache component.
func NewCache(ctx *pulumi.Context, name string, args *CacheArgs, opts ...pulumi.ResourceOption) (*Cache, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	clusters := 1 + args.Settings.Replicas
	comp := &Cache{Clusters: clusters}
	if err := ctx.RegisterComponentResource("ess-ha:cache:Cache", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering cache %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)

	key, err := secure.NewKey(ctx, name, pulumi.Sprintf("ess-ha %s: encrypts the cache at rest and its auth token secret", name), tags, parent)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}

	sg, err := secure.NewClientOnlyGroup(ctx, name, secure.ClientOnlyGroupArgs{
		Description: "ess-ha cache: Redis from the ess pool only",
		VpcID:       args.VpcID, Port: Port, Service: "redis", Client: args.ClientSecurityGroupID, Tags: tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	subnets, err := elasticache.NewSubnetGroup(ctx, name+"-subnets", &elasticache.SubnetGroupArgs{
		Description: pulumi.String("ess-ha cache: the data subnets of every AZ"),
		SubnetIds:   args.DataSubnetIDs,
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cache %s: creating the subnet group: %w", name, err)
	}

	// The auth token: generated once by Secrets Manager, kept in a secret, and never rotated by a later
	// run (the invoke answers a new password every time; both consumers ignore changes to it).
	token := pulumi.ToSecret(secretsmanager.GetRandomPasswordOutput(ctx, secretsmanager.GetRandomPasswordOutputArgs{
		PasswordLength:     pulumi.Int(AuthTokenLength),
		ExcludePunctuation: pulumi.Bool(true),
		IncludeSpace:       pulumi.Bool(false),
	}, parent).RandomPassword()).(pulumi.StringOutput)
	secret, err := secretsmanager.NewSecret(ctx, name+"-auth-token", &secretsmanager.SecretArgs{
		NamePrefix:  pulumi.String(name + "-auth-token-"),
		Description: pulumi.String("ess-ha cache: the Redis auth token"),
		KmsKeyId:    key.Arn,
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("cache %s: creating the auth token secret: %w", name, err)
	}
	if _, err := secretsmanager.NewSecretVersion(ctx, name+"-auth-token-version", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID().ToStringOutput(),
		SecretString: token,
	}, parent, pulumi.IgnoreChanges([]string{"secretString"})); err != nil {
		return nil, fmt.Errorf("cache %s: storing the auth token: %w", name, err)
	}

	group, err := elasticache.NewReplicationGroup(ctx, name+"-redis", &elasticache.ReplicationGroupArgs{
		Description:              pulumi.String("ess-ha cache: Redis, primary and replicas in different AZs"),
		Engine:                   pulumi.String("redis"),
		EngineVersion:            pulumi.String(args.Settings.EngineVersion),
		NodeType:                 pulumi.String(args.Settings.NodeType),
		Port:                     pulumi.Int(Port),
		NumCacheClusters:         pulumi.Int(clusters),
		PreferredCacheClusterAzs: pulumi.ToStringArray(PreferredZones(args.Zones, clusters)),
		AutomaticFailoverEnabled: pulumi.Bool(true),
		MultiAzEnabled:           pulumi.Bool(true),
		AtRestEncryptionEnabled:  pulumi.Bool(true),
		KmsKeyId:                 key.Arn,
		TransitEncryptionEnabled: pulumi.Bool(true),
		AuthToken:                token,
		SubnetGroupName:          subnets.ID().ToStringOutput(),
		SecurityGroupIds:         pulumi.StringArray{sg.ID().ToStringOutput()},
		SnapshotRetentionLimit:   pulumi.Int(SnapshotRetentionDays),
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		Tags:                     tags,
	}, parent, pulumi.IgnoreChanges([]string{"authToken"}))
	if err != nil {
		return nil, fmt.Errorf("cache %s: creating the replication group: %w", name, err)
	}

	if err := publish.Parameters(ctx, name, args.ParameterPath, []publish.Parameter{
		{Key: ParameterEndpoint, Value: group.PrimaryEndpointAddress, What: "the cache's primary endpoint"},
		{Key: ParameterPort, Value: pulumi.String(strconv.Itoa(Port)), What: "the cache's port"},
		{Key: ParameterAuthTokenSecretArn, Value: secret.Arn, What: "the ARN of the secret holding the cache's auth token (not the token)"},
	}, tags, parent); err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}

	comp.PrimaryEndpoint, comp.ReaderEndpoint = group.PrimaryEndpointAddress, group.ReaderEndpointAddress
	comp.ReplicationGroupID = group.ID().ToStringOutput()
	comp.AuthTokenSecretArn, comp.SecurityGroupID, comp.KmsKeyArn = secret.Arn, sg.ID(), key.Arn
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"primaryEndpoint":    comp.PrimaryEndpoint,
		"readerEndpoint":     comp.ReaderEndpoint,
		"replicationGroupId": comp.ReplicationGroupID,
		"authTokenSecretArn": comp.AuthTokenSecretArn,
		"securityGroupId":    comp.SecurityGroupID,
		"kmsKeyArn":          comp.KmsKeyArn,
	}); err != nil {
		return nil, fmt.Errorf("cache %s: registering outputs: %w", name, err)
	}
	return comp, nil
}
