// Package region provides the Region component: the whole HA topology of one region, composed from
// the network, registry, observability, DNS, edge, pool, database and cache components.
package region

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/cache"
	"github.com/ess-ha/ess-ha/components/database"
	"github.com/ess-ha/ess-ha/components/dns"
	"github.com/ess-ha/ess-ha/components/edge"
	"github.com/ess-ha/ess-ha/components/globaldb"
	"github.com/ess-ha/ess-ha/components/network"
	"github.com/ess-ha/ess-ha/components/observability"
	"github.com/ess-ha/ess-ha/components/peering"
	"github.com/ess-ha/ess-ha/components/pool"
	"github.com/ess-ha/ess-ha/components/registry"
	"github.com/ess-ha/ess-ha/components/traffic"
	"github.com/ess-ha/ess-ha/internal/config"
	"github.com/ess-ha/ess-ha/internal/pairing"
)

// RegionArgs configures a Region.
type RegionArgs struct {
	// Config is the stack's validated configuration.
	Config *config.Config
	// Owner is what the member of a pair read from its owner's stack (pairing.Read); nil otherwise.
	Owner *pairing.Owner
}

// Region is the HA topology of one region.
type Region struct {
	pulumi.ResourceState

	Network  *network.Network
	Registry *registry.Registry
	Logs     *observability.Logs
	Zone     *dns.Zone
	Edge     *edge.Edge
	Ess      *pool.Pool
	Backend  *pool.Pool
	// Database is the regional Multi-AZ instance of a single-region stack; GlobalDatabase replaces it
	// in a stack that is part of an Aurora global database.
	Database       *database.Database
	GlobalDatabase *globaldb.GlobalDatabase
	Cache          *cache.Cache
	// Records are the plain alias records of a single-region stack; Traffic replaces them (weighted
	// records, health checks and the STOP drain switch) in a stack with a peer region.
	Records     *dns.Records
	Traffic     *traffic.Traffic
	Replication *registry.Replication
	// Peering connects the pair's VPCs (member only: it creates both sides).
	Peering *peering.Peering
	Alarms  *observability.Alarms
	// DependencyAlarms fire when the database or every cache node is gone; the region's health check
	// follows them (pair only). HealthCheckAlarms alarm on the region's health checks (pair only).
	DependencyAlarms  *observability.DependencyAlarms
	HealthCheckAlarms *observability.HealthCheckAlarms

	// Outputs are what an operator needs, keyed by stack output name. No secret is among them.
	Outputs pulumi.Map

	// providers are the AWS providers for other regions, one per region (see providerFor).
	providers map[string]*aws.Provider
}

// providerFor returns the region's AWS provider for another region, creating it the first time: the
// peering and the health check alarms of a member whose owner is in us-east-1 share one, where two
// would register the same URN, which the engine refuses.
func (r *Region) providerFor(ctx *pulumi.Context, name, region, accountID string) (*aws.Provider, error) {
	if p, ok := r.providers[region]; ok {
		return p, nil
	}
	p, err := aws.NewProvider(ctx, name+"-"+region, &aws.ProviderArgs{
		Region:            pulumi.String(region),
		AllowedAccountIds: pulumi.ToStringArray([]string{accountID}),
	}, pulumi.Parent(r))
	if err != nil {
		return nil, err
	}
	if r.providers == nil {
		r.providers = map[string]*aws.Provider{}
	}
	r.providers[region] = p
	return p, nil
}

// NewRegion creates the Region component and everything in it.
func NewRegion(ctx *pulumi.Context, name string, args *RegionArgs, opts ...pulumi.ResourceOption) (*Region, error) {
	if args == nil || args.Config == nil {
		return nil, errors.New("region: RegionArgs.Config is required")
	}
	if err := args.Config.Validate(); err != nil {
		return nil, fmt.Errorf("region: %w", err)
	}
	cfg := args.Config
	if cfg.Member() != (args.Owner != nil) {
		return nil, errors.New("region: RegionArgs.Owner must be set exactly when the stack is the member of a pair: read it with pairing.Read")
	}
	r := &Region{}
	if err := ctx.RegisterComponentResource("ess-ha:region:Region", name, r, opts...); err != nil {
		return nil, fmt.Errorf("registering region %s: %w", name, err)
	}
	if err := r.build(ctx, name, cfg, args.Owner); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(r, r.Outputs); err != nil {
		return nil, fmt.Errorf("registering the outputs of region %s: %w", name, err)
	}
	return r, nil
}

