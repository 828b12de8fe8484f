// Package config reads and validates the typed configuration of one regional ess-ha stack. Every key it
// reads is declared, with the same default, in Pulumi.yaml; a test keeps the two in step.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Namespace is the project's configuration namespace.
const Namespace = "ess-ha"

// Load-balancer layouts and gateways a stack can choose.
const (
	LoadBalancersShared = "shared"
	LoadBalancersPerAz  = "perAz"
	GatewayNone         = "none"
	GatewayAccelerator  = "globalAccelerator"
)

// The DNS names the ESS document requires, relative to the domain; "" is the apex.
var RequiredHosts = []string{"", "identity", "oidc"}

// DefaultAuroraVersion is the Aurora PostgreSQL version a global database is created with: a minor
// version that can still be created (16.11 is in standard support until 2027-05-31, see the Aurora
// PostgreSQL release calendar for minor versions,
// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurorapostgresql-release-calendar.html).
const DefaultAuroraVersion = "16.11"

// DefaultAMI resolves the latest Amazon Linux 2023 AMI from the SSM public parameter when the launch
// template is created, so no AMI id needs to live in config.
const DefaultAMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

// Container is one container a pool runs. Its image is pulled only from the region's private ECR
// repository named Repository.
type Container struct {
	// Name of the container on the instance.
	Name string `json:"name"`
	// Repository is the private ECR repository name, e.g. "inrupt/ess-ldp".
	Repository string `json:"repository"`
	// Tag is the image tag (immutable in ECR).
	Tag string `json:"tag"`
	// Port is the host port the container listens on (ess pool: the target group port; 0 for none).
	Port int `json:"port,omitempty"`
	// Host routes a DNS name to this container on the ess pool: "" (none), "@" for the apex, or a
	// label such as "identity" or "oidc".
	Host string `json:"host,omitempty"`
	// HealthPath is the HTTP health check path (default "/health").
	HealthPath string `json:"healthPath,omitempty"`
}

// Image is the image reference relative to a registry: repository:tag.
func (c Container) Image() string { return c.Repository + ":" + c.Tag }

// Pool configures one auto-scaling group.
type Pool struct {
	// InstanceTypes are the EC2 instance types the group may launch, in order of preference; more than
	// one keeps an AZ's capacity from hanging on a single type.
	InstanceTypes []string `json:"instanceTypes"`
	// MinPerZone is the minimum number of instances in each AZ (the group's minimum is this times the
	// number of AZs).
	MinPerZone int `json:"minPerZone"`
	// MaxSize is the group's maximum size.
	MaxSize int `json:"maxSize"`
	// CPUTargetPercent is the average CPU utilization the group's target-tracking scaling keeps it at,
	// between its minimum and MaxSize.
	CPUTargetPercent int         `json:"cpuTargetPercent"`
	Containers       []Container `json:"containers"`
}

// Database configures the regional RDS for PostgreSQL instance of a single-region stack.
type Database struct {
	InstanceClass       string `json:"instanceClass"`
	EngineVersion       string `json:"engineVersion"`
	AllocatedStorageGiB int    `json:"allocatedStorageGiB"`
	BackupRetentionDays int    `json:"backupRetentionDays"`
	Name                string `json:"name"`
	Username            string `json:"username"`
}

// Cache configures the regional ElastiCache for Redis replication group.
type Cache struct {
	NodeType string `json:"nodeType"`
	// Replicas is the number of replicas besides the primary (at least 1, in other AZs).
	Replicas      int    `json:"replicas"`
	EngineVersion string `json:"engineVersion"`
}

// Roles of a stack in an active-active pair. The role says which stack CREATED the pair's shared
// resources, and it is fixed for the life of the deployment; it is not which region writes to the
// database now (that is runtime state that AWS owns, and it moves on every switchover or failover).
const (
	// PairOwner creates the pair's shared resources: the hosted zone (unless hostedZoneId is given),
	// the certificate validation records, the Aurora global cluster and its master secret (replicated
	// to the member's region), and the ECR repositories. It is deployed first.
	PairOwner = "owner"
	// PairMember reads what the owner created through a StackReference to peerStack, joins the global
	// cluster, and connects the two VPCs.
	PairMember = "member"
)

