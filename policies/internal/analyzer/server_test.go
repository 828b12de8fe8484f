package analyzer

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	resourceanalyzer "github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	pkgplugin "github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// The preview's resources: a component, a bucket whose acl is unknown and whose password is secret,
// a public bucket, and two subnets, one of them in an AZ that is unknown until deployment.
var (
	componentURN = testURN("test:index:Component", "web")
	bucketURN    = testURN(bucketType, "logs")
	publicURN    = testURN(bucketType, "site")
	subnetAURN   = testURN(subnetType, "subnet-a")
	subnetBURN   = testURN(subnetType, "subnet-b")
	groupURN     = testURN(groupType, "ess")
)

func unknown() resource.PropertyValue { return resource.MakeComputed(resource.NewStringProperty("")) }

func secret(s string) resource.PropertyValue {
	return resource.MakeSecret(resource.NewStringProperty(s))
}

// engineResource is a resource the way the engine passes it to its analyzer client.
func engineResource(urn resource.URN, parent resource.URN, props resource.PropertyMap) pkgplugin.AnalyzerResource {
	return pkgplugin.AnalyzerResource{
		URN:        urn,
		Type:       urn.Type(),
		Name:       urn.Name(),
		Properties: resource.FromResourcePropertyMap(props),
		Options:    pkgplugin.AnalyzerResourceOptions{Parent: parent},
		Provider: &pkgplugin.AnalyzerProviderResource{
			URN:  testURN("pulumi:providers:aws", "default"),
			Type: "pulumi:providers:aws",
			Name: "default",
		},
	}
}

// engineConfig is what the engine sends to Configure: the pack's defaults from GetAnalyzerInfo
// reconciled with a --policy-pack-config file, if any.
func engineConfig(t *testing.T, eng pkgplugin.Analyzer, file string) map[string]pkgplugin.AnalyzerPolicyConfig {
	t.Helper()
	info, err := eng.GetAnalyzerInfo(testContext(t))
	require.NoError(t, err)
	var fromFile map[string]pkgplugin.AnalyzerPolicyConfig
	if file != "" {
		fromFile, err = resourceanalyzer.LoadPolicyPackConfigFromFile(file)
		require.NoError(t, err)
	}
	cfg, validationErrors, err := resourceanalyzer.ReconcilePolicyPackConfig(info.Policies, info.InitialConfig, fromFile)
	require.NoError(t, err)
	require.Empty(t, validationErrors)
	return cfg
}

// byPolicy indexes diagnostics by policy name.
func byPolicy(ds []pkgplugin.AnalyzeDiagnostic) map[string][]pkgplugin.AnalyzeDiagnostic {
	out := map[string][]pkgplugin.AnalyzeDiagnostic{}
	for _, d := range ds {
		out[d.PolicyName] = append(out[d.PolicyName], d)
	}
	return out
}

// assertNoSecret checks that no diagnostic prints the secret.
func assertNoSecret(t *testing.T, ds []pkgplugin.AnalyzeDiagnostic) {
	t.Helper()
	for _, d := range ds {
		assert.NotContains(t, d.Message, secretValue)
		assert.NotContains(t, d.Description, secretValue)
	}
}

