package pool

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

const registryHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

func fakeArgs(role string) *PoolArgs {
	p := essPool()
	if role == RoleBackend {
		p = backendPool()
	}
	args := &PoolArgs{
		Role:           role,
		Region:         "us-east-1",
		VpcID:          pulumi.String("vpc-0123456789abcdef0"),
		SubnetIDs:      pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b").ToStringOutput(), pulumi.String("subnet-c")},
		Zones:          3,
		InstanceTypes:  p.InstanceTypes,
		AmiID:          testAMI,
		MinPerZone:     p.MinPerZone,
		MaxSize:        p.MaxSize,
		Containers:     p.Containers,
		RepositoryURLs: map[string]pulumi.StringOutput{},
		RepositoryArns: map[string]pulumi.StringOutput{},
		LogGroupNames:  map[string]pulumi.StringOutput{},
		LogGroupArns:   map[string]pulumi.StringOutput{},
		ParameterPath:  "/ess-ha/test/",
		Tags:           map[string]string{"project": "ess-ha"},
	}
	for _, c := range p.Containers {
		args.RepositoryURLs[c.Repository] = pulumi.String(registryHost + "/" + c.Repository).ToStringOutput()
		args.RepositoryArns[c.Repository] = pulumi.String("arn:aws:ecr:us-east-1:123456789012:repository/" + c.Repository).ToStringOutput()
		args.LogGroupNames[c.Name] = pulumi.String("/ess-ha/test/" + role + "/" + c.Name).ToStringOutput()
		args.LogGroupArns[c.Name] = pulumi.String("arn:aws:logs:us-east-1:123456789012:log-group:/ess-ha/test/" + role + "/" + c.Name).ToStringOutput()
	}
	if role == RoleEss {
		args.IngressSecurityGroupID = pulumi.String("sg-loadbalancers").ToStringOutput()
		args.TargetGroupArns = pulumi.StringArray{
			pulumi.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ldp/1"),
			pulumi.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/identity/2"),
			pulumi.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/oidc/3"),
		}
		args.InstanceTypes = []string{"m6i.large", "m7i.large", "m5.large"}
		args.SecretArnPatterns = []string{"arn:aws:secretsmanager:us-east-1:*:secret:rds!db-*", "arn:aws:secretsmanager:us-east-1:*:secret:pool-cache-*"}
		args.SecretKmsKeyArns = pulumi.StringArray{pulumi.String("arn:aws:kms:us-east-1:123456789012:key/db")}
		args.Secrets = []SecretEnv{DatabaseCredentials(), CacheAuthToken()}
	}
	return args
}

func run(t *testing.T, args *PoolArgs) (*mocks.Mocks, *Pool, error) {
	t.Helper()
	m := mocks.New("ess-ha", "test", "us-east-1")
	var comp *Pool
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewPool(ctx, "pool", args)
		return err
	})
	return m, comp, err
}

func groupTags(g *mocks.Registration) map[string]bool {
	out := map[string]bool{}
	for _, tag := range g.Inputs["tags"].ArrayValue() {
		o := tag.ObjectValue()
		out[o["key"].StringValue()+"="+o["value"].StringValue()] = o["propagateAtLaunch"].BoolValue()
	}
	return out
}

func userDataScript(t *testing.T, m *mocks.Mocks) string {
	t.Helper()
	lt := mockstest.One(t, m, "aws:ec2/launchTemplate:LaunchTemplate")
	raw, err := base64.StdEncoding.DecodeString(lt.Inputs["userData"].StringValue())
	require.NoError(t, err, "the user data is base64")
	return string(raw)
}

var imageRef = regexp.MustCompile(`(?m)^(?:docker run .* |retry_forever with_ecr_login docker pull )(\S+)$`)

// images returns every image reference the script pulls or runs.
func images(script string) []string {
	var out []string
	for _, m := range imageRef.FindAllStringSubmatch(script, -1) {
		out = append(out, m[1])
	}
	return out
}

type statement struct {
	Sid       string
	Action    []string
	Resource  any
	Condition map[string]map[string]string
}

func policyStatements(t *testing.T, doc string) map[string]statement {
	t.Helper()
	var p struct{ Statement []statement }
	require.NoError(t, json.Unmarshal([]byte(doc), &p))
	out := map[string]statement{}
	for _, s := range p.Statement {
		out[s.Sid] = s
	}
	return out
}

