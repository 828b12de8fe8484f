// Package availability estimates the availability of the audited ESS service from its topology. It is
// a model, labelled as one: it multiplies the monthly uptime commitments AWS publishes in its service
// level agreements, tier by tier, under stated independence assumptions. It is not a measurement and
// not a promise; every figure it uses is cited in the result, with every assumption it makes.
package availability

import (
	"fmt"

	"github.com/ess-ha/ess-ha/policies/audit/topology"
)

// Label is what every estimate says it is.
const Label = "MODEL, not a measurement: the product of AWS's published monthly uptime commitments (SLAs) for the " +
	"components the state shows, under the assumptions listed. Real availability also depends on the software, on " +
	"operations and on failures the SLAs exclude."

// SLA is one published uptime commitment.
type SLA struct {
	Service string  `json:"service"`
	Terms   string  `json:"terms"`
	Uptime  float64 `json:"uptime"`
	URL     string  `json:"url"`
}

// The SLA figures the model uses, each from the page cited.
var (
	// https://aws.amazon.com/compute/sla/historical/ (Region-Level SLA: "deployed concurrently across two or
	// more AZs ... at least 99.99%"); instance-level 99.5%: https://www.dev-toolbox.tech/tools/uptime-calculator/examples/aws-ec2-sla
	ec2Region   = SLA{"Amazon EC2", "Region-Level SLA: instances across two or more AZs", 0.9999, "https://aws.amazon.com/compute/sla/"}
	ec2Instance = SLA{"Amazon EC2", "Instance-Level SLA: instances in one AZ", 0.995, "https://aws.amazon.com/compute/sla/"}
	// https://aws.amazon.com/vi/elasticloadbalancing/sla/ ("Multi-AZ Load Balancer ... Less than 99.99%";
	// "Single Load Balancer ... Less than 99.9%").
	elbMulti  = SLA{"Elastic Load Balancing", "Multi-AZ Load Balancer SLA", 0.9999, "https://aws.amazon.com/elasticloadbalancing/sla/"}
	elbSingle = SLA{"Elastic Load Balancing", "Single Load Balancer SLA", 0.999, "https://aws.amazon.com/elasticloadbalancing/sla/"}
	// https://aws.amazon.com/rds/aurora/sla/ (Multi-AZ SLA 99.99%, Single-AZ SLA 99.9%).
	auroraMulti  = SLA{"Amazon Aurora", "Multi-AZ SLA: cluster across two or more AZs", 0.9999, "https://aws.amazon.com/rds/aurora/sla/"}
	auroraSingle = SLA{"Amazon Aurora", "Single-AZ SLA", 0.999, "https://aws.amazon.com/rds/aurora/sla/"}
	// http://aws.amazon.com/es/rds-sla/ (Multi-AZ DB Instance 99.95%, Single-DB Instance 99.5%).
	rdsMulti  = SLA{"Amazon RDS", "Multi-AZ DB Instance SLA", 0.9995, "https://aws.amazon.com/rds/sla/"}
	rdsSingle = SLA{"Amazon RDS", "Single-DB Instance SLA", 0.995, "https://aws.amazon.com/rds/sla/"}
	// https://thinkwithwp.com/blogs/database/introducing-99-99-availability-with-amazon-elasticache-for-redis-and-amazon-memorydb-for-redis
	// (a copy of the AWS Database Blog post: Multi-AZ 99.99%, Single-AZ 99.50%).
	cacheMulti  = SLA{"Amazon ElastiCache", "Multi-AZ ElastiCache SLA", 0.9999, "https://aws.amazon.com/elasticache/sla/"}
	cacheSingle = SLA{"Amazon ElastiCache", "Single-AZ ElastiCache SLA", 0.995, "https://aws.amazon.com/elasticache/sla/"}
	// https://cloudonaut.io/aws-sla-are-you-able-to-keep-your-availability-promise/ (Route 53 100.0%).
	route53 = SLA{"Amazon Route 53", "Route 53 SLA (DNS queries)", 1.0, "https://aws.amazon.com/route53/sla/"}
)

