package analyzer_test

import (
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/pack"
)

// requestSeeds are AnalyzeStack requests, as the engine encodes them, of the shared fixture topologies
// (deployed and preview, with secrets and unknowns) and of the secrets fixture.
func requestSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob("../rules/testdata/_shared/*.json")
	if err != nil {
		tb.Fatal(err)
	}
	paths = append(paths, "../rules/testdata/_secrets/secrets.deployed.json")
	var out [][]byte
	for _, p := range paths {
		f, err := policytest.LoadFixture(p)
		if err != nil {
			tb.Fatal(err)
		}
		req := &pulumirpc.AnalyzeStackRequest{}
		for _, r := range f.Stack.Resources {
			props, err := plugin.MarshalProperties(r.Properties, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true})
			if err != nil {
				tb.Fatal(err)
			}
			ar := &pulumirpc.AnalyzerResource{Urn: string(r.URN), Type: r.Type, Name: r.Name, Properties: props, Parent: string(r.Parent)}
			for _, d := range r.Dependencies {
				ar.Dependencies = append(ar.Dependencies, string(d))
			}
			req.Resources = append(req.Resources, ar)
		}
		b, err := proto.Marshal(req)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzAnalyze decodes any bytes as an AnalyzeStack, an Analyze and a Remediate request and sends them
// to the ess-ha pack: no call may panic, and every error must be InvalidArgument (a malformed request).
// An Internal error is a policy that failed on a shape the protocol allows, which is a bug of the pack.
func FuzzAnalyze(f *testing.F) {
	for _, s := range requestSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{})
	srv, err := analyzer.New(pack.Definition())
	if err != nil {
		f.Fatal(err)
	}
	all := map[string]*pulumirpc.PolicyConfig{"all": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: &structpb.Struct{}}}
	if _, err := srv.Configure(f.Context(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: all}); err != nil {
		f.Fatal(err)
	}
	check := func(t *testing.T, call string, err error) {
		if err != nil && status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v", call, err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := t.Context()
		var stack pulumirpc.AnalyzeStackRequest
		if proto.Unmarshal(data, &stack) == nil {
			_, err := srv.AnalyzeStack(ctx, &stack)
			check(t, "AnalyzeStack", err)
			for _, r := range stack.GetResources() {
				req := &pulumirpc.AnalyzeRequest{Urn: r.GetUrn(), Type: r.GetType(), Name: r.GetName(), Properties: r.GetProperties(), Options: r.GetOptions(), Provider: r.GetProvider()}
				_, err := srv.Analyze(ctx, req)
				check(t, "Analyze", err)
			}
		}
		var one pulumirpc.AnalyzeRequest
		if proto.Unmarshal(data, &one) == nil {
			_, err := srv.Analyze(ctx, &one)
			check(t, "Analyze", err)
			_, err = srv.Remediate(ctx, &one)
			check(t, "Remediate", err)
		}
	})
}

// FuzzConfigure sends any bytes as a Configure request: it must be accepted or refused with
// InvalidArgument, never panic, and leave the pack serving.
func FuzzConfigure(f *testing.F) {
	seed := func(m map[string]*pulumirpc.PolicyConfig) {
		b, err := proto.Marshal(&pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: m})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	props := func(m map[string]any) *structpb.Struct {
		s, err := structpb.NewStruct(m)
		if err != nil {
			f.Fatal(err)
		}
		return s
	}
	seed(nil)
	seed(map[string]*pulumirpc.PolicyConfig{"all": {EnforcementLevel: pulumirpc.EnforcementLevel_ADVISORY}})
	seed(map[string]*pulumirpc.PolicyConfig{"ha-min-availability-zones": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: props(map[string]any{"minimumZones": 3})}})
	seed(map[string]*pulumirpc.PolicyConfig{"ha-private-registry": {Properties: props(map[string]any{"allowedAccounts": []any{"123456789012"}, "minZones": "x"})}})
	seed(map[string]*pulumirpc.PolicyConfig{"nope": {EnforcementLevel: 42, Properties: &structpb.Struct{Fields: map[string]*structpb.Value{"k": {}}}}})
	srv, err := analyzer.New(pack.Definition())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req pulumirpc.ConfigureAnalyzerRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		if _, err := srv.Configure(t.Context(), &req); err != nil && status.Code(err) != codes.InvalidArgument {
			t.Errorf("Configure: %v", err)
		}
		if _, err := srv.AnalyzeStack(t.Context(), &pulumirpc.AnalyzeStackRequest{}); err != nil {
			t.Errorf("AnalyzeStack after Configure: %v", err)
		}
	})
}
