package secure_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/internal/secure"
	"github.com/ess-ha/ess-ha/internal/mocks"
)

func TestAliasName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "alias/ess-ha-prod-us-east-1-ess-database", secure.AliasName("ess-ha", "prod-us-east-1", "ess-database"))
	assert.Equal(t, "alias/ess-ha-dev-a-b-c", secure.AliasName("ess-ha", "dev", "a.b c"), "characters an alias refuses become hyphens")
	assert.LessOrEqual(t, len(secure.AliasName("p", "s", strings.Repeat("x", 400))), 256)
}

func TestKeyRotatesAndClientOnlyGroupAdmitsOneClient(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		if _, err := secure.NewKey(ctx, "db", pulumi.String("test key"), nil); err != nil {
			return err
		}
		_, err := secure.NewClientOnlyGroup(ctx, "db", secure.ClientOnlyGroupArgs{
			Description: "test", VpcID: pulumi.String("vpc-1"), Port: 5432, Service: "postgres", Client: pulumi.String("sg-client"),
		})
		return err
	}))
	keys := m.ByType("aws:kms/key:Key")
	require.Len(t, keys, 1)
	assert.True(t, keys[0].Inputs["enableKeyRotation"].BoolValue())
	aliases := m.ByType("aws:kms/alias:Alias")
	require.Len(t, aliases, 1)
	assert.Equal(t, "alias/ess-ha-test-db", aliases[0].Inputs["name"].StringValue())

	rules := m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	require.Len(t, rules, 1, "exactly one way in")
	rule := rules[0].Inputs
	assert.Equal(t, "sg-client", rule["referencedSecurityGroupId"].StringValue())
	assert.Equal(t, 5432.0, rule["fromPort"].NumberValue())
	assert.Equal(t, 5432.0, rule["toPort"].NumberValue())
	assert.NotContains(t, rule, "cidrIpv4", "never a CIDR")
}

func TestPolicyKeyRotatesAndKeepsItsPolicy(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		_, err := secure.NewPolicyKey(ctx, "logs", pulumi.String("test key"), pulumi.String(`{"Version":"2012-10-17"}`), nil)
		return err
	}))
	keys := m.ByType("aws:kms/key:Key")
	require.Len(t, keys, 1)
	assert.Equal(t, "logs-key", keys[0].Name)
	assert.True(t, keys[0].Inputs["enableKeyRotation"].BoolValue())
	assert.Equal(t, float64(secure.KeyDeletionWindowDays), keys[0].Inputs["deletionWindowInDays"].NumberValue())
	assert.Equal(t, `{"Version":"2012-10-17"}`, keys[0].Inputs["policy"].StringValue())
	assert.Empty(t, m.ByType("aws:kms/alias:Alias"), "a policy key has no alias")

	err := mocks.New("ess-ha", "test", "us-east-1").Run(nil, func(ctx *pulumi.Context) error {
		_, err := secure.NewPolicyKey(ctx, "logs", pulumi.String("test key"), nil, nil)
		return err
	})
	require.ErrorContains(t, err, "no key policy given")
}
