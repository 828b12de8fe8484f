package graph

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// Tri is a three-valued answer: a derived fact can be true, false, or impossible to tell from what is
// known (during a preview).
type Tri int8

// The three answers.
const (
	No Tri = iota
	Yes
	Maybe
)

// String names the answer.
func (t Tri) String() string {
	switch t {
	case Yes:
		return "yes"
	case Maybe:
		return "maybe"
	}
	return "no"
}

// The destinations of default routes.
const (
	AnyIPv4 = "0.0.0.0/0"
	AnyIPv6 = "::/0"
)

// Subnet is what the graph derived about one aws:ec2/subnet:Subnet of the stack.
type Subnet struct {
	Resource *policy.Resource
	// AZ is the subnet's availability zone: its availabilityZone, or its availabilityZoneId when only that
	// is known. Empty when unknown; AZWhy then says why.
	AZ    string
	AZWhy string
	// AZSecret is true when the AZ property is secret: use AZ for logic, never print it.
	AZSecret bool
	// VPC is the subnet's VPC when it is in the stack.
	VPC *policy.Resource
	// Public says whether the subnet's route table (its explicit association, else its VPC's main route
	// table) sends 0.0.0.0/0 or ::/0 to an internet gateway. Why says which route makes it public, or,
	// for Maybe, what is unknown.
	Public Tri
	Why    string
	// NATs are the NAT gateways of the stack its 0.0.0.0/0 route goes to; NATDangling the NAT gateway IDs
	// that are not in the stack. EgressWhy is set when where 0.0.0.0/0 goes cannot be told.
	NATs        []*policy.Resource
	NATDangling []string
	EgressWhy   string
	// RouteTables names the route tables that decide the subnet's routing, for messages.
	RouteTables []string
}

// route is one route of a route table, inline or an aws:ec2/route:Route.
type route struct {
	owner    *policy.Resource // the route table of an inline route, or the aws:ec2/route:Route
	inline   int              // the inline route's position in routes; -1 for an aws:ec2/route:Route
	any4     Tri              // the destination is 0.0.0.0/0
	any6     Tri              // the destination is ::/0
	igw      Tri              // the target is an internet gateway
	igwName  string           // which one, for messages
	natSet   bool             // the route targets a NAT gateway
	nat      Refs
	unknown  string // what is unknown about the route
	floating bool   // its route table is unknown
}

// where names the route for a message. It is built only when a message needs it: a stack has a route
// for every route table, and most never appear in a message.
func (r *route) where() string {
	if r.inline < 0 {
		return Describe(r.owner)
	}
	return Describe(r.owner) + " (routes[" + strconv.Itoa(r.inline) + "])"
}

// rtable is one route table: a resource, the main table AWS created with a VPC, or a table outside the
// stack.
type rtable struct {
	name    string
	routes  []*route
	unknown string // set when the table's routes cannot all be known

	verdict     Tri
	verdictWhy  string
	verdictDone bool
}

// network is the derived network facts of a stack.
type network struct {
	subnets  map[resource.URN]*Subnet
	ordered  []*Subnet
	tables   map[string]*rtable
	floating []string // reasons that could make any route table public
}

// builder derives the network facts.
type builder struct {
	g             *Graph
	net           *network
	defaultTables map[resource.URN]*rtable // by VPC URN
	// vpcTablesUnknown is a VPC whose mainRouteTableId is unknown, if any.
	vpcTablesUnknown *policy.Resource
}

