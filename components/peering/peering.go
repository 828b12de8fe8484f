// Package peering provides the Peering component: the private network path between the two VPCs of an
// active-active pair, so that the services of each region reach the Aurora global database's writer
// endpoint, which Aurora points at the writer of whichever region is primary.
//
// The member stack creates the whole path, both sides: the cross-region VPC peering connection (it is
// the requester), the accepter in the owner's region, a route to the other VPC in every private route
// table of both VPCs, and the PostgreSQL rules of both regions' database and ess security groups. The
// owner's side is created through a provider for the owner's region with IDs the owner exports. So one
// `pulumi up` of the member completes the pair, and the owner never needs to know the member. Once
// created, the path is data plane only: losing one region leaves nothing to change in the other.
//
// Security groups cannot reference a group across a cross-region peering, so the rules name the other
// VPC's CIDR block (Amazon VPC Peering Guide, "Update your security groups to reference peer security
// groups": https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html).
package peering

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/awstags"
	"github.com/ess-ha/ess-ha/internal/awsname"
)

// DefaultPort is the database port opened across the peering.
const DefaultPort = 5432

// Side is one VPC of the pair.
type Side struct {
	// VpcID is the VPC's ID.
	VpcID pulumi.StringInput
	// VpcCidr is the VPC's IPv4 block.
	VpcCidr string
	// RouteTableIDs are the route tables of the private (application and data) subnets.
	RouteTableIDs pulumi.StringArray
	// DatabaseSecurityGroupID is the database's security group: PostgreSQL from the other VPC.
	DatabaseSecurityGroupID pulumi.StringInput
	// EssSecurityGroupID is the ess pool's security group: PostgreSQL to the other VPC.
	EssSecurityGroupID pulumi.StringInput
}

// PeeringArgs configures a Peering.
type PeeringArgs struct {
	// Local is this stack's VPC (the member's); it requests the peering.
	Local Side
	// Peer is the owner's VPC, in PeerRegion, managed through PeerProvider.
	Peer Side
	// PeerRegion is the owner's region.
	PeerRegion string
	// PeerProvider is an AWS provider for PeerRegion (same account).
	PeerProvider pulumi.ProviderResource
	// Port is the database port; 0 means DefaultPort.
	Port int
	Tags map[string]string
}

// Peering is the VPC peering connection of a pair and everything that makes it carry database traffic.
type Peering struct {
	pulumi.ResourceState

	// ConnectionID is the VPC peering connection's ID.
	ConnectionID pulumi.StringOutput `pulumi:"connectionId"`
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *PeeringArgs) Validate() error {
	if a == nil {
		return errors.New("PeeringArgs is nil: pass both sides of the pair")
	}
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	var cidrs [2]netip.Prefix
	for i, s := range []struct {
		name string
		side Side
	}{{"Local", a.Local}, {"Peer", a.Peer}} {
		if s.side.VpcID == nil {
			bad("PeeringArgs.%s.VpcID is not set: pass the VPC's ID", s.name)
		}
		p, err := netip.ParsePrefix(s.side.VpcCidr)
		if err != nil || !p.Addr().Is4() {
			bad("PeeringArgs.%s.VpcCidr %q is invalid: pass the VPC's IPv4 CIDR block, such as 10.10.0.0/16", s.name, s.side.VpcCidr)
		}
		cidrs[i] = p
		if len(s.side.RouteTableIDs) == 0 {
			bad("PeeringArgs.%s.RouteTableIDs is empty: pass the route tables of the private subnets, which need a route to the other VPC", s.name)
		}
		if s.side.DatabaseSecurityGroupID == nil || s.side.EssSecurityGroupID == nil {
			bad("PeeringArgs.%s: DatabaseSecurityGroupID and EssSecurityGroupID are both required: the services of each region reach the other region's database", s.name)
		}
	}
	if cidrs[0].IsValid() && cidrs[1].IsValid() && cidrs[0].Overlaps(cidrs[1]) {
		bad("PeeringArgs: the VPC blocks %s and %s overlap, and VPC peering needs distinct blocks: give the two stacks different ess-ha:vpcCidr values", cidrs[0], cidrs[1])
	}
	if !awsname.IsRegion(a.PeerRegion) {
		bad("PeeringArgs.PeerRegion %q is invalid: pass the owner's region, such as us-east-1", a.PeerRegion)
	}
	if a.PeerProvider == nil {
		bad("PeeringArgs.PeerProvider is not set: pass an AWS provider for %s, the owner's side is created through it", a.PeerRegion)
	}
	if a.Port < 0 || a.Port > 65535 {
		bad("PeeringArgs.Port %d is invalid: use 1 to 65535, or 0 for %d", a.Port, DefaultPort)
	}
	return errors.Join(errs...)
}