func TestEssPool(t *testing.T) {
	t.Parallel()
	args := fakeArgs(RoleEss)
	m, comp, err := run(t, args)
	require.NoError(t, err)

	group := mockstest.One(t, m, "aws:autoscaling/group:Group")
	in := group.Inputs
	assert.Equal(t, []string{"subnet-a", "subnet-b", "subnet-c"}, mockstest.Strings(in["vpcZoneIdentifiers"]), "the group spans every AZ's subnet")
	assert.GreaterOrEqual(t, in["minSize"].NumberValue(), 3.0, "at least one ess instance per AZ")
	assert.Equal(t, 3.0, in["minSize"].NumberValue())
	assert.Equal(t, 3.0, in["desiredCapacity"].NumberValue())
	assert.Equal(t, 9.0, in["maxSize"].NumberValue())
	assert.Equal(t, "ELB", in["healthCheckType"].StringValue(), "the load balancers' health checks replace bad instances")
	assert.Equal(t, 300.0, in["healthCheckGracePeriod"].NumberValue())
	assert.Len(t, mockstest.Strings(in["targetGroupArns"]), 3)
	assert.Contains(t, mockstest.Strings(in["targetGroupArns"]), "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ldp/1")
	tags := groupTags(group)
	assert.True(t, tags["pool=ess"], "the pool tag is propagated at launch")
	assert.True(t, tags["project=ess-ha"])
	assert.True(t, tags["Name=pool"])
	for k, propagated := range tags {
		assert.True(t, propagated, "tag %s propagates at launch", k)
	}
	assertLaunchFirst(t, in)
	assert.True(t, in["capacityRebalance"].BoolValue())
	assert.Contains(t, mockstest.Strings(in["enabledMetrics"]), "GroupInServiceInstances", "the in-service alarm has data")
	assertLifecycle(t, m, group)
	assertScalingPolicy(t, m, group, DefaultCPUTargetPercent)

	// Several instance types, in order of preference, on demand.
	lt := mockstest.One(t, m, "aws:ec2/launchTemplate:LaunchTemplate")
	assert.NotContains(t, in, resource.PropertyKey("launchTemplate"), "the mixed instances policy names the template")
	mixed := in["mixedInstancesPolicy"].ObjectValue()
	spec := mixed["launchTemplate"].ObjectValue()["launchTemplateSpecification"].ObjectValue()
	assert.Equal(t, lt.ID, spec["launchTemplateId"].StringValue())
	assert.NotContains(t, spec, resource.PropertyKey("launchTemplateName"), "AWS takes the template's ID or its name, not both")
	assert.Equal(t, "1", spec["version"].StringValue(), "the template's latest version, so changes trigger an instance refresh")
	var types []string
	for _, o := range mixed["launchTemplate"].ObjectValue()["overrides"].ArrayValue() {
		types = append(types, o.ObjectValue()["instanceType"].StringValue())
	}
	assert.Equal(t, []string{"m6i.large", "m7i.large", "m5.large"}, types, "one override per type, in order of preference")
	dist := mixed["instancesDistribution"].ObjectValue()
	assert.Equal(t, "prioritized", dist["onDemandAllocationStrategy"].StringValue(), "the order of the types matters")
	assert.Equal(t, 0.0, dist["onDemandBaseCapacity"].NumberValue())
	assert.Equal(t, 100.0, dist["onDemandPercentageAboveBaseCapacity"].NumberValue(), "on-demand only")
	lin := lt.Inputs
	assert.Equal(t, testAMI, lin["imageId"].StringValue())
	assert.NotContains(t, lin, resource.PropertyKey("instanceType"), "the overrides set the instance type")
	md := lin["metadataOptions"].ObjectValue()
	assert.Equal(t, "required", md["httpTokens"].StringValue(), "IMDSv2 only")
	assert.Equal(t, "enabled", md["httpEndpoint"].StringValue())
	assert.Equal(t, 2.0, md["httpPutResponseHopLimit"].NumberValue())
	assert.Equal(t, "enabled", md["instanceMetadataTags"].StringValue(), "the user data reads the group's name from the instance's tags")
	bdm := lin["blockDeviceMappings"].ArrayValue()
	require.Len(t, bdm, 1)
	assert.Equal(t, "/dev/xvda", bdm[0].ObjectValue()["deviceName"].StringValue())
	ebs := bdm[0].ObjectValue()["ebs"].ObjectValue()
	assert.Equal(t, "gp3", ebs["volumeType"].StringValue())
	assert.Equal(t, "true", ebs["encrypted"].StringValue(), "the root volume is encrypted")
	assert.Equal(t, 30.0, ebs["volumeSize"].NumberValue())
	assert.Equal(t, "true", ebs["deleteOnTermination"].StringValue())
	nics := lin["networkInterfaces"].ArrayValue()
	require.Len(t, nics, 1)
	assert.Equal(t, "false", nics[0].ObjectValue()["associatePublicIpAddress"].StringValue(), "no public IP")
	sg := mockstest.One(t, m, "aws:ec2/securityGroup:SecurityGroup")
	assert.Equal(t, []string{sg.ID}, mockstest.Strings(nics[0].ObjectValue()["securityGroups"]))
	assert.NotContains(t, lin, resource.PropertyKey("vpcSecurityGroupIds"), "security groups are set on the interface only")
	profile := mockstest.One(t, m, "aws:iam/instanceProfile:InstanceProfile")
	assert.Equal(t, profile.Outputs["arn"].StringValue(), lin["iamInstanceProfile"].ObjectValue()["arn"].StringValue())
	assert.True(t, lin["monitoring"].ObjectValue()["enabled"].BoolValue())
	specs := map[string]bool{}
	for _, s := range lin["tagSpecifications"].ArrayValue() {
		o := s.ObjectValue()
		assert.Equal(t, "ess", o["tags"].ObjectValue()["pool"].StringValue())
		specs[o["resourceType"].StringValue()] = true
	}
	assert.Equal(t, map[string]bool{"instance": true, "volume": true}, specs)

	script := userDataScript(t, m)
	imgs := images(script)
	require.Len(t, imgs, 6, "each of the 3 containers is pulled and run")
	allowed := map[string]bool{}
	for _, c := range args.Containers {
		allowed[registryHost+"/"+c.Repository+":"+c.Tag] = true
	}
	for _, img := range imgs {
		assert.True(t, allowed[img], "image %s is <private repository URL>:<tag>", img)
	}
	assert.Equal(t, 3, strings.Count(script, "\ndocker run "))
	assert.Contains(t, script, "retry_forever dnf install -y docker jq\n")
	assert.Contains(t, script, "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin "+registryHost+" >/dev/null\n")
	assert.Contains(t, script, "aws ssm get-parameters-by-path --region us-east-1 --path /ess-ha/test ")
	assert.Contains(t, script, "--name ess-ldp --log-driver awslogs --log-opt awslogs-group=/ess-ha/test/ess/ess-ldp --log-opt awslogs-region=us-east-1")
	assert.Contains(t, script, " -p 8081:8081 --env-file "+EnvFile+" --env-file "+SecretsFile+" ")
	assertNoSecretInUserData(t, script, "us-east-1")

	// IAM: trusted by EC2, SSM core, least privilege inline policy.
	role := mockstest.One(t, m, "aws:iam/role:Role")
	assert.Contains(t, role.Inputs["assumeRolePolicy"].StringValue(), `"Service":"ec2.amazonaws.com"`)
	attach := mockstest.One(t, m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", attach.Inputs["policyArn"].StringValue())
	assert.Equal(t, role.ID, attach.Inputs["role"].StringValue())
	st := policyStatements(t, rolePolicy(t, m, "pool-policy").Inputs["policy"].StringValue())
	assert.Equal(t, []string{"ecr:GetAuthorizationToken"}, st["EcrLogin"].Action)
	assert.Equal(t, "*", st["EcrLogin"].Resource, "AWS grants the login token on * only")
	assert.ElementsMatch(t, []any{
		"arn:aws:ecr:us-east-1:123456789012:repository/inrupt/ess-identity",
		"arn:aws:ecr:us-east-1:123456789012:repository/inrupt/ess-ldp",
		"arn:aws:ecr:us-east-1:123456789012:repository/inrupt/ess-oidc-broker",
	}, st["EcrPull"].Resource, "pulls from exactly the pool's repositories")
	assert.ElementsMatch(t, []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}, st["EcrPull"].Action)
	assert.Len(t, st["Logs"].Resource, 6, "each log group and its streams")
	assert.Contains(t, st["Logs"].Resource, "arn:aws:logs:us-east-1:123456789012:log-group:/ess-ha/test/ess/ess-ldp:*")
	assert.ElementsMatch(t, []any{
		"arn:aws:ssm:us-east-1:*:parameter/ess-ha/test",
		"arn:aws:ssm:us-east-1:*:parameter/ess-ha/test/*",
	}, st["Settings"].Resource)
	assert.Equal(t, []any{"arn:aws:secretsmanager:us-east-1:*:secret:pool-cache-*", "arn:aws:secretsmanager:us-east-1:*:secret:rds!db-*"}, st["Secrets"].Resource)
	assert.Equal(t, []string{"secretsmanager:GetSecretValue"}, st["Secrets"].Action)
	assert.Equal(t, "secretsmanager.us-east-1.amazonaws.com", st["SecretKeys"].Condition["StringEquals"]["kms:ViaService"])
	for sid, s := range st {
		if sid != "EcrLogin" {
			assert.NotContains(t, s.Resource, "*", "%s has no wildcard resource", sid)
			assert.NotEqual(t, "*", s.Resource, "%s has no wildcard resource", sid)
		}
		for _, a := range s.Action {
			assert.NotContains(t, a, "*", "%s has no wildcard action", sid)
		}
	}

	// Network: container ports from the load balancers' group only, no CIDR ingress, HTTPS egress.
	ingress := m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
	require.Len(t, ingress, 3)
	ports := map[float64]bool{}
	for _, r := range ingress {
		assert.Equal(t, "sg-loadbalancers", r.Inputs["referencedSecurityGroupId"].StringValue())
		assert.Equal(t, sg.ID, r.Inputs["securityGroupId"].StringValue())
		assert.NotContains(t, r.Inputs, resource.PropertyKey("cidrIpv4"))
		assert.NotContains(t, r.Inputs, resource.PropertyKey("cidrIpv6"))
		assert.Equal(t, r.Inputs["fromPort"], r.Inputs["toPort"])
		ports[r.Inputs["fromPort"].NumberValue()] = true
	}
	assert.Equal(t, map[float64]bool{8081: true, 8082: true, 8083: true}, ports)
	assert.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))
	assert.NotContains(t, sg.Inputs, resource.PropertyKey("ingress"), "no inline rules")
	egress := mockstest.One(t, m, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
	assert.Equal(t, 443.0, egress.Inputs["fromPort"].NumberValue())
	assert.Equal(t, "0.0.0.0/0", egress.Inputs["cidrIpv4"].StringValue())

	assert.Equal(t, group.Outputs["name"].StringValue(), mockstest.Await[any](t, comp.GroupName))
	assert.Equal(t, sg.ID, string(mockstest.Await[any](t, comp.SecurityGroupID).(pulumi.ID)))
	assert.Equal(t, role.Outputs["arn"].StringValue(), mockstest.Await[any](t, comp.RoleArn))
	assert.Equal(t, lt.ID, string(mockstest.Await[any](t, comp.LaunchTemplateID).(pulumi.ID)))
	assertChildren(t, m)
}