// GlobalDatabase configures this region's member of the Aurora PostgreSQL Global Database that every
// stack of an active-active pair uses (a single-region stack uses Database instead).
type GlobalDatabase struct {
	// Identifier is the global cluster's identifier, the same in every region; empty gives
	// <deployment>-global.
	Identifier    string `json:"identifier,omitempty"`
	InstanceClass string `json:"instanceClass,omitempty"`
	// EngineVersion is the Aurora PostgreSQL version the clusters are CREATED with (major.minor).
	// Later upgrades are made through the global cluster and are never undone by the program.
	EngineVersion       string `json:"engineVersion,omitempty"`
	BackupRetentionDays int    `json:"backupRetentionDays,omitempty"`
	// Role was the former way to say which stack creates the global cluster; it is refused with a
	// message pointing at pairRole.
	Role string `json:"role,omitempty"`
}

// Config is the whole validated configuration of one regional stack.
type Config struct {
	// Deployment names the deployment all its regions share; the STOP drain buckets are named after
	// it (<deployment>-stop-<region>), so it must be unique among S3 bucket names.
	Deployment string
	// AccountID is the AWS account the stack deploys into, from aws:allowedAccountIds (one entry); it
	// names the stop buckets, so a pair needs it.
	AccountID string
	// PeerRegion is the other region of an active-active pair; empty for a single-region deployment.
	PeerRegion string
	// PairRole is PairOwner or PairMember in a pair; empty in a single-region stack.
	PairRole string
	// PeerStack is the owner's stack name, for a member's StackReference (stack, org/stack or
	// org/project/stack).
	PeerStack string
	// RoutingWeight is this region's Route 53 weight (0 to 255) when PeerRegion is set.
	RoutingWeight  int
	GlobalDatabase GlobalDatabase
	// Region is aws:region.
	Region string
	// Domain is the deployment's DNS domain; <domain>, identity.<domain> and oidc.<domain> are served.
	Domain string
	// HostedZoneID is an existing Route 53 zone for Domain; empty creates one.
	HostedZoneID string
	VpcCidr      string
	// AvailabilityZones is how many AZs the region spans (at least 2).
	AvailabilityZones int
	// ZoneNames overrides the AZ names; by default the region's first AvailabilityZones letters.
	ZoneNames        []string
	LoadBalancers    string
	Gateway          string
	AmiID            string
	LogRetentionDays int
	AlarmEmail       string
	EssPool          Pool
	BackendPool      Pool
	Database         Database
	Cache            Cache
}

// Defaults returns the configuration used for every key a stack leaves unset. Pulumi.yaml declares
// the same defaults.
func Defaults() Config {
	return Config{
		Deployment:    "ess-ha",
		RoutingWeight: 100,
		GlobalDatabase: GlobalDatabase{
			InstanceClass:       "db.r6g.large",
			EngineVersion:       DefaultAuroraVersion,
			BackupRetentionDays: 14,
		},
		VpcCidr:           "10.0.0.0/16",
		AvailabilityZones: 3,
		ZoneNames:         []string{},
		LoadBalancers:     LoadBalancersShared,
		Gateway:           GatewayNone,
		AmiID:             DefaultAMI,
		LogRetentionDays:  90,
		EssPool: Pool{
			InstanceTypes:    []string{"m6i.large", "m6a.large", "m5.large"},
			MinPerZone:       1,
			MaxSize:          9,
			CPUTargetPercent: 50,
			Containers: []Container{
				{Name: "ess-ldp", Repository: "inrupt/ess-ldp", Tag: "2.3.1", Port: 8081, Host: "@", HealthPath: "/health"},
				{Name: "ess-identity", Repository: "inrupt/ess-identity", Tag: "2.3.1", Port: 8082, Host: "identity", HealthPath: "/health"},
				{Name: "ess-oidc-broker", Repository: "inrupt/ess-oidc-broker", Tag: "2.3.1", Port: 8083, Host: "oidc", HealthPath: "/health"},
			},
		},
		BackendPool: Pool{
			InstanceTypes:    []string{"m6i.large", "m6a.large", "m5.large"},
			MinPerZone:       0,
			MaxSize:          3,
			CPUTargetPercent: 50,
			Containers: []Container{
				{Name: "prometheus", Repository: "backend/prometheus", Tag: "v2.53.0"},
				{Name: "fluent-bit", Repository: "backend/fluent-bit", Tag: "3.1.4"},
			},
		},
		Database: Database{
			InstanceClass:       "db.r6g.large",
			EngineVersion:       "16",
			AllocatedStorageGiB: 100,
			BackupRetentionDays: 14,
			Name:                "ess",
			Username:            "ess",
		},
		Cache: Cache{NodeType: "cache.r6g.large", Replicas: 1, EngineVersion: "7.1"},
	}
}

