package observability

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/secure"
)

// Thresholds the alarms use when AlarmsArgs leaves them unset.
const (
	// DefaultDatabaseConnectionsThreshold is the connection count above which the database alarm fires.
	DefaultDatabaseConnectionsThreshold = 400
	// DefaultCacheClusters is the number of member clusters assumed when AlarmsArgs.CacheClusters is 0:
	// a primary and one replica, the smallest highly available replication group.
	DefaultCacheClusters = 2
	// FreeStorageThresholdBytes is 10 GiB: the database alarm fires below it.
	FreeStorageThresholdBytes = 10 * 1024 * 1024 * 1024
)

// Ways an alarm treats missing data.
const (
	missingBreaching    = "breaching"
	missingNotBreaching = "notBreaching"
	missingMissing      = "missing"
)

var emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// AlarmsArgs configures Alarms.
type AlarmsArgs struct {
	// Zones is the number of AZs: the ess pool must keep at least one in-service instance per AZ.
	Zones                   int
	LoadBalancerArnSuffixes pulumi.StringArrayInput
	// LoadBalancerCount is how many load balancers LoadBalancerArnSuffixes lists (1 for a shared load
	// balancer, one per AZ for perAz); 0 means 1. The list's length is only known once it resolves, so
	// the alarms are created for LoadBalancerCount load balancers and the run fails if the list turns out
	// to have another length.
	LoadBalancerCount      int
	TargetGroupArnSuffixes pulumi.StringArray
	EssGroupName           pulumi.StringInput
	DatabaseIdentifier     pulumi.StringInput
	// DatabaseConnectionsThreshold is the connection count above which the database alarm fires; 0
	// means DefaultDatabaseConnectionsThreshold.
	DatabaseConnectionsThreshold int
	CacheReplicationGroupID      pulumi.StringInput
	// CacheClusters is the number of member clusters of the replication group (1 + replicas); 0 means
	// DefaultCacheClusters. The cache alarms watch every member (<group id>-001, -002, ...).
	CacheClusters int
	// Email subscribes an address to the topic; empty for none.
	Email string
	Tags  map[string]string
}

// Alarms are CloudWatch alarms on the load balancers, the ess pool, the database and the cache, and the
// SNS topic they notify.
type Alarms struct {
	pulumi.ResourceState

	TopicArn pulumi.StringOutput `pulumi:"topicArn"`
	// KmsKeyArn is the customer-managed key the topic is encrypted with.
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
	// AlarmArns lists every alarm.
	AlarmArns pulumi.StringArrayOutput `pulumi:"alarmArns"`
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *AlarmsArgs) Validate() error {
	if a == nil {
		return errors.New("AlarmsArgs is nil: pass what the alarms watch")
	}
	var errs []error
	if a.Zones < 2 {
		errs = append(errs, fmt.Errorf("AlarmsArgs.Zones = %d is invalid: pass the number of AZs, at least 2", a.Zones))
	}
	if a.LoadBalancerArnSuffixes == nil {
		errs = append(errs, errors.New("AlarmsArgs.LoadBalancerArnSuffixes is not set: pass the load balancers' ARN suffixes"))
	}
	if a.LoadBalancerCount < 0 {
		errs = append(errs, fmt.Errorf("AlarmsArgs.LoadBalancerCount = %d is invalid: pass the number of load balancers, or 0 for one", a.LoadBalancerCount))
	}
	if len(a.TargetGroupArnSuffixes) == 0 {
		errs = append(errs, errors.New("AlarmsArgs.TargetGroupArnSuffixes is empty: pass the ess target groups' ARN suffixes"))
	}
	if a.EssGroupName == nil {
		errs = append(errs, errors.New("AlarmsArgs.EssGroupName is not set: pass the ess auto-scaling group's name"))
	}
	if a.DatabaseIdentifier == nil {
		errs = append(errs, errors.New("AlarmsArgs.DatabaseIdentifier is not set: pass the RDS instance identifier"))
	}
	if a.DatabaseConnectionsThreshold < 0 {
		errs = append(errs, fmt.Errorf("AlarmsArgs.DatabaseConnectionsThreshold = %d is invalid: use a positive count, or 0 for %d", a.DatabaseConnectionsThreshold, DefaultDatabaseConnectionsThreshold))
	}
	if a.CacheReplicationGroupID == nil {
		errs = append(errs, errors.New("AlarmsArgs.CacheReplicationGroupID is not set: pass the ElastiCache replication group id"))
	}
	if a.CacheClusters < 0 || a.CacheClusters == 1 || a.CacheClusters > 6 {
		errs = append(errs, fmt.Errorf("AlarmsArgs.CacheClusters = %d is invalid: pass 1 + the number of replicas (2 to 6), or 0 for %d", a.CacheClusters, DefaultCacheClusters))
	}
	if a.Email != "" && !emailPattern.MatchString(a.Email) {
		errs = append(errs, fmt.Errorf("AlarmsArgs.Email = %q is not an e-mail address: pass one, or leave it empty for no subscription", a.Email))
	}
	return errors.Join(errs...)
}

