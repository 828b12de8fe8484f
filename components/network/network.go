// Package network provides the Network component: the VPC of one region, spread over its AZs.
//
// Every AZ gets three subnets: a public one (only load balancers and NAT gateways live there, as the
// ESS high-availability architecture requires), an application one (the ess and backend pools) and a
// data one (database and cache). Each AZ has its own NAT gateway and its own route tables, so the loss
// of one AZ never takes away the egress of another.
package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/awstags"
	"github.com/ess-ha/ess-ha/internal/awsname"
)

// Tier is a subnet tier.
type Tier int

// The subnet tiers, in the order their CIDR blocks are carved from the VPC.
const (
	Public Tier = iota // load balancers and NAT gateways only
	App                // the ess and backend pools
	Data               // database and cache
)

// Tiers returns every tier in CIDR order.
func Tiers() []Tier { return []Tier{Public, App, Data} }

// String returns the tier's name as used in the subnets' "tier" tag: public, app or data.
func (t Tier) String() string {
	switch t {
	case Public:
		return "public"
	case App:
		return "app"
	case Data:
		return "data"
	}
	return fmt.Sprintf("tier(%d)", int(t))
}

// MaxZones is the number of AZs the subnet plan has room for: each tier owns 8 blocks.
const MaxZones = 8

// subnetBits is how many bits SubnetCIDR adds to the VPC prefix: 3 tiers x 8 zones fit in 32 blocks.
const subnetBits = 5

// InterfaceEndpointServices returns the AWS services reached through interface VPC endpoints from the
// application subnets, so that pulling images, reading secrets and shipping logs never needs the NAT.
func InterfaceEndpointServices() []string {
	return []string{"ecr.api", "ecr.dkr", "secretsmanager", "logs", "ssm", "ssmmessages", "ec2messages"}
}

// flowLogRetentions are the retention periods CloudWatch Logs accepts.
var flowLogRetentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

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
//
// Routing: every subnet is explicitly associated with a route table of its own AZ and tier, so none
// falls back to the VPC's main route table. Each AZ has its own public route table (0.0.0.0/0 to the
// internet gateway) rather than one shared table: the tables are free, and keeping every AZ's routing
// separate keeps the AZs symmetrical and lets one AZ's public routing change without touching the others.
// Each AZ's app route table sends 0.0.0.0/0 to that AZ's NAT gateway. The data route tables have no
// default route at all: RDS and ElastiCache need no internet access, and a data subnet that cannot reach
// the internet cannot exfiltrate to it either; they reach S3 through the gateway endpoint only.
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
	// PublicRouteTables, AppRouteTables and DataRouteTables are the per-AZ route tables, in Zones order.
	PublicRouteTables []*ec2.RouteTable
	AppRouteTables    []*ec2.RouteTable
	DataRouteTables   []*ec2.RouteTable
	// EndpointSecurityGroupID is the security group of the interface endpoints (443 from the VPC only).
	EndpointSecurityGroupID pulumi.IDOutput `pulumi:"endpointSecurityGroupId"`
	// FlowLogGroupName is the CloudWatch log group the VPC flow logs go to.
	FlowLogGroupName pulumi.StringOutput `pulumi:"flowLogGroupName"`
	// Region is the AWS region, derived from the zone names.
	Region string
}

// Subnets returns the subnets of a tier, in Zones order.
func (n *Network) Subnets(t Tier) []*ec2.Subnet {
	switch t {
	case Public:
		return n.PublicSubnets
	case App:
		return n.AppSubnets
	case Data:
		return n.DataSubnets
	}
	return nil
}

// RegionOfZones returns the region the AZs belong to: each zone name minus its trailing letter
// (us-east-1a is in us-east-1). It fails when a name is not a regional AZ name or the zones span
// several regions.
func RegionOfZones(zones []string) (string, error) {
	if len(zones) == 0 {
		return "", errors.New("no zones given: list AZ names such as us-east-1a")
	}
	region := ""
	for _, z := range zones {
		zoneRegion, ok := awsname.ZoneRegion(z)
		if !ok {
			return "", fmt.Errorf("zone %q is not an AZ name: use names such as us-east-1a (Local and Wavelength Zones are not supported)", z)
		}
		if region != "" && zoneRegion != region {
			return "", fmt.Errorf("zones %q span regions %s and %s: all zones must be in one region", zones, region, zoneRegion)
		}
		region = zoneRegion
	}
	return region, nil
}

