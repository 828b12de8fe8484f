// Package region provides the Region component: the whole HA topology of one region, composed from
// the network, registry, observability, DNS, edge, pool, database and cache components.
package region

import (
	"errors"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/cache"
	"github.com/ess-ha/ess-ha/components/database"
	"github.com/ess-ha/ess-ha/components/dns"
	"github.com/ess-ha/ess-ha/components/edge"
	"github.com/ess-ha/ess-ha/components/network"
	"github.com/ess-ha/ess-ha/components/observability"
	"github.com/ess-ha/ess-ha/components/pool"
	"github.com/ess-ha/ess-ha/components/registry"
	"github.com/ess-ha/ess-ha/internal/config"
)

// RegionArgs configures a Region.
type RegionArgs struct {
	// Config is the stack's validated configuration.
	Config *config.Config
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
	Database *database.Database
	Cache    *cache.Cache
	Records  *dns.Records
	Alarms   *observability.Alarms

	// Outputs are what an operator needs, keyed by stack output name. No secret is among them.
	Outputs pulumi.Map
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
	r := &Region{}
	if err := ctx.RegisterComponentResource("ess-ha:region:Region", name, r, opts...); err != nil {
		return nil, fmt.Errorf("registering region %s: %w", name, err)
	}
	if err := r.build(ctx, name, cfg); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(r, r.Outputs); err != nil {
		return nil, fmt.Errorf("registering the outputs of region %s: %w", name, err)
	}
	return r, nil
}

