// Package network provides the Network component: the VPC of one region, spread over its AZs.
package network

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Tier is a subnet tier.
type Tier int

// The subnet tiers, in the order their CIDR blocks are carved from the VPC.
const (
	Public Tier = iota // load balancers and NAT gateways only
	App                // the ess and backend pools
	Data               // database and cache
)

// NetworkArgs configures a Network.
type NetworkArgs struct {
	// VpcCidr is the VPC's IPv4 block, /16 to /22.
	VpcCidr string
	// Zones are the AZ names, at least 2.
	Zones []string
	// FlowLogRetentionDays is how long VPC flow logs are kept.
	FlowLogRetentionDays int
	// Tags are added to every taggable resource.
	Tags map[string]string
}

// Network is a VPC with a public, an application and a data subnet in every AZ, one NAT gateway per AZ,
// flow logs, and VPC endpoints for ECR, Secrets Manager, CloudWatch Logs, SSM and S3.
type Network struct {
	pulumi.ResourceState

	VpcID   pulumi.IDOutput     `pulumi:"vpcId"`
	VpcCidr pulumi.StringOutput `pulumi:"vpcCidr"`
	// Zones are the AZ names; the subnet slices below are in the same order.
	Zones         []string
	PublicSubnets []*ec2.Subnet
	AppSubnets    []*ec2.Subnet
	DataSubnets   []*ec2.Subnet
	NatGateways   []*ec2.NatGateway
}

// NewNetwork creates the Network component.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	panic("TODO")
}

// SubnetCIDR returns the deterministic CIDR block of a tier's subnet in the zone with index zone.
func SubnetCIDR(vpcCidr string, tier Tier, zone int) (string, error) { panic("TODO") }

// IDs returns the subnets' IDs, in order, as an input that carries each subnet as a dependency.
func IDs(subnets []*ec2.Subnet) pulumi.StringArray { panic("TODO") }