func (a *NetworkArgs) validate() (string, error) {
	if a == nil {
		return "", errors.New("network args are nil: pass &network.NetworkArgs{VpcCidr, Zones, FlowLogRetentionDays}")
	}
	var errs []error
	if p, err := netip.ParsePrefix(a.VpcCidr); err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() < 16 || p.Bits() > 22 {
		errs = append(errs, fmt.Errorf("NetworkArgs.VpcCidr %q is invalid: use an IPv4 network from /16 to /22 with no host bits, such as 10.0.0.0/16", a.VpcCidr))
	}
	region := ""
	switch {
	case len(a.Zones) < 2:
		errs = append(errs, fmt.Errorf("NetworkArgs.Zones has %d zone(s): list at least 2 AZs, the high-availability architecture runs in at least 2", len(a.Zones)))
	case len(a.Zones) > MaxZones:
		errs = append(errs, fmt.Errorf("NetworkArgs.Zones has %d zones: at most %d fit the subnet plan", len(a.Zones), MaxZones))
	default:
		r, err := RegionOfZones(a.Zones)
		if err != nil {
			errs = append(errs, fmt.Errorf("NetworkArgs.Zones: %w", err))
		}
		region = r
		seen := map[string]bool{}
		for _, z := range a.Zones {
			if seen[z] {
				errs = append(errs, fmt.Errorf("NetworkArgs.Zones lists %q twice: every AZ must appear once", z))
			}
			seen[z] = true
		}
	}
	if !slices.Contains(flowLogRetentions, a.FlowLogRetentionDays) {
		errs = append(errs, fmt.Errorf("NetworkArgs.FlowLogRetentionDays %d is invalid: use a CloudWatch Logs retention such as 30, 90 or 365", a.FlowLogRetentionDays))
	}
	return region, errors.Join(errs...)
}

// NewNetwork creates the Network component: the VPC with its default security group locked down, the
// subnets of every tier in every AZ, the routing of each AZ (internet gateway, NAT gateway, route
// tables), the flow logs and the VPC endpoints.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	region, err := args.validate()
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	comp := &Network{Zones: slices.Clone(args.Zones), Region: region}
	if err := ctx.RegisterComponentResource("ess-ha:network:Network", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering network %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	common := maps.Clone(args.Tags)

	vpc, err := newVpc(ctx, name, args.VpcCidr, common, parent)
	if err != nil {
		return nil, err
	}
	comp.VpcID = vpc.ID()
	comp.VpcCidr = vpc.CidrBlock
	if err := comp.newSubnets(ctx, name, args, vpc, common, parent); err != nil {
		return nil, err
	}
	if err := comp.newRouting(ctx, name, vpc, common, parent); err != nil {
		return nil, err
	}
	flowLogGroup, err := newFlowLogs(ctx, name, vpc, args.FlowLogRetentionDays, common, parent)
	if err != nil {
		return nil, err
	}
	comp.FlowLogGroupName = flowLogGroup.Name
	endpointSG, err := newEndpoints(ctx, name, region, args.VpcCidr, vpc, comp, common, parent)
	if err != nil {
		return nil, err
	}
	comp.EndpointSecurityGroupID = endpointSG.ID()

	natIDs := pulumi.StringArray{}
	for _, n := range comp.NatGateways {
		natIDs = append(natIDs, n.ID().ToStringOutput())
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpcId":                   comp.VpcID,
		"vpcCidr":                 comp.VpcCidr,
		"zones":                   pulumi.ToStringArray(comp.Zones),
		"region":                  pulumi.String(region),
		"publicSubnetIds":         IDs(comp.PublicSubnets),
		"appSubnetIds":            IDs(comp.AppSubnets),
		"dataSubnetIds":           IDs(comp.DataSubnets),
		"natGatewayIds":           natIDs,
		"endpointSecurityGroupId": comp.EndpointSecurityGroupID,
		"flowLogGroupName":        comp.FlowLogGroupName,
	}); err != nil {
		return nil, fmt.Errorf("registering the outputs of network %s: %w", name, err)
	}
	return comp, nil
}

// newVpc creates the VPC, with DNS hostnames on, and adopts its default security group with no rules at
// all, so nothing placed in it by mistake can talk to anything.
func newVpc(ctx *pulumi.Context, name, cidr string, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*ec2.Vpc, error) {
	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(cidr),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               awstags.With(common, "Name", name+"-vpc"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating VPC %s-vpc: %w", name, err)
	}
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId:   vpc.ID(),
		Ingress: ec2.DefaultSecurityGroupIngressArray{},
		Egress:  ec2.DefaultSecurityGroupEgressArray{},
		Tags:    awstags.With(common, "Name", name+"-default-locked"),
	}, parent); err != nil {
		return nil, fmt.Errorf("locking down the default security group %s-default-sg: %w", name, err)
	}
	return vpc, nil
}