func TestBackendPool(t *testing.T) {
	t.Parallel()
	m, _, err := run(t, fakeArgs(RoleBackend))
	require.NoError(t, err)
	group := mockstest.One(t, m, "aws:autoscaling/group:Group")
	in := group.Inputs
	assertLaunchFirst(t, in)
	assertLifecycle(t, m, group)
	assertScalingPolicy(t, m, group, DefaultCPUTargetPercent)
	var types []string
	for _, o := range in["mixedInstancesPolicy"].ObjectValue()["launchTemplate"].ObjectValue()["overrides"].ArrayValue() {
		types = append(types, o.ObjectValue()["instanceType"].StringValue())
	}
	assert.Equal(t, []string{"m6i.large", "m6a.large", "m5.large"}, types)
	assert.Equal(t, "EC2", in["healthCheckType"].StringValue())
	assert.NotContains(t, in, resource.PropertyKey("targetGroupArns"), "the backend pool is not behind the load balancers")
	assert.Equal(t, 0.0, in["minSize"].NumberValue())
	assert.Equal(t, 1.0, in["desiredCapacity"].NumberValue(), "one backend instance even with minPerZone 0")
	assert.Len(t, mockstest.Strings(in["vpcZoneIdentifiers"]), 3)
	assert.True(t, groupTags(group)["pool=backend"], "the pool tag is propagated at launch")
	assert.Empty(t, m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), "no ingress at all")
	assert.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))
	st := policyStatements(t, rolePolicy(t, m, "pool-policy").Inputs["policy"].StringValue())
	assert.NotContains(t, st, "Secrets", "no secrets statement without patterns")
	assert.NotContains(t, st, "SecretKeys")
	script := userDataScript(t, m)
	for _, img := range images(script) {
		assert.True(t, strings.HasPrefix(img, registryHost+"/backend/"), "image %s is from the private registry", img)
	}
	assert.NotContains(t, script, "secretsmanager", "the backend pool reads no secret")
	assert.NotContains(t, script, SecretsFile)
	assert.Contains(t, script, "retry_forever dnf install -y docker\n")
	assertChildren(t, m)
}

