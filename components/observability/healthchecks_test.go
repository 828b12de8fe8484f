package observability

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

const (
	regionCheckID = "11111111-1111-1111-1111-111111111111"
	drainCheckID  = "22222222-2222-2222-2222-222222222222"
	lbCheckID     = "33333333-3333-3333-3333-333333333333"
	regionTopic   = "arn:aws:sns:us-east-1:123456789012:alarms-topic"
)

func healthCheckArgs(region string) *HealthCheckAlarmsArgs {
	return &HealthCheckAlarmsArgs{
		Region:                    region,
		RegionHealthCheckID:       pulumi.String(regionCheckID),
		DrainHealthCheckID:        pulumi.String(drainCheckID).ToStringOutput(),
		LoadBalancerHealthCheckID: pulumi.String(lbCheckID),
		TopicArn:                  pulumi.String(regionTopic),
		Email:                     "ops@example.com",
		Tags:                      map[string]string{"project": "ess-ha"},
	}
}

// runHealthCheckAlarms runs the component in a stack of region; withProvider creates a us-east-1
// provider first, as components/region does.
func runHealthCheckAlarms(t *testing.T, args *HealthCheckAlarmsArgs, withProvider bool) (*mocks.Mocks, *HealthCheckAlarms, error) {
	t.Helper()
	region := "us-east-1"
	if args != nil {
		region = args.Region
	}
	m := mocks.New("ess-ha", "prod-"+region, region)
	var comp *HealthCheckAlarms
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		if withProvider {
			p, err := aws.NewProvider(ctx, "us-east-1", &aws.ProviderArgs{Region: pulumi.String("us-east-1")})
			if err != nil {
				return err
			}
			args.USEast1 = p
		}
		var err error
		comp, err = NewHealthCheckAlarms(ctx, "hc-alarms", args)
		return err
	})
	return m, comp, err
}

// route53Alarms checks what every health check alarm has in common and returns them keyed by name.
func route53Alarms(t *testing.T, m *mocks.Mocks, topicArn string) map[string]*mocks.Registration {
	t.Helper()
	out := alarmByName(t, m)
	for name, a := range out {
		in := a.Inputs
		assert.Equal(t, "AWS/Route53", in["namespace"].StringValue(), name)
		assert.Equal(t, "HealthCheckStatus", in["metricName"].StringValue(), "%s: 1 healthy, 0 unhealthy", name)
		assert.Equal(t, "Minimum", in["statistic"].StringValue(), name)
		assert.Equal(t, "LessThanThreshold", in["comparisonOperator"].StringValue(), name)
		assert.Equal(t, 1.0, in["threshold"].NumberValue(), name)
		for _, k := range []string{"alarmActions", "okActions"} {
			require.Len(t, in[resource.PropertyKey(k)].ArrayValue(), 1, "%s %s", name, k)
			assert.Equal(t, topicArn, in[resource.PropertyKey(k)].ArrayValue()[0].StringValue(), "%s notifies the topic in us-east-1", name)
		}
		assert.True(t, in["actionsEnabled"].BoolValue(), name)
	}
	return out
}

func TestHealthCheckAlarmsInUSEast1NotifyTheRegionsTopic(t *testing.T) {
	t.Parallel()
	m, comp, err := runHealthCheckAlarms(t, healthCheckArgs("us-east-1"), false)
	require.NoError(t, err)
	assert.Empty(t, m.ByType("aws:sns/topic:Topic"), "the region's topic is in us-east-1 already")
	assert.Empty(t, m.ByType("aws:sns/topicSubscription:TopicSubscription"))
	alarms := route53Alarms(t, m, regionTopic)
	require.Len(t, alarms, 3)

	region := alarms["ess-ha-prod-us-east-1-hc-alarms-region-unhealthy"]
	require.NotNil(t, region)
	assert.Equal(t, map[string]string{"HealthCheckId": regionCheckID}, dims(region))
	assert.Equal(t, "breaching", region.Inputs["treatMissingData"].StringValue(), "a check that stops reporting needs a look")

	drained := alarms["ess-ha-prod-us-east-1-hc-alarms-drained"]
	require.NotNil(t, drained)
	assert.Equal(t, map[string]string{"HealthCheckId": drainCheckID}, dims(drained), "the inverted drain check is unhealthy while drained")
	assert.Equal(t, "missing", drained.Inputs["treatMissingData"].StringValue(), "no data is not a drain")
	assert.Equal(t, 1.0, drained.Inputs["evaluationPeriods"].NumberValue(), "confirms a drain within a minute")
	assert.Contains(t, drained.Inputs["alarmDescription"].StringValue(), "us-east-1 is drained")

	lb := alarms["ess-ha-prod-us-east-1-hc-alarms-lb-unhealthy"]
	require.NotNil(t, lb)
	assert.Equal(t, map[string]string{"HealthCheckId": lbCheckID}, dims(lb))

	assert.Equal(t, regionTopic, mockstest.Await[string](t, comp.TopicArn))
	assert.Equal(t, "ess-ha-prod-us-east-1-hc-alarms-drained", mockstest.Await[string](t, comp.DrainedAlarmName))
	assert.Len(t, mockstest.Await[[]string](t, comp.AlarmArns), 3)
	for _, r := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		assert.Empty(t, r.Provider, "%s: the default provider, in us-east-1", r.Name)
	}
	assertChildren(t, m, "ess-ha:observability:HealthCheckAlarms", "hc-alarms")
}

