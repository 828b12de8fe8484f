// Package observability provides the backend side of the deployment: the Logs component (log groups
// with retention) and the Alarms component (alarms and the SNS topic they notify).
package observability

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// LogsArgs configures Logs.
type LogsArgs struct {
	// Groups are the log group names to create, keyed by a short key (the container name).
	Groups        map[string]string
	RetentionDays int
	Tags          map[string]string
}

// Logs are KMS-encrypted CloudWatch log groups with retention, one per pool container.
type Logs struct {
	pulumi.ResourceState

	// Names and Arns are keyed like LogsArgs.Groups.
	Names map[string]pulumi.StringOutput
	Arns  map[string]pulumi.StringOutput
}

// NewLogs creates the Logs component.
func NewLogs(ctx *pulumi.Context, name string, args *LogsArgs, opts ...pulumi.ResourceOption) (*Logs, error) {
	panic("TODO")
}

// AlarmsArgs configures Alarms.
type AlarmsArgs struct {
	// Zones is the number of AZs: the ess pool must keep at least one in-service instance per AZ.
	Zones                   int
	LoadBalancerArnSuffixes pulumi.StringArrayInput
	TargetGroupArnSuffixes  pulumi.StringArray
	EssGroupName            pulumi.StringInput
	DatabaseIdentifier      pulumi.StringInput
	CacheReplicationGroupID pulumi.StringInput
	// Email subscribes an address to the topic; empty for none.
	Email string
	Tags  map[string]string
}

// Alarms are CloudWatch alarms on the load balancers, the ess pool, the database and the cache, and the
// SNS topic they notify.
type Alarms struct {
	pulumi.ResourceState

	TopicArn pulumi.StringOutput `pulumi:"topicArn"`
}

// NewAlarms creates the Alarms component.
func NewAlarms(ctx *pulumi.Context, name string, args *AlarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	panic("TODO")
}