// builder holds what every step of building a region shares.
type builder struct {
	ctx    *pulumi.Context
	name   string
	cfg    *config.Config
	owner  *pairing.Owner
	zones  []string
	tags   map[string]string
	parent pulumi.ResourceOrInvokeOption
	// parameterPath is the SSM path the database and the cache publish their settings under, and the
	// pools read them from.
	parameterPath string
	// repos are the ECR repositories of every container, sorted.
	repos []string
}

// build creates the region's components, one step after the other, and collects its outputs.
func (r *Region) build(ctx *pulumi.Context, name string, cfg *config.Config, owner *pairing.Owner) error {
	b := &builder{
		ctx: ctx, name: name, cfg: cfg, owner: owner, zones: cfg.Zones(),
		tags:          map[string]string{"project": "ess-ha", "stack": ctx.Stack(), "domain": cfg.Domain},
		parent:        pulumi.Parent(r),
		parameterPath: "/ess-ha/" + ctx.Stack() + "/",
	}
	var err error
	if r.Network, err = network.NewNetwork(ctx, name+"-network", &network.NetworkArgs{
		VpcCidr: cfg.VpcCidr, Zones: b.zones, FlowLogRetentionDays: cfg.LogRetentionDays, Tags: b.tags,
	}, b.parent); err != nil {
		return fmt.Errorf("creating the network: %w", err)
	}
	if err := r.newRegistryAndLogs(b); err != nil {
		return err
	}
	if err := r.newZoneAndEdge(b); err != nil {
		return err
	}
	if err := r.newPools(b); err != nil {
		return err
	}
	db, err := r.newDatabase(ctx, name, cfg, owner, b.zones, b.parameterPath, b.tags)
	if err != nil {
		return err
	}
	if err := r.newCache(b, db); err != nil {
		return err
	}
	if owner != nil {
		if err := r.newPeering(ctx, name, cfg, owner, db, b.tags); err != nil {
			return err
		}
	}
	if err := r.newRouting(ctx, name, cfg, db, b.tags); err != nil {
		return err
	}
	if cfg.MultiRegion() {
		if r.Replication, err = registry.NewReplication(ctx, name+"-replication", &registry.ReplicationArgs{
			DestinationRegion: cfg.PeerRegion, RepositoryPrefixes: repositoryPrefixes(b.repos),
		}, b.parent); err != nil {
			return fmt.Errorf("creating the registry's replication to %s: %w", cfg.PeerRegion, err)
		}
	}
	if err := r.newAlarms(b, db); err != nil {
		return err
	}
	if r.Traffic != nil {
		if err := r.newHealthCheckAlarms(ctx, name, cfg, b.tags); err != nil {
			return err
		}
	}
	r.Outputs = r.outputs(cfg, b.zones, db)
	return nil
}