func TestHealthCheckAlarmsElsewhereGetATopicInUSEast1(t *testing.T) {
	t.Parallel()
	args := healthCheckArgs("us-west-2")
	args.LoadBalancerHealthCheckID = nil
	m, comp, err := runHealthCheckAlarms(t, args, true)
	require.NoError(t, err)

	provider := mockstest.One(t, m, "pulumi:providers:aws")
	providerRef := string(provider.URN) + "::" + provider.ID
	compURN := mockstest.One(t, m, "ess-ha:observability:HealthCheckAlarms").URN
	for _, r := range m.Registrations() {
		if r.Type == "pulumi:providers:aws" || r.Type == "ess-ha:observability:HealthCheckAlarms" {
			continue
		}
		assert.Equal(t, providerRef, r.Provider, "%s %s is created in us-east-1", r.Type, r.Name)
		assert.Equal(t, compURN, r.Parent, "%s is the component's child", r.Name)
		assert.True(t, strings.HasPrefix(r.Name, "hc-alarms-"), r.Name)
	}

	topic := mockstest.One(t, m, "aws:sns/topic:Topic")
	key := mockstest.One(t, m, "aws:kms/key:Key")
	assert.Equal(t, key.Outputs["arn"].StringValue(), topic.Inputs["kmsMasterKeyId"].StringValue(), "encrypted with a CMK, like the region's topic")
	assert.True(t, key.Inputs["enableKeyRotation"].BoolValue())
	st := statements(t, key.Inputs["policy"].StringValue())
	assert.Equal(t, "cloudwatch.amazonaws.com", st["AllowCloudWatchAlarms"].Principal["Service"], "CloudWatch may publish to it")
	sub := mockstest.One(t, m, "aws:sns/topicSubscription:TopicSubscription")
	assert.Equal(t, "email", sub.Inputs["protocol"].StringValue())
	assert.Equal(t, "ops@example.com", sub.Inputs["endpoint"].StringValue(), "the same address as the region's topic")

	topicArn := topic.Outputs["arn"].StringValue()
	alarms := route53Alarms(t, m, topicArn)
	require.Len(t, alarms, 2, "no load-balancer check given, no alarm for it")
	assert.Contains(t, alarms, "ess-ha-prod-us-west-2-hc-alarms-region-unhealthy", "the name says which stack it watches")
	assert.Contains(t, alarms, "ess-ha-prod-us-west-2-hc-alarms-drained")
	for name, a := range alarms {
		assert.NotEqual(t, regionTopic, a.Inputs["alarmActions"].ArrayValue()[0].StringValue(), "%s: not the topic of another region", name)
	}
	assert.Equal(t, topicArn, mockstest.Await[string](t, comp.TopicArn))
}

func TestHealthCheckAlarmsRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		region string
		mutate func(*HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs
		want   string
	}{
		{"nil", "us-east-1", func(*HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs { return nil }, "HealthCheckAlarmsArgs is nil"},
		{"region", "us-east-1", func(a *HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs { a.Region = "east"; return a }, `HealthCheckAlarmsArgs.Region = "east"`},
		{"region check", "us-east-1", func(a *HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs { a.RegionHealthCheckID = nil; return a }, "HealthCheckAlarmsArgs.RegionHealthCheckID"},
		{"drain check", "us-east-1", func(a *HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs { a.DrainHealthCheckID = nil; return a }, "HealthCheckAlarmsArgs.DrainHealthCheckID"},
		{"topic in us-east-1", "us-east-1", func(a *HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs { a.TopicArn = nil; return a }, "HealthCheckAlarmsArgs.TopicArn"},
		{"no provider elsewhere", "us-west-2", func(a *HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs { return a }, "HealthCheckAlarmsArgs.USEast1 is not set: the Route 53 metrics exist only in us-east-1"},
		{"email", "us-east-1", func(a *HealthCheckAlarmsArgs) *HealthCheckAlarmsArgs { a.Email = "ops"; return a }, `HealthCheckAlarmsArgs.Email = "ops"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := runHealthCheckAlarms(t, tc.mutate(healthCheckArgs(tc.region)), false)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.Registrations())
		})
	}
}
