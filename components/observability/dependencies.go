package observability

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// How the dependency alarms decide that something is gone.
const (
	// DependencyPeriodSeconds is the period of the dependency alarms: one minute, the interval at
	// which RDS and ElastiCache publish their host metrics, and a standard-resolution period, the
	// only kind Route 53 health checks follow.
	DependencyPeriodSeconds = 60
	// DependencyGoneMinutes is how many consecutive minutes without a data point mean "gone": long
	// enough not to drain a region over a late metric, short enough to drain it before most users
	// notice.
	DependencyGoneMinutes = 5
)

// HealthAlarm is a CloudWatch alarm that a Route 53 health check of type CLOUDWATCH_METRIC can
// follow: the check is unhealthy while the alarm is in ALARM.
type HealthAlarm struct {
	// Name is the alarm's name, which is what Route 53 refers to.
	Name pulumi.StringOutput
	// Region is the region the alarm lives in.
	Region string
	// Revision changes whenever the alarm's settings change. Route 53 copies an alarm's settings
	// when a health check is created or updated and does not follow later changes, so a health
	// check that follows the alarm must be updated when Revision changes (route53.HealthCheck's
	// triggers do that).
	// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-updating-cloudwatch-alarm-settings.html
	Revision pulumi.StringOutput
}

// DependencyAlarmsArgs configures DependencyAlarms.
type DependencyAlarmsArgs struct {
	// Region is the stack's region, where the alarms live.
	Region string
	// DatabaseClusterIdentifier is this region's Aurora cluster (globaldb.GlobalDatabase's
	// ClusterIdentifier); DatabaseInstanceIdentifier is the single RDS instance of a stack without a
	// global database (database.Database's Identifier). Set exactly one.
	DatabaseClusterIdentifier  pulumi.StringInput
	DatabaseInstanceIdentifier pulumi.StringInput
	// CacheReplicationGroupID is the ElastiCache replication group (cache.Cache's ReplicationGroupID).
	CacheReplicationGroupID pulumi.StringInput
	// CacheClusters is the number of member clusters of the replication group (cache.Cache's
	// Clusters: 1 + replicas, 1 to 6); 0 means DefaultCacheClusters.
	CacheClusters int
	Tags          map[string]string
}

// DependencyAlarms are CloudWatch alarms that mean "the database is gone" and "a cache node is gone",
// for the region's Route 53 health check: a region whose services cannot serve must drain. Each
// alarm watches the SampleCount of CPUUtilization, a metric RDS and ElastiCache publish every minute
// for as long as the thing exists, and treats missing data as breaching: the alarm fires when the
// data points stop, whatever the reason (deleted, failed, unreachable), and stays quiet under any
// load. The alarms are single-metric, standard-resolution alarms with a simple statistic and no
// metric math, the only kind Route 53 follows
// (https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html). They have no
// actions: the alarm on the region's health check (HealthCheckAlarms) tells when the region goes
// unhealthy for any reason.
//
// Create it before traffic.Traffic, which turns the alarms into health checks.
type DependencyAlarms struct {
	pulumi.ResourceState

	// Database is in ALARM while the database publishes no metrics.
	Database HealthAlarm
	// Cache has one alarm per member cluster, in member order (<group id>-001, -002, ...), each in
	// ALARM while that member publishes no metrics. A failover moves the primary to another member,
	// so the cache is gone only when every member is: follow them with a check that needs one of
	// them healthy.
	Cache []HealthAlarm
	// AlarmArns lists every alarm.
	AlarmArns pulumi.StringArrayOutput `pulumi:"alarmArns"`
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *DependencyAlarmsArgs) Validate() error {
	if a == nil {
		return errors.New("DependencyAlarmsArgs is nil: pass the region, the database and the cache")
	}
	var errs []error
	if !awsname.IsRegion(a.Region) {
		errs = append(errs, fmt.Errorf("DependencyAlarmsArgs.Region = %q is invalid: set the stack's AWS region, such as us-east-1", a.Region))
	}
	if (a.DatabaseClusterIdentifier == nil) == (a.DatabaseInstanceIdentifier == nil) {
		errs = append(errs, errors.New("DependencyAlarmsArgs.DatabaseClusterIdentifier and DatabaseInstanceIdentifier: set exactly one, the Aurora cluster of the region (global database) or the single RDS instance"))
	}
	if a.CacheReplicationGroupID == nil {
		errs = append(errs, errors.New("DependencyAlarmsArgs.CacheReplicationGroupID is not set: pass the ElastiCache replication group id"))
	}
	if a.CacheClusters < 0 || a.CacheClusters > 6 {
		errs = append(errs, fmt.Errorf("DependencyAlarmsArgs.CacheClusters = %d is invalid: pass 1 + the number of replicas (1 to 6), or 0 for %d", a.CacheClusters, DefaultCacheClusters))
	}
	return errors.Join(errs...)
}

