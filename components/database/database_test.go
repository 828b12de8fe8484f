package database

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/awsname"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

func fakeArgs() *DatabaseArgs {
	return &DatabaseArgs{
		VpcID:                 pulumi.String("vpc-1").ToStringOutput(),
		DataSubnetIDs:         pulumi.StringArray{pulumi.String("subnet-d1"), pulumi.String("subnet-d2").ToStringOutput(), pulumi.String("subnet-d3")},
		ClientSecurityGroupID: pulumi.String("sg-ess").ToStringOutput(),
		Settings:              Settings{InstanceClass: "db.r6g.large", EngineVersion: "16", AllocatedStorageGiB: 100, BackupRetentionDays: 14, Name: "ess", Username: "ess"},
		ParameterPath:         "/ess-ha/test/",
		Tags:                  map[string]string{"project": "ess-ha"},
	}
}

func run(t *testing.T, args *DatabaseArgs) (*mocks.Mocks, *Database, error) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var comp *Database
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewDatabase(ctx, "database", args)
		return err
	})
	return m, comp, err
}

func TestDatabase(t *testing.T) {
	t.Parallel()
	m, comp, err := run(t, fakeArgs())
	require.NoError(t, err)

	key := mockstest.One(t, m, "aws:kms/key:Key")
	assert.True(t, key.Inputs["enableKeyRotation"].BoolValue(), "the CMK rotates")
	keyArn := key.Outputs["arn"].StringValue()
	alias := mockstest.One(t, m, "aws:kms/alias:Alias")
	assert.Equal(t, "alias/ess-ha-test-database", alias.Inputs["name"].StringValue())

	db := mockstest.One(t, m, "aws:rds/instance:Instance")
	in := db.Inputs
	assert.Equal(t, "postgres", in["engine"].StringValue())
	assert.Equal(t, "16", in["engineVersion"].StringValue(), "major version only: RDS upgrades minor versions itself")
	assert.True(t, in["autoMinorVersionUpgrade"].BoolValue())
	assert.Equal(t, "db.r6g.large", in["instanceClass"].StringValue())
	assert.True(t, in["multiAz"].BoolValue(), "Multi-AZ, as the ESS document recommends")
	assert.True(t, in["storageEncrypted"].BoolValue())
	assert.Equal(t, keyArn, in["kmsKeyId"].StringValue(), "encrypted with the CMK")
	assert.Equal(t, "gp3", in["storageType"].StringValue())
	assert.Equal(t, 100.0, in["allocatedStorage"].NumberValue())
	assert.Equal(t, 200.0, in["maxAllocatedStorage"].NumberValue())
	assert.True(t, in["manageMasterUserPassword"].BoolValue(), "RDS manages the master password")
	assert.Equal(t, keyArn, in["masterUserSecretKmsKeyId"].StringValue())
	for _, r := range m.Registrations() {
		for k := range r.Inputs {
			if k != "manageMasterUserPassword" {
				assert.NotContains(t, strings.ToLower(string(k)), "password", "%s %s has no password input (%s)", r.Type, r.Name, k)
			}
		}
	}
	assert.Equal(t, "ess", in["dbName"].StringValue())
	assert.Equal(t, "ess", in["username"].StringValue())
	assert.False(t, in["publiclyAccessible"].BoolValue(), "not public")
	assert.GreaterOrEqual(t, in["backupRetentionPeriod"].NumberValue(), 7.0, "backups kept at least 7 days")
	assert.Equal(t, 14.0, in["backupRetentionPeriod"].NumberValue())
	assert.True(t, in["deletionProtection"].BoolValue())
	assert.False(t, in["skipFinalSnapshot"].BoolValue(), "a final snapshot is taken")
	assert.Equal(t, "ess-ha-test-database-final", in["finalSnapshotIdentifier"].StringValue())
	assert.Equal(t, "ess-ha-test-database", in["identifier"].StringValue())
	assert.True(t, in["copyTagsToSnapshot"].BoolValue())
	assert.True(t, in["performanceInsightsEnabled"].BoolValue())
	assert.Equal(t, keyArn, in["performanceInsightsKmsKeyId"].StringValue())
	assert.Equal(t, 7.0, in["performanceInsightsRetentionPeriod"].NumberValue())
	assert.ElementsMatch(t, []any{"postgresql", "upgrade"}, exported(in["enabledCloudwatchLogsExports"]))
	assert.True(t, in["autoMinorVersionUpgrade"].BoolValue())
	assert.Equal(t, "rds-ca-rsa2048-g1", in["caCertIdentifier"].StringValue())
	assert.True(t, in["iamDatabaseAuthenticationEnabled"].BoolValue())
	assert.Equal(t, "ess-ha", in["tags"].ObjectValue()["project"].StringValue())

	subnets := mockstest.One(t, m, "aws:rds/subnetGroup:SubnetGroup")
	assert.Equal(t, []any{"subnet-d1", "subnet-d2", "subnet-d3"}, exported(subnets.Inputs["subnetIds"]), "the subnet group spans every AZ's data subnet")
	assert.Equal(t, subnets.ID, in["dbSubnetGroupName"].StringValue())

	params := mockstest.One(t, m, "aws:rds/parameterGroup:ParameterGroup")
	assert.Equal(t, "postgres16", params.Inputs["family"].StringValue())
	got := map[string]string{}
	for _, p := range params.Inputs["parameters"].ArrayValue() {
		got[p.ObjectValue()["name"].StringValue()] = p.ObjectValue()["value"].StringValue()
	}
	assert.Equal(t, "1", got["rds.force_ssl"], "TLS is required")
	assert.Equal(t, "1000", got["log_min_duration_statement"])
	assert.Equal(t, params.ID, in["parameterGroupName"].StringValue())

	sg := mockstest.One(t, m, "aws:ec2/securityGroup:SecurityGroup")
	assert.Equal(t, []any{sg.ID}, exported(in["vpcSecurityGroupIds"]))
	assert.NotContains(t, sg.Inputs, resource.PropertyKey("ingress"), "no inline rules")
	rule := mockstest.One(t, m, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	assert.Equal(t, sg.ID, rule.Inputs["securityGroupId"].StringValue())
	assert.Equal(t, "sg-ess", rule.Inputs["referencedSecurityGroupId"].StringValue(), "5432 from the ess pool only")
	assert.Equal(t, 5432.0, rule.Inputs["fromPort"].NumberValue())
	assert.Equal(t, 5432.0, rule.Inputs["toPort"].NumberValue())
	assert.NotContains(t, rule.Inputs, resource.PropertyKey("cidrIpv4"))
	assert.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))
	assert.Empty(t, m.ByType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"))

	secretArn := db.Outputs["masterUserSecrets"].ArrayValue()[0].ObjectValue()["secretArn"].StringValue()
	parameters := map[string]*mocks.Registration{}
	for _, p := range m.ByType("aws:ssm/parameter:Parameter") {
		parameters[p.Inputs["name"].StringValue()] = p
		assert.Equal(t, "String", p.Inputs["type"].StringValue())
	}
	require.Len(t, parameters, 3)
	assert.Equal(t, db.Outputs["address"].StringValue(), parameters["/ess-ha/test/database/endpoint"].Inputs["insecureValue"].StringValue())
	assert.Equal(t, "5432", parameters["/ess-ha/test/database/port"].Inputs["insecureValue"].StringValue())
	assert.Equal(t, secretArn, parameters["/ess-ha/test/database/secret-arn"].Inputs["insecureValue"].StringValue(), "the secret's ARN, never the secret")

	assert.Equal(t, secretArn, mockstest.Await[any](t, comp.SecretArn))
	assert.Equal(t, db.Outputs["endpoint"].StringValue(), mockstest.Await[any](t, comp.Endpoint))
	assert.Equal(t, db.Outputs["address"].StringValue(), mockstest.Await[any](t, comp.Address))
	assert.Equal(t, 5432, mockstest.Await[any](t, comp.Port))
	assert.Equal(t, "ess-ha-test-database", mockstest.Await[any](t, comp.Identifier))
	assert.Equal(t, keyArn, mockstest.Await[any](t, comp.KmsKeyArn))
	assert.Equal(t, sg.ID, string(mockstest.Await[any](t, comp.SecurityGroupID).(pulumi.ID)))

	comps := m.ByType("ess-ha:database:Database")
	require.Len(t, comps, 1)
	for _, r := range m.Registrations() {
		if r.Type == "ess-ha:database:Database" {
			continue
		}
		assert.Equal(t, comps[0].URN, r.Parent, "%s %s is parented to the component", r.Type, r.Name)
		assert.True(t, strings.HasPrefix(r.Name, "database-"), "%s is prefixed with the component's name", r.Name)
		if r.Type != "aws:kms/alias:Alias" {
			assert.Equal(t, "ess-ha", r.Inputs["tags"].ObjectValue()["project"].StringValue(), "%s %s is tagged", r.Type, r.Name)
		}
	}
}

