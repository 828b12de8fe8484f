package analyzer

import (
	"context"
	"fmt"
	"strings"
	"testing"

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

// hostileRequests are requests the protocol can carry but the pack must refuse: each property struct
// is put in an Analyze, a Remediate and an AnalyzeStack request.
func hostileRequests() map[string]*structpb.Struct {
	nest := func(depth int, list bool) *structpb.Value {
		v := structpb.NewStringValue("leaf")
		for range depth {
			if list {
				v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
			} else {
				v = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"a": v}})
			}
		}
		return v
	}
	return map[string]*structpb.Struct{
		"a value with no kind":         {Fields: map[string]*structpb.Value{"engine": {}}},
		"a nil value":                  {Fields: map[string]*structpb.Value{"engine": nil}},
		"no kind inside a list":        {Fields: map[string]*structpb.Value{"azs": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("a"), {}}})}},
		"no kind inside a secret":      {Fields: map[string]*structpb.Value{"p": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{resource.SigKey: structpb.NewStringValue(resource.SecretSig), "value": {}}})}},
		"objects 3,300 levels deep":    {Fields: map[string]*structpb.Value{"deep": nest(3300, false)}},
		"lists 3,300 levels deep":      {Fields: map[string]*structpb.Value{"deep": nest(3300, true)}},
		"objects one level too deep":   {Fields: map[string]*structpb.Value{"deep": nest(MaxDepth+1, false)}},
		"a string over the limit":      {Fields: map[string]*structpb.Value{"userData": structpb.NewStringValue(strings.Repeat("x", MaxStringBytes+1))}},
		"a key over the limit":         {Fields: map[string]*structpb.Value{strings.Repeat("k", MaxNameBytes+1): structpb.NewBoolValue(true)}},
		"an unknown signature":         {Fields: map[string]*structpb.Value{"p": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{resource.SigKey: structpb.NewStringValue("not-a-signature")}})}},
		"a resource reference, no urn": {Fields: map[string]*structpb.Value{"p": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{resource.SigKey: structpb.NewStringValue(resource.ResourceReferenceSig), "urn": structpb.NewNumberValue(1)}})}},
	}
}

// TestHostileRequestsAreErrors sends every hostile request in each call that decodes properties, over
// real gRPC: each gets InvalidArgument naming the resource and the path of the value, none takes the
// process down, and the server keeps serving.
func TestHostileRequestsAreErrors(t *testing.T) {
	t.Parallel()
	client, _ := start(t, testPack(newRecorder()))
	ctx := testContext(t)
	require.NoError(t, configure(ctx, client, map[string]*pulumirpc.PolicyConfig{"tags": levelOnly(pulumirpc.EnforcementLevel_REMEDIATE)}))
	for name, props := range hostileRequests() {
		t.Run(name, func(t *testing.T) {
			req := &pulumirpc.AnalyzeRequest{Urn: string(bucketURN), Type: bucketType, Name: "logs", Properties: props}
			_, aErr := client.Analyze(ctx, req)
			_, rErr := client.Remediate(ctx, req)
			_, sErr := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
				{Urn: string(subnetAURN), Type: subnetType, Name: "subnet-a"},
				{Urn: string(bucketURN), Type: bucketType, Name: "logs", Properties: props},
			}})
			for call, err := range map[string]error{"Analyze": aErr, "Remediate": rErr, "AnalyzeStack": sErr} {
				if name == "an unknown signature" || name == "a resource reference, no urn" {
					// The SDK decodes these as plain objects or refuses them: either is fine, as long as
					// the process stays up.
					continue
				}
				require.Error(t, err, call)
				assert.Equal(t, codes.InvalidArgument, status.Code(err), "%s: %v", call, err)
				msg := status.Convert(err).Message()
				assert.Contains(t, msg, "malformed request", call)
				assert.Contains(t, msg, string(bucketURN), "%s: the error names the resource", call)
				assert.LessOrEqual(t, len(msg), MaxMessageBytes, call)
			}
			_, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
			require.NoError(t, err, "the server is still up")
		})
	}
}

