// Package globaldb provides the GlobalDatabase component: one region's member of an Aurora PostgreSQL
// Global Database, for an active-active pair of regional stacks.
//
// Who CREATED what is fixed for the life of the deployment and says nothing about who writes now: the
// owner stack (deployed first) creates the global cluster, the master secret (replicated to the
// member's region) and its own regional cluster; the member stack creates its regional cluster, which
// joins the global cluster by the identifier the owner exports. Which cluster is the primary (the
// writer) is runtime state that AWS owns: it moves on a switchover (switchover-global-cluster) or a
// failover (failover-global-cluster --allow-data-loss), and a `pulumi up` of either stack afterwards
// changes nothing about the global cluster, the clusters or the secret: the program never sets the
// attributes that move (replicationSourceIdentifier, globalClusterIdentifier on the cluster are
// ignored), and the global cluster, the clusters and the secret are protected and retained on delete,
// so neither a destroy nor a rename can delete them.
//
// Which endpoint the services use, in either role and after any switchover or failover:
//
//   - Reads and writes: the GLOBAL WRITER ENDPOINT (the global cluster's `endpoint`). Aurora points it
//     at the writer of the current primary cluster and repoints it itself on a managed switchover and
//     a managed failover, with no call from us (Aurora User Guide, "Connecting to Amazon Aurora Global
//     Database": https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-connecting.html).
//     It carries every statement (DDL, sequences, locks), unlike write forwarding. It resolves to a
//     private address in the writer's VPC, so the pair's VPCs are peered (components/peering).
//   - Local reads: this region's cluster READER endpoint, which works whichever role the cluster has.
//   - Never this region's cluster (writer) endpoint: in a secondary cluster it is inactive, and after a
//     switchover the demoted region's would break the same way.
//
// The global writer endpoint is not repointed when a secondary is detached and promoted by hand
// (remove-from-global-cluster): the runbooks use the managed operations only.
package globaldb

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/database"
	"github.com/ess-ha/ess-ha/components/internal/publish"
	"github.com/ess-ha/ess-ha/components/internal/secure"
	"github.com/ess-ha/ess-ha/components/network"
	"github.com/ess-ha/ess-ha/internal/awsname"
)

// Roles of a stack in the global database: who creates what, fixed for the life of the deployment.
const (
	// RoleOwner creates the global cluster and the master secret.
	RoleOwner = "owner"
	// RoleMember joins the owner's global cluster.
	RoleMember = "member"
)

// Type is the component's type token. FormerType is the token it was registered with before it named
// its package: the component carries it as an alias, so that the stacks deployed with it keep their
// URNs, the component's and its children's (the engine gives each child the URN it had under each of
// its parent's aliases: https://github.com/pulumi/pulumi/pull/2404, and generateAliases in the engine's
// pkg/resource/deploy/step_generator.go).
const (
	Type       = "ess-ha:globaldb:GlobalDatabase"
	FormerType = "ess-ha:database:GlobalDatabase"
)

// Engine is the Aurora engine of the global database.
const Engine = "aurora-postgresql"

// Settings every member uses.
const (
	// Port is PostgreSQL's port, the only one the security group opens.
	Port = database.Port
	// PasswordLength is the length of the generated master password (RDS allows 8 to 128 for
	// PostgreSQL; punctuation is excluded, so no character RDS refuses can occur).
	PasswordLength = 40
	// SecretRecoveryDays is how long a deleted master secret can be restored.
	SecretRecoveryDays = 30
)

// The SSM parameters a member publishes, relative to GlobalDatabaseArgs.ParameterPath. The endpoint,
// port and secret keys are the regional database's, so the pools read them unchanged.
const (
	ParameterEndpoint       = database.ParameterEndpoint
	ParameterPort           = database.ParameterPort
	ParameterSecretArn      = database.ParameterSecretArn
	ParameterReaderEndpoint = "database/reader-endpoint"
)

var (
	versionPattern = regexp.MustCompile(`^([0-9]+)\.[0-9]+$`)
)