// newRegistryAndLogs creates the private registry of every container's repository and a log group per
// container.
func (r *Region) newRegistryAndLogs(b *builder) error {
	cfg := b.cfg
	pools := []struct {
		role string
		cfg  config.Pool
	}{{pool.RoleEss, cfg.EssPool}, {pool.RoleBackend, cfg.BackendPool}}
	repoSet := map[string]bool{}
	// One log group per container: config.Validate makes container names unique across the pools.
	logGroups := map[string]string{}
	for _, p := range pools {
		for _, c := range p.cfg.Containers {
			repoSet[c.Repository] = true
			logGroups[c.Name] = fmt.Sprintf("/ess-ha/%s/%s/%s", b.ctx.Stack(), p.role, c.Name)
		}
	}
	for repo := range repoSet {
		b.repos = append(b.repos, repo)
	}
	sort.Strings(b.repos)
	// Only the owner of a pair (or a single-region stack) creates repositories. The member's are
	// created by ECR replication from creation templates its registry holds, so replication can never
	// collide with a repository the member's stack creates (RepositoryAlreadyExists).
	registryArgs := &registry.RegistryArgs{Repositories: b.repos, KeepImages: 30, Tags: b.tags}
	if cfg.Member() {
		registryArgs.Mode = registry.Member
		registryArgs.AccountID = cfg.AccountID
		registryArgs.Region = cfg.Region
		registryArgs.RepositoryPrefixes = repositoryPrefixes(b.repos)
	}
	var err error
	if r.Registry, err = registry.NewRegistry(b.ctx, b.name+"-registry", registryArgs, b.parent); err != nil {
		return fmt.Errorf("creating the registry: %w", err)
	}
	if r.Logs, err = observability.NewLogs(b.ctx, b.name+"-logs", &observability.LogsArgs{
		Groups: logGroups, RetentionDays: cfg.LogRetentionDays, Region: cfg.Region, Tags: b.tags,
	}, b.parent); err != nil {
		return fmt.Errorf("creating the log groups: %w", err)
	}
	return nil
}

// newZoneAndEdge creates the hosted zone (or uses the given one, or the owner's) and the edge: the
// load balancers with a route per routed ess container.
func (r *Region) newZoneAndEdge(b *builder) error {
	cfg := b.cfg
	// A pair shares one hosted zone: the owner creates it (or uses hostedZoneId), the member uses the
	// owner's. Only one zone can be delegated, so two zones would leave one region's records unanswered.
	zoneID := cfg.HostedZoneID
	if b.owner != nil {
		zoneID = b.owner.HostedZoneID
	}
	var err error
	if r.Zone, err = dns.NewZone(b.ctx, b.name+"-zone", &dns.ZoneArgs{
		Domain: cfg.Domain, ExistingZoneID: zoneID, Shared: cfg.Owner(), Tags: b.tags,
	}, b.parent); err != nil {
		return fmt.Errorf("creating the hosted zone: %w", err)
	}
	var routes []edge.Route
	for _, c := range cfg.EssPool.Containers {
		if c.Host == "" {
			continue
		}
		health := c.HealthPath
		if health == "" {
			health = "/health"
		}
		routes = append(routes, edge.Route{Name: c.Name, Hostname: config.Hostname(c.Host, cfg.Domain), Port: c.Port, HealthPath: health})
	}
	if r.Edge, err = edge.NewEdge(b.ctx, b.name+"-edge", &edge.EdgeArgs{
		Domain:              cfg.Domain,
		Hostnames:           cfg.Hostnames(),
		ZoneID:              r.Zone.ZoneID,
		VpcID:               r.Network.VpcID.ToStringOutput(),
		VpcCidr:             r.Network.VpcCidr,
		PublicSubnetIDs:     network.IDs(r.Network.PublicSubnets),
		Zones:               b.zones,
		LoadBalancerPerZone: cfg.LoadBalancers == config.LoadBalancersPerAz,
		GlobalAccelerator:   cfg.Gateway == config.GatewayAccelerator,
		Routes:              routes,
		Tags:                b.tags,
		ValidationRecords:   validationRecords(cfg),
	}, b.parent); err != nil {
		return fmt.Errorf("creating the edge: %w", err)
	}
	return nil
}