func TestPoolDataEgress(t *testing.T) {
	t.Parallel()
	args := fakeArgs(RoleEss)
	args.VpcCidr = pulumi.String("10.0.0.0/16").ToStringOutput()
	args.DataPorts = []int{6379, 5432, 5432}
	m, _, err := run(t, args)
	require.NoError(t, err)
	got := map[float64]string{}
	for _, r := range m.ByType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") {
		got[r.Inputs["fromPort"].NumberValue()] = r.Inputs["cidrIpv4"].StringValue()
	}
	assert.Equal(t, map[float64]string{443: "0.0.0.0/0", 5432: "10.0.0.0/16", 6379: "10.0.0.0/16"}, got)
}

func assertChildren(t *testing.T, m *mocks.Mocks) {
	t.Helper()
	comps := m.ByType("ess-ha:pool:Pool")
	require.Len(t, comps, 1)
	untaggable := map[string]bool{
		"aws:iam/rolePolicy:RolePolicy": true, "aws:iam/rolePolicyAttachment:RolePolicyAttachment": true,
		"aws:autoscaling/group:Group":   true, // tagged through its tags list
		"aws:autoscaling/policy:Policy": true, "aws:autoscaling/lifecycleHook:LifecycleHook": true,
	}
	n := 0
	for _, r := range m.Registrations() {
		if r.Type == "ess-ha:pool:Pool" {
			continue
		}
		n++
		assert.Equal(t, comps[0].URN, r.Parent, "%s %s is parented to the component", r.Type, r.Name)
		assert.True(t, strings.HasPrefix(r.Name, "pool-"), "%s is prefixed with the component's name", r.Name)
		if !untaggable[r.Type] {
			assert.Equal(t, "ess-ha", r.Inputs["tags"].ObjectValue()["project"].StringValue(), "%s %s is tagged", r.Type, r.Name)
		}
	}
	assert.NotZero(t, n)
}

func TestPoolRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		role   string
		mutate func(*PoolArgs) *PoolArgs
		want   string
	}{
		{"nil", RoleEss, func(*PoolArgs) *PoolArgs { return nil }, "PoolArgs is nil"},
		{"role", RoleEss, func(a *PoolArgs) *PoolArgs { a.Role = "web"; return a }, `PoolArgs.Role = "web"`},
		{"region", RoleEss, func(a *PoolArgs) *PoolArgs { a.Region = "mars"; return a }, `PoolArgs.Region = "mars"`},
		{"one zone", RoleEss, func(a *PoolArgs) *PoolArgs { a.Zones, a.SubnetIDs = 1, a.SubnetIDs[:1]; return a }, "PoolArgs.Zones = 1"},
		{"subnets", RoleEss, func(a *PoolArgs) *PoolArgs { a.SubnetIDs = a.SubnetIDs[:2]; return a }, "PoolArgs.SubnetIDs has 2 subnets for 3 zones"},
		{"vpc", RoleEss, func(a *PoolArgs) *PoolArgs { a.VpcID = nil; return a }, "PoolArgs.VpcID"},
		{"no instance types", RoleEss, func(a *PoolArgs) *PoolArgs { a.InstanceTypes = nil; return a }, "PoolArgs.InstanceTypes is empty"},
		{"instance type", RoleEss, func(a *PoolArgs) *PoolArgs { a.InstanceTypes = []string{"m6i.large", "big"}; return a }, `PoolArgs.InstanceTypes[1] = "big" is invalid`},
		{"instance type with a space", RoleEss, func(a *PoolArgs) *PoolArgs { a.InstanceTypes = []string{"m6i.large m5.large"}; return a }, `PoolArgs.InstanceTypes[0] = "m6i.large m5.large" is invalid`},
		{"duplicate instance type", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.InstanceTypes = []string{"m6i.large", "m5.large", "m6i.large"}
			return a
		}, `PoolArgs.InstanceTypes[2] = "m6i.large" is listed twice`},
		{"too many instance types", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.InstanceTypes = nil
			for i := 1; i <= MaxInstanceTypes+1; i++ {
				a.InstanceTypes = append(a.InstanceTypes, fmt.Sprintf("m%d.large", i))
			}
			return a
		}, "PoolArgs.InstanceTypes has 41 types: a group takes at most 40"},
		{"cpu target", RoleEss, func(a *PoolArgs) *PoolArgs { a.CPUTargetPercent = 120; return a }, "PoolArgs.CPUTargetPercent = 120 is invalid"},
		{"negative cpu target", RoleBackend, func(a *PoolArgs) *PoolArgs { a.CPUTargetPercent = -5; return a }, "PoolArgs.CPUTargetPercent = -5 is invalid"},
		{"secret parameter", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.Secrets = []SecretEnv{{Parameter: "/abs/path", Fields: map[string]string{"X": ""}}}
			return a
		}, `PoolArgs.Secrets[0].Parameter = "/abs/path" is invalid`},
		{"secret without fields", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.Secrets = []SecretEnv{{Parameter: "database/secret-arn"}}
			return a
		}, "PoolArgs.Secrets[0].Fields is empty"},
		{"secret env name", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.Secrets = []SecretEnv{{Parameter: "database/secret-arn", Fields: map[string]string{"db-password": "password"}}}
			return a
		}, `PoolArgs.Secrets[0].Fields: "db-password" is not an environment variable name`},
		{"secret field", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.Secrets = []SecretEnv{{Parameter: "database/secret-arn", Fields: map[string]string{"DB_PASSWORD": "pass word"}}}
			return a
		}, `PoolArgs.Secrets[0].Fields[DB_PASSWORD] = "pass word" is not a field name`},
		{"secret env twice", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.Secrets = []SecretEnv{DatabaseCredentials(), {Parameter: "cache/auth-token-secret-arn", Fields: map[string]string{"DATABASE_PASSWORD": ""}}}
			return a
		}, "PoolArgs.Secrets[1].Fields: DATABASE_PASSWORD is already set by PoolArgs.Secrets[0]"},
		{"secrets without patterns", RoleBackend, func(a *PoolArgs) *PoolArgs { a.Secrets = []SecretEnv{CacheAuthToken()}; return a }, "PoolArgs.Secrets is set without PoolArgs.SecretArnPatterns"},
		{"tag key with a slash", RoleEss, func(a *PoolArgs) *PoolArgs { a.Tags = map[string]string{"team/owner": "x"}; return a }, `PoolArgs.Tags: key "team/owner" cannot tag the instances`},
		{"tag key with a space", RoleBackend, func(a *PoolArgs) *PoolArgs { a.Tags = map[string]string{"cost center": "x"}; return a }, `PoolArgs.Tags: key "cost center" cannot tag the instances`},
		{"ami", RoleEss, func(a *PoolArgs) *PoolArgs { a.AmiID = "ubuntu"; return a }, "PoolArgs.AmiID"},
		{"ess min", RoleEss, func(a *PoolArgs) *PoolArgs { a.MinPerZone = 0; return a }, "PoolArgs.MinPerZone = 0"},
		{"max", RoleEss, func(a *PoolArgs) *PoolArgs { a.MaxSize = 2; return a }, "PoolArgs.MaxSize = 2"},
		{"no containers", RoleEss, func(a *PoolArgs) *PoolArgs { a.Containers = nil; return a }, "PoolArgs.Containers is empty"},
		{"unknown repository", RoleEss, func(a *PoolArgs) *PoolArgs { delete(a.RepositoryURLs, "inrupt/ess-ldp"); return a }, `repository "inrupt/ess-ldp" is not in PoolArgs.RepositoryURLs`},
		{"unknown repository arn", RoleEss, func(a *PoolArgs) *PoolArgs { delete(a.RepositoryArns, "inrupt/ess-ldp"); return a }, "PoolArgs.RepositoryArns"},
		{"no log group", RoleEss, func(a *PoolArgs) *PoolArgs { delete(a.LogGroupNames, "ess-ldp"); return a }, "PoolArgs.LogGroupNames"},
		{"bad tag", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.Containers = append([]Container(nil), a.Containers...)
			a.Containers[0].Tag = "2.3.1; rm -rf /"
			return a
		}, "tag"},
		{"path", RoleEss, func(a *PoolArgs) *PoolArgs { a.ParameterPath = "ess-ha"; return a }, "PoolArgs.ParameterPath"},
		{"root path", RoleEss, func(a *PoolArgs) *PoolArgs { a.ParameterPath = "/"; return a }, "PoolArgs.ParameterPath"},
		{"ess ingress", RoleEss, func(a *PoolArgs) *PoolArgs { a.IngressSecurityGroupID = nil; return a }, "PoolArgs.IngressSecurityGroupID is not set"},
		{"ess target groups", RoleEss, func(a *PoolArgs) *PoolArgs { a.TargetGroupArns = nil; return a }, "PoolArgs.TargetGroupArns is empty"},
		{"backend ingress", RoleBackend, func(a *PoolArgs) *PoolArgs { a.IngressSecurityGroupID = pulumi.String("sg-1"); return a }, "PoolArgs.IngressSecurityGroupID is set for the backend pool"},
		{"backend target groups", RoleBackend, func(a *PoolArgs) *PoolArgs { a.TargetGroupArns = pulumi.StringArray{pulumi.String("arn")}; return a }, "PoolArgs.TargetGroupArns is set for the backend pool"},
		{"secret pattern", RoleEss, func(a *PoolArgs) *PoolArgs { a.SecretArnPatterns = []string{"*"}; return a }, "PoolArgs.SecretArnPatterns[0]"},
		{"data ports", RoleEss, func(a *PoolArgs) *PoolArgs { a.DataPorts = []int{5432}; return a }, "PoolArgs.DataPorts is set without PoolArgs.VpcCidr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := run(t, tc.mutate(fakeArgs(tc.role)))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.ByType("aws:autoscaling/group:Group"), "nothing is created")
		})
	}
}

