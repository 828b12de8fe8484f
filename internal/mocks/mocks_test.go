package mocks

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordsDependenciesAndIDs(t *testing.T) {
	m := New("ess-ha", "test", "us-east-1")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		vpc, err := ec2.NewVpc(ctx, "vpc", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")})
		if err != nil {
			return err
		}
		_, err = ec2.NewSubnet(ctx, "subnet", &ec2.SubnetArgs{VpcId: vpc.ID(), CidrBlock: pulumi.String("10.0.0.0/24")})
		return err
	})
	require.NoError(t, err)
	vpcs, subnets := m.ByType("aws:ec2/vpc:Vpc"), m.ByType("aws:ec2/subnet:Subnet")
	require.Len(t, vpcs, 1)
	require.Len(t, subnets, 1)
	assert.Regexp(t, `^vpc-[0-9a-f]{17}$`, vpcs[0].ID)
	assert.Equal(t, vpcs[0].ID, subnets[0].Inputs["vpcId"].StringValue(), "the subnet's input holds the VPC's fake ID")
	assert.Equal(t, vpcs[0].URN, subnets[0].PropertyDependencies["vpcId"][0], "property dependencies are recorded")
}