// newPools creates the ess pool, behind the edge's target groups and reading the database's and the
// cache's secrets, and the backend pool.
func (r *Region) newPools(b *builder) error {
	cfg := b.cfg
	targetGroups := make(pulumi.StringArray, len(r.Edge.TargetGroups))
	for i, tg := range r.Edge.TargetGroups {
		targetGroups[i] = tg.Arn
	}
	newPool := func(role string, p config.Pool, ingress pulumi.StringInput, tgs pulumi.StringArray, secrets []string, secretEnv []pool.SecretEnv, dataPorts []int) (*pool.Pool, error) {
		return pool.NewPool(b.ctx, b.name+"-"+role, &pool.PoolArgs{
			Role:                   role,
			Region:                 cfg.Region,
			VpcID:                  r.Network.VpcID.ToStringOutput(),
			SubnetIDs:              network.IDs(r.Network.AppSubnets),
			Zones:                  len(b.zones),
			InstanceTypes:          p.InstanceTypes,
			AmiID:                  cfg.AmiID,
			MinPerZone:             p.MinPerZone,
			MaxSize:                p.MaxSize,
			Containers:             PoolContainers(p.Containers),
			RepositoryURLs:         r.Registry.URLs,
			RepositoryArns:         r.Registry.Arns,
			LogGroupNames:          r.Logs.Names,
			LogGroupArns:           r.Logs.Arns,
			IngressSecurityGroupID: ingress,
			TargetGroupArns:        tgs,
			ParameterPath:          b.parameterPath,
			SecretArnPatterns:      secrets,
			Secrets:                secretEnv,
			CPUTargetPercent:       float64(p.CPUTargetPercent),
			VpcCidr:                r.Network.VpcCidr,
			DataPorts:              dataPorts,
			Tags:                   b.tags,
		}, b.parent)
	}
	essSecrets := []string{
		fmt.Sprintf("arn:aws:secretsmanager:%s:*:secret:%s-cache-*", cfg.Region, b.name),
	}
	if !cfg.MultiRegion() {
		essSecrets = append(essSecrets, fmt.Sprintf("arn:aws:secretsmanager:%s:*:secret:rds!db-*", cfg.Region))
	} else {
		// The owner's master secret; in the member's region its replica, which keeps the name.
		essSecrets = append(essSecrets, fmt.Sprintf("arn:aws:secretsmanager:%s:*:secret:%s-globaldb-master-secret*", cfg.Region, b.name))
	}
	var err error
	if r.Ess, err = newPool(pool.RoleEss, cfg.EssPool, r.Edge.SecurityGroupID.ToStringOutput(), targetGroups, essSecrets,
		[]pool.SecretEnv{pool.DatabaseCredentials(), pool.CacheAuthToken()}, []int{database.Port, cache.Port}); err != nil {
		return fmt.Errorf("creating the ess pool: %w", err)
	}
	if r.Backend, err = newPool(pool.RoleBackend, cfg.BackendPool, nil, nil, nil, nil, nil); err != nil {
		return fmt.Errorf("creating the backend pool: %w", err)
	}
	return nil
}

// newCache creates the cache, reachable from the ess pool only, and lets the ess pool decrypt the
// database's and the cache's secrets.
func (r *Region) newCache(b *builder, db *dbOutputs) error {
	c := b.cfg.Cache
	var err error
	if r.Cache, err = cache.NewCache(b.ctx, b.name+"-cache", &cache.CacheArgs{
		VpcID:                 r.Network.VpcID.ToStringOutput(),
		DataSubnetIDs:         network.IDs(r.Network.DataSubnets),
		Zones:                 b.zones,
		ClientSecurityGroupID: r.Ess.SecurityGroupID.ToStringOutput(),
		Settings:              cache.Settings{NodeType: c.NodeType, Replicas: c.Replicas, EngineVersion: c.EngineVersion},
		ParameterPath:         b.parameterPath,
		Tags:                  b.tags,
	}, b.parent); err != nil {
		return fmt.Errorf("creating the cache: %w", err)
	}
	if err := r.Ess.AllowSecretKeys(b.ctx, pulumi.StringArray{db.kmsKeyArn, r.Cache.KmsKeyArn}); err != nil {
		return fmt.Errorf("letting the ess pool read the database and cache secrets: %w", err)
	}
	return nil
}

