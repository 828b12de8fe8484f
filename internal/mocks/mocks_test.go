package mocks

import (
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordsDependenciesAndIDs(t *testing.T) {
	t.Parallel()
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

func TestGetIpRangesAnswersRoute53CheckersPerRegion(t *testing.T) {
	t.Parallel()
	m := New("ess-ha", "test", "us-east-1")
	var east, two, all aws.GetIpRangesResult
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		for _, q := range []struct {
			regions []string
			out     *aws.GetIpRangesResult
		}{{[]string{"us-east-1"}, &east}, {[]string{"eu-west-1", "US-EAST-1"}, &two}, {nil, &all}} {
			r, err := aws.GetIpRanges(ctx, &aws.GetIpRangesArgs{Services: []string{"ROUTE53_HEALTHCHECKS"}, Regions: q.regions})
			if err != nil {
				return err
			}
			*q.out = *r
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"192.0.2.0/28", "198.51.100.0/28"}, east.CidrBlocks)
	assert.Equal(t, []string{"2001:db8:1::/48"}, east.Ipv6CidrBlocks)
	assert.Equal(t, []string{"192.0.2.0/28", "192.0.2.48/28", "198.51.100.0/28", "198.51.100.48/28"}, two.CidrBlocks, "sorted, case-insensitive regions")
	assert.Len(t, all.CidrBlocks, 16, "no regions: all eight checker regions")
	assert.Len(t, all.Ipv6CidrBlocks, 8)

	// The same answer every time.
	var again aws.GetIpRangesResult
	require.NoError(t, New("ess-ha", "test", "us-west-2").Run(nil, func(ctx *pulumi.Context) error {
		r, err := aws.GetIpRanges(ctx, &aws.GetIpRangesArgs{Services: []string{"route53_healthchecks"}, Regions: []string{"us-east-1"}})
		if err == nil {
			again = *r
		}
		return err
	}))
	assert.Equal(t, east.CidrBlocks, again.CidrBlocks)
}

func TestGetIpRangesFailsWhenNothingMatches(t *testing.T) {
	t.Parallel()
	for name, args := range map[string]*aws.GetIpRangesArgs{
		// The provider's generated docs spell the service route53Healthchecks; ip-ranges.json says
		// ROUTE53_HEALTHCHECKS, which the provider compares case-insensitively.
		"camel-case service":   {Services: []string{"route53Healthchecks"}, Regions: []string{"us-east-1"}},
		"not a checker region": {Services: []string{"route53_healthchecks"}, Regions: []string{"eu-central-1"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := New("ess-ha", "test", "us-east-1").Run(nil, func(ctx *pulumi.Context) error {
				_, err := aws.GetIpRanges(ctx, args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "no CIDR blocks")
		})
	}
}

// TestDuplicateURNsFail: the engine refuses a program that registers two resources under one URN
// ("Duplicate resource URN ...; try giving it a unique name"), so the mocks do too. They used to keep
// the last one, and the member stack registered its us-east-1 provider twice unseen.
func TestDuplicateURNsFail(t *testing.T) {
	t.Parallel()
	m := New("ess-ha", "test", "us-west-2")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		for i := 0; i < 2; i++ {
			if _, err := aws.NewProvider(ctx, "ess-us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")}); err != nil {
				return err
			}
		}
		return nil
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "duplicate resource URN 'urn:pulumi:test::ess-ha::pulumi:providers:aws::ess-us-east-1'")
}

// component is a bare component resource for the alias tests.
type component struct{ pulumi.ResourceState }

// TestRecordsAliasesAndTheirInheritanceByChildren checks Registration.Aliases against the engine's
// rules: an alias spec names the resource's URN with the parts it sets replaced, and a child inherits,
// for each alias of its parent, the URN it had under it (its name's prefix renamed with the parent).
func TestRecordsAliasesAndTheirInheritanceByChildren(t *testing.T) {
	t.Parallel()
	m := New("ess-ha", "test", "us-east-1")
	require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
		parent := &component{}
		if err := ctx.RegisterComponentResource("ess-ha:new:Thing", "db", parent, pulumi.Aliases([]pulumi.Alias{
			{Type: pulumi.String("ess-ha:old:Thing")},
			{Name: pulumi.String("olddb")},
		})); err != nil {
			return err
		}
		if _, err := ec2.NewVpc(ctx, "db-vpc", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")}, pulumi.Parent(parent)); err != nil {
			return err
		}
		_, err := ec2.NewVpc(ctx, "db-net", &ec2.VpcArgs{CidrBlock: pulumi.String("10.1.0.0/16")}, pulumi.Parent(parent),
			pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String("db-network")}}))
		return err
	}))
	const prefix = "urn:pulumi:test::ess-ha::"
	comp := m.ByType("ess-ha:new:Thing")
	require.Len(t, comp, 1)
	assert.Equal(t, []resource.URN{prefix + "ess-ha:old:Thing::db", prefix + "ess-ha:new:Thing::olddb"}, comp[0].Aliases)

	byName := map[string]*Registration{}
	for _, r := range m.ByType("aws:ec2/vpc:Vpc") {
		byName[r.Name] = r
	}
	assert.Equal(t, []resource.URN{
		prefix + "ess-ha:old:Thing$aws:ec2/vpc:Vpc::db-vpc",
		prefix + "ess-ha:new:Thing$aws:ec2/vpc:Vpc::olddb-vpc",
	}, byName["db-vpc"].Aliases, "a child inherits one alias from each alias of its parent")
	assert.ElementsMatch(t, []resource.URN{
		prefix + "ess-ha:new:Thing$aws:ec2/vpc:Vpc::db-network",
		prefix + "ess-ha:old:Thing$aws:ec2/vpc:Vpc::db-net",
		prefix + "ess-ha:old:Thing$aws:ec2/vpc:Vpc::db-network",
		prefix + "ess-ha:new:Thing$aws:ec2/vpc:Vpc::olddb-net",
		prefix + "ess-ha:new:Thing$aws:ec2/vpc:Vpc::olddb-network",
	}, byName["db-net"].Aliases, "and its own aliases, under each alias of its parent")
}
