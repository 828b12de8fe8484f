package globaldb_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/globaldb"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

const (
	globalID       = "ess-prod"
	clientSG       = "sg-0123456789abcdef0"
	globalEndpoint = "ess-prod.global-abcdefghij.global.rds.amazonaws.com"
	// The password the mocks answer secretsmanager.GetRandomPassword with.
	mockPassword = "plan-placeholder-token-0123456789abcdef"
)

// recorder wraps the mocks to also record each resource's ignoreChanges, which mocks.Registration
// does not keep.
type recorder struct {
	*mocks.Mocks
	mu     sync.Mutex
	ignore map[string][]string
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.RegisterRPC != nil {
		r.mu.Lock()
		r.ignore[args.Name] = args.RegisterRPC.GetIgnoreChanges()
		r.mu.Unlock()
	}
	return r.Mocks.NewResource(args)
}

func primaryArgs() *globaldb.GlobalDatabaseArgs {
	return &globaldb.GlobalDatabaseArgs{
		Role:                    globaldb.RolePrimary,
		GlobalClusterIdentifier: globalID,
		EngineVersion:           "16.4",
		InstanceClass:           "db.r6g.large",
		BackupRetentionDays:     14,
		DatabaseName:            "ess",
		MasterUsername:          "ess",
		VpcID:                   pulumi.String("vpc-0123456789abcdef0"),
		DataSubnetIDs:           pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b"), pulumi.String("subnet-c")},
		Zones:                   []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		ClientSecurityGroupID:   pulumi.String(clientSG),
		ParameterPath:           "/ess-ha/prod-us-east-1/",
		SecretReplicaRegions:    []string{"us-west-2"},
		Tags:                    map[string]string{"project": "ess-ha"},
	}
}

func secondaryArgs() *globaldb.GlobalDatabaseArgs {
	a := primaryArgs()
	a.Role = globaldb.RoleSecondary
	a.Zones = []string{"us-west-2a", "us-west-2b", "us-west-2c"}
	a.ParameterPath = "/ess-ha/prod-us-west-2/"
	a.SecretReplicaRegions = nil
	a.GlobalWriterEndpoint = pulumi.String(globalEndpoint)
	return a
}

type result struct {
	m      *mocks.Mocks
	rec    *recorder
	comp   *globaldb.GlobalDatabase
	region string
}

func run(t *testing.T, region string, args *globaldb.GlobalDatabaseArgs) (result, error) {
	t.Helper()
	m := mocks.New("ess-ha", "prod-"+region, region)
	rec := &recorder{Mocks: m, ignore: map[string][]string{}}
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: m.Project, Stack: m.Stack, Mocks: rec, Parallel: 1,
	})
	require.NoError(t, err)
	var comp *globaldb.GlobalDatabase
	err = pulumi.RunWithContext(ctx, func(ctx *pulumi.Context) error {
		var err error
		comp, err = globaldb.NewGlobalDatabase(ctx, "globaldb", args)
		return err
	})
	return result{m: m, rec: rec, comp: comp, region: region}, err
}

func mustRun(t *testing.T, region string, args *globaldb.GlobalDatabaseArgs) result {
	t.Helper()
	r, err := run(t, region, args)
	require.NoError(t, err)
	return r
}

