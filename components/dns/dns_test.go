package dns_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/dns"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

var hostnames = []string{"example.com", "identity.example.com", "oidc.example.com"}

// await resolves an output after the program has run.

func TestZoneCreated(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var zone *dns.Zone
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		z, err := dns.NewZone(ctx, "dns", &dns.ZoneArgs{Domain: "example.com", Tags: map[string]string{"project": "ess-ha"}})
		zone = z
		return err
	})
	require.NoError(t, err)
	comps := m.ByType("ess-ha:dns:Zone")
	require.Len(t, comps, 1)
	zones := m.ByType("aws:route53/zone:Zone")
	require.Len(t, zones, 1)
	z := zones[0]
	assert.Equal(t, comps[0].URN, z.Parent)
	assert.Equal(t, "dns-zone", z.Name)
	assert.Equal(t, "example.com", mockstest.Str(z, "name"))
	assert.False(t, z.Inputs["forceDestroy"].BoolValue(), "the zone is never force-destroyed")
	assert.Equal(t, z.ID, mockstest.Await[string](t, zone.ZoneID))
	assert.Len(t, mockstest.Await[[]string](t, zone.NameServers), 4)
	assert.False(t, z.RetainOnDelete, "a single-region zone goes with its stack")
}

// TestZoneSharedIsRetained: a pair's zone holds both regions' records, so destroying the stack that
// created it must not delete it.
func TestZoneSharedIsRetained(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		_, err := dns.NewZone(ctx, "dns", &dns.ZoneArgs{Domain: "example.com", Shared: true})
		return err
	})
	require.NoError(t, err)
	assert.True(t, mockstest.One(t, m, "aws:route53/zone:Zone").RetainOnDelete)
}

func TestZoneExisting(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var zone *dns.Zone
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		z, err := dns.NewZone(ctx, "dns", &dns.ZoneArgs{Domain: "example.com", ExistingZoneID: "Z0123456789ABCDEFGHIJ"})
		zone = z
		return err
	})
	require.NoError(t, err)
	assert.Len(t, m.ByType("ess-ha:dns:Zone"), 1)
	assert.Empty(t, m.ByType("aws:route53/zone:Zone"), "an existing zone is adopted, not created")
	assert.Equal(t, "Z0123456789ABCDEFGHIJ", mockstest.Await[string](t, zone.ZoneID))
	assert.Empty(t, mockstest.Await[[]string](t, zone.NameServers))
}

func TestZoneErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args *dns.ZoneArgs
		want string
	}{
		{"nil", nil, "nil"},
		{"no domain", &dns.ZoneArgs{}, "ZoneArgs.Domain"},
		{"upper case", &dns.ZoneArgs{Domain: "Example.COM"}, "ZoneArgs.Domain"},
		{"single label", &dns.ZoneArgs{Domain: "localhost"}, "ZoneArgs.Domain"},
		{"bad zone id", &dns.ZoneArgs{Domain: "example.com", ExistingZoneID: "hostedzone/Z123"}, "ZoneArgs.ExistingZoneID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mocks.New("ess-ha", "test", "us-east-1")
			err := m.Run(nil, func(ctx *pulumi.Context) error {
				_, err := dns.NewZone(ctx, "dns", c.args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.Registrations())
		})
	}
}

func runRecords(t *testing.T, args *dns.RecordsArgs) (*mocks.Mocks, *dns.Records) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var recs *dns.Records
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		r, err := dns.NewRecords(ctx, "records", args)
		recs = r
		return err
	})
	require.NoError(t, err)
	return m, recs
}

func baseRecords() *dns.RecordsArgs {
	return &dns.RecordsArgs{
		ZoneID:        pulumi.String("Z0123456789ABCDEFGHIJ"),
		Hostnames:     hostnames,
		TargetDNSName: pulumi.String("edge-alb-1234.us-east-1.elb.amazonaws.com"),
		TargetZoneID:  pulumi.String("Z35SXDOTRQ7X7K"),
	}
}

func TestRecordsAlias(t *testing.T) {
	t.Parallel()
	m, recs := runRecords(t, baseRecords())
	comps := m.ByType("ess-ha:dns:Records")
	require.Len(t, comps, 1)
	records := m.ByType("aws:route53/record:Record")
	// An A record per hostname and no AAAA: the load balancers and the accelerator are IPv4 only, and
	// an AAAA alias to an IPv4-only target answers no address.
	require.Len(t, records, 3, "an A record per hostname, no AAAA")
	types := map[string][]string{}
	for _, r := range records {
		assert.Equal(t, comps[0].URN, r.Parent)
		assert.Equal(t, "Z0123456789ABCDEFGHIJ", mockstest.Str(r, "zoneId"))
		types[mockstest.Str(r, "name")] = append(types[mockstest.Str(r, "name")], mockstest.Str(r, "type"))
		assert.NotContains(t, r.Inputs, resource.PropertyKey("records"), "alias records carry no values")
		assert.NotContains(t, r.Inputs, resource.PropertyKey("ttl"))
		assert.NotContains(t, r.Inputs, resource.PropertyKey("setIdentifier"))
		assert.NotContains(t, r.Inputs, resource.PropertyKey("weightedRoutingPolicies"))
		aliases := r.Inputs["aliases"].ArrayValue()
		require.Len(t, aliases, 1)
		a := aliases[0].ObjectValue()
		assert.Equal(t, "edge-alb-1234.us-east-1.elb.amazonaws.com", a["name"].StringValue())
		assert.Equal(t, "Z35SXDOTRQ7X7K", a["zoneId"].StringValue())
		assert.True(t, a["evaluateTargetHealth"].BoolValue())
		assert.NotEqual(t, "CNAME", mockstest.Str(r, "type"))
	}
	for _, h := range hostnames {
		assert.Equal(t, []string{"A"}, types[h], h)
	}
	assert.Equal(t, hostnames, mockstest.Await[[]string](t, recs.Fqdns))
	assert.Len(t, recs.Records, 3)
}

