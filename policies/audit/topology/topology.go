// Package topology derives the shape of an audited deployment from its state: per region (stack), the
// availability zones and their subnet tiers, the load balancers, the ess and backend pools, the
// database, the cache, the registry, the Route 53 health checks and the drain switches. The HTML
// report draws it and the availability model reads it. Only values that are not secret are kept.
package topology

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Topology is a deployment: one region per audited stack.
type Topology struct {
	Regions []Region `json:"regions"`
}

// Region is one stack's region.
type Region struct {
	// Stack is the stack's name; Name the AWS region (from its default provider), when known.
	Stack string `json:"stack"`
	Name  string `json:"name"`
	// Zones are the availability zones the stack's subnets are in, sorted.
	Zones []Zone `json:"zones"`
	// LoadBalancers, Pools, Databases, Caches, Registries, HealthChecks and DrainSwitches are the
	// region's components.
	LoadBalancers []Node `json:"loadBalancers"`
	Pools         []Node `json:"pools"`
	Databases     []Node `json:"databases"`
	Caches        []Node `json:"caches"`
	Registries    []Node `json:"registries"`
	HealthChecks  []Node `json:"healthChecks"`
	DrainSwitches []Node `json:"drainSwitches"`
	NATGateways   []Node `json:"natGateways"`
}

// Zone is one availability zone and its subnets.
type Zone struct {
	Name    string `json:"name"`
	Subnets []Node `json:"subnets"`
}

// Node is one resource of the topology.
type Node struct {
	URN  resource.URN `json:"urn"`
	Type string       `json:"type"`
	Name string       `json:"name"`
	// Label says what the node is, e.g. "public subnet", "ess pool, 3 to 9 instances".
	Label string `json:"label"`
	// Zones are the availability zones the node spans, when known.
	Zones []string `json:"zones,omitempty"`
	// Tier is a subnet's tier: public (routes to an internet gateway) or private.
	Tier string `json:"tier,omitempty"`
	// Size is the node's count of instances or nodes (pool desired capacity, database instances, cache
	// nodes), when known.
	Size int `json:"size,omitempty"`
}
