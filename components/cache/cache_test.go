package cache

import (
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

func fakeArgs() *CacheArgs {
	return &CacheArgs{
		VpcID:                 pulumi.String("vpc-1").ToStringOutput(),
		DataSubnetIDs:         pulumi.StringArray{pulumi.String("subnet-d1"), pulumi.String("subnet-d2").ToStringOutput(), pulumi.String("subnet-d3")},
		Zones:                 []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		ClientSecurityGroupID: pulumi.String("sg-ess").ToStringOutput(),
		Settings:              Settings{NodeType: "cache.r6g.large", Replicas: 1, EngineVersion: "7.1"},
		ParameterPath:         "/ess-ha/test/",
		Tags:                  map[string]string{"project": "ess-ha"},
	}
}

func run(t *testing.T, args *CacheArgs) (*mocks.Mocks, *Cache, error) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var comp *Cache
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewCache(ctx, "cache", args)
		return err
	})
	return m, comp, err
}

// plain unwraps a secret.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func TestCache(t *testing.T) {
	t.Parallel()
	m, comp, err := run(t, fakeArgs())
	require.NoError(t, err)

	key := mockstest.One(t, m, "aws:kms/key:Key")
	assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
	keyArn := key.Outputs["arn"].StringValue()

	group := mockstest.One(t, m, "aws:elasticache/replicationGroup:ReplicationGroup")
	in := group.Inputs
	assert.Equal(t, "redis", in["engine"].StringValue())
	assert.Equal(t, "7.1", in["engineVersion"].StringValue())
	assert.Equal(t, "cache.r6g.large", in["nodeType"].StringValue())
	assert.Equal(t, 6379.0, in["port"].NumberValue())
	assert.Equal(t, 2.0, in["numCacheClusters"].NumberValue(), "a primary and one replica")
	assert.True(t, in["automaticFailoverEnabled"].BoolValue(), "automatic failover")
	assert.True(t, in["multiAzEnabled"].BoolValue(), "Multi-AZ")
	assert.True(t, in["atRestEncryptionEnabled"].BoolValue(), "encrypted at rest")
	assert.Equal(t, keyArn, in["kmsKeyId"].StringValue(), "with the CMK")
	assert.True(t, in["transitEncryptionEnabled"].BoolValue(), "encrypted in transit")
	assert.GreaterOrEqual(t, in["snapshotRetentionLimit"].NumberValue(), 1.0)
	azs := in["preferredCacheClusterAzs"].ArrayValue()
	require.Len(t, azs, 2)
	assert.NotEqual(t, azs[0].StringValue(), azs[1].StringValue(), "the primary and the replica are in different AZs")

	require.True(t, in["authToken"].IsSecret(), "the auth token is a secret")
	token := plain(in["authToken"]).StringValue()
	assert.Equal(t, "plan-placeholder-token-0123456789abcdef", token, "the token comes from GetRandomPassword")

	sg := mockstest.One(t, m, "aws:ec2/securityGroup:SecurityGroup")
	assert.Equal(t, []any{sg.ID}, in["securityGroupIds"].Mappable())
	subnets := mockstest.One(t, m, "aws:elasticache/subnetGroup:SubnetGroup")
	assert.Equal(t, []any{"subnet-d1", "subnet-d2", "subnet-d3"}, subnets.Inputs["subnetIds"].Mappable())
	assert.Equal(t, subnets.ID, in["subnetGroupName"].StringValue())
	rule := mockstest.One(t, m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	assert.Equal(t, sg.ID, rule.Inputs["securityGroupId"].StringValue())
	assert.Equal(t, "sg-ess", rule.Inputs["referencedSecurityGroupId"].StringValue(), "6379 from the ess pool only")
	assert.Equal(t, 6379.0, rule.Inputs["fromPort"].NumberValue())
	assert.Equal(t, 6379.0, rule.Inputs["toPort"].NumberValue())
	assert.NotContains(t, rule.Inputs, resource.PropertyKey("cidrIpv4"))
	assert.NotContains(t, sg.Inputs, resource.PropertyKey("ingress"))

	secret := mockstest.One(t, m, "aws:secretsmanager/secret:Secret")
	assert.Equal(t, keyArn, secret.Inputs["kmsKeyId"].StringValue(), "the token secret is encrypted with the CMK")
	assert.True(t, strings.HasPrefix(secret.Outputs["arn"].StringValue(), "arn:aws:secretsmanager:us-east-1:123456789012:secret:cache-auth-token-"))
	version := mockstest.One(t, m, "aws:secretsmanager/secretVersion:SecretVersion")
	assert.Equal(t, secret.ID, version.Inputs["secretId"].StringValue())
	require.True(t, version.Inputs["secretString"].IsSecret())
	assert.Equal(t, token, plain(version.Inputs["secretString"]).StringValue(), "the secret holds the group's token")

	parameters := map[string]string{}
	for _, p := range m.ByType("aws:ssm/parameter:Parameter") {
		assert.Equal(t, "String", p.Inputs["type"].StringValue())
		parameters[p.Inputs["name"].StringValue()] = p.Inputs["insecureValue"].StringValue()
	}
	assert.Equal(t, map[string]string{
		"/ess-ha/test/cache/endpoint":              group.Outputs["primaryEndpointAddress"].StringValue(),
		"/ess-ha/test/cache/port":                  "6379",
		"/ess-ha/test/cache/auth-token-secret-arn": secret.Outputs["arn"].StringValue(),
	}, parameters)
	for _, v := range parameters {
		assert.NotContains(t, v, token, "the token is never published")
	}

	assert.Equal(t, group.Outputs["primaryEndpointAddress"].StringValue(), mockstest.Await[any](t, comp.PrimaryEndpoint))
	assert.Equal(t, group.Outputs["readerEndpointAddress"].StringValue(), mockstest.Await[any](t, comp.ReaderEndpoint))
	assert.Equal(t, group.ID, mockstest.Await[any](t, comp.ReplicationGroupID))
	assert.Equal(t, secret.Outputs["arn"].StringValue(), mockstest.Await[any](t, comp.AuthTokenSecretArn))
	assert.Equal(t, sg.ID, string(mockstest.Await[any](t, comp.SecurityGroupID).(pulumi.ID)))
	assert.Equal(t, keyArn, mockstest.Await[any](t, comp.KmsKeyArn))
	assert.Equal(t, 2, comp.Clusters)

	comps := m.ByType("ess-ha:cache:Cache")
	require.Len(t, comps, 1)
	for _, r := range m.Registrations() {
		if r.Type == "ess-ha:cache:Cache" {
			continue
		}
		assert.Equal(t, comps[0].URN, r.Parent, "%s %s is parented to the component", r.Type, r.Name)
		assert.True(t, strings.HasPrefix(r.Name, "cache-"), "%s is prefixed with the component's name", r.Name)
		if r.Type != "aws:secretsmanager/secretVersion:SecretVersion" && r.Type != "aws:kms/alias:Alias" { // neither takes tags
			assert.Equal(t, "ess-ha", r.Inputs["tags"].ObjectValue()["project"].StringValue(), "%s %s is tagged", r.Type, r.Name)
		}
	}
}