// TestMalformedRequestNamesThePath checks the path an InvalidArgument error gives.
func TestMalformedRequestNamesThePath(t *testing.T) {
	t.Parallel()
	srv, err := New(testPack(newRecorder()))
	require.NoError(t, err)
	props := &structpb.Struct{Fields: map[string]*structpb.Value{
		"cache": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"preferredCacheClusterAzs": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("us-east-1a"), {}}}),
		}}),
	}}
	assert.NotPanics(t, func() {
		_, err = srv.Analyze(t.Context(), &pulumirpc.AnalyzeRequest{Urn: string(bucketURN), Type: bucketType, Properties: props})
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "properties.cache.preferredCacheClusterAzs[1]: a value with no kind")
}

// TestLimitsAreExact checks each limit at its bound and one past it, with small limits.
func TestLimitsAreExact(t *testing.T) {
	t.Parallel()
	lim := limits{depth: 3, values: 10, stringBytes: 5, nameBytes: 8}
	nest := func(depth int) *structpb.Value {
		v := structpb.NewBoolValue(true)
		for range depth {
			v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
		}
		return v
	}
	analyze := func(urn string, props map[string]*structpb.Value) error {
		_, err := resourceFromRequest(&pulumirpc.AnalyzeRequest{Urn: urn, Properties: &structpb.Struct{Fields: props}}, checkOptions, lim)
		return err
	}
	assert.NoError(t, analyze("u", map[string]*structpb.Value{"p": nest(3)}))
	assert.ErrorContains(t, analyze("u", map[string]*structpb.Value{"p": nest(4)}), "nest more than 3 levels")
	assert.NoError(t, analyze("u", map[string]*structpb.Value{"p": structpb.NewStringValue("12345")}))
	assert.ErrorContains(t, analyze("u", map[string]*structpb.Value{"p": structpb.NewStringValue("123456")}), "a string of 6 bytes")
	assert.NoError(t, analyze("12345678", nil))
	assert.ErrorContains(t, analyze("123456789", nil), "urn is 9 bytes long")
	many := map[string]*structpb.Value{}
	for i := range 6 { // urn, type, name, provider, parent: 5 values, and 6 properties
		many[fmt.Sprint(i)] = structpb.NewNullValue()
	}
	assert.ErrorContains(t, analyze("u", many), "more than 10 values")
	delete(many, "0")
	assert.NoError(t, analyze("u", many))
}

// leakyPack has policies that put the secrets of what they check in their messages and in a panic.
func leakyPack() Pack {
	return Pack{
		Name:    "leaky",
		Version: "0.0.1",
		Policies: []policy.Policy{
			{
				Name:         "leaks",
				DefaultLevel: policy.Mandatory,
				CheckResource: func(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
					return []policy.Violation{{Message: fmt.Sprintf("engine %v, azs %v", r.Properties["engine"], r.Properties["azs"])}}
				},
			},
			{
				Name:         "stack-leaks",
				DefaultLevel: policy.Mandatory,
				CheckStack: func(_ context.Context, s *policy.Stack, _ policy.Args) []policy.Violation {
					var out []policy.Violation
					for _, r := range s.Resources {
						if e := r.Properties["engine"]; e.IsSecret() {
							out = append(out, policy.Violation{Message: "the " + e.SecretValue().Element.StringValue() + " cluster"})
						}
					}
					return out
				},
			},
			{
				Name:         "panics",
				DefaultLevel: policy.Disabled,
				CheckResource: func(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
					panic("cannot handle " + r.Properties["engine"].SecretValue().Element.StringValue())
				},
			},
		},
	}
}

// TestSecretsNeverLeaveThePack: whatever a policy does with a secret, the message that leaves the pack
// holds "[secret]" in its place, in diagnostics and in errors.
func TestSecretsNeverLeaveThePack(t *testing.T) {
	t.Parallel()
	client, _ := start(t, leakyPack())
	ctx := testContext(t)
	props := resource.PropertyMap{
		"engine": secret(secretValue),
		"azs":    resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("us-east-1a"), secret("us-east-1-secret-az")}),
	}
	res, err := client.Analyze(ctx, analyzeRequest(t, bucketURN, props))
	require.NoError(t, err)
	require.Len(t, res.GetDiagnostics(), 1)
	msg := res.GetDiagnostics()[0].GetMessage()
	assert.NotContains(t, msg, secretValue)
	assert.NotContains(t, msg, "us-east-1-secret-az")
	assert.Contains(t, msg, "[secret]")
	assert.Contains(t, msg, "us-east-1a", "plain values are kept")

	ps, err := structpbOf(props)
	require.NoError(t, err)
	st, err := client.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{
		{Urn: string(bucketURN), Type: bucketType, Name: "logs", Properties: ps},
	}})
	require.NoError(t, err)
	require.Len(t, st.GetDiagnostics(), 1)
	assert.Equal(t, "the [secret] cluster", st.GetDiagnostics()[0].GetMessage())

	require.NoError(t, configure(ctx, client, map[string]*pulumirpc.PolicyConfig{"panics": levelOnly(pulumirpc.EnforcementLevel_ADVISORY)}))
	_, err = client.Analyze(ctx, analyzeRequest(t, bucketURN, props))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secretValue)
	assert.Contains(t, err.Error(), "cannot handle [secret]")
}

