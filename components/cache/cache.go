// Package cache provides the Cache component: a Multi-AZ ElastiCache for Redis replication group.
package cache

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/config"
)

// CacheArgs configures a Cache.
type CacheArgs struct {
	VpcID pulumi.StringInput
	// DataSubnetIDs are the data subnets, one per zone, in Zones order.
	DataSubnetIDs pulumi.StringArray
	Zones         []string
	// ClientSecurityGroupID is the ess pool's group, the only source allowed on 6379.
	ClientSecurityGroupID pulumi.StringInput
	Settings              config.Cache
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
}

// NewCache creates the Cache component.
func NewCache(ctx *pulumi.Context, name string, args *CacheArgs, opts ...pulumi.ResourceOption) (*Cache, error) {
	panic("TODO")
}