func str(r *mocks.Registration, key string) string {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

func boolean(r *mocks.Registration, key string) bool {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	return ok && v.IsBool() && v.BoolValue()
}

func num(r *mocks.Registration, key string) int {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.IsNumber() {
		return -1
	}
	return int(v.NumberValue())
}

func strs(r *mocks.Registration, key string) []string {
	var out []string
	if v, ok := r.Inputs[resource.PropertyKey(key)]; ok && v.IsArray() {
		for _, e := range v.ArrayValue() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func parameters(t *testing.T, m *mocks.Mocks) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range m.ByType("aws:ssm/parameter:Parameter") {
		out[str(p, "name")] = str(p, "insecureValue")
		assert.Equal(t, "String", str(p, "type"))
	}
	return out
}

// checkCommon asserts what both roles share: encryption with the member's own key, deletion
// protection, backups, a final snapshot, TLS only, the subnet group, the security group open to the
// client group only, and two instances in two AZs.
func checkCommon(t *testing.T, r result, wantZones []string) (*mocks.Registration, []*mocks.Registration) {
	t.Helper()
	m := r.m
	compURN := mockstest.One(t, m, "ess-ha:database:GlobalDatabase").URN
	for _, reg := range m.Registrations() {
		if reg.Type != "ess-ha:database:GlobalDatabase" {
			assert.Equal(t, compURN, reg.Parent, "%s is a child of the component", reg.Name)
			assert.Regexp(t, `^globaldb-`, reg.Name)
		}
	}
	key := mockstest.One(t, m, "aws:kms/key:Key")
	assert.True(t, boolean(key, "enableKeyRotation"))
	keyArn := key.Outputs["arn"].StringValue()

	cluster := mockstest.One(t, m, "aws:rds/cluster:Cluster")
	assert.Equal(t, "aurora-postgresql", str(cluster, "engine"))
	assert.Equal(t, "16.4", str(cluster, "engineVersion"))
	assert.Equal(t, globalID+"-"+r.region, str(cluster, "clusterIdentifier"))
	assert.True(t, boolean(cluster, "storageEncrypted"), "encrypted")
	assert.Equal(t, keyArn, str(cluster, "kmsKeyId"), "with this region's key")
	assert.True(t, boolean(cluster, "deletionProtection"))
	assert.GreaterOrEqual(t, num(cluster, "backupRetentionPeriod"), 7)
	assert.Equal(t, 14, num(cluster, "backupRetentionPeriod"))
	assert.False(t, boolean(cluster, "skipFinalSnapshot"))
	assert.Equal(t, globalID+"-"+r.region+"-final", str(cluster, "finalSnapshotIdentifier"))
	assert.True(t, boolean(cluster, "copyTagsToSnapshot"))
	assert.True(t, boolean(cluster, "iamDatabaseAuthenticationEnabled"))
	assert.Equal(t, []string{"postgresql"}, strs(cluster, "enabledCloudwatchLogsExports"))
	assert.Equal(t, mockstest.One(t, m, "aws:rds/subnetGroup:SubnetGroup").ID, str(cluster, "dbSubnetGroupName"))
	assert.Equal(t, []string{"subnet-a", "subnet-b", "subnet-c"}, strs(mockstest.One(t, m, "aws:rds/subnetGroup:SubnetGroup"), "subnetIds"))
	assert.NotContains(t, cluster.Inputs, resource.PropertyKey("manageMasterUserPassword"),
		"RDS-managed passwords are not supported in a global database")
	assert.Contains(t, r.rec.ignore[cluster.Name], "replicationSourceIdentifier")
	assert.Contains(t, r.rec.ignore[cluster.Name], "globalClusterIdentifier")

	params := mockstest.One(t, m, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
	assert.Equal(t, "aurora-postgresql16", str(params, "family"))
	assert.Equal(t, params.ID, str(cluster, "dbClusterParameterGroupName"))
	forced := false
	for _, p := range params.Inputs["parameters"].ArrayValue() {
		o := p.ObjectValue()
		if o["name"].StringValue() == "rds.force_ssl" {
			forced = o["value"].StringValue() == "1"
		}
	}
	assert.True(t, forced, "rds.force_ssl=1")

	sg := mockstest.One(t, m, "aws:ec2/securityGroup:SecurityGroup")
	assert.Equal(t, []string{sg.ID}, strs(cluster, "vpcSecurityGroupIds"))
	assert.NotContains(t, sg.Inputs, resource.PropertyKey("ingress"), "no inline rules")
	rule := mockstest.One(t, m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	assert.Equal(t, sg.ID, str(rule, "securityGroupId"))
	assert.Equal(t, clientSG, str(rule, "referencedSecurityGroupId"), "only the client group")
	assert.Equal(t, 5432, num(rule, "fromPort"))
	assert.Equal(t, 5432, num(rule, "toPort"))
	assert.Equal(t, "tcp", str(rule, "ipProtocol"))
	assert.NotContains(t, rule.Inputs, resource.PropertyKey("cidrIpv4"))
	assert.NotContains(t, rule.Inputs, resource.PropertyKey("cidrIpv6"))
	assert.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))

	instances := m.ByType("aws:rds/clusterInstance:ClusterInstance")
	require.Len(t, instances, 2)
	zones := map[string]bool{}
	for i, inst := range instances {
		assert.Equal(t, cluster.ID, str(inst, "clusterIdentifier"))
		assert.Equal(t, "aurora-postgresql", str(inst, "engine"))
		assert.Equal(t, "db.r6g.large", str(inst, "instanceClass"))
		assert.Equal(t, wantZones[i], str(inst, "availabilityZone"))
		assert.False(t, boolean(inst, "publiclyAccessible"))
		assert.Contains(t, inst.Inputs, resource.PropertyKey("publiclyAccessible"), "set explicitly")
		assert.True(t, boolean(inst, "performanceInsightsEnabled"))
		assert.Equal(t, keyArn, str(inst, "performanceInsightsKmsKeyId"))
		assert.Equal(t, i, num(inst, "promotionTier"))
		assert.Equal(t, globalID+"-"+r.region+"-"+string(rune('1'+i)), str(inst, "identifier"))
		zones[str(inst, "availabilityZone")] = true
	}
	assert.Len(t, zones, 2, "the two instances are in different AZs")
	assert.Contains(t, instances[1].Dependencies, instances[0].URN, "the second instance waits for the first (the writer)")

	assert.Equal(t, keyArn, mockstest.Await[string](t, r.comp.KmsKeyArn))
	assert.Equal(t, sg.ID, mockstest.Await[string](t, r.comp.SecurityGroupID))
	assert.Equal(t, globalID+"-"+r.region, mockstest.Await[string](t, r.comp.ClusterIdentifier))
	assert.Equal(t, cluster.Outputs["endpoint"].StringValue(), mockstest.Await[string](t, r.comp.ClusterEndpoint))
	assert.Equal(t, cluster.Outputs["readerEndpoint"].StringValue(), mockstest.Await[string](t, r.comp.ReaderEndpoint))
	assert.Equal(t, globalID, mockstest.Await[string](t, r.comp.GlobalClusterIdentifier))
	assert.Equal(t, r.region, r.comp.Region)
	return cluster, instances
}

func TestPrimary(t *testing.T) {
	r := mustRun(t, "us-east-1", primaryArgs())
	m := r.m
	cluster, _ := checkCommon(t, r, []string{"us-east-1a", "us-east-1b"})

	gc := mockstest.One(t, m, "aws:rds/globalCluster:GlobalCluster")
	assert.Equal(t, globalID, str(gc, "globalClusterIdentifier"))
	assert.Equal(t, "aurora-postgresql", str(gc, "engine"))
	assert.Equal(t, "16.4", str(gc, "engineVersion"))
	assert.True(t, boolean(gc, "storageEncrypted"))
	assert.True(t, boolean(gc, "deletionProtection"))
	assert.Equal(t, gc.ID, str(cluster, "globalClusterIdentifier"), "the cluster is in the global cluster")
	assert.Contains(t, cluster.PropertyDependencies["globalClusterIdentifier"], gc.URN)

	// Master credentials: generated, in a secret, secret in the state, and never re-applied.
	assert.Equal(t, "ess", str(cluster, "masterUsername"))
	assert.Equal(t, "ess", str(cluster, "databaseName"))
	pw := cluster.Inputs["masterPassword"]
	assert.True(t, pw.IsSecret(), "the master password is a Pulumi secret")
	assert.Equal(t, mockPassword, str(cluster, "masterPassword"))
	assert.Contains(t, r.rec.ignore[cluster.Name], "masterPassword")

	key := mockstest.One(t, m, "aws:kms/key:Key")
	secret := mockstest.One(t, m, "aws:secretsmanager/secret:Secret")
	assert.Equal(t, key.Outputs["arn"].StringValue(), str(secret, "kmsKeyId"))
	assert.Equal(t, 30, num(secret, "recoveryWindowInDays"))
	replicas := secret.Inputs["replicas"].ArrayValue()
	require.Len(t, replicas, 1)
	assert.Equal(t, "us-west-2", replicas[0].ObjectValue()["region"].StringValue(), "the secret outlives the primary region")
	version := mockstest.One(t, m, "aws:secretsmanager/secretVersion:SecretVersion")
	assert.True(t, version.Inputs["secretString"].IsSecret())
	assert.Equal(t, secret.ID, str(version, "secretId"))
	assert.Contains(t, r.rec.ignore[version.Name], "secretString")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(str(version, "secretString")), &doc))
	assert.Equal(t, "ess", doc["username"])
	assert.Equal(t, mockPassword, doc["password"])
	assert.Equal(t, float64(5432), doc["port"])
	assert.Contains(t, cluster.Dependencies, version.URN, "the cluster waits for the secret to hold its password")

	// The local cluster endpoint is published for the services; the global writer endpoint is
	// exported for operators.
	require.NotEmpty(t, gc.Outputs["endpoint"].StringValue())
	ps := parameters(t, m)
	assert.Equal(t, map[string]string{
		"/ess-ha/prod-us-east-1/database/endpoint":        cluster.Outputs["endpoint"].StringValue(),
		"/ess-ha/prod-us-east-1/database/port":            "5432",
		"/ess-ha/prod-us-east-1/database/reader-endpoint": cluster.Outputs["readerEndpoint"].StringValue(),
		"/ess-ha/prod-us-east-1/database/secret-arn":      secret.Outputs["arn"].StringValue(),
	}, ps)
	assert.Equal(t, gc.Outputs["endpoint"].StringValue(), mockstest.Await[string](t, r.comp.WriterEndpoint))
	assert.Equal(t, secret.Outputs["arn"].StringValue(), mockstest.Await[string](t, r.comp.SecretArn))
	assert.NotNil(t, r.comp.GlobalCluster)
	assert.Len(t, r.comp.Instances, 2)
}

