package rules

// The pair policies check the two stacks of an active-active pair as one deployment, where one stack
// alone cannot tell: that both regions' records are in one hosted zone, that each region's drain object
// lives in the other region's bucket, that both database clusters belong to one global cluster, that the
// registry replicates both ways, and that the weighted records' set identifiers are distinct with at
// least one weight above zero. Each is a stack policy (policy.Policy.Pair) given both stacks' resources;
// it tells them apart by the stack of their URNs. Run on one stack, as during a preview, it finds
// nothing: an audit with both state files runs them (essha audit --file OWNER --file MEMBER).

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Names of the pair policies.
const (
	PairOneZone          = "ha-pair-one-zone"
	PairDrainCrossRegion = "ha-pair-drain-cross-region"
	PairGlobalDatabase   = "ha-pair-global-database"
	PairRegistryBothWays = "ha-pair-registry-both-ways"
	PairSetIdentifiers   = "ha-pair-set-identifiers"
)

// recPair is the AsurionID section the pair policies enforce.
var recPair = asurionSection("Designed for protection against regional service disruptions")

// Pair returns the pair policies, in a stable order, with their metadata. Each call returns fresh values.
func Pair() []policy.Policy {
	return withMetadata([]policy.Policy{
		pairPolicy(PairOneZone, "The weighted records of both regions of the pair are in one Route 53 hosted zone, and each name "+
			"the pair serves has a weighted record in both regions, so that Route 53 answers a name from one set of records it can "+
			"fail over between.", checkPairOneZone),
		pairPolicy(PairDrainCrossRegion, "Each region's drain health check (inverted, probing /drain/<region>) reads its drain "+
			"object from the other region's STOP bucket, so that draining a region does not depend on that region's S3, and "+
			"the switch still works when the region it drains is impaired.", checkPairDrainCrossRegion),
		pairPolicy(PairGlobalDatabase, "Both regions' Aurora clusters are members of one global cluster "+
			"(globalClusterIdentifier), which one of the two stacks declares, so that the other region holds a replica to "+
			"promote.", checkPairGlobalDatabase),
		pairPolicy(PairRegistryBothWays, "Each region's ECR registry replicates its images to the other region "+
			"(aws:ecr/replicationConfiguration), so that either region can pull the images it runs when the other is down.",
			checkPairRegistryBothWays),
		pairPolicy(PairSetIdentifiers, "Across both regions, the weighted records of one name and type have distinct "+
			"setIdentifier values (two records with one identifier are one record to Route 53), and at least one of their weights "+
			"is above zero (with every weight at zero Route 53 ignores the weights and answers with every record, so no region "+
			"can be drained by weight).", checkPairSetIdentifiers),
	})
}

func pairPolicy(name, description string, check func(*pair) []policy.Violation) policy.Policy {
	return policy.Policy{
		Name:           name,
		Description:    description,
		Recommendation: recPair,
		DefaultLevel:   policy.Mandatory,
		Pair:           true,
		CheckStack: func(_ context.Context, s *policy.Stack, _ policy.Args) []policy.Violation {
			p := pairOf(s)
			if p == nil {
				return nil
			}
			return check(p)
		},
	}
}

// side is one stack of the pair.
type side struct {
	name   string // the stack's name
	region string
	g      *graph.Graph
}

// pair is the two stacks of an active-active pair.
type pair struct {
	sides [2]*side
}

// other returns the side that is not s.
func (p *pair) other(s *side) *side {
	if p.sides[0] == s {
		return p.sides[1]
	}
	return p.sides[0]
}

// pairKey is the memo key of a stack's pair.
type pairKey struct{}

// pairOf splits a stack into the two stacks of a pair by the stack of the resources' URNs; nil unless
// there are exactly two.
func pairOf(s *policy.Stack) *pair {
	build := func() any {
		byStack := map[string][]*policy.Resource{}
		var order []string
		for _, r := range s.Resources {
			if r == nil || !r.URN.IsValid() {
				continue
			}
			k := string(r.URN.Project()) + "/" + string(r.URN.Stack())
			if _, ok := byStack[k]; !ok {
				order = append(order, k)
			}
			byStack[k] = append(byStack[k], r)
		}
		if len(order) != 2 {
			return (*pair)(nil)
		}
		p := &pair{}
		for i, k := range order {
			g := graph.New(&policy.Stack{Resources: byStack[k]})
			_, name, _ := strings.Cut(k, "/")
			p.sides[i] = &side{name: name, region: stackRegion(g), g: g}
		}
		return p
	}
	p, _ := s.Memo(pairKey{}, build).(*pair)
	return p
}

