package observability

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// Route53MetricsRegion is the only region where CloudWatch has the Route 53 health check metrics
// (namespace AWS/Route53, HealthCheckStatus by HealthCheckId): an alarm on a health check must live
// there, whatever region the stack runs in.
// https://github.com/hashicorp/terraform/issues/7371 (citing the Route 53 Developer Guide,
// health-checks-monitor-view-status.html)
const Route53MetricsRegion = "us-east-1"

// HealthCheckAlarmsArgs configures HealthCheckAlarms.
type HealthCheckAlarmsArgs struct {
	// Region is the stack's region: it names the alarms, and outside us-east-1 the alarms need a
	// topic of their own there.
	Region string
	// RegionHealthCheckID is the region's CALCULATED check, the one its weighted records carry
	// (traffic.Traffic's HealthCheckID).
	RegionHealthCheckID pulumi.StringInput
	// DrainHealthCheckID is the region's inverted drain check (traffic.Traffic's DrainHealthCheckID).
	DrainHealthCheckID pulumi.StringInput
	// LoadBalancerHealthCheckID, when set, is the region's load-balancer check (traffic.Traffic's
	// LBHealthCheckID): its alarm tells a failing service path from a drain or a missing dependency.
	LoadBalancerHealthCheckID pulumi.StringInput
	// TopicArn is the region's alarm topic (Alarms' TopicArn). The alarms notify it when Region is
	// us-east-1; elsewhere it is not used, since an alarm can only notify a topic in its own region.
	TopicArn pulumi.StringInput
	// Email is subscribed to the topic created in us-east-1 for a stack outside us-east-1 (pass the
	// address Alarms has); empty for none.
	Email string
	// USEast1 is a provider for us-east-1, where the alarms (and, for a stack outside us-east-1, their
	// topic) are created. It may be nil only when Region is us-east-1 (the default provider).
	USEast1 pulumi.ProviderResource
	Tags    map[string]string
}

// HealthCheckAlarms are CloudWatch alarms on the region's Route 53 health checks: "the region is
// unhealthy" (Route 53 no longer answers with it: failed, drained or a dependency gone), "the region
// is drained" (the drain object is present: the confirmation that a drain took, and OK again when it
// is lifted) and, optionally, "the load-balancer path fails". They live in us-east-1, where the
// Route 53 metrics are, and notify an SNS topic in us-east-1: the region's alarm topic for a stack in
// us-east-1, otherwise a topic of their own there, encrypted like the region's and with the same
// e-mail subscription (to be confirmed once, like the first).
type HealthCheckAlarms struct {
	pulumi.ResourceState

	// TopicArn is the topic the alarms notify.
	TopicArn pulumi.StringOutput `pulumi:"topicArn"`
	// AlarmArns lists every alarm.
	AlarmArns pulumi.StringArrayOutput `pulumi:"alarmArns"`
	// DrainedAlarmName is the name of the alarm that is in ALARM while the region is drained.
	DrainedAlarmName pulumi.StringOutput `pulumi:"drainedAlarmName"`
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *HealthCheckAlarmsArgs) Validate() error {
	if a == nil {
		return errors.New("HealthCheckAlarmsArgs is nil: pass the region and its health checks")
	}
	var errs []error
	if !awsname.IsRegion(a.Region) {
		errs = append(errs, fmt.Errorf("HealthCheckAlarmsArgs.Region = %q is invalid: set the stack's AWS region, such as us-east-1", a.Region))
	}
	if a.RegionHealthCheckID == nil {
		errs = append(errs, errors.New("HealthCheckAlarmsArgs.RegionHealthCheckID is not set: pass the region's health check (traffic.Traffic's HealthCheckID)"))
	}
	if a.DrainHealthCheckID == nil {
		errs = append(errs, errors.New("HealthCheckAlarmsArgs.DrainHealthCheckID is not set: pass the region's drain check (traffic.Traffic's DrainHealthCheckID)"))
	}
	if a.Region == Route53MetricsRegion && a.TopicArn == nil {
		errs = append(errs, errors.New("HealthCheckAlarmsArgs.TopicArn is not set: in us-east-1 the alarms notify the region's alarm topic (Alarms' TopicArn)"))
	}
	if a.Region != Route53MetricsRegion && a.USEast1 == nil {
		errs = append(errs, fmt.Errorf("HealthCheckAlarmsArgs.USEast1 is not set: the Route 53 metrics exist only in us-east-1, so a stack in %s needs a provider for us-east-1 for the alarms and their topic", a.Region))
	}
	if a.Email != "" && !emailPattern.MatchString(a.Email) {
		errs = append(errs, fmt.Errorf("HealthCheckAlarmsArgs.Email = %q is not an e-mail address: pass one, or leave it empty for no subscription", a.Email))
	}
	return errors.Join(errs...)
}