func exported(v resource.PropertyValue) any {
	return v.Mappable()
}

func TestDatabaseIdentifier(t *testing.T) {
	t.Parallel()
	args := fakeArgs()
	args.Identifier = "ess-primary"
	m, _, err := run(t, args)
	require.NoError(t, err)
	in := mockstest.One(t, m, "aws:rds/instance:Instance").Inputs
	assert.Equal(t, "ess-primary", in["identifier"].StringValue())
	assert.Equal(t, "ess-primary-final", in["finalSnapshotIdentifier"].StringValue())
}

func TestFamily(t *testing.T) {
	t.Parallel()
	for version, want := range map[string]string{"16.4": "postgres16", "17": "postgres17", "13.15": "postgres13", "9.6.22": "postgres9.6"} {
		got, err := Family(version)
		require.NoError(t, err, version)
		assert.Equal(t, want, got, version)
	}
	for _, version := range []string{"", "latest", "16.x", "8.4", "9"} {
		_, err := Family(version)
		assert.Error(t, err, version)
	}
}

func TestDefaultIdentifier(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "ess-ha-prod-us-east-1-region-database", DefaultIdentifier("ess-ha", "prod-us-east-1", "region-database"))
	assert.Equal(t, "ess-ha-my-stack-db", DefaultIdentifier("ess-ha", "My_Stack.", "db"))
	long := DefaultIdentifier("ess-ha", strings.Repeat("a", 80), "db")
	assert.LessOrEqual(t, len(long), 63)
	assert.True(t, awsname.IsRDSIdentifier(long), long)
}

func TestDatabaseRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*DatabaseArgs) *DatabaseArgs
		want   string
	}{
		{"nil", func(*DatabaseArgs) *DatabaseArgs { return nil }, "DatabaseArgs is nil"},
		{"vpc", func(a *DatabaseArgs) *DatabaseArgs { a.VpcID = nil; return a }, "DatabaseArgs.VpcID"},
		{"one subnet", func(a *DatabaseArgs) *DatabaseArgs { a.DataSubnetIDs = a.DataSubnetIDs[:1]; return a }, "DatabaseArgs.DataSubnetIDs has 1 subnets"},
		{"client", func(a *DatabaseArgs) *DatabaseArgs { a.ClientSecurityGroupID = nil; return a }, "DatabaseArgs.ClientSecurityGroupID"},
		{"class", func(a *DatabaseArgs) *DatabaseArgs { a.Settings.InstanceClass = "r6g.large"; return a }, "DatabaseArgs.Settings.InstanceClass"},
		{"version", func(a *DatabaseArgs) *DatabaseArgs { a.Settings.EngineVersion = "latest"; return a }, "DatabaseArgs.Settings.EngineVersion"},
		// With automatic minor upgrades, a pinned minor version makes every later up try to downgrade.
		{"minor version", func(a *DatabaseArgs) *DatabaseArgs { a.Settings.EngineVersion = "16.4"; return a }, "DatabaseArgs.Settings.EngineVersion = \"16.4\" pins a minor version"},
		{"storage", func(a *DatabaseArgs) *DatabaseArgs { a.Settings.AllocatedStorageGiB = 10; return a }, "DatabaseArgs.Settings.AllocatedStorageGiB = 10"},
		{"backups", func(a *DatabaseArgs) *DatabaseArgs { a.Settings.BackupRetentionDays = 1; return a }, "DatabaseArgs.Settings.BackupRetentionDays = 1"},
		{"name", func(a *DatabaseArgs) *DatabaseArgs { a.Settings.Name = "ESS"; return a }, "DatabaseArgs.Settings.Name"},
		{"username", func(a *DatabaseArgs) *DatabaseArgs { a.Settings.Username = "rdsadmin"; return a }, "DatabaseArgs.Settings.Username"},
		{"path", func(a *DatabaseArgs) *DatabaseArgs { a.ParameterPath = ""; return a }, "DatabaseArgs.ParameterPath"},
		{"identifier", func(a *DatabaseArgs) *DatabaseArgs { a.Identifier = "Bad--Id"; return a }, "DatabaseArgs.Identifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := run(t, tc.mutate(fakeArgs()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType("aws:rds/instance:Instance"), "nothing is created")
		})
	}
}