// newSubnets creates the subnets, tier by tier, zone by zone, with the CIDR blocks of SubnetCIDR.
func (n *Network) newSubnets(ctx *pulumi.Context, name string, args *NetworkArgs, vpc *ec2.Vpc, common map[string]string, parent pulumi.ResourceOrInvokeOption) error {
	for _, tier := range Tiers() {
		for i, zone := range args.Zones {
			cidr, err := SubnetCIDR(args.VpcCidr, tier, i)
			if err != nil {
				return fmt.Errorf("planning the %s subnet in %s: %w", tier, zone, err)
			}
			sname := fmt.Sprintf("%s-%s-%s", name, tier, zone)
			subnet, err := ec2.NewSubnet(ctx, sname, &ec2.SubnetArgs{
				VpcId:            vpc.ID(),
				CidrBlock:        pulumi.String(cidr),
				AvailabilityZone: pulumi.String(zone),
				// Even public subnets hand out no public IPs: only load balancers and NAT gateways
				// live there, and they get their addresses explicitly.
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                awstags.With(common, "Name", sname, "tier", tier.String(), "zone", zone),
			}, parent)
			if err != nil {
				return fmt.Errorf("creating subnet %s: %w", sname, err)
			}
			switch tier {
			case Public:
				n.PublicSubnets = append(n.PublicSubnets, subnet)
			case App:
				n.AppSubnets = append(n.AppSubnets, subnet)
			case Data:
				n.DataSubnets = append(n.DataSubnets, subnet)
			}
		}
	}
	return nil
}

// routing makes the route tables of one network, each associated with its subnet.
type routing struct {
	ctx    *pulumi.Context
	name   string
	vpc    *ec2.Vpc
	common map[string]string
	parent pulumi.ResourceOrInvokeOption
}

// table creates the route table of a tier in a zone, associated with the subnet, and its default route
// (0.0.0.0/0) when route sets its target.
func (r routing) table(tier Tier, zone string, subnet *ec2.Subnet, route func(*ec2.RouteArgs)) (*ec2.RouteTable, error) {
	rtName := fmt.Sprintf("%s-%s-rt-%s", r.name, tier, zone)
	rt, err := ec2.NewRouteTable(r.ctx, rtName, &ec2.RouteTableArgs{
		VpcId: r.vpc.ID(),
		Tags:  awstags.With(r.common, "Name", rtName, "tier", tier.String(), "zone", zone),
	}, r.parent)
	if err != nil {
		return nil, fmt.Errorf("creating route table %s: %w", rtName, err)
	}
	if route != nil {
		args := &ec2.RouteArgs{RouteTableId: rt.ID(), DestinationCidrBlock: pulumi.String("0.0.0.0/0")}
		route(args)
		if _, err := ec2.NewRoute(r.ctx, rtName+"-default", args, r.parent); err != nil {
			return nil, fmt.Errorf("creating the default route of %s: %w", rtName, err)
		}
	}
	if _, err := ec2.NewRouteTableAssociation(r.ctx, rtName+"-assoc", &ec2.RouteTableAssociationArgs{
		RouteTableId: rt.ID(),
		SubnetId:     subnet.ID(),
	}, r.parent); err != nil {
		return nil, fmt.Errorf("associating route table %s with its subnet: %w", rtName, err)
	}
	return rt, nil
}

// newRouting creates the internet gateway and, in every AZ, a public route table to it, a NAT gateway in
// the AZ's public subnet, an app route table to that NAT gateway (AZs share no egress path), and a data
// route table with no default route at all (see the Network doc comment).
func (n *Network) newRouting(ctx *pulumi.Context, name string, vpc *ec2.Vpc, common map[string]string, parent pulumi.ResourceOrInvokeOption) error {
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  awstags.With(common, "Name", name+"-igw"),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating internet gateway %s-igw: %w", name, err)
	}
	r := routing{ctx: ctx, name: name, vpc: vpc, common: common, parent: parent}
	for i, zone := range n.Zones {
		pub, err := r.table(Public, zone, n.PublicSubnets[i], func(a *ec2.RouteArgs) { a.GatewayId = igw.ID() })
		if err != nil {
			return err
		}
		n.PublicRouteTables = append(n.PublicRouteTables, pub)
		nat, err := newNatGateway(ctx, name, zone, n.PublicSubnets[i], igw, common, parent)
		if err != nil {
			return err
		}
		n.NatGateways = append(n.NatGateways, nat)
		app, err := r.table(App, zone, n.AppSubnets[i], func(a *ec2.RouteArgs) { a.NatGatewayId = nat.ID() })
		if err != nil {
			return err
		}
		n.AppRouteTables = append(n.AppRouteTables, app)
		data, err := r.table(Data, zone, n.DataSubnets[i], nil)
		if err != nil {
			return err
		}
		n.DataRouteTables = append(n.DataRouteTables, data)
	}
	return nil
}