// Estimate is the result of the model.
type Estimate struct {
	// Model says what this is (Label).
	Model string `json:"model"`
	// Regions has one estimate per audited stack.
	Regions []Region `json:"regions"`
	// Pair is the estimate of the two regions together, when two stacks were audited.
	Pair *Pair `json:"pair,omitempty"`
	// Assumptions are every assumption the figures rest on.
	Assumptions []string `json:"assumptions"`
	// Sources are the SLA figures used.
	Sources []SLA `json:"sources"`
}

// Region is one region's estimate.
type Region struct {
	Stack  string `json:"stack"`
	Region string `json:"region"`
	// Tiers are the serial tiers of a request, each with the SLA it is given.
	Tiers []Tier `json:"tiers"`
	// Availability is the product of the tiers'.
	Availability float64 `json:"availability"`
	// DowntimeMinutesPerMonth is what Availability allows in a 30-day month.
	DowntimeMinutesPerMonth float64 `json:"downtimeMinutesPerMonth"`
	// AZLoss says what the loss of one availability zone leaves, tier by tier.
	AZLoss []string `json:"azLoss"`
}

// Tier is one tier of a region.
type Tier struct {
	Name         string  `json:"name"`
	Component    string  `json:"component"`
	Availability float64 `json:"availability"`
	SLA          SLA     `json:"sla"`
	// Why says which fact of the state chose the SLA.
	Why string `json:"why"`
}

// Pair is the two regions' estimate.
type Pair struct {
	// Availability is 1-(1-a)(1-b) over the regions without DNS, times DNS.
	Availability            float64  `json:"availability"`
	DowntimeMinutesPerMonth float64  `json:"downtimeMinutesPerMonth"`
	Formula                 string   `json:"formula"`
	RegionLoss              []string `json:"regionLoss"`
}

const minutesPerMonth = 30 * 24 * 60

// Of estimates the availability of a topology.
func Of(t *topology.Topology) *Estimate {
	e := &Estimate{Model: Label, Assumptions: assumptions(), Sources: []SLA{route53, elbMulti, elbSingle, ec2Region, ec2Instance,
		auroraMulti, auroraSingle, rdsMulti, rdsSingle, cacheMulti, cacheSingle}}
	if t == nil {
		return e
	}
	for _, r := range t.Regions {
		e.Regions = append(e.Regions, region(r))
	}
	if len(e.Regions) == 2 {
		a, b := withoutDNS(e.Regions[0]), withoutDNS(e.Regions[1])
		p := route53.Uptime * (1 - (1-a)*(1-b))
		e.Pair = &Pair{
			Availability:            p,
			DowntimeMinutesPerMonth: (1 - p) * minutesPerMonth,
			Formula: fmt.Sprintf("Route 53 %.4f%% × (1 − (1 − %.6f) × (1 − %.6f)): either region serves every request "+
				"(active-active), and each region's availability is its tiers' product without DNS", route53.Uptime*100, a, b),
			RegionLoss: regionLoss(t),
		}
	}
	return e
}

func withoutDNS(r Region) float64 {
	a := 1.0
	for _, t := range r.Tiers {
		if t.SLA != route53 {
			a *= t.Availability
		}
	}
	return a
}

