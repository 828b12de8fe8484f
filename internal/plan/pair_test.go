package plan_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/pairing"
	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/internal/program"
)

// The shipped pair: the owner in us-east-1, the member in us-west-2.
const (
	owner, member = "us-east-1", "us-west-2"
	deployment    = "example-solid-prod"
)

var stackOf = map[string]string{owner: "prod-us-east-1", member: "prod-us-west-2"}

// planned is one stack of the pair run under the mocks, with what it registered.
type planned struct {
	m       *mocks.Mocks
	outputs map[string]any
}

func (p planned) byType(typ string) []*mocks.Registration { return p.m.ByType(typ) }

// planStack runs the program of a shipped stack, with the global database's writer in writer (AWS's
// runtime state; empty for the owner's region) and config overrides.
func planStack(t *testing.T, region, writer string, overrides map[string]string) (planned, error) {
	t.Helper()
	m, cfg, err := plan.Prepare(context.Background(), plan.Options{Stack: stackOf[region], Overrides: overrides})
	require.NoError(t, err)
	m.Writer = writer
	var outputs map[string]any
	err = m.Run(cfg, func(ctx *pulumi.Context) error {
		r, err := program.Build(ctx)
		if err != nil {
			return err
		}
		r.Outputs.ToMapOutput().ApplyT(func(v map[string]any) map[string]any { outputs = v; return v })
		return nil
	})
	return planned{m: m, outputs: outputs}, err
}

func planPair(t *testing.T, writer string) map[string]planned {
	t.Helper()
	out := map[string]planned{}
	for _, region := range []string{owner, member} {
		p, err := planStack(t, region, writer, nil)
		require.NoError(t, err, region)
		out[region] = p
	}
	return out
}