// NewPeering creates the Peering component.
func NewPeering(ctx *pulumi.Context, name string, args *PeeringArgs, opts ...pulumi.ResourceOption) (*Peering, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("peering %s: %w", name, err)
	}
	port := args.Port
	if port == 0 {
		port = DefaultPort
	}
	comp := &Peering{}
	if err := ctx.RegisterComponentResource("ess-ha:peering:Peering", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering peering %s: %w", name, err)
	}
	local := pulumi.Parent(comp)
	remote := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Provider(args.PeerProvider)}
	fail := func(what string, err error) (*Peering, error) {
		return nil, fmt.Errorf("peering %s: %s: %w", name, what, err)
	}

	conn, err := ec2.NewVpcPeeringConnection(ctx, name+"-connection", &ec2.VpcPeeringConnectionArgs{
		VpcId:     args.Local.VpcID,
		PeerVpcId: args.Peer.VpcID,
		// Across regions the requester cannot accept: the accepter below does, in the peer's region.
		PeerRegion: pulumi.String(args.PeerRegion),
		AutoAccept: pulumi.Bool(false),
		Tags:       awstags.With(args.Tags, "Name", name),
	}, local)
	if err != nil {
		return fail("requesting the VPC peering", err)
	}
	accepted, err := ec2.NewVpcPeeringConnectionAccepter(ctx, name+"-accepter", &ec2.VpcPeeringConnectionAccepterArgs{
		VpcPeeringConnectionId: conn.ID().ToStringOutput(),
		AutoAccept:             pulumi.Bool(true),
		Tags:                   awstags.With(args.Tags, "Name", name, "side", "accepter"),
	}, remote...)
	if err != nil {
		return fail("accepting the VPC peering in "+args.PeerRegion, err)
	}
	connectionID := accepted.VpcPeeringConnectionId

	routes := func(side string, tables pulumi.StringArray, destination string, o []pulumi.ResourceOption) error {
		for i, rt := range tables {
			rname := fmt.Sprintf("%s-%s-route-%d", name, side, i)
			if _, err := ec2.NewRoute(ctx, rname, &ec2.RouteArgs{
				RouteTableId:           rt,
				DestinationCidrBlock:   pulumi.String(destination),
				VpcPeeringConnectionId: connectionID,
			}, o...); err != nil {
				return fmt.Errorf("creating route %s: %w", rname, err)
			}
		}
		return nil
	}
	if err := routes("local", args.Local.RouteTableIDs, args.Peer.VpcCidr, []pulumi.ResourceOption{local}); err != nil {
		return fail("routing to the peer VPC", err)
	}
	if err := routes("peer", args.Peer.RouteTableIDs, args.Local.VpcCidr, remote); err != nil {
		return fail("routing from the peer VPC", err)
	}

	rules := func(side string, s Side, other string, o []pulumi.ResourceOption) error {
		if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-"+side+"-db-ingress", &vpc.SecurityGroupIngressRuleArgs{
			SecurityGroupId: s.DatabaseSecurityGroupID,
			Description:     pulumi.Sprintf("PostgreSQL from the pair's other VPC %s (the global writer endpoint)", other),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(port),
			ToPort:          pulumi.Int(port),
			CidrIpv4:        pulumi.String(other),
			Tags:            awstags.With(args.Tags, "Name", name+"-"+side+"-db-ingress"),
		}, o...); err != nil {
			return fmt.Errorf("opening the %s database to %s: %w", side, other, err)
		}
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-"+side+"-ess-egress", &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: s.EssSecurityGroupID,
			Description:     pulumi.Sprintf("PostgreSQL to the pair's other VPC %s (the global writer endpoint)", other),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(port),
			ToPort:          pulumi.Int(port),
			CidrIpv4:        pulumi.String(other),
			Tags:            awstags.With(args.Tags, "Name", name+"-"+side+"-ess-egress"),
		}, o...); err != nil {
			return fmt.Errorf("letting the %s ess pool reach %s: %w", side, other, err)
		}
		return nil
	}
	if err := rules("local", args.Local, args.Peer.VpcCidr, []pulumi.ResourceOption{local}); err != nil {
		return fail("security group rules", err)
	}
	if err := rules("peer", args.Peer, args.Local.VpcCidr, remote); err != nil {
		return fail("security group rules in "+args.PeerRegion, err)
	}

	comp.ConnectionID = connectionID
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"connectionId": comp.ConnectionID}); err != nil {
		return fail("registering outputs", err)
	}
	return comp, nil
}