// alarm is one metric alarm to create.
type alarm struct {
	// name, when set, is the alarm's name; otherwise Pulumi names it after the resource.
	name        pulumi.StringInput
	suffix      string
	description string
	namespace   string
	metric      string
	statistic   string
	dimensions  pulumi.StringMap
	period      int
	evaluations int
	datapoints  int
	comparison  string
	threshold   float64
	missing     string
}

// NewAlarms creates the Alarms component.
func NewAlarms(ctx *pulumi.Context, name string, args *AlarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("alarms %s: %w", name, err)
	}
	comp := &Alarms{}
	if err := ctx.RegisterComponentResource("ess-ha:observability:Alarms", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering alarms %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)

	topic, key, err := newAlarmTopic(ctx, name, args.Email, tags, parent)
	if err != nil {
		return nil, fmt.Errorf("alarms %s: %w", name, err)
	}
	comp.TopicArn, comp.KmsKeyArn = topic.Arn, key.Arn

	specs := loadBalancerAlarms(name, args)
	specs = append(specs, essAlarm(args))
	specs = append(specs, databaseAlarms(args)...)
	specs = append(specs, cacheAlarms(args)...)
	actions := pulumi.Array{topic.Arn}
	alarmArns := pulumi.StringArray{}
	for _, s := range specs {
		a, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+s.suffix, s.args(actions, tags), parent)
		if err != nil {
			return nil, fmt.Errorf("alarms %s: creating alarm %s: %w", name, s.suffix, err)
		}
		alarmArns = append(alarmArns, a.Arn)
	}
	comp.AlarmArns = alarmArns.ToStringArrayOutput()

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"topicArn":  comp.TopicArn,
		"kmsKeyArn": comp.KmsKeyArn,
		"alarmArns": comp.AlarmArns,
	}); err != nil {
		return nil, fmt.Errorf("alarms %s: registering outputs: %w", name, err)
	}
	return comp, nil
}

// loadBalancerAlarms watches each load balancer: its 5XX responses, its targets' 5XX responses, and
// each ess target group's unhealthy hosts behind it.
func loadBalancerAlarms(name string, args *AlarmsArgs) []alarm {
	var specs []alarm
	lbCount := args.LoadBalancerCount
	if lbCount == 0 {
		lbCount = 1
	}
	lbs := args.LoadBalancerArnSuffixes.ToStringArrayOutput()
	for i := range lbCount {
		// Checked when known: a count that does not match the list would leave load balancers
		// unwatched, or watch an empty dimension.
		lb := lbs.ApplyT(func(suffixes []string) (string, error) {
			if len(suffixes) != lbCount {
				return "", fmt.Errorf("alarms %s: AlarmsArgs.LoadBalancerArnSuffixes lists %d load balancers but AlarmsArgs.LoadBalancerCount is %d: set LoadBalancerCount to the number of load balancers", name, len(suffixes), lbCount)
			}
			return suffixes[i], nil
		}).(pulumi.StringOutput)
		for _, m := range []struct{ suffix, metric, what string }{
			{"elb-5xx", "HTTPCode_ELB_5XX_Count", "the load balancer returned"},
			{"target-5xx", "HTTPCode_Target_5XX_Count", "the ess targets returned"},
		} {
			specs = append(specs, alarm{
				suffix:      fmt.Sprintf("lb%d-%s", i, m.suffix),
				description: fmt.Sprintf("More than 10 HTTP 5XX responses a minute, in 3 of 5 minutes, that %s (load balancer %d).", m.what, i),
				namespace:   "AWS/ApplicationELB", metric: m.metric, statistic: "Sum",
				dimensions: pulumi.StringMap{"LoadBalancer": lb},
				period:     60, evaluations: 5, datapoints: 3,
				comparison: "GreaterThanThreshold", threshold: 10,
				missing: missingNotBreaching, // no data means no errors
			})
		}
		for j, tg := range args.TargetGroupArnSuffixes {
			specs = append(specs, alarm{
				suffix:      fmt.Sprintf("lb%d-tg%d-unhealthy", i, j),
				description: fmt.Sprintf("Target group %d has unhealthy ess targets behind load balancer %d for 3 minutes.", j, i),
				namespace:   "AWS/ApplicationELB", metric: "UnHealthyHostCount", statistic: "Maximum",
				dimensions: pulumi.StringMap{"TargetGroup": tg, "LoadBalancer": lb},
				period:     60, evaluations: 3, datapoints: 3,
				comparison: "GreaterThanThreshold", threshold: 0,
				missing: missingNotBreaching, // a pair that is not attached reports nothing
			})
		}
	}
	return specs
}

