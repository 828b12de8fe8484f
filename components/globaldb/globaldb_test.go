package globaldb_test

import (
	"encoding/json"
	"strings"
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
	replicaArn     = "arn:aws:secretsmanager:us-west-2:123456789012:secret:globaldb-master-secret-abcdef"
	// The password the mocks answer secretsmanager.GetRandomPassword with.
	mockPassword = "plan-placeholder-token-0123456789abcdef"
)

func ownerArgs() *globaldb.GlobalDatabaseArgs {
	return &globaldb.GlobalDatabaseArgs{
		Role:                    globaldb.RoleOwner,
		GlobalClusterIdentifier: globalID,
		EngineVersion:           "16.11",
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

func memberArgs() *globaldb.GlobalDatabaseArgs {
	a := ownerArgs()
	a.Role = globaldb.RoleMember
	a.Zones = []string{"us-west-2a", "us-west-2b", "us-west-2c"}
	a.ParameterPath = "/ess-ha/prod-us-west-2/"
	a.SecretReplicaRegions = nil
	a.GlobalWriterEndpoint = pulumi.String(globalEndpoint)
	a.SecretArn = pulumi.String(replicaArn)
	return a
}

type result struct {
	m      *mocks.Mocks
	comp   *globaldb.GlobalDatabase
	region string
}

func run(t *testing.T, region string, args *globaldb.GlobalDatabaseArgs) (result, error) {
	t.Helper()
	m := mocks.New("ess-ha", "prod-"+region, region)
	var comp *globaldb.GlobalDatabase
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = globaldb.NewGlobalDatabase(ctx, "globaldb", args)
		return err
	})
	return result{m: m, comp: comp, region: region}, err
}

func mustRun(t *testing.T, region string, args *globaldb.GlobalDatabaseArgs) result {
	t.Helper()
	r, err := run(t, region, args)
	require.NoError(t, err)
	return r
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

func parameters(t *testing.T, m *mocks.Mocks) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range m.ByType("aws:ssm/parameter:Parameter") {
		out[mockstest.Str(p, "name")] = mockstest.Str(p, "insecureValue")
		assert.Equal(t, "String", mockstest.Str(p, "type"))
	}
	return out
}