// GlobalDatabaseArgs configures a GlobalDatabase.
type GlobalDatabaseArgs struct {
	// Role is RoleOwner (creates the global cluster, the master secret and a cluster with a writer and
	// a reader) or RoleMember (joins the global cluster with a cluster of two readers). It never
	// changes: after a switchover the same program keeps working, see the package documentation.
	Role string
	// GlobalClusterIdentifier names the global cluster; both stacks pass the same value.
	GlobalClusterIdentifier string
	// ClusterIdentifier is this region's cluster; empty means <GlobalClusterIdentifier>-<region>.
	ClusterIdentifier string
	// EngineVersion is the Aurora PostgreSQL version, e.g. "16.4"; both stacks pass the same value.
	EngineVersion string
	// InstanceClass is the instances' class, e.g. "db.r6g.large" (burstable db.t classes cannot be
	// members of a global database).
	InstanceClass string
	// BackupRetentionDays is 7 to 35.
	BackupRetentionDays int
	// DatabaseName and MasterUsername are used by the owner only: a member replicates the owner's
	// databases and users.
	DatabaseName   string
	MasterUsername string

	VpcID pulumi.StringInput
	// DataSubnetIDs are the data subnets, one per AZ (at least 2).
	DataSubnetIDs pulumi.StringArray
	// Zones are the AZs, at least 2: the first instance (the owner's writer at creation) is in Zones[0], the
	// second in Zones[1].
	Zones []string
	// ClientSecurityGroupID is the ess pool's group, the only source allowed on 5432.
	ClientSecurityGroupID pulumi.StringInput
	// ParameterPath is the SSM path the endpoints (and the secret's ARN) are published under.
	ParameterPath string

	// GlobalWriterEndpoint is, for the member, the global cluster's writer endpoint that the owner
	// exports (required); the owner must leave it nil and publishes its global cluster's own.
	GlobalWriterEndpoint pulumi.StringInput
	// SecretArn is, for the member, the ARN of the master secret's replica in this region (required);
	// the owner must leave it nil.
	SecretArn pulumi.StringInput
	// SecretReplicaRegions are the regions the owner replicates its master secret to (the member's
	// region), so the credentials outlive the owner's region. Owner only.
	SecretReplicaRegions []string

	Tags map[string]string
}

