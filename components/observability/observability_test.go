package observability

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

// assertChildren checks that every resource but the component is parented to it, is named after it and,
// when taggable, carries the tags.
func assertChildren(t *testing.T, m *mocks.Mocks, componentType, name string) {
	t.Helper()
	comps := m.ByType(componentType)
	require.Len(t, comps, 1)
	untaggable := map[string]bool{"aws:sns/topicSubscription:TopicSubscription": true}
	n := 0
	for _, r := range m.Registrations() {
		if r.Type == componentType {
			continue
		}
		n++
		assert.Equal(t, comps[0].URN, r.Parent, "%s %s is parented to the component", r.Type, r.Name)
		assert.Regexp(t, "^"+name+"-", r.Name, "child names are prefixed with the component's")
		if !untaggable[r.Type] {
			assert.Equal(t, "ess-ha", r.Inputs["tags"].ObjectValue()["project"].StringValue(), "%s %s is tagged", r.Type, r.Name)
		}
	}
	assert.NotZero(t, n)
}

type statement struct {
	Sid       string
	Principal map[string]any
	Action    any
	Condition map[string]map[string]any
}

func statements(t *testing.T, policy string) map[string]statement {
	t.Helper()
	var doc struct{ Statement []statement }
	require.NoError(t, json.Unmarshal([]byte(policy), &doc))
	out := map[string]statement{}
	for _, s := range doc.Statement {
		out[s.Sid] = s
	}
	return out
}

func TestLogs(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var logs *Logs
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		logs, err = NewLogs(ctx, "logs", &LogsArgs{
			Groups:        map[string]string{"ess-ldp": "/ess-ha/test/ess/ess-ldp", "prometheus": "/ess-ha/test/backend/prometheus"},
			RetentionDays: 90,
			Region:        "us-east-1",
			Tags:          map[string]string{"project": "ess-ha"},
		})
		return err
	})
	require.NoError(t, err)

	keys := m.ByType("aws:kms/key:Key")
	require.Len(t, keys, 1)
	assert.True(t, keys[0].Inputs["enableKeyRotation"].BoolValue())
	st := statements(t, keys[0].Inputs["policy"].StringValue())
	require.Contains(t, st, "AllowCloudWatchLogs")
	assert.Equal(t, "logs.us-east-1.amazonaws.com", st["AllowCloudWatchLogs"].Principal["Service"], "the regional logs service may use the key")
	assert.ElementsMatch(t, []any{
		"arn:aws:logs:us-east-1:123456789012:log-group:/ess-ha/test/backend/prometheus",
		"arn:aws:logs:us-east-1:123456789012:log-group:/ess-ha/test/ess/ess-ldp",
	}, st["AllowCloudWatchLogs"].Condition["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"], "only for these log groups")
	assert.Equal(t, "arn:aws:iam::123456789012:root", st["EnableIamPolicies"].Principal["AWS"], "the account keeps control of the key")

	groups := m.ByType("aws:cloudwatch/logGroup:LogGroup")
	require.Len(t, groups, 2)
	for _, g := range groups {
		assert.Equal(t, 90.0, g.Inputs["retentionInDays"].NumberValue())
		assert.Equal(t, keys[0].Outputs["arn"].StringValue(), g.Inputs["kmsKeyId"].StringValue(), "encrypted with the CMK")
	}
	assert.Equal(t, "/ess-ha/test/ess/ess-ldp", mockstest.Await[any](t, logs.Names["ess-ldp"]))
	assert.Equal(t, "arn:aws:logs:us-east-1:123456789012:log-group:/ess-ha/test/backend/prometheus", mockstest.Await[any](t, logs.Arns["prometheus"]))
	assertChildren(t, m, "ess-ha:observability:Logs", "logs")
}

func TestLogsRejectsBadArgs(t *testing.T) {
	t.Parallel()
	good := func() *LogsArgs {
		return &LogsArgs{Groups: map[string]string{"a": "/g/a"}, RetentionDays: 30, Region: "us-east-1"}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*LogsArgs) *LogsArgs
		want   string
	}{
		{"nil", func(*LogsArgs) *LogsArgs { return nil }, "LogsArgs is nil"},
		{"no groups", func(a *LogsArgs) *LogsArgs { a.Groups = nil; return a }, "LogsArgs.Groups is empty"},
		{"bad group", func(a *LogsArgs) *LogsArgs { a.Groups["b"] = "bad name!"; return a }, `LogsArgs.Groups["b"]`},
		{"shared group", func(a *LogsArgs) *LogsArgs { a.Groups["b"] = "/g/a"; return a }, "is also the group of"},
		{"retention", func(a *LogsArgs) *LogsArgs { a.RetentionDays = 2; return a }, "LogsArgs.RetentionDays = 2"},
		{"region", func(a *LogsArgs) *LogsArgs { a.Region = ""; return a }, "LogsArgs.Region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mocks.New("ess-ha", "test", "us-east-1")
			err := m.Run(nil, func(ctx *pulumi.Context) error {
				_, err := NewLogs(ctx, "logs", tc.mutate(good()))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType("aws:cloudwatch/logGroup:LogGroup"))
		})
	}
}