func assumptions() []string {
	return []string{
		"A request needs every tier of one region: DNS, the load balancer, an ess instance, a backend instance, the database and the cache; " +
			"the registry and the drain switch's S3 bucket are not on the request path (the registry is needed only to launch instances, " +
			"and an inverted drain check reads an unreachable bucket as healthy).",
		"Tiers fail independently of each other, and the two regions fail independently of each other; real outages are often " +
			"correlated (a shared dependency, a bad deployment to both regions), which this model does not capture.",
		"Each tier is given exactly the SLA's monthly uptime commitment for the deployment the state shows (multi-AZ when its nodes span " +
			"two or more zones), although AWS usually does better, and the SLAs exclude some failures.",
		"The ess and the backend pools are each given the EC2 Region-Level SLA when they span two or more zones, whatever their size; " +
			"the model does not check that the zones left after a loss have the capacity for the load.",
		"For the pair, failover is instant and complete: Route 53 health checks steer every request to the healthy region. In " +
			"reality it takes the health checks' failure threshold and DNS TTLs, and writes wait until the global database's " +
			"writer is in a healthy region.",
	}
}

func region(r topology.Region) Region {
	out := Region{Stack: r.Stack, Region: r.Name}
	out.Tiers = append(out.Tiers, Tier{Name: "DNS", Component: "Route 53", Availability: route53.Uptime, SLA: route53,
		Why: "weighted records answer for the service's names"})
	out.Tiers = append(out.Tiers, lbTier(r.LoadBalancers))
	for _, pool := range []string{"ess", "backend"} {
		out.Tiers = append(out.Tiers, poolTier(pool, r.Pools))
	}
	out.Tiers = append(out.Tiers, dbTier(r.Databases), cacheTier(r.Caches))
	out.Availability = 1
	for _, t := range out.Tiers {
		out.Availability *= t.Availability
	}
	out.DowntimeMinutesPerMonth = (1 - out.Availability) * minutesPerMonth
	out.AZLoss = azLoss(r)
	return out
}

func lbTier(lbs []topology.Node) Tier {
	for _, lb := range lbs {
		if len(lb.Zones) >= 2 {
			return Tier{Name: "load balancer", Component: lb.Name, Availability: elbMulti.Uptime, SLA: elbMulti,
				Why: fmt.Sprintf("its subnets are in %d zones", len(lb.Zones))}
		}
	}
	name := "(none in the state)"
	if len(lbs) > 0 {
		name = lbs[0].Name
	}
	return Tier{Name: "load balancer", Component: name, Availability: elbSingle.Uptime, SLA: elbSingle,
		Why: "no load balancer of the state spans two zones"}
}

func poolTier(pool string, pools []topology.Node) Tier {
	for _, p := range pools {
		if !hasPrefix(p.Label, pool+" pool") {
			continue
		}
		if len(p.Zones) >= 2 {
			return Tier{Name: pool + " pool", Component: p.Name, Availability: ec2Region.Uptime, SLA: ec2Region,
				Why: fmt.Sprintf("its instances are in %d zones", len(p.Zones))}
		}
		return Tier{Name: pool + " pool", Component: p.Name, Availability: ec2Instance.Uptime, SLA: ec2Instance,
			Why: "its instances are in one zone (or its zones are unknown)"}
	}
	return Tier{Name: pool + " pool", Component: "(none in the state)", Availability: ec2Instance.Uptime, SLA: ec2Instance,
		Why: "no auto-scaling group of the state is tagged pool=" + pool}
}

func dbTier(dbs []topology.Node) Tier {
	for _, d := range dbs {
		if hasPrefix(d.Label, "Aurora cluster") {
			if len(d.Zones) >= 2 {
				return Tier{Name: "database", Component: d.Name, Availability: auroraMulti.Uptime, SLA: auroraMulti,
					Why: fmt.Sprintf("its %d instances are in %d zones", d.Size, len(d.Zones))}
			}
			return Tier{Name: "database", Component: d.Name, Availability: auroraSingle.Uptime, SLA: auroraSingle,
				Why: "its instances are in one zone (or their zones are unknown)"}
		}
	}
	for _, d := range dbs {
		if hasPrefix(d.Label, "RDS instance") {
			if d.Size >= 2 {
				return Tier{Name: "database", Component: d.Name, Availability: rdsMulti.Uptime, SLA: rdsMulti, Why: "multiAz is true"}
			}
			return Tier{Name: "database", Component: d.Name, Availability: rdsSingle.Uptime, SLA: rdsSingle, Why: "multiAz is not true"}
		}
	}
	return Tier{Name: "database", Component: "(none in the state)", Availability: rdsSingle.Uptime, SLA: rdsSingle,
		Why: "no database in the state: the lowest RDS commitment is assumed"}
}