// GlobalDatabase is one region's member of the global database.
type GlobalDatabase struct {
	pulumi.ResourceState

	// ClusterIdentifier, ClusterEndpoint and ReaderEndpoint are this region's cluster. The cluster
	// endpoint works only while this region is the primary: services never use it.
	ClusterIdentifier pulumi.StringOutput `pulumi:"clusterIdentifier"`
	ClusterEndpoint   pulumi.StringOutput `pulumi:"clusterEndpoint"`
	ReaderEndpoint    pulumi.StringOutput `pulumi:"readerEndpoint"`
	// WriterEndpoint is the global writer endpoint, which the services of both regions use for reads
	// and writes.
	WriterEndpoint pulumi.StringOutput `pulumi:"writerEndpoint"`
	// SecretArn is the ARN of the master secret in this region (the owner's secret, or its replica in
	// the member's region). Never the secret itself.
	SecretArn               pulumi.StringOutput `pulumi:"secretArn"`
	KmsKeyArn               pulumi.StringOutput `pulumi:"kmsKeyArn"`
	SecurityGroupID         pulumi.StringOutput `pulumi:"securityGroupId"`
	GlobalClusterIdentifier pulumi.StringOutput `pulumi:"globalClusterIdentifier"`

	// Role and Region are what the component was created with.
	Role   string
	Region string
	// Cluster is this region's cluster; GlobalCluster is the global cluster (owner only, else nil).
	Cluster       *rds.Cluster
	GlobalCluster *rds.GlobalCluster
	// Instances are the cluster's instances, in Zones order.
	Instances []*rds.ClusterInstance
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *GlobalDatabaseArgs) Validate() error {
	if a == nil {
		return errors.New("GlobalDatabaseArgs is nil: pass the global database's configuration")
	}
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	owner := a.Role == RoleOwner
	if !owner && a.Role != RoleMember {
		bad("GlobalDatabaseArgs.Role %q is invalid: use %q (creates the global cluster and the secret) or %q (joins it)", a.Role, RoleOwner, RoleMember)
	}
	if !awsname.IsRDSIdentifier(a.GlobalClusterIdentifier) {
		bad("GlobalDatabaseArgs.GlobalClusterIdentifier %q is invalid: use up to 63 lower-case letters, digits and single hyphens, starting with a letter, such as ess-prod", a.GlobalClusterIdentifier)
	}
	if a.ClusterIdentifier != "" && (len(a.ClusterIdentifier) > 61 || !awsname.IsRDSIdentifier(a.ClusterIdentifier)) {
		bad("GlobalDatabaseArgs.ClusterIdentifier %q is invalid: use up to 61 lower-case letters, digits and single hyphens, starting with a letter, or leave it empty", a.ClusterIdentifier)
	}
	if _, err := Family(a.EngineVersion); err != nil {
		bad("GlobalDatabaseArgs.EngineVersion: %w", err)
	}
	switch {
	case !strings.HasPrefix(a.InstanceClass, "db.") || len(a.InstanceClass) < 6:
		bad("GlobalDatabaseArgs.InstanceClass %q is invalid: use an Aurora instance class such as db.r6g.large", a.InstanceClass)
	case strings.HasPrefix(a.InstanceClass, "db.t"):
		bad("GlobalDatabaseArgs.InstanceClass %q is invalid: burstable classes cannot join a global database, use a memory-optimized class such as db.r6g.large", a.InstanceClass)
	}
	if a.BackupRetentionDays < 7 || a.BackupRetentionDays > 35 {
		bad("GlobalDatabaseArgs.BackupRetentionDays %d is invalid: keep backups 7 to 35 days", a.BackupRetentionDays)
	}
	if owner {
		if !awsname.IsRDSDatabaseName(a.DatabaseName) {
			bad("GlobalDatabaseArgs.DatabaseName %q is invalid: use a lower-case identifier such as ess", a.DatabaseName)
		}
		if !awsname.IsRDSUsername(a.MasterUsername) || a.MasterUsername == "rdsadmin" {
			bad("GlobalDatabaseArgs.MasterUsername %q is invalid: use a lower-case identifier of up to 16 characters such as ess (not rdsadmin)", a.MasterUsername)
		}
		if a.GlobalWriterEndpoint != nil {
			bad("GlobalDatabaseArgs.GlobalWriterEndpoint is set on the owner: leave it nil, the owner publishes its global cluster's own endpoint")
		}
		if a.SecretArn != nil {
			bad("GlobalDatabaseArgs.SecretArn is set on the owner: leave it nil, the owner creates the master secret")
		}
		if len(a.SecretReplicaRegions) == 0 {
			bad("GlobalDatabaseArgs.SecretReplicaRegions is empty: replicate the master secret to the member's region, or its services cannot read the credentials while the owner's region is down")
		}
	} else if a.Role == RoleMember {
		if len(a.SecretReplicaRegions) > 0 {
			bad("GlobalDatabaseArgs.SecretReplicaRegions is set on the member: only the owner creates (and replicates) the master secret")
		}
		if a.GlobalWriterEndpoint == nil {
			bad("GlobalDatabaseArgs.GlobalWriterEndpoint is not set on the member: pass the owner's exported globalWriterEndpoint, the endpoint the services write through")
		}
		if a.SecretArn == nil {
			bad("GlobalDatabaseArgs.SecretArn is not set on the member: pass the ARN of the master secret's replica in this region, which the services read their credentials from")
		}
	}
	if a.VpcID == nil {
		bad("GlobalDatabaseArgs.VpcID is not set: pass the VPC's id")
	}
	if a.ClientSecurityGroupID == nil {
		bad("GlobalDatabaseArgs.ClientSecurityGroupID is not set: pass the ess pool's security group, the only client allowed on %d", Port)
	}
	region := ""
	if len(a.Zones) < 2 {
		bad("GlobalDatabaseArgs.Zones has %d zone(s): list at least 2 AZs, the two instances go to different AZs", len(a.Zones))
	} else if r, err := network.RegionOfZones(a.Zones); err != nil {
		bad("GlobalDatabaseArgs.Zones: %w", err)
	} else {
		region = r
		if a.Zones[0] == a.Zones[1] {
			bad("GlobalDatabaseArgs.Zones[1] %q repeats Zones[0]: list distinct AZs, the instances must not share one", a.Zones[1])
		}
	}
	if len(a.DataSubnetIDs) < 2 {
		bad("GlobalDatabaseArgs.DataSubnetIDs has %d subnet(s): pass the data subnets of at least 2 AZs", len(a.DataSubnetIDs))
	}
	if !awsname.IsSSMPath(a.ParameterPath) {
		bad("GlobalDatabaseArgs.ParameterPath %q is invalid: use an SSM path below the root such as /ess-ha/prod-us-east-1/", a.ParameterPath)
	}
	seen := map[string]bool{}
	for i, r := range a.SecretReplicaRegions {
		switch {
		case !awsname.IsRegion(r):
			bad("GlobalDatabaseArgs.SecretReplicaRegions[%d] %q is invalid: use an AWS region name such as us-west-2", i, r)
		case r == region:
			bad("GlobalDatabaseArgs.SecretReplicaRegions[%d] %q is this database's region: list other regions only", i, r)
		case seen[r]:
			bad("GlobalDatabaseArgs.SecretReplicaRegions[%d] %q is listed twice: list every region once", i, r)
		}
		seen[r] = true
	}
	return errors.Join(errs...)
}

