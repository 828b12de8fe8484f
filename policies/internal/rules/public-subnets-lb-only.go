package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// PublicSubnetsLBOnly is the name of the policy that only load balancers and NAT gateways sit in public
// subnets.
const PublicSubnetsLBOnly = "ha-public-subnets-lb-only"

func publicSubnetsLBOnly() policy.Policy {
	return policy.Policy{
		Name: PublicSubnetsLBOnly,
		Description: "Only load balancers and NAT gateways sit in public subnets (subnets whose route table sends " +
			"0.0.0.0/0 or ::/0 to an internet gateway). Auto-scaling groups, instances, DB and cache subnet groups, " +
			"ECS services, Lambda functions, network interfaces, EFS mount targets, interface VPC endpoints, launch " +
			"templates and anything else placed by subnet must use private subnets; no launch template, instance, " +
			"launch configuration, ECS service or Elastic IP may give an instance a public IP; no database may be " +
			"publicly accessible.",
		Recommendation: recAZ + ` ("only the load balancer should run on the public subnet"); ` + recLB +
			` ("Load Balancers are the only ESS component in the public subnets")`,
		DefaultLevel: policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"allowedTypes": {
				"type":        "array",
				"items":       map[string]any{"type": "string"},
				"default":     []any{},
				"description": "More resource type tokens allowed in public subnets (e.g. a bastion's aws:ec2/instance:Instance), besides load balancers and NAT gateways.",
			},
		}},
		CheckStack: checkPublicSubnetsLBOnly,
	}
}

// placements lists, per resource type, the properties that place it in subnets. Any other resource type
// with a top-level subnetId or subnetIds property is treated as placed by it too, unless it is in
// notPlacements.
//
// Interface VPC endpoints count as placements: their network interfaces serve the private instances and
// belong in private subnets like them (the Inrupt document allows nothing but the load balancer in public
// subnets; NAT gateways are allowed because egress cannot work otherwise). Gateway endpoints have no
// subnets and are not concerned.
var placements = map[string][]string{
	graph.TypeAutoscalingGroup:                        {"vpcZoneIdentifiers"},
	graph.TypeInstance:                                {"subnetId"},
	graph.TypeRdsSubnetGroup:                          {"subnetIds"},
	graph.TypeCacheSubnetGroup:                        {"subnetIds"},
	graph.TypeEcsService:                              {"networkConfiguration.subnets"},
	graph.TypeLambdaFunction:                          {"vpcConfig.subnetIds"},
	graph.TypeNetworkInterface:                        {"subnetId"},
	graph.TypeEfsMountTarget:                          {"subnetId"},
	graph.TypeVpcEndpoint:                             {"subnetIds", "subnetConfigurations.subnetId"},
	graph.TypeLaunchTemplate:                          {"networkInterfaces.subnetId"},
	"aws:eks/nodeGroup:NodeGroup":                     {"subnetIds"},
	"aws:eks/fargateProfile:FargateProfile":           {"subnetIds"},
	"aws:elasticache/serverlessCache:ServerlessCache": {"subnetIds"},
	"aws:rds/proxy:Proxy":                             {"vpcSubnetIds"},
	"aws:msk/cluster:Cluster":                         {"brokerNodeGroupInfo.clientSubnets"},
	"aws:opensearch/domain:Domain":                    {"vpcOptions.subnetIds"},
	"aws:batch/computeEnvironment:ComputeEnvironment": {"computeResources.subnets"},
	"aws:ecs/taskSet:TaskSet":                         {"networkConfiguration.subnets"},
	"aws:sagemaker/domain:Domain":                     {"subnetIds"},
}

// allowedInPublic are the types that may sit in public subnets.
var allowedInPublic = []string{graph.TypeLoadBalancer, graph.TypeClassicLoadBalancer, graph.TypeNatGateway}

// notPlacements are types whose subnet properties do not put anything in the subnet.
var notPlacements = map[string]bool{
	graph.TypeSubnet:                                                  true,
	graph.TypeRouteTableAssociation:                                   true,
	"aws:ec2/networkAclAssociation:NetworkAclAssociation":             true,
	"aws:ec2/networkAcl:NetworkAcl":                                   true,
	"aws:ec2/defaultNetworkAcl:DefaultNetworkAcl":                     true,
	"aws:ec2/subnetCidrReservation:SubnetCidrReservation":             true,
	"aws:ec2/flowLog:FlowLog":                                         true,
	"aws:ec2transitgateway/vpcAttachment:VpcAttachment":               true,
	"aws:networkfirewall/firewall:Firewall":                           true,
	"aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation": true,
	"aws:ram/resourceAssociation:ResourceAssociation":                 true,
}

func checkPublicSubnetsLBOnly(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	g := graph.Of(s)
	allowed := append(slices.Clone(allowedInPublic), cfgStrings(args, "allowedTypes", nil)...)
	for i, t := range allowed {
		allowed[i] = graph.Canonical(t)
	}
	// Elastic IPs that NAT gateways and load balancers use are theirs.
	ownedEIPs := map[*policy.Resource]bool{}
	for _, n := range g.OfType(graph.TypeNatGateway) {
		for _, p := range []string{"allocationId", "secondaryAllocationIds"} {
			for _, e := range g.Resolve(n, p, graph.TypeEip).Resources {
				ownedEIPs[e] = true
			}
		}
	}
	for _, lb := range g.OfType(graph.TypeLoadBalancer) {
		for _, e := range g.Resolve(lb, "subnetMappings.allocationId", graph.TypeEip).Resources {
			ownedEIPs[e] = true
		}
	}
	var out []policy.Violation
	for _, r := range g.Resources() {
		t := g.Type(r)
		if slices.Contains(allowed, t) || notPlacements[t] {
			continue
		}
		out = append(out, placement(g, r, t)...)
		out = append(out, publicAddress(g, r, t, ownedEIPs)...)
	}
	return out
}

