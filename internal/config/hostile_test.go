package config_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/config"
)

// essPool is a valid ess pool with its numbers and containers replaced.
func essPool(minPerZone, maxSize int, containers string) string {
	if containers == "" {
		containers = `[{"name":"a","repository":"inrupt/a","tag":"1","port":8081,"host":"@"},{"name":"b","repository":"inrupt/b","tag":"1","port":8082,"host":"identity"},{"name":"c","repository":"inrupt/c","tag":"1","port":8083,"host":"oidc"}]`
	}
	return fmt.Sprintf(`{"instanceTypes":["m6i.large"],"minPerZone":%d,"maxSize":%d,"cpuTargetPercent":50,"containers":%s}`, minPerZone, maxSize, containers)
}

// TestNumbersHaveRanges: every number of the configuration has a range that makes sense for AWS; the
// product of two of them can no longer overflow past validation (minPerZone 2^62 with 2 AZs made a
// group of minSize -2^63 that passed).
func TestNumbersHaveRanges(t *testing.T) {
	huge := "4611686018427387904"
	cases := []struct {
		name, key, value string
		want             []string
	}{
		{"minPerZone that overflows", "essPool", strings.Replace(essPool(1, 9, ""), `"minPerZone":1`, `"minPerZone":`+huge, 1),
			[]string{"ess-ha:essPool.minPerZone = " + huge, "must be from 1 to 100"}},
		{"maxSize beyond a pool", "essPool", essPool(1, 100000, ""), []string{"ess-ha:essPool.maxSize = 100000", "must be from 1 to 1000"}},
		{"maxSize below the minimum", "essPool", essPool(2, 5, ""), []string{"ess-ha:essPool.maxSize = 5", "minPerZone x availabilityZones (2 x 3 = 6)"}},
		{"negative maxSize", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":-1,"cpuTargetPercent":50,"containers":[{"name":"x","repository":"backend/x","tag":"1"}]}`, []string{"ess-ha:backendPool.maxSize = -1"}},
		{"storage beyond an RDS volume", "database", `{"instanceClass":"db.r6g.large","engineVersion":"16","allocatedStorageGiB":70000,"backupRetentionDays":14,"name":"ess","username":"ess"}`,
			[]string{"ess-ha:database.allocatedStorageGiB = 70000", "must be from 20 to 32768", "64 TiB"}},
		{"too little storage", "database", `{"instanceClass":"db.r6g.large","engineVersion":"16","allocatedStorageGiB":5,"backupRetentionDays":14,"name":"ess","username":"ess"}`,
			[]string{"ess-ha:database.allocatedStorageGiB = 5"}},
		{"a weight beyond Route 53's", "routingWeight", "256", []string{"ess-ha:routingWeight = 256", "from 0 to 255"}},
		{"a number too big for an int", "availabilityZones", "99999999999999999999", []string{"ess-ha:availabilityZones", "whole number"}},
		{"a fraction", "essPool", strings.Replace(essPool(1, 9, ""), `"maxSize":9`, `"maxSize":9.5`, 1), []string{"ess-ha:essPool.maxSize = 9.5", "whole number"}},
		{"a number past int64 in an object", "essPool", strings.Replace(essPool(1, 9, ""), `"maxSize":9`, `"maxSize":1e400`, 1), []string{"ess-ha:essPool.maxSize", "whole number"}},
		{"a port beyond TCP's", "essPool", essPool(1, 9, `[{"name":"a","repository":"inrupt/a","tag":"1","port":65536,"host":"@"}]`), []string{"ess-ha:essPool.containers[0].port = 65536"}},
		{"a user data script over 16 KB", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"cpuTargetPercent":50,"containers":[` + strings.Repeat(`{"name":"x","repository":"backend/`+strings.Repeat("x", 250)+`","tag":"1"},`, 9) + `{"name":"y","repository":"backend/x","tag":"1"}]}`,
			[]string{"ess-ha:backendPool.containers = ", "more than the 16384 EC2 takes"}},
		{"too many containers", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"cpuTargetPercent":50,"containers":[` + strings.Repeat(`{"name":"x","repository":"backend/x","tag":"1"},`, 20) + `{"name":"y","repository":"backend/x","tag":"1"}]}`,
			[]string{"ess-ha:backendPool.containers = 21", "1 to 20 containers"}},
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

// TestStringsAreBounded: a 2 MB value of any string key is an error that names the key and shows only
// the start of the value; so are values just past each AWS limit.
func TestStringsAreBounded(t *testing.T) {
	big := strings.Repeat("a", 2<<20)
	for _, key := range []string{"alarmEmail", "amiId", "domain", "deployment", "vpcCidr", "hostedZoneId", "peerRegion", "essPool", "zoneNames"} {
		t.Run(key, func(t *testing.T) {
			values := valid()
			values["ess-ha:"+key] = big
			_, err := load(t, values)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "ess-ha:"+key+" = ")
			assert.Contains(t, err.Error(), fmt.Sprintf("(%d bytes)", len(big)+2), "the error shows the value's length")
			assert.Less(t, len(err.Error()), 4096, "the error does not repeat the value")
		})
	}
	for _, tc := range []struct{ key, value, want string }{
		{"alarmEmail", strings.Repeat("a", 250) + "@example.com", "at most 254 characters"},
		{"amiId", "ami-" + strings.Repeat("0", 2000), "ami- and 8 or 17 hexadecimal digits"},
		{"amiId", "resolve:ssm:/" + strings.Repeat("a", 1200), "at most 1011 characters"},
		{"essPool", strings.Replace(essPool(1, 9, ""), `["m6i.large"]`, `["`+strings.Repeat("m", 100)+`6.large"]`, 1), "must be a distinct EC2 instance type"},
	} {
		t.Run(tc.key+" past its limit", func(t *testing.T) {
			values := valid()
			values["ess-ha:"+tc.key] = tc.value
			_, err := load(t, values)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestConfigErrorsNameTheKey: the checks a component made with its internal field names are made by
// config first, naming the config key, the value and what is allowed.
func TestConfigErrorsNameTheKey(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, key, value string
		want             []string
	}{
		// A 253-character domain passed config and failed as TrafficArgs.Hostnames[1].
		{"a domain too long for the certificate", "domain", long(60) + ".example.com", []string{"ess-ha:domain = ", "72 characters long; at most 64", "Common Name of the ACM certificate"}},
		{"a domain of 253 characters", "domain", strings.Repeat(long(60)+".", 4) + "com", []string{"ess-ha:domain = ", "at most 64"}},
		{"a label too long", "domain", long(64) + ".com", []string{"ess-ha:domain = ", "label 1", "64 characters long; a DNS label has at most 63"}},
		{"a bad label", "domain", "ex_ample.com", []string{"label 1 (\"ex_ample\")"}},
		{"a numeric top-level domain", "domain", "example.123", []string{"last label \"123\""}},
		// healthPath failed as EdgeArgs.Routes[0].HealthPath.
		{"a relative health path", "essPool", essPool(1, 9, `[{"name":"a","repository":"inrupt/a","tag":"1","port":8081,"host":"@","healthPath":"health"},{"name":"b","repository":"inrupt/b","tag":"1","port":8082,"host":"identity"},{"name":"c","repository":"inrupt/c","tag":"1","port":8083,"host":"oidc"}]`),
			[]string{`ess-ha:essPool.containers[0].healthPath = "health"`, "absolute URL path"}},
		{"a health path Route 53 refuses", "essPool", essPool(1, 9, `[{"name":"a","repository":"inrupt/a","tag":"1","port":8081,"host":"@","healthPath":"/`+long(300)+`"},{"name":"b","repository":"inrupt/b","tag":"1","port":8082,"host":"identity"},{"name":"c","repository":"inrupt/c","tag":"1","port":8083,"host":"oidc"}]`),
			[]string{"ess-ha:essPool.containers[0].healthPath", "at most 255"}},
		{"a health path with a space", "essPool", essPool(1, 9, `[{"name":"a","repository":"inrupt/a","tag":"1","port":8081,"host":"@","healthPath":"/he alth"},{"name":"b","repository":"inrupt/b","tag":"1","port":8082,"host":"identity"},{"name":"c","repository":"inrupt/c","tag":"1","port":8083,"host":"oidc"}]`),
			[]string{`healthPath = "/he alth"`}},
		// zoneNames failed as NetworkArgs.Zones.
		{"a zone name that is not one", "zoneNames", `["us-east-1a","us-east-1-wl1","us-east-1c"]`, []string{`ess-ha:zoneNames[1] = "us-east-1-wl1"`, "Local and Wavelength Zones"}},
		{"a zone listed twice", "zoneNames", `["us-east-1a","us-east-1a","us-east-1c"]`, []string{`ess-ha:zoneNames[1] = "us-east-1a"`, "listed twice"}},
		{"too few zone names", "zoneNames", `["us-east-1a","us-east-1b"]`, []string{"ess-ha:zoneNames = ", "exactly availabilityZones (3)"}},
		// Duplicate container names across pools failed in the region component.
		{"a container name in both pools", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"cpuTargetPercent":50,"containers":[{"name":"ess-ldp","repository":"backend/x","tag":"1"}]}`,
			[]string{`ess-ha:backendPool.containers[0].name = "ess-ldp"`, "already the name of essPool.containers[0].name"}},
		{"a container name twice in a pool", "backendPool", `{"instanceTypes":["m6i.large"],"minPerZone":0,"maxSize":3,"cpuTargetPercent":50,"containers":[{"name":"x","repository":"backend/x","tag":"1"},{"name":"x","repository":"backend/y","tag":"1"}]}`,
			[]string{`ess-ha:backendPool.containers[1].name = "x"`}},
		{"the reserved master user", "database", `{"instanceClass":"db.r6g.large","engineVersion":"16","allocatedStorageGiB":100,"backupRetentionDays":14,"name":"ess","username":"rdsadmin"}`,
			[]string{`ess-ha:database.username = "rdsadmin"`}},
		{"an instance type without a generation", "essPool", strings.Replace(essPool(1, 9, ""), `"m6i.large"`, `"m.large"`, 1), []string{`ess-ha:essPool.instanceTypes[0] = "m.large"`}},
		{"a cache version that is not one", "cache", `{"nodeType":"cache.r6g.large","replicas":1,"engineVersion":"seven"}`, []string{`ess-ha:cache.engineVersion = "seven"`}},
		// A value that is not JSON named neither key nor value.
		{"a pool that is not JSON", "essPool", "{not json", []string{`ess-ha:essPool = "{not json"`, "must be an object with the keys instanceTypes, minPerZone"}},
		{"a pool that is null", "essPool", "null", []string{"ess-ha:essPool = null", "must be an object"}},
		{"a key given twice", "cache", `{"nodeType":"cache.r6g.large","replicas":1,"replicas":2,"engineVersion":"7.1"}`, []string{"ess-ha:cache = ", `key "replicas" is given twice`}},
		{"a list where an object goes", "cache", `[1]`, []string{"ess-ha:cache = [1]", "must be an object"}},
		{"a string where a number goes", "cache", `{"nodeType":"cache.r6g.large","replicas":"2","engineVersion":"7.1"}`, []string{`ess-ha:cache.replicas = "2"`, "must be a whole number"}},
		{"text after the value", "zoneNames", `["us-east-1a"] x`, []string{"ess-ha:zoneNames = ", "text after the value"}},
		{"a key in other case", "cache", `{"NodeType":"cache.r6g.large"}`, []string{"ess-ha:cache.NodeType", `did you mean "nodeType"?`}},
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
			assert.NotRegexp(t, `[A-Z][a-z]+Args\.`, err.Error(), "no component's field names")
		})
	}
}

// TestAGivenListReplacesTheDefault: a list given in a stack file replaces the default list whole; its
// elements do not inherit the fields of the default elements at the same position (the first ess
// container used to inherit host "@" and port 8081, and was silently routed).
func TestAGivenListReplacesTheDefault(t *testing.T) {
	values := valid()
	values["ess-ha:essPool"] = essPool(1, 9, `[{"name":"a","repository":"inrupt/a","tag":"1"},{"name":"b","repository":"inrupt/b","tag":"1","port":8082,"host":"identity"},{"name":"c","repository":"inrupt/c","tag":"1","port":8083,"host":"oidc"},{"name":"d","repository":"inrupt/d","tag":"1","port":8084,"host":"@"}]`)
	cfg, err := load(t, values)
	require.NoError(t, err)
	first := cfg.EssPool.Containers[0]
	assert.Equal(t, config.Container{Name: "a", Repository: "inrupt/a", Tag: "1"}, first)

	values["ess-ha:essPool"] = `{"minPerZone":2}`
	cfg, err = load(t, values)
	require.NoError(t, err)
	assert.Equal(t, 2, cfg.EssPool.MinPerZone)
	assert.Equal(t, config.Defaults().EssPool.Containers, cfg.EssPool.Containers, "keys not given keep their defaults")
}

// TestUnknownKeysAreErrors: under `pulumi up` the engine passes the whole stack configuration in
// PULUMI_CONFIG; a key of the project's namespace that the program does not read is an error that
// suggests the closest known key.
func TestUnknownKeysAreErrors(t *testing.T) {
	values := valid()
	values["ess-ha:availabilityZone"] = "1"
	values["ess-ha:nonexistent"] = "5"
	values[":"] = "1"
	values["aws:profile"] = "prod" // other namespaces are not the project's to check
	raw, err := json.Marshal(values)
	require.NoError(t, err)
	t.Setenv(pulumi.EnvConfig, string(raw))
	_, err = load(t, values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `config "ess-ha:availabilityZone" is not a key of this project (did you mean "availabilityZones"?)`)
	assert.Contains(t, err.Error(), `config "ess-ha:nonexistent" is not a key of this project: the keys are`)
	assert.Contains(t, err.Error(), `config key ":" is invalid`)
	assert.NotContains(t, err.Error(), "aws:profile")

	delete(values, "ess-ha:availabilityZone")
	delete(values, "ess-ha:nonexistent")
	delete(values, ":")
	raw, err = json.Marshal(values)
	require.NoError(t, err)
	t.Setenv(pulumi.EnvConfig, string(raw))
	_, err = load(t, values)
	require.NoError(t, err)
}

func TestCheckKeys(t *testing.T) {
	assert.Empty(t, config.CheckKeys([]string{"ess-ha:domain", "aws:region", "ess-ha:essPool"}))
	errs := config.CheckKeys([]string{"ess-ha:vpcCIDR", "domain", "ess-ha:"})
	require.Len(t, errs, 3)
	assert.ErrorContains(t, errs[0], `config key "domain" is invalid`)
	assert.ErrorContains(t, errs[1], `config key "ess-ha:" is invalid`)
	assert.ErrorContains(t, errs[2], `(did you mean "vpcCidr"?)`)
}

// TestShow: values in errors are cut to a few dozen characters with their length.
func TestShow(t *testing.T) {
	assert.Equal(t, `"short"`, config.Show("short"))
	assert.Equal(t, "12", config.Show(12))
	long := config.Show(strings.Repeat("é", 1000))
	assert.True(t, strings.HasSuffix(long, "…(2002 bytes)"), long)
	assert.Less(t, len(long), 200)
}

// TestUnknownKeysDoNotHideOtherProblems: an object with a misspelt key and a bad value reports both.
func TestUnknownKeysDoNotHideOtherProblems(t *testing.T) {
	values := valid()
	values["ess-ha:essPool"] = strings.Replace(essPool(1, 9, ""), `"minPerZone":1`, `"minPerZone":4611686018427387904,"containerz":[]`, 1)
	_, err := load(t, values)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `essPool has no key "containerz" (did you mean "containers"?)`)
	assert.Contains(t, err.Error(), "ess-ha:essPool.minPerZone = 4611686018427387904")
}