// checkCommon asserts what both roles share: encryption with the member's own key, deletion
// protection, backups, a final snapshot, TLS only, the subnet group, the security group open to the
// client group only, and two instances in two AZs.
func checkCommon(t *testing.T, r result, wantZones []string) (*mocks.Registration, []*mocks.Registration) {
	t.Helper()
	m := r.m
	compURN := mockstest.One(t, m, globaldb.Type).URN
	for _, reg := range m.Registrations() {
		if reg.Type != globaldb.Type {
			assert.Equal(t, compURN, reg.Parent, "%s is a child of the component", reg.Name)
			assert.Regexp(t, `^globaldb-`, reg.Name)
		}
	}
	key := mockstest.One(t, m, "aws:kms/key:Key")
	assert.True(t, boolean(key, "enableKeyRotation"))
	keyArn := key.Outputs["arn"].StringValue()

	cluster := mockstest.One(t, m, "aws:rds/cluster:Cluster")
	assert.Equal(t, "aurora-postgresql", mockstest.Str(cluster, "engine"))
	assert.Equal(t, "16.11", mockstest.Str(cluster, "engineVersion"))
	assert.Equal(t, globalID+"-"+r.region, mockstest.Str(cluster, "clusterIdentifier"))
	assert.True(t, boolean(cluster, "storageEncrypted"), "encrypted")
	assert.Equal(t, keyArn, mockstest.Str(cluster, "kmsKeyId"), "with this region's key")
	assert.True(t, boolean(cluster, "deletionProtection"))
	assert.GreaterOrEqual(t, num(cluster, "backupRetentionPeriod"), 7)
	assert.Equal(t, 14, num(cluster, "backupRetentionPeriod"))
	assert.False(t, boolean(cluster, "skipFinalSnapshot"))
	assert.Equal(t, globalID+"-"+r.region+"-final", mockstest.Str(cluster, "finalSnapshotIdentifier"))
	assert.True(t, boolean(cluster, "copyTagsToSnapshot"))
	assert.True(t, boolean(cluster, "iamDatabaseAuthenticationEnabled"))
	assert.Equal(t, []string{"postgresql"}, mockstest.Strs(cluster, "enabledCloudwatchLogsExports"))
	assert.Equal(t, mockstest.One(t, m, "aws:rds/subnetGroup:SubnetGroup").ID, mockstest.Str(cluster, "dbSubnetGroupName"))
	assert.Equal(t, []string{"subnet-a", "subnet-b", "subnet-c"}, mockstest.Strs(mockstest.One(t, m, "aws:rds/subnetGroup:SubnetGroup"), "subnetIds"))
	assert.NotContains(t, cluster.Inputs, resource.PropertyKey("manageMasterUserPassword"),
		"RDS-managed passwords are not supported in a global database")
	// Aurora moves these on a switchover or failover, and the version on an upgrade: never undone.
	assert.Contains(t, cluster.IgnoreChanges, "replicationSourceIdentifier")
	assert.Contains(t, cluster.IgnoreChanges, "globalClusterIdentifier")
	assert.Contains(t, cluster.IgnoreChanges, "engineVersion")
	// The data outlives any destroy or rename of the stack.
	assert.True(t, cluster.Protect, "the cluster is protected")
	assert.True(t, cluster.RetainOnDelete, "the cluster is retained on delete")
	assert.NotContains(t, cluster.Inputs, resource.PropertyKey("enableGlobalWriteForwarding"),
		"writes go through the global writer endpoint, not write forwarding")

	params := mockstest.One(t, m, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
	assert.Equal(t, "aurora-postgresql16", mockstest.Str(params, "family"))
	assert.Equal(t, params.ID, mockstest.Str(cluster, "dbClusterParameterGroupName"))
	forced := false
	for _, p := range params.Inputs["parameters"].ArrayValue() {
		o := p.ObjectValue()
		if o["name"].StringValue() == "rds.force_ssl" {
			forced = o["value"].StringValue() == "1"
		}
	}
	assert.True(t, forced, "rds.force_ssl=1")

	sg := mockstest.One(t, m, "aws:ec2/securityGroup:SecurityGroup")
	assert.Equal(t, []string{sg.ID}, mockstest.Strs(cluster, "vpcSecurityGroupIds"))
	assert.NotContains(t, sg.Inputs, resource.PropertyKey("ingress"), "no inline rules")
	rule := mockstest.One(t, m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	assert.Equal(t, sg.ID, mockstest.Str(rule, "securityGroupId"))
	assert.Equal(t, clientSG, mockstest.Str(rule, "referencedSecurityGroupId"), "only the client group")
	assert.Equal(t, 5432, num(rule, "fromPort"))
	assert.Equal(t, 5432, num(rule, "toPort"))
	assert.Equal(t, "tcp", mockstest.Str(rule, "ipProtocol"))
	assert.NotContains(t, rule.Inputs, resource.PropertyKey("cidrIpv4"))
	assert.NotContains(t, rule.Inputs, resource.PropertyKey("cidrIpv6"))
	assert.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))

	instances := m.ByType("aws:rds/clusterInstance:ClusterInstance")
	require.Len(t, instances, 2)
	zones := map[string]bool{}
	for i, inst := range instances {
		assert.Equal(t, cluster.ID, mockstest.Str(inst, "clusterIdentifier"))
		assert.Equal(t, "aurora-postgresql", mockstest.Str(inst, "engine"))
		assert.Equal(t, "db.r6g.large", mockstest.Str(inst, "instanceClass"))
		assert.Equal(t, wantZones[i], mockstest.Str(inst, "availabilityZone"))
		assert.False(t, boolean(inst, "publiclyAccessible"))
		assert.Contains(t, inst.Inputs, resource.PropertyKey("publiclyAccessible"), "set explicitly")
		assert.True(t, boolean(inst, "performanceInsightsEnabled"))
		assert.Equal(t, keyArn, mockstest.Str(inst, "performanceInsightsKmsKeyId"))
		assert.Equal(t, i, num(inst, "promotionTier"))
		assert.Equal(t, globalID+"-"+r.region+"-"+string(rune('1'+i)), mockstest.Str(inst, "identifier"))
		assert.Contains(t, inst.IgnoreChanges, "engineVersion", "upgrades go through the global cluster")
		zones[mockstest.Str(inst, "availabilityZone")] = true
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

func TestOwner(t *testing.T) {
	t.Parallel()
	r := mustRun(t, "us-east-1", ownerArgs())
	m := r.m
	cluster, _ := checkCommon(t, r, []string{"us-east-1a", "us-east-1b"})

	gc := mockstest.One(t, m, "aws:rds/globalCluster:GlobalCluster")
	assert.Equal(t, globalID, mockstest.Str(gc, "globalClusterIdentifier"))
	assert.Equal(t, "aurora-postgresql", mockstest.Str(gc, "engine"))
	assert.Equal(t, "16.11", mockstest.Str(gc, "engineVersion"))
	assert.Contains(t, gc.IgnoreChanges, "engineVersion", "an upgrade AWS made is never undone")
	assert.True(t, gc.Protect, "the global cluster is protected")
	assert.True(t, gc.RetainOnDelete, "and retained on delete")
	assert.True(t, boolean(gc, "storageEncrypted"))
	assert.True(t, boolean(gc, "deletionProtection"))
	assert.Equal(t, gc.ID, mockstest.Str(cluster, "globalClusterIdentifier"), "the cluster is in the global cluster")
	assert.Contains(t, cluster.PropertyDependencies["globalClusterIdentifier"], gc.URN)

	// Master credentials: generated, in a secret, secret in the state, and never re-applied.
	assert.Equal(t, "ess", mockstest.Str(cluster, "masterUsername"))
	assert.Equal(t, "ess", mockstest.Str(cluster, "databaseName"))
	pw := cluster.Inputs["masterPassword"]
	assert.True(t, pw.IsSecret(), "the master password is a Pulumi secret")
	assert.Equal(t, mockPassword, mockstest.Str(cluster, "masterPassword"))
	assert.Contains(t, cluster.IgnoreChanges, "masterPassword")

	key := mockstest.One(t, m, "aws:kms/key:Key")
	secret := mockstest.One(t, m, "aws:secretsmanager/secret:Secret")
	assert.Equal(t, key.Outputs["arn"].StringValue(), mockstest.Str(secret, "kmsKeyId"))
	assert.Equal(t, 30, num(secret, "recoveryWindowInDays"))
	assert.True(t, secret.Protect && secret.RetainOnDelete, "the master secret outlives the stack")
	replicas := secret.Inputs["replicas"].ArrayValue()
	require.Len(t, replicas, 1)
	assert.Equal(t, "us-west-2", replicas[0].ObjectValue()["region"].StringValue(), "the secret outlives the primary region")
	version := mockstest.One(t, m, "aws:secretsmanager/secretVersion:SecretVersion")
	assert.True(t, version.Inputs["secretString"].IsSecret())
	assert.Equal(t, secret.ID, mockstest.Str(version, "secretId"))
	assert.Contains(t, version.IgnoreChanges, "secretString")
	assert.True(t, version.Protect && version.RetainOnDelete, "the master secret's value outlives the stack")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(mockstest.Str(version, "secretString")), &doc))
	assert.Equal(t, "ess", doc["username"])
	assert.Equal(t, mockPassword, doc["password"])
	assert.Equal(t, float64(5432), doc["port"])
	assert.Contains(t, cluster.Dependencies, version.URN, "the cluster waits for the secret to hold its password")

	// The services read and write through the global writer endpoint and read locally from the
	// reader endpoint; never through this cluster's writer endpoint, which works only in one role.
	require.NotEmpty(t, gc.Outputs["endpoint"].StringValue())
	ps := parameters(t, m)
	assert.Equal(t, map[string]string{
		"/ess-ha/prod-us-east-1/database/endpoint":        gc.Outputs["endpoint"].StringValue(),
		"/ess-ha/prod-us-east-1/database/port":            "5432",
		"/ess-ha/prod-us-east-1/database/reader-endpoint": cluster.Outputs["readerEndpoint"].StringValue(),
		"/ess-ha/prod-us-east-1/database/secret-arn":      secret.Outputs["arn"].StringValue(),
	}, ps)
	assert.Equal(t, gc.Outputs["endpoint"].StringValue(), mockstest.Await[string](t, r.comp.WriterEndpoint))
	assert.Equal(t, secret.Outputs["arn"].StringValue(), mockstest.Await[string](t, r.comp.SecretArn))
	assert.NotNil(t, r.comp.GlobalCluster)
	assert.Len(t, r.comp.Instances, 2)
}

