package program_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/config"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/program"
)

// atTheLimits is a stack with every number and string of the configuration at the edge of what config
// accepts.
func atTheLimits(t *testing.T) map[string]string {
	t.Helper()
	str := func(n int, c string) string { return strings.Repeat(c, n) }
	// As many containers, with names, repositories and tags as long, as the user data estimate allows.
	containers := func(routed bool, prefix string) []config.Container {
		var cs []config.Container
		for i := 0; ; i++ {
			name := fmt.Sprintf("%s%02d-%s", prefix, i, str(63-len(prefix)-3, "n"))
			c := config.Container{Name: name, Repository: fmt.Sprintf("r%02d/%s", i, str(96-4, "r")), Tag: str(32, "t")}
			if routed {
				c.Port = 1 + i
				c.HealthPath = "/" + str(config.MaxHealthPathLength-1, "h")
			}
			if config.UserDataEstimate(append(cs, c)) > config.MaxUserData {
				break
			}
			cs = append(cs, c)
		}
		require.GreaterOrEqual(t, len(cs), 7)
		if routed {
			cs[0].Host, cs[1].Host, cs[2].Host = "@", "identity", "oidc"
			cs[4].Port = 65535
		}
		return cs
	}
	types := make([]string, config.MaxInstanceTypes)
	for i := range types {
		types[i] = fmt.Sprintf("m%di.%s", i+1, str(16, "x"))
	}
	pool := func(routed bool, prefix string) string {
		p := config.Pool{InstanceTypes: types, MinPerZone: config.MaxPerZone, MaxSize: config.MaxPoolSize, CPUTargetPercent: 99, Containers: containers(routed, prefix)}
		if !routed {
			p.MinPerZone, p.CPUTargetPercent = 0, 1
		}
		b, err := json.Marshal(p)
		require.NoError(t, err)
		return string(b)
	}
	zones := make([]string, config.MaxZones)
	for i := range zones {
		zones[i] = "us-east-1" + string(rune('a'+i))
	}
	zoneNames, err := json.Marshal(zones)
	require.NoError(t, err)
	return map[string]string{
		"aws:region":               "us-east-1",
		"ess-ha:deployment":        str(30, "d"),
		"ess-ha:domain":            str(61, "a") + ".co", // 64 characters, the certificate's limit
		"ess-ha:vpcCidr":           "10.0.0.0/22",
		"ess-ha:availabilityZones": fmt.Sprint(config.MaxZones),
		"ess-ha:zoneNames":         string(zoneNames),
		"ess-ha:logRetentionDays":  "3653",
		"ess-ha:alarmEmail":        str(config.MaxEmailLength-12, "e") + "@example.com",
		"ess-ha:amiId":             "resolve:ssm:/" + str(1010, "p"),
		"ess-ha:essPool":           pool(true, "e"),
		"ess-ha:backendPool":       pool(false, "b"),
		"ess-ha:database":          `{"instanceClass":"db.r6g.large","engineVersion":"16","allocatedStorageGiB":32768,"backupRetentionDays":35,"name":"` + str(63, "n") + `","username":"` + str(16, "u") + `"}`,
		"ess-ha:cache":             `{"nodeType":"cache.r6g.large","replicas":5,"engineVersion":"7.1"}`,
	}
}

// TestWhatConfigAcceptsTheComponentsAccept runs the program on stacks at the edges of what config
// accepts: every component must accept what config let through, so that every mistake in a stack file
// is reported by config, with its key, before any component runs.
func TestWhatConfigAcceptsTheComponentsAccept(t *testing.T) {
	stacks := map[string]map[string]string{"single region at the limits": atTheLimits(t)}
	owner := atTheLimits(t)
	owner["aws:allowedAccountIds"] = `["123456789012"]`
	owner["ess-ha:peerRegion"] = "ap-southeast-3" // the longest region name, in the stop buckets' names
	owner["ess-ha:pairRole"] = config.PairOwner
	owner["ess-ha:routingWeight"] = "255"
	owner["ess-ha:globalDatabase"] = `{"identifier":"` + strings.Repeat("g", 63) + `","instanceClass":"db.r6g.large","engineVersion":"11.9","backupRetentionDays":7}`
	owner["ess-ha:loadBalancers"] = config.LoadBalancersPerAz
	owner["ess-ha:gateway"] = config.GatewayAccelerator
	stacks["owner of a pair at the limits"] = owner
	for name, values := range stacks {
		t.Run(name, func(t *testing.T) {
			m := mocks.New("ess-ha", "limits", values["aws:region"])
			err := m.Run(values, func(ctx *pulumi.Context) error {
				_, err := program.Build(ctx)
				return err
			})
			require.NoError(t, err)
			for _, lt := range m.ByType("aws:ec2/launchTemplate:LaunchTemplate") {
				ud, err := base64.StdEncoding.DecodeString(lt.Inputs["userData"].StringValue())
				require.NoError(t, err)
				assert.LessOrEqual(t, len(ud), config.MaxUserData, "%s: user data of %d bytes: EC2 takes %d", lt.Name, len(ud), config.MaxUserData)
			}
		})
	}
}