// TestPreviewCallOrder replays what `pulumi preview --policy-pack` does, through the engine's own
// analyzer client: Handshake, GetPluginInfo, GetAnalyzerInfo, ConfigureStack (dry run), Configure with
// the reconciled defaults, Analyze per resource with unknown and secret inputs, then AnalyzeStack with
// unknown and secret outputs and property dependencies.
func TestPreviewCallOrder(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	client, _ := start(t, testPack(rec))
	ctx := testContext(t)
	eng := pkgplugin.NewAnalyzerWithClient("test-pack", client)

	dir := t.TempDir()
	_, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{EngineAddress: "127.0.0.1:1", RootDirectory: &dir, ProgramDirectory: &dir})
	require.NoError(t, err)

	pi, err := eng.GetPluginInfo(ctx)
	require.NoError(t, err)
	require.NotNil(t, pi.Version)
	assert.Equal(t, "0.1.0", pi.Version.String())

	info, err := eng.GetAnalyzerInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, "test-pack", info.Name)
	assert.Equal(t, "0.1.0", info.Version)
	assert.True(t, info.SupportsConfig)
	levels := map[string]apitype.EnforcementLevel{}
	for _, p := range info.Policies {
		levels[p.Name] = p.EnforcementLevel
		assert.NotEmpty(t, p.DisplayName, p.Name)
		assert.NotEmpty(t, p.Description, p.Name)
		require.NotNil(t, p.ConfigSchema, p.Name)
		assert.Contains(t, p.ConfigSchema.Properties, "enforcementLevel", p.Name)
	}
	assert.Equal(t, map[string]apitype.EnforcementLevel{
		"bucket-public": apitype.Mandatory, "tags": apitype.Advisory, "encrypted": apitype.Remediate,
		"zones": apitype.Mandatory, "off": apitype.Disabled, "boom": apitype.Disabled,
		"stack-boom": apitype.Disabled, "fix-boom": apitype.Advisory,
	}, levels)

	_, err = client.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "dev", Project: "proj", DryRun: true})
	require.NoError(t, err)
	require.NoError(t, eng.Configure(ctx, engineConfig(t, eng, "")))

	// Analyze, per resource, on inputs.
	logs, err := eng.Analyze(ctx, engineResource(bucketURN, componentURN, resource.PropertyMap{
		"acl":       unknown(),
		"password":  secret(secretValue),
		"encrypted": resource.NewBoolProperty(true),
		"tags":      resource.NewObjectProperty(resource.PropertyMap{"owner": resource.NewStringProperty("web")}),
	}))
	require.NoError(t, err)
	assertNoSecret(t, logs.Diagnostics)
	d := byPolicy(logs.Diagnostics)
	require.Len(t, d["bucket-public"], 1)
	assert.Equal(t, apitype.Advisory, d["bucket-public"][0].EnforcementLevel, "cannot-verify is always advisory")
	assert.Contains(t, d["bucket-public"][0].Message, "acl is unknown")
	assert.Equal(t, bucketURN, d["bucket-public"][0].URN)
	assert.Equal(t, "test-pack", d["bucket-public"][0].PolicyPackName)
	assert.Equal(t, "0.1.0", d["bucket-public"][0].PolicyPackVersion)
	assert.Equal(t, "Buckets must not be public.", d["bucket-public"][0].Description)
	assert.Empty(t, d["tags"])
	assert.Empty(t, d["encrypted"])
	assert.Empty(t, d["off"])

	site, err := eng.Analyze(ctx, engineResource(publicURN, "", resource.PropertyMap{
		"acl":       resource.NewStringProperty("public-read"),
		"encrypted": resource.NewBoolProperty(false),
	}))
	require.NoError(t, err)
	d = byPolicy(site.Diagnostics)
	require.Len(t, d["bucket-public"], 1)
	assert.Equal(t, apitype.Mandatory, d["bucket-public"][0].EnforcementLevel)
	assert.Equal(t, "Buckets must not be public.\nsite: acl is public-read; set it to private", d["bucket-public"][0].Message)
	require.Len(t, d["tags"], 1)
	assert.Equal(t, apitype.Advisory, d["tags"][0].EnforcementLevel)
	require.Len(t, d["encrypted"], 1)
	assert.Equal(t, apitype.Mandatory, d["encrypted"][0].EnforcementLevel, "remediate without a remediation is mandatory")

	// What the resource policy saw.
	got := rec.resources[bucketURN]
	require.NotNil(t, got)
	assert.True(t, got.Properties["acl"].IsComputed(), "unknown inputs stay unknown")
	assert.True(t, got.Properties["password"].IsSecret(), "secrets stay wrapped")
	assert.Equal(t, componentURN, got.Parent)
	assert.Equal(t, "logs", got.Name)
	assert.Equal(t, bucketType, got.Type)
	assert.Equal(t, string(testURN("pulumi:providers:aws", "default")), got.Provider)
	assert.True(t, rec.lastArgs(t, "bucket-public").DryRun)
	assert.Equal(t, 0, rec.count("off"), "a disabled policy does not run")

	// AnalyzeStack, once, on outputs.
	stackRes := []pkgplugin.AnalyzerStackResource{
		{AnalyzerResource: engineResource(componentURN, "", resource.PropertyMap{})},
		{AnalyzerResource: engineResource(subnetAURN, componentURN, resource.PropertyMap{
			"id": resource.NewStringProperty("subnet-0a"), "availabilityZone": resource.NewStringProperty("us-east-1a"),
		}), Parent: componentURN},
		{AnalyzerResource: engineResource(subnetBURN, componentURN, resource.PropertyMap{
			"id": unknown(), "availabilityZone": unknown(),
		}), Parent: componentURN},
		{
			AnalyzerResource: engineResource(groupURN, componentURN, resource.PropertyMap{
				"vpcZoneIdentifiers": resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("subnet-0a"), unknown()}),
				"userData":           secret(secretValue),
			}),
			Parent:               componentURN,
			Dependencies:         []resource.URN{subnetAURN, subnetBURN},
			PropertyDependencies: map[resource.PropertyKey][]resource.URN{"vpcZoneIdentifiers": {subnetAURN, subnetBURN}},
		},
	}
	stack, err := eng.AnalyzeStack(ctx, stackRes)
	require.NoError(t, err)
	assertNoSecret(t, stack.Diagnostics)
	d = byPolicy(stack.Diagnostics)
	require.Len(t, d["zones"], 2)
	assert.Equal(t, apitype.Advisory, d["zones"][0].EnforcementLevel)
	assert.Equal(t, subnetBURN, d["zones"][0].URN)
	assert.Equal(t, apitype.Mandatory, d["zones"][1].EnforcementLevel)
	assert.Contains(t, d["zones"][1].Message, "span 1 availability zones; minimumZones is 2")
	assert.Empty(t, d["zones"][1].URN, "a stack-wide finding names no resource")
	assert.Empty(t, d["bucket-public"], "resource policies run only in Analyze")

	s := rec.stack
	require.NotNil(t, s)
	require.Len(t, s.Resources, 4)
	assert.Equal(t, []resource.URN{componentURN, subnetAURN, subnetBURN, groupURN},
		[]resource.URN{s.Resources[0].URN, s.Resources[1].URN, s.Resources[2].URN, s.Resources[3].URN}, "engine order")
	assert.Equal(t, "subnet-0a", s.Resources[1].ID, "the id output is the resource's ID")
	assert.Empty(t, s.Resources[2].ID, "an unknown ID is empty")
	g := s.Resources[3]
	assert.Equal(t, componentURN, g.Parent)
	assert.Equal(t, []resource.URN{subnetAURN, subnetBURN}, g.Dependencies)
	assert.Equal(t, map[resource.PropertyKey][]resource.URN{"vpcZoneIdentifiers": {subnetAURN, subnetBURN}}, maps.Collect(g.PropertyDependencies.All()))
	assert.True(t, g.Properties["vpcZoneIdentifiers"].ArrayValue()[1].IsComputed())
	assert.True(t, g.Properties["userData"].IsSecret())
	assert.True(t, rec.lastArgs(t, "zones").DryRun)
	assert.Equal(t, map[string]any{"minimumZones": float64(2)}, rec.lastArgs(t, "zones").Config, "schema defaults apply")
}