// chattyPack has a policy that reports many findings with long messages.
func chattyPack(findings, size int, cannotVerify bool) Pack {
	return Pack{
		Name:    "chatty",
		Version: "0.0.1",
		Policies: []policy.Policy{{
			Name:         "chatty",
			DefaultLevel: policy.Mandatory,
			CheckStack: func(context.Context, *policy.Stack, policy.Args) []policy.Violation {
				out := make([]policy.Violation, findings)
				for i := range out {
					out[i] = policy.Violation{Message: strings.Repeat("é", size/2), CannotVerify: cannotVerify}
				}
				return out
			},
		}},
	}
}

// TestMessagesAreBounded: a message is cut to MaxMessageBytes, at a character boundary, saying how much
// was cut; a policy reports at most MaxDiagnosticsPerPolicy findings and one more summing up the rest
// at the level that keeps the verdict.
func TestMessagesAreBounded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, err := New(chattyPack(1, 200000, false))
	require.NoError(t, err)
	res, err := srv.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	require.Len(t, res.GetDiagnostics(), 1)
	msg := res.GetDiagnostics()[0].GetMessage()
	assert.LessOrEqual(t, len(msg), MaxMessageBytes)
	assert.True(t, strings.HasSuffix(msg, "more bytes not shown)"), msg[len(msg)-80:])
	assert.NotContains(t, msg, "\uFFFD", "cut at a character boundary")

	for _, cannotVerify := range []bool{false, true} {
		srv, err = New(chattyPack(10000, 10, cannotVerify))
		require.NoError(t, err)
		res, err = srv.AnalyzeStack(ctx, &pulumirpc.AnalyzeStackRequest{})
		require.NoError(t, err)
		ds := res.GetDiagnostics()
		require.Len(t, ds, MaxDiagnosticsPerPolicy+1)
		last := ds[len(ds)-1]
		want := fmt.Sprintf("and %d more findings of this policy", 10000-MaxDiagnosticsPerPolicy)
		assert.Contains(t, last.GetMessage(), want)
		if cannotVerify {
			assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, last.GetEnforcementLevel())
		} else {
			assert.Equal(t, pulumirpc.EnforcementLevel_MANDATORY, last.GetEnforcementLevel(), "the summary blocks as its findings do")
		}
	}
}

// structpbOf marshals properties as the engine does.
func structpbOf(props resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(props, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
}

// TestHostileConfigurationIsAnError: configuration with a value of no kind, or nested too deep, is
// refused with InvalidArgument and leaves the configuration in effect.
func TestHostileConfigurationIsAnError(t *testing.T) {
	t.Parallel()
	srv, err := New(testPack(newRecorder()))
	require.NoError(t, err)
	deep := structpb.NewStringValue("x")
	for range MaxDepth + 1 {
		deep = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{deep}})
	}
	for name, props := range map[string]*structpb.Struct{
		"no kind":  {Fields: map[string]*structpb.Value{"minimumZones": {}}},
		"too deep": {Fields: map[string]*structpb.Value{"minimumZones": deep}},
	} {
		_, err := srv.Configure(t.Context(), &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{
			"zones": {EnforcementLevel: pulumirpc.EnforcementLevel_MANDATORY, Properties: props},
		}})
		require.Error(t, err, name)
		assert.Equal(t, codes.InvalidArgument, status.Code(err), name)
		assert.Contains(t, err.Error(), `policy "zones"`, name)
	}
	st, err := srv.AnalyzeStack(t.Context(), &pulumirpc.AnalyzeStackRequest{})
	require.NoError(t, err)
	assert.NotEmpty(t, st.GetDiagnostics(), "the defaults are still in effect")
}