// stackRegion is a stack's region: its default AWS provider's, else the one its ARNs name most.
func stackRegion(g *graph.Graph) string {
	for _, p := range g.OfType(typeAwsProvider) {
		if strings.HasPrefix(graph.Name(p), "default") {
			if v, ok := graph.Prop(p, "region").Str(); ok && v != "" {
				return v
			}
		}
	}
	for _, r := range g.Resources() {
		if region, _ := regionOf(g, r); region != "" {
			return region
		}
	}
	return ""
}

// regionName names a side for messages.
func (s *side) regionName() string {
	if s.region != "" {
		return fmt.Sprintf("stack %s (%s)", s.name, s.region)
	}
	return "stack " + s.name
}

// recordKey names a record set: its name (lowercase, without the trailing dot) and type.
func recordKey(r *policy.Resource) (name, typ string, ok bool) {
	n, okN := graph.Prop(r, "name").Str()
	t, okT := graph.Prop(r, "type").Str()
	if !okN || !okT || graph.Prop(r, "name").Secret {
		return "", "", false
	}
	return strings.TrimSuffix(strings.ToLower(n), "."), strings.ToUpper(t), true
}

// weightedRecords returns a side's weighted records with a setIdentifier.
func (s *side) weightedRecords() []*policy.Resource {
	var out []*policy.Resource
	for _, r := range s.g.OfType(graph.TypeRoute53Record) {
		if isWeighted(r) == graph.Yes {
			out = append(out, r)
		}
	}
	return out
}

func checkPairOneZone(p *pair) []policy.Violation {
	var out []policy.Violation
	type at struct {
		zone string
		r    *policy.Resource
	}
	names := [2]map[string]at{{}, {}}
	for i, s := range p.sides {
		for _, r := range s.weightedRecords() {
			name, typ, ok := recordKey(r)
			if !ok {
				continue
			}
			zone := graph.Prop(r, "zoneId")
			z, known := zone.Str()
			if zone.Unknown() {
				out = append(out, unverifiable(r.URN, unknownReason(r, "zoneId"), "whether both regions' records are in one hosted zone", recPair))
				continue
			}
			if known {
				names[i][name+" "+typ] = at{zone: z, r: r}
			}
		}
	}
	for i, s := range p.sides {
		o := p.other(s)
		for _, key := range sortedAt(names[i]) {
			mine := names[i][key]
			theirs, ok := names[1-i][key]
			switch {
			case !ok:
				out = append(out, finding(mine.r, "name", show(mine.r, "name"),
					fmt.Sprintf("%s has a weighted %s record for this name and %s has none, so Route 53 cannot fail the name over "+
						"to %s", s.regionName(), strings.SplitN(key, " ", 2)[1], o.regionName(), o.regionName()),
					"declare the same weighted record, with its own setIdentifier and health check, in both regions' stacks", recPair))
			case i == 1 && mine.zone != theirs.zone:
				shown := graph.Prop(mine.r, "zoneId").Show()
				out = append(out, finding(mine.r, "zoneId", shown,
					fmt.Sprintf("the record is in another hosted zone than %s's (%s), so the two regions' records are two separate "+
						"record sets and Route 53 never fails over between them", o.regionName(), graph.Prop(theirs.r, "zoneId").Show()),
					"put both regions' records in the one hosted zone the owner stack declares (the member reads its zoneId from the owner's outputs)", recPair))
			}
		}
	}
	return out
}

