package config

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ess-ha/ess-ha/internal/awsname"
	"github.com/ess-ha/ess-ha/internal/stopswitch"
)

// Ranges of what a stack may set, each what makes sense for AWS and for the architecture. Every number
// and every string of the configuration is bounded, so that nothing a careless or hostile stack file
// sets can overflow, or reach AWS only to be refused halfway through a deployment.
const (
	// MaxZones is the largest number of AZs the subnet plan has room for.
	MaxZones = 8
	// MaxPerZone is the most instances a pool may keep in each AZ at least.
	MaxPerZone = 100
	// MaxPoolSize is the largest maxSize of a pool.
	MaxPoolSize = 1000
	// MaxInstanceTypes is the most instance types a pool lists.
	MaxInstanceTypes = 20
	// MaxContainers is the most containers a pool runs; their script must also fit EC2's 16 KB of user
	// data (see UserDataEstimate).
	MaxContainers = 20
	// MaxUserData is what EC2 takes as user data, before base64
	// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html).
	MaxUserData = 16 << 10
	// MinStorageGiB and MaxStorageGiB bound the database's allocated storage: storage autoscaling goes
	// up to twice it, and an RDS volume holds at most 64 TiB
	// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html).
	MinStorageGiB = 20
	MaxStorageGiB = 32768
	// MinBackupDays and MaxBackupDays bound automated backups, as RDS allows (35 at most), with a week
	// at least.
	MinBackupDays = 7
	MaxBackupDays = 35
	// MaxReplicas is the most cache replicas (ElastiCache allows 5 per shard).
	MaxReplicas = 5
	// MaxWeight is the largest Route 53 routing weight.
	MaxWeight = 255
	// MaxDomainLength is the longest domain: it is the Common Name of the ACM certificate, which RFC
	// 5280 limits to 64 octets (ACM RequestCertificate,
	// https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
	MaxDomainLength = 64
	// MaxNameLength is the longest DNS name, and MaxLabelLength the longest label of one (RFC 1035).
	MaxNameLength  = 253
	MaxLabelLength = 63
	// MaxHealthPathLength is the longest health check path Route 53 takes.
	MaxHealthPathLength = 255
	// MaxEmailLength is the longest e-mail address (RFC 5321).
	MaxEmailLength = 254
	// MaxRepositoryLength is the longest ECR repository name.
	MaxRepositoryLength = 256
	// MaxStackNameLength is the longest stack reference (org/project/stack, 100 characters each).
	MaxStackNameLength = 302
	// maxSSMReference is the longest resolve:ssm: reference: an SSM parameter name has at most 1011
	// characters (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html),
	// and a version or label follows it.
	maxSSMReference = len("resolve:ssm:") + 1011 + 101
)

// retentionDays are the retentions CloudWatch Logs accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	stackNamePattern = regexp.MustCompile(`^([A-Za-z0-9_.-]{1,100}/){0,2}[A-Za-z0-9_.-]{1,100}$`)
	namePattern      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	amiPattern       = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	// ssmAMIPattern is an SSM parameter reference: a parameter name (1011 characters at most) and an
	// optional version or label.
	ssmAMIPattern    = regexp.MustCompile(`^resolve:ssm:[A-Za-z0-9_./-]+(:[A-Za-z0-9_.-]{1,100})?$`)
	emailPattern     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	dbClassPattern   = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	cacheNodePattern = regexp.MustCompile(`^cache\.[a-z0-9]+\.[a-z0-9]+$`)
	postgresMajor    = regexp.MustCompile(`^[0-9]{2}$`)
	auroraVersion    = regexp.MustCompile(`^[0-9]{2}\.[0-9]{1,3}$`)
	redisVersion     = regexp.MustCompile(`^[0-9]{1,2}(\.[0-9]{1,3}){0,2}$`)
)

// problems collects configuration errors.
type problems struct{ errs []error }

// bad records that key holds value, and what is allowed instead.
func (p *problems) bad(key string, value any, allowed string) {
	p.errs = append(p.errs, &Error{Key: key, Value: value, Allowed: allowed})
}

