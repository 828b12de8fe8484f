package region_test

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/internal/program"
)

// runStack runs the program for a shipped stack under the mocks (a member reads its owner's planned
// outputs).
func runStack(t *testing.T, stack string, overrides map[string]string) *mocks.Mocks {
	t.Helper()
	m, cfg, err := plan.Prepare(t.Context(), plan.Options{Stack: stack, Overrides: overrides})
	require.NoError(t, err)
	require.NoError(t, m.Run(cfg, func(ctx *pulumi.Context) error {
		_, err := program.Build(ctx)
		return err
	}))
	return m
}

func strs(v resource.PropertyValue) []string {
	switch {
	case v.IsString():
		return []string{v.StringValue()}
	case v.IsArray():
		var out []string
		for _, e := range v.ArrayValue() {
			out = append(out, strs(e)...)
		}
		return out
	case v.IsObject():
		var out []string
		for _, e := range v.ObjectValue() {
			out = append(out, strs(e)...)
		}
		return out
	}
	return nil
}

// TestOnlyLoadBalancersAndNATGatewaysUsePublicSubnets walks every resource and every property: a public
// subnet's ID may appear only in load balancers, NAT gateways and the public route table associations.
func TestOnlyLoadBalancersAndNATGatewaysUsePublicSubnets(t *testing.T) {
	t.Parallel()
	m := runStack(t, "prod-us-east-1", nil)
	public := map[string]bool{}
	zones := map[string]map[string]bool{} // tier -> zones
	for _, s := range m.ByType("aws:ec2/subnet:Subnet") {
		tier := s.Inputs["tags"].ObjectValue()["tier"].StringValue()
		if tier == "public" {
			public[s.ID] = true
		}
		if zones[tier] == nil {
			zones[tier] = map[string]bool{}
		}
		zones[tier][s.Inputs["availabilityZone"].StringValue()] = true
		assert.False(t, s.Inputs["mapPublicIpOnLaunch"].IsBool() && s.Inputs["mapPublicIpOnLaunch"].BoolValue(), "no subnet hands out public IPs")
	}
	for _, tier := range []string{"public", "app", "data"} {
		assert.Len(t, zones[tier], 3, "a %s subnet in every AZ", tier)
	}
	allowed := map[string]bool{
		"aws:lb/loadBalancer:LoadBalancer":                    true,
		"aws:ec2/natGateway:NatGateway":                       true,
		"aws:ec2/routeTableAssociation:RouteTableAssociation": true,
		"aws:ec2/subnet:Subnet":                               true,
	}
	lbs := 0
	for _, r := range m.Registrations() {
		for key, v := range r.Inputs {
			for _, s := range strs(v) {
				if public[s] && !allowed[r.Type] {
					t.Errorf("%s (%s) refers to public subnet %s in %s: only load balancers and NAT gateways belong there", r.Name, r.Type, s, key)
				}
			}
		}
		if r.Type == "aws:lb/loadBalancer:LoadBalancer" {
			lbs++
			for _, s := range strs(r.Inputs["subnets"]) {
				assert.True(t, public[s], "the load balancer sits in public subnets only")
			}
			assert.Len(t, strs(r.Inputs["subnets"]), 3, "the load balancer spans every AZ")
		}
	}
	assert.Equal(t, 1, lbs)
}

var imageRef = regexp.MustCompile(`docker run [^\n]* (\S+:\S+)\s*$`)

func TestEveryImageComesFromTheRegionsPrivateRegistry(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"prod-us-east-1", "prod-us-west-2"} {
		t.Run(stack, func(t *testing.T) {
			m := runStack(t, stack, nil)
			region := m.Region
			private := regexp.MustCompile(`^` + mocks.Account + `\.dkr\.ecr\.` + region + `\.amazonaws\.com/[a-z0-9/._-]+:[A-Za-z0-9_.-]+$`)
			templates := m.ByType("aws:ec2/launchTemplate:LaunchTemplate")
			require.Len(t, templates, 2)
			images := 0
			for _, lt := range templates {
				raw, err := base64.StdEncoding.DecodeString(lt.Inputs["userData"].StringValue())
				require.NoError(t, err)
				for _, line := range strings.Split(string(raw), "\n") {
					if !strings.Contains(line, "docker run") {
						continue
					}
					match := imageRef.FindStringSubmatch(strings.TrimRight(line, " \\"))
					require.NotNil(t, match, "an image on: %s", line)
					assert.Regexp(t, private, match[1])
					images++
				}
			}
			assert.GreaterOrEqual(t, images, 6, "every container of both pools is run")
		})
	}
}

// singleRegion turns a shipped stack into a single-region deployment.
var singleRegion = map[string]string{"peerRegion": "", "pairRole": ""}

