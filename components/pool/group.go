package pool

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The launch lifecycle hook. Every new instance waits in Pending:Wait, not counted in service, not
// registered with the load balancers and not health-checked, until its user data completes the
// lifecycle action: with CONTINUE once every container runs, with ABANDON on an error. The instance
// records a heartbeat every HeartbeatIntervalSeconds while it waits for its images, settings and
// secrets, so only a dead instance lets the hook time out (DefaultResult ABANDON: the group replaces
// it). AWS caps a wait at 100 heartbeat timeouts or 48 hours, whichever is smaller (GlobalTimeout,
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LifecycleHook.html): with 600 s, about
// 16.7 hours, after which the group replaces the instance and the new one waits again.
//
// Health checks count only from InService on: "the instance enters the InService state and the health
// check grace period starts"; it is registered with the load balancer just before
// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html).
const (
	LaunchHookName             = "ess-ha-launch"
	LaunchHookTransition       = "autoscaling:EC2_INSTANCE_LAUNCHING"
	LaunchHookHeartbeatSeconds = 600
	LaunchHookDefaultResult    = "ABANDON"
)

// Replacement settings of both pools, for instance refreshes and, through the instance maintenance
// policy, health-check replacements and rebalancing: launch before terminating. Keeping 100% of the
// desired capacity healthy means a replacement is launched (and has passed its lifecycle hook and
// warmup) before the instance it replaces is terminated, so an AZ with one ess instance is never
// emptied; up to 200% lets every instance be replaced at once. AWS allows min 0-100, max 100-200, at
// most 100 apart
// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html).
const (
	MinHealthyPercentage = 100
	MaxHealthyPercentage = 200
)

// DefaultCPUTargetPercent is the average CPU utilization the target tracking policy keeps the group at
// when PoolArgs.CPUTargetPercent is 0.
const DefaultCPUTargetPercent = 50

// MaxInstanceTypes is the most instance types a group's mixed instances policy takes
// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html).
const MaxInstanceTypes = 40

// groupArgs builds the auto-scaling group of a pool over the launch template.
func groupArgs(args *PoolArgs, lt *ec2.LaunchTemplate, tags autoscaling.GroupTagArray) *autoscaling.GroupArgs {
	minSize, desired := args.sizes()
	healthCheck := "EC2"
	var targetGroups pulumi.StringArrayInput
	if args.Role == RoleEss {
		healthCheck, targetGroups = "ELB", args.TargetGroupArns
	}
	overrides := autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArray{}
	for _, t := range args.InstanceTypes {
		overrides = append(overrides, &autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs{InstanceType: pulumi.String(t)})
	}
	return &autoscaling.GroupArgs{
		VpcZoneIdentifiers: args.SubnetIDs,
		MinSize:            pulumi.Int(minSize),
		MaxSize:            pulumi.Int(args.MaxSize),
		// Only the first deployment sets it: then the scaling policy owns it (the group's desired
		// capacity ignores changes).
		DesiredCapacity: pulumi.Int(desired),
		// Several instance types, so that an AZ's capacity does not hang on one type: on-demand only,
		// "prioritized" launches the first type that has capacity, in PoolArgs.InstanceTypes order
		// (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html).
		// The overrides set the instance type, so the launch template has none.
		MixedInstancesPolicy: &autoscaling.GroupMixedInstancesPolicyArgs{
			InstancesDistribution: &autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs{
				OnDemandAllocationStrategy:          pulumi.String("prioritized"),
				OnDemandBaseCapacity:                pulumi.Int(0),
				OnDemandPercentageAboveBaseCapacity: pulumi.Int(100),
			},
			LaunchTemplate: &autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs{
				LaunchTemplateSpecification: &autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs{
					LaunchTemplateId: lt.ID().ToStringOutput(),
					// The template's latest version number, not "$Latest": a new version then changes
					// the group, which starts the instance refresh.
					Version: lt.LatestVersion.ApplyT(strconv.Itoa).(pulumi.StringOutput),
				},
				Overrides: overrides,
			},
		},
		InitialLifecycleHooks: autoscaling.GroupInitialLifecycleHookArray{
			&autoscaling.GroupInitialLifecycleHookArgs{
				Name:                pulumi.String(LaunchHookName),
				LifecycleTransition: pulumi.String(LaunchHookTransition),
				HeartbeatTimeout:    pulumi.Int(LaunchHookHeartbeatSeconds),
				DefaultResult:       pulumi.String(LaunchHookDefaultResult),
			},
		},
		// Do not wait for capacity: on the first deployment no image is in the registry yet, so the
		// instances wait in Pending:Wait until the images are pushed, and `pulumi up` would time out
		// after 10 minutes (waiting counts InService instances only). Nor could it ever succeed before
		// the lifecycle policy, which needs the group's ARN, lets the instances complete their
		// lifecycle action. Capacity is watched by the in-service alarm instead.
		WaitForCapacityTimeout: pulumi.String("0"),
		HealthCheckType:        pulumi.String(healthCheck),
		HealthCheckGracePeriod: pulumi.Int(HealthCheckGracePeriod),
		TargetGroupArns:        targetGroups,
		DefaultInstanceWarmup:  pulumi.Int(InstanceWarmup),
		CapacityRebalance:      pulumi.Bool(true),
		InstanceMaintenancePolicy: &autoscaling.GroupInstanceMaintenancePolicyArgs{
			MinHealthyPercentage: pulumi.Int(MinHealthyPercentage),
			MaxHealthyPercentage: pulumi.Int(MaxHealthyPercentage),
		},
		InstanceRefresh: &autoscaling.GroupInstanceRefreshArgs{
			Strategy: pulumi.String("Rolling"),
			Preferences: &autoscaling.GroupInstanceRefreshPreferencesArgs{
				MinHealthyPercentage: pulumi.Int(MinHealthyPercentage),
				MaxHealthyPercentage: pulumi.Int(MaxHealthyPercentage),
			},
		},
		// Group metrics feed the in-service alarm.
		MetricsGranularity: pulumi.String("1Minute"),
		EnabledMetrics: pulumi.ToStringArray([]string{
			"GroupDesiredCapacity", "GroupInServiceInstances", "GroupMaxSize", "GroupMinSize",
			"GroupPendingInstances", "GroupTerminatingInstances", "GroupTotalInstances",
		}),
		Tags: tags,
	}
}

