// Package database provides the Database component: Multi-AZ RDS for PostgreSQL.
package database

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/publish"
	"github.com/ess-ha/ess-ha/components/internal/secure"
	"github.com/ess-ha/ess-ha/internal/awsname"
)

// Settings every database uses.
const (
	// Port is PostgreSQL's port, the only one the security group opens.
	Port = 5432
	// CACertIdentifier is the RDS certificate authority the server certificate is issued by.
	CACertIdentifier = "rds-ca-rsa2048-g1"
	// PerformanceInsightsRetentionDays is the free Performance Insights retention.
	PerformanceInsightsRetentionDays = 7
	// SlowQueryMillis is log_min_duration_statement: statements slower than this are logged.
	SlowQueryMillis = 1000
)

// The SSM parameters the database publishes, relative to DatabaseArgs.ParameterPath.
const (
	ParameterEndpoint  = "database/endpoint"
	ParameterPort      = "database/port"
	ParameterSecretArn = "database/secret-arn"
)

var (
	versionPattern = regexp.MustCompile(`^([0-9]+)(\.[0-9]+)*$`)
)

// Settings are the instance's own settings.
type Settings struct {
	// InstanceClass is the RDS instance class, e.g. "db.r6g.large".
	InstanceClass string
	// EngineVersion is the PostgreSQL major version, e.g. "16": RDS upgrades minor versions itself.
	EngineVersion string
	// AllocatedStorageGiB is the initial storage, 20 to 32768 GiB; storage autoscales to twice it.
	AllocatedStorageGiB int
	// BackupRetentionDays is how long automated backups are kept, 7 to 35 days.
	BackupRetentionDays int
	// Name is the database created in the instance, e.g. "ess".
	Name string
	// Username is the master user, e.g. "ess" (not rdsadmin); RDS manages its password.
	Username string
}

// DatabaseArgs configures a Database.
type DatabaseArgs struct {
	VpcID pulumi.StringInput
	// DataSubnetIDs are the data subnets, one per AZ.
	DataSubnetIDs pulumi.StringArray
	// ClientSecurityGroupID is the ess pool's group, the only source allowed on 5432.
	ClientSecurityGroupID pulumi.StringInput
	Settings              Settings
	// ParameterPath is the SSM path where the endpoint and the secret's ARN are published.
	ParameterPath string
	// Identifier is the RDS instance identifier; empty means DefaultIdentifier(project, stack, name).
	// The final snapshot is <Identifier>-final.
	Identifier string
	Tags       map[string]string
}