// between checks that a whole number is within [lo, hi].
func (p *problems) between(key string, v, lo, hi int, why string) bool {
	if v < lo || v > hi {
		p.bad(key, v, fmt.Sprintf("must be from %d to %d%s", lo, hi, why))
		return false
	}
	return true
}

// Validate checks every field and reports every problem, each naming the key, the value and what is
// allowed. It checks everything the components would check of the values it passes them, so that a
// mistake in a stack file is reported here, with its key, before any component runs.
func (c *Config) Validate() error {
	p := &problems{}
	if c.Region != "" && !awsname.IsRegion(c.Region) {
		p.bad("aws:region", c.Region, "must be an AWS region such as us-east-1")
	}
	if len(c.Deployment) < 3 || len(c.Deployment) > 30 || stopswitch.CheckDeployment(c.Deployment) != nil {
		p.bad("deployment", c.Deployment, "must be 3 to 30 lower-case letters, digits and hyphens, starting and ending with a letter or digit (it names the S3 stop buckets <deployment>-stop-<account>-<region>, at most 63 characters: no dots, and not starting with xn--, sthree- or amzn-s3-demo-, which S3 reserves)")
	}
	if c.AccountID != "" && !awsname.IsAccountID(c.AccountID) {
		p.bad("aws:allowedAccountIds", []string{c.AccountID}, "must hold one 12-digit AWS account ID")
	}
	if c.PeerRegion != "" && (!awsname.IsRegion(c.PeerRegion) || c.PeerRegion == c.Region) {
		p.bad("peerRegion", c.PeerRegion, "must be another AWS region, such as us-west-2, or empty for a single-region deployment")
	}
	c.validatePair(p)
	p.between("routingWeight", c.RoutingWeight, 0, MaxWeight, " (Route 53 weights)")
	c.validateGlobal(p)
	c.validateDomain(p)
	if c.HostedZoneID != "" && !awsname.IsHostedZoneID(c.HostedZoneID) {
		p.bad("hostedZoneId", c.HostedZoneID, "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, or empty to create a zone")
	}
	if len(c.VpcCidr) > 18 || !validVpcCidr(c.VpcCidr) {
		p.bad("vpcCidr", c.VpcCidr, "must be an IPv4 network in CIDR form from /16 to /22 with no host bits, such as 10.0.0.0/16")
	}
	zonesOK := p.between("availabilityZones", c.AvailabilityZones, 2, MaxZones, ": the HA architecture needs at least 2 AZs, and the subnet plan has room for "+strconv.Itoa(MaxZones))
	c.validateZoneNames(p, zonesOK)
	if !slices.Contains([]string{LoadBalancersShared, LoadBalancersPerAz}, c.LoadBalancers) {
		p.bad("loadBalancers", c.LoadBalancers, "must be shared or perAz")
	}
	if !slices.Contains([]string{GatewayNone, GatewayAccelerator}, c.Gateway) {
		p.bad("gateway", c.Gateway, "must be none or globalAccelerator")
	}
	if c.LoadBalancers == LoadBalancersPerAz && c.Gateway != GatewayAccelerator {
		p.bad("gateway", c.Gateway, "must be globalAccelerator when loadBalancers is perAz: the accelerator fronts the per-AZ load balancers")
	}
	if !amiPattern.MatchString(c.AmiID) && (len(c.AmiID) > maxSSMReference || !ssmAMIPattern.MatchString(c.AmiID)) {
		p.bad("amiId", c.AmiID, "must be an AMI id (ami- and 8 or 17 hexadecimal digits) or an SSM parameter reference (resolve:ssm:/path, a parameter name of at most 1011 characters)")
	}
	if !slices.Contains(retentionDays, c.LogRetentionDays) {
		p.bad("logRetentionDays", c.LogRetentionDays, "must be a CloudWatch Logs retention: "+joinInts(retentionDays))
	}
	if c.AlarmEmail != "" && (len(c.AlarmEmail) > MaxEmailLength || !emailPattern.MatchString(c.AlarmEmail)) {
		p.bad("alarmEmail", c.AlarmEmail, fmt.Sprintf("must be an e-mail address of at most %d characters, or empty for no subscription", MaxEmailLength))
	}
	c.validatePool(p, "essPool", c.EssPool, true, zonesOK)
	c.validatePool(p, "backendPool", c.BackendPool, false, zonesOK)
	c.validateContainerNames(p)
	c.validateDatabase(p)
	c.validateCache(p)
	return errors.Join(p.errs...)
}