// TestPolicyAnalyzeCallOrder replays `pulumi policy analyze --file --policy-pack-config`: no
// ConfigureStack, configuration from a file, then per resource Remediate and Analyze on inputs, then
// AnalyzeStack on outputs.
func TestPolicyAnalyzeCallOrder(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	client, _ := start(t, testPack(rec))
	ctx := testContext(t)
	eng := pkgplugin.NewAnalyzerWithClient("test-pack", client)

	dir := t.TempDir()
	_, err := client.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{EngineAddress: "127.0.0.1:1", RootDirectory: &dir, ProgramDirectory: &dir})
	require.NoError(t, err)
	_, err = eng.GetPluginInfo(ctx)
	require.NoError(t, err)
	file := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(file, []byte(`{
		"all": "mandatory",
		"tags": {"enforcementLevel": "remediate", "tagKey": "team"},
		"boom": "disabled",
		"stack-boom": "disabled",
		"fix-boom": "advisory",
		"zones": {"minimumZones": 3}
	}`), 0o600))
	require.NoError(t, eng.Configure(ctx, engineConfig(t, eng, file)))

	site := engineResource(publicURN, "", resource.PropertyMap{
		"acl":        resource.NewStringProperty("public-read"),
		"encrypted":  resource.NewBoolProperty(true),
		"__defaults": resource.NewArrayProperty(nil),
	})
	rem, err := eng.Remediate(ctx, site)
	require.NoError(t, err)
	require.Len(t, rem.Remediations, 1)
	tags := rem.Remediations[0]
	assert.Equal(t, "tags", tags.PolicyName)
	assert.Empty(t, tags.Diagnostic)
	fixed := resource.ToResourcePropertyMap(tags.Properties)
	assert.Equal(t, "platform", fixed["tags"].ObjectValue()["team"].StringValue(), "remediated with the configured tagKey")
	assert.Equal(t, "public-read", fixed["acl"].StringValue(), "other properties are kept")
	assert.Contains(t, fixed, resource.PropertyKey("__defaults"), "internal keys survive a remediation")
	assert.Equal(t, "test-pack", tags.PolicyPackName)

	res, err := eng.Analyze(ctx, site)
	require.NoError(t, err)
	d := byPolicy(res.Diagnostics)
	require.Len(t, d["bucket-public"], 1)
	assert.Equal(t, apitype.Mandatory, d["bucket-public"][0].EnforcementLevel)
	assert.Empty(t, d["tags"], "a remediate-level policy with a remediation is fixed, not reported")
	assert.Equal(t, 0, rec.count("tags"))
	assert.Empty(t, d["boom"], "a policy's own level beats all")
	require.Len(t, d["off"], 1, "all enables a policy disabled by default")
	assert.Equal(t, apitype.Mandatory, d["off"][0].EnforcementLevel)
	assert.Empty(t, d["encrypted"])
	assert.False(t, rec.lastArgs(t, "bucket-public").DryRun, "no ConfigureStack: not a preview")

	stack, err := eng.AnalyzeStack(ctx, []pkgplugin.AnalyzerStackResource{
		{AnalyzerResource: engineResource(subnetAURN, "", resource.PropertyMap{"availabilityZone": resource.NewStringProperty("us-east-1a")})},
		{AnalyzerResource: engineResource(subnetBURN, "", resource.PropertyMap{"availabilityZone": resource.NewStringProperty("us-east-1b")})},
	})
	require.NoError(t, err)
	d = byPolicy(stack.Diagnostics)
	require.Len(t, d["zones"], 1)
	assert.Contains(t, d["zones"][0].Message, "minimumZones is 3")
	assert.Equal(t, apitype.Mandatory, d["zones"][0].EnforcementLevel)
	assert.False(t, rec.lastArgs(t, "zones").DryRun)
}