func buildNetwork(g *Graph) *network {
	b := &builder{
		g: g,
		net: &network{
			subnets: make(map[resource.URN]*Subnet, len(g.byType[TypeSubnet])),
			tables:  make(map[string]*rtable),
		},
		defaultTables: make(map[resource.URN]*rtable),
	}
	for _, v := range g.OfType(TypeVpc) {
		if Prop(v, "mainRouteTableId").Unknown() {
			b.vpcTablesUnknown = v
			break
		}
	}
	// Route tables and their inline routes, read on every processor (reading a table changes nothing
	// else), then recorded in stack order.
	tableRes := g.OfType(TypeRouteTable, TypeDefaultRouteTable)
	tables := make([]*rtable, len(tableRes))
	forEach(len(tableRes), func(i int) {
		t := &rtable{name: Describe(tableRes[i])}
		b.inlineRoutes(t, tableRes[i])
		tables[i] = t
	})
	for i, r := range tableRes {
		t := tables[i]
		b.net.tables[string(r.URN)] = t
		if g.Is(r, TypeDefaultRouteTable) {
			for _, vpc := range b.defaultTableVPCs(r) {
				b.defaultTables[vpc.URN] = t
			}
		}
	}
	// Separate routes: read on every processor, then filed in stack order.
	routeRes := g.OfType(TypeRoute)
	routes := make([]*route, len(routeRes))
	routeTables := make([]tableLookup, len(routeRes))
	forEach(len(routeRes), func(i int) {
		routes[i] = b.routeResource(routeRes[i])
		routeTables[i] = b.lookupTables(routeRes[i], "routeTableId")
	})
	for i, r := range routeRes {
		rt := routes[i]
		tabs, why := b.tablesFound(r, "routeTableId", routeTables[i])
		if len(tabs) == 0 {
			if why != "" {
				rt.floating = true
				if rt.any4 != No || rt.any6 != No {
					b.net.floating = append(b.net.floating, why)
				}
			}
			continue
		}
		for _, t := range tabs {
			t.routes = append(t.routes, rt)
		}
	}
	// Explicit associations.
	assoc := map[resource.URN][]*rtable{}
	assocWhy := map[resource.URN]string{}
	var floatingAssoc []string
	assocRes := g.OfType(TypeRouteTableAssociation)
	assocSubs := make([]*Refs, len(assocRes))
	assocTables := make([]tableLookup, len(assocRes))
	forEach(len(assocRes), func(i int) {
		if Prop(assocRes[i], "subnetId").Present { // else an edge association with a gateway
			subs := g.Resolve(assocRes[i], "subnetId", TypeSubnet)
			assocSubs[i] = &subs
			assocTables[i] = b.lookupTables(assocRes[i], "routeTableId")
		}
	})
	for i, a := range assocRes {
		subs := assocSubs[i]
		if subs == nil {
			continue
		}
		tabs, why := b.tablesFound(a, "routeTableId", assocTables[i])
		for _, s := range subs.Resources {
			assoc[s.URN] = append(assoc[s.URN], tabs...)
			if why != "" {
				assocWhy[s.URN] = why
			}
		}
		if subs.Unknown {
			floatingAssoc = append(floatingAssoc, fmt.Sprintf("subnetId of %s is unknown", Describe(a)))
		}
	}
	// Main route tables.
	mainTables := map[resource.URN][]*rtable{}
	mainWhy := map[resource.URN]string{}
	for _, m := range g.OfType(TypeMainRouteTableAssociation) {
		vpcs := g.Resolve(m, "vpcId", TypeVpc)
		tabs, why := b.tables(m, "routeTableId")
		for _, v := range vpcs.Resources {
			mainTables[v.URN] = append(mainTables[v.URN], tabs...)
			if why != "" {
				mainWhy[v.URN] = why
			}
		}
		if vpcs.Unknown {
			floatingAssoc = append(floatingAssoc, fmt.Sprintf("vpcId of %s is unknown", Describe(m)))
		}
	}
	// Subnets: their zones and VPCs read on every processor, then their routing decided in stack order.
	subnetRes := g.OfType(TypeSubnet)
	infos := make([]Subnet, len(subnetRes))
	subnetVPCs := make([]Refs, len(subnetRes))
	forEach(len(subnetRes), func(i int) {
		s := subnetRes[i]
		infos[i].Resource = s
		infos[i].AZ, infos[i].AZWhy, infos[i].AZSecret = subnetAZ(s)
		subnetVPCs[i] = g.Resolve(s, "vpcId", TypeVpc)
	})
	for i, s := range subnetRes {
		info, vpcs := &infos[i], subnetVPCs[i]
		if len(vpcs.Resources) > 0 {
			info.VPC = vpcs.Resources[0]
		}
		var tabs []*rtable
		why := ""
		explicit := false
		switch {
		case len(assoc[s.URN]) > 0 || assocWhy[s.URN] != "":
			tabs, why, explicit = assoc[s.URN], assocWhy[s.URN], true
		case info.VPC != nil:
			if mt, ok := mainTables[info.VPC.URN]; ok || mainWhy[info.VPC.URN] != "" {
				tabs, why = mt, mainWhy[info.VPC.URN]
			} else {
				tabs = []*rtable{b.mainTable(info.VPC)}
			}
		case vpcs.Unknown:
			why = fmt.Sprintf("vpcId of %s is unknown, so its main route table is", Describe(s))
		default:
			why = fmt.Sprintf("its VPC %s is not in this stack, so the routes of its main route table are unknown",
				ListTexts(vpcs.Texts(), ", "))
		}
		b.decide(info, tabs, why)
		if !explicit && info.Public == No && len(floatingAssoc) > 0 {
			info.Public, info.Why = Maybe, floatingAssoc[0]
		}
		if info.Public == No && len(b.net.floating) > 0 {
			info.Public, info.Why = Maybe, b.net.floating[0]
		}
		b.net.subnets[s.URN] = info
		b.net.ordered = append(b.net.ordered, info)
	}
	return b.net
}