// newAlarms creates the alarms on the load balancers, the ess pool, the database and the cache.
func (r *Region) newAlarms(b *builder, db *dbOutputs) error {
	targetGroupSuffixes := make(pulumi.StringArray, len(r.Edge.TargetGroups))
	for i, tg := range r.Edge.TargetGroups {
		targetGroupSuffixes[i] = tg.ArnSuffix
	}
	var err error
	if r.Alarms, err = observability.NewAlarms(b.ctx, b.name+"-alarms", &observability.AlarmsArgs{
		Zones:                   len(b.zones),
		LoadBalancerCount:       len(r.Edge.LoadBalancers),
		CacheClusters:           r.Cache.Clusters,
		LoadBalancerArnSuffixes: r.Edge.LoadBalancerArnSuffixes,
		TargetGroupArnSuffixes:  targetGroupSuffixes,
		EssGroupName:            r.Ess.GroupName,
		DatabaseIdentifier:      db.identifier,
		CacheReplicationGroupID: r.Cache.ReplicationGroupID,
		Email:                   b.cfg.AlarmEmail,
		Tags:                    b.tags,
	}, b.parent); err != nil {
		return fmt.Errorf("creating the alarms: %w", err)
	}
	return nil
}

// outputs are the stack outputs an operator needs; in a pair also what the member reads from the owner.
func (r *Region) outputs(cfg *config.Config, zones []string, db *dbOutputs) pulumi.Map {
	repoURLs := pulumi.StringMap{}
	for repo, url := range r.Registry.URLs {
		repoURLs[repo] = url
	}
	out := pulumi.Map{
		"region":                  pulumi.String(cfg.Region),
		"availabilityZones":       pulumi.ToStringArray(zones),
		"vpcId":                   r.Network.VpcID,
		"hostnames":               pulumi.ToStringArray(cfg.Hostnames()),
		"entryPointDnsName":       r.Edge.AliasDNSName,
		"loadBalancerDnsNames":    r.Edge.LoadBalancerDNSNames,
		"hostedZoneId":            r.Zone.ZoneID,
		"nameServers":             r.Zone.NameServers,
		"databaseEndpoint":        db.endpoint,
		"databaseSecretArn":       db.secretArn,
		"cacheEndpoint":           r.Cache.PrimaryEndpoint,
		"repositoryUrls":          repoURLs,
		"essAutoScalingGroup":     r.Ess.GroupName,
		"backendAutoScalingGroup": r.Backend.GroupName,
		"alarmTopicArn":           r.Alarms.TopicArn,
	}
	if r.Traffic != nil {
		out["drainBucket"] = r.Traffic.DrainBucket
		out["drainObjectUrl"] = r.Traffic.DrainObjectURL
		out["regionHealthCheckId"] = r.Traffic.HealthCheckID
		out["drainHealthCheckId"] = r.Traffic.DrainHealthCheckID
		out["healthCheckerCidrs"] = r.Traffic.CheckerCidrs
	}
	if r.GlobalDatabase != nil {
		out[pairing.OutputGlobalClusterIdentifier] = r.GlobalDatabase.GlobalClusterIdentifier
		out[pairing.OutputGlobalWriterEndpoint] = r.GlobalDatabase.WriterEndpoint
		out["databaseReaderEndpoint"] = r.GlobalDatabase.ReaderEndpoint
	}
	if cfg.MultiRegion() {
		// What the member reads from the owner (internal/pairing); both stacks export it, so an
		// auditor sees the same shape in either.
		out[pairing.OutputPairRole] = pulumi.String(cfg.PairRole)
		out[pairing.OutputDeployment] = pulumi.String(cfg.Deployment)
		out[pairing.OutputAccountID] = pulumi.String(cfg.AccountID)
		out[pairing.OutputVpcCidr] = pulumi.String(cfg.VpcCidr)
		out[pairing.OutputPrivateRouteTableIDs] = r.privateRouteTableIDs()
		out[pairing.OutputDatabaseSecurityGroupID] = r.GlobalDatabase.SecurityGroupID
		out[pairing.OutputEssSecurityGroupID] = r.Ess.SecurityGroupID
	}
	return out
}

// privateRouteTableIDs are the app and data route tables of every AZ, which the peering routes through.
func (r *Region) privateRouteTableIDs() pulumi.StringArray {
	var ids pulumi.StringArray
	for _, rt := range append(append([]*ec2.RouteTable{}, r.Network.AppRouteTables...), r.Network.DataRouteTables...) {
		ids = append(ids, rt.ID().ToStringOutput())
	}
	return ids
}