// configure sends one policy's level and properties the way the engine does.
func configure(ctx context.Context, client pulumirpc.AnalyzerClient, cfg map[string]*pulumirpc.PolicyConfig) error {
	_, err := client.Configure(ctx, &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: cfg})
	return err
}

func levelOnly(l pulumirpc.EnforcementLevel) *pulumirpc.PolicyConfig {
	return &pulumirpc.PolicyConfig{EnforcementLevel: l, Properties: &structpb.Struct{}}
}

// analyzeRequest marshals a resource as the engine does.
func analyzeRequest(t *testing.T, urn resource.URN, props resource.PropertyMap) *pulumirpc.AnalyzeRequest {
	t.Helper()
	ps, err := plugin.MarshalProperties(props, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	require.NoError(t, err)
	return &pulumirpc.AnalyzeRequest{Urn: string(urn), Type: string(urn.Type()), Name: urn.Name(), Properties: ps,
		Options: &pulumirpc.AnalyzerResourceOptions{}}
}

func diagsOf(ds []*pulumirpc.AnalyzeDiagnostic, name string) []*pulumirpc.AnalyzeDiagnostic {
	var out []*pulumirpc.AnalyzeDiagnostic
	for _, d := range ds {
		if d.GetPolicyName() == name {
			out = append(out, d)
		}
	}
	return out
}

// TestLevels checks each configured level of a resource policy with and without a remediation, and of
// a stack policy.
func TestLevels(t *testing.T) {
	t.Parallel()
	public := resource.PropertyMap{"acl": resource.NewStringProperty("public-read")}
	cases := []struct {
		level pulumirpc.EnforcementLevel
		// want is the level reported for bucket-public (no remediation) and zones (stack); -1 for none.
		want    pulumirpc.EnforcementLevel
		runs    bool
		tagsAt  pulumirpc.EnforcementLevel // level reported for tags (with a remediation); -1 for none
		tagsFix bool                       // whether Remediate runs the tags remediation
	}{
		{pulumirpc.EnforcementLevel_ADVISORY, pulumirpc.EnforcementLevel_ADVISORY, true, pulumirpc.EnforcementLevel_ADVISORY, false},
		{pulumirpc.EnforcementLevel_MANDATORY, pulumirpc.EnforcementLevel_MANDATORY, true, pulumirpc.EnforcementLevel_MANDATORY, false},
		{pulumirpc.EnforcementLevel_REMEDIATE, pulumirpc.EnforcementLevel_MANDATORY, true, -1, true},
		{pulumirpc.EnforcementLevel_DISABLED, -1, false, -1, false},
	}
	for _, c := range cases {
		t.Run(c.level.String(), func(t *testing.T) {
			rec := newRecorder()
			client, _ := start(t, testPack(rec))
			ctx := testContext(t)
			require.NoError(t, configure(ctx, client, map[string]*pulumirpc.PolicyConfig{
				"bucket-public": levelOnly(c.level), "tags": levelOnly(c.level), "zones": levelOnly(c.level),
			}))

			res, err := client.Analyze(ctx, analyzeRequest(t, publicURN, public))
			require.NoError(t, err)
			bp := diagsOf(res.GetDiagnostics(), "bucket-public")
			tg := diagsOf(res.GetDiagnostics(), "tags")
			if c.want < 0 {
				assert.Empty(t, bp)
			} else {
				require.Len(t, bp, 1)
				assert.Equal(t, c.want, bp[0].GetEnforcementLevel())
			}
			if c.tagsAt < 0 {
				assert.Empty(t, tg)
			} else {
				require.Len(t, tg, 1)
				assert.Equal(t, c.tagsAt, tg[0].GetEnforcementLevel())
			}
			assert.Equal(t, c.runs, rec.count("bucket-public") > 0)

			rem, err := client.Remediate(ctx, analyzeRequest(t, publicURN, public))
			require.NoError(t, err)
			var fixedBy []string
			for _, r := range rem.GetRemediations() {
				fixedBy = append(fixedBy, r.GetPolicyName())
			}
			if c.tagsFix {
				assert.Equal(t, []string{"tags"}, fixedBy)
			} else {
				assert.Empty(t, fixedBy)
			}

			st, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{})
			require.NoError(t, err)
			z := diagsOf(st.GetDiagnostics(), "zones")
			if c.want < 0 {
				assert.Empty(t, z)
				assert.Equal(t, 0, rec.count("zones"))
			} else {
				require.Len(t, z, 1)
				assert.Equal(t, c.want, z[0].GetEnforcementLevel(), "stack policies cannot be remediated")
			}
		})
	}
}