func TestSecondary(t *testing.T) {
	r := mustRun(t, "us-west-2", secondaryArgs())
	m := r.m
	cluster, _ := checkCommon(t, r, []string{"us-west-2a", "us-west-2b"})

	assert.Empty(t, m.ByType("aws:rds/globalCluster:GlobalCluster"), "the primary stack owns the global cluster")
	assert.Equal(t, globalID, str(cluster, "globalClusterIdentifier"), "joins the global cluster by its identifier")
	for _, k := range []string{"masterUsername", "masterPassword", "databaseName", "manageMasterUserPassword", "replicationSourceIdentifier"} {
		assert.NotContains(t, cluster.Inputs, resource.PropertyKey(k), "a secondary sets no %s", k)
	}
	assert.Empty(t, m.ByType("aws:secretsmanager/secret:Secret"))
	assert.Empty(t, m.ByType("aws:secretsmanager/secretVersion:SecretVersion"))
	assert.NotContains(t, r.rec.ignore[cluster.Name], "masterPassword")

	ps := parameters(t, m)
	assert.Equal(t, cluster.Outputs["endpoint"].StringValue(), ps["/ess-ha/prod-us-west-2/database/endpoint"], "the local cluster endpoint: writes are forwarded to the primary")
	assert.Equal(t, "5432", ps["/ess-ha/prod-us-west-2/database/port"])
	assert.Equal(t, cluster.Outputs["readerEndpoint"].StringValue(), ps["/ess-ha/prod-us-west-2/database/reader-endpoint"])
	assert.NotContains(t, ps, "/ess-ha/prod-us-west-2/database/secret-arn", "no secret ARN was given")
	assert.Equal(t, globalEndpoint, mockstest.Await[string](t, r.comp.WriterEndpoint))
	assert.Equal(t, "", mockstest.Await[string](t, r.comp.SecretArn))
	assert.Nil(t, r.comp.GlobalCluster)
}