// newNatGateway creates the NAT gateway of a zone, with its Elastic IP, in the zone's public subnet.
func newNatGateway(ctx *pulumi.Context, name, zone string, public *ec2.Subnet, igw *ec2.InternetGateway, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*ec2.NatGateway, error) {
	eipName := fmt.Sprintf("%s-nat-eip-%s", name, zone)
	eip, err := ec2.NewEip(ctx, eipName, &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   awstags.With(common, "Name", eipName, "zone", zone),
	}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
	if err != nil {
		return nil, fmt.Errorf("creating elastic IP %s: %w", eipName, err)
	}
	natName := fmt.Sprintf("%s-nat-%s", name, zone)
	nat, err := ec2.NewNatGateway(ctx, natName, &ec2.NatGatewayArgs{
		AllocationId: eip.AllocationId,
		SubnetId:     public.ID(),
		Tags:         awstags.With(common, "Name", natName, "zone", zone),
	}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
	if err != nil {
		return nil, fmt.Errorf("creating NAT gateway %s: %w", natName, err)
	}
	return nat, nil
}

// newFlowLogs sends every flow of the VPC (accepted and rejected) to a CloudWatch log group, through a
// role that the flow-logs service of this account only can assume and that may only write that group.
func newFlowLogs(ctx *pulumi.Context, name string, vpc *ec2.Vpc, retention int, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*cloudwatch.LogGroup, error) {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(retention),
		Tags:            awstags.With(common, "Name", name+"-flow-logs"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating flow log group %s-flow-logs: %w", name, err)
	}
	// The account, region and partition come from the group's ARN, so no invoke is needed to scope
	// the trust policy against the confused-deputy problem.
	trust := group.Arn.ApplyT(func(arn string) (string, error) {
		parts := strings.Split(arn, ":")
		if len(parts) < 5 {
			return "", fmt.Errorf("log group ARN %q is malformed", arn)
		}
		doc, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
				"Action":    "sts:AssumeRole",
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": parts[4]},
					"ArnLike": map[string]any{
						"aws:SourceArn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-flow-log/*", parts[1], parts[3], parts[4]),
					},
				},
			}},
		})
		return string(doc), err
	}).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-flow-logs-role", &iam.RoleArgs{
		Description:      pulumi.String("Lets VPC flow logs write to " + name + "-flow-logs"),
		AssumeRolePolicy: trust,
		Tags:             awstags.With(common, "Name", name+"-flow-logs-role"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating flow log role %s-flow-logs-role: %w", name, err)
	}
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		doc, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{
				map[string]any{
					"Sid":      "WriteThisGroupOnly",
					"Effect":   "Allow",
					"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
					"Resource": []string{arn, arn + ":*"},
				},
				map[string]any{
					// Listing groups cannot be scoped to one group; it reveals names only.
					"Sid":      "ListGroups",
					"Effect":   "Allow",
					"Action":   "logs:DescribeLogGroups",
					"Resource": logGroupWildcard(arn),
				},
			},
		})
		return string(doc), err
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-flow-logs-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating flow log policy %s-flow-logs-policy: %w", name, err)
	}
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-log", &ec2.FlowLogArgs{
		VpcId:              vpc.ID(),
		TrafficType:        pulumi.String("ALL"),
		LogDestinationType: pulumi.String("cloud-watch-logs"),
		LogDestination:     group.Arn,
		IamRoleArn:         role.Arn,
		Tags:               awstags.With(common, "Name", name+"-flow-log"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy})); err != nil {
		return nil, fmt.Errorf("creating flow log %s-flow-log: %w", name, err)
	}
	return group, nil
}

// logGroupWildcard turns arn:aws:logs:r:a:log-group:name into arn:aws:logs:r:a:log-group:*.
func logGroupWildcard(arn string) string {
	if i := strings.Index(arn, ":log-group:"); i >= 0 {
		return arn[:i] + ":log-group:*"
	}
	return arn
}