// placement checks the subnets a resource is placed in.
func placement(g *graph.Graph, r *policy.Resource, t string) []policy.Violation {
	paths, ok := placements[t]
	if !ok {
		for _, p := range []string{"subnetId", "subnetIds"} {
			if graph.Prop(r, p).Present {
				paths = append(paths, p)
			}
		}
	}
	var out []policy.Violation
	for _, path := range paths {
		top := strings.Split(path, ".")[0]
		if !graph.Prop(r, top).Present {
			continue
		}
		subs, refs := g.SubnetsOf(r, path)
		var public []string
		var why, maybe string
		for _, sn := range subs {
			switch sn.Public {
			case graph.Yes:
				public = append(public, graph.Describe(sn.Resource))
				why = firstNonEmpty(why, sn.Why)
			case graph.Maybe:
				maybe = firstNonEmpty(maybe, sn.Why)
			}
		}
		switch {
		case len(public) > 0:
			out = append(out, finding(r, path, show(r, top),
				fmt.Sprintf("places it in public %s %s (%s); only load balancers and NAT gateways belong in public subnets",
					pluralWord(len(public), "subnet"), graph.List(public, ", "), why),
				"place it in private subnets, whose route tables send 0.0.0.0/0 to a NAT gateway, never to an internet gateway",
				recAZ+"; "+recLB))
		case maybe != "":
			out = append(out, unverifiable(r.URN, maybe, "whether "+graph.Describe(r)+" sits in a public subnet", recAZ))
		case refsReason(r, top, refs) != "":
			out = append(out, unverifiable(r.URN, refsReason(r, top, refs), "whether it sits in a public subnet", recAZ))
		}
	}
	return out
}

// pluralWord returns word or word+"s".
func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// publicAddress checks requests for public IPs and publicly accessible databases.
func publicAddress(g *graph.Graph, r *policy.Resource, t string, ownedEIPs map[*policy.Resource]bool) []policy.Violation {
	var out []policy.Violation
	flag := func(path, problem, fix string) {
		f := graph.Prop(r, path)
		if !f.Present {
			return
		}
		if !f.Known {
			out = append(out, unverifiable(r.URN, unknownReason(r, path), "whether it gets a public address", recAZ))
			return
		}
		if b, ok := f.Bool(); ok && b {
			out = append(out, finding(r, path, f.Show(), problem, fix, recAZ+"; "+recLB))
		}
	}
	switch t {
	case graph.TypeLaunchTemplate:
		for _, ni := range graph.Prop(r, "networkInterfaces").Items() {
			f := ni.Get("associatePublicIpAddress")
			switch {
			case f.Unknown():
				out = append(out, unverifiable(r.URN, unknownReason(r, f.Path), "whether its instances get public IPs", recAZ))
			case f.Present:
				if b, ok := f.Bool(); ok && b {
					out = append(out, finding(r, f.Path, f.Show(),
						"the launch template gives every instance a public IP, reachable from the internet around the load balancer",
						`set associatePublicIpAddress to "false" (or leave it out) and keep the instances in private subnets`, recAZ+"; "+recLB))
				}
			}
		}
	case graph.TypeInstance, graph.TypeLaunchConfiguration:
		flag("associatePublicIpAddress", "the instance gets a public IP, reachable from the internet around the load balancer",
			"set associatePublicIpAddress to false and keep the instance in a private subnet")
	case graph.TypeEcsService, "aws:ecs/taskSet:TaskSet":
		flag("networkConfiguration.assignPublicIp", "the service's tasks get public IPs",
			"set networkConfiguration.assignPublicIp to false and use private subnets")
	case graph.TypeRdsInstance, graph.TypeRdsClusterInstance:
		flag("publiclyAccessible", "the database is publicly accessible",
			"set publiclyAccessible to false; only the ess pool reaches the database, from private subnets")
	case graph.TypeEip:
		if ownedEIPs[r] {
			return nil
		}
		for _, p := range []string{"instance", "networkInterface"} {
			f := graph.Prop(r, p)
			if v, ok := f.Str(); !f.Present || (ok && v == "") {
				continue
			}
			refs := g.Resolve(r, p, graph.TypeInstance, graph.TypeNetworkInterface)
			if len(refs.Resources) == 0 && refs.Unknown {
				out = append(out, unverifiable(r.URN, unknownReason(r, p), "whether the Elastic IP gives an instance a public address", recAZ))
				break
			}
			target := f.Show()
			if len(refs.Resources) > 0 {
				target = describeAll(refs.Resources)
			}
			out = append(out, finding(r, p, f.Show(),
				"the Elastic IP is attached to "+target+", which makes it reachable from the internet around the load balancer",
				"remove the Elastic IP; only NAT gateways and load balancers get public addresses", recAZ+"; "+recLB))
			break
		}
	case "aws:ec2/eipAssociation:EipAssociation":
		out = append(out, finding(r, "", "",
			"the Elastic IP association gives an instance or network interface a public address",
			"remove it; only NAT gateways and load balancers get public addresses", recAZ+"; "+recLB))
	}
	return out
}