// PoolContainers maps the containers of a pool's configuration to the pool's own: name, repository, tag
// and port (the host and health path are the edge's routes).
func PoolContainers(cs []config.Container) []pool.Container {
	out := make([]pool.Container, len(cs))
	for i, c := range cs {
		out[i] = pool.Container{Name: c.Name, Repository: c.Repository, Tag: c.Tag, Port: c.Port}
	}
	return out
}

// databaseSettings maps the database's configuration to the single-region database's settings.
func databaseSettings(d config.Database) database.Settings {
	return database.Settings{
		InstanceClass:       d.InstanceClass,
		EngineVersion:       d.EngineVersion,
		AllocatedStorageGiB: d.AllocatedStorageGiB,
		BackupRetentionDays: d.BackupRetentionDays,
		Name:                d.Name,
		Username:            d.Username,
	}
}

// validationRecords says who writes the certificate's validation records: a single-region stack; the
// owner of a pair, keeping them when it is destroyed (they validate the member's certificate too); never
// the member.
func validationRecords(cfg *config.Config) string {
	switch {
	case cfg.Owner():
		return edge.ValidationCreateShared
	case cfg.Member():
		return edge.ValidationByOwner
	}
	return edge.ValidationCreate
}

// newPeering connects the member's VPC to the owner's, both sides, through a provider for the owner's
// region, so that the services of each region reach the global writer endpoint wherever the writer is.
func (r *Region) newPeering(ctx *pulumi.Context, name string, cfg *config.Config, owner *pairing.Owner, db *dbOutputs, tags map[string]string) error {
	ownerRegion, err := r.providerFor(ctx, name, owner.Region, cfg.AccountID)
	if err != nil {
		return fmt.Errorf("creating the AWS provider for the owner's region %s: %w", owner.Region, err)
	}
	r.Peering, err = peering.NewPeering(ctx, name+"-peering", &peering.PeeringArgs{
		Local: peering.Side{
			VpcID:                   r.Network.VpcID.ToStringOutput(),
			VpcCidr:                 cfg.VpcCidr,
			RouteTableIDs:           r.privateRouteTableIDs(),
			DatabaseSecurityGroupID: db.securityGroupID,
			EssSecurityGroupID:      r.Ess.SecurityGroupID.ToStringOutput(),
		},
		Peer: peering.Side{
			VpcID:                   pulumi.String(owner.VpcID),
			VpcCidr:                 owner.VpcCidr,
			RouteTableIDs:           pulumi.ToStringArray(owner.PrivateRouteTableIDs),
			DatabaseSecurityGroupID: pulumi.String(owner.DatabaseSecurityGroupID),
			EssSecurityGroupID:      pulumi.String(owner.EssSecurityGroupID),
		},
		PeerRegion:   owner.Region,
		PeerProvider: ownerRegion,
		Port:         database.Port,
		Tags:         tags,
	}, pulumi.Parent(r))
	if err != nil {
		return fmt.Errorf("connecting the VPC to the owner's in %s: %w", owner.Region, err)
	}
	return nil
}

// dbOutputs are what the rest of the region needs from whichever database the stack has.
type dbOutputs struct {
	endpoint, secretArn, identifier, kmsKeyArn, securityGroupID pulumi.StringOutput
	// clusterIdentifier is the Aurora cluster of a pair's region (empty for a single RDS instance).
	clusterIdentifier pulumi.StringOutput
}