// essAlarm fires when the ess pool has fewer in-service instances than AZs.
func essAlarm(args *AlarmsArgs) alarm {
	return alarm{
		suffix:      "ess-in-service",
		description: fmt.Sprintf("The ess pool has fewer in-service instances than AZs (%d): an AZ may have no ess instance.", args.Zones),
		namespace:   "AWS/AutoScaling", metric: "GroupInServiceInstances", statistic: "Minimum",
		dimensions: pulumi.StringMap{"AutoScalingGroupName": args.EssGroupName},
		period:     60, evaluations: 3, datapoints: 3,
		comparison: "LessThanThreshold", threshold: float64(args.Zones),
		missing: missingBreaching, // no data means no group metrics: assume the worst
	}
}

// databaseAlarms watch the database's CPU, free storage and connections.
func databaseAlarms(args *AlarmsArgs) []alarm {
	conns := args.DatabaseConnectionsThreshold
	if conns == 0 {
		conns = DefaultDatabaseConnectionsThreshold
	}
	db := pulumi.StringMap{"DBInstanceIdentifier": args.DatabaseIdentifier}
	return []alarm{
		{
			suffix: "db-cpu", description: "The database's CPU utilization is above 80% for 15 minutes.",
			namespace: "AWS/RDS", metric: "CPUUtilization", statistic: "Average", dimensions: db,
			period: 300, evaluations: 3, datapoints: 3, comparison: "GreaterThanThreshold", threshold: 80,
			missing: missingMissing,
		},
		{
			suffix: "db-free-storage", description: "The database has less than 10 GiB of free storage.",
			namespace: "AWS/RDS", metric: "FreeStorageSpace", statistic: "Minimum", dimensions: db,
			period: 300, evaluations: 1, datapoints: 1, comparison: "LessThanThreshold", threshold: FreeStorageThresholdBytes,
			missing: missingMissing,
		},
		{
			suffix: "db-connections", description: fmt.Sprintf("The database has more than %d connections for 10 minutes.", conns),
			namespace: "AWS/RDS", metric: "DatabaseConnections", statistic: "Maximum", dimensions: db,
			period: 300, evaluations: 2, datapoints: 2, comparison: "GreaterThanThreshold", threshold: float64(conns),
			missing: missingMissing,
		},
	}
}

// cacheAlarms watch every member cluster of the cache: engine CPU, memory and replication lag.
func cacheAlarms(args *AlarmsArgs) []alarm {
	var specs []alarm
	members := args.CacheClusters
	if members == 0 {
		members = DefaultCacheClusters
	}
	for k := range members {
		member := pulumi.StringMap{"CacheClusterId": CacheMemberID(args.CacheReplicationGroupID, k)}
		specs = append(specs,
			alarm{
				suffix: fmt.Sprintf("cache%d-engine-cpu", k), description: fmt.Sprintf("Cache member %d: Redis engine CPU above 80%% for 15 minutes.", k+1),
				namespace: "AWS/ElastiCache", metric: "EngineCPUUtilization", statistic: "Average", dimensions: member,
				period: 300, evaluations: 3, datapoints: 3, comparison: "GreaterThanThreshold", threshold: 80,
				missing: missingMissing,
			},
			alarm{
				suffix: fmt.Sprintf("cache%d-memory", k), description: fmt.Sprintf("Cache member %d: Redis memory usage above 80%% for 15 minutes.", k+1),
				namespace: "AWS/ElastiCache", metric: "DatabaseMemoryUsagePercentage", statistic: "Average", dimensions: member,
				period: 300, evaluations: 3, datapoints: 3, comparison: "GreaterThanThreshold", threshold: 80,
				missing: missingMissing,
			},
			alarm{
				suffix: fmt.Sprintf("cache%d-replication-lag", k), description: fmt.Sprintf("Cache member %d: replication lag above 5 seconds for 5 minutes.", k+1),
				namespace: "AWS/ElastiCache", metric: "ReplicationLag", statistic: "Maximum", dimensions: member,
				period: 60, evaluations: 5, datapoints: 5, comparison: "GreaterThanThreshold", threshold: 5,
				missing: missingNotBreaching, // only replicas report it, and the primary can move
			},
		)
	}
	return specs
}