// subnetAZ returns a subnet's AZ name, or its AZ ID when only that is known, or why neither is.
func subnetAZ(s *policy.Resource) (az, why string, secret bool) {
	name, id := Prop(s, "availabilityZone"), Prop(s, "availabilityZoneId")
	if v, ok := name.Str(); ok && v != "" {
		return v, "", name.Secret
	}
	if v, ok := id.Str(); ok && v != "" {
		return v, "", id.Secret
	}
	if name.Unknown() || id.Unknown() {
		return "", fmt.Sprintf("availabilityZone of %s is unknown", Describe(s)), false
	}
	return "", fmt.Sprintf("availabilityZone of %s is not set (AWS picks one when it creates the subnet)", Describe(s)), false
}

// decide sets a subnet's public verdict and egress from the route tables that govern it.
func (b *builder) decide(info *Subnet, tabs []*rtable, why string) {
	if len(tabs) == 0 {
		info.Public = Maybe
		if why == "" {
			why = fmt.Sprintf("the route table of %s is unknown", Describe(info.Resource))
		} else if strings.HasSuffix(why, " is") {
			why += " unknown"
		}
		info.Why, info.EgressWhy = why, why
		return
	}
	info.Public = No
	seen := map[*policy.Resource]bool{}
	for _, t := range tabs {
		info.RouteTables = append(info.RouteTables, t.name)
		v, w := t.public()
		switch {
		case v == Yes && info.Public != Yes:
			info.Public, info.Why = Yes, w
		case v == Maybe && info.Public == No:
			info.Public, info.Why = Maybe, w
		}
		for _, r := range t.routes {
			if r.any4 == No {
				continue
			}
			switch {
			case r.any4 == Maybe && (r.natSet || r.igw != No):
				info.EgressWhy = firstNonEmpty(info.EgressWhy, r.unknown)
			case r.natSet:
				for _, n := range r.nat.Resources {
					if !seen[n] {
						seen[n] = true
						info.NATs = append(info.NATs, n)
					}
				}
				info.NATDangling = append(info.NATDangling, r.nat.Dangling...)
				if r.nat.Unknown {
					info.EgressWhy = firstNonEmpty(info.EgressWhy, r.unknown)
				}
			}
		}
		if t.unknown != "" {
			info.EgressWhy = firstNonEmpty(info.EgressWhy, t.unknown)
		}
	}
	if why != "" && info.Public == No {
		info.Public, info.Why = Maybe, why
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// public decides whether a route table sends a default route to an internet gateway.
func (t *rtable) public() (Tri, string) {
	if t.verdictDone {
		return t.verdict, t.verdictWhy
	}
	t.verdict, t.verdictWhy = No, ""
	maybe := ""
	for _, r := range t.routes {
		for _, fam := range []struct {
			dest Tri
			cidr string
		}{{r.any4, AnyIPv4}, {r.any6, AnyIPv6}} {
			if fam.dest == Yes && r.igw == Yes {
				t.verdict = Yes
				t.verdictWhy = fmt.Sprintf("%s sends %s to internet gateway %s", r.where(), fam.cidr, r.igwName)
				t.verdictDone = true
				return t.verdict, t.verdictWhy
			}
			if fam.dest != No && r.igw != No && maybe == "" {
				maybe = r.unknown
			}
		}
	}
	switch {
	case t.unknown != "":
		t.verdict, t.verdictWhy = Maybe, t.unknown
	case maybe != "":
		t.verdict, t.verdictWhy = Maybe, maybe
	}
	t.verdictDone = true
	return t.verdict, t.verdictWhy
}

// inlineRoutes reads the routes property of a route table.
func (b *builder) inlineRoutes(t *rtable, r *policy.Resource) {
	f := Prop(r, "routes")
	if f.Unknown() {
		t.unknown = fmt.Sprintf("routes of %s is unknown", Describe(r))
		return
	}
	items := f.items(false)
	// When several inline routes have unknown NAT gateways, the property dependencies of "routes" cannot
	// say which NAT gateway belongs to which route. (For gateways this matters less: a route whose
	// candidates are all internet gateways goes to one, whichever it is.)
	unknownNAT := 0
	for _, it := range items {
		nat := it.Get("natGatewayId")
		if s, ok := nat.Str(); nat.Unknown() || (ok && len(b.g.Lookup(s, TypeNatGateway)) == 0) {
			unknownNAT++
		}
	}
	for i, it := range items {
		rt := &route{owner: r, inline: i}
		rt.any4, rt.any6 = destinations(it.Get("cidrBlock"), it.Get("ipv6CidrBlock"), it.Get("destinationPrefixListId"))
		b.target(rt, r, "routes", it.Get("gatewayId"), it.Get("natGatewayId"), unknownNAT > 1)
		if rt.unknown == "" && (rt.any4 == Maybe || rt.any6 == Maybe) {
			rt.unknown = fmt.Sprintf("the destination of %s is unknown", rt.where())
		}
		t.routes = append(t.routes, rt)
	}
}

// routeResource reads an aws:ec2/route:Route.
func (b *builder) routeResource(r *policy.Resource) *route {
	rt := &route{owner: r, inline: -1}
	rt.any4, rt.any6 = destinations(Prop(r, "destinationCidrBlock"), Prop(r, "destinationIpv6CidrBlock"),
		Prop(r, "destinationPrefixListId"))
	b.targetKeys(rt, r, Prop(r, "gatewayId"), Prop(r, "natGatewayId"))
	if rt.unknown == "" && (rt.any4 == Maybe || rt.any6 == Maybe) {
		rt.unknown = fmt.Sprintf("the destination of %s is unknown", rt.where())
	}
	return rt
}

// destinations classifies a route's destination as the IPv4 and IPv6 default routes.
func destinations(v4, v6, prefixList Field) (any4, any6 Tri) {
	if prefixList.Present {
		return No, No
	}
	is := func(f Field, want string) Tri {
		switch {
		case !f.Present:
			return No
		case !f.Known:
			return Maybe
		}
		if s, ok := f.Str(); ok && strings.TrimSpace(s) == want {
			return Yes
		}
		return No
	}
	return is(v4, AnyIPv4), is(v6, AnyIPv6)
}

// targetKeys classifies the target of an aws:ec2/route:Route, whose gateway and NAT gateway have their
// own property dependencies.
func (b *builder) targetKeys(rt *route, owner *policy.Resource, gw, nat Field) {
	b.gateway(rt, owner, "gatewayId", gw)
	b.natGateway(rt, owner, "natGatewayId", nat, false)
}

// target classifies the target of an inline route, whose dependencies are those of the whole list.
func (b *builder) target(rt *route, owner *policy.Resource, depsKey string, gw, nat Field, natAmbiguous bool) {
	b.gateway(rt, owner, depsKey, gw)
	b.natGateway(rt, owner, depsKey, nat, natAmbiguous)
}

// gateway decides whether a route's gatewayId is an internet gateway.
func (b *builder) gateway(rt *route, owner *policy.Resource, depsKey string, gw Field) {
	g := b.g
	switch {
	case !gw.Present:
		rt.igw = No
	case gw.Known:
		s, _ := gw.Str()
		found := g.Lookup(s, TypeInternetGateway)
		switch {
		case len(found) > 0:
			rt.igw, rt.igwName = Yes, Describe(found[0])
		case strings.HasPrefix(s, "igw-") && gw.Secret:
			rt.igw, rt.igwName = Yes, ShownSecret
		case strings.HasPrefix(s, "igw-"):
			rt.igw, rt.igwName = Yes, s
		default:
			rt.igw = No
			if deps := g.Dependencies(owner, depsKey, TypeInternetGateway); len(deps) > 0 && s != "" && s != "local" &&
				len(g.Dependencies(owner, depsKey, TypeVpnGateway)) == 0 && len(g.Lookup(s)) == 0 {
				rt.igw, rt.igwName = Yes, Describe(deps[0])
			}
		}
	default:
		cands := g.Dependencies(owner, depsKey, TypeInternetGateway, TypeVpnGateway)
		igws := 0
		for _, c := range cands {
			if g.Is(c, TypeInternetGateway) {
				igws++
				if rt.igwName == "" {
					rt.igwName = Describe(c)
				}
			}
		}
		switch {
		case len(cands) > 0 && igws == len(cands):
			rt.igw = Yes
		case len(cands) > 0 && igws == 0:
			rt.igw = No
		default:
			rt.igw = Maybe
			rt.unknown = fmt.Sprintf("gatewayId of %s is unknown", rt.where())
		}
	}
}

// natGateway resolves a route's natGatewayId.
func (b *builder) natGateway(rt *route, owner *policy.Resource, depsKey string, nat Field, ambiguous bool) {
	if !nat.Present {
		return
	}
	rt.natSet = true
	g := b.g
	if nat.Known {
		s, _ := nat.Str()
		found := g.Lookup(s, TypeNatGateway)
		if len(found) > 0 {
			rt.nat.Resources = found[:1:1]
			return
		}
		switch cands := g.Dependencies(owner, depsKey, TypeNatGateway); {
		case len(cands) > 0 && !(ambiguous && len(cands) > 1):
			// The ID names nothing of the stack (no IDs in the state): its dependencies tell.
			rt.nat.Resources = cands
			rt.nat.ViaDependencies = true
		case s != "":
			rt.nat.Dangling = []string{s}
		}
		return
	}
	cands := g.Dependencies(owner, depsKey, TypeNatGateway)
	if len(cands) == 0 || (ambiguous && len(cands) > 1) {
		rt.nat.Unknown = true
		if rt.unknown == "" {
			rt.unknown = fmt.Sprintf("natGatewayId of %s is unknown", rt.where())
		}
		return
	}
	rt.nat.Resources = cands
	rt.nat.ViaDependencies = true
}

// defaultTableVPCs returns the VPCs whose default route table an aws:ec2/defaultRouteTable manages.
func (b *builder) defaultTableVPCs(r *policy.Resource) []*policy.Resource {
	f := Prop(r, "defaultRouteTableId")
	if s, ok := f.Str(); ok {
		if vpc := b.g.vpcByTable[s]; vpc != nil {
			return []*policy.Resource{vpc}
		}
	}
	return b.g.Dependencies(r, "defaultRouteTableId", TypeVpc)
}

// mainTable returns the main route table of a VPC that has no aws:ec2/mainRouteTableAssociation: a route
// table of the stack whose ID the VPC reports as main, else the default table AWS created with it.
func (b *builder) mainTable(vpc *policy.Resource) *rtable {
	if id, ok := Prop(vpc, "mainRouteTableId").Str(); ok {
		if found := b.g.Lookup(id, TypeRouteTable, TypeDefaultRouteTable); len(found) > 0 {
			if t := b.net.tables[string(found[0].URN)]; t != nil {
				return t
			}
		}
	}
	return b.implicitDefault(vpc)
}

// implicitDefault returns the table standing for a VPC's default (originally main) route table.
func (b *builder) implicitDefault(vpc *policy.Resource) *rtable {
	if t := b.defaultTables[vpc.URN]; t != nil {
		return t
	}
	t := &rtable{name: "the main route table AWS created with " + Describe(vpc)}
	b.defaultTables[vpc.URN] = t
	b.net.tables["default:"+string(vpc.URN)] = t
	return t
}

// tables resolves a routeTableId property to route tables. It returns no table and why when the
// reference is unknown; a table outside the stack is returned with unknown routes.
func (b *builder) tables(owner *policy.Resource, key string) ([]*rtable, string) {
	return b.tablesFound(owner, key, b.lookupTables(owner, key))
}

// tableLookup is the part of resolving a routeTableId that only reads the graph, so that it can run on
// every processor: the property, and the route tables of the stack its known value names.
type tableLookup struct {
	f     Field
	found []*policy.Resource
}

// lookupTables reads a routeTableId property and looks its known value up.
func (b *builder) lookupTables(owner *policy.Resource, key string) tableLookup {
	l := tableLookup{f: Prop(owner, key)}
	if l.f.Present && l.f.Known {
		s, _ := l.f.Str()
		l.found = b.g.Lookup(s, TypeRouteTable, TypeDefaultRouteTable)
	}
	return l
}

// tablesFound is tables after lookupTables; it records the tables it stands in for (implicit default
// tables, tables outside the stack), so it runs in stack order.
func (b *builder) tablesFound(owner *policy.Resource, key string, l tableLookup) ([]*rtable, string) {
	g := b.g
	f := l.f
	switch {
	case !f.Present:
		return nil, ""
	case f.Known:
		s, _ := f.Str()
		if found := l.found; len(found) > 0 {
			return b.tablesOf(found), ""
		}
		if vpc := g.vpcByTable[s]; vpc != nil {
			return []*rtable{b.implicitDefault(vpc)}, ""
		}
		// The ID names nothing of the stack (no IDs in the state): the dependencies tell.
		if found := g.Dependencies(owner, key, TypeRouteTable, TypeDefaultRouteTable); len(found) > 0 {
			return b.tablesOf(found), ""
		}
		if vpcs := g.Dependencies(owner, key, TypeVpc); len(vpcs) > 0 {
			out := make([]*rtable, 0, len(vpcs))
			for _, v := range vpcs {
				out = append(out, b.implicitDefault(v))
			}
			return out, ""
		}
		if b.vpcTablesUnknown != nil {
			// The ID may be the main route table of a VPC whose table IDs are not known yet.
			return nil, fmt.Sprintf("%s of %s names %s, which may be the main route table of %s, whose mainRouteTableId is unknown",
				key, Describe(owner), s, Describe(b.vpcTablesUnknown))
		}
		k := "ext:" + s
		t := b.net.tables[k]
		if t == nil {
			t = &rtable{
				name:    fmt.Sprintf("route table %s (not in this stack)", s),
				unknown: fmt.Sprintf("route table %s is not in this stack, so its routes are unknown", s),
			}
			b.net.tables[k] = t
		}
		return []*rtable{t}, ""
	}
	if found := g.Dependencies(owner, key, TypeRouteTable, TypeDefaultRouteTable); len(found) > 0 {
		return b.tablesOf(found), ""
	}
	if vpcs := g.Dependencies(owner, key, TypeVpc); len(vpcs) > 0 {
		out := make([]*rtable, 0, len(vpcs))
		for _, v := range vpcs {
			out = append(out, b.implicitDefault(v))
		}
		return out, ""
	}
	return nil, fmt.Sprintf("%s of %s is unknown", key, Describe(owner))
}

func (b *builder) tablesOf(rs []*policy.Resource) []*rtable {
	out := make([]*rtable, 0, len(rs))
	for _, r := range rs {
		if t := b.net.tables[string(r.URN)]; t != nil {
			out = append(out, t)
		}
	}
	return out
}

// Subnet returns what the graph derived about a subnet of the stack, or nil when r is not one.
func (g *Graph) Subnet(r *policy.Resource) *Subnet {
	if r == nil {
		return nil
	}
	return g.net.subnets[r.URN]
}

// Subnets returns every subnet of the stack, in stack order.
func (g *Graph) Subnets() []*Subnet { return g.net.ordered }

// SubnetsOf resolves a subnet reference property of r (vpcZoneIdentifiers, subnetIds,
// subnetMappings.subnetId, ...) to the subnets of the stack. Several policies ask for the subnets of
// the same resources, so each answer is kept: the slices are shared, and must not be changed (appending
// to them copies).
func (g *Graph) SubnetsOf(r *policy.Resource, path string) ([]*Subnet, Refs) {
	key := subnetsKey{r: r, path: path}
	g.subnetsMu.Lock()
	got, ok := g.subnetsOf[key]
	g.subnetsMu.Unlock()
	if !ok {
		got = g.subnetsOfNow(r, path)
		g.subnetsMu.Lock()
		g.subnetsOf[key] = got
		g.subnetsMu.Unlock()
	}
	refs := got.refs
	refs.Resources = capped(refs.Resources)
	refs.Dangling = capped(refs.Dangling)
	return capped(got.subnets), refs
}

// subnetsKey is a question SubnetsOf answered.
type subnetsKey struct {
	r    *policy.Resource
	path string
}

// subnetsOf is an answer of SubnetsOf.
type subnetsOf struct {
	subnets []*Subnet
	refs    Refs
}

// subnetsOfNow resolves a subnet reference property.
func (g *Graph) subnetsOfNow(r *policy.Resource, path string) subnetsOf {
	refs := g.Resolve(r, path, TypeSubnet)
	out := make([]*Subnet, 0, len(refs.Resources))
	for _, s := range refs.Resources {
		if info := g.net.subnets[s.URN]; info != nil {
			out = append(out, info)
		}
	}
	return subnetsOf{subnets: out, refs: refs}
}

// capped returns s with its capacity at its length, so that appending to it copies it.
func capped[T any](s []T) []T { return s[:len(s):len(s)] }

// Zones is the set of availability zones some subnets span.
type Zones struct {
	// Names are the distinct known AZs, sorted.
	Names []string
	// Unknown says why some subnets' AZs cannot be told; empty when all are known.
	Unknown []string
	// Secret is true when some AZ was secret: print the zones with String.
	Secret bool
}

// String prints the zones for a message: "none", the names, or "[secret]".
func (z Zones) String() string {
	switch {
	case z.Secret:
		return ShownSecret
	case len(z.Names) == 0:
		return "none"
	}
	return List(z.Names, ", ")
}

// ZonesOf collects the AZs of subnets.
func ZonesOf(subnets []*Subnet) Zones {
	var z Zones
	// A resource's subnets span a few zones: they are told apart by a scan, with a set only for a long
	// list, so that the common case allocates nothing but the names.
	var seen map[string]bool
	if len(subnets) > zonesScanUpTo {
		seen = make(map[string]bool)
	}
	for _, s := range subnets {
		if s.AZ == "" {
			z.Unknown = append(z.Unknown, s.AZWhy)
			continue
		}
		z.Secret = z.Secret || s.AZSecret
		if seen != nil {
			if seen[s.AZ] {
				continue
			}
			seen[s.AZ] = true
		} else if slices.Contains(z.Names, s.AZ) {
			continue
		}
		if z.Names == nil {
			z.Names = make([]string, 0, min(len(subnets), zonesScanUpTo))
		}
		z.Names = append(z.Names, s.AZ)
	}
	slices.Sort(z.Names)
	return z
}

// zonesScanUpTo is the most subnets ZonesOf tells zones apart by scanning.
const zonesScanUpTo = 16