func TestMember(t *testing.T) {
	t.Parallel()
	r := mustRun(t, "us-west-2", memberArgs())
	m := r.m
	cluster, _ := checkCommon(t, r, []string{"us-west-2a", "us-west-2b"})

	assert.Empty(t, m.ByType("aws:rds/globalCluster:GlobalCluster"), "the owner's stack owns the global cluster")
	assert.Equal(t, globalID, mockstest.Str(cluster, "globalClusterIdentifier"), "joins the global cluster by its identifier")
	for _, k := range []string{"masterUsername", "masterPassword", "databaseName", "manageMasterUserPassword", "replicationSourceIdentifier"} {
		assert.NotContains(t, cluster.Inputs, resource.PropertyKey(k), "a member sets no %s", k)
	}
	assert.Empty(t, m.ByType("aws:secretsmanager/secret:Secret"))
	assert.Empty(t, m.ByType("aws:secretsmanager/secretVersion:SecretVersion"))
	assert.NotContains(t, cluster.IgnoreChanges, "masterPassword")

	// The member's services use the global writer endpoint (never this cluster's writer endpoint,
	// which is inactive while the cluster is a secondary), its own reader endpoint, and the replica of
	// the master secret in its own region.
	ps := parameters(t, m)
	assert.Equal(t, globalEndpoint, ps["/ess-ha/prod-us-west-2/database/endpoint"])
	assert.NotEqual(t, cluster.Outputs["endpoint"].StringValue(), ps["/ess-ha/prod-us-west-2/database/endpoint"])
	assert.Equal(t, "5432", ps["/ess-ha/prod-us-west-2/database/port"])
	assert.Equal(t, cluster.Outputs["readerEndpoint"].StringValue(), ps["/ess-ha/prod-us-west-2/database/reader-endpoint"])
	assert.Equal(t, replicaArn, ps["/ess-ha/prod-us-west-2/database/secret-arn"])
	assert.Equal(t, globalEndpoint, mockstest.Await[string](t, r.comp.WriterEndpoint))
	assert.Equal(t, replicaArn, mockstest.Await[string](t, r.comp.SecretArn))
	assert.Nil(t, r.comp.GlobalCluster)
}