// validVpcCidr reports whether s is an IPv4 network from /16 to /22 with no host bits.
func validVpcCidr(s string) bool {
	pfx, err := netip.ParsePrefix(s)
	return err == nil && pfx.Addr().Is4() && pfx.Masked() == pfx && pfx.Bits() >= 16 && pfx.Bits() <= 22
}

// validateDomain checks the domain and the three names made of it: every label, every name, and the
// domain as the certificate's Common Name.
func (c *Config) validateDomain(p *problems) {
	d := c.Domain
	labels := strings.Split(d, ".")
	switch {
	case d == "":
		p.bad("domain", d, "must be set: the DNS domain the deployment serves, such as example.com (<domain>, identity.<domain> and oidc.<domain>)")
		return
	case len(labels) < 2:
		p.bad("domain", d, "must be a DNS domain of at least two labels, such as example.com")
		return
	}
	for i, l := range labels {
		switch {
		case len(l) > MaxLabelLength:
			p.bad("domain", d, fmt.Sprintf("label %d (%s) is %d characters long; a DNS label has at most %d", i+1, Show(l), len(l), MaxLabelLength))
			return
		case i == len(labels)-1 && !awsname.IsTopLevelDomain(l):
			p.bad("domain", d, fmt.Sprintf("its last label %s must be a top-level domain of lower-case letters, such as com", Show(l)))
			return
		case !awsname.IsDNSLabel(l):
			p.bad("domain", d, fmt.Sprintf("label %d (%s) must be lower-case letters, digits and inner hyphens, 1 to %d characters", i+1, Show(l), MaxLabelLength))
			return
		}
	}
	if len(d) > MaxDomainLength {
		p.bad("domain", d, fmt.Sprintf("it is %d characters long; at most %d: it is the Common Name of the ACM certificate, which RFC 5280 limits to 64", len(d), MaxDomainLength))
		return
	}
	for _, h := range c.Hostnames() {
		if len(h) > MaxNameLength {
			p.bad("domain", d, fmt.Sprintf("makes the name %s %d characters long; a DNS name has at most %d", Show(h), len(h), MaxNameLength))
		}
	}
}

// validateZoneNames checks explicit AZ names: as many as availabilityZones, distinct, of the region.
func (c *Config) validateZoneNames(p *problems, countOK bool) {
	if len(c.ZoneNames) == 0 {
		return
	}
	if countOK && len(c.ZoneNames) != c.AvailabilityZones {
		p.bad("zoneNames", c.ZoneNames, fmt.Sprintf("must list exactly availabilityZones (%d) names, or be empty", c.AvailabilityZones))
	}
	seen := map[string]bool{}
	for i, z := range c.ZoneNames {
		key := fmt.Sprintf("zoneNames[%d]", i)
		region, ok := awsname.ZoneRegion(z)
		switch {
		case !ok:
			p.bad(key, z, "must be an AZ name such as "+c.Region+"a (Local and Wavelength Zones are not supported)")
		case c.Region != "" && region != c.Region:
			p.bad(key, z, "must be an AZ of the stack's region "+c.Region+", such as "+c.Region+"a")
		case seen[z]:
			p.bad(key, z, "it is listed twice: list every AZ once")
		}
		seen[z] = true
	}
}