// Database is an encrypted Multi-AZ PostgreSQL instance whose master password RDS manages in Secrets
// Manager.
type Database struct {
	pulumi.ResourceState

	Endpoint   pulumi.StringOutput `pulumi:"endpoint"`
	Address    pulumi.StringOutput `pulumi:"address"`
	Port       pulumi.IntOutput    `pulumi:"port"`
	Identifier pulumi.StringOutput `pulumi:"identifier"`
	// SecretArn is the ARN of the master user secret (never the secret itself).
	SecretArn       pulumi.StringOutput `pulumi:"secretArn"`
	KmsKeyArn       pulumi.StringOutput `pulumi:"kmsKeyArn"`
	SecurityGroupID pulumi.IDOutput     `pulumi:"securityGroupId"`
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *DatabaseArgs) Validate() error {
	if a == nil {
		return errors.New("DatabaseArgs is nil: pass the database's configuration")
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if a.VpcID == nil {
		bad("DatabaseArgs.VpcID is not set: pass the VPC's id")
	}
	if len(a.DataSubnetIDs) < 2 {
		bad("DatabaseArgs.DataSubnetIDs has %d subnets: Multi-AZ needs the data subnets of at least 2 AZs", len(a.DataSubnetIDs))
	}
	if a.ClientSecurityGroupID == nil {
		bad("DatabaseArgs.ClientSecurityGroupID is not set: pass the ess pool's security group, the only client allowed on %d", Port)
	}
	s := a.Settings
	if !strings.HasPrefix(s.InstanceClass, "db.") {
		bad("DatabaseArgs.Settings.InstanceClass = %q is invalid: use an RDS instance class such as db.r6g.large", s.InstanceClass)
	}
	if _, err := Family(s.EngineVersion); err != nil {
		bad("DatabaseArgs.Settings.EngineVersion: %w", err)
	} else if strings.Contains(s.EngineVersion, ".") {
		// With automatic minor version upgrades on, RDS moves the instance to newer minor versions; a
		// pinned minor version would then make every later update try to downgrade, which RDS refuses
		// (RDS User Guide, "Automatically upgrading the minor engine version").
		bad("DatabaseArgs.Settings.EngineVersion = %q pins a minor version: pass the major version only, such as %q, since RDS upgrades minor versions automatically", s.EngineVersion, strings.SplitN(s.EngineVersion, ".", 2)[0])
	}
	if s.AllocatedStorageGiB < 20 || s.AllocatedStorageGiB > 32768 {
		bad("DatabaseArgs.Settings.AllocatedStorageGiB = %d is invalid: use 20 to 32768 (storage autoscales to twice that)", s.AllocatedStorageGiB)
	}
	if s.BackupRetentionDays < 7 || s.BackupRetentionDays > 35 {
		bad("DatabaseArgs.Settings.BackupRetentionDays = %d is invalid: keep backups 7 to 35 days", s.BackupRetentionDays)
	}
	if !awsname.IsRDSDatabaseName(s.Name) {
		bad("DatabaseArgs.Settings.Name = %q is invalid: use a lower-case identifier such as ess", s.Name)
	}
	if !awsname.IsRDSUsername(s.Username) || s.Username == "rdsadmin" {
		bad("DatabaseArgs.Settings.Username = %q is invalid: use a lower-case identifier of up to 16 characters such as ess (not rdsadmin)", s.Username)
	}
	if !awsname.IsSSMPath(a.ParameterPath) {
		bad("DatabaseArgs.ParameterPath = %q is invalid: use an SSM path below the root such as /ess-ha/prod-us-east-1/", a.ParameterPath)
	}
	if a.Identifier != "" && !awsname.IsRDSIdentifier(a.Identifier) {
		bad("DatabaseArgs.Identifier = %q is invalid: use up to 63 lower-case letters, digits and single hyphens, starting with a letter, or leave it empty", a.Identifier)
	}
	return errors.Join(errs...)
}

// Family returns the parameter group family of a PostgreSQL version: "16.4" is postgres16, "9.6.22"
// is postgres9.6.
func Family(version string) (string, error) {
	m := versionPattern.FindStringSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("%q is not a PostgreSQL version such as 16.4", version)
	}
	major, err := strconv.Atoi(m[1])
	if err != nil || major < 9 {
		return "", fmt.Errorf("%q is not a supported PostgreSQL version: use 10 or later, such as 16.4", version)
	}
	if major == 9 {
		parts := strings.Split(version, ".")
		if len(parts) < 2 {
			return "", fmt.Errorf("%q is ambiguous: give a 9.x version such as 9.6.22", version)
		}
		return "postgres9." + parts[1], nil
	}
	return "postgres" + m[1], nil
}

// DefaultIdentifier returns the instance identifier used when DatabaseArgs.Identifier is empty:
// <project>-<stack>-<name> in the characters RDS allows, at most 63 long.
func DefaultIdentifier(project, stack, name string) string {
	return clean(project+"-"+stack+"-"+name, 63)
}

// clean lower-cases s, replaces characters other than letters and digits with single hyphens, makes
// it start with a letter and cuts it to n characters.
func clean(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	out := b.String()
	if out == "" || out[0] < 'a' || out[0] > 'z' {
		out = "db-" + out
	}
	if len(out) > n {
		out = out[:n]
	}
	return strings.TrimRight(out, "-")
}