func TestUserData(t *testing.T) {
	t.Parallel()
	containers := []Container{
		{Name: "ess-ldp", Repository: "inrupt/ess-ldp", Tag: "2.3.1", Port: 8081},
		{Name: "fluent-bit", Repository: "backend/fluent-bit", Tag: "3.1.4"},
	}
	urls := map[string]string{
		"inrupt/ess-ldp":     registryHost + "/inrupt/ess-ldp",
		"backend/fluent-bit": registryHost + "/backend/fluent-bit",
	}
	groups := map[string]string{"ess-ldp": "/g/ess-ldp", "fluent-bit": "/g/fluent-bit"}
	script, err := UserData("us-east-1", containers, urls, groups, "/ess-ha/prod/")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(script, "#!/bin/bash\n"))
	assert.Equal(t, []string{
		registryHost + "/inrupt/ess-ldp:2.3.1", registryHost + "/backend/fluent-bit:3.1.4", // pulled
		registryHost + "/inrupt/ess-ldp:2.3.1", registryHost + "/backend/fluent-bit:3.1.4", // run
	}, images(script))
	assert.Equal(t, 1, strings.Count(script, "docker login"), "one login per registry host")
	assert.Contains(t, script, `key="${name#/ess-ha/prod/}"`)
	assert.Contains(t, script, "docker run -d --restart always --name fluent-bit --log-driver awslogs --log-opt awslogs-group=/g/fluent-bit --log-opt awslogs-region=us-east-1 --log-opt awslogs-stream=\"$INSTANCE_ID/fluent-bit\" --env-file "+EnvFile+" "+registryHost+"/backend/fluent-bit:3.1.4\n")

	for _, tc := range []struct {
		name   string
		region string
		urls   map[string]string
		groups map[string]string
		want   string
	}{
		{"public image", "us-east-1", map[string]string{"inrupt/ess-ldp": "docker.io/inrupt/ess-ldp", "backend/fluent-bit": urls["backend/fluent-bit"]}, groups, "is not the private ECR repository inrupt/ess-ldp"},
		{"other region", "us-west-2", urls, groups, "of region us-west-2"},
		{"other repository", "us-east-1", map[string]string{"inrupt/ess-ldp": urls["backend/fluent-bit"], "backend/fluent-bit": urls["backend/fluent-bit"]}, groups, "is not the private ECR repository inrupt/ess-ldp"},
		{"missing url", "us-east-1", map[string]string{"inrupt/ess-ldp": urls["inrupt/ess-ldp"]}, groups, "no repository URL for backend/fluent-bit"},
		{"missing group", "us-east-1", urls, map[string]string{"ess-ldp": "/g"}, "containers[1] (fluent-bit): no log group"},
		{"shell in group", "us-east-1", urls, map[string]string{"ess-ldp": "/g", "fluent-bit": "/g;reboot"}, "is not a valid log group name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UserData(tc.region, containers, tc.urls, tc.groups, "/ess-ha/prod/")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPoolAllowSecretKeys(t *testing.T) {
	t.Parallel()
	m := mocks.New("ess-ha", "test", "us-east-1")
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		p, err := NewPool(ctx, "pool", fakeArgs(RoleEss))
		if err != nil {
			return err
		}
		// Keys of secrets created after the pool, e.g. the database's.
		if err := p.AllowSecretKeys(ctx, pulumi.StringArray{pulumi.String("arn:aws:kms:us-east-1:123456789012:key/cache").ToStringOutput()}); err != nil {
			return err
		}
		again := p.AllowSecretKeys(ctx, pulumi.StringArray{pulumi.String("k")})
		assert.ErrorContains(t, again, "AllowSecretKeys was already called")
		return nil
	})
	require.NoError(t, err)
	var extra *mocks.Registration
	for _, r := range m.ByType("aws:iam/rolePolicy:RolePolicy") {
		if r.Name == "pool-secret-keys" {
			extra = r
		}
	}
	require.NotNil(t, extra)
	assert.Equal(t, mockstest.One(t, m, "ess-ha:pool:Pool").URN, extra.Parent)
	assert.Equal(t, mockstest.One(t, m, "aws:iam/role:Role").ID, extra.Inputs["role"].StringValue())
	st := policyStatements(t, extra.Inputs["policy"].StringValue())
	require.Len(t, st, 1)
	assert.Equal(t, []any{"arn:aws:kms:us-east-1:123456789012:key/cache"}, st["SecretKeys"].Resource)
	assert.Equal(t, []string{"kms:Decrypt"}, st["SecretKeys"].Action)
	assert.Equal(t, "secretsmanager.us-east-1.amazonaws.com", st["SecretKeys"].Condition["StringEquals"]["kms:ViaService"])
}