// validatePair checks the keys of an active-active pair: a pair needs the account, the stack's role,
// and for the member the owner's stack.
func (c *Config) validatePair(p *problems) {
	if c.PeerRegion == "" {
		if c.PairRole != "" {
			p.bad("pairRole", c.PairRole, "must be empty without peerRegion: a role only means something in an active-active pair")
		}
		if c.PeerStack != "" {
			p.bad("peerStack", c.PeerStack, "must be empty without peerRegion: only the member of a pair reads its owner's stack")
		}
		return
	}
	if c.AccountID == "" {
		p.errs = append(p.errs, errors.New("config aws:allowedAccountIds is not set: a pair needs its AWS account ID (it names the stop buckets and stops a deployment into the wrong account): set it with 'pulumi config set --path \"aws:allowedAccountIds[0]\" 123456789012'"))
	}
	switch c.PairRole {
	case PairOwner:
		if c.PeerStack != "" {
			p.bad("peerStack", c.PeerStack, "must be empty on the owner: the owner creates the pair's shared resources and reads nothing from the member")
		}
	case PairMember:
		if c.PeerStack == "" || len(c.PeerStack) > MaxStackNameLength || !stackNamePattern.MatchString(c.PeerStack) {
			p.bad("peerStack", c.PeerStack, "must name the owner's stack (stack, org/stack or org/project/stack, such as prod-us-east-1, each part at most 100 letters, digits, '-', '_' or '.'): the member reads the hosted zone, the global cluster and the owner's network from it")
		}
		if c.HostedZoneID != "" {
			p.bad("hostedZoneId", c.HostedZoneID, "must be empty on the member: the pair shares one hosted zone, which the member reads from the owner's stack")
		}
	default:
		p.bad("pairRole", c.PairRole, "must be owner (the stack that creates the pair's hosted zone, global database and secret, deployed first) or member (the other region, which reads them from peerStack); it is fixed for the life of the deployment, and is NOT which region writes to the database")
	}
}

// validateGlobal checks the global database of a pair.
func (c *Config) validateGlobal(p *problems) {
	g := c.GlobalDatabase
	if g.Role != "" {
		p.bad("globalDatabase.role", g.Role, "globalDatabase.role is no longer used: remove it. Which stack creates the global cluster is ess-ha:pairRole (owner or member, fixed for the life of the deployment); which region writes is decided by AWS at runtime and moves on a switchover or failover, with no config change")
	}
	if c.PeerRegion == "" {
		return
	}
	if g.Identifier != "" && !awsname.IsRDSIdentifier(g.Identifier) {
		p.bad("globalDatabase.identifier", g.Identifier, "must be a lower-case RDS identifier: 1 to 63 letters, digits and single hyphens, starting with a letter, not ending with a hyphen")
	}
	switch {
	case !dbClassPattern.MatchString(g.InstanceClass):
		p.bad("globalDatabase.instanceClass", g.InstanceClass, "must be an Aurora instance class such as db.r6g.large")
	case strings.HasPrefix(g.InstanceClass, "db.t"):
		p.bad("globalDatabase.instanceClass", g.InstanceClass, "must not be a burstable (db.t) class: those cannot join an Aurora global database; use a memory-optimized class such as db.r6g.large")
	}
	if major, _, _ := strings.Cut(g.EngineVersion, "."); !auroraVersion.MatchString(g.EngineVersion) || major < "11" {
		p.bad("globalDatabase.engineVersion", g.EngineVersion, "must be an Aurora PostgreSQL major.minor version, 11 or later, that can still be created, such as "+DefaultAuroraVersion+" (it is the version the clusters are created with; later upgrades go through the global cluster)")
	}
	p.between("globalDatabase.backupRetentionDays", g.BackupRetentionDays, MinBackupDays, MaxBackupDays, " days")
}