// newDatabase creates the regional Multi-AZ instance, or this region's member of the Aurora global
// database.
func (r *Region) newDatabase(ctx *pulumi.Context, name string, cfg *config.Config, owner *pairing.Owner, zones []string, parameterPath string, tags map[string]string) (*dbOutputs, error) {
	if !cfg.MultiRegion() {
		db, err := database.NewDatabase(ctx, name+"-database", &database.DatabaseArgs{
			VpcID:                 r.Network.VpcID.ToStringOutput(),
			DataSubnetIDs:         network.IDs(r.Network.DataSubnets),
			ClientSecurityGroupID: r.Ess.SecurityGroupID.ToStringOutput(),
			Settings:              databaseSettings(cfg.Database),
			ParameterPath:         parameterPath,
			Tags:                  tags,
		}, pulumi.Parent(r))
		if err != nil {
			return nil, fmt.Errorf("creating the database: %w", err)
		}
		r.Database = db
		return &dbOutputs{endpoint: db.Endpoint, secretArn: db.SecretArn, identifier: db.Identifier, kmsKeyArn: db.KmsKeyArn, securityGroupID: db.SecurityGroupID.ToStringOutput()}, nil
	}
	g := cfg.GlobalDatabase
	args := &globaldb.GlobalDatabaseArgs{
		Role:                    globaldb.RoleOwner,
		GlobalClusterIdentifier: cfg.GlobalIdentifier(),
		EngineVersion:           g.EngineVersion,
		InstanceClass:           g.InstanceClass,
		BackupRetentionDays:     g.BackupRetentionDays,
		DatabaseName:            cfg.Database.Name,
		MasterUsername:          cfg.Database.Username,
		VpcID:                   r.Network.VpcID.ToStringOutput(),
		DataSubnetIDs:           network.IDs(r.Network.DataSubnets),
		Zones:                   zones,
		ClientSecurityGroupID:   r.Ess.SecurityGroupID.ToStringOutput(),
		ParameterPath:           parameterPath,
		SecretReplicaRegions:    []string{cfg.PeerRegion},
		Tags:                    tags,
	}
	if owner != nil {
		replica, err := owner.ReplicaArn(cfg.Region)
		if err != nil {
			return nil, fmt.Errorf("the master secret's replica in %s: %w", cfg.Region, err)
		}
		args.Role, args.MasterUsername, args.SecretReplicaRegions = globaldb.RoleMember, "", nil
		args.GlobalClusterIdentifier = owner.GlobalClusterIdentifier
		args.GlobalWriterEndpoint = pulumi.String(owner.GlobalWriterEndpoint)
		args.SecretArn = pulumi.String(replica)
	}
	db, err := globaldb.NewGlobalDatabase(ctx, name+"-globaldb", args, pulumi.Parent(r))
	if err != nil {
		return nil, fmt.Errorf("creating the %s's cluster of global database %s: %w", cfg.PairRole, args.GlobalClusterIdentifier, err)
	}
	r.GlobalDatabase = db
	return &dbOutputs{endpoint: db.WriterEndpoint, secretArn: db.SecretArn, identifier: db.Instances[0].Identifier, kmsKeyArn: db.KmsKeyArn, securityGroupID: db.SecurityGroupID, clusterIdentifier: db.ClusterIdentifier}, nil
}

