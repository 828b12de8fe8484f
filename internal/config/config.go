// Package config reads and validates the typed configuration of one regional ess-ha stack. Every key it
// reads is declared, with the same default, in Pulumi.yaml; a test keeps the two in step.
package config

import "slices"

// Namespace is the project's configuration namespace.
const Namespace = "ess-ha"

// Load-balancer layouts and gateways a stack can choose.
const (
	LoadBalancersShared = "shared"
	LoadBalancersPerAz  = "perAz"
	GatewayNone         = "none"
	GatewayAccelerator  = "globalAccelerator"
)

// RequiredHosts are the DNS names the ESS document requires, relative to the domain; "" is the apex.
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