// NewDependencyAlarms creates the DependencyAlarms component.
func NewDependencyAlarms(ctx *pulumi.Context, name string, args *DependencyAlarmsArgs, opts ...pulumi.ResourceOption) (*DependencyAlarms, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("dependency alarms %s: %w", name, err)
	}
	comp := &DependencyAlarms{}
	if err := ctx.RegisterComponentResource("ess-ha:observability:DependencyAlarms", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering dependency alarms %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)
	// Route 53 refers to an alarm by name: the names are fixed and name the stack, for whoever reads
	// a health check in the console.
	prefix := alarmNamePrefix(ctx, name)

	gone := func(suffix, description, namespace string, dims pulumi.StringMap) alarm {
		return alarm{
			name: pulumi.String(prefix + "-" + suffix), suffix: suffix, description: description,
			namespace: namespace, metric: "CPUUtilization", statistic: "SampleCount", dimensions: dims,
			period: DependencyPeriodSeconds, evaluations: DependencyGoneMinutes, datapoints: DependencyGoneMinutes,
			comparison: "LessThanThreshold", threshold: 1,
			missing: missingBreaching, // no data point is exactly what "gone" looks like
		}
	}
	// Aurora publishes CPUUtilization per cluster (DBClusterIdentifier) from every instance, readers
	// of a secondary region included; a single instance publishes it by DBInstanceIdentifier.
	// https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html
	dbDims := pulumi.StringMap{"DBClusterIdentifier": args.DatabaseClusterIdentifier}
	if args.DatabaseInstanceIdentifier != nil {
		dbDims = pulumi.StringMap{"DBInstanceIdentifier": args.DatabaseInstanceIdentifier}
	}
	specs := []alarm{gone("database-gone",
		fmt.Sprintf("The database has published no metrics for %d minutes: it is gone, and the region's health check fails.", DependencyGoneMinutes),
		"AWS/RDS", dbDims)}
	members := args.CacheClusters
	if members == 0 {
		members = DefaultCacheClusters
	}
	// ElastiCache publishes host metrics for each node every minute, by CacheClusterId (each member
	// cluster of a replication group without cluster mode has one node).
	// https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.html
	for k := range members {
		specs = append(specs, gone(fmt.Sprintf("cache%d-gone", k+1),
			fmt.Sprintf("Cache member %d has published no metrics for %d minutes: it is gone. The cache is gone when every member is.", k+1, DependencyGoneMinutes),
			"AWS/ElastiCache", pulumi.StringMap{"CacheClusterId": CacheMemberID(args.CacheReplicationGroupID, k)}))
	}

	arns := pulumi.StringArray{}
	for i, s := range specs {
		a, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+s.suffix, s.args(nil, tags), parent)
		if err != nil {
			return nil, fmt.Errorf("dependency alarms %s: creating alarm %s: %w", name, s.suffix, err)
		}
		arns = append(arns, a.Arn)
		h := HealthAlarm{Name: a.Name, Region: args.Region, Revision: s.revision()}
		if i == 0 {
			comp.Database = h
		} else {
			comp.Cache = append(comp.Cache, h)
		}
	}
	comp.AlarmArns = arns.ToStringArrayOutput()

	cacheNames := pulumi.StringArray{}
	for _, h := range comp.Cache {
		cacheNames = append(cacheNames, h.Name)
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"alarmArns":         comp.AlarmArns,
		"databaseAlarmName": comp.Database.Name,
		"cacheAlarmNames":   cacheNames,
	}); err != nil {
		return nil, fmt.Errorf("dependency alarms %s: registering outputs: %w", name, err)
	}
	return comp, nil
}

// alarmNamePrefix returns <project>-<stack>-<component name>: alarm names must be unique in an
// account and region, and a notification names its alarm, so the name says where it comes from.
func alarmNamePrefix(ctx *pulumi.Context, name string) string {
	return ctx.Project() + "-" + ctx.Stack() + "-" + name
}

// revision returns a digest of everything that defines what the alarm watches and when it fires.
func (s alarm) revision() pulumi.StringOutput {
	return s.dimensions.ToStringMapOutput().ApplyT(func(dims map[string]string) (string, error) {
		doc, err := json.Marshal(map[string]any{
			"namespace": s.namespace, "metric": s.metric, "statistic": s.statistic, "dimensions": dims,
			"period": s.period, "evaluations": s.evaluations, "datapoints": s.datapoints,
			"comparison": s.comparison, "threshold": s.threshold, "missing": s.missing,
		})
		if err != nil {
			return "", fmt.Errorf("encoding the settings of alarm %s: %w", s.suffix, err)
		}
		sum := sha256.Sum256(doc)
		return hex.EncodeToString(sum[:8]), nil
	}).(pulumi.StringOutput)
}
