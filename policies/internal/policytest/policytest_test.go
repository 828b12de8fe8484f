package policytest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestLoadFixture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, "_shared/base.json", `{"description": "base", "resources": [
		{"urn": "vpc", "type": "aws:ec2/vpc:Vpc", "id": "vpc-1", "properties": {"cidrBlock": "10.0.0.0/16"}},
		{"urn": "a", "type": "aws:ec2/subnet:Subnet", "id": "subnet-a", "properties": {"vpcId": "vpc-1"}},
		{"urn": "b", "type": "aws:ec2/subnet:Subnet", "id": "subnet-b", "properties": {"vpcId": "vpc-1"}}
	]}`)
	path := write(t, dir, "p/fail/x.json", `{
		"description": "override, remove and add",
		"dryRun": true,
		"config": {"minimumZones": 3},
		"include": ["../../_shared/base.json"],
		"remove": ["b"],
		"resources": [
			{"urn": "a", "type": "aws:ec2/subnet:Subnet", "properties": {"vpcId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
				"tags": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "{\"owner\":\"me\"}"}},
				"propertyDependencies": {"vpcId": ["vpc"]}, "dependencies": ["vpc"], "parent": "vpc"},
			{"urn": "urn:pulumi:other::p::aws:ec2/vpc:Vpc::full", "type": "aws:ec2/vpc:Vpc"}
		],
		"expect": ["zones"]
	}`)
	f, err := policytest.LoadFixture(path)
	require.NoError(t, err)
	assert.Equal(t, policytest.Fail, f.Verdict)
	assert.True(t, f.DryRun)
	assert.Equal(t, map[string]any{"minimumZones": 3.0}, f.Config)
	assert.Equal(t, []string{"zones"}, f.Expect)
	require.Len(t, f.Stack.Resources, 3)
	vpc, a, full := f.Stack.Resources[0], f.Stack.Resources[1], f.Stack.Resources[2]
	assert.Equal(t, resource.URN("urn:pulumi:test::ess-ha::aws:ec2/vpc:Vpc::vpc"), vpc.URN)
	assert.Equal(t, "vpc-1", vpc.ID)
	assert.Equal(t, "a", a.Name)
	assert.Empty(t, a.ID, "the override replaces the included resource")
	assert.True(t, graph.IsUnknown(a.Properties["vpcId"]))
	assert.True(t, a.Properties["tags"].IsSecret())
	assert.Equal(t, []resource.URN{vpc.URN}, a.PropertyDependencies.Of("vpcId"))
	assert.Equal(t, []resource.URN{vpc.URN}, a.Dependencies)
	assert.Equal(t, vpc.URN, a.Parent)
	assert.Equal(t, "full", full.Name)

	bad := write(t, dir, "p/pass/bad.json", `{"resources": [{"urn": "x", "type": "t", "dependencies": ["nope"]}]}`)
	_, err = policytest.LoadFixture(bad)
	assert.ErrorContains(t, err, `no resource is named "nope"`)
	unknownField := write(t, dir, "p/pass/typo.json", `{"resource": []}`)
	_, err = policytest.LoadFixture(unknownField)
	assert.ErrorContains(t, err, "unknown field")
}

func TestLoadState(t *testing.T) {
	t.Parallel()
	state := `{"version": 3, "deployment": {"manifest": {"time": "2026-01-01T00:00:00Z", "magic": "", "version": ""},
		"resources": [
			{"urn": "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", "custom": false, "type": "pulumi:pulumi:Stack"},
			{"urn": "urn:pulumi:s::p::aws:ec2/vpc:Vpc::vpc", "custom": true, "id": "vpc-1", "type": "aws:ec2/vpc:Vpc",
			 "inputs": {"cidrBlock": "10.0.0.0/16"},
			 "outputs": {"cidrBlock": "10.0.0.0/16", "id": "vpc-1",
			   "secret": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "AAAA"}},
			 "parent": "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s",
			 "propertyDependencies": {"cidrBlock": []}},
			{"urn": "urn:pulumi:s::p::aws:ec2/vpc:Vpc::gone", "custom": true, "id": "vpc-2", "type": "aws:ec2/vpc:Vpc", "delete": true}
		]}}`
	st, err := policytest.LoadState([]byte(state))
	require.NoError(t, err)
	require.Len(t, st.Resources, 2)
	vpc := st.Resources[1]
	assert.Equal(t, "vpc", vpc.Name)
	assert.Equal(t, "vpc-1", vpc.ID)
	assert.Equal(t, "10.0.0.0/16", vpc.Properties["cidrBlock"].StringValue())
	assert.True(t, vpc.Properties["secret"].IsSecret())
	assert.Equal(t, "[secret]", graph.Show(vpc.Properties["secret"]))

	_, err = policytest.LoadState([]byte(`{"version": 4, "deployment": {}}`))
	assert.ErrorContains(t, err, "unsupported deployment version 4")
	_, err = policytest.LoadState([]byte(`not json`))
	assert.ErrorContains(t, err, "decoding state")
}