// rolePolicy returns the pool's inline role policy of that name.
func rolePolicy(t *testing.T, m *mocks.Mocks, name string) *mocks.Registration {
	t.Helper()
	for _, r := range m.ByType("aws:iam/rolePolicy:RolePolicy") {
		if r.Name == name {
			return r
		}
	}
	require.Failf(t, "no role policy", "no role policy %s", name)
	return nil
}

// assertLaunchFirst checks that replacements launch before they terminate: in instance refreshes and,
// through the instance maintenance policy, in health-check replacements and rebalancing.
func assertLaunchFirst(t *testing.T, in resource.PropertyMap) {
	t.Helper()
	refresh := in["instanceRefresh"].ObjectValue()
	assert.Equal(t, "Rolling", refresh["strategy"].StringValue())
	prefs := refresh["preferences"].ObjectValue()
	policy := in["instanceMaintenancePolicy"].ObjectValue()
	for what, o := range map[string]resource.PropertyMap{"instance refresh": prefs, "instance maintenance policy": policy} {
		minHealthy, maxHealthy := o["minHealthyPercentage"].NumberValue(), o["maxHealthyPercentage"].NumberValue()
		assert.Equal(t, 100.0, minHealthy, "%s: a replacement launches before the instance it replaces terminates", what)
		// AWS: min 0-100, max 100-200, at most 100 apart.
		assert.Greater(t, maxHealthy, 100.0, "%s: room to launch the replacement first", what)
		assert.LessOrEqual(t, maxHealthy, 200.0, what)
		assert.LessOrEqual(t, maxHealthy-minHealthy, 100.0, what)
	}
	assert.Equal(t, "0", in["waitForCapacityTimeout"].StringValue(), "pulumi up does not wait for instances that wait for their images")
}

// assertLifecycle checks the launch lifecycle hook, on the group and as its own resource, the group's
// ignored changes and the instances' permission on their own group.
func assertLifecycle(t *testing.T, m *mocks.Mocks, group *mocks.Registration) {
	t.Helper()
	hooks := group.Inputs["initialLifecycleHooks"].ArrayValue()
	require.Len(t, hooks, 1, "the hook exists before the group's first instance launches")
	hook := hooks[0].ObjectValue()
	assert.Equal(t, LaunchHookName, hook["name"].StringValue())
	assert.Equal(t, "autoscaling:EC2_INSTANCE_LAUNCHING", hook["lifecycleTransition"].StringValue())
	assert.Equal(t, "ABANDON", hook["defaultResult"].StringValue(), "an instance that never reports is replaced")
	heartbeat := hook["heartbeatTimeout"].NumberValue()
	// AWS takes 30 to 7200 s; the instance records a heartbeat every HeartbeatIntervalSeconds.
	assert.GreaterOrEqual(t, heartbeat, 30.0)
	assert.LessOrEqual(t, heartbeat, 7200.0)
	assert.GreaterOrEqual(t, heartbeat, 5.0*HeartbeatIntervalSeconds, "several heartbeats fit in a timeout")
	assert.ElementsMatch(t, []string{"desiredCapacity", "initialLifecycleHooks"}, group.IgnoreChanges,
		"the scaling policy owns the desired capacity; a changed hook must not replace the group")

	own := mockstest.One(t, m, "aws:autoscaling/lifecycleHook:LifecycleHook")
	assert.Equal(t, group.Outputs["name"].StringValue(), own.Inputs["autoscalingGroupName"].StringValue())
	for _, k := range []resource.PropertyKey{"name", "lifecycleTransition", "defaultResult", "heartbeatTimeout"} {
		assert.Equal(t, hook[k], own.Inputs[k], "the hook resource matches the group's initial hook: %s", k)
	}

	lifecycle := rolePolicy(t, m, "pool-lifecycle")
	assert.Equal(t, mockstest.One(t, m, "aws:iam/role:Role").ID, lifecycle.Inputs["role"].StringValue())
	var doc struct{ Statement []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(lifecycle.Inputs["policy"].StringValue()), &doc))
	require.Len(t, doc.Statement, 1)
	st := doc.Statement[0]
	assert.Equal(t, "Allow", st["Effect"])
	assert.ElementsMatch(t, []any{"autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"}, st["Action"],
		"exactly the actions the user data calls")
	assert.Equal(t, group.Outputs["arn"].StringValue(), st["Resource"], "on the pool's own group only")
	assert.NotContains(t, st, "Condition")
}