// TestPairSharesTheGlobalCluster plans both members and checks that both clusters belong to the
// global cluster the owner creates, and that both regions' services use its writer endpoint.
func TestPairSharesTheGlobalCluster(t *testing.T) {
	t.Parallel()
	p := mustRun(t, "us-east-1", ownerArgs())
	gc := mockstest.One(t, p.m, "aws:rds/globalCluster:GlobalCluster")
	args := memberArgs()
	args.GlobalWriterEndpoint = pulumi.String(mockstest.Await[string](t, p.comp.WriterEndpoint))
	s := mustRun(t, "us-west-2", args)

	pc, sc := mockstest.One(t, p.m, "aws:rds/cluster:Cluster"), mockstest.One(t, s.m, "aws:rds/cluster:Cluster")
	assert.Equal(t, gc.ID, mockstest.Str(pc, "globalClusterIdentifier"))
	assert.Equal(t, gc.ID, mockstest.Str(sc, "globalClusterIdentifier"))
	assert.NotEqual(t, mockstest.Str(pc, "clusterIdentifier"), mockstest.Str(sc, "clusterIdentifier"))
	writer := gc.Outputs["endpoint"].StringValue()
	assert.Equal(t, writer, parameters(t, p.m)["/ess-ha/prod-us-east-1/database/endpoint"], "the owner's services use the global writer endpoint")
	assert.Equal(t, writer, parameters(t, s.m)["/ess-ha/prod-us-west-2/database/endpoint"], "so do the member's")
}

