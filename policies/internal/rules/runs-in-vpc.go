package rules

import (
	"context"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// RunsInVPC is the name of the policy that every ESS component is placed in the stack's chosen subnets.
const RunsInVPC = "ha-runs-in-vpc"

// vpcPlacement lists, per type, the properties of which one must be set to place the resource in chosen
// subnets rather than in the account's default VPC.
var vpcPlacement = map[string][]string{
	graph.TypeAutoscalingGroup: {"vpcZoneIdentifiers"},
	graph.TypeInstance:         {"subnetId", "networkInterfaces", "launchTemplate"},
	graph.TypeRdsInstance:      {"dbSubnetGroupName", "replicateSourceDb"},
	graph.TypeRdsCluster:       {"dbSubnetGroupName"},
	graph.TypeCacheReplication: {"subnetGroupName", "globalReplicationGroupId"},
	graph.TypeCacheCluster:     {"subnetGroupName", "replicationGroupId"},
	graph.TypeLoadBalancer:     {"subnets", "subnetMappings"},
}

func runsInVPC() policy.Policy {
	return policy.Policy{
		Name: RunsInVPC,
		Description: "Every ESS component is placed in subnets the stack chooses, not in the account's default VPC: " +
			"auto-scaling groups have vpcZoneIdentifiers, instances a subnetId (or a network interface or launch " +
			"template), RDS instances and clusters and ElastiCache groups and clusters a subnet group, load balancers " +
			"subnets or subnet mappings.",
		Recommendation: recVPC + ` ("ESS runs within a Virtual Private Cloud")`,
		DefaultLevel:   policy.Mandatory,
		CheckResource:  checkRunsInVPC,
	}
}

func checkRunsInVPC(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
	props, ok := vpcPlacement[graph.Canonical(r.Type)]
	if !ok {
		return nil
	}
	for _, p := range props {
		f := graph.Prop(r, p)
		if f.Unknown() {
			return nil // set, to a value known later
		}
		if v, isStr := f.Str(); f.Present && (!isStr || v != "") {
			if items := f.Items(); f.Value.IsArray() && len(items) == 0 {
				continue
			}
			return nil
		}
	}
	return []policy.Violation{finding(r, props[0], show(r, props[0]),
		"the resource is not placed in any subnet the stack chooses, so AWS puts it in the account's default VPC, outside the ESS network",
		"set "+props[0]+" to the private subnets (or subnet group) of the ESS VPC", recVPC)}
}