// NewHealthCheckAlarms creates the HealthCheckAlarms component.
func NewHealthCheckAlarms(ctx *pulumi.Context, name string, args *HealthCheckAlarmsArgs, opts ...pulumi.ResourceOption) (*HealthCheckAlarms, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("health check alarms %s: %w", name, err)
	}
	comp := &HealthCheckAlarms{}
	if err := ctx.RegisterComponentResource("ess-ha:observability:HealthCheckAlarms", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering health check alarms %s: %w", name, err)
	}
	in := []pulumi.ResourceOption{pulumi.Parent(comp)}
	if args.USEast1 != nil {
		in = append(in, pulumi.Provider(args.USEast1))
	}
	tags := pulumi.ToStringMap(args.Tags)

	var topicArn pulumi.StringOutput
	if args.Region == Route53MetricsRegion {
		topicArn = args.TopicArn.ToStringOutput()
	} else {
		// CloudWatch alarm actions can only publish to a topic in the alarm's own region ("Invalid
		// region ... specified. Only us-east-1 is supported."), and these alarms must be in
		// us-east-1: the region's topic cannot be used.
		// https://github.com/cds-snc/notification-terraform/pull/128
		topic, _, err := newAlarmTopic(ctx, name, args.Email, tags, in...)
		if err != nil {
			return nil, fmt.Errorf("health check alarms %s: in us-east-1: %w", name, err)
		}
		topicArn = topic.Arn
	}
	comp.TopicArn = topicArn

	prefix := alarmNamePrefix(ctx, name)
	status := func(suffix, description string, check pulumi.StringInput, minutes int, missing string) alarm {
		return alarm{
			name: pulumi.String(prefix + "-" + suffix), suffix: suffix, description: description,
			namespace: "AWS/Route53", metric: "HealthCheckStatus", statistic: "Minimum",
			dimensions: pulumi.StringMap{"HealthCheckId": check},
			period:     60, evaluations: minutes, datapoints: minutes,
			comparison: "LessThanThreshold", threshold: 1, // 1 healthy, 0 unhealthy
			missing: missing,
		}
	}
	specs := []alarm{
		status("region-unhealthy",
			fmt.Sprintf("The health check of %s is unhealthy for 2 minutes: Route 53 no longer answers with the region (its load-balancer path fails, a dependency is gone, or it is drained).", args.Region),
			args.RegionHealthCheckID, 2, missingBreaching), // a check that stops reporting needs a look
		status("drained",
			fmt.Sprintf("%s is drained: its drain object is present in the peer's stop bucket and Route 53 no longer answers with it. OK again once the object is removed.", args.Region),
			args.DrainHealthCheckID, 1, missingMissing), // no data is not a drain
	}
	if args.LoadBalancerHealthCheckID != nil {
		specs = append(specs, status("lb-unhealthy",
			fmt.Sprintf("The load-balancer health check of %s is unhealthy for 2 minutes: the services' health path fails through the region's entry point.", args.Region),
			args.LoadBalancerHealthCheckID, 2, missingBreaching))
	}

	actions := pulumi.Array{topicArn}
	arns := pulumi.StringArray{}
	for _, s := range specs {
		a, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+s.suffix, s.args(actions, tags), in...)
		if err != nil {
			return nil, fmt.Errorf("health check alarms %s: creating alarm %s: %w", name, s.suffix, err)
		}
		arns = append(arns, a.Arn)
		if s.suffix == "drained" {
			comp.DrainedAlarmName = a.Name
		}
	}
	comp.AlarmArns = arns.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"topicArn":         comp.TopicArn,
		"alarmArns":        comp.AlarmArns,
		"drainedAlarmName": comp.DrainedAlarmName,
	}); err != nil {
		return nil, fmt.Errorf("health check alarms %s: registering outputs: %w", name, err)
	}
	return comp, nil
}