func TestTwoSeparatePoolsAndAMultiAZDatabase(t *testing.T) {
	t.Parallel()
	m := runStack(t, "prod-us-east-1", singleRegion)
	groups := m.ByType("aws:autoscaling/group:Group")
	require.Len(t, groups, 2)
	pools := map[string]*mocks.Registration{}
	for _, g := range groups {
		for _, tag := range g.Inputs["tags"].ArrayValue() {
			o := tag.ObjectValue()
			if o["key"].StringValue() == "pool" {
				pools[o["value"].StringValue()] = g
				assert.True(t, o["propagateAtLaunch"].BoolValue())
			}
		}
	}
	require.Contains(t, pools, "ess")
	require.Contains(t, pools, "backend")
	// The pools name their launch templates in their mixed instances policies.
	template := func(g *mocks.Registration) string {
		return g.Inputs["mixedInstancesPolicy"].ObjectValue()["launchTemplate"].ObjectValue()["launchTemplateSpecification"].ObjectValue()["launchTemplateId"].StringValue()
	}
	assert.NotEmpty(t, template(pools["ess"]))
	assert.NotEqual(t, template(pools["ess"]), template(pools["backend"]), "no shared launch template")
	assert.GreaterOrEqual(t, pools["ess"].Inputs["minSize"].NumberValue(), 3.0, "at least one ess instance per AZ")
	assert.NotEmpty(t, pools["ess"].Inputs["targetGroupArns"].ArrayValue(), "ess serves the load balancer")
	_, backendServes := pools["backend"].Inputs["targetGroupArns"]
	assert.False(t, backendServes && len(pools["backend"].Inputs["targetGroupArns"].ArrayValue()) > 0, "backend does not")

	dbs := m.ByType("aws:rds/instance:Instance")
	require.Len(t, dbs, 1)
	assert.True(t, dbs[0].Inputs["multiAz"].BoolValue())
	assert.NotContains(t, dbs[0].Inputs, resource.PropertyKey("password"), "no password in config or state")
}

func TestEveryChildIsParentedUnderTheRegion(t *testing.T) {
	t.Parallel()
	m := runStack(t, "prod-us-west-2", nil)
	regions := m.ByType("ess-ha:region:Region")
	require.Len(t, regions, 1)
	for _, r := range m.Registrations() {
		if r.Type == "ess-ha:region:Region" || r.Type == mocks.StackReferenceType {
			continue // the member reads its owner's stack before the region exists
		}
		require.NotEmpty(t, r.Parent, "%s has a parent", r.URN)
		assert.True(t, strings.Contains(string(r.URN), "ess-ha:region:Region$"), "%s lives under the region component", r.URN)
	}
}

func TestTwoZoneStack(t *testing.T) {
	t.Parallel()
	m := runStack(t, "prod-us-east-1", map[string]string{"availabilityZones": "2"})
	assert.Len(t, m.ByType("aws:ec2/natGateway:NatGateway"), 2, "one NAT gateway per AZ")
	assert.Len(t, m.ByType("aws:ec2/subnet:Subnet"), 6)
}

func TestPerAzLoadBalancersBehindAnAccelerator(t *testing.T) {
	t.Parallel()
	m := runStack(t, "prod-us-east-1", map[string]string{"loadBalancers": "perAz", "gateway": "globalAccelerator"})
	assert.Len(t, m.ByType("aws:lb/loadBalancer:LoadBalancer"), 3, "one load balancer per AZ")
	require.Len(t, m.ByType("aws:globalaccelerator/accelerator:Accelerator"), 1)
	for _, rec := range m.ByType("aws:route53/record:Record") {
		if alias, ok := rec.Inputs["aliases"]; ok {
			for _, a := range alias.ArrayValue() {
				assert.Contains(t, a.ObjectValue()["name"].StringValue(), "awsglobalaccelerator.com", "DNS points at the accelerator")
			}
		}
	}

	// The region's health follows what clients reach: the check probes the accelerator, which routes
	// around a failed load balancer, so the loss of one ALB does not drain the region; and every
	// load balancer answers the probe's Host header.
	accelerator := m.ByType("aws:globalaccelerator/accelerator:Accelerator")[0].Outputs["dnsName"].StringValue()
	var probed []string
	for _, hc := range m.ByType("aws:route53/healthCheck:HealthCheck") {
		if v, ok := hc.Inputs["invertHealthcheck"]; (!ok || !v.BoolValue()) && hc.Inputs["type"].StringValue() == "HTTPS" {
			probed = append(probed, hc.Inputs["fqdn"].StringValue())
		}
	}
	assert.Equal(t, []string{accelerator}, probed, "one load-balancer check, through the accelerator")
	hosts := map[string]int{}
	for _, rule := range m.ByType("aws:lb/listenerRule:ListenerRule") {
		for _, c := range rule.Inputs["conditions"].ArrayValue() {
			if hh, ok := c.ObjectValue()["hostHeader"]; ok {
				for _, v := range hh.ObjectValue()["values"].ArrayValue() {
					hosts[v.StringValue()]++
				}
			}
		}
	}
	assert.Equal(t, 3, hosts[accelerator], "each of the three load balancers answers the probe")
}