// TestAllKey checks that `all` sets every policy's level, that a policy's own entry beats it, and that
// a later Configure without `all` returns policies to their defaults.
func TestAllKey(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	client, _ := start(t, testPack(rec))
	ctx := testContext(t)
	public := analyzeRequest(t, publicURN, resource.PropertyMap{"acl": resource.NewStringProperty("public-read")})

	require.NoError(t, configure(ctx, client, map[string]*pulumirpc.PolicyConfig{
		"all":  levelOnly(pulumirpc.EnforcementLevel_ADVISORY),
		"boom": levelOnly(pulumirpc.EnforcementLevel_DISABLED),
	}))
	res, err := client.Analyze(ctx, public)
	require.NoError(t, err)
	for _, name := range []string{"bucket-public", "tags", "off"} {
		ds := diagsOf(res.GetDiagnostics(), name)
		require.Len(t, ds, 1, name)
		assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, ds[0].GetEnforcementLevel(), name)
	}
	assert.Equal(t, 1, rec.count("off"), "all enables a policy disabled by default")
	assert.Empty(t, diagsOf(res.GetDiagnostics(), "boom"), "a policy's own level beats all")

	require.NoError(t, configure(ctx, client, map[string]*pulumirpc.PolicyConfig{
		"all": levelOnly(pulumirpc.EnforcementLevel_DISABLED),
	}))
	res, err = client.Analyze(ctx, public)
	require.NoError(t, err)
	assert.Empty(t, res.GetDiagnostics())
	st, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	assert.Empty(t, st.GetDiagnostics())

	require.NoError(t, configure(ctx, client, nil))
	res, err = client.Analyze(ctx, public)
	require.NoError(t, err)
	ds := diagsOf(res.GetDiagnostics(), "bucket-public")
	require.Len(t, ds, 1)
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, ds[0].GetEnforcementLevel(), "back to the default")
}