func (r *Region) build(ctx *pulumi.Context, name string, cfg *config.Config) error {
	parent := pulumi.Parent(r)
	zones := cfg.Zones()
	tags := map[string]string{"project": "ess-ha", "stack": ctx.Stack(), "domain": cfg.Domain}
	parameterPath := "/ess-ha/" + ctx.Stack() + "/"
	var err error

	if r.Network, err = network.NewNetwork(ctx, name+"-network", &network.NetworkArgs{
		VpcCidr: cfg.VpcCidr, Zones: zones, FlowLogRetentionDays: cfg.LogRetentionDays, Tags: tags,
	}, parent); err != nil {
		return fmt.Errorf("creating the network: %w", err)
	}

	pools := []struct {
		role string
		cfg  config.Pool
	}{{pool.RoleEss, cfg.EssPool}, {pool.RoleBackend, cfg.BackendPool}}
	repoSet := map[string]bool{}
	logGroups := map[string]string{}
	for _, p := range pools {
		for _, c := range p.cfg.Containers {
			repoSet[c.Repository] = true
			logGroups[c.Name] = fmt.Sprintf("/ess-ha/%s/%s/%s", ctx.Stack(), p.role, c.Name)
		}
	}
	if len(logGroups) != len(cfg.EssPool.Containers)+len(cfg.BackendPool.Containers) {
		return errors.New("config: container names must be unique across essPool and backendPool: each has its own log group")
	}
	repos := make([]string, 0, len(repoSet))
	for repo := range repoSet {
		repos = append(repos, repo)
	}
	sort.Strings(repos)
	if r.Registry, err = registry.NewRegistry(ctx, name+"-registry", &registry.RegistryArgs{
		Repositories: repos, KeepImages: 30, Tags: tags,
	}, parent); err != nil {
		return fmt.Errorf("creating the registry: %w", err)
	}
	if r.Logs, err = observability.NewLogs(ctx, name+"-logs", &observability.LogsArgs{
		Groups: logGroups, RetentionDays: cfg.LogRetentionDays, Region: cfg.Region, Tags: tags,
	}, parent); err != nil {
		return fmt.Errorf("creating the log groups: %w", err)
	}
	if r.Zone, err = dns.NewZone(ctx, name+"-zone", &dns.ZoneArgs{
		Domain: cfg.Domain, ExistingZoneID: cfg.HostedZoneID, Tags: tags,
	}, parent); err != nil {
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
	if r.Edge, err = edge.NewEdge(ctx, name+"-edge", &edge.EdgeArgs{
		Domain:          cfg.Domain,
		Hostnames:       cfg.Hostnames(),
		ZoneID:          r.Zone.ZoneID,
		VpcID:           r.Network.VpcID.ToStringOutput(),
		VpcCidr:         r.Network.VpcCidr,
		PublicSubnetIDs: network.IDs(r.Network.PublicSubnets),
		Zones:           zones,
		LoadBalancers:   cfg.LoadBalancers,
		Gateway:         cfg.Gateway,
		Routes:          routes,
		Tags:            tags,
	}, parent); err != nil {
		return fmt.Errorf("creating the edge: %w", err)
	}

	targetGroups := make(pulumi.StringArray, len(r.Edge.TargetGroups))
	targetGroupSuffixes := make(pulumi.StringArray, len(r.Edge.TargetGroups))
	for i, tg := range r.Edge.TargetGroups {
		targetGroups[i] = tg.Arn
		targetGroupSuffixes[i] = tg.ArnSuffix
	}
	newPool := func(role string, p config.Pool, ingress pulumi.StringInput, tgs pulumi.StringArray, secrets []string, dataPorts []int) (*pool.Pool, error) {
		return pool.NewPool(ctx, name+"-"+role, &pool.PoolArgs{
			Role:                   role,
			Region:                 cfg.Region,
			VpcID:                  r.Network.VpcID.ToStringOutput(),
			SubnetIDs:              network.IDs(r.Network.AppSubnets),
			Zones:                  len(zones),
			InstanceType:           p.InstanceType,
			AmiID:                  cfg.AmiID,
			MinPerZone:             p.MinPerZone,
			MaxSize:                p.MaxSize,
			Containers:             p.Containers,
			RepositoryURLs:         r.Registry.URLs,
			RepositoryArns:         r.Registry.Arns,
			LogGroupNames:          r.Logs.Names,
			LogGroupArns:           r.Logs.Arns,
			IngressSecurityGroupID: ingress,
			TargetGroupArns:        tgs,
			ParameterPath:          parameterPath,
			SecretArnPatterns:      secrets,
			VpcCidr:                r.Network.VpcCidr,
			DataPorts:              dataPorts,
			Tags:                   tags,
		}, parent)
	}
	essSecrets := []string{
		fmt.Sprintf("arn:aws:secretsmanager:%s:*:secret:rds!db-*", cfg.Region),
		fmt.Sprintf("arn:aws:secretsmanager:%s:*:secret:%s-cache-*", cfg.Region, name),
	}
	if r.Ess, err = newPool(pool.RoleEss, cfg.EssPool, r.Edge.SecurityGroupID.ToStringOutput(), targetGroups, essSecrets, []int{database.Port, cache.Port}); err != nil {
		return fmt.Errorf("creating the ess pool: %w", err)
	}
	if r.Backend, err = newPool(pool.RoleBackend, cfg.BackendPool, nil, nil, nil, nil); err != nil {
		return fmt.Errorf("creating the backend pool: %w", err)
	}

	if r.Database, err = database.NewDatabase(ctx, name+"-database", &database.DatabaseArgs{
		VpcID:                 r.Network.VpcID.ToStringOutput(),
		DataSubnetIDs:         network.IDs(r.Network.DataSubnets),
		ClientSecurityGroupID: r.Ess.SecurityGroupID.ToStringOutput(),
		Settings:              cfg.Database,
		ParameterPath:         parameterPath,
		Tags:                  tags,
	}, parent); err != nil {
		return fmt.Errorf("creating the database: %w", err)
	}
	if r.Cache, err = cache.NewCache(ctx, name+"-cache", &cache.CacheArgs{
		VpcID:                 r.Network.VpcID.ToStringOutput(),
		DataSubnetIDs:         network.IDs(r.Network.DataSubnets),
		Zones:                 zones,
		ClientSecurityGroupID: r.Ess.SecurityGroupID.ToStringOutput(),
		Settings:              cfg.Cache,
		ParameterPath:         parameterPath,
		Tags:                  tags,
	}, parent); err != nil {
		return fmt.Errorf("creating the cache: %w", err)
	}
	if err := r.Ess.AllowSecretKeys(ctx, pulumi.StringArray{r.Database.KmsKeyArn, r.Cache.KmsKeyArn}); err != nil {
		return fmt.Errorf("letting the ess pool read the database and cache secrets: %w", err)
	}
	if r.Records, err = dns.NewRecords(ctx, name+"-records", &dns.RecordsArgs{
		ZoneID:        r.Zone.ZoneID,
		Hostnames:     cfg.Hostnames(),
		TargetDNSName: r.Edge.AliasDNSName,
		TargetZoneID:  r.Edge.AliasZoneID,
	}, parent); err != nil {
		return fmt.Errorf("creating the DNS records: %w", err)
	}
	if r.Alarms, err = observability.NewAlarms(ctx, name+"-alarms", &observability.AlarmsArgs{
		Zones:                   len(zones),
		LoadBalancerCount:       len(r.Edge.LoadBalancers),
		CacheClusters:           r.Cache.Clusters,
		LoadBalancerArnSuffixes: r.Edge.LoadBalancerArnSuffixes,
		TargetGroupArnSuffixes:  targetGroupSuffixes,
		EssGroupName:            r.Ess.GroupName,
		DatabaseIdentifier:      r.Database.Identifier,
		CacheReplicationGroupID: r.Cache.ReplicationGroupID,
		Email:                   cfg.AlarmEmail,
		Tags:                    tags,
	}, parent); err != nil {
		return fmt.Errorf("creating the alarms: %w", err)
	}

	repoURLs := pulumi.StringMap{}
	for repo, url := range r.Registry.URLs {
		repoURLs[repo] = url
	}
	r.Outputs = pulumi.Map{
		"region":                  pulumi.String(cfg.Region),
		"availabilityZones":       pulumi.ToStringArray(zones),
		"vpcId":                   r.Network.VpcID,
		"hostnames":               pulumi.ToStringArray(cfg.Hostnames()),
		"entryPointDnsName":       r.Edge.AliasDNSName,
		"loadBalancerDnsNames":    r.Edge.LoadBalancerDNSNames,
		"hostedZoneId":            r.Zone.ZoneID,
		"nameServers":             r.Zone.NameServers,
		"databaseEndpoint":        r.Database.Endpoint,
		"databaseSecretArn":       r.Database.SecretArn,
		"cacheEndpoint":           r.Cache.PrimaryEndpoint,
		"repositoryUrls":          repoURLs,
		"essAutoScalingGroup":     r.Ess.GroupName,
		"backendAutoScalingGroup": r.Backend.GroupName,
		"alarmTopicArn":           r.Alarms.TopicArn,
	}
	return nil
}