func cacheTier(caches []topology.Node) Tier {
	for _, c := range caches {
		if c.Size >= 2 && len(c.Zones) != 1 {
			return Tier{Name: "cache", Component: c.Name, Availability: cacheMulti.Uptime, SLA: cacheMulti,
				Why: fmt.Sprintf("%d nodes with a replica to fail over to", c.Size)}
		}
	}
	name := "(none in the state)"
	if len(caches) > 0 {
		name = caches[0].Name
	}
	return Tier{Name: "cache", Component: name, Availability: cacheSingle.Uptime, SLA: cacheSingle,
		Why: "no replication group with a replica in another zone"}
}

// azLoss says, per component, what one zone's loss leaves.
func azLoss(r topology.Region) []string {
	var out []string
	say := func(kind string, n topology.Node) {
		switch z := len(n.Zones); {
		case z >= 2:
			out = append(out, fmt.Sprintf("%s %s keeps serving from %d of its %d zones", kind, n.Name, z-1, z))
		case z == 1:
			out = append(out, fmt.Sprintf("%s %s is lost with zone %s", kind, n.Name, n.Zones[0]))
		default:
			out = append(out, fmt.Sprintf("%s %s: its zones are not known from the state", kind, n.Name))
		}
	}
	for _, n := range r.LoadBalancers {
		say("load balancer", n)
	}
	for _, n := range r.Pools {
		if z := len(n.Zones); n.Size > 0 && z > 1 {
			lost := (n.Size + z - 1) / z // the most one zone holds when the group is balanced
			out = append(out, fmt.Sprintf("%s keeps at least %d of its %d instances until Auto Scaling launches replacements in the other zones",
				n.Label, n.Size-lost, n.Size))
			continue
		}
		say("pool", n)
	}
	for _, n := range r.Databases {
		switch {
		case len(n.Zones) >= 2:
			out = append(out, fmt.Sprintf("database %s fails over to an instance in another zone (the writer moves if it was in the lost zone)", n.Name))
		case hasPrefix(n.Label, "RDS instance") && n.Size >= 2:
			out = append(out, fmt.Sprintf("database %s fails over to its standby in another zone", n.Name))
		case hasPrefix(n.Label, "Aurora cluster") || hasPrefix(n.Label, "RDS instance"):
			say("database", n)
		}
	}
	for _, n := range r.Caches {
		if n.Size >= 2 {
			out = append(out, fmt.Sprintf("cache %s promotes its replica in another zone", n.Name))
		} else {
			say("cache", n)
		}
	}
	for _, n := range r.NATGateways {
		if len(n.Zones) == 1 {
			out = append(out, fmt.Sprintf("NAT gateway %s is lost with zone %s; the other zones keep their own", n.Name, n.Zones[0]))
		}
	}
	return out
}

// regionLoss says what the loss of each region leaves.
func regionLoss(t *topology.Topology) []string {
	var out []string
	for i, r := range t.Regions {
		o := t.Regions[1-i]
		line := fmt.Sprintf("losing %s (%s): Route 53 stops answering with its records once its health checks fail, and %s (%s) serves every request",
			r.Stack, r.Name, o.Stack, o.Name)
		for _, d := range r.Databases {
			if d.Label == "Aurora global database" {
				line += fmt.Sprintf("; if %s held the global database's writer, writes wait until %s's cluster is promoted (a managed "+
					"failover or a detach-and-promote, which the runbooks start)", r.Stack, o.Stack)
				break
			}
		}
		out = append(out, line)
	}
	return out
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
