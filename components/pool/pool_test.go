package pool

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/config"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

const registryHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

func fakeArgs(role string) *PoolArgs {
	defaults := config.Defaults()
	p := defaults.EssPool
	if role == RoleBackend {
		p = defaults.BackendPool
	}
	args := &PoolArgs{
		Role:           role,
		Region:         "us-east-1",
		VpcID:          pulumi.String("vpc-0123456789abcdef0"),
		SubnetIDs:      pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b").ToStringOutput(), pulumi.String("subnet-c")},
		Zones:          3,
		InstanceType:   p.InstanceTypes[0],
		AmiID:          config.DefaultAMI,
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
		args.SecretArnPatterns = []string{"arn:aws:secretsmanager:us-east-1:*:secret:rds!db-*"}
		args.SecretKmsKeyArns = pulumi.StringArray{pulumi.String("arn:aws:kms:us-east-1:123456789012:key/db")}
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

func strs(v resource.PropertyValue) []string {
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return out
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

var imageRef = regexp.MustCompile(`(?m)^(?:docker run .* |retry docker pull )(\S+)$`)

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
	args := fakeArgs(RoleEss)
	m, comp, err := run(t, args)
	require.NoError(t, err)

	group := mockstest.One(t, m, "aws:autoscaling/group:Group")
	in := group.Inputs
	assert.Equal(t, []string{"subnet-a", "subnet-b", "subnet-c"}, strs(in["vpcZoneIdentifiers"]), "the group spans every AZ's subnet")
	assert.GreaterOrEqual(t, in["minSize"].NumberValue(), 3.0, "at least one ess instance per AZ")
	assert.Equal(t, 3.0, in["minSize"].NumberValue())
	assert.Equal(t, 3.0, in["desiredCapacity"].NumberValue())
	assert.Equal(t, 9.0, in["maxSize"].NumberValue())
	assert.Equal(t, "ELB", in["healthCheckType"].StringValue(), "the load balancers' health checks replace bad instances")
	assert.Equal(t, 300.0, in["healthCheckGracePeriod"].NumberValue())
	assert.Len(t, strs(in["targetGroupArns"]), 3)
	assert.Contains(t, strs(in["targetGroupArns"]), "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ldp/1")
	tags := groupTags(group)
	assert.True(t, tags["pool=ess"], "the pool tag is propagated at launch")
	assert.True(t, tags["project=ess-ha"])
	assert.True(t, tags["Name=pool"])
	for k, propagated := range tags {
		assert.True(t, propagated, "tag %s propagates at launch", k)
	}
	refresh := in["instanceRefresh"].ObjectValue()
	assert.Equal(t, "Rolling", refresh["strategy"].StringValue())
	assert.Equal(t, 90.0, refresh["preferences"].ObjectValue()["minHealthyPercentage"].NumberValue())
	assert.True(t, in["capacityRebalance"].BoolValue())
	assert.Contains(t, strs(in["enabledMetrics"]), "GroupInServiceInstances", "the in-service alarm has data")

	lt := mockstest.One(t, m, "aws:ec2/launchTemplate:LaunchTemplate")
	assert.Equal(t, lt.ID, in["launchTemplate"].ObjectValue()["id"].StringValue())
	assert.Equal(t, "1", in["launchTemplate"].ObjectValue()["version"].StringValue(), "the template's latest version, so changes trigger an instance refresh")
	lin := lt.Inputs
	assert.Equal(t, config.DefaultAMI, lin["imageId"].StringValue())
	assert.Equal(t, "m6i.large", lin["instanceType"].StringValue())
	md := lin["metadataOptions"].ObjectValue()
	assert.Equal(t, "required", md["httpTokens"].StringValue(), "IMDSv2 only")
	assert.Equal(t, "enabled", md["httpEndpoint"].StringValue())
	assert.Equal(t, 2.0, md["httpPutResponseHopLimit"].NumberValue())
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
	assert.Equal(t, []string{sg.ID}, strs(nics[0].ObjectValue()["securityGroups"]))
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
	assert.Contains(t, script, "dnf install -y docker")
	assert.Contains(t, script, "aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin "+registryHost+"; }\nretry login\n")
	assert.Contains(t, script, "aws ssm get-parameters-by-path --region us-east-1 --path /ess-ha/test ")
	assert.Contains(t, script, "--name ess-ldp --log-driver awslogs --log-opt awslogs-group=/ess-ha/test/ess/ess-ldp --log-opt awslogs-region=us-east-1")
	assert.Contains(t, script, " -p 8081:8081 --env-file "+EnvFile+" ")

	// IAM: trusted by EC2, SSM core, least privilege inline policy.
	role := mockstest.One(t, m, "aws:iam/role:Role")
	assert.Contains(t, role.Inputs["assumeRolePolicy"].StringValue(), `"Service":"ec2.amazonaws.com"`)
	attach := mockstest.One(t, m, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
	assert.Equal(t, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", attach.Inputs["policyArn"].StringValue())
	assert.Equal(t, role.ID, attach.Inputs["role"].StringValue())
	policy := mockstest.One(t, m, "aws:iam/rolePolicy:RolePolicy")
	st := policyStatements(t, policy.Inputs["policy"].StringValue())
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
	assert.Equal(t, []any{"arn:aws:secretsmanager:us-east-1:*:secret:rds!db-*"}, st["Secrets"].Resource)
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
	m, _, err := run(t, fakeArgs(RoleBackend))
	require.NoError(t, err)
	group := mockstest.One(t, m, "aws:autoscaling/group:Group")
	in := group.Inputs
	assert.Equal(t, "EC2", in["healthCheckType"].StringValue())
	assert.NotContains(t, in, resource.PropertyKey("targetGroupArns"), "the backend pool is not behind the load balancers")
	assert.Equal(t, 0.0, in["minSize"].NumberValue())
	assert.Equal(t, 1.0, in["desiredCapacity"].NumberValue(), "one backend instance even with minPerZone 0")
	assert.Len(t, strs(in["vpcZoneIdentifiers"]), 3)
	assert.True(t, groupTags(group)["pool=backend"], "the pool tag is propagated at launch")
	assert.Empty(t, m.ByType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), "no ingress at all")
	assert.Empty(t, m.ByType("aws:ec2/securityGroupRule:SecurityGroupRule"))
	st := policyStatements(t, mockstest.One(t, m, "aws:iam/rolePolicy:RolePolicy").Inputs["policy"].StringValue())
	assert.NotContains(t, st, "Secrets", "no secrets statement without patterns")
	assert.NotContains(t, st, "SecretKeys")
	for _, img := range images(userDataScript(t, m)) {
		assert.True(t, strings.HasPrefix(img, registryHost+"/backend/"), "image %s is from the private registry", img)
	}
	assertChildren(t, m)
}

func TestPoolDataEgress(t *testing.T) {
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
		"aws:autoscaling/group:Group": true, // tagged through its tags list
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
		{"instance type", RoleEss, func(a *PoolArgs) *PoolArgs { a.InstanceType = "big"; return a }, "PoolArgs.InstanceType"},
		{"ami", RoleEss, func(a *PoolArgs) *PoolArgs { a.AmiID = "ubuntu"; return a }, "PoolArgs.AmiID"},
		{"ess min", RoleEss, func(a *PoolArgs) *PoolArgs { a.MinPerZone = 0; return a }, "PoolArgs.MinPerZone = 0"},
		{"max", RoleEss, func(a *PoolArgs) *PoolArgs { a.MaxSize = 2; return a }, "PoolArgs.MaxSize = 2"},
		{"no containers", RoleEss, func(a *PoolArgs) *PoolArgs { a.Containers = nil; return a }, "PoolArgs.Containers is empty"},
		{"unknown repository", RoleEss, func(a *PoolArgs) *PoolArgs { delete(a.RepositoryURLs, "inrupt/ess-ldp"); return a }, `repository "inrupt/ess-ldp" is not in PoolArgs.RepositoryURLs`},
		{"unknown repository arn", RoleEss, func(a *PoolArgs) *PoolArgs { delete(a.RepositoryArns, "inrupt/ess-ldp"); return a }, "PoolArgs.RepositoryArns"},
		{"no log group", RoleEss, func(a *PoolArgs) *PoolArgs { delete(a.LogGroupNames, "ess-ldp"); return a }, "PoolArgs.LogGroupNames"},
		{"bad tag", RoleEss, func(a *PoolArgs) *PoolArgs {
			a.Containers = append([]config.Container(nil), a.Containers...)
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
	containers := []config.Container{
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
		registryHost + "/inrupt/ess-ldp:2.3.1", registryHost + "/inrupt/ess-ldp:2.3.1",
		registryHost + "/backend/fluent-bit:3.1.4", registryHost + "/backend/fluent-bit:3.1.4",
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