// TestPanickingPolicy checks that a policy that panics, in any call, fails the call with Internal naming
// the policy and the panic, as the Node policy SDK fails it, rather than being reported as a violation;
// that the other policies still run; and that the process stays up and keeps serving.
func TestPanickingPolicy(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	client, _ := start(t, testPack(rec))
	ctx := testContext(t)
	require.NoError(t, configure(ctx, client, map[string]*pulumirpc.PolicyConfig{
		"boom": levelOnly(pulumirpc.EnforcementLevel_MANDATORY), "stack-boom": levelOnly(pulumirpc.EnforcementLevel_ADVISORY),
		"fix-boom": levelOnly(pulumirpc.EnforcementLevel_REMEDIATE), "tags": levelOnly(pulumirpc.EnforcementLevel_REMEDIATE),
	}))
	req := analyzeRequest(t, publicURN, resource.PropertyMap{"acl": resource.NewStringProperty("public-read")})

	_, err := client.Analyze(ctx, req)
	require.Error(t, err)
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), `policy "boom" from policy pack test-pack@v0.1.0 failed: panic: kaboom`)
	assert.Equal(t, 1, rec.count("bucket-public"), "the others still run")

	_, err = client.Remediate(ctx, req)
	require.Error(t, err)
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), `remediation "fix-boom" from policy pack test-pack@v0.1.0 failed: panic: remediation kaboom`)

	_, err = client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{})
	require.Error(t, err, "an advisory policy that fails fails the call too: its failure says nothing about the stack")
	assert.Equal(t, codes.Internal, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), `policy "stack-boom" from policy pack test-pack@v0.1.0 failed: panic: assignment to entry in nil map`)
	assert.Equal(t, 1, rec.count("zones"), "the others still run")

	// The server is still up, and serves the next calls.
	_, err = client.GetPluginInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	require.NoError(t, configure(ctx, client, nil))
	res, err := client.Analyze(ctx, req)
	require.NoError(t, err)
	assert.Len(t, diagsOf(res.GetDiagnostics(), "bucket-public"), 1)
}

// TestCannotVerifyIsAdvisory checks that a finding marked CannotVerify is advisory even from a
// mandatory policy, in Analyze and AnalyzeStack.
func TestCannotVerifyIsAdvisory(t *testing.T) {
	t.Parallel()
	client, _ := start(t, testPack(newRecorder()))
	ctx := testContext(t)
	res, err := client.Analyze(ctx, analyzeRequest(t, bucketURN, resource.PropertyMap{"acl": unknown()}))
	require.NoError(t, err)
	ds := diagsOf(res.GetDiagnostics(), "bucket-public")
	require.Len(t, ds, 1)
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, ds[0].GetEnforcementLevel())

	ps, err := plugin.MarshalProperties(resource.PropertyMap{"availabilityZone": unknown()}, plugin.MarshalOptions{KeepUnknowns: true})
	require.NoError(t, err)
	st, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		{Urn: string(subnetAURN), Type: subnetType, Name: "subnet-a", Properties: ps},
	}})
	require.NoError(t, err)
	ds = diagsOf(st.GetDiagnostics(), "zones")
	require.Len(t, ds, 2)
	assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, ds[0].GetEnforcementLevel())
	assert.Equal(t, string(subnetAURN), ds[0].GetUrn())
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, ds[1].GetEnforcementLevel())
}