// strings_ returns an output that is a list of strings.
func strings_(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func str(r *mocks.Registration, key string) string {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func out(r *mocks.Registration, key string) string {
	if v, ok := r.Outputs[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func parameters(p planned) map[string]string {
	ps := map[string]string{}
	prefix := "/ess-ha/" + p.m.Stack + "/"
	for _, r := range p.byType("aws:ssm/parameter:Parameter") {
		ps[strings.TrimPrefix(str(r, "name"), prefix)] = str(r, "insecureValue")
	}
	return ps
}

// providerRegion returns the region of the provider a resource uses: an explicit provider's region,
// or the stack's own.
func providerRegion(p planned, r *mocks.Registration) string {
	if r.Provider == "" {
		return p.m.Region
	}
	urn := r.Provider[:strings.LastIndex(r.Provider, "::")]
	for _, prov := range p.byType("pulumi:providers:aws") {
		if string(prov.URN) == urn {
			return str(prov, "region")
		}
	}
	return p.m.Region
}

// TestShippedPairDeploysAndFailsOver plans both shipped stacks together and checks, as invariants,
// every defect a review against the AWS documentation found in the pair.
func TestShippedPairDeploysAndFailsOver(t *testing.T) {
	pair := planPair(t, "")
	east, west := pair[owner], pair[member]

	t.Run("one hosted zone holds every record of both regions", func(t *testing.T) {
		zones := east.byType("aws:route53/zone:Zone")
		require.Len(t, zones, 1, "the owner creates the pair's zone")
		assert.True(t, zones[0].RetainOnDelete, "destroying the owner's stack keeps the zone the member's records live in")
		assert.Empty(t, west.byType("aws:route53/zone:Zone"), "the member creates no zone of its own")
		zoneID := zones[0].ID
		for region, p := range pair {
			records := p.byType("aws:route53/record:Record")
			require.NotEmpty(t, records)
			for _, r := range records {
				assert.Equal(t, zoneID, str(r, "zoneId"), "%s: record %s is in the one zone", region, r.Name)
			}
			assert.Equal(t, zoneID, p.outputs["hostedZoneId"], region)
		}
	})

	t.Run("the owner's validation records validate both certificates and outlive the owner", func(t *testing.T) {
		owned := map[string]bool{}
		for _, r := range east.byType("aws:route53/record:Record") {
			if str(r, "type") == "CNAME" {
				assert.True(t, r.RetainOnDelete, "validation record %s is kept when the owner is destroyed: the member's certificate renews with it", r.Name)
				owned[strings.TrimSuffix(str(r, "name"), ".")] = true
			}
		}
		require.Len(t, owned, 3, "one per name")
		for _, r := range west.byType("aws:route53/record:Record") {
			assert.NotEqual(t, "CNAME", str(r, "type"), "the member writes no validation record: the owner's are the same")
		}
		validations := west.byType("aws:acm/certificateValidation:CertificateValidation")
		require.Len(t, validations, 1)
		fqdns := validations[0].Inputs["validationRecordFqdns"].ArrayValue()
		require.Len(t, fqdns, 3)
		for _, f := range fqdns {
			assert.True(t, owned[f.StringValue()], "the member's certificate waits for the owner's record %s", f.StringValue())
		}
	})

	t.Run("no AAAA record points at an IPv4-only target", func(t *testing.T) {
		for region, p := range pair {
			for _, r := range p.byType("aws:route53/record:Record") {
				assert.NotEqual(t, "AAAA", str(r, "type"), "%s: %s", region, r.Name)
			}
			for _, lb := range p.byType("aws:lb/loadBalancer:LoadBalancer") {
				assert.Equal(t, "ipv4", str(lb, "ipAddressType"))
			}
		}
	})

	t.Run("the services use endpoints that work in either role", func(t *testing.T) {
		global := east.byType("aws:rds/globalCluster:GlobalCluster")
		require.Len(t, global, 1)
		writer := out(global[0], "endpoint")
		require.NotEmpty(t, writer)
		for region, p := range pair {
			clusters := p.byType("aws:rds/cluster:Cluster")
			require.Len(t, clusters, 1)
			ps := parameters(p)
			assert.Equal(t, writer, ps["database/endpoint"], "%s writes through the global writer endpoint", region)
			assert.NotEqual(t, out(clusters[0], "endpoint"), ps["database/endpoint"],
				"%s never uses its own cluster endpoint, which is inactive while the cluster is a secondary", region)
			assert.Equal(t, out(clusters[0], "readerEndpoint"), ps["database/reader-endpoint"], "%s reads locally", region)
			assert.Equal(t, writer, p.outputs["databaseEndpoint"], region)
			assert.NotContains(t, clusters[0].Inputs, resource.PropertyKey("enableGlobalWriteForwarding"))
		}
	})

	t.Run("the pair's VPCs are peered so each region reaches the writer", func(t *testing.T) {
		require.Len(t, west.byType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection"), 1)
		require.Len(t, west.byType("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"), 1)
		assert.Empty(t, east.byType("aws:ec2/vpcPeeringConnection:VpcPeeringConnection"), "the member creates both sides")
		acc := west.byType("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")[0]
		assert.Equal(t, owner, providerRegion(west, acc), "accepted in the owner's region")

		eastCidr, westCidr := east.outputs[pairing.OutputVpcCidr].(string), west.outputs[pairing.OutputVpcCidr].(string)
		assert.False(t, netip.MustParsePrefix(eastCidr).Overlaps(netip.MustParsePrefix(westCidr)), "peered VPCs need distinct blocks")
		routes := map[string][]string{} // region -> route tables with a route to the other VPC
		for _, r := range west.byType("aws:ec2/route:Route") {
			if r.Inputs["vpcPeeringConnectionId"].IsNull() {
				continue
			}
			region := providerRegion(west, r)
			want := map[string]string{owner: westCidr, member: eastCidr}[region]
			assert.Equal(t, want, str(r, "destinationCidrBlock"))
			routes[region] = append(routes[region], str(r, "routeTableId"))
		}
		want := strings_(east.outputs[pairing.OutputPrivateRouteTableIDs])
		assert.ElementsMatch(t, want, routes[owner], "every private route table of the owner routes to the member")
		assert.Len(t, routes[member], len(want), "and every one of the member routes to the owner")

		for _, rule := range west.byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
			if cidr := str(rule, "cidrIpv4"); cidr == eastCidr || cidr == westCidr {
				assert.Equal(t, float64(5432), rule.Inputs["fromPort"].NumberValue(), "only PostgreSQL crosses the peering")
			}
		}
	})

	t.Run("each region's services read the secret of their own region", func(t *testing.T) {
		secrets := east.byType("aws:secretsmanager/secret:Secret")
		var master *mocks.Registration
		for _, s := range secrets {
			if strings.Contains(s.Name, "master-secret") {
				master = s
			}
		}
		require.NotNil(t, master)
		replicas := master.Inputs["replicas"].ArrayValue()
		require.Len(t, replicas, 1)
		assert.Equal(t, member, replicas[0].ObjectValue()["region"].StringValue())
		for region, p := range pair {
			arn := parameters(p)["database/secret-arn"]
			require.NotEmpty(t, arn, "%s publishes database/secret-arn", region)
			assert.True(t, strings.HasPrefix(arn, "arn:aws:secretsmanager:"+region+":"), "%s's services read %s in their own region", region, arn)
			assert.Equal(t, arn, p.outputs["databaseSecretArn"], region)
			assert.Equal(t, strings.Replace(out(master, "arn"), ":"+owner+":", ":"+region+":", 1), arn, "the same secret (its replica)")
		}
	})

	t.Run("the stop buckets are not public and admit exactly the health checkers", func(t *testing.T) {
		switches, err := failover.Switches(deployment, mocks.Account, []string{owner, member})
		require.NoError(t, err)
		for _, sw := range switches {
			bucketStack := pair[sw.BucketRegion]
			var checkers []string
			for _, hc := range pair[sw.Region].byType("aws:route53/healthCheck:HealthCheck") {
				if str(hc, "fqdn") == sw.FQDN() {
					assert.True(t, hc.Inputs["invertHealthcheck"].BoolValue(), "the drain check is inverted")
					assert.Equal(t, sw.ResourcePath(), str(hc, "resourcePath"))
					for _, r := range hc.Inputs["regions"].ArrayValue() {
						checkers = append(checkers, r.StringValue())
					}
				}
			}
			require.GreaterOrEqual(t, len(checkers), 3, "%s's drain check names its checker regions", sw.Region)

			var bucket *mocks.Registration
			for _, b := range bucketStack.byType("aws:s3/bucketV2:BucketV2") {
				if str(b, "bucket") == sw.Bucket {
					bucket = b
				}
			}
			require.NotNil(t, bucket, "bucket %s is in the %s stack", sw.Bucket, sw.BucketRegion)
			assert.Contains(t, sw.Bucket, mocks.Account, "a bucket name nobody else can own")
			for _, pab := range bucketStack.byType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") {
				if str(pab, "bucket") != bucket.ID {
					continue
				}
				for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
					assert.True(t, pab.Inputs[resource.PropertyKey(k)].BoolValue(), "%s: %s is on", sw.Bucket, k)
				}
			}
			var readers []any
			for _, p := range bucketStack.byType("aws:s3/bucketPolicy:BucketPolicy") {
				if str(p, "bucket") != bucket.ID {
					continue
				}
				var doc struct{ Statement []map[string]any }
				require.NoError(t, json.Unmarshal([]byte(str(p, "policy")), &doc))
				for _, st := range doc.Statement {
					if st["Effect"] != "Allow" {
						continue
					}
					assert.Equal(t, "arn:aws:s3:::"+sw.Bucket+"/"+sw.Key, st["Resource"], "only the drain object is readable")
					cond, _ := st["Condition"].(map[string]any)
					ip, _ := cond["IpAddress"].(map[string]any)
					require.NotNil(t, ip, "the read is limited to source addresses")
					readers, _ = ip["aws:SourceIp"].([]any)
				}
			}
			require.NotEmpty(t, readers, "%s admits the checkers' ranges", sw.Bucket)
			for _, r := range readers {
				assert.NotEqual(t, "0.0.0.0/0", r)
			}
			// Exactly the ranges of the checker regions the drain check uses (the mocks give each
			// checker region its own documentation ranges).
			cidrs := strings_(pair[sw.Region].outputs["healthCheckerCidrs"])
			var got []string
			for _, r := range readers {
				got = append(got, r.(string))
			}
			assert.ElementsMatch(t, cidrs, got, "the bucket admits exactly the checkers of %s's drain check", sw.Region)
		}
	})

	t.Run("ess instances are replaced launch-before-terminate and scale", func(t *testing.T) {
		for region, p := range pair {
			for _, g := range p.byType("aws:autoscaling/group:Group") {
				prefs := g.Inputs["instanceRefresh"].ObjectValue()["preferences"].ObjectValue()
				assert.Equal(t, float64(100), prefs["minHealthyPercentage"].NumberValue(), "%s %s", region, g.Name)
				assert.Greater(t, prefs["maxHealthyPercentage"].NumberValue(), float64(100), "%s %s launches first", region, g.Name)
				maint := g.Inputs["instanceMaintenancePolicy"].ObjectValue()
				assert.Equal(t, float64(100), maint["minHealthyPercentage"].NumberValue())
				assert.Greater(t, maint["maxHealthyPercentage"].NumberValue(), float64(100))
				overrides := g.Inputs["mixedInstancesPolicy"].ObjectValue()["launchTemplate"].ObjectValue()["overrides"].ArrayValue()
				assert.GreaterOrEqual(t, len(overrides), 2, "an AZ's capacity does not hang on one instance type")
				hooks := g.Inputs["initialLifecycleHooks"].ArrayValue()
				require.Len(t, hooks, 1, "instances wait for their images instead of churning")
				assert.Equal(t, "autoscaling:EC2_INSTANCE_LAUNCHING", hooks[0].ObjectValue()["lifecycleTransition"].StringValue())
			}
			assert.Len(t, p.byType("aws:autoscaling/policy:Policy"), 2, "%s: target tracking gives maxSize a meaning", region)
		}
	})

	t.Run("the region drains when it can serve nothing", func(t *testing.T) {
		for region, p := range pair {
			var calculated []*mocks.Registration
			metrics := 0
			for _, hc := range p.byType("aws:route53/healthCheck:HealthCheck") {
				switch str(hc, "type") {
				case "CALCULATED":
					calculated = append(calculated, hc)
				case "CLOUDWATCH_METRIC":
					metrics++
				}
			}
			assert.GreaterOrEqual(t, metrics, 2, "%s: the database and the cache nodes", region)
			assert.GreaterOrEqual(t, len(calculated), 2, "%s: the region's check, and any-cache-node", region)
		}
	})

	t.Run("the Route 53 health checks have alarms in us-east-1", func(t *testing.T) {
		for region, p := range pair {
			n := 0
			for _, a := range p.byType("aws:cloudwatch/metricAlarm:MetricAlarm") {
				if str(a, "namespace") != "AWS/Route53" {
					continue
				}
				n++
				assert.Equal(t, "us-east-1", providerRegion(p, a), "%s: %s lives where the metric is", region, a.Name)
				actions := a.Inputs["alarmActions"].ArrayValue()
				require.NotEmpty(t, actions, "%s: %s notifies", region, a.Name)
				assert.Contains(t, actions[0].StringValue(), ":sns:", "%s", a.Name)
			}
			assert.GreaterOrEqual(t, n, 2, "%s: the region's check and its drain check", region)
		}
	})

	t.Run("engine versions: RDS none in a pair, Aurora pinned but never rolled back", func(t *testing.T) {
		for region, p := range pair {
			assert.Empty(t, p.byType("aws:rds/instance:Instance"), region)
			for _, typ := range []string{"aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"} {
				for _, r := range p.byType(typ) {
					assert.Regexp(t, `^[0-9]+\.[0-9]+$`, str(r, "engineVersion"))
					assert.Contains(t, r.IgnoreChanges, "engineVersion", "%s %s: an upgrade AWS made is never undone", region, r.Name)
				}
			}
		}
	})

	t.Run("only the owner creates repositories; the member's come from replication templates", func(t *testing.T) {
		assert.NotEmpty(t, east.byType("aws:ecr/repository:Repository"))
		assert.Empty(t, west.byType("aws:ecr/repository:Repository"), "replication can never collide with a repository of the member's stack")
		assert.NotEmpty(t, west.byType("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"))
		for region, p := range pair {
			cfgs := p.byType("aws:ecr/replicationConfiguration:ReplicationConfiguration")
			require.Len(t, cfgs, 1, region)
			dest := cfgs[0].Inputs["replicationConfiguration"].ObjectValue()["rules"].ArrayValue()[0].ObjectValue()["destinations"].ArrayValue()[0].ObjectValue()
			assert.NotEqual(t, region, dest["region"].StringValue(), "%s replicates to the other region", region)
		}
	})
}

// TestPairSurvivesSwitchoverAndFailover plans the pair with the writer in each region, as a
// switchover or a failover leaves it. Nothing the program registers depends on where the writer is:
// a `pulumi up` of either stack afterwards changes nothing, and the global cluster, the clusters and
// the secret are protected and retained, so neither a destroy nor a rename can delete them.
func TestPairSurvivesSwitchoverAndFailover(t *testing.T) {
	before := planPair(t, owner)
	after := planPair(t, member)
	for _, region := range []string{owner, member} {
		b, a := before[region].m.Registrations(), after[region].m.Registrations()
		require.Equal(t, len(b), len(a), region)
		for i := range b {
			require.Equal(t, b[i].URN, a[i].URN, "%s: the same resources", region)
			assert.True(t, b[i].Inputs.DeepEquals(a[i].Inputs), "%s: %s has the same inputs whoever writes", region, b[i].URN)
		}
	}
	// Only AWS's view moved.
	gcBefore := before[owner].byType("aws:rds/globalCluster:GlobalCluster")[0]
	gcAfter := after[owner].byType("aws:rds/globalCluster:GlobalCluster")[0]
	assert.False(t, gcBefore.Outputs.DeepEquals(gcAfter.Outputs), "the mocks model the switchover")

	for _, typ := range []string{"aws:rds/globalCluster:GlobalCluster", "aws:rds/cluster:Cluster", "aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion"} {
		for region, p := range before {
			for _, r := range p.byType(typ) {
				if strings.HasPrefix(typ, "aws:secretsmanager/") && !strings.Contains(r.Name, "master-secret") {
					continue // the cache's token is ephemeral, like the cache
				}
				assert.True(t, r.Protect, "%s %s is protected", region, r.URN)
				assert.True(t, r.RetainOnDelete, "%s %s is retained on delete", region, r.URN)
			}
		}
	}
	cluster := before[member].byType("aws:rds/cluster:Cluster")[0]
	for _, k := range []string{"globalClusterIdentifier", "replicationSourceIdentifier", "engineVersion"} {
		assert.Contains(t, cluster.IgnoreChanges, k, "Aurora moves %s; the program never undoes it", k)
	}
}

// TestMemberFailsFastWithoutItsOwner: the member joins a global cluster and a zone only the owner
// creates, so deploying it first must fail before anything is created, saying to deploy the owner.
func TestMemberFailsFastWithoutItsOwner(t *testing.T) {
	ctx := context.Background()
	m, cfg, err := plan.Prepare(ctx, plan.Options{Stack: "prod-us-west-2"})
	require.NoError(t, err)
	m.SetStackOutputs("prod-us-east-1", map[string]any{}) // the owner's stack exists but was never deployed
	err = m.Run(cfg, func(ctx *pulumi.Context) error {
		_, err := program.Build(ctx)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deploy the owner stack first (pulumi up on prod-us-east-1)")
	for _, r := range m.Registrations() {
		assert.Equal(t, mocks.StackReferenceType, r.Type, "nothing but the reference is registered: %s", r.URN)
	}

	// An owner of another deployment is refused too.
	east, err := plan.Run(ctx, plan.Options{Stack: "prod-us-east-1", Overrides: map[string]string{"deployment": "another-deployment"}})
	require.NoError(t, err)
	_, err = plan.Run(ctx, plan.Options{Stack: "prod-us-west-2", PeerPlan: east.State})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `exports deployment = "another-deployment" but this stack's ess-ha:deployment is "example-solid-prod"`)
}

// TestMemberTakesThePeerPlan: `essha plan --peer-plan` gives the member its owner's outputs from a
// state file, and gives the same result as planning the owner on the fly.
func TestMemberTakesThePeerPlan(t *testing.T) {
	ctx := context.Background()
	east, err := plan.Run(ctx, plan.Options{Stack: "prod-us-east-1"})
	require.NoError(t, err)
	fromFile, err := plan.Run(ctx, plan.Options{Stack: "prod-us-west-2", PeerPlan: east.State})
	require.NoError(t, err)
	onTheFly, err := plan.Run(ctx, plan.Options{Stack: "prod-us-west-2"})
	require.NoError(t, err)
	assert.Equal(t, string(onTheFly.State), string(fromFile.State))
	assert.True(t, slices.ContainsFunc(fromFile.Deployment.Resources, func(r apitype.ResourceV3) bool { return string(r.Type) == mocks.StackReferenceType && r.External }),
		"the state records the StackReference as a read resource")
}