func TestCacheReplicasSpreadOverZones(t *testing.T) {
	t.Parallel()
	args := fakeArgs()
	args.Settings.Replicas = 2
	m, _, err := run(t, args)
	require.NoError(t, err)
	in := mockstest.One(t, m, "aws:elasticache/replicationGroup:ReplicationGroup").Inputs
	assert.Equal(t, 3.0, in["numCacheClusters"].NumberValue())
	assert.Equal(t, []any{"us-east-1a", "us-east-1b", "us-east-1c"}, in["preferredCacheClusterAzs"].Mappable(), "every member in its own AZ")
}

func TestPreferredZones(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"a", "b", "a", "b"}, PreferredZones([]string{"a", "b"}, 4))
	assert.Equal(t, []string{"a", "b"}, PreferredZones([]string{"a", "b", "c"}, 2))
}

func TestCacheRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*CacheArgs) *CacheArgs
		want   string
	}{
		{"nil", func(*CacheArgs) *CacheArgs { return nil }, "CacheArgs is nil"},
		{"vpc", func(a *CacheArgs) *CacheArgs { a.VpcID = nil; return a }, "CacheArgs.VpcID"},
		{"one zone", func(a *CacheArgs) *CacheArgs { a.Zones, a.DataSubnetIDs = a.Zones[:1], a.DataSubnetIDs[:1]; return a }, "CacheArgs.Zones has 1 zones"},
		{"duplicate zone", func(a *CacheArgs) *CacheArgs { a.Zones = []string{"us-east-1a", "us-east-1a", "us-east-1b"}; return a }, `CacheArgs.Zones[1] = "us-east-1a"`},
		{"subnets", func(a *CacheArgs) *CacheArgs { a.DataSubnetIDs = a.DataSubnetIDs[:2]; return a }, "CacheArgs.DataSubnetIDs has 2 subnets for 3 zones"},
		{"client", func(a *CacheArgs) *CacheArgs { a.ClientSecurityGroupID = nil; return a }, "CacheArgs.ClientSecurityGroupID"},
		{"node type", func(a *CacheArgs) *CacheArgs { a.Settings.NodeType = "r6g.large"; return a }, "CacheArgs.Settings.NodeType"},
		{"no replica", func(a *CacheArgs) *CacheArgs { a.Settings.Replicas = 0; return a }, "CacheArgs.Settings.Replicas = 0"},
		{"version", func(a *CacheArgs) *CacheArgs { a.Settings.EngineVersion = "seven"; return a }, "CacheArgs.Settings.EngineVersion"},
		{"path", func(a *CacheArgs) *CacheArgs { a.ParameterPath = "cache"; return a }, "CacheArgs.ParameterPath"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := run(t, tc.mutate(fakeArgs()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType("aws:elasticache/replicationGroup:ReplicationGroup"), "nothing is created")
		})
	}
}

// ignoring records the ignoreChanges option of every registration, which the project's mocks do not.
type ignoring struct {
	*mocks.Mocks
	mu      sync.Mutex
	ignored map[string][]string
}

func (i *ignoring) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	i.mu.Lock()
	i.ignored[args.TypeToken] = args.RegisterRPC.GetIgnoreChanges()
	i.mu.Unlock()
	return i.Mocks.NewResource(args)
}

func TestCacheKeepsItsToken(t *testing.T) {
	t.Parallel()
	mon := &ignoring{Mocks: mocks.New("ess-ha", "test", "us-east-1"), ignored: map[string][]string{}}
	ctx, err := pulumi.NewContext(t.Context(), pulumi.RunInfo{Project: "ess-ha", Stack: "test", Mocks: mon, Parallel: 1})
	require.NoError(t, err)
	require.NoError(t, pulumi.RunWithContext(ctx, func(ctx *pulumi.Context) error {
		_, err := NewCache(ctx, "cache", fakeArgs())
		return err
	}))
	assert.Equal(t, []string{"secretString"}, mon.ignored["aws:secretsmanager/secretVersion:SecretVersion"], "a later run's new password does not replace the stored token")
	assert.Equal(t, []string{"authToken"}, mon.ignored["aws:elasticache/replicationGroup:ReplicationGroup"], "nor the group's")
}
