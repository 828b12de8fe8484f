package rules

import (
	"context"
	"fmt"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// CacheFailover is the name of the policy that the cache fails over to another AZ.
const CacheFailover = "ha-cache-failover"

func cacheFailover() policy.Policy {
	return policy.Policy{
		Name: CacheFailover,
		Description: "ElastiCache replication groups fail over to another AZ: automaticFailoverEnabled and multiAzEnabled " +
			"on, at least one replica (numCacheClusters >= 2, or replicasPerNodeGroup >= 1 in cluster mode), and " +
			"preferredCacheClusterAzs, when set, putting the primary and the first replica in different AZs. A " +
			"standalone Redis/Valkey aws:elasticache/cluster (no failover) is a violation; a Memcached one must be " +
			"cross-az with at least 2 nodes.",
		Recommendation: recAsurionAZ + ` ("ElastiCache for Redis ... deployed in 2 AZs (primary in one AZ and replica in another AZ)")`,
		DefaultLevel:   policy.Mandatory,
		CheckResource:  checkCacheFailover,
	}
}

func checkCacheFailover(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
	rec := recAsurionAZ
	var out []policy.Violation
	switch graph.Canonical(r.Type) {
	case graph.TypeCacheReplication:
		for _, prop := range []string{"automaticFailoverEnabled", "multiAzEnabled"} {
			switch boolIs(r, prop, false) {
			case graph.Maybe:
				out = append(out, unverifiable(r.URN, unknownReason(r, prop), "whether the cache fails over", rec))
			case graph.No:
				out = append(out, finding(r, prop, showOr(r, prop, "null (false)"),
					"when the primary's availability zone fails, the cache does not promote its replica in another zone",
					"set automaticFailoverEnabled and multiAzEnabled to true", rec))
			}
		}
		nodes, prop, known := cacheNodes(r)
		switch {
		case !known:
			out = append(out, unverifiable(r.URN, unknownReason(r, prop), "whether the cache has a replica", rec))
		case nodes < 2:
			out = append(out, finding(r, prop, showOr(r, prop, "null (1 node)"),
				"the cache has no replica to fail over to",
				"set numCacheClusters to at least 2 (replicasPerNodeGroup to at least 1 in cluster mode)", rec))
		}
		azs := graph.Prop(r, "preferredCacheClusterAzs")
		if azs.Unknown() {
			out = append(out, unverifiable(r.URN, unknownReason(r, "preferredCacheClusterAzs"), "whether primary and replica are in different zones", rec))
			break
		}
		if list, _ := azs.Texts(); len(list) >= 2 && list[0].S == list[1].S {
			out = append(out, finding(r, "preferredCacheClusterAzs", azs.Show(),
				fmt.Sprintf("the primary and the first replica are both placed in %s", graph.ZonesOfTexts(list[:2])),
				"list different availability zones, primary first, then the replicas'", rec))
		} else if len(list) > 0 && len(distinctStrings(graph.Strs(list))) < 2 {
			out = append(out, finding(r, "preferredCacheClusterAzs", azs.Show(),
				"every node is placed in one availability zone",
				"list at least 2 different availability zones", rec))
		}
	case graph.TypeCacheCluster:
		if graph.Prop(r, "replicationGroupId").Present {
			return nil // a member of a replication group, checked there
		}
		engine := graph.Prop(r, "engine")
		e, _ := engine.Str()
		switch {
		case engine.Unknown():
			out = append(out, unverifiable(r.URN, unknownReason(r, "engine"), "whether the cache can fail over", rec))
		case e == "memcached":
			mode := graph.Prop(r, "azMode")
			n, _ := graph.Prop(r, "numCacheNodes").Num()
			if v, _ := mode.Str(); !mode.Unknown() && (v != "cross-az" || n < 2) {
				out = append(out, finding(r, "azMode", showOr(r, "azMode", `null ("single-az")`),
					"the Memcached nodes sit in one availability zone",
					`set azMode to "cross-az" and numCacheNodes to at least 2`, rec))
			}
		default:
			out = append(out, finding(r, "engine", engine.Show(),
				fmt.Sprintf("a standalone %s cluster is a single node with no replica to fail over to", engine.Text()),
				"use an aws:elasticache/replicationGroup with automatic failover, Multi-AZ and a replica in another availability zone", rec))
		}
	}
	return out
}
