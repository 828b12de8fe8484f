package e2e

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The resource types the mutations walk.
const (
	typeSubnet          = "aws:ec2/subnet:Subnet"
	typeRouteTable      = "aws:ec2/routeTable:RouteTable"
	typeRoute           = "aws:ec2/route:Route"
	typeRouteTableAssoc = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	typeInternetGateway = "aws:ec2/internetGateway:InternetGateway"
	typeGroup           = "aws:autoscaling/group:Group"
	typeDBInstance      = "aws:rds/instance:Instance"
	typeClusterInstance = "aws:rds/clusterInstance:ClusterInstance"
	typeLaunchTemplate  = "aws:ec2/launchTemplate:LaunchTemplate"
	typeRecord          = "aws:route53/record:Record"
	typeHealthCheck     = "aws:route53/healthCheck:HealthCheck"
	typeDBCluster       = "aws:rds/cluster:Cluster"
	typeEcrReplication  = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
	typeAwsProvider     = "pulumi:providers:aws"
)

// secretSig marks a secret value in a state file.
const secretSig = "4dabf18193072939515e22adb298388d"

// State is a state file (deployment version 3) as generic JSON, so tests can break it the way a bad
// change to the program would.
type State struct {
	doc map[string]any
}

// ParseState reads a state file.
func ParseState(b []byte) (*State, error) {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	if _, ok := doc["deployment"].(map[string]any); !ok {
		return nil, errors.New("reading state: no deployment")
	}
	return &State{doc: doc}, nil
}

// Bytes writes the state file.
func (s *State) Bytes() ([]byte, error) { return json.MarshalIndent(s.doc, "", "  ") }