// Error is a configuration error: the key, the bad value and what is allowed.
type Error struct {
	Key     string
	Value   any
	Allowed string
}

func (e *Error) Error() string {
	return fmt.Sprintf("config %s:%s = %s is invalid: %s", Namespace, e.Key, show(e.Value), e.Allowed)
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Load reads the stack's configuration from the Pulumi context, applies the defaults and validates it.
// All problems are reported together.
func Load(ctx *pulumi.Context) (*Config, error) {
	cfg := Defaults()
	var errs []error
	c := pulumiconfig.New(ctx, Namespace)
	awsCfg := pulumiconfig.New(ctx, "aws")
	cfg.Region = awsCfg.Get("region")
	if cfg.Region == "" {
		errs = append(errs, errors.New("config aws:region is not set: set it with 'pulumi config set aws:region us-east-1'"))
	}
	str := func(key string, dst *string) {
		if v, ok := ctx.GetConfig(Namespace + ":" + key); ok {
			*dst = v
		}
	}
	num := func(key string, dst *int) {
		if _, ok := ctx.GetConfig(Namespace + ":" + key); !ok {
			return
		}
		v, err := c.TryInt(key)
		if err != nil {
			raw, _ := ctx.GetConfig(Namespace + ":" + key)
			errs = append(errs, &Error{Key: key, Value: raw, Allowed: "must be a whole number"})
			return
		}
		*dst = v
	}
	obj := func(key string, dst any) {
		raw, ok := ctx.GetConfig(Namespace + ":" + key)
		if !ok {
			return
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			allowed := "must be " + describe(key) + ": " + err.Error()
			if strings.Contains(err.Error(), `unknown field "instanceType"`) {
				allowed = key + ".instanceType was replaced by " + key + ".instanceTypes, a list in order of preference such as [\"m6i.large\", \"m6a.large\"]: " + err.Error()
			}
			errs = append(errs, &Error{Key: key, Value: raw, Allowed: allowed})
		}
	}
	if raw := awsCfg.Get("allowedAccountIds"); raw != "" {
		var ids []string
		if err := json.Unmarshal([]byte(raw), &ids); err != nil || len(ids) != 1 {
			errs = append(errs, fmt.Errorf("config aws:allowedAccountIds = %s is invalid: list exactly one 12-digit AWS account ID, such as [\"123456789012\"]: it guards the deployment against the wrong account and names the stop buckets", raw))
		} else {
			cfg.AccountID = ids[0]
		}
	}
	str("deployment", &cfg.Deployment)
	str("peerRegion", &cfg.PeerRegion)
	str("pairRole", &cfg.PairRole)
	str("peerStack", &cfg.PeerStack)
	num("routingWeight", &cfg.RoutingWeight)
	obj("globalDatabase", &cfg.GlobalDatabase)
	str("domain", &cfg.Domain)
	str("hostedZoneId", &cfg.HostedZoneID)
	str("vpcCidr", &cfg.VpcCidr)
	num("availabilityZones", &cfg.AvailabilityZones)
	obj("zoneNames", &cfg.ZoneNames)
	str("loadBalancers", &cfg.LoadBalancers)
	str("gateway", &cfg.Gateway)
	str("amiId", &cfg.AmiID)
	num("logRetentionDays", &cfg.LogRetentionDays)
	str("alarmEmail", &cfg.AlarmEmail)
	obj("essPool", &cfg.EssPool)
	obj("backendPool", &cfg.BackendPool)
	obj("database", &cfg.Database)
	obj("cache", &cfg.Cache)
	errs = append(errs, cfg.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func describe(key string) string {
	switch key {
	case "zoneNames":
		return "a list of AZ names such as [\"us-east-1a\", \"us-east-1b\"]"
	case "essPool", "backendPool":
		return "an object {instanceTypes, minPerZone, maxSize, cpuTargetPercent, containers: [{name, repository, tag, port, host, healthPath}]}"
	case "database":
		return "an object {instanceClass, engineVersion, allocatedStorageGiB, backupRetentionDays, name, username}"
	case "cache":
		return "an object {nodeType, replicas, engineVersion}"
	case "globalDatabase":
		return "an object {identifier, instanceClass, engineVersion, backupRetentionDays}"
	}
	return "a valid value"
}

var (
	domainPattern     = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	labelPattern      = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	repoPattern       = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
	tagPattern        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	deploymentPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$`)
	accountPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	stackNamePattern  = regexp.MustCompile(`^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$`)
	instanceType      = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	namePattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	zonePattern       = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
)

// MaxZones is the largest number of AZs the subnet plan has room for.
const MaxZones = 8

// Validate checks every field and reports every problem, each naming the key, the value and the fix.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, v any, allowed string) {
		errs = append(errs, &Error{Key: key, Value: v, Allowed: allowed})
	}
	if c.Region != "" && !regionPattern.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("config aws:region = %q is invalid: must be an AWS region such as us-east-1", c.Region))
	}
	if !deploymentPattern.MatchString(c.Deployment) {
		bad("deployment", c.Deployment, "must be 3 to 30 lower-case letters, digits and hyphens, starting and ending with a letter or digit (it names the S3 stop buckets <deployment>-stop-<account>-<region>, at most 63 characters: no dots)")
	}
	if c.AccountID != "" && !accountPattern.MatchString(c.AccountID) {
		errs = append(errs, fmt.Errorf("config aws:allowedAccountIds = [%q] is invalid: must hold one 12-digit AWS account ID", c.AccountID))
	}
	if c.PeerRegion != "" && (!regionPattern.MatchString(c.PeerRegion) || c.PeerRegion == c.Region) {
		bad("peerRegion", c.PeerRegion, "must be another AWS region, such as us-west-2, or empty for a single-region deployment")
	}
	errs = append(errs, c.validatePair())
	if c.RoutingWeight < 0 || c.RoutingWeight > 255 {
		bad("routingWeight", c.RoutingWeight, "must be from 0 to 255 (Route 53 weights)")
	}
	errs = append(errs, c.validateGlobal())
	if !domainPattern.MatchString(c.Domain) || len(c.Domain) > 253 {
		bad("domain", c.Domain, "must be a DNS domain such as example.com (lower case, at least two labels)")
	}
	if c.HostedZoneID != "" && !zonePattern.MatchString(c.HostedZoneID) {
		bad("hostedZoneId", c.HostedZoneID, "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, or empty to create a zone")
	}
	if p, err := netip.ParsePrefix(c.VpcCidr); err != nil || !p.Addr().Is4() || p.Masked() != p || p.Bits() < 16 || p.Bits() > 22 {
		bad("vpcCidr", c.VpcCidr, "must be an IPv4 network in CIDR form from /16 to /22 with no host bits, such as 10.0.0.0/16")
	}
	if c.AvailabilityZones < 2 || c.AvailabilityZones > MaxZones {
		bad("availabilityZones", c.AvailabilityZones, fmt.Sprintf("must be from 2 to %d: the HA architecture needs at least 2 AZs", MaxZones))
	}
	if len(c.ZoneNames) > 0 {
		if len(c.ZoneNames) != c.AvailabilityZones {
			bad("zoneNames", c.ZoneNames, fmt.Sprintf("must list exactly availabilityZones (%d) names, or be empty", c.AvailabilityZones))
		}
		seen := map[string]bool{}
		for _, z := range c.ZoneNames {
			if !strings.HasPrefix(z, c.Region) || len(z) != len(c.Region)+1 || seen[z] {
				bad("zoneNames", c.ZoneNames, fmt.Sprintf("must be distinct AZ names of region %s, such as %sa", c.Region, c.Region))
				break
			}
			seen[z] = true
		}
	}
	if !slices.Contains([]string{LoadBalancersShared, LoadBalancersPerAz}, c.LoadBalancers) {
		bad("loadBalancers", c.LoadBalancers, "must be shared or perAz")
	}
	if !slices.Contains([]string{GatewayNone, GatewayAccelerator}, c.Gateway) {
		bad("gateway", c.Gateway, "must be none or globalAccelerator")
	}
	if c.LoadBalancers == LoadBalancersPerAz && c.Gateway != GatewayAccelerator {
		bad("gateway", c.Gateway, "must be globalAccelerator when loadBalancers is perAz: the accelerator fronts the per-AZ load balancers")
	}
	if c.AmiID == "" || !(strings.HasPrefix(c.AmiID, "ami-") || strings.HasPrefix(c.AmiID, "resolve:ssm:")) {
		bad("amiId", c.AmiID, "must be an AMI id (ami-...) or an SSM parameter reference (resolve:ssm:/path)")
	}
	if !slices.Contains([]int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}, c.LogRetentionDays) {
		bad("logRetentionDays", c.LogRetentionDays, "must be a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653")
	}
	if c.AlarmEmail != "" && !regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`).MatchString(c.AlarmEmail) {
		bad("alarmEmail", c.AlarmEmail, "must be an e-mail address, or empty for no subscription")
	}
	errs = append(errs, c.validatePool("essPool", c.EssPool, true), c.validatePool("backendPool", c.BackendPool, false))
	if c.Database.InstanceClass == "" || !strings.HasPrefix(c.Database.InstanceClass, "db.") {
		bad("database", c.Database.InstanceClass, "database.instanceClass must be an RDS instance class such as db.r6g.large")
	}
	if c.Database.BackupRetentionDays < 7 || c.Database.BackupRetentionDays > 35 {
		bad("database", c.Database.BackupRetentionDays, "database.backupRetentionDays must be from 7 to 35")
	}
	if c.Database.AllocatedStorageGiB < 20 {
		bad("database", c.Database.AllocatedStorageGiB, "database.allocatedStorageGiB must be at least 20")
	}
	if !regexp.MustCompile(`^[0-9]{2}$`).MatchString(c.Database.EngineVersion) {
		bad("database", c.Database.EngineVersion, "database.engineVersion must be a PostgreSQL major version such as 16: RDS upgrades the minor version automatically, and a pinned minor version would make every later pulumi up try to downgrade, which RDS refuses")
	}
	if !regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`).MatchString(c.Database.Name) || !regexp.MustCompile(`^[a-z][a-z0-9_]{0,15}$`).MatchString(c.Database.Username) {
		bad("database", map[string]string{"name": c.Database.Name, "username": c.Database.Username}, "database.name and database.username must be lower-case identifiers")
	}
	if !strings.HasPrefix(c.Cache.NodeType, "cache.") {
		bad("cache", c.Cache.NodeType, "cache.nodeType must be an ElastiCache node type such as cache.r6g.large")
	}
	if c.Cache.Replicas < 1 || c.Cache.Replicas > 5 {
		bad("cache", c.Cache.Replicas, "cache.replicas must be from 1 to 5: a replica in another AZ is what makes failover possible")
	}
	return errors.Join(errs...)
}

// validatePair checks the keys of an active-active pair: a pair needs the account, the stack's role,
// and for the member the owner's stack.
func (c *Config) validatePair() error {
	var errs []error
	bad := func(key string, v any, allowed string) {
		errs = append(errs, &Error{Key: key, Value: v, Allowed: allowed})
	}
	if c.PeerRegion == "" {
		if c.PairRole != "" {
			bad("pairRole", c.PairRole, "must be empty without peerRegion: a role only means something in an active-active pair")
		}
		if c.PeerStack != "" {
			bad("peerStack", c.PeerStack, "must be empty without peerRegion: only the member of a pair reads its owner's stack")
		}
		return errors.Join(errs...)
	}
	if c.AccountID == "" {
		errs = append(errs, errors.New("config aws:allowedAccountIds is not set: a pair needs its AWS account ID (it names the stop buckets and stops a deployment into the wrong account): set it with 'pulumi config set --path \"aws:allowedAccountIds[0]\" 123456789012'"))
	}
	switch c.PairRole {
	case PairOwner:
		if c.PeerStack != "" {
			bad("peerStack", c.PeerStack, "must be empty on the owner: the owner creates the pair's shared resources and reads nothing from the member")
		}
	case PairMember:
		if c.PeerStack == "" || !stackNamePattern.MatchString(c.PeerStack) {
			bad("peerStack", c.PeerStack, "must name the owner's stack (stack, org/stack or org/project/stack, such as prod-us-east-1): the member reads the hosted zone, the global cluster and the owner's network from it")
		}
		if c.HostedZoneID != "" {
			bad("hostedZoneId", c.HostedZoneID, "must be empty on the member: the pair shares one hosted zone, which the member reads from the owner's stack")
		}
	default:
		bad("pairRole", c.PairRole, "must be owner (the stack that creates the pair's hosted zone, global database and secret, deployed first) or member (the other region, which reads them from peerStack); it is fixed for the life of the deployment, and is NOT which region writes to the database")
	}
	return errors.Join(errs...)
}

func (c *Config) validateGlobal() error {
	g := c.GlobalDatabase
	var errs []error
	bad := func(v any, allowed string) {
		errs = append(errs, &Error{Key: "globalDatabase", Value: v, Allowed: allowed})
	}
	if g.Role != "" {
		bad(g.Role, "globalDatabase.role is no longer used: remove it. Which stack creates the global cluster is ess-ha:pairRole (owner or member, fixed for the life of the deployment); which region writes is decided by AWS at runtime and moves on a switchover or failover, with no config change")
	}
	if c.PeerRegion == "" {
		return errors.Join(errs...)
	}
	if g.Identifier != "" && !regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`).MatchString(g.Identifier) {
		bad(g.Identifier, "globalDatabase.identifier must be a lower-case RDS identifier")
	}
	if !strings.HasPrefix(g.InstanceClass, "db.") {
		bad(g.InstanceClass, "globalDatabase.instanceClass must be an Aurora instance class such as db.r6g.large")
	}
	if !regexp.MustCompile(`^[0-9]{2}\.[0-9]+$`).MatchString(g.EngineVersion) {
		bad(g.EngineVersion, "globalDatabase.engineVersion must be an Aurora PostgreSQL major.minor version that can still be created, such as "+DefaultAuroraVersion+" (it is the version the clusters are created with; later upgrades go through the global cluster)")
	}
	if g.BackupRetentionDays < 7 || g.BackupRetentionDays > 35 {
		bad(g.BackupRetentionDays, "globalDatabase.backupRetentionDays must be from 7 to 35")
	}
	return errors.Join(errs...)
}

// GlobalIdentifier is the global cluster's identifier.
func (c *Config) GlobalIdentifier() string {
	if c.GlobalDatabase.Identifier != "" {
		return c.GlobalDatabase.Identifier
	}
	return c.Deployment + "-global"
}

// MultiRegion reports whether the stack is one region of an active-active pair.
func (c *Config) MultiRegion() bool { return c.PeerRegion != "" }

// Owner reports whether the stack is the owner of its pair (false in a single-region stack).
func (c *Config) Owner() bool { return c.PeerRegion != "" && c.PairRole == PairOwner }

// Member reports whether the stack is the member of its pair.
func (c *Config) Member() bool { return c.PeerRegion != "" && c.PairRole == PairMember }

func (c *Config) validatePool(key string, p Pool, routed bool) error {
	var errs []error
	bad := func(v any, allowed string) { errs = append(errs, &Error{Key: key, Value: v, Allowed: allowed}) }
	if len(p.InstanceTypes) == 0 || len(p.InstanceTypes) > 20 {
		bad(p.InstanceTypes, key+".instanceTypes must list 1 to 20 EC2 instance types in order of preference, such as [\"m6i.large\", \"m6a.large\"]")
	}
	seenTypes := map[string]bool{}
	for i, t := range p.InstanceTypes {
		if !instanceType.MatchString(t) || seenTypes[t] {
			bad(t, fmt.Sprintf("%s.instanceTypes[%d] must be a distinct EC2 instance type such as m6i.large", key, i))
		}
		seenTypes[t] = true
	}
	if p.CPUTargetPercent < 1 || p.CPUTargetPercent > 99 {
		bad(p.CPUTargetPercent, key+".cpuTargetPercent must be from 1 to 99: the average CPU utilization the group scales to keep")
	}
	if routed && p.MinPerZone < 1 {
		bad(p.MinPerZone, key+".minPerZone must be at least 1: the ess pool keeps an instance in every AZ")
	}
	if p.MinPerZone < 0 {
		bad(p.MinPerZone, key+".minPerZone must not be negative")
	}
	if p.MaxSize < p.MinPerZone*c.AvailabilityZones || p.MaxSize < 1 {
		bad(p.MaxSize, fmt.Sprintf("%s.maxSize must be at least 1 and at least minPerZone x availabilityZones (%d)", key, p.MinPerZone*c.AvailabilityZones))
	}
	if len(p.Containers) == 0 {
		bad(p.Containers, key+".containers must list at least one container: a pool with nothing to run is a mistake")
	}
	names, ports, hosts := map[string]bool{}, map[int]bool{}, map[string]bool{}
	for i, ct := range p.Containers {
		where := fmt.Sprintf("%s.containers[%d]", key, i)
		if !namePattern.MatchString(ct.Name) || names[ct.Name] {
			bad(ct.Name, where+".name must be a unique lower-case name such as ess-ldp")
		}
		names[ct.Name] = true
		if !repoPattern.MatchString(ct.Repository) || strings.Contains(ct.Repository, ".") && strings.Contains(strings.SplitN(ct.Repository, "/", 2)[0], ".") {
			bad(ct.Repository, where+".repository must be a repository name in the region's private ECR registry, such as inrupt/ess-ldp, never a registry host")
		}
		if !tagPattern.MatchString(ct.Tag) || ct.Tag == "latest" {
			bad(ct.Tag, where+".tag must be a fixed image tag such as 2.3.1 (ECR tags are immutable; latest is not allowed)")
		}
		if ct.Port < 0 || ct.Port > 65535 || (ct.Port != 0 && ports[ct.Port]) {
			bad(ct.Port, where+".port must be a free port from 1 to 65535, or 0 for none")
		}
		ports[ct.Port] = ct.Port != 0
		if ct.Host != "" {
			if !routed {
				bad(ct.Host, where+".host must be empty: only the ess pool is reachable from the load balancer")
			} else if ct.Host != "@" && !labelPattern.MatchString(ct.Host) || hosts[ct.Host] {
				bad(ct.Host, where+".host must be @ (the apex), or a unique DNS label such as identity")
			} else if ct.Port == 0 {
				bad(ct.Port, where+".port must be set for a container the load balancer routes to")
			}
			hosts[ct.Host] = true
		}
	}
	if routed && len(p.Containers) > 0 {
		for _, h := range RequiredHosts {
			label := h
			if label == "" {
				label = "@"
			}
			if !hosts[label] {
				bad(p.Containers, fmt.Sprintf("%s.containers must route the DNS name %q (host %q) to a container: the ESS document requires <domain>, identity.<domain> and oidc.<domain>", key, Hostname(h, c.Domain), label))
			}
		}
	}
	return errors.Join(errs...)
}

// Zones returns the AZ names the stack spans.
func (c *Config) Zones() []string {
	if len(c.ZoneNames) > 0 {
		return slices.Clone(c.ZoneNames)
	}
	zones := make([]string, c.AvailabilityZones)
	for i := range zones {
		zones[i] = c.Region + string(rune('a'+i))
	}
	return zones
}

// Hostname joins a host label to the domain: "" or "@" is the apex.
func Hostname(label, domain string) string {
	if label == "" || label == "@" {
		return domain
	}
	return label + "." + domain
}

// Hostnames returns the three DNS names the deployment serves: the apex, identity and oidc.
func (c *Config) Hostnames() []string {
	names := make([]string, len(RequiredHosts))
	for i, h := range RequiredHosts {
		names[i] = Hostname(h, c.Domain)
	}
	return names
}

// Declared returns every configuration key the program reads in the project namespace, with its
// default (nil for a required key). Pulumi.yaml must declare exactly these, with these defaults.
func Declared() map[string]any {
	d := Defaults()
	return map[string]any{
		"deployment":        d.Deployment,
		"peerRegion":        d.PeerRegion,
		"pairRole":          d.PairRole,
		"peerStack":         d.PeerStack,
		"routingWeight":     d.RoutingWeight,
		"globalDatabase":    d.GlobalDatabase,
		"domain":            nil,
		"hostedZoneId":      d.HostedZoneID,
		"vpcCidr":           d.VpcCidr,
		"availabilityZones": d.AvailabilityZones,
		"zoneNames":         d.ZoneNames,
		"loadBalancers":     d.LoadBalancers,
		"gateway":           d.Gateway,
		"amiId":             d.AmiID,
		"logRetentionDays":  d.LogRetentionDays,
		"alarmEmail":        d.AlarmEmail,
		"essPool":           d.EssPool,
		"backendPool":       d.BackendPool,
		"database":          d.Database,
		"cache":             d.Cache,
	}
}