func TestSecondaryPublishesReplicaSecretArn(t *testing.T) {
	args := secondaryArgs()
	replica := "arn:aws:secretsmanager:us-west-2:123456789012:secret:globaldb-master-secret-abcdef"
	args.SecretArn = pulumi.String(replica)
	r := mustRun(t, "us-west-2", args)
	assert.Equal(t, replica, parameters(t, r.m)["/ess-ha/prod-us-west-2/database/secret-arn"])
	assert.Equal(t, replica, mockstest.Await[string](t, r.comp.SecretArn))
}

// TestPairSharesTheGlobalCluster plans both members and checks that both clusters belong to the
// global cluster the primary creates, and that each publishes its own cluster endpoint with global
// write forwarding on.
func TestPairSharesTheGlobalCluster(t *testing.T) {
	p := mustRun(t, "us-east-1", primaryArgs())
	gc := mockstest.One(t, p.m, "aws:rds/globalCluster:GlobalCluster")
	args := secondaryArgs()
	args.GlobalWriterEndpoint = pulumi.String(mockstest.Await[string](t, p.comp.WriterEndpoint))
	s := mustRun(t, "us-west-2", args)

	pc, sc := mockstest.One(t, p.m, "aws:rds/cluster:Cluster"), mockstest.One(t, s.m, "aws:rds/cluster:Cluster")
	assert.Equal(t, gc.ID, str(pc, "globalClusterIdentifier"))
	assert.Equal(t, gc.ID, str(sc, "globalClusterIdentifier"))
	assert.NotEqual(t, str(pc, "clusterIdentifier"), str(sc, "clusterIdentifier"))
	assert.Equal(t, pc.Outputs["endpoint"].StringValue(), parameters(t, p.m)["/ess-ha/prod-us-east-1/database/endpoint"], "each region uses its own cluster endpoint")
	assert.Equal(t, sc.Outputs["endpoint"].StringValue(), parameters(t, s.m)["/ess-ha/prod-us-west-2/database/endpoint"], "each region uses its own cluster endpoint")
	for _, c := range []*mocks.Registration{pc, sc} {
		assert.True(t, boolean(c, "enableGlobalWriteForwarding"), "a secondary forwards writes, so the endpoint survives a promotion")
	}
}