// Family returns the cluster parameter group family of an Aurora PostgreSQL version: "16.4" is
// aurora-postgresql16.
func Family(version string) (string, error) {
	m := versionPattern.FindStringSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("%q is not an Aurora PostgreSQL version such as 16.4", version)
	}
	major, err := strconv.Atoi(m[1])
	if err != nil || major < 11 {
		return "", fmt.Errorf("%q is not supported: global databases need Aurora PostgreSQL 11 or later, such as 16.4", version)
	}
	return Engine + m[1], nil
}

// DefaultClusterIdentifier returns the cluster identifier used when ClusterIdentifier is empty:
// <global>-<region>, cut to 61 characters so that the instance identifiers (<cluster>-1, <cluster>-2)
// fit RDS's 63.
func DefaultClusterIdentifier(global, region string) string {
	id := global + "-" + region
	if len(id) > 61 {
		id = id[:61]
	}
	return strings.TrimRight(id, "-")
}

// NewGlobalDatabase creates the GlobalDatabase component: this region's key, security group, subnet
// and parameter groups, the owner's global cluster and master secret (or, for the member, the owner's
// global cluster to join), this region's cluster and its two instances, and the settings the pools
// read from SSM.
func NewGlobalDatabase(ctx *pulumi.Context, name string, args *GlobalDatabaseArgs, opts ...pulumi.ResourceOption) (*GlobalDatabase, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("global database %s: %w", name, err)
	}
	region, _ := network.RegionOfZones(args.Zones) // validated above
	clusterID := args.ClusterIdentifier
	if clusterID == "" {
		clusterID = DefaultClusterIdentifier(args.GlobalClusterIdentifier, region)
	}

	comp := &GlobalDatabase{Role: args.Role, Region: region}
	opts = append(slices.Clone(opts), pulumi.Aliases([]pulumi.Alias{{Type: pulumi.String(FormerType)}}))
	if err := ctx.RegisterComponentResource(Type, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering global database %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)
	fail := func(err error) (*GlobalDatabase, error) {
		return nil, fmt.Errorf("global database %s: %w", name, err)
	}

	// A key per region: an encrypted cluster of a global database needs a key of its own region.
	key, err := secure.NewKey(ctx, name, pulumi.Sprintf("ess-ha %s: encrypts the %s Aurora cluster %s of global database %s, its snapshots and Performance Insights", name, args.Role, clusterID, args.GlobalClusterIdentifier), tags, parent)
	if err != nil {
		return fail(fmt.Errorf("creating the KMS key: %w", err))
	}
	place, err := newPlacement(ctx, name, args, tags, parent)
	if err != nil {
		return fail(err)
	}
	cluster, global, err := newCluster(ctx, name, args, clusterID, key, place, comp, tags, parent)
	if err != nil {
		return fail(err)
	}
	if comp.Instances, err = newInstances(ctx, name, args, clusterID, cluster, place, key, tags, parent); err != nil {
		return fail(err)
	}
	if err := publish.Parameters(ctx, name, args.ParameterPath, []publish.Parameter{
		{Key: ParameterEndpoint, Value: global.writerEndpoint, What: "the Aurora global database's writer endpoint: reads and writes, always the writer of the current primary region (Aurora repoints it on a switchover or failover)"},
		{Key: ParameterPort, Value: pulumi.String(strconv.Itoa(Port)), What: "the database's port"},
		{Key: ParameterReaderEndpoint, Value: cluster.ReaderEndpoint, What: "this region's Aurora reader endpoint (local reads, in either role)"},
		{Key: ParameterSecretArn, Value: global.secretArn, What: "the ARN of the master user secret in this region (not the secret)"},
	}, tags, parent); err != nil {
		return fail(err)
	}

	comp.Cluster = cluster
	comp.ClusterIdentifier = cluster.ClusterIdentifier
	comp.ClusterEndpoint = cluster.Endpoint
	comp.ReaderEndpoint = cluster.ReaderEndpoint
	comp.WriterEndpoint = global.writerEndpoint
	comp.SecretArn = global.secretArn
	comp.KmsKeyArn = key.Arn
	comp.SecurityGroupID = place.securityGroup.ID().ToStringOutput()
	comp.GlobalClusterIdentifier = global.identifier
	if err := comp.registerOutputs(ctx); err != nil {
		return fail(err)
	}
	return comp, nil
}