// NewDatabase creates the Database component.
func NewDatabase(ctx *pulumi.Context, name string, args *DatabaseArgs, opts ...pulumi.ResourceOption) (*Database, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("database %s: %w", name, err)
	}
	family, _ := Family(args.Settings.EngineVersion) // validated above
	identifier := args.Identifier
	if identifier == "" {
		identifier = DefaultIdentifier(ctx.Project(), ctx.Stack(), name)
	}
	comp := &Database{}
	if err := ctx.RegisterComponentResource("ess-ha:database:Database", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering database %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)
	s := args.Settings

	key, err := secure.NewKey(ctx, name, pulumi.Sprintf("ess-ha %s: encrypts the database, its snapshots, Performance Insights and the master user secret", name), tags, parent)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", name, err)
	}

	sg, err := secure.NewClientOnlyGroup(ctx, name, secure.ClientOnlyGroupArgs{
		Description: "ess-ha database: PostgreSQL from the ess pool only",
		VpcID:       args.VpcID, Port: Port, Service: "postgres", Client: args.ClientSecurityGroupID, Tags: tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", name, err)
	}

	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		Description: pulumi.String("ess-ha database: the data subnets of every AZ"),
		SubnetIds:   args.DataSubnetIDs,
		Tags:        tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("database %s: creating the subnet group: %w", name, err)
	}
	params, err := rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Description: pulumi.Sprintf("ess-ha database: TLS only, slow query log (%s)", family),
		Family:      pulumi.String(family),
		Parameters: rds.ParameterGroupParameterArray{
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("rds.force_ssl"), Value: pulumi.String("1"), ApplyMethod: pulumi.String("pending-reboot")},
			&rds.ParameterGroupParameterArgs{Name: pulumi.String("log_min_duration_statement"), Value: pulumi.String(strconv.Itoa(SlowQueryMillis)), ApplyMethod: pulumi.String("immediate")},
		},
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("database %s: creating the parameter group: %w", name, err)
	}

	db, err := rds.NewInstance(ctx, name+"-instance", &rds.InstanceArgs{
		Identifier:          pulumi.String(identifier),
		Engine:              pulumi.String("postgres"),
		EngineVersion:       pulumi.String(s.EngineVersion),
		InstanceClass:       pulumi.String(s.InstanceClass),
		AllocatedStorage:    pulumi.Int(s.AllocatedStorageGiB),
		MaxAllocatedStorage: pulumi.Int(2 * s.AllocatedStorageGiB),
		StorageType:         pulumi.String("gp3"),
		StorageEncrypted:    pulumi.Bool(true),
		KmsKeyId:            key.Arn,
		MultiAz:             pulumi.Bool(true),
		DbName:              pulumi.String(s.Name),
		Username:            pulumi.String(s.Username),
		// RDS generates the master password and keeps it in Secrets Manager, encrypted with the key:
		// no password ever passes through the program or its state.
		ManageMasterUserPassword:           pulumi.Bool(true),
		MasterUserSecretKmsKeyId:           key.Arn,
		Port:                               pulumi.Int(Port),
		DbSubnetGroupName:                  subnets.ID().ToStringOutput(),
		ParameterGroupName:                 params.ID().ToStringOutput(),
		VpcSecurityGroupIds:                pulumi.StringArray{sg.ID().ToStringOutput()},
		PubliclyAccessible:                 pulumi.Bool(false),
		BackupRetentionPeriod:              pulumi.Int(s.BackupRetentionDays),
		DeleteAutomatedBackups:             pulumi.Bool(false),
		DeletionProtection:                 pulumi.Bool(true),
		SkipFinalSnapshot:                  pulumi.Bool(false),
		FinalSnapshotIdentifier:            pulumi.String(identifier + "-final"),
		CopyTagsToSnapshot:                 pulumi.Bool(true),
		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        key.Arn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(PerformanceInsightsRetentionDays),
		EnabledCloudwatchLogsExports:       pulumi.ToStringArray([]string{"postgresql", "upgrade"}),
		AutoMinorVersionUpgrade:            pulumi.Bool(true),
		CaCertIdentifier:                   pulumi.String(CACertIdentifier),
		IamDatabaseAuthenticationEnabled:   pulumi.Bool(true),
		MonitoringInterval:                 pulumi.Int(0),
		Tags:                               tags,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("database %s: creating the RDS instance: %w", name, err)
	}
	secretArn := db.MasterUserSecrets.ApplyT(func(secrets []rds.InstanceMasterUserSecret) (string, error) {
		if len(secrets) == 0 || secrets[0].SecretArn == nil || *secrets[0].SecretArn == "" {
			return "", fmt.Errorf("database %s: RDS reported no master user secret", name)
		}
		return *secrets[0].SecretArn, nil
	}).(pulumi.StringOutput)

	if err := publish.Parameters(ctx, name, args.ParameterPath, []publish.Parameter{
		{Key: ParameterEndpoint, Value: db.Address, What: "the database's host name"},
		{Key: ParameterPort, Value: db.Port.ApplyT(strconv.Itoa).(pulumi.StringOutput), What: "the database's port"},
		{Key: ParameterSecretArn, Value: secretArn, What: "the ARN of the master user secret (not the secret)"},
	}, tags, parent); err != nil {
		return nil, fmt.Errorf("database %s: %w", name, err)
	}

	comp.Endpoint, comp.Address, comp.Port, comp.Identifier = db.Endpoint, db.Address, db.Port, db.Identifier
	comp.SecretArn, comp.KmsKeyArn, comp.SecurityGroupID = secretArn, key.Arn, sg.ID()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"endpoint":        comp.Endpoint,
		"address":         comp.Address,
		"port":            comp.Port,
		"identifier":      comp.Identifier,
		"secretArn":       comp.SecretArn,
		"kmsKeyArn":       comp.KmsKeyArn,
		"securityGroupId": comp.SecurityGroupID,
	}); err != nil {
		return nil, fmt.Errorf("database %s: registering outputs: %w", name, err)
	}
	return comp, nil
}
