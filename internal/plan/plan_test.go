package plan_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/pkg/v3/secrets/b64"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/internal/project"
)

var update = flag.Bool("update", false, "rewrite the golden summaries in testdata/")

func shippedStacks(t *testing.T) []string {
	t.Helper()
	stacks, err := project.Stacks(essha.ProjectFiles())
	require.NoError(t, err)
	require.Equal(t, []string{"prod-us-east-1", "prod-us-west-2"}, stacks)
	return stacks
}

// TestShippedStacksPlanIntoValidState plans both shipped stacks and loads each state file with the
// engine's own deserializer and snapshot integrity check, as `pulumi policy analyze --file` does.
func TestShippedStacksPlanIntoValidState(t *testing.T) {
	for _, name := range shippedStacks(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			res, err := plan.Run(ctx, plan.Options{Stack: name})
			require.NoError(t, err)

			var untyped apitype.UntypedDeployment
			require.NoError(t, json.Unmarshal(res.State, &untyped))
			assert.Equal(t, 3, untyped.Version)
			snap, err := stack.DeserializeUntypedDeployment(ctx, &untyped, b64.Base64SecretsProvider)
			require.NoError(t, err)
			require.NoError(t, snap.VerifyIntegrity(), "parents, providers and dependencies precede their dependents")

			types := map[string]int{}
			defaults := 0
			for _, r := range snap.Resources {
				types[string(r.Type)]++
				if r.Custom && !strings.HasPrefix(string(r.Type), "pulumi:providers:") {
					assert.NotEmpty(t, r.ID, "%s has an ID", r.URN)
					assert.NotEmpty(t, r.Provider, "%s has a provider reference", r.URN)
				}
				if r.Type == "pulumi:providers:aws" && strings.HasPrefix(r.URN.Name(), "default") {
					defaults++
				}
			}
			assert.Equal(t, 1, types["pulumi:pulumi:Stack"])
			assert.Equal(t, 1, defaults, "one default aws provider")
			assert.Equal(t, 1, types["ess-ha:region:Region"])
			assert.Equal(t, 9, types["aws:ec2/subnet:Subnet"], "three tiers in three AZs")
			assert.Equal(t, 2, types["aws:autoscaling/group:Group"], "the ess and backend pools")

			root := snap.Resources[0]
			assert.Equal(t, "pulumi:pulumi:Stack", string(root.Type))
			assert.Contains(t, root.Outputs, resource.PropertyKey("entryPointDnsName"))
			assert.Contains(t, root.Outputs, resource.PropertyKey("databaseSecretArn"))
		})
	}
}

func TestPlanIsByteIdentical(t *testing.T) {
	ctx := context.Background()
	first, err := plan.Run(ctx, plan.Options{Stack: "prod-us-west-2"})
	require.NoError(t, err)
	second, err := plan.Run(ctx, plan.Options{Stack: "prod-us-west-2"})
	require.NoError(t, err)
	assert.Equal(t, string(first.State), string(second.State))
	assert.Equal(t, first.Summary, second.Summary)
}

// TestSummaryGolden holds the readable summary of each shipped stack; run with -update to rewrite.
func TestSummaryGolden(t *testing.T) {
	for _, name := range shippedStacks(t) {
		t.Run(name, func(t *testing.T) {
			res, err := plan.Run(context.Background(), plan.Options{Stack: name})
			require.NoError(t, err)
			golden := filepath.Join("testdata", name+".summary.golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(res.Summary), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./internal/plan -update to create %s", golden)
			assert.Equal(t, string(want), res.Summary)
		})
	}
}

func TestPlanErrorsNameTheProblem(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		opts plan.Options
		want []string
	}{
		{"no stack", plan.Options{}, []string{"no stack given"}},
		{"unknown stack", plan.Options{Stack: "prod-eu-west-9"}, []string{"prod-eu-west-9", "known stacks: prod-us-east-1, prod-us-west-2"}},
		{"bad config", plan.Options{Stack: "prod-us-east-1", Overrides: map[string]string{"availabilityZones": "1"}}, []string{"ess-ha:availabilityZones = 1", "at least 2 AZs"}},
		{"config of the wrong type", plan.Options{Stack: "prod-us-east-1", Overrides: map[string]string{"availabilityZones": "many"}}, []string{"availabilityZones"}},
		{"missing project dir", plan.Options{Stack: "prod-us-east-1", ProjectDir: t.TempDir()}, []string{"Pulumi.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plan.Run(ctx, tc.opts)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestPlanHonoursOverrides(t *testing.T) {
	res, err := plan.Run(context.Background(), plan.Options{Stack: "prod-us-east-1", Overrides: map[string]string{"availabilityZones": "2"}})
	require.NoError(t, err)
	subnets := 0
	for _, r := range res.Deployment.Resources {
		if r.Type == "aws:ec2/subnet:Subnet" {
			subnets++
		}
	}
	assert.Equal(t, 6, subnets, "three tiers in two AZs")
}