func sortedAt[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// drainTarget is where a drain health check reads its object: the host and path it probes.
func drainTarget(hc *policy.Resource) (host string, ok bool) {
	inv, _ := graph.Prop(hc, "invertHealthcheck").Bool()
	path, _ := graph.Prop(hc, "resourcePath").Str()
	if !inv || !strings.HasPrefix(path, defaultDrainPrefix) {
		return "", false
	}
	fqdn := graph.Prop(hc, "fqdn")
	h, known := fqdn.Str()
	if !known {
		return "", true
	}
	if u, err := url.Parse("//" + h); err == nil && u.Hostname() != "" {
		h = u.Hostname()
	}
	return strings.TrimSuffix(strings.ToLower(h), "."), true
}

// bucketHosts maps the host names a side's S3 buckets answer on to the bucket.
func (s *side) bucketHosts() map[string]*policy.Resource {
	out := map[string]*policy.Resource{}
	for _, b := range s.g.OfType(graph.TypeS3BucketV2, graph.TypeS3Bucket) {
		if d, ok := graph.Prop(b, "bucketRegionalDomainName").Str(); ok && d != "" {
			out[strings.ToLower(d)] = b
		}
		if d, ok := graph.Prop(b, "bucketDomainName").Str(); ok && d != "" {
			out[strings.ToLower(d)] = b
		}
		if name, ok := graph.Prop(b, "bucket").Str(); ok && name != "" {
			out[strings.ToLower(name)+".s3.amazonaws.com"] = b
			if s.region != "" {
				out[strings.ToLower(name)+".s3."+s.region+".amazonaws.com"] = b
				out[strings.ToLower(name)+".s3-"+s.region+".amazonaws.com"] = b
			}
		}
	}
	return out
}

func checkPairDrainCrossRegion(p *pair) []policy.Violation {
	var out []policy.Violation
	hosts := [2]map[string]*policy.Resource{p.sides[0].bucketHosts(), p.sides[1].bucketHosts()}
	for i, s := range p.sides {
		o := p.other(s)
		for _, hc := range s.g.OfType(typeHealthCheck) {
			host, isDrain := drainTarget(hc)
			switch {
			case !isDrain:
				continue
			case host == "":
				out = append(out, unverifiable(hc.URN, unknownReason(hc, "fqdn"), "which bucket the drain object lives in", recPair))
				continue
			}
			if _, ok := hosts[1-i][host]; ok {
				continue
			}
			problem := fmt.Sprintf("the drain object is read from %s, which is not a bucket of %s", graph.Prop(hc, "fqdn").Show(), o.regionName())
			if b, own := hosts[i][host]; own {
				problem = fmt.Sprintf("the drain object lives in %s's own bucket %s, so an S3 outage in that region, the kind "+
					"of event that calls for draining it, also takes the switch away", s.regionName(), graph.Describe(b))
			}
			out = append(out, finding(hc, "fqdn", graph.Prop(hc, "fqdn").Show(), problem,
				fmt.Sprintf("point the health check at the STOP bucket of %s (its bucketRegionalDomainName)", o.regionName()), recPair))
		}
	}
	return out
}

func checkPairGlobalDatabase(p *pair) []policy.Violation {
	var out []policy.Violation
	globals := map[string]bool{}
	for _, s := range p.sides {
		for _, gc := range s.g.OfType(typeGlobalCluster) {
			if id, ok := graph.Prop(gc, "globalClusterIdentifier").Str(); ok {
				globals[id] = true
			}
		}
	}
	type member struct {
		s  *side
		r  *policy.Resource
		id string
	}
	var members [2][]member
	for i, s := range p.sides {
		for _, c := range s.g.OfType(graph.TypeRdsCluster) {
			if e, _ := graph.Prop(c, "engine").Str(); !isAurora(e) {
				continue
			}
			f := graph.Prop(c, "globalClusterIdentifier")
			id, _ := f.Str()
			switch {
			case f.Unknown():
				out = append(out, unverifiable(c.URN, unknownReason(c, "globalClusterIdentifier"), "whether both regions' clusters share a global cluster", recPair))
				continue
			case id == "":
				out = append(out, finding(c, "globalClusterIdentifier", f.Show(),
					fmt.Sprintf("the Aurora cluster of %s is in no global cluster, so %s has no replica of its data to promote",
						s.regionName(), p.other(s).regionName()),
					"set globalClusterIdentifier to the global cluster the owner stack declares", recPair))
				continue
			case len(globals) > 0 && !globals[id]:
				out = append(out, finding(c, "globalClusterIdentifier", f.Show(),
					"no stack of the pair declares this global cluster", "set globalClusterIdentifier to the global cluster the owner stack declares", recPair))
			}
			members[i] = append(members[i], member{s: s, r: c, id: id})
		}
	}
	for _, a := range members[1] {
		for _, b := range members[0] {
			if a.id != b.id {
				out = append(out, finding(a.r, "globalClusterIdentifier", graph.Prop(a.r, "globalClusterIdentifier").Show(),
					fmt.Sprintf("the cluster is in another global cluster than %s of %s (%s), so the two regions do not replicate "+
						"to each other", graph.Describe(b.r), b.s.regionName(), graph.Prop(b.r, "globalClusterIdentifier").Show()),
					"make both regions' clusters members of the one global cluster", recPair))
			}
		}
	}
	return out
}

func checkPairRegistryBothWays(p *pair) []policy.Violation {
	var out []policy.Violation
	for _, s := range p.sides {
		o := p.other(s)
		if o.region == "" {
			continue
		}
		configs := s.g.OfType(typeEcrReplication)
		replicates := false
		for _, c := range configs {
			for _, d := range graph.Leaves(c.Properties, "replicationConfiguration.rules.destinations.region") {
				if d.Unknown() {
					out = append(out, unverifiable(c.URN, unknownReason(c, "replicationConfiguration.rules.destinations.region"),
						"whether the registry replicates to the other region", recPair))
					replicates = true
					continue
				}
				if v, ok := d.Str(); ok && v == o.region {
					replicates = true
				}
			}
		}
		if replicates {
			continue
		}
		if len(configs) == 0 {
			out = append(out, stackFindingAt(s, fmt.Sprintf("the ECR registry of %s has no replication configuration, so %s cannot "+
				"pull the images it runs from its own region's registry when %s is down", s.regionName(), o.regionName(), s.region),
				fmt.Sprintf("add an aws:ecr/replicationConfiguration with a rule whose destination is %s", o.region)))
			continue
		}
		for _, c := range configs {
			out = append(out, finding(c, "replicationConfiguration.rules", show(c, "replicationConfiguration.rules"),
				fmt.Sprintf("no rule replicates to %s, the region of %s", o.region, o.regionName()),
				fmt.Sprintf("add a destination with region %q to a rule", o.region), recPair))
		}
	}
	return out
}

// stackFindingAt is a violation about a side as a whole, attributed to its root stack resource.
func stackFindingAt(s *side, problem, fix string) policy.Violation {
	v := stackFinding(problem, fix, recPair)
	for _, r := range s.g.Resources() {
		if r.Type == "pulumi:pulumi:Stack" && r.Parent == "" {
			v.URN = r.URN
			break
		}
	}
	return v
}

func checkPairSetIdentifiers(p *pair) []policy.Violation {
	var out []policy.Violation
	type rec struct {
		s *side
		r *policy.Resource
	}
	sets := map[string][]rec{}
	for _, s := range p.sides {
		for _, r := range s.weightedRecords() {
			if name, typ, ok := recordKey(r); ok {
				sets[name+" "+typ] = append(sets[name+" "+typ], rec{s: s, r: r})
			}
		}
	}
	for _, key := range sortedAt(sets) {
		recs := sets[key]
		ids := map[string]rec{}
		anyWeight, unknownWeight := false, false
		for _, x := range recs {
			id := graph.Prop(x.r, "setIdentifier")
			if v, ok := id.Str(); ok && v != "" && !id.Secret {
				if first, dup := ids[v]; dup {
					out = append(out, finding(x.r, "setIdentifier", id.Show(),
						fmt.Sprintf("%s of %s has the same setIdentifier, so Route 53 takes the two for one record and one region's "+
							"record replaces the other's", graph.Describe(first.r), first.s.regionName()),
						"give each region's record its own setIdentifier, such as the region's name", recPair))
				} else {
					ids[v] = x
				}
			}
			for _, w := range graph.Leaves(x.r.Properties, "weightedRoutingPolicies.weight") {
				if w.Unknown() {
					unknownWeight = true
				}
				if n, ok := w.Num(); ok && n > 0 {
					anyWeight = true
				}
			}
		}
		if !anyWeight && !unknownWeight && len(recs) > 0 {
			r := recs[0].r
			out = append(out, finding(r, "weightedRoutingPolicies", show(r, "weightedRoutingPolicies"),
				fmt.Sprintf("every weighted record of %s has weight 0 in both regions, so Route 53 ignores the weights and "+
					"answers with every record: no region can be drained or favoured by weight", strings.SplitN(key, " ", 2)[0]),
				"give the regions that serve traffic a weight above 0 (the shipped stacks use 100 each)", recPair))
		}
	}
	return out
}