// Resources returns every resource, in file order.
func (s *State) Resources() []map[string]any {
	raw, _ := s.doc["deployment"].(map[string]any)["resources"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// OfType returns the resources of one type, in file order.
func (s *State) OfType(typ string) []map[string]any {
	var out []map[string]any
	for _, r := range s.Resources() {
		if r["type"] == typ {
			out = append(out, r)
		}
	}
	return out
}

// Mutation breaks one recommendation in a state that follows them all.
type Mutation struct {
	// Name says what the mutation does.
	Name string
	// Policy is the policy that must report it.
	Policy string
	Apply  func(*State) error
}

// SeedMutations are one mutation per seed recommendation of the ess-ha pack.
func SeedMutations() []Mutation {
	return []Mutation{
		{"all subnets in one AZ", "ha-min-availability-zones", AllSubnetsInOneAZ},
		{"an auto-scaling group in public subnets", "ha-public-subnets-lb-only", GroupInPublicSubnets},
		{"a single-AZ database", "ha-rds-multi-az", DatabaseSingleAZ},
		{"an image from Docker Hub", "ha-private-registry", ImageFromDockerHub},
		{"the backend group tagged as an ess group", "ha-separate-pools", BackendGroupTaggedEss},
	}
}

// MultiRegionMutations are one mutation per multi-region (AsurionID) recommendation of the ess-ha pack,
// for the stacks of an active-active pair.
func MultiRegionMutations() []Mutation {
	return []Mutation{
		{"a weighted record without a health check", "ha-weighted-records-health-checked", RecordWithoutHealthCheck},
		{"a drain check that is not inverted", "ha-drain-check-inverted", DrainCheckNotInverted},
		{"the region outside the global database", "ha-global-database-member", ClusterOutsideGlobalDatabase},
		{"the registry replicated to its own region", "ha-registry-replicated", RegistryReplicatedToOwnRegion},
	}
}

// inputs and outputs of a resource, created when missing.
func props(r map[string]any, which string) map[string]any {
	m, ok := r[which].(map[string]any)
	if !ok {
		m = map[string]any{}
		r[which] = m
	}
	return m
}

// set sets a property in a resource's inputs and outputs.
func set(r map[string]any, key string, v any) {
	props(r, "inputs")[key] = v
	props(r, "outputs")[key] = v
}

// str reads a property as a string from inputs, then outputs.
func str(r map[string]any, key string) string {
	for _, which := range []string{"inputs", "outputs"} {
		if s, ok := props(r, which)[key].(string); ok {
			return s
		}
	}
	return ""
}

// id returns a resource's ID.
func id(r map[string]any) string {
	if s, ok := r["id"].(string); ok && s != "" {
		return s
	}
	return str(r, "id")
}

// AllSubnetsInOneAZ puts every subnet in the first subnet's availability zone.
func AllSubnetsInOneAZ(s *State) error {
	subnets := s.OfType(typeSubnet)
	if len(subnets) == 0 {
		return errors.New("no subnets")
	}
	az, azID := str(subnets[0], "availabilityZone"), str(subnets[0], "availabilityZoneId")
	if az == "" {
		return errors.New("the first subnet has no availabilityZone")
	}
	for _, sn := range subnets {
		set(sn, "availabilityZone", az)
		if azID != "" {
			set(sn, "availabilityZoneId", azID)
		}
	}
	return nil
}

// PublicSubnets returns the subnets whose route table sends 0.0.0.0/0 to an internet gateway (through
// inline routes or aws:ec2/route:Route resources), or, if routing says nothing, those that map public IPs
// on launch.
func PublicSubnets(s *State) []map[string]any {
	igws := map[string]bool{}
	for _, g := range s.OfType(typeInternetGateway) {
		igws[id(g)] = true
	}
	toIGW := func(route map[string]any) bool {
		gw, _ := route["gatewayId"].(string)
		def := false
		// Inline routes say cidrBlock; aws:ec2/route:Route says destinationCidrBlock.
		for _, k := range []string{"cidrBlock", "destinationCidrBlock", "ipv6CidrBlock", "destinationIpv6CidrBlock"} {
			if c, _ := route[k].(string); c == "0.0.0.0/0" || c == "::/0" {
				def = true
			}
		}
		return def && (igws[gw] || strings.HasPrefix(gw, "igw-"))
	}
	public := map[string]bool{} // route table IDs
	for _, rt := range s.OfType(typeRouteTable) {
		routes, _ := props(rt, "inputs")["routes"].([]any)
		for _, r := range routes {
			if m, ok := r.(map[string]any); ok && toIGW(m) {
				public[id(rt)] = true
			}
		}
	}
	for _, r := range s.OfType(typeRoute) {
		if toIGW(props(r, "inputs")) {
			public[str(r, "routeTableId")] = true
		}
	}
	publicSubnetIDs := map[string]bool{}
	for _, a := range s.OfType(typeRouteTableAssoc) {
		if public[str(a, "routeTableId")] {
			publicSubnetIDs[str(a, "subnetId")] = true
		}
	}
	var out []map[string]any
	for _, sn := range s.OfType(typeSubnet) {
		if publicSubnetIDs[id(sn)] {
			out = append(out, sn)
		}
	}
	if len(out) == 0 {
		for _, sn := range s.OfType(typeSubnet) {
			if v, _ := props(sn, "inputs")["mapPublicIpOnLaunch"].(bool); v {
				out = append(out, sn)
			}
		}
	}
	return out
}

// GroupInPublicSubnets moves the first auto-scaling group into the public subnets: its
// vpcZoneIdentifiers, their property dependencies and its dependencies.
func GroupInPublicSubnets(s *State) error {
	groups := s.OfType(typeGroup)
	if len(groups) == 0 {
		return errors.New("no auto-scaling groups")
	}
	public := PublicSubnets(s)
	if len(public) == 0 {
		return errors.New("no public subnets")
	}
	g := groups[0]
	ids := make([]any, len(public))
	urns := make([]any, len(public))
	for i, sn := range public {
		ids[i] = id(sn)
		urns[i] = sn["urn"]
	}
	set(g, "vpcZoneIdentifiers", ids)
	pd, ok := g["propertyDependencies"].(map[string]any)
	if !ok {
		pd = map[string]any{}
		g["propertyDependencies"] = pd
	}
	pd["vpcZoneIdentifiers"] = urns
	deps, _ := g["dependencies"].([]any)
	for _, u := range urns {
		if !slices.Contains(deps, u) {
			deps = append(deps, u)
		}
	}
	g["dependencies"] = deps
	return nil
}

// DatabaseSingleAZ makes every database single-AZ: RDS instances get multiAz false, and the instances
// of each Aurora cluster all move to one availability zone (the first one's, or the first subnet's).
func DatabaseSingleAZ(s *State) error {
	dbs, members := s.OfType(typeDBInstance), s.OfType(typeClusterInstance)
	if len(dbs)+len(members) == 0 {
		return errors.New("no RDS instances or Aurora cluster instances")
	}
	for _, db := range dbs {
		set(db, "multiAz", false)
	}
	if len(members) == 0 {
		return nil
	}
	az := str(members[0], "availabilityZone")
	if az == "" {
		if subnets := s.OfType(typeSubnet); len(subnets) > 0 {
			az = str(subnets[0], "availabilityZone")
		}
	}
	if az == "" {
		return errors.New("no availability zone to put the Aurora instances in")
	}
	for _, m := range members {
		set(m, "availabilityZone", az)
	}
	return nil
}

// dockerHubImage is the public image the mutation pulls.
const dockerHubImage = "docker.io/library/nginx:latest"

// ecrImageRE matches a private ECR image reference.
var ecrImageRE = regexp.MustCompile(`[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[A-Za-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})?`)

// ImageFromDockerHub makes the first launch template's user data pull docker.io/library/nginx:latest:
// its ECR images are replaced, or a `docker pull` is added when it names none. Base64 user data stays
// base64, and a secret stays secret.
func ImageFromDockerHub(s *State) error {
	lts := s.OfType(typeLaunchTemplate)
	if len(lts) == 0 {
		return errors.New("no launch templates")
	}
	lt := lts[0]
	for _, which := range []string{"inputs", "outputs"} {
		p := props(lt, which)
		v, ok := p["userData"]
		if !ok {
			if which == "outputs" {
				continue
			}
			v = ""
		}
		nv, err := rewriteUserData(v)
		if err != nil {
			return fmt.Errorf("launch template %v: %w", lt["urn"], err)
		}
		p["userData"] = nv
	}
	return nil
}

// rewriteUserData rewrites a user data value, plain or secret.
func rewriteUserData(v any) (any, error) {
	switch t := v.(type) {
	case string:
		return rewriteScript(t), nil
	case map[string]any:
		if t[secretSig] == nil {
			return nil, errors.New("userData is neither a string nor a secret")
		}
		plain, ok := t["plaintext"].(string)
		if !ok {
			return nil, errors.New("userData is an encrypted secret; cannot rewrite it")
		}
		var inner any
		if err := json.Unmarshal([]byte(plain), &inner); err != nil {
			return nil, fmt.Errorf("reading secret userData: %w", err)
		}
		nv, err := rewriteUserData(inner)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(nv)
		if err != nil {
			return nil, err
		}
		return map[string]any{secretSig: t[secretSig], "plaintext": string(b)}, nil
	}
	return nil, fmt.Errorf("userData is a %T", v)
}

// rewriteScript rewrites a user data script, decoding and re-encoding base64.
func rewriteScript(s string) string {
	if dec, err := base64.StdEncoding.DecodeString(s); err == nil && s != "" {
		return base64.StdEncoding.EncodeToString([]byte(rewritePlain(string(dec))))
	}
	return rewritePlain(s)
}

func rewritePlain(script string) string {
	if ecrImageRE.MatchString(script) {
		return ecrImageRE.ReplaceAllString(script, dockerHubImage)
	}
	if script != "" && !strings.HasSuffix(script, "\n") {
		script += "\n"
	}
	return script + "docker run -d " + dockerHubImage + "\n"
}

// BackendGroupTaggedEss tags the backend auto-scaling group as an ess group, so no group is left for
// the backend pool and two serve ess.
func BackendGroupTaggedEss(s *State) error {
	for _, g := range s.OfType(typeGroup) {
		changed := false
		for _, which := range []string{"inputs", "outputs"} {
			tags, _ := props(g, which)["tags"].([]any)
			for _, t := range tags {
				m, ok := t.(map[string]any)
				if ok && m["key"] == "pool" && m["value"] == "backend" {
					m["value"] = "ess"
					changed = true
				}
			}
		}
		if changed {
			return nil
		}
	}
	return errors.New("no auto-scaling group tagged pool=backend")
}

// unset removes a property from a resource's inputs and outputs, and its property dependencies.
func unset(r map[string]any, key string) {
	delete(props(r, "inputs"), key)
	delete(props(r, "outputs"), key)
	if pd, ok := r["propertyDependencies"].(map[string]any); ok {
		delete(pd, key)
	}
}

// RecordWithoutHealthCheck removes the health check of the first weighted Route 53 record.
func RecordWithoutHealthCheck(s *State) error {
	for _, r := range s.OfType(typeRecord) {
		if w, _ := props(r, "inputs")["weightedRoutingPolicies"].([]any); len(w) > 0 && str(r, "healthCheckId") != "" {
			unset(r, "healthCheckId")
			return nil
		}
	}
	return errors.New("no weighted record with a health check")
}

// DrainCheckNotInverted sets invertHealthcheck false on every inverted health check (the drain checks).
func DrainCheckNotInverted(s *State) error {
	changed := false
	for _, hc := range s.OfType(typeHealthCheck) {
		if v, _ := props(hc, "inputs")["invertHealthcheck"].(bool); v {
			set(hc, "invertHealthcheck", false)
			changed = true
		}
	}
	if !changed {
		return errors.New("no inverted health check")
	}
	return nil
}

// ClusterOutsideGlobalDatabase removes the globalClusterIdentifier of every RDS cluster.
func ClusterOutsideGlobalDatabase(s *State) error {
	changed := false
	for _, c := range s.OfType(typeDBCluster) {
		if str(c, "globalClusterIdentifier") != "" {
			unset(c, "globalClusterIdentifier")
			changed = true
		}
	}
	if !changed {
		return errors.New("no RDS cluster in a global database")
	}
	return nil
}

// RegistryReplicatedToOwnRegion points every destination of the ECR replication configuration at the
// stack's own region (its AWS provider's).
func RegistryReplicatedToOwnRegion(s *State) error {
	region := ""
	for _, p := range s.OfType(typeAwsProvider) {
		if region = str(p, "region"); region != "" {
			break
		}
	}
	if region == "" {
		return errors.New("no AWS provider with a region")
	}
	changed := false
	for _, c := range s.OfType(typeEcrReplication) {
		for _, which := range []string{"inputs", "outputs"} {
			cfg, _ := props(c, which)["replicationConfiguration"].(map[string]any)
			rules, _ := cfg["rules"].([]any)
			for _, rule := range rules {
				m, _ := rule.(map[string]any)
				dests, _ := m["destinations"].([]any)
				for _, d := range dests {
					if dm, ok := d.(map[string]any); ok {
						dm["region"] = region
						changed = true
					}
				}
			}
		}
	}
	if !changed {
		return errors.New("no ECR replication destination")
	}
	return nil
}