// newEndpoints creates the S3 gateway endpoint on the app and data route tables and one interface
// endpoint per InterfaceEndpointServices entry in the app subnets of every AZ, behind a security group
// that admits HTTPS from the VPC only.
func newEndpoints(ctx *pulumi.Context, name, region, vpcCidr string, vpc *ec2.Vpc, comp *Network, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*ec2.SecurityGroup, error) {
	routeTables := pulumi.StringArray{}
	for _, rt := range slices.Concat(comp.AppRouteTables, comp.DataRouteTables) {
		routeTables = append(routeTables, rt.ID().ToStringOutput())
	}
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String("com.amazonaws." + region + ".s3"),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   routeTables,
		Tags:            awstags.With(common, "Name", name+"-s3"),
	}, parent); err != nil {
		return nil, fmt.Errorf("creating S3 gateway endpoint %s-s3: %w", name, err)
	}

	// No egress rules: the group is stateful, so replies flow back, and an endpoint never opens
	// connections of its own.
	sg, err := ec2.NewSecurityGroup(ctx, name+"-endpoints-sg", &ec2.SecurityGroupArgs{
		VpcId:       vpc.ID(),
		Description: pulumi.String("Interface VPC endpoints: HTTPS from the VPC only"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Description: pulumi.String("HTTPS from the VPC"),
			Protocol:    pulumi.String("tcp"),
			FromPort:    pulumi.Int(443),
			ToPort:      pulumi.Int(443),
			CidrBlocks:  pulumi.StringArray{pulumi.String(vpcCidr)},
		}},
		Egress: ec2.SecurityGroupEgressArray{},
		Tags:   awstags.With(common, "Name", name+"-endpoints"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating endpoint security group %s-endpoints-sg: %w", name, err)
	}
	for _, svc := range InterfaceEndpointServices() {
		epName := name + "-" + strings.ReplaceAll(svc, ".", "-")
		if _, err := ec2.NewVpcEndpoint(ctx, epName, &ec2.VpcEndpointArgs{
			VpcId:             vpc.ID(),
			ServiceName:       pulumi.String("com.amazonaws." + region + "." + svc),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         IDs(comp.AppSubnets),
			SecurityGroupIds:  pulumi.StringArray{sg.ID().ToStringOutput()},
			Tags:              awstags.With(common, "Name", epName),
		}, parent); err != nil {
			return nil, fmt.Errorf("creating interface endpoint %s: %w", epName, err)
		}
	}
	return sg, nil
}

// SubnetCIDR returns the deterministic CIDR block of a tier's subnet in the zone with index zone.
//
// The VPC block is split into 32 blocks of its prefix length plus 5 bits; the subnet is block
// tier*8 + zone. For 10.0.0.0/16: public subnets are 10.0.0.0/21, 10.0.8.0/21, ...; app subnets start
// at 10.0.64.0/21 and data subnets at 10.0.128.0/21. The last quarter of the VPC stays free.
func SubnetCIDR(vpcCidr string, tier Tier, zone int) (string, error) {
	p, err := netip.ParsePrefix(vpcCidr)
	if err != nil {
		return "", fmt.Errorf("VPC CIDR %q is invalid: use an IPv4 network such as 10.0.0.0/16: %w", vpcCidr, err)
	}
	if !p.Addr().Is4() || p.Masked() != p {
		return "", fmt.Errorf("VPC CIDR %q is invalid: use an IPv4 network with no host bits, such as 10.0.0.0/16", vpcCidr)
	}
	bits := p.Bits() + subnetBits
	if bits > 28 {
		return "", fmt.Errorf("VPC CIDR %q is too small: subnets would be /%d, smaller than the /28 AWS allows; use /23 or larger", vpcCidr, bits)
	}
	if tier < Public || tier > Data {
		return "", fmt.Errorf("tier %d is invalid: use network.Public, network.App or network.Data", int(tier))
	}
	if zone < 0 || zone >= MaxZones {
		return "", fmt.Errorf("zone index %d is invalid: the subnet plan has room for zones 0 to %d", zone, MaxZones-1)
	}
	index := uint32(int(tier)*MaxZones + zone)
	base := p.Addr().As4()
	addr := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	addr += index << (32 - bits)
	out := netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)})
	return netip.PrefixFrom(out, bits).String(), nil
}

// IDs returns the subnets' IDs, in order, as an input that carries each subnet as a dependency.
func IDs(subnets []*ec2.Subnet) pulumi.StringArray {
	out := make(pulumi.StringArray, 0, len(subnets))
	for _, s := range subnets {
		out = append(out, s.ID().ToStringOutput())
	}
	return out
}