func TestToPreview(t *testing.T) {
	t.Parallel()
	st, err := policytest.DecodeResources([]policytest.RawResource{
		{URN: "vpc", Type: graph.TypeVpc, ID: "vpc-1", Properties: map[string]any{"arn": "arn:aws:ec2:x:1:vpc/vpc-1", "mainRouteTableId": "rtb-1"}},
		{URN: "sg", Type: graph.TypeSecurityGroup, ID: "sg-1", Properties: map[string]any{"name": "web", "vpcId": "vpc-1"}},
		{URN: "rt", Type: graph.TypeRoute, ID: "r-1", Properties: map[string]any{"routeTableId": "rtb-1"}},
		{URN: "asg", Type: graph.TypeAutoscalingGroup, ID: "ess", Properties: map[string]any{"name": "ess", "vpcZoneIdentifiers": []any{"subnet-elsewhere"}}},
		{URN: "att", Type: graph.TypeAutoscalingAttachment, ID: "att-1", Properties: map[string]any{"autoscalingGroupName": "ess"}},
	})
	require.NoError(t, err)
	pv := policytest.ToPreview(st)
	require.Len(t, pv.Resources, 5)
	for _, r := range pv.Resources {
		assert.Empty(t, r.ID)
	}
	assert.True(t, graph.IsUnknown(pv.Resources[0].Properties["arn"]))
	assert.True(t, graph.IsUnknown(pv.Resources[1].Properties["vpcId"]), "a reference by ID becomes unknown")
	assert.Equal(t, "web", pv.Resources[1].Properties["name"].StringValue(), "a name stays known")
	assert.True(t, graph.IsUnknown(pv.Resources[2].Properties["routeTableId"]), "a computed output's value becomes unknown")
	assert.Equal(t, "subnet-elsewhere", pv.Resources[3].Properties["vpcZoneIdentifiers"].ArrayValue()[0].StringValue(),
		"a reference outside the stack stays known")
	assert.Equal(t, "ess", pv.Resources[4].Properties["autoscalingGroupName"].StringValue(), "a reference by name stays known")
	assert.Equal(t, "vpc-1", st.Resources[0].ID, "the input is not changed")
}

func TestReplicate(t *testing.T) {
	t.Parallel()
	st, err := policytest.DecodeResources([]policytest.RawResource{
		{URN: "vpc", Type: graph.TypeVpc, ID: "vpc-1"},
		{URN: "s", Type: graph.TypeSubnet, ID: "subnet-1", Properties: map[string]any{"vpcId": "vpc-1", "availabilityZone": "us-east-1a"},
			PropertyDependencies: map[string][]string{"vpcId": {"vpc"}}},
	})
	require.NoError(t, err)
	big := policytest.Replicate(st, 3)
	require.Len(t, big.Resources, 6)
	g := graph.New(big)
	for _, s := range g.Subnets() {
		require.NotNil(t, s.VPC)
		assert.Equal(t, s.Resource.URN.Name()[len("s"):], s.VPC.URN.Name()[len("vpc"):], "each copy references its own VPC")
		assert.Equal(t, "us-east-1a", s.AZ)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	p := policy.Policy{Name: "ha-x", Schema: &policy.Schema{Properties: map[string]map[string]any{
		"minimumZones": {"type": "integer", "minimum": 1, "default": 2},
	}}}
	cfg, err := policytest.Config(p, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 2, cfg["minimumZones"])
	cfg, err = policytest.Config(p, map[string]any{"minimumZones": 3})
	require.NoError(t, err)
	assert.EqualValues(t, 3, cfg["minimumZones"])
	_, err = policytest.Config(p, map[string]any{"minimumZones": 0})
	assert.ErrorContains(t, err, "invalid config")
}

func TestRunRecoversPanics(t *testing.T) {
	t.Parallel()
	p := policy.Policy{Name: "ha-boom", CheckStack: func(context.Context, *policy.Stack, policy.Args) []policy.Violation { panic("boom") }}
	_, err := policytest.Run(t.Context(), p, &policy.Stack{}, policy.Args{})
	assert.ErrorContains(t, err, "policy ha-boom panicked: boom")
}
