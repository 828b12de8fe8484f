package plan_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/failover"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/plan"
)

func byType(dep *apitype.DeploymentV3, typ string) []apitype.ResourceV3 {
	var out []apitype.ResourceV3
	for _, r := range dep.Resources {
		if string(r.Type) == typ {
			out = append(out, r)
		}
	}
	return out
}

// TestShippedStacksFormOneActiveActiveDeployment plans both shipped stacks and checks that they fit
// together: one weighted record per name and region, each region's drain switch in the other region,
// and both clusters members of one global cluster.
func TestShippedStacksFormOneActiveActiveDeployment(t *testing.T) {
	ctx := context.Background()
	regions := map[string]string{"prod-us-east-1": "us-east-1", "prod-us-west-2": "us-west-2"}
	peer := map[string]string{"us-east-1": "us-west-2", "us-west-2": "us-east-1"}
	deps := map[string]*apitype.DeploymentV3{}
	for stack, region := range regions {
		res, err := plan.Run(ctx, plan.Options{Stack: stack})
		require.NoError(t, err)
		deps[region] = res.Deployment
	}

	t.Run("one weighted record per name and region", func(t *testing.T) {
		type key struct{ name, typ string }
		sets := map[key]map[string]string{} // name/type -> set identifier -> region
		for region, dep := range deps {
			for _, r := range byType(dep, "aws:route53/record:Record") {
				set, _ := r.Inputs["setIdentifier"].(string)
				if r.Inputs["type"] == "CNAME" {
					continue // certificate validation records
				}
				require.NotEmpty(t, set, "record %s in %s is weighted", r.URN, region)
				assert.NotEmpty(t, r.Inputs["healthCheckId"], "record %s is tied to the region's health check", r.URN)
				k := key{r.Inputs["name"].(string), r.Inputs["type"].(string)}
				if sets[k] == nil {
					sets[k] = map[string]string{}
				}
				_, dup := sets[k][set]
				assert.False(t, dup, "set identifier %s is used once for %v", set, k)
				sets[k][set] = region
			}
		}
		for _, name := range []string{"solid.example.com", "identity.solid.example.com", "oidc.solid.example.com"} {
			got := sets[key{name, "A"}]
			assert.Equal(t, map[string]string{"us-east-1": "us-east-1", "us-west-2": "us-west-2"}, got, "%s: one A record per region, set identifier = region", name)
		}
	})

	t.Run("each region's drain switch lives in the other region", func(t *testing.T) {
		switches, err := failover.Switches("example-solid-prod", mocks.Account, []string{"us-east-1", "us-west-2"})
		require.NoError(t, err)
		for _, sw := range switches {
			assert.Equal(t, peer[sw.Region], sw.BucketRegion)
			var inverted []apitype.ResourceV3
			for _, hc := range byType(deps[sw.Region], "aws:route53/healthCheck:HealthCheck") {
				if hc.Inputs["invertHealthcheck"] == true {
					inverted = append(inverted, hc)
				}
			}
			require.Len(t, inverted, 1, "%s has one drain check", sw.Region)
			assert.Equal(t, sw.FQDN(), inverted[0].Inputs["fqdn"], "%s's drain check reads the bucket in %s", sw.Region, sw.BucketRegion)
			assert.Equal(t, sw.ResourcePath(), inverted[0].Inputs["resourcePath"])

			// The peer's stack owns that bucket and lets the health checkers read exactly that object.
			var found bool
			for _, b := range byType(deps[sw.BucketRegion], "aws:s3/bucketV2:BucketV2") {
				if b.Inputs["bucket"] == sw.Bucket {
					found = true
				}
			}
			assert.True(t, found, "bucket %s is in the %s stack", sw.Bucket, sw.BucketRegion)
			var policies []string
			for _, p := range byType(deps[sw.BucketRegion], "aws:s3/bucketPolicy:BucketPolicy") {
				if s, ok := p.Inputs["policy"].(string); ok {
					policies = append(policies, s)
				}
			}
			var readable bool
			for _, p := range policies {
				var doc struct{ Statement []map[string]any }
				require.NoError(t, json.Unmarshal([]byte(p), &doc))
				for _, st := range doc.Statement {
					if st["Effect"] == "Allow" && st["Resource"] == "arn:aws:s3:::"+sw.Bucket+"/"+sw.Key {
						readable = true
					}
				}
			}
			assert.True(t, readable, "the health checkers may read %s", sw.URI())
			for _, dep := range deps {
				assert.Empty(t, byType(dep, "aws:s3/bucketObjectv2:BucketObjectv2"), "no stack manages a drain object")
				assert.Empty(t, byType(dep, "aws:s3/bucketObject:BucketObject"), "no stack manages a drain object")
			}
		}
	})

	t.Run("both clusters belong to one global cluster", func(t *testing.T) {
		globals := byType(deps["us-east-1"], "aws:rds/globalCluster:GlobalCluster")
		require.Len(t, globals, 1, "the primary region owns the global cluster")
		assert.Empty(t, byType(deps["us-west-2"], "aws:rds/globalCluster:GlobalCluster"))
		id := globals[0].Inputs["globalClusterIdentifier"]
		for region, dep := range deps {
			clusters := byType(dep, "aws:rds/cluster:Cluster")
			require.Len(t, clusters, 1, region)
			assert.Equal(t, id, clusters[0].Inputs["globalClusterIdentifier"], "%s's cluster is a member", region)
			assert.Equal(t, true, clusters[0].Inputs["storageEncrypted"])
			assert.Equal(t, true, clusters[0].Inputs["deletionProtection"])
			assert.Empty(t, byType(dep, "aws:rds/instance:Instance"), "no single-region instance beside the global database")
		}
	})
}