// validatePool checks one pool.
func (c *Config) validatePool(p *problems, key string, pool Pool, routed, zonesOK bool) {
	if len(pool.InstanceTypes) == 0 || len(pool.InstanceTypes) > MaxInstanceTypes {
		p.bad(key+".instanceTypes", pool.InstanceTypes, fmt.Sprintf("must list 1 to %d EC2 instance types in order of preference, such as [\"m6i.large\", \"m6a.large\"]", MaxInstanceTypes))
	}
	seenTypes := map[string]bool{}
	for i, t := range pool.InstanceTypes {
		if !awsname.IsInstanceType(t) || seenTypes[t] {
			p.bad(fmt.Sprintf("%s.instanceTypes[%d]", key, i), t, "must be a distinct EC2 instance type such as m6i.large")
		}
		seenTypes[t] = true
	}
	p.between(key+".cpuTargetPercent", pool.CPUTargetPercent, 1, 99, ": the average CPU utilization the group scales to keep")
	lo, why := 0, ""
	if routed {
		lo, why = 1, ": the ess pool keeps an instance in every AZ"
	}
	perZoneOK := p.between(key+".minPerZone", pool.MinPerZone, lo, MaxPerZone, why)
	if p.between(key+".maxSize", pool.MaxSize, 1, MaxPoolSize, "") && perZoneOK && zonesOK {
		if least := pool.MinPerZone * c.AvailabilityZones; pool.MaxSize < least {
			p.bad(key+".maxSize", pool.MaxSize, fmt.Sprintf("must be at least minPerZone x availabilityZones (%d x %d = %d)", pool.MinPerZone, c.AvailabilityZones, least))
		}
	}
	if len(pool.Containers) == 0 || len(pool.Containers) > MaxContainers {
		p.bad(key+".containers", len(pool.Containers), fmt.Sprintf("must list 1 to %d containers: a pool with nothing to run is a mistake", MaxContainers))
	}
	if n := UserDataEstimate(pool.Containers); len(pool.Containers) <= MaxContainers && n > MaxUserData {
		p.bad(key+".containers", containerNames(pool.Containers), fmt.Sprintf("make a user data script of up to %d bytes, more than the %d EC2 takes: run fewer containers, or shorten their names, repositories and tags", n, MaxUserData))
	}
	ports, hosts := map[int]bool{}, map[string]bool{}
	for i, ct := range pool.Containers {
		where := fmt.Sprintf("%s.containers[%d]", key, i)
		if !namePattern.MatchString(ct.Name) {
			p.bad(where+".name", ct.Name, "must be a lower-case name of 1 to 63 letters, digits and hyphens, starting with a letter, such as ess-ldp")
		}
		if len(ct.Repository) > MaxRepositoryLength || !awsname.IsECRRepository(ct.Repository) || strings.Contains(strings.SplitN(ct.Repository, "/", 2)[0], ".") {
			p.bad(where+".repository", ct.Repository, fmt.Sprintf("must be a repository name in the region's private ECR registry, at most %d characters, such as inrupt/ess-ldp, never a registry host", MaxRepositoryLength))
		}
		if !awsname.IsImageTag(ct.Tag) || ct.Tag == "latest" {
			p.bad(where+".tag", ct.Tag, "must be a fixed image tag of at most 128 characters such as 2.3.1 (ECR tags are immutable; latest is not allowed)")
		}
		if ct.Port < 0 || ct.Port > 65535 || ct.Port != 0 && ports[ct.Port] {
			p.bad(where+".port", ct.Port, "must be a free port from 1 to 65535, or 0 for none")
		}
		ports[ct.Port] = ct.Port != 0
		if ct.HealthPath != "" && (len(ct.HealthPath) > MaxHealthPathLength || !awsname.IsHealthCheckPath(ct.HealthPath)) {
			p.bad(where+".healthPath", ct.HealthPath, fmt.Sprintf("must be an absolute URL path of at most %d characters, such as /health, or empty for /health (the load balancer's and Route 53's health checks request it)", MaxHealthPathLength))
		}
		if ct.Host == "" {
			continue
		}
		switch {
		case !routed:
			p.bad(where+".host", ct.Host, "must be empty: only the ess pool is reachable from the load balancer")
		case !slices.Contains(hostLabels(), ct.Host):
			p.bad(where+".host", ct.Host, "must be @ (<domain>), identity or oidc: the names the ESS document requires, which the certificate and the DNS records cover")
		case hosts[ct.Host]:
			p.bad(where+".host", ct.Host, "is already the host of another container: route each name to one container")
		case ct.Port == 0:
			p.bad(where+".port", ct.Port, "must be set for a container the load balancer routes to")
		}
		hosts[ct.Host] = true
	}
	if routed && len(pool.Containers) > 0 {
		for _, h := range RequiredHosts {
			label := h
			if label == "" {
				label = "@"
			}
			if !hosts[label] {
				p.bad(key+".containers", containerNames(pool.Containers), fmt.Sprintf("must route the DNS name %q (host %q) to a container: the ESS document requires <domain>, identity.<domain> and oidc.<domain>", Hostname(h, c.Domain), label))
			}
		}
	}
}