// TestBadConfig checks that invalid configuration is rejected with InvalidArgument, naming the policy,
// the property and what is allowed, and that the configuration in effect stays.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	client, _ := start(t, testPack(rec))
	ctx := testContext(t)
	props := func(m map[string]any) *structpb.Struct {
		s, err := structpb.NewStruct(m)
		require.NoError(t, err)
		return s
	}
	require.NoError(t, configure(ctx, client, map[string]*pulumirpc.PolicyConfig{
		"zones": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: props(map[string]any{"minimumZones": 3})},
	}))

	cases := []struct {
		name string
		cfg  map[string]*pulumirpc.PolicyConfig
		want []string
	}{
		{"wrong type", map[string]*pulumirpc.PolicyConfig{
			"zones": {Properties: props(map[string]any{"minimumZones": "three"})},
		}, []string{"zones", "minimumZones", "integer", `"minimum":1`}},
		{"out of range", map[string]*pulumirpc.PolicyConfig{
			"zones": {Properties: props(map[string]any{"minimumZones": 0})},
		}, []string{"zones", "minimumZones", "greater than or equal to 1"}},
		{"unknown policy", map[string]*pulumirpc.PolicyConfig{
			"zonez": levelOnly(pulumirpc.EnforcementLevel_MANDATORY),
		}, []string{`unknown policy "zonez"`, `"zones"`}},
		{"unknown property", map[string]*pulumirpc.PolicyConfig{
			"zones": {Properties: props(map[string]any{"minZones": 3})},
		}, []string{"zones", `unknown property "minZones"`, `"minimumZones"`}},
		{"property of a policy without any", map[string]*pulumirpc.PolicyConfig{
			"boom": {Properties: props(map[string]any{"x": 1})},
		}, []string{"boom", `unknown property "x"`, "takes no properties"}},
		{"properties for all", map[string]*pulumirpc.PolicyConfig{
			"all": {Properties: props(map[string]any{"minimumZones": 3})},
		}, []string{"all", "only an enforcement level"}},
		{"bad level", map[string]*pulumirpc.PolicyConfig{
			"zones": {EnforcementLevel: 9},
		}, []string{"zones", "unknown enforcement level 9", "advisory, mandatory, remediate, disabled"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := configure(ctx, client, c.cfg)
			require.Error(t, err)
			s, ok := status.FromError(err)
			require.True(t, ok)
			assert.Equal(t, codes.InvalidArgument, s.Code())
			for _, w := range c.want {
				assert.Contains(t, s.Message(), w)
			}
			assert.Contains(t, s.Message(), "test-pack")
		})
	}

	_, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	assert.Equal(t, float64(3), rec.lastArgs(t, "zones").Config["minimumZones"], "the last good configuration stays")
}