func alarmArgs() *AlarmsArgs {
	return &AlarmsArgs{
		Zones:                   3,
		LoadBalancerArnSuffixes: pulumi.ToStringArray([]string{"app/lb-a/0123456789abcdef", "app/lb-b/fedcba9876543210"}),
		LoadBalancerCount:       2,
		TargetGroupArnSuffixes: pulumi.StringArray{
			pulumi.String("targetgroup/ldp/1111111111111111"),
			pulumi.String("targetgroup/identity/2222222222222222").ToStringOutput(),
		},
		EssGroupName:            pulumi.String("ess-asg").ToStringOutput(),
		DatabaseIdentifier:      pulumi.String("ess-db"),
		CacheReplicationGroupID: pulumi.String("ess-cache").ToStringOutput(),
		CacheClusters:           3,
		Email:                   "ops@example.com",
		Tags:                    map[string]string{"project": "ess-ha"},
	}
}

func runAlarms(t *testing.T, args *AlarmsArgs) (*mocks.Mocks, *Alarms, error) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var comp *Alarms
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewAlarms(ctx, "alarms", args)
		return err
	})
	return m, comp, err
}

type metricAlarm struct {
	namespace, metric, comparison, missing string
	threshold                              float64
	dims                                   map[string]string
}

func alarmsByMetric(t *testing.T, m *mocks.Mocks, topicArn string) map[string][]metricAlarm {
	t.Helper()
	out := map[string][]metricAlarm{}
	for _, r := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		in := r.Inputs
		for _, k := range []resource.PropertyKey{"alarmActions", "okActions"} {
			require.Len(t, in[k].ArrayValue(), 1, "%s has one %s", r.Name, k)
			assert.Equal(t, topicArn, in[k].ArrayValue()[0].StringValue(), "%s notifies the topic", r.Name)
		}
		a := metricAlarm{
			namespace: in["namespace"].StringValue(), metric: in["metricName"].StringValue(),
			comparison: in["comparisonOperator"].StringValue(), missing: in["treatMissingData"].StringValue(),
			threshold: in["threshold"].NumberValue(), dims: map[string]string{},
		}
		for k, v := range in["dimensions"].ObjectValue() {
			a.dims[string(k)] = v.StringValue()
		}
		out[a.metric] = append(out[a.metric], a)
	}
	return out
}

func TestAlarms(t *testing.T) {
	t.Parallel()
	m, comp, err := runAlarms(t, alarmArgs())
	require.NoError(t, err)

	topics := m.ByType("aws:sns/topic:Topic")
	require.Len(t, topics, 1)
	keys := m.ByType("aws:kms/key:Key")
	require.Len(t, keys, 1)
	assert.Equal(t, keys[0].Outputs["arn"].StringValue(), topics[0].Inputs["kmsMasterKeyId"].StringValue(), "the topic is encrypted with a CMK")
	st := statements(t, keys[0].Inputs["policy"].StringValue())
	assert.Equal(t, "cloudwatch.amazonaws.com", st["AllowCloudWatchAlarms"].Principal["Service"], "CloudWatch may publish to the encrypted topic")
	topicArn := topics[0].Outputs["arn"].StringValue()
	assert.Equal(t, topicArn, mockstest.Await[any](t, comp.TopicArn))

	subs := m.ByType("aws:sns/topicSubscription:TopicSubscription")
	require.Len(t, subs, 1)
	assert.Equal(t, "email", subs[0].Inputs["protocol"].StringValue())
	assert.Equal(t, "ops@example.com", subs[0].Inputs["endpoint"].StringValue())
	assert.Equal(t, topicArn, subs[0].Inputs["topic"].StringValue())

	byMetric := alarmsByMetric(t, m, topicArn)
	lbs := []string{"app/lb-a/0123456789abcdef", "app/lb-b/fedcba9876543210"}
	for _, metric := range []string{"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"} {
		require.Len(t, byMetric[metric], 2, "one %s alarm per load balancer", metric)
		var got []string
		for _, a := range byMetric[metric] {
			assert.Equal(t, "AWS/ApplicationELB", a.namespace)
			got = append(got, a.dims["LoadBalancer"])
		}
		assert.ElementsMatch(t, lbs, got)
	}
	require.Len(t, byMetric["UnHealthyHostCount"], 4, "one per target group and load balancer pair")
	pairs := map[[2]string]bool{}
	for _, a := range byMetric["UnHealthyHostCount"] {
		assert.Equal(t, "GreaterThanThreshold", a.comparison)
		assert.Zero(t, a.threshold)
		pairs[[2]string{a.dims["TargetGroup"], a.dims["LoadBalancer"]}] = true
	}
	for _, lb := range lbs {
		for _, tg := range []string{"targetgroup/ldp/1111111111111111", "targetgroup/identity/2222222222222222"} {
			assert.True(t, pairs[[2]string{tg, lb}], "pair %s %s", tg, lb)
		}
	}

	inService := byMetric["GroupInServiceInstances"]
	require.Len(t, inService, 1)
	assert.Equal(t, metricAlarm{
		namespace: "AWS/AutoScaling", metric: "GroupInServiceInstances", comparison: "LessThanThreshold",
		missing: "breaching", threshold: 3, dims: map[string]string{"AutoScalingGroupName": "ess-asg"},
	}, inService[0], "fewer in-service instances than AZs alarms, and so does no data")

	db := map[string]string{"DBInstanceIdentifier": "ess-db"}
	require.Len(t, byMetric["CPUUtilization"], 1)
	assert.Equal(t, 80.0, byMetric["CPUUtilization"][0].threshold)
	assert.Equal(t, db, byMetric["CPUUtilization"][0].dims)
	require.Len(t, byMetric["FreeStorageSpace"], 1)
	assert.Equal(t, float64(10<<30), byMetric["FreeStorageSpace"][0].threshold)
	assert.Equal(t, "LessThanThreshold", byMetric["FreeStorageSpace"][0].comparison)
	require.Len(t, byMetric["DatabaseConnections"], 1)
	assert.Equal(t, float64(DefaultDatabaseConnectionsThreshold), byMetric["DatabaseConnections"][0].threshold)

	for _, metric := range []string{"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "ReplicationLag"} {
		require.Len(t, byMetric[metric], 3, "one %s alarm per cache member", metric)
		var got []string
		for _, a := range byMetric[metric] {
			assert.Equal(t, "AWS/ElastiCache", a.namespace)
			got = append(got, a.dims["CacheClusterId"])
		}
		assert.ElementsMatch(t, []string{"ess-cache-001", "ess-cache-002", "ess-cache-003"}, got)
	}
	assert.Len(t, mockstest.Await[any](t, comp.AlarmArns), 2*2+4+1+3+3*3)
	assertChildren(t, m, "ess-ha:observability:Alarms", "alarms")
}

