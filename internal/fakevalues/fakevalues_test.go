package fakevalues

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResourceIsDeterministicAndKeepsInputs(t *testing.T) {
	t.Parallel()
	r := Region{Name: "us-west-2"}
	urn := "urn:pulumi:dev::ess-ha::aws:cloudwatch/logGroup:LogGroup::logs"
	inputs := resource.NewPropertyMapFromMap(map[string]any{"name": "ess-logs", "retentionInDays": 90})
	id, out := r.Resource("aws:cloudwatch/logGroup:LogGroup", "logs", urn, inputs)
	id2, out2 := r.Resource("aws:cloudwatch/logGroup:LogGroup", "logs", urn, inputs.Copy())
	assert.Equal(t, id, id2)
	assert.Equal(t, out, out2)
	assert.Equal(t, "ess-logs", id)
	assert.Equal(t, "arn:aws:logs:us-west-2:123456789012:log-group:ess-logs", out["arn"].StringValue(), "the region and the account")
	assert.Equal(t, 90.0, out["retentionInDays"].NumberValue(), "inputs are outputs too")
	assert.Equal(t, resource.NewPropertyMapFromMap(map[string]any{"name": "ess-logs", "retentionInDays": 90}), inputs, "inputs untouched")
}

func TestResourceIDsFollowAWSFormats(t *testing.T) {
	t.Parallel()
	r := Region{Name: "us-east-1"}
	for typ, re := range map[string]string{
		"aws:ec2/vpc:Vpc":                     `^vpc-[0-9a-f]{17}$`,
		"aws:ec2/subnet:Subnet":               `^subnet-[0-9a-f]{17}$`,
		"aws:kms/key:Key":                     `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
		"aws:route53/zone:Zone":               `^Z[0-9A-F]{20}$`,
		"aws:route53/healthCheck:HealthCheck": `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
	} {
		id, _ := r.Resource(typ, "x", "urn:pulumi:dev::p::"+typ+"::x", resource.PropertyMap{})
		assert.Regexp(t, re, id, typ)
	}
}

func TestGlobalClusterWriterIsRuntimeState(t *testing.T) {
	t.Parallel()
	in := resource.NewPropertyMapFromMap(map[string]any{"globalClusterIdentifier": "g"})
	_, out := Region{Name: "us-east-1"}.Resource("aws:rds/globalCluster:GlobalCluster", "g", "urn:g", in)
	_, moved := Region{Name: "us-east-1", Writer: "us-west-2"}.Resource("aws:rds/globalCluster:GlobalCluster", "g", "urn:g", in)
	writer := func(m resource.PropertyMap) string {
		return m["globalClusterMembers"].ArrayValue()[0].ObjectValue()["dbClusterArn"].StringValue()
	}
	assert.Contains(t, writer(out), ":us-east-1:")
	assert.Contains(t, writer(moved), ":us-west-2:")
	assert.Equal(t, out["endpoint"], moved["endpoint"], "the global writer endpoint does not move")
}

func TestInvokeAnswersKnownDataSourcesOnly(t *testing.T) {
	t.Parallel()
	r := Region{Name: "eu-west-1"}
	out, err := r.Invoke("aws:index/getRegion:getRegion", nil)
	require.NoError(t, err)
	assert.Equal(t, "eu-west-1", out["name"].StringValue())
	out, err = r.Invoke("aws:index/getCallerIdentity:getCallerIdentity", nil)
	require.NoError(t, err)
	assert.Equal(t, Account, out["accountId"].StringValue())

	_, err = r.Invoke("aws:ec2/getAmi:getAmi", nil)
	assert.ErrorIs(t, err, ErrUnknownInvoke)
	assert.ErrorContains(t, err, "aws:ec2/getAmi:getAmi")
}

// TestEveryComputedTypeHasAnIDAndAnARN runs every entry of the table of computed outputs: each gives a
// non-empty ID and an ARN, whatever its inputs.
func TestEveryComputedTypeHasAnIDAndAnARN(t *testing.T) {
	t.Parallel()
	r := Region{Name: "us-east-1"}
	for typ := range computed {
		inputs := resource.NewPropertyMapFromMap(map[string]any{"name": "n", "globalClusterIdentifier": "g", "domainName": "example.com"})
		id, out := r.Resource(typ, "res", "urn:pulumi:dev::ess-ha::"+typ+"::res", inputs)
		assert.NotEmpty(t, id, typ)
		require.Contains(t, out, resource.PropertyKey("arn"), typ)
		assert.Contains(t, out["arn"].StringValue(), "arn:aws:", typ)
	}
}