// TestCancel checks that Cancel stops a running policy through its context, that later calls fail
// with Canceled, and that the server reports it is done.
func TestCancel(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	pack := Pack{Name: "slow", Version: "1.0.0", Policies: []policy.Policy{{
		Name: "slow", DefaultLevel: policy.Mandatory,
		CheckResource: func(ctx context.Context, _ *policy.Resource, _ policy.Args) []policy.Violation {
			close(started)
			select {
			case <-ctx.Done():
				return []policy.Violation{{Message: "stopped: " + ctx.Err().Error()}}
			case <-time.After(20 * time.Second):
				return nil
			}
		},
	}}}
	client, srv := start(t, pack)
	ctx := testContext(t)
	req := analyzeRequest(t, bucketURN, resource.PropertyMap{})

	type result struct {
		res *pulumirpc.AnalyzeResponse
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := client.Analyze(ctx, req)
		done <- result{res, err}
	}()
	<-started
	_, err := client.Cancel(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	select {
	case r := <-done:
		require.NoError(t, r.err)
		require.Len(t, r.res.GetDiagnostics(), 1)
		assert.Contains(t, r.res.GetDiagnostics()[0].GetMessage(), "stopped: context canceled")
	case <-time.After(10 * time.Second):
		t.Fatal("the running policy did not see the cancellation")
	}
	select {
	case <-srv.Done():
	default:
		t.Fatal("Done is not closed after Cancel")
	}
	_, err = client.Analyze(ctx, req)
	assert.Equal(t, codes.Canceled, status.Code(err))
	_, err = client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	assert.NoError(t, err, "metadata stays available")
}

// TestInfoWithoutConfigureStack checks that metadata calls work on a fresh server, before any
// Handshake or ConfigureStack, and that the schema is advertised as declared.
func TestInfoWithoutConfigureStack(t *testing.T) {
	t.Parallel()
	client, _ := start(t, testPack(newRecorder()))
	ctx := testContext(t)
	pi, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.Equal(t, "0.1.0", pi.GetVersion())
	info, err := client.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	assert.True(t, info.GetSupportsConfig())
	require.Len(t, info.GetPolicies(), 8)
	bp := info.GetPolicies()[0]
	assert.Equal(t, "bucket-public", bp.GetName())
	assert.Equal(t, "Buckets are private", bp.GetDisplayName())
	assert.Equal(t, "Enforces: Test doc, section Buckets", bp.GetMessage())
	assert.Equal(t, pulumirpc.PolicyType_POLICY_TYPE_RESOURCE, bp.GetPolicyType())
	zones := info.GetPolicies()[3]
	assert.Equal(t, "zones", zones.GetName())
	assert.Equal(t, pulumirpc.PolicyType_POLICY_TYPE_STACK, zones.GetPolicyType())
	assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, zones.GetEnforcementLevel())
	schema := zones.GetConfigSchema().GetProperties().AsMap()
	assert.Equal(t, map[string]any{"type": "integer", "minimum": float64(1), "default": float64(2)}, schema["minimumZones"])
	assert.Equal(t, "array", schema["waivers"].(map[string]any)["type"], "every policy takes waivers")
	assert.Len(t, schema, 2)
	assert.Equal(t, "Test doc", strings.Split(strings.TrimPrefix(bp.GetMessage(), "Enforces: "), ",")[0])
}

// TestNewRejectsBadPacks checks the pack's own consistency.
func TestNewRejectsBadPacks(t *testing.T) {
	t.Parallel()
	check := func(context.Context, *policy.Resource, policy.Args) []policy.Violation { return nil }
	stack := func(context.Context, *policy.Stack, policy.Args) []policy.Violation { return nil }
	cases := []struct {
		name string
		pack Pack
		want string
	}{
		{"bad pack name", Pack{Name: "ess ha"}, "invalid policy pack name"},
		{"reserved name", Pack{Name: "p", Policies: []policy.Policy{{Name: "all", CheckResource: check}}}, `"all" is reserved`},
		{"duplicate", Pack{Name: "p", Policies: []policy.Policy{{Name: "a", CheckResource: check}, {Name: "a", CheckStack: stack}}}, `two policies are named "a"`},
		{"both checks", Pack{Name: "p", Policies: []policy.Policy{{Name: "a", CheckResource: check, CheckStack: stack}}}, "both"},
		{"no check", Pack{Name: "p", Policies: []policy.Policy{{Name: "a"}}}, "neither"},
		{"bad level", Pack{Name: "p", Policies: []policy.Policy{{Name: "a", CheckResource: check, DefaultLevel: "strict"}}}, `"strict"`},
		{"reserved property", Pack{Name: "p", Policies: []policy.Policy{{Name: "a", CheckResource: check,
			Schema: &policy.Schema{Properties: map[string]map[string]any{"enforcementLevel": {"type": "string"}}}}}}, "reserved property"},
		{"undeclared required", Pack{Name: "p", Policies: []policy.Policy{{Name: "a", CheckResource: check,
			Schema: &policy.Schema{Required: []string{"x"}}}}}, `requires property "x"`},
		{"bad default", Pack{Name: "p", Policies: []policy.Policy{{Name: "a", CheckResource: check,
			Schema: &policy.Schema{Properties: map[string]map[string]any{"n": {"type": "integer", "default": "two"}}}}}}, "defaults do not validate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.pack)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