// args returns the alarm's arguments; it notifies actions on ALARM and on OK (none when empty).
func (s alarm) args(actions pulumi.Array, tags pulumi.StringMap) *cloudwatch.MetricAlarmArgs {
	a := &cloudwatch.MetricAlarmArgs{
		Name:               s.name,
		AlarmDescription:   pulumi.String(s.description),
		Namespace:          pulumi.String(s.namespace),
		MetricName:         pulumi.String(s.metric),
		Statistic:          pulumi.String(s.statistic),
		Dimensions:         s.dimensions,
		Period:             pulumi.Int(s.period),
		EvaluationPeriods:  pulumi.Int(s.evaluations),
		DatapointsToAlarm:  pulumi.Int(s.datapoints),
		ComparisonOperator: pulumi.String(s.comparison),
		Threshold:          pulumi.Float64(s.threshold),
		TreatMissingData:   pulumi.String(s.missing),
		ActionsEnabled:     pulumi.Bool(len(actions) > 0),
		Tags:               tags,
	}
	if len(actions) > 0 {
		a.AlarmActions, a.OkActions = actions, actions
	}
	return a
}

// newAlarmTopic creates an SNS topic for alarm notifications, encrypted with its own customer-managed
// key, and subscribes email to it (none when empty). CloudWatch cannot publish to a topic encrypted
// with the AWS managed key alias/aws/sns, whose policy cannot be changed: the key's policy lets
// CloudWatch use it. The resources are named <name>-key, <name>-topic and <name>-email.
func newAlarmTopic(ctx *pulumi.Context, name, email string, tags pulumi.StringMap, opts ...pulumi.ResourceOption) (*sns.Topic, *kms.Key, error) {
	var invokeOpts []pulumi.InvokeOption
	for _, o := range opts {
		if io, ok := o.(pulumi.InvokeOption); ok {
			invokeOpts = append(invokeOpts, io)
		}
	}
	caller := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, invokeOpts...)
	policy := pulumi.All(caller.AccountId(), caller.Arn()).ApplyT(func(v []any) (string, error) {
		return TopicKeyPolicy(partitionOf(v[1].(string)), v[0].(string))
	}).(pulumi.StringOutput)
	key, err := secure.NewPolicyKey(ctx, name, pulumi.Sprintf("ess-ha %s: encrypts the alarm topic", name), policy, tags, opts...)
	if err != nil {
		return nil, nil, err
	}
	topic, err := sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{
		KmsMasterKeyId: key.Arn,
		Tags:           tags,
	}, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the SNS topic: %w", err)
	}
	if email != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(email),
		}, opts...); err != nil {
			return nil, nil, fmt.Errorf("subscribing %s: %w", email, err)
		}
	}
	return topic, key, nil
}

// CacheMemberID returns the id of the k-th (from 0) member cluster of a replication group, as
// ElastiCache names them: <group id>-001, <group id>-002, ...
func CacheMemberID(groupID pulumi.StringInput, k int) pulumi.StringOutput {
	return pulumi.Sprintf("%s-%03d", groupID, k+1)
}

// TopicKeyPolicy returns the key policy of the alarm topic's key: the account administers the key
// through IAM, and CloudWatch may generate and decrypt data keys to publish alarm notifications.
func TopicKeyPolicy(partition, account string) (string, error) {
	if partition == "" || account == "" {
		return "", errors.New("the topic key policy needs a partition and an account")
	}
	return policyJSON([]map[string]any{
		rootStatement(partition, account),
		{
			"Sid":       "AllowCloudWatchAlarms",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
			"Action":    []string{"kms:Decrypt", "kms:GenerateDataKey*"},
			"Resource":  "*",
		},
	})
}
