package config_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/config"
	"github.com/ess-ha/ess-ha/internal/mocks"
)

// load runs config.Load under the mocks with the given stack configuration.
func load(t *testing.T, values map[string]string) (*config.Config, error) {
	t.Helper()
	var (
		cfg     *config.Config
		loadErr error
	)
	err := mocks.New("ess-ha", "test", "us-east-1").Run(values, func(ctx *pulumi.Context) error {
		cfg, loadErr = config.Load(ctx)
		return nil
	})
	require.NoError(t, err)
	return cfg, loadErr
}

func valid() map[string]string {
	return map[string]string{"aws:region": "us-east-1", "ess-ha:domain": "solid.example.com"}
}

func TestLoadAppliesDefaults(t *testing.T) {
	cfg, err := load(t, valid())
	require.NoError(t, err)
	assert.Equal(t, 3, cfg.AvailabilityZones)
	assert.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c"}, cfg.Zones())
	assert.Equal(t, []string{"solid.example.com", "identity.solid.example.com", "oidc.solid.example.com"}, cfg.Hostnames())
	assert.Equal(t, config.Defaults().EssPool, cfg.EssPool)
}

func TestLoadReportsEachErrorWithKeyValueAndFix(t *testing.T) {
	cases := []struct {
		name, key, value string
		want             []string
	}{
		{"fewer than 2 AZs", "availabilityZones", "1", []string{"ess-ha:availabilityZones = 1", "at least 2 AZs"}},
		{"AZs not a number", "availabilityZones", "three", []string{"ess-ha:availabilityZones", "whole number"}},
		{"bad CIDR", "vpcCidr", "10.0.0.0/33", []string{"ess-ha:vpcCidr = \"10.0.0.0/33\"", "CIDR"}},
		{"host bits in CIDR", "vpcCidr", "10.0.0.1/16", []string{"no host bits"}},
		{"CIDR too small", "vpcCidr", "10.0.0.0/26", []string{"/16 to /22"}},
		{"bad domain", "domain", "not a domain", []string{"ess-ha:domain = \"not a domain\"", "DNS domain"}},
		{"single-label domain", "domain", "localhost", []string{"at least two labels"}},
		{"unknown load balancer option", "loadBalancers", "many", []string{"ess-ha:loadBalancers = \"many\"", "shared or perAz"}},
		{"unknown gateway", "gateway", "apigw", []string{"none or globalAccelerator"}},
		{"perAz without accelerator", "loadBalancers", "perAz", []string{"must be globalAccelerator when loadBalancers is perAz"}},
		{"pool with no containers", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"containers":[]}`, []string{"ess-ha:backendPool.containers = 0", "must list 1 to 20 containers"}},
		{"unknown pool field", "essPool", `{"instanceTypes":["m6i.large"],"minPerZone":1,"maxSize":9,"containerz":[]}`, []string{"ess-ha:essPool.containerz = []", `essPool has no key "containerz" (did you mean "containers"?)`}},
		{"public registry in repository", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"containers":[{"name":"x","repository":"docker.io/library/nginx","tag":"1.27"}]}`, []string{"private ECR registry", "never a registry host"}},
		{"latest tag", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"containers":[{"name":"x","repository":"backend/x","tag":"latest"}]}`, []string{"latest is not allowed"}},
		{"ess pool without one instance per AZ", "essPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":9,"containers":[{"name":"a","repository":"inrupt/a","tag":"1","port":80,"host":"@"},{"name":"b","repository":"inrupt/b","tag":"1","port":81,"host":"identity"},{"name":"c","repository":"inrupt/c","tag":"1","port":82,"host":"oidc"}]}`, []string{"ess-ha:essPool.minPerZone = 0", "must be from 1 to 100: the ess pool keeps an instance in every AZ"}},
		{"ess pool missing a required name", "essPool", `{"instanceTypes":["m6i.large"],"minPerZone":1,"maxSize":9,"containers":[{"name":"a","repository":"inrupt/a","tag":"1","port":80,"host":"@"}]}`, []string{"identity.solid.example.com", "oidc.solid.example.com"}},
		{"backend container with a host", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"containers":[{"name":"x","repository":"backend/x","tag":"1","port":80,"host":"www"}]}`, []string{"only the ess pool is reachable"}},
		{"short backups", "database", `{"instanceClass":"db.r6g.large","engineVersion":"16.4","allocatedStorageGiB":100,"backupRetentionDays":1,"name":"ess","username":"ess"}`, []string{"ess-ha:database.backupRetentionDays = 1", "must be from 7 to 35"}},
		{"cache without replica", "cache", `{"nodeType":"cache.r6g.large","replicas":0,"engineVersion":"7.1"}`, []string{"ess-ha:cache.replicas = 0", "must be from 1 to 5"}},
		{"zone names of another region", "zoneNames", `["us-west-2a","us-west-2b","us-west-2c"]`, []string{`ess-ha:zoneNames[0] = "us-west-2a"`, "an AZ of the stack's region us-east-1"}},
		{"bad retention", "logRetentionDays", "10", []string{"CloudWatch Logs retention"}},
		{"bad AMI", "amiId", "ubuntu", []string{"ami-", "resolve:ssm:"}},
		{"old single instance type", "essPool", `{"instanceType":"m6i.large","minPerZone":1,"maxSize":9,"containers":[]}`, []string{"ess-ha:essPool.instanceType", "replaced by instanceTypes"}},
		{"no instance type", "backendPool", `{"instanceTypes":[],"minPerZone":0,"maxSize":3,"containers":[{"name":"x","repository":"backend/x","tag":"1"}]}`, []string{"ess-ha:backendPool.instanceTypes = []", "must list 1 to 20"}},
		{"repeated instance type", "backendPool", `{"instanceTypes":["m6i.large","m6i.large"],"minPerZone":0,"maxSize":3,"containers":[{"name":"x","repository":"backend/x","tag":"1"}]}`, []string{`ess-ha:backendPool.instanceTypes[1] = "m6i.large"`, "must be a distinct EC2 instance type"}},
		// RDS upgrades minor versions itself; a pinned minor version makes every later up try to
		// downgrade, which RDS refuses.
		{"RDS minor version pinned", "database", `{"instanceClass":"db.r6g.large","engineVersion":"16.4","allocatedStorageGiB":100,"backupRetentionDays":14,"name":"ess","username":"ess"}`, []string{`ess-ha:database.engineVersion = "16.4"`, "must be a PostgreSQL major version such as 16"}},
		{"the former globalDatabase.role", "globalDatabase", `{"role":"primary","instanceClass":"db.r6g.large","engineVersion":"16.11","backupRetentionDays":14}`, []string{"globalDatabase.role is no longer used", "ess-ha:pairRole"}},
		{"a role without a peer", "pairRole", "owner", []string{"ess-ha:pairRole = \"owner\"", "without peerRegion"}},
		{"deployment too long for the stop buckets", "deployment", "a-deployment-name-of-31-chars-x", []string{"3 to 30", "<deployment>-stop-<account>-<region>"}},
		// S3 refuses bucket names that start with xn--, and the stop buckets start with the deployment.
		{"deployment with a prefix S3 reserves", "deployment", "xn--ess-prod", []string{`ess-ha:deployment = "xn--ess-prod"`, "not starting with xn--"}},
		// ECR repository names have at least two characters.
		{"one-character repository", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"containers":[{"name":"x","repository":"x","tag":"1"}]}`, []string{`ess-ha:backendPool.containers[0].repository = "x"`, "private ECR registry"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := valid()
			values["ess-ha:"+tc.key] = tc.value
			_, err := load(t, values)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func pair(role string) map[string]string {
	v := valid()
	v["aws:allowedAccountIds"] = `["123456789012"]`
	v["ess-ha:peerRegion"] = "us-west-2"
	v["ess-ha:pairRole"] = role
	if role == config.PairMember {
		v["ess-ha:peerStack"] = "prod-us-west-2"
	}
	return v
}

func TestLoadPair(t *testing.T) {
	cfg, err := load(t, pair(config.PairOwner))
	require.NoError(t, err)
	assert.True(t, cfg.Owner())
	assert.False(t, cfg.Member())
	assert.Equal(t, "123456789012", cfg.AccountID)
	assert.Equal(t, config.DefaultAuroraVersion, cfg.GlobalDatabase.EngineVersion)

	cfg, err = load(t, pair(config.PairMember))
	require.NoError(t, err)
	assert.True(t, cfg.Member())
	assert.Equal(t, "prod-us-west-2", cfg.PeerStack)
}

func TestLoadPairErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(map[string]string)
		want   []string
	}{
		{"no role", func(v map[string]string) { delete(v, "ess-ha:pairRole") }, []string{"ess-ha:pairRole", "owner", "member", "NOT which region writes"}},
		{"unknown role", func(v map[string]string) { v["ess-ha:pairRole"] = "primary" }, []string{"ess-ha:pairRole = \"primary\""}},
		{"member without its owner", func(v map[string]string) { v["ess-ha:pairRole"] = "member" }, []string{"ess-ha:peerStack", "must name the owner's stack"}},
		{"owner with a peer stack", func(v map[string]string) { v["ess-ha:peerStack"] = "prod-us-west-2" }, []string{"must be empty on the owner"}},
		{"member with its own zone", func(v map[string]string) {
			v["ess-ha:pairRole"], v["ess-ha:peerStack"], v["ess-ha:hostedZoneId"] = "member", "prod-us-west-2", "Z0123456789ABCDEFGHIJ"
		}, []string{"ess-ha:hostedZoneId", "must be empty on the member", "one hosted zone"}},
		{"no account", func(v map[string]string) { delete(v, "aws:allowedAccountIds") }, []string{"aws:allowedAccountIds is not set"}},
		{"two accounts", func(v map[string]string) { v["aws:allowedAccountIds"] = `["123456789012","210987654321"]` }, []string{"exactly one 12-digit AWS account ID"}},
		{"Aurora major version only", func(v map[string]string) {
			v["ess-ha:globalDatabase"] = `{"instanceClass":"db.r6g.large","engineVersion":"16","backupRetentionDays":14}`
		}, []string{`ess-ha:globalDatabase.engineVersion = "16"`, "must be an Aurora PostgreSQL major.minor version"}},
		{"Aurora before 11", func(v map[string]string) {
			v["ess-ha:globalDatabase"] = `{"instanceClass":"db.r6g.large","engineVersion":"10.21","backupRetentionDays":14}`
		}, []string{`ess-ha:globalDatabase.engineVersion = "10.21"`, "11 or later"}},
		{"a burstable global instance", func(v map[string]string) {
			v["ess-ha:globalDatabase"] = `{"instanceClass":"db.t4g.medium","engineVersion":"16.11","backupRetentionDays":14}`
		}, []string{`ess-ha:globalDatabase.instanceClass = "db.t4g.medium"`, "burstable"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := pair(config.PairOwner)
			tc.change(v)
			_, err := load(t, v)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadRequiresRegionAndDomain(t *testing.T) {
	_, err := load(t, map[string]string{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aws:region is not set")
	assert.Contains(t, err.Error(), "ess-ha:domain")
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	values := valid()
	values["ess-ha:availabilityZones"] = "1"
	values["ess-ha:gateway"] = "x"
	_, err := load(t, values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "availabilityZones")
	assert.Contains(t, err.Error(), "gateway")
}

// TestPulumiYAMLDeclaresEveryKeyWithTheSameDefault keeps Pulumi.yaml's config section and the Go
// defaults in step: the engine applies one, the program the other.
func TestPulumiYAMLDeclaresEveryKeyWithTheSameDefault(t *testing.T) {
	raw, err := fs.ReadFile(essha.ProjectFiles(), "Pulumi.yaml")
	require.NoError(t, err)
	proj, err := workspace.LoadProjectBytes(raw, "Pulumi.yaml", encoding.YAML)
	require.NoError(t, err)
	declared := config.Declared()
	assert.Len(t, proj.Config, len(declared), "Pulumi.yaml declares exactly the keys the program reads")
	for key, want := range declared {
		t.Run(key, func(t *testing.T) {
			got, ok := proj.Config[key]
			require.True(t, ok, "Pulumi.yaml must declare %s", key)
			assert.NotEmpty(t, got.Description, "every key has a description")
			if want == nil {
				assert.Nil(t, got.Default, "%s is required: no default", key)
				return
			}
			wantJSON, err := json.Marshal(want)
			require.NoError(t, err)
			gotJSON, err := json.Marshal(got.Default)
			require.NoError(t, err)
			var wantV, gotV any
			require.NoError(t, json.Unmarshal(wantJSON, &wantV))
			require.NoError(t, json.Unmarshal(gotJSON, &gotV))
			assert.Equal(t, wantV, gotV, "default of %s", key)
		})
	}
}

// TestRegionNumbersOfSeveralDigits: an AWS region's number may have several digits (the SDKs'
// partition rule), so ap-southeast-10 and its zones are accepted; the rule used to allow one digit.
func TestRegionNumbersOfSeveralDigits(t *testing.T) {
	values := valid()
	values["aws:region"] = "ap-southeast-10"
	values["ess-ha:zoneNames"] = `["ap-southeast-10a","ap-southeast-10b","ap-southeast-10c"]`
	cfg, err := load(t, values)
	require.NoError(t, err)
	assert.Equal(t, "ap-southeast-10", cfg.Region)

	p := pair(config.PairOwner)
	p["ess-ha:peerRegion"] = "ap-southeast-11"
	_, err = load(t, p)
	require.NoError(t, err)
}

// TestGlobalIdentifierLength: an RDS identifier has at most 63 characters, hyphens included; the
// rule used to count a hyphen and the character after it as one.
func TestGlobalIdentifierLength(t *testing.T) {
	p := pair(config.PairOwner)
	long := "a" + strings.Repeat("-a", 40) // 81 characters
	p["ess-ha:globalDatabase"] = `{"identifier":"` + long + `"}`
	_, err := load(t, p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ess-ha:globalDatabase.identifier")
}