func TestRecordsWeighted(t *testing.T) {
	t.Parallel()
	args := baseRecords()
	args.SetIdentifier = "us-east-1"
	args.Weight = 100
	args.HealthCheckID = pulumi.String("11111111-2222-3333-4444-555555555555")
	m, _ := runRecords(t, args)
	records := m.ByType("aws:route53/record:Record")
	require.Len(t, records, 3)
	for _, r := range records {
		assert.Contains(t, r.Name, "us-east-1", "the set identifier is part of the resource name")
		assert.Equal(t, "us-east-1", mockstest.Str(r, "setIdentifier"))
		w := r.Inputs["weightedRoutingPolicies"].ArrayValue()
		require.Len(t, w, 1)
		assert.Equal(t, 100.0, w[0].ObjectValue()["weight"].NumberValue())
		assert.Equal(t, "11111111-2222-3333-4444-555555555555", mockstest.Str(r, "healthCheckId"))
	}

	// Two sets of the same names coexist in one stack.
	m2 := mocks.New("ess-ha", "test", "us-east-1")
	err := m2.Run(nil, func(ctx *pulumi.Context) error {
		for _, region := range []string{"us-east-1", "us-west-2"} {
			a := baseRecords()
			a.SetIdentifier = region
			a.Weight = 50
			if _, err := dns.NewRecords(ctx, "records-"+region, a); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Len(t, m2.ByType("aws:route53/record:Record"), 6)

	// Weight 0 without a health check is allowed.
	args = baseRecords()
	args.SetIdentifier = "eu-west-1"
	m3, _ := runRecords(t, args)
	for _, r := range m3.ByType("aws:route53/record:Record") {
		assert.Equal(t, 0.0, r.Inputs["weightedRoutingPolicies"].ArrayValue()[0].ObjectValue()["weight"].NumberValue())
		assert.NotContains(t, r.Inputs, resource.PropertyKey("healthCheckId"))
	}
}

func TestRecordsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(a *dns.RecordsArgs)
		want   string
	}{
		{"no zone", func(a *dns.RecordsArgs) { a.ZoneID = nil }, "RecordsArgs.ZoneID"},
		{"no target name", func(a *dns.RecordsArgs) { a.TargetDNSName = nil }, "RecordsArgs.TargetDNSName"},
		{"no target zone", func(a *dns.RecordsArgs) { a.TargetZoneID = nil }, "RecordsArgs.TargetZoneID"},
		{"no hostnames", func(a *dns.RecordsArgs) { a.Hostnames = nil }, "RecordsArgs.Hostnames"},
		{"duplicate hostname", func(a *dns.RecordsArgs) { a.Hostnames = []string{"example.com", "example.com"} }, "twice"},
		{"trailing dot", func(a *dns.RecordsArgs) { a.Hostnames = []string{"example.com."} }, "RecordsArgs.Hostnames[0]"},
		{"weight without set", func(a *dns.RecordsArgs) { a.Weight = 10 }, "RecordsArgs.Weight"},
		{"health check without set", func(a *dns.RecordsArgs) { a.HealthCheckID = pulumi.String("hc") }, "RecordsArgs.HealthCheckID"},
		{"weight too big", func(a *dns.RecordsArgs) { a.SetIdentifier = "a"; a.Weight = 256 }, "RecordsArgs.Weight"},
		{"negative weight", func(a *dns.RecordsArgs) { a.SetIdentifier = "a"; a.Weight = -1 }, "RecordsArgs.Weight"},
		{"spaced identifier", func(a *dns.RecordsArgs) { a.SetIdentifier = " a" }, "RecordsArgs.SetIdentifier"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := baseRecords()
			c.mutate(args)
			m := mocks.New("ess-ha", "test", "us-east-1")
			err := m.Run(nil, func(ctx *pulumi.Context) error {
				_, err := dns.NewRecords(ctx, "records", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, m.Registrations())
		})
	}
	m := mocks.New("ess-ha", "test", "us-east-1")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		_, err := dns.NewRecords(ctx, "records", nil)
		return err
	})
	assert.ErrorContains(t, err, "nil")
}
