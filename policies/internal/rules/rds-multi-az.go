package rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// RdsMultiAZ is the name of the policy that every database survives the loss of an AZ.
const RdsMultiAZ = "ha-rds-multi-az"

func rdsMultiAZ() policy.Policy {
	return policy.Policy{
		Name: RdsMultiAZ,
		Description: "Every RDS DB instance has multiAz on; every Aurora cluster has instances (aws:rds/clusterInstance) " +
			"in at least 2 AZs (set by availabilityZone, or left to RDS with at least 2 instances over a subnet group " +
			"spanning at least 2 AZs); every non-Aurora DB cluster is a Multi-AZ DB cluster (dbClusterInstanceClass set).",
		Recommendation: recPostgres + ` ("Inrupt recommends enabling Multi-AZ on RDS instances"); ` + recAsurionAZ +
			` ("Amazon Aurora multi-AZ features to protect the database against AZ-level failures")`,
		DefaultLevel: policy.Mandatory,
		CheckStack:   checkRdsMultiAZ,
	}
}

// isAurora reports whether an engine is an Aurora engine.
func isAurora(engine string) bool { return strings.HasPrefix(engine, "aurora") }

func checkRdsMultiAZ(_ context.Context, s *policy.Stack, _ policy.Args) []policy.Violation {
	g := graph.Of(s)
	var out []policy.Violation
	for _, r := range g.OfType(graph.TypeRdsInstance) {
		if engine, _ := graph.Prop(r, "engine").Str(); isAurora(engine) {
			continue // an Aurora instance: its cluster is checked below
		}
		switch boolIs(r, "multiAz", false) {
		case graph.Maybe:
			out = append(out, unverifiable(r.URN, unknownReason(r, "multiAz"), "whether the database is Multi-AZ", recPostgres))
		case graph.No:
			out = append(out, finding(r, "multiAz", show(r, "multiAz"),
				"the DB instance runs in a single availability zone and goes down with it",
				"set multiAz to true (a standby in another availability zone, with automatic failover)", recPostgres))
		}
	}
	// Cluster members, by cluster.
	members := map[resource.URN][]*policy.Resource{}
	var orphans []string
	for _, m := range g.OfType(graph.TypeRdsClusterInstance) {
		refs := g.Resolve(m, "clusterIdentifier", graph.TypeRdsCluster)
		for _, c := range refs.Resources {
			members[c.URN] = append(members[c.URN], m)
		}
		if refs.Unknown {
			orphans = append(orphans, unknownReason(m, "clusterIdentifier"))
		}
	}
	for _, c := range g.OfType(graph.TypeRdsCluster) {
		out = append(out, checkCluster(g, c, members[c.URN], orphans)...)
	}
	return out
}