// hostLabels are the hosts a container may take: "@" for the apex, and the labels of RequiredHosts.
func hostLabels() []string {
	out := make([]string, len(RequiredHosts))
	for i, h := range RequiredHosts {
		out[i] = h
		if h == "" {
			out[i] = "@"
		}
	}
	return out
}

// UserDataEstimate is an upper bound of the size of the user data script a pool runs its containers
// with (components/pool builds it): a fixed part, and for each container a fixed part and its name
// (which also names its log group), repository and tag, each written several times. A test of this
// package builds a pool at the estimate's limit and checks that its script fits MaxUserData.
func UserDataEstimate(cs []Container) int {
	n := 8 << 10
	for _, c := range cs {
		n += 512 + 4*len(c.Name) + 2*len(c.Repository) + 2*len(c.Tag)
	}
	return n
}

// containerNames lists the names of containers, for an error.
func containerNames(cs []Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// validateContainerNames checks that no two containers share a name, in a pool or across the two: each
// has its own log group, named after it.
func (c *Config) validateContainerNames(p *problems) {
	where := map[string]string{}
	for _, pool := range []struct {
		key string
		cs  []Container
	}{{"essPool", c.EssPool.Containers}, {"backendPool", c.BackendPool.Containers}} {
		for i, ct := range pool.cs {
			key := fmt.Sprintf("%s.containers[%d].name", pool.key, i)
			if first, dup := where[ct.Name]; dup {
				p.bad(key, ct.Name, "it is already the name of "+first+": every container of the two pools needs its own name, which names its log group")
				continue
			}
			where[ct.Name] = key
		}
	}
}

// validateDatabase checks the RDS instance of a single-region stack (its name and username also name
// the global database's).
func (c *Config) validateDatabase(p *problems) {
	d := c.Database
	if !dbClassPattern.MatchString(d.InstanceClass) {
		p.bad("database.instanceClass", d.InstanceClass, "must be an RDS instance class such as db.r6g.large")
	}
	p.between("database.backupRetentionDays", d.BackupRetentionDays, MinBackupDays, MaxBackupDays, " days")
	p.between("database.allocatedStorageGiB", d.AllocatedStorageGiB, MinStorageGiB, MaxStorageGiB, " GiB: storage autoscaling goes up to twice it, and an RDS volume holds at most 64 TiB")
	if !postgresMajor.MatchString(d.EngineVersion) {
		p.bad("database.engineVersion", d.EngineVersion, "must be a PostgreSQL major version such as 16: RDS upgrades the minor version automatically, and a pinned minor version would make every later pulumi up try to downgrade, which RDS refuses")
	}
	if !awsname.IsRDSDatabaseName(d.Name) {
		p.bad("database.name", d.Name, "must be a lower-case identifier of 1 to 63 letters, digits and underscores, starting with a letter, such as ess")
	}
	if !awsname.IsRDSUsername(d.Username) || d.Username == "rdsadmin" {
		p.bad("database.username", d.Username, "must be a lower-case identifier of 1 to 16 letters, digits and underscores, starting with a letter, such as ess (not rdsadmin, which RDS reserves)")
	}
}

// validateCache checks the ElastiCache replication group.
func (c *Config) validateCache(p *problems) {
	k := c.Cache
	if !cacheNodePattern.MatchString(k.NodeType) {
		p.bad("cache.nodeType", k.NodeType, "must be an ElastiCache node type such as cache.r6g.large")
	}
	p.between("cache.replicas", k.Replicas, 1, MaxReplicas, ": a replica in another AZ is what makes failover possible")
	if !redisVersion.MatchString(k.EngineVersion) {
		p.bad("cache.engineVersion", k.EngineVersion, "must be a Redis engine version such as 7.1")
	}
}

// joinInts lists numbers for a message.
func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