// assertScalingPolicy checks the target tracking policy on the group's average CPU.
func assertScalingPolicy(t *testing.T, m *mocks.Mocks, group *mocks.Registration, target float64) {
	t.Helper()
	p := mockstest.One(t, m, "aws:autoscaling/policy:Policy")
	assert.Equal(t, group.Outputs["name"].StringValue(), p.Inputs["autoscalingGroupName"].StringValue())
	assert.Equal(t, "TargetTrackingScaling", p.Inputs["policyType"].StringValue())
	cfg := p.Inputs["targetTrackingConfiguration"].ObjectValue()
	assert.Equal(t, "ASGAverageCPUUtilization", cfg["predefinedMetricSpecification"].ObjectValue()["predefinedMetricType"].StringValue())
	assert.Equal(t, target, cfg["targetValue"].NumberValue())
	assert.NotContains(t, cfg, resource.PropertyKey("disableScaleIn"))
}

// assertNoSecretInUserData checks that the user data names the SSM parameters that hold the secrets'
// ARNs, never an ARN or a value, and reads every secret in region.
func assertNoSecretInUserData(t *testing.T, script, region string) {
	t.Helper()
	assert.NotRegexp(t, `arn:aws:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:`, script, "no secret ARN in the user data")
	assert.NotContains(t, script, "set -x", "commands are not traced into the logs")
	reads := regexp.MustCompile(`(?m)^.*aws secretsmanager .*$`).FindAllString(script, -1)
	require.NotEmpty(t, reads)
	for _, l := range reads {
		assert.Contains(t, l, "aws secretsmanager get-secret-value --region "+region+" --secret-id \"$arn\" ", "each secret is read in the pool's region")
	}
	assert.Contains(t, script, `[[ ! "$arn" =~ ^arn:aws:secretsmanager:`+region+`:[0-9]{12}:secret:`, "an ARN of another region is refused")
	for _, p := range []string{"/ess-ha/test/database/secret-arn", "/ess-ha/test/cache/auth-token-secret-arn"} {
		assert.Contains(t, script, "s=\"$(secret "+p+")\"", "the ARN is read from %s at boot", p)
	}
}

// TestPoolStateHoldsNoSecret checks that no input the pool registers (user data included) carries a
// secret: the pool passes the names of the parameters that hold the ARNs, nothing more.
func TestPoolStateHoldsNoSecret(t *testing.T) {
	t.Parallel()
	m, _, err := run(t, fakeArgs(RoleEss))
	require.NoError(t, err)
	for _, r := range m.Registrations() {
		for k, v := range r.Inputs {
			assert.False(t, v.ContainsSecrets(), "%s %s: %s is not a secret", r.Type, r.Name, k)
			if k == "userData" {
				continue
			}
			assert.NotContains(t, v.String(), "secretsmanager:us-east-1:123456789012", "%s %s: %s names no secret", r.Type, r.Name, k)
		}
	}
	script := userDataScript(t, m)
	assertNoSecretInUserData(t, script, "us-east-1")
}

func TestPoolScalingTarget(t *testing.T) {
	t.Parallel()
	args := fakeArgs(RoleEss)
	args.CPUTargetPercent = 65
	m, _, err := run(t, args)
	require.NoError(t, err)
	assertScalingPolicy(t, m, mockstest.One(t, m, "aws:autoscaling/group:Group"), 65)
}

func TestUserDataReadsSecretsInItsRegion(t *testing.T) {
	t.Parallel()
	containers := []Container{{Name: "ess-ldp", Repository: "inrupt/ess-ldp", Tag: "2.3.1", Port: 8081}}
	for _, region := range []string{"us-east-1", "us-west-2"} {
		urls := map[string]string{"inrupt/ess-ldp": "123456789012.dkr.ecr." + region + ".amazonaws.com/inrupt/ess-ldp"}
		script, err := UserData(region, containers, urls, map[string]string{"ess-ldp": "/g"}, "/ess-ha/test/", DatabaseCredentials(), CacheAuthToken())
		require.NoError(t, err)
		assertNoSecretInUserData(t, script, region)
		other := map[string]string{"us-east-1": "us-west-2", "us-west-2": "us-east-1"}[region]
		assert.NotContains(t, script, other, "the %s user data never names %s", region, other)
	}
	_, err := UserData("us-east-1", containers, map[string]string{"inrupt/ess-ldp": registryHost + "/inrupt/ess-ldp"}, map[string]string{"ess-ldp": "/g"}, "/ess-ha/test/",
		SecretEnv{Parameter: "database/secret-arn", Fields: map[string]string{"X": "a;reboot"}})
	assert.ErrorContains(t, err, `secrets[0].Fields[X] = "a;reboot" is not a field name`)
}