func TestAlarmsDefaults(t *testing.T) {
	t.Parallel()
	args := alarmArgs()
	args.LoadBalancerArnSuffixes = pulumi.ToStringArray([]string{"app/lb-a/0123456789abcdef"})
	args.LoadBalancerCount, args.CacheClusters, args.Email = 0, 0, ""
	m, _, err := runAlarms(t, args)
	require.NoError(t, err)
	assert.Empty(t, m.ByType("aws:sns/topicSubscription:TopicSubscription"), "no e-mail, no subscription")
	topicArn := m.ByType("aws:sns/topic:Topic")[0].Outputs["arn"].StringValue()
	byMetric := alarmsByMetric(t, m, topicArn)
	assert.Len(t, byMetric["HTTPCode_ELB_5XX_Count"], 1, "one load balancer by default")
	assert.Len(t, byMetric["UnHealthyHostCount"], 2)
	assert.Len(t, byMetric["EngineCPUUtilization"], DefaultCacheClusters)
}

func TestAlarmsRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*AlarmsArgs) *AlarmsArgs
		want   string
	}{
		{"nil", func(*AlarmsArgs) *AlarmsArgs { return nil }, "AlarmsArgs is nil"},
		{"zones", func(a *AlarmsArgs) *AlarmsArgs { a.Zones = 1; return a }, "AlarmsArgs.Zones = 1"},
		{"load balancers", func(a *AlarmsArgs) *AlarmsArgs { a.LoadBalancerArnSuffixes = nil; return a }, "AlarmsArgs.LoadBalancerArnSuffixes"},
		{"load balancer count", func(a *AlarmsArgs) *AlarmsArgs { a.LoadBalancerCount = -1; return a }, "AlarmsArgs.LoadBalancerCount = -1"},
		{"target groups", func(a *AlarmsArgs) *AlarmsArgs { a.TargetGroupArnSuffixes = nil; return a }, "AlarmsArgs.TargetGroupArnSuffixes"},
		{"group", func(a *AlarmsArgs) *AlarmsArgs { a.EssGroupName = nil; return a }, "AlarmsArgs.EssGroupName"},
		{"database", func(a *AlarmsArgs) *AlarmsArgs { a.DatabaseIdentifier = nil; return a }, "AlarmsArgs.DatabaseIdentifier"},
		{"cache", func(a *AlarmsArgs) *AlarmsArgs { a.CacheReplicationGroupID = nil; return a }, "AlarmsArgs.CacheReplicationGroupID"},
		{"cache clusters", func(a *AlarmsArgs) *AlarmsArgs { a.CacheClusters = 1; return a }, "AlarmsArgs.CacheClusters = 1"},
		{"email", func(a *AlarmsArgs) *AlarmsArgs { a.Email = "ops"; return a }, `AlarmsArgs.Email = "ops"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := runAlarms(t, tc.mutate(alarmArgs()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm"))
		})
	}
}

func TestAlarmsLoadBalancerCountMustMatch(t *testing.T) {
	t.Parallel()
	args := alarmArgs()
	args.LoadBalancerCount = 0 // but two load balancers are listed
	_, _, err := runAlarms(t, args)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AlarmsArgs.LoadBalancerArnSuffixes lists 2 load balancers but AlarmsArgs.LoadBalancerCount is 1")
}
