package observability

import (
	"math"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

func dependencyArgs() *DependencyAlarmsArgs {
	return &DependencyAlarmsArgs{
		Region:                    "us-west-2",
		DatabaseClusterIdentifier: pulumi.String("ess-globaldb-us-west-2").ToStringOutput(),
		CacheReplicationGroupID:   pulumi.String("ess-cache").ToStringOutput(),
		CacheClusters:             3,
		Tags:                      map[string]string{"project": "ess-ha"},
	}
}

func runDependencyAlarms(t *testing.T, args *DependencyAlarmsArgs) (*mocks.Mocks, *DependencyAlarms, error) {
	t.Helper()
	m := mocks.New("ess-ha", "prod-us-west-2", "us-west-2")
	var comp *DependencyAlarms
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewDependencyAlarms(ctx, "deps", args)
		return err
	})
	return m, comp, err
}

// alarmByName returns the registered metric alarms keyed by their name input.
func alarmByName(t *testing.T, m *mocks.Mocks) map[string]*mocks.Registration {
	t.Helper()
	out := map[string]*mocks.Registration{}
	for _, r := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		out[r.Inputs["name"].StringValue()] = r
	}
	return out
}

func dims(r *mocks.Registration) map[string]string {
	out := map[string]string{}
	for k, v := range r.Inputs["dimensions"].ObjectValue() {
		out[string(k)] = v.StringValue()
	}
	return out
}

func TestDependencyAlarmsFireWhenTheMetricsStop(t *testing.T) {
	t.Parallel()
	m, comp, err := runDependencyAlarms(t, dependencyArgs())
	require.NoError(t, err)
	alarms := alarmByName(t, m)
	require.Len(t, alarms, 1+3, "the database and each cache member")

	db := alarms["ess-ha-prod-us-west-2-deps-database-gone"]
	require.NotNil(t, db, "the name says project, stack and what is gone")
	assert.Equal(t, "AWS/RDS", db.Inputs["namespace"].StringValue())
	assert.Equal(t, map[string]string{"DBClusterIdentifier": "ess-globaldb-us-west-2"}, dims(db),
		"the cluster's metric, published by every instance, readers of a secondary region included")

	for k, member := range []string{"ess-cache-001", "ess-cache-002", "ess-cache-003"} {
		a := alarms["ess-ha-prod-us-west-2-deps-cache"+string(rune('1'+k))+"-gone"]
		require.NotNil(t, a, member)
		assert.Equal(t, "AWS/ElastiCache", a.Inputs["namespace"].StringValue())
		assert.Equal(t, map[string]string{"CacheClusterId": member}, dims(a), "one alarm per member cluster")
	}

	for name, a := range alarms {
		in := a.Inputs
		assert.Equal(t, "CPUUtilization", in["metricName"].StringValue(), "%s: a metric published every minute while the thing exists", name)
		assert.Equal(t, "SampleCount", in["statistic"].StringValue(), "%s: counts data points, whatever the load", name)
		assert.Equal(t, "LessThanThreshold", in["comparisonOperator"].StringValue(), name)
		assert.Equal(t, 1.0, in["threshold"].NumberValue(), "%s: no data point in a period breaches", name)
		assert.Equal(t, "breaching", in["treatMissingData"].StringValue(), "%s: missing data is what gone looks like", name)
		assert.Equal(t, float64(DependencyPeriodSeconds), in["period"].NumberValue(), name)
		assert.Equal(t, float64(DependencyGoneMinutes), in["evaluationPeriods"].NumberValue(), name)
		assert.Equal(t, float64(DependencyGoneMinutes), in["datapointsToAlarm"].NumberValue(), "%s: consecutive minutes, not M of N", name)
		assert.NotContains(t, in, resource.PropertyKey("alarmActions"), "%s: the region check's alarm notifies", name)
		assert.False(t, in["actionsEnabled"].BoolValue(), name)
	}
	assert.Equal(t, "us-west-2", comp.Database.Region)

	assert.Equal(t, "ess-ha-prod-us-west-2-deps-database-gone", mockstest.Await[string](t, comp.Database.Name))
	require.Len(t, comp.Cache, 3)
	revisions := map[string]bool{mockstest.Await[string](t, comp.Database.Revision): true}
	for k, h := range comp.Cache {
		assert.Equal(t, "ess-ha-prod-us-west-2-deps-cache"+string(rune('1'+k))+"-gone", mockstest.Await[string](t, h.Name), "member order")
		assert.Equal(t, "us-west-2", h.Region)
		revisions[mockstest.Await[string](t, h.Revision)] = true
	}
	assert.Len(t, revisions, 4, "each alarm has its own revision")
	assert.Len(t, mockstest.Await[[]string](t, comp.AlarmArns), 4)
	assertChildren(t, m, "ess-ha:observability:DependencyAlarms", "deps")
}

