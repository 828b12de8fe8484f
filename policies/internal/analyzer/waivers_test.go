package analyzer

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	resourceanalyzer "github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	pkgplugin "github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// startAt serves pack over real gRPC with its clock at the given day, and returns the engine's client.
func startAt(t *testing.T, pack Pack, day string) pkgplugin.Analyzer {
	t.Helper()
	now, err := time.Parse("2006-01-02", day)
	require.NoError(t, err)
	srv, err := New(pack, WithClock(func() time.Time { return now.Add(15 * time.Hour) }))
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer()
	pulumirpc.RegisterAnalyzerServer(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return pkgplugin.NewAnalyzerWithClient("test-pack", pulumirpc.NewAnalyzerClient(conn))
}

// waiverConfig is a --policy-pack-config file waiving bucket-public on the public bucket and zones on
// the stack, until 2026-06-30.
const waiverConfig = `{
  "bucket-public": {"waivers": [
    {"resource": "urn:pulumi:dev::proj::test:index:Bucket::s*", "reason": "a static site, public on purpose",
     "approvedBy": "jane@example.org", "expires": "2026-06-30"}
  ]},
  "zones": {"minimumZones": 2, "waivers": [
    {"resource": "urn:pulumi:dev::proj::pulumi:pulumi:Stack::*", "reason": "one zone until the second is built",
     "approvedBy": "bob@example.org", "expires": "2026-06-30"}
  ]}
}`

// TestWaiversAtPreview replays a preview with a --policy-pack-config holding waivers, through the
// engine's own config loading, validation and analyzer client: a waived finding is reported as advisory,
// "waived until ...", never dropped; after the expiry day it is back at its level with a note.
func TestWaiversAtPreview(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(file, []byte(waiverConfig), 0o600))
	stackURN := resource.URN("urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev")
	site := engineResource(publicURN, "", resource.PropertyMap{"acl": resource.NewStringProperty("public-read")})
	subnet := engineResource(subnetAURN, "", resource.PropertyMap{"availabilityZone": resource.NewStringProperty("us-east-1a")})
	stack := []pkgplugin.AnalyzerStackResource{
		{AnalyzerResource: engineResource(stackURN, "", resource.PropertyMap{})},
		{AnalyzerResource: subnet},
	}

	for _, c := range []struct {
		day     string
		waived  bool
		level   apitype.EnforcementLevel
		contain string
	}{
		{"2026-06-30", true, apitype.Advisory, "waived until 2026-06-30 (approved by jane@example.org: a static site, public on purpose): "},
		{"2026-07-01", false, apitype.Mandatory, "expired on 2026-06-30 and waives nothing"},
	} {
		t.Run(c.day, func(t *testing.T) {
			eng := startAt(t, testPack(newRecorder()), c.day)
			require.NoError(t, eng.Configure(testContext(t), engineConfig(t, eng, file)))
			res, err := eng.Analyze(testContext(t), site)
			require.NoError(t, err)
			d := byPolicy(res.Diagnostics)["bucket-public"]
			require.Len(t, d, 1, "a waived finding is never silent")
			assert.Equal(t, c.level, d[0].EnforcementLevel)
			assert.Contains(t, d[0].Message, c.contain)
			assert.Contains(t, d[0].Message, "acl is public-read")

			st, err := eng.AnalyzeStack(testContext(t), stack)
			require.NoError(t, err)
			z := byPolicy(st.Diagnostics)["zones"]
			require.Len(t, z, 1)
			assert.Equal(t, c.level, z[0].EnforcementLevel, "a stack-level finding is matched against the root stack's URN")
		})
	}
}

// TestWaiverConfigErrorsAtPreview: the engine's validation against the advertised schema, then the
// pack's, refuse a waiver without its fields, naming the policy and the field.
func TestWaiverConfigErrorsAtPreview(t *testing.T) {
	t.Parallel()
	eng := startAt(t, testPack(newRecorder()), "2026-06-01")
	file := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"bucket-public": {"waivers": [{"resource": "urn:*", "reason": "r", "expires": "2026-06-30"}]}}`), 0o600))
	info, err := eng.GetAnalyzerInfo(testContext(t))
	require.NoError(t, err)
	fromFile, err := resourceanalyzer.LoadPolicyPackConfigFromFile(file)
	require.NoError(t, err)
	_, invalid, err := resourceanalyzer.ReconcilePolicyPackConfig(info.Policies, info.InitialConfig, fromFile)
	require.NoError(t, err)
	require.NotEmpty(t, invalid, "the engine refuses it before the pack sees it")
	assert.Contains(t, invalid[0], "bucket-public")
	assert.Contains(t, invalid[0], "approvedBy")

	err = eng.Configure(testContext(t), map[string]pkgplugin.AnalyzerPolicyConfig{"bucket-public": {
		EnforcementLevel: apitype.Mandatory,
		Properties:       map[string]any{"waivers": []any{map[string]any{"resource": "urn:*", "reason": "r", "expires": "2026-06-30"}}},
	}})
	require.Error(t, err, "and so does the pack")
	assert.Contains(t, err.Error(), "bucket-public: waivers[0]: approvedBy is missing")
}