// registerOutputs registers the component's outputs.
func (comp *GlobalDatabase) registerOutputs(ctx *pulumi.Context) error {
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterIdentifier":       comp.ClusterIdentifier,
		"clusterEndpoint":         comp.ClusterEndpoint,
		"readerEndpoint":          comp.ReaderEndpoint,
		"writerEndpoint":          comp.WriterEndpoint,
		"secretArn":               comp.SecretArn,
		"kmsKeyArn":               comp.KmsKeyArn,
		"securityGroupId":         comp.SecurityGroupID,
		"globalClusterIdentifier": comp.GlobalClusterIdentifier,
	}); err != nil {
		return fmt.Errorf("registering outputs: %w", err)
	}
	return nil
}

// placement is where this region's cluster lives and how it is configured: its security group, its
// subnet group and its cluster parameter group.
type placement struct {
	securityGroup *ec2.SecurityGroup
	subnets       *rds.SubnetGroup
	params        *rds.ClusterParameterGroup
}

// newPlacement creates the security group (PostgreSQL from the ess pool only), the subnet group over the
// data subnets and the cluster parameter group (TLS only, slow query log).
func newPlacement(ctx *pulumi.Context, name string, args *GlobalDatabaseArgs, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*placement, error) {
	family, _ := Family(args.EngineVersion) // validated by NewGlobalDatabase
	sg, err := secure.NewClientOnlyGroup(ctx, name, secure.ClientOnlyGroupArgs{
		Description: "ess-ha global database: PostgreSQL from the ess pool only",
		VpcID:       args.VpcID, Port: Port, Service: "postgres", Client: args.ClientSecurityGroupID, Tags: tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the security group: %w", err)
	}
	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String("ess-ha global database: the data subnets of every AZ"),
		SubnetIds:   args.DataSubnetIDs,
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the subnet group: %w", err)
	}
	params, err := rds.NewClusterParameterGroup(ctx, name+"-params", &rds.ClusterParameterGroupArgs{
		Description: pulumi.Sprintf("ess-ha global database: TLS only, slow query log (%s)", family),
		Family:      pulumi.String(family),
		Parameters: rds.ClusterParameterGroupParameterArray{
			&rds.ClusterParameterGroupParameterArgs{Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1"), ApplyMethod: pulumi.String("pending-reboot")},
			&rds.ClusterParameterGroupParameterArgs{Name: pulumi.String("log_min_duration_statement"), Value: pulumi.String(strconv.Itoa(database.SlowQueryMillis)), ApplyMethod: pulumi.String("immediate")},
		},
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating the cluster parameter group: %w", err)
	}
	return &placement{securityGroup: sg, subnets: subnets, params: params}, nil
}

// globalSide is what this region's cluster gets from the global database: the global writer endpoint,
// the master secret's ARN in this region and the global cluster's identifier.
type globalSide struct {
	writerEndpoint, secretArn, identifier pulumi.StringOutput
}

// keep are the options of what must outlive any destroy or rename of a stack: the engine refuses to
// delete a protected resource, and a retained one is only dropped from the state.
func keep() []pulumi.ResourceOption {
	return []pulumi.ResourceOption{pulumi.Protect(true), pulumi.RetainOnDelete(true)}
}

// newCluster creates this region's Aurora cluster: for the owner, after the global cluster and the
// master secret it creates (comp.GlobalCluster); for the member, joining the owner's global cluster.
func newCluster(ctx *pulumi.Context, name string, args *GlobalDatabaseArgs, clusterID string, key *kms.Key, place *placement, comp *GlobalDatabase, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) (*rds.Cluster, *globalSide, error) {
	clusterArgs := regionalClusterArgs(args, clusterID, key, place, tags)
	// Aurora changes these when roles move between the regions, and the engine version when the global
	// cluster is upgraded; the program must never undo either.
	ignore := []string{"replicationSourceIdentifier", "globalClusterIdentifier", "engineVersion"}
	var (
		global      globalSide
		clusterDeps []pulumi.Resource
	)
	if args.Role == RoleOwner {

		gc, err := rds.NewGlobalCluster(ctx, name+"-global", &rds.GlobalClusterArgs{
			GlobalClusterIdentifier: pulumi.String(args.GlobalClusterIdentifier),
			Engine:                  pulumi.String(Engine),
			EngineVersion:           pulumi.String(args.EngineVersion),
			StorageEncrypted:        pulumi.Bool(true),
			DeletionProtection:      pulumi.Bool(true),
			Tags:                    tags,
		}, append([]pulumi.ResourceOption{parent, pulumi.IgnoreChanges([]string{"engineVersion"})}, keep()...)...)
		if err != nil {
			return nil, nil, fmt.Errorf("creating the global cluster: %w", err)
		}
		comp.GlobalCluster = gc
		global.writerEndpoint, global.identifier = gc.Endpoint, gc.GlobalClusterIdentifier

		secret, version, password, err := newMasterSecret(ctx, name, args, key, tags, parent, keep())
		if err != nil {
			return nil, nil, fmt.Errorf("creating the master secret: %w", err)
		}
		global.secretArn = secret.Arn
		clusterDeps = append(clusterDeps, version)
		clusterArgs.GlobalClusterIdentifier = gc.ID().ToStringOutput()
		clusterArgs.DatabaseName = pulumi.String(args.DatabaseName)
		clusterArgs.MasterUsername = pulumi.String(args.MasterUsername)
		clusterArgs.MasterPassword = password
		ignore = append(ignore, "masterPassword")
	} else {
		// The global cluster lives in the owner's stack: join it by the identifier the owner exports.
		clusterArgs.GlobalClusterIdentifier = pulumi.String(args.GlobalClusterIdentifier)
		global.writerEndpoint = args.GlobalWriterEndpoint.ToStringOutput()
		global.identifier = pulumi.String(args.GlobalClusterIdentifier).ToStringOutput()
		global.secretArn = args.SecretArn.ToStringOutput()
	}
	cluster, err := rds.NewCluster(ctx, name+"-cluster", clusterArgs, append([]pulumi.ResourceOption{parent,
		pulumi.IgnoreChanges(ignore), pulumi.DependsOn(clusterDeps)}, keep()...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the Aurora cluster: %w", err)
	}
	return cluster, &global, nil
}

// regionalClusterArgs are the arguments of this region's cluster in either role: encrypted with the
// region's key, protected from deletion, backed up, in the placement's subnets and groups.
func regionalClusterArgs(args *GlobalDatabaseArgs, clusterID string, key *kms.Key, place *placement, tags pulumi.StringMap) *rds.ClusterArgs {
	return &rds.ClusterArgs{
		ClusterIdentifier:                pulumi.String(clusterID),
		Engine:                           pulumi.String(Engine),
		EngineVersion:                    pulumi.String(args.EngineVersion),
		StorageEncrypted:                 pulumi.Bool(true),
		KmsKeyId:                         key.Arn,
		DeletionProtection:               pulumi.Bool(true),
		BackupRetentionPeriod:            pulumi.Int(args.BackupRetentionDays),
		DeleteAutomatedBackups:           pulumi.Bool(false),
		SkipFinalSnapshot:                pulumi.Bool(false),
		FinalSnapshotIdentifier:          pulumi.String(clusterID + "-final"),
		CopyTagsToSnapshot:               pulumi.Bool(true),
		Port:                             pulumi.Int(Port),
		DbSubnetGroupName:                place.subnets.ID().ToStringOutput(),
		VpcSecurityGroupIds:              pulumi.StringArray{place.securityGroup.ID().ToStringOutput()},
		DbClusterParameterGroupName:      place.params.ID().ToStringOutput(),
		EnabledCloudwatchLogsExports:     pulumi.ToStringArray([]string{"postgresql"}),
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),
		Tags:                             tags,
	}
}

// newInstances creates the cluster's two instances, in Zones[0] and Zones[1]. The owner's first
// instance is the writer at creation (Aurora makes the first instance of a cluster the writer), so the
// second waits for it; the member's two instances are both readers.
func newInstances(ctx *pulumi.Context, name string, args *GlobalDatabaseArgs, clusterID string, cluster *rds.Cluster, place *placement, key *kms.Key, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption) ([]*rds.ClusterInstance, error) {
	var instances []*rds.ClusterInstance
	var prev pulumi.Resource
	for i := 0; i < 2; i++ {
		iname := fmt.Sprintf("%s-instance-%d", name, i+1)
		instOpts := []pulumi.ResourceOption{parent, pulumi.IgnoreChanges([]string{"engineVersion"})}
		if prev != nil {
			instOpts = append(instOpts, pulumi.DependsOn([]pulumi.Resource{prev}))
		}
		inst, err := rds.NewClusterInstance(ctx, iname, &rds.ClusterInstanceArgs{
			Identifier:                         pulumi.String(fmt.Sprintf("%s-%d", clusterID, i+1)),
			ClusterIdentifier:                  cluster.ID().ToStringOutput(),
			Engine:                             pulumi.String(Engine),
			EngineVersion:                      pulumi.String(args.EngineVersion),
			InstanceClass:                      pulumi.String(args.InstanceClass),
			AvailabilityZone:                   pulumi.String(args.Zones[i]),
			DbSubnetGroupName:                  place.subnets.ID().ToStringOutput(),
			PubliclyAccessible:                 pulumi.Bool(false),
			PromotionTier:                      pulumi.Int(i),
			PerformanceInsightsEnabled:         pulumi.Bool(true),
			PerformanceInsightsKmsKeyId:        key.Arn,
			PerformanceInsightsRetentionPeriod: pulumi.Int(database.PerformanceInsightsRetentionDays),
			CaCertIdentifier:                   pulumi.String(database.CACertIdentifier),
			// Members of a global database are upgraded together through the global cluster
			// (secondaries first), never one by one in their maintenance windows.
			AutoMinorVersionUpgrade: pulumi.Bool(false),
			CopyTagsToSnapshot:      pulumi.Bool(true),
			MonitoringInterval:      pulumi.Int(0),
			Tags:                    tags,
		}, instOpts...)
		if err != nil {
			return nil, fmt.Errorf("creating instance %s: %w", iname, err)
		}
		instances = append(instances, inst)
		prev = inst
	}
	return instances, nil
}

// newMasterSecret creates the owner's master credentials.
//
// RDS-managed master passwords (manageMasterUserPassword) are not supported for clusters that are part
// of an Aurora global database (Aurora User Guide, "Password management with Amazon Aurora and AWS
// Secrets Manager", Limitations), so the program generates the password itself: Secrets Manager's
// GetRandomPassword (an invoke; nothing random lives in the program), stored in a Secrets Manager
// secret encrypted with the cluster's key and replicated to SecretReplicaRegions, and given to the
// cluster as a Pulumi secret.
//
// The trade-offs: the password passes through the program and lives, encrypted, in the Pulumi state
// (as the cluster's masterPassword and the secret version's string); the invoke returns a new password
// on every run, so both the secret's string and the cluster's masterPassword ignore changes: the first
// password sticks, and rotating it is an operator's job (change it in the database, then in the
// secret), not a `pulumi up`. Nothing rotates it automatically.
func newMasterSecret(ctx *pulumi.Context, name string, args *GlobalDatabaseArgs, key *kms.Key, tags pulumi.StringMap, parent pulumi.ResourceOrInvokeOption, keep []pulumi.ResourceOption) (*secretsmanager.Secret, *secretsmanager.SecretVersion, pulumi.StringOutput, error) {
	opts := append([]pulumi.ResourceOption{parent}, keep...)
	generated, err := secretsmanager.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordArgs{
		PasswordLength:          pulumi.IntRef(PasswordLength),
		ExcludePunctuation:      pulumi.BoolRef(true),
		RequireEachIncludedType: pulumi.BoolRef(true),
	}, parent)
	if err != nil {
		return nil, nil, pulumi.StringOutput{}, fmt.Errorf("generating the master password: %w", err)
	}
	if len(generated.RandomPassword) < 8 {
		return nil, nil, pulumi.StringOutput{}, errors.New("the master password Secrets Manager generated is shorter than 8 characters")
	}
	replicas := secretsmanager.SecretReplicaArray{}
	for _, r := range args.SecretReplicaRegions {
		// The replica is encrypted with Secrets Manager's key of that region (a KMS key is regional).
		replicas = append(replicas, secretsmanager.SecretReplicaArgs{Region: pulumi.String(r)})
	}
	secretArgs := &secretsmanager.SecretArgs{
		Description:          pulumi.Sprintf("ess-ha: master user of the Aurora global database %s", args.GlobalClusterIdentifier),
		KmsKeyId:             key.Arn,
		RecoveryWindowInDays: pulumi.Int(SecretRecoveryDays),
		Tags:                 tags,
	}
	if len(replicas) > 0 {
		secretArgs.Replicas = replicas
	}
	secret, err := secretsmanager.NewSecret(ctx, name+"-master-secret", secretArgs, opts...)
	if err != nil {
		return nil, nil, pulumi.StringOutput{}, err
	}
	doc, err := json.Marshal(map[string]any{
		"engine":   "postgres",
		"username": args.MasterUsername,
		"password": generated.RandomPassword,
		"dbname":   args.DatabaseName,
		"port":     Port,
	})
	if err != nil {
		return nil, nil, pulumi.StringOutput{}, fmt.Errorf("encoding the master secret: %w", err)
	}
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-master-secret-version", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID().ToStringOutput(),
		SecretString: pulumi.ToSecret(pulumi.String(string(doc))).(pulumi.StringOutput),
	}, append(opts, pulumi.IgnoreChanges([]string{"secretString"}))...)
	if err != nil {
		return nil, nil, pulumi.StringOutput{}, err
	}
	password := pulumi.ToSecret(pulumi.String(generated.RandomPassword)).(pulumi.StringOutput)
	return secret, version, password, nil
}