// groupIgnoreChanges are the group's properties a later deployment leaves alone:
//   - desiredCapacity belongs to the scaling policy once the group exists;
//   - initialLifecycleHooks only apply when a group is created, and the provider replaces the group
//     when they change (https://github.com/hashicorp/terraform-provider-aws/pull/34260,
//     https://github.com/hashicorp/terraform-provider-aws/issues/49226). Replacing the ess group would
//     empty the load balancers' targets (the group does not wait for capacity); the LifecycleHook
//     resource keeps the hook of an existing group up to date instead.
func groupIgnoreChanges() []string { return []string{"desiredCapacity", "initialLifecycleHooks"} }

// newLifecycle creates what the launch lifecycle hook needs besides the group: the hook as its own
// resource (so that a group created before the hook existed gets it, and changes to it apply without
// replacing the group) and the instances' permission to record heartbeats and complete the action on
// their own group only.
func newLifecycle(ctx *pulumi.Context, name string, group *autoscaling.Group, role *iam.Role, parent pulumi.ResourceOption) error {
	if _, err := autoscaling.NewLifecycleHook(ctx, name+"-launch-hook", &autoscaling.LifecycleHookArgs{
		Name:                 pulumi.String(LaunchHookName),
		AutoscalingGroupName: group.Name,
		LifecycleTransition:  pulumi.String(LaunchHookTransition),
		HeartbeatTimeout:     pulumi.Int(LaunchHookHeartbeatSeconds),
		DefaultResult:        pulumi.String(LaunchHookDefaultResult),
	}, parent); err != nil {
		return fmt.Errorf("creating the launch lifecycle hook: %w", err)
	}
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		return policyJSON([]map[string]any{LifecycleStatement(arn)})
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-lifecycle", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, parent); err != nil {
		return fmt.Errorf("creating the lifecycle policy: %w", err)
	}
	return nil
}

// LifecycleStatement allows exactly the lifecycle actions an instance's user data calls, on its own
// group: both actions require the autoScalingGroup resource type
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/list_ec2autoscaling.html).
func LifecycleStatement(groupArn string) map[string]any {
	return map[string]any{
		"Sid": "LaunchLifecycle", "Effect": "Allow",
		"Action":   []string{"autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"},
		"Resource": groupArn,
	}
}

// newScalingPolicy creates the target tracking policy that moves the desired capacity between the
// group's minimum and maximum to keep the average CPU utilization at the target.
func newScalingPolicy(ctx *pulumi.Context, name string, group *autoscaling.Group, target float64, parent pulumi.ResourceOption) error {
	if _, err := autoscaling.NewPolicy(ctx, name+"-cpu", &autoscaling.PolicyArgs{
		AutoscalingGroupName: group.Name,
		PolicyType:           pulumi.String("TargetTrackingScaling"),
		TargetTrackingConfiguration: &autoscaling.PolicyTargetTrackingConfigurationArgs{
			PredefinedMetricSpecification: &autoscaling.PolicyTargetTrackingConfigurationPredefinedMetricSpecificationArgs{
				PredefinedMetricType: pulumi.String("ASGAverageCPUUtilization"),
			},
			TargetValue: pulumi.Float64(target),
		},
	}, parent); err != nil {
		return fmt.Errorf("creating the scaling policy: %w", err)
	}
	return nil
}