// TestDependencyAlarmsAreWhatRoute53Follows encodes the alarms Route 53 health checks accept:
// standard-resolution metrics, the statistics Average, Minimum, Maximum, Sum and SampleCount (no
// extended statistics), and one metric (no metric math).
// https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html
func TestDependencyAlarmsAreWhatRoute53Follows(t *testing.T) {
	t.Parallel()
	m, _, err := runDependencyAlarms(t, dependencyArgs())
	require.NoError(t, err)
	for name, a := range alarmByName(t, m) {
		in := a.Inputs
		assert.Contains(t, []string{"Average", "Minimum", "Maximum", "Sum", "SampleCount"}, in["statistic"].StringValue(), name)
		assert.NotContains(t, in, resource.PropertyKey("extendedStatistic"), name)
		assert.NotContains(t, in, resource.PropertyKey("metricQueries"), "%s: no metric math", name)
		period := in["period"].NumberValue()
		assert.True(t, period >= 60 && math.Mod(period, 60) == 0, "%s: standard resolution, a multiple of 60 s", name)
		assert.NotEmpty(t, in["metricName"].StringValue(), name)
	}
}

func TestDependencyAlarmsSingleInstanceAndDefaults(t *testing.T) {
	t.Parallel()
	args := dependencyArgs()
	args.DatabaseClusterIdentifier, args.DatabaseInstanceIdentifier = nil, pulumi.String("ess-db")
	args.CacheClusters = 0
	m, comp, err := runDependencyAlarms(t, args)
	require.NoError(t, err)
	alarms := alarmByName(t, m)
	assert.Equal(t, map[string]string{"DBInstanceIdentifier": "ess-db"}, dims(alarms["ess-ha-prod-us-west-2-deps-database-gone"]))
	assert.Len(t, comp.Cache, DefaultCacheClusters)

	_, aurora, err := runDependencyAlarms(t, dependencyArgs())
	require.NoError(t, err)
	assert.NotEqual(t, mockstest.Await[string](t, aurora.Database.Revision), mockstest.Await[string](t, comp.Database.Revision),
		"another metric, another revision: the health check must re-read the alarm")
}

func TestDependencyAlarmsRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(*DependencyAlarmsArgs) *DependencyAlarmsArgs
		want   string
	}{
		{"nil", func(*DependencyAlarmsArgs) *DependencyAlarmsArgs { return nil }, "DependencyAlarmsArgs is nil"},
		{"region", func(a *DependencyAlarmsArgs) *DependencyAlarmsArgs { a.Region = "west"; return a }, `DependencyAlarmsArgs.Region = "west"`},
		{"no database", func(a *DependencyAlarmsArgs) *DependencyAlarmsArgs { a.DatabaseClusterIdentifier = nil; return a }, "set exactly one"},
		{"two databases", func(a *DependencyAlarmsArgs) *DependencyAlarmsArgs {
			a.DatabaseInstanceIdentifier = pulumi.String("db")
			return a
		}, "set exactly one"},
		{"cache", func(a *DependencyAlarmsArgs) *DependencyAlarmsArgs { a.CacheReplicationGroupID = nil; return a }, "DependencyAlarmsArgs.CacheReplicationGroupID"},
		{"cache clusters", func(a *DependencyAlarmsArgs) *DependencyAlarmsArgs { a.CacheClusters = 7; return a }, "DependencyAlarmsArgs.CacheClusters = 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := runDependencyAlarms(t, tc.mutate(dependencyArgs()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "dependency alarms deps:")
			assert.Empty(t, m.Registrations())
		})
	}
}