// checkCluster checks one aws:rds/cluster.
func checkCluster(g *graph.Graph, c *policy.Resource, members []*policy.Resource, orphans []string) []policy.Violation {
	engine := graph.Prop(c, "engine")
	name := engine.Text()
	switch {
	case engine.Unknown():
		return []policy.Violation{unverifiable(c.URN, unknownReason(c, "engine"), "whether the cluster is Multi-AZ", recPostgres)}
	case name.S == "":
		name = graph.Plain("aurora") // the provider's default engine
	}
	if !isAurora(name.S) {
		f := graph.Prop(c, "dbClusterInstanceClass")
		switch {
		case f.Unknown():
			return []policy.Violation{unverifiable(c.URN, unknownReason(c, "dbClusterInstanceClass"), "whether the cluster is a Multi-AZ DB cluster", recPostgres)}
		case !f.Present:
			return []policy.Violation{finding(c, "dbClusterInstanceClass", "null",
				fmt.Sprintf("the %s cluster is not a Multi-AZ DB cluster", name),
				"set dbClusterInstanceClass (with storageType and allocatedStorage) to make it a Multi-AZ DB cluster with two readable standbys in other availability zones",
				recPostgres)}
		}
		return nil
	}
	if mode, _ := graph.Prop(c, "engineMode").Str(); mode == "serverless" {
		return []policy.Violation{finding(c, "engineMode", show(c, "engineMode"),
			"Aurora Serverless v1 runs its capacity in one availability zone",
			`use engineMode "provisioned" with aws:rds/clusterInstance members (Serverless v2 instances allowed) in at least 2 availability zones`,
			recAsurionAZ)}
	}
	zones := map[string]bool{}
	secret := false
	unset := 0
	unknown := ""
	for _, m := range members {
		f := graph.Prop(m, "availabilityZone")
		switch az, ok := f.Str(); {
		case f.Unknown():
			unknown = firstNonEmpty(unknown, unknownReason(m, "availabilityZone"))
		case ok && az != "":
			zones[az] = true
			secret = secret || f.Secret
		default:
			unset++
		}
	}
	if len(zones) >= 2 {
		return nil
	}
	if len(members) < 2 {
		if len(orphans) > 0 {
			return []policy.Violation{unverifiable(c.URN, orphans[0], "how many instances the Aurora cluster has", recAsurionAZ)}
		}
		return []policy.Violation{finding(c, "", "",
			fmt.Sprintf("the Aurora cluster has %s (aws:rds/clusterInstance with clusterIdentifier naming it), so it runs in one availability zone at most", plural(len(members), "instance")),
			"add aws:rds/clusterInstance members, a writer and at least one reader, in at least 2 availability zones",
			recAsurionAZ+"; "+recPostgres)}
	}
	if unknown != "" {
		return []policy.Violation{unverifiable(c.URN, unknown, "whether the Aurora cluster's instances span 2 availability zones", recAsurionAZ)}
	}
	if unset == 0 {
		return []policy.Violation{finding(c, "", "",
			fmt.Sprintf("all %d instances of the Aurora cluster are pinned to %s", len(members), graph.Zones{Names: sortedKeys(zones), Secret: secret}),
			"set the members' availabilityZone to at least 2 different availability zones (or leave it unset over a multi-AZ subnet group)",
			recAsurionAZ+"; "+recPostgres)}
	}
	// RDS places members without an AZ over the subnet group's AZs.
	groups := g.Resolve(c, "dbSubnetGroupName", graph.TypeRdsSubnetGroup)
	if !graph.Prop(c, "dbSubnetGroupName").Present {
		return []policy.Violation{finding(c, "dbSubnetGroupName", "null",
			"without a DB subnet group the cluster's placement over availability zones is not under the stack's control",
			"set dbSubnetGroupName to a subnet group over private subnets in at least 2 availability zones", recAsurionAZ)}
	}
	if reason := refsReason(c, "dbSubnetGroupName", groups); reason != "" && len(groups.Resources) == 0 {
		return []policy.Violation{unverifiable(c.URN, reason, "whether the Aurora cluster's instances span 2 availability zones", recAsurionAZ)}
	}
	for _, sg := range groups.Resources {
		subs, refs := g.SubnetsOf(sg, "subnetIds")
		z := graph.ZonesOf(subs)
		for _, n := range z.Names {
			zones[n] = true
		}
		if len(zones) >= 2 {
			return nil
		}
		if reason := firstNonEmpty(refsReason(sg, "subnetIds", refs), first(z.Unknown)); reason != "" {
			return []policy.Violation{unverifiable(c.URN, reason, "whether the Aurora cluster's instances span 2 availability zones", recAsurionAZ)}
		}
	}
	return []policy.Violation{finding(c, "dbSubnetGroupName", show(c, "dbSubnetGroupName"),
		"the cluster's subnet group spans fewer than 2 availability zones, so its instances cannot",
		"use a DB subnet group over private subnets in at least 2 availability zones", recAsurionAZ+"; "+recPostgres)}
}