func TestClusterIdentifierOverride(t *testing.T) {
	args := primaryArgs()
	args.ClusterIdentifier = "ess-east"
	r := mustRun(t, "us-east-1", args)
	assert.Equal(t, "ess-east", str(mockstest.One(t, r.m, "aws:rds/cluster:Cluster"), "clusterIdentifier"))
	assert.Equal(t, "ess-east-final", str(mockstest.One(t, r.m, "aws:rds/cluster:Cluster"), "finalSnapshotIdentifier"))
}

func TestHelpers(t *testing.T) {
	f, err := globaldb.Family("16.4")
	require.NoError(t, err)
	assert.Equal(t, "aurora-postgresql16", f)
	for _, v := range []string{"", "16", "9.6", "sixteen", "16.4.1"} {
		_, err := globaldb.Family(v)
		assert.Error(t, err, v)
	}
	long := globaldb.DefaultClusterIdentifier("a-very-long-global-cluster-identifier-that-goes-on-and-on", "ap-southeast-2")
	assert.LessOrEqual(t, len(long), 61)
	assert.NotRegexp(t, `-$`, long)
	assert.Equal(t, "ess-us-east-1", globaldb.DefaultClusterIdentifier("ess", "us-east-1"))
}

func TestArgsErrors(t *testing.T) {
	cases := []struct {
		name    string
		base    func() *globaldb.GlobalDatabaseArgs
		mutate  func(a *globaldb.GlobalDatabaseArgs)
		region  string
		wantErr string
	}{
		{"bad role", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Role = "replica" }, "us-east-1", "GlobalDatabaseArgs.Role"},
		{"bad global id", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.GlobalClusterIdentifier = "Ess_Prod" }, "us-east-1", "GlobalDatabaseArgs.GlobalClusterIdentifier"},
		{"bad cluster id", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.ClusterIdentifier = "ess--east" }, "us-east-1", "GlobalDatabaseArgs.ClusterIdentifier"},
		{"bad version", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.EngineVersion = "latest" }, "us-east-1", "GlobalDatabaseArgs.EngineVersion"},
		{"burstable class", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.InstanceClass = "db.t4g.medium" }, "us-east-1", "burstable"},
		{"bad class", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.InstanceClass = "r6g.large" }, "us-east-1", "GlobalDatabaseArgs.InstanceClass"},
		{"short backups", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.BackupRetentionDays = 3 }, "us-east-1", "GlobalDatabaseArgs.BackupRetentionDays"},
		{"no database name", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.DatabaseName = "" }, "us-east-1", "GlobalDatabaseArgs.DatabaseName"},
		{"rdsadmin", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.MasterUsername = "rdsadmin" }, "us-east-1", "GlobalDatabaseArgs.MasterUsername"},
		{"primary with endpoint", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.GlobalWriterEndpoint = pulumi.String(globalEndpoint) }, "us-east-1", "GlobalDatabaseArgs.GlobalWriterEndpoint is set on a primary"},
		{"primary with secret arn", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretArn = pulumi.String("arn") }, "us-east-1", "GlobalDatabaseArgs.SecretArn"},
		{"secondary replicates secret", secondaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretReplicaRegions = []string{"us-east-1"} }, "us-west-2", "GlobalDatabaseArgs.SecretReplicaRegions"},
		{"one zone", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Zones = []string{"us-east-1a"} }, "us-east-1", "GlobalDatabaseArgs.Zones"},
		{"same zone twice", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Zones = []string{"us-east-1a", "us-east-1a"} }, "us-east-1", "GlobalDatabaseArgs.Zones[1]"},
		{"zones in two regions", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Zones = []string{"us-east-1a", "us-west-2b"} }, "us-east-1", "GlobalDatabaseArgs.Zones"},
		{"one subnet", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.DataSubnetIDs = pulumi.StringArray{pulumi.String("subnet-a")} }, "us-east-1", "GlobalDatabaseArgs.DataSubnetIDs"},
		{"no vpc", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.VpcID = nil }, "us-east-1", "GlobalDatabaseArgs.VpcID"},
		{"no client", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.ClientSecurityGroupID = nil }, "us-east-1", "GlobalDatabaseArgs.ClientSecurityGroupID"},
		{"bad path", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.ParameterPath = "ess-ha" }, "us-east-1", "GlobalDatabaseArgs.ParameterPath"},
		{"replica in own region", primaryArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretReplicaRegions = []string{"us-east-1"} }, "us-east-1", "this database's region"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := c.base()
			c.mutate(args)
			r, err := run(t, c.region, args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.wantErr)
			assert.Contains(t, err.Error(), "global database globaldb:")
			assert.Empty(t, r.m.Registrations(), "nothing is created")
		})
	}
	t.Run("nil", func(t *testing.T) {
		r, err := run(t, "us-east-1", nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "GlobalDatabaseArgs is nil")
		assert.Empty(t, r.m.Registrations())
	})
}