func TestClusterIdentifierOverride(t *testing.T) {
	t.Parallel()
	args := ownerArgs()
	args.ClusterIdentifier = "ess-east"
	r := mustRun(t, "us-east-1", args)
	assert.Equal(t, "ess-east", mockstest.Str(mockstest.One(t, r.m, "aws:rds/cluster:Cluster"), "clusterIdentifier"))
	assert.Equal(t, "ess-east-final", mockstest.Str(mockstest.One(t, r.m, "aws:rds/cluster:Cluster"), "finalSnapshotIdentifier"))
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	f, err := globaldb.Family("16.11")
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
	t.Parallel()
	cases := []struct {
		name    string
		base    func() *globaldb.GlobalDatabaseArgs
		mutate  func(a *globaldb.GlobalDatabaseArgs)
		region  string
		wantErr string
	}{
		{"bad role", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Role = "replica" }, "us-east-1", "GlobalDatabaseArgs.Role"},
		{"bad global id", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.GlobalClusterIdentifier = "Ess_Prod" }, "us-east-1", "GlobalDatabaseArgs.GlobalClusterIdentifier"},
		{"bad cluster id", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.ClusterIdentifier = "ess--east" }, "us-east-1", "GlobalDatabaseArgs.ClusterIdentifier"},
		{"bad version", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.EngineVersion = "latest" }, "us-east-1", "GlobalDatabaseArgs.EngineVersion"},
		{"burstable class", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.InstanceClass = "db.t4g.medium" }, "us-east-1", "burstable"},
		{"bad class", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.InstanceClass = "r6g.large" }, "us-east-1", "GlobalDatabaseArgs.InstanceClass"},
		{"short backups", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.BackupRetentionDays = 3 }, "us-east-1", "GlobalDatabaseArgs.BackupRetentionDays"},
		{"no database name", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.DatabaseName = "" }, "us-east-1", "GlobalDatabaseArgs.DatabaseName"},
		{"rdsadmin", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.MasterUsername = "rdsadmin" }, "us-east-1", "GlobalDatabaseArgs.MasterUsername"},
		{"owner with endpoint", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.GlobalWriterEndpoint = pulumi.String(globalEndpoint) }, "us-east-1", "GlobalDatabaseArgs.GlobalWriterEndpoint is set on the owner"},
		{"owner with secret arn", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretArn = pulumi.String("arn") }, "us-east-1", "GlobalDatabaseArgs.SecretArn"},
		{"owner without replica", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretReplicaRegions = nil }, "us-east-1", "replicate the master secret to the member's region"},
		{"member replicates secret", memberArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretReplicaRegions = []string{"us-east-1"} }, "us-west-2", "GlobalDatabaseArgs.SecretReplicaRegions"},
		// The member's services need the writer endpoint and their region's secret: without them
		// they cannot write or log in.
		{"member without writer endpoint", memberArgs, func(a *globaldb.GlobalDatabaseArgs) { a.GlobalWriterEndpoint = nil }, "us-west-2", "GlobalWriterEndpoint is not set on the member"},
		{"member without secret", memberArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretArn = nil }, "us-west-2", "SecretArn is not set on the member"},
		{"one zone", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Zones = []string{"us-east-1a"} }, "us-east-1", "GlobalDatabaseArgs.Zones"},
		{"same zone twice", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Zones = []string{"us-east-1a", "us-east-1a"} }, "us-east-1", "GlobalDatabaseArgs.Zones[1]"},
		{"zones in two regions", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.Zones = []string{"us-east-1a", "us-west-2b"} }, "us-east-1", "GlobalDatabaseArgs.Zones"},
		{"one subnet", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.DataSubnetIDs = pulumi.StringArray{pulumi.String("subnet-a")} }, "us-east-1", "GlobalDatabaseArgs.DataSubnetIDs"},
		{"no vpc", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.VpcID = nil }, "us-east-1", "GlobalDatabaseArgs.VpcID"},
		{"no client", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.ClientSecurityGroupID = nil }, "us-east-1", "GlobalDatabaseArgs.ClientSecurityGroupID"},
		{"bad path", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.ParameterPath = "ess-ha" }, "us-east-1", "GlobalDatabaseArgs.ParameterPath"},
		{"replica in own region", ownerArgs, func(a *globaldb.GlobalDatabaseArgs) { a.SecretReplicaRegions = []string{"us-east-1"} }, "us-east-1", "this database's region"},
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

// TestDeployedStacksKeepTheirURNs checks the alias of the type token change: the component and every
// child of it, in either role, can be found under the URN it had when the component was registered as
// globaldb.FormerType, so that `pulumi up` of a deployed stack updates them in place instead of
// replacing the global database.
func TestDeployedStacksKeepTheirURNs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		role, region string
		args         *globaldb.GlobalDatabaseArgs
	}{{"owner", "us-east-1", ownerArgs()}, {"member", "us-west-2", memberArgs()}} {
		t.Run(c.role, func(t *testing.T) {
			r := mustRun(t, c.region, c.args)
			comp := mockstest.One(t, r.m, globaldb.Type)
			assert.Contains(t, string(comp.URN), "::"+globaldb.Type+"::globaldb")
			children := 0
			for _, reg := range r.m.Registrations() {
				if !strings.Contains(string(reg.URN), globaldb.Type) {
					continue
				}
				old := resource.URN(strings.Replace(string(reg.URN), globaldb.Type, globaldb.FormerType, 1))
				assert.Contains(t, reg.Aliases, old, "%s keeps its URN from before the token change", reg.Name)
				if reg != comp {
					children++
				}
			}
			assert.Greater(t, children, 10, "the children were checked")
		})
	}
}