// newRouting points the three names at the edge: plain alias records in a single-region stack;
// weighted records behind the region's health check and STOP drain switch when the stack has a peer.
func (r *Region) newRouting(ctx *pulumi.Context, name string, cfg *config.Config, db *dbOutputs, tags map[string]string) error {
	var err error
	if !cfg.MultiRegion() {
		r.Records, err = dns.NewRecords(ctx, name+"-records", &dns.RecordsArgs{
			ZoneID:        r.Zone.ZoneID,
			Hostnames:     cfg.Hostnames(),
			TargetDNSName: r.Edge.AliasDNSName,
			TargetZoneID:  r.Edge.AliasZoneID,
		}, pulumi.Parent(r))
		if err != nil {
			return fmt.Errorf("creating the DNS records: %w", err)
		}
		return nil
	}
	// The region must drain when what its services need is gone: the database, or every cache node.
	r.DependencyAlarms, err = observability.NewDependencyAlarms(ctx, name+"-dependencies", &observability.DependencyAlarmsArgs{
		Region:                    cfg.Region,
		DatabaseClusterIdentifier: db.clusterIdentifier,
		CacheReplicationGroupID:   r.Cache.ReplicationGroupID,
		CacheClusters:             r.Cache.Clusters,
		Tags:                      tags,
	}, pulumi.Parent(r))
	if err != nil {
		return fmt.Errorf("creating the alarms the region's health follows: %w", err)
	}
	alarm := func(h observability.HealthAlarm) traffic.AlarmCheck {
		return traffic.AlarmCheck{Name: h.Name, Region: h.Region, Revision: h.Revision}
	}
	cacheCheck := traffic.Dependency{Name: "cache"}
	for _, h := range r.DependencyAlarms.Cache {
		cacheCheck.Alarms = append(cacheCheck.Alarms, alarm(h))
	}
	weight := cfg.RoutingWeight
	r.Traffic, err = traffic.NewTraffic(ctx, name+"-traffic", &traffic.TrafficArgs{
		Dependencies: []traffic.Dependency{
			{Name: "database", Alarms: []traffic.AlarmCheck{alarm(r.DependencyAlarms.Database)}},
			cacheCheck,
		},
		Deployment:   cfg.Deployment,
		AccountID:    cfg.AccountID,
		Region:       cfg.Region,
		PeerRegion:   cfg.PeerRegion,
		Hostnames:    cfg.Hostnames(),
		ZoneID:       r.Zone.ZoneID,
		AliasDNSName: r.Edge.AliasDNSName,
		AliasZoneID:  r.Edge.AliasZoneID,
		// The load-balancer check probes what clients reach: the accelerator when there is one (it
		// routes around a failed load balancer, so the loss of one ALB of a perAz edge does not drain
		// the region), else the load balancer.
		HealthCheckFQDN:           r.Edge.AliasDNSName,
		HealthCheckPath:           healthPath(cfg),
		HealthCheckListenerArns:   r.Edge.HTTPSListenerArns,
		HealthCheckTargetGroupArn: r.Edge.TargetGroups[0].Arn,
		Weight:                    &weight,
		Tags:                      tags,
	}, pulumi.Parent(r))
	if err != nil {
		return fmt.Errorf("creating the weighted routing and STOP switch: %w", err)
	}
	return nil
}

// newHealthCheckAlarms alarms on the region's Route 53 health checks. Their metrics exist only in
// us-east-1, so the alarms live there, through a provider for that region.
func (r *Region) newHealthCheckAlarms(ctx *pulumi.Context, name string, cfg *config.Config, tags map[string]string) error {
	var usEast1 pulumi.ProviderResource
	if cfg.Region != observability.Route53MetricsRegion {
		p, err := r.providerFor(ctx, name, observability.Route53MetricsRegion, cfg.AccountID)
		if err != nil {
			return fmt.Errorf("creating the AWS provider for %s: %w", observability.Route53MetricsRegion, err)
		}
		usEast1 = p
	}
	var err error
	r.HealthCheckAlarms, err = observability.NewHealthCheckAlarms(ctx, name+"-health-alarms", &observability.HealthCheckAlarmsArgs{
		Region:                    cfg.Region,
		RegionHealthCheckID:       r.Traffic.HealthCheckID,
		DrainHealthCheckID:        r.Traffic.DrainHealthCheckID,
		LoadBalancerHealthCheckID: r.Traffic.LBHealthCheckID,
		TopicArn:                  r.Alarms.TopicArn,
		Email:                     cfg.AlarmEmail,
		USEast1:                   usEast1,
		Tags:                      tags,
	}, pulumi.Parent(r))
	if err != nil {
		return fmt.Errorf("creating the alarms on the Route 53 health checks: %w", err)
	}
	return nil
}

// healthPath is the health path of the first routed ess container, which the region's health check
// probes through the load balancer.
func healthPath(cfg *config.Config) string {
	for _, c := range cfg.EssPool.Containers {
		if c.Host != "" && c.HealthPath != "" {
			return c.HealthPath
		}
	}
	return "/health"
}

// repositoryPrefixes returns the distinct top-level prefixes ("inrupt/", "backend/") of the
// repositories, or the names themselves for repositories without one.
func repositoryPrefixes(repos []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, repo := range repos {
		p := repo
		if i := strings.Index(repo, "/"); i > 0 {
			p = repo[:i+1]
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
