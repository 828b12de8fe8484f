package rules_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// TestAAAAToDualStackAcceleratorDNSName covers the one case a fixture pair cannot: an AAAA record that
// aliases the dnsName (IPv4 only) of a DUAL_STACK accelerator instead of its dualStackDnsName. Deployed
// state tells the two names apart, a preview cannot (both are computed), so the verdicts differ by design:
// a violation in deployed state, cannot-verify in the preview.
func TestAAAAToDualStackAcceleratorDNSName(t *testing.T) {
	t.Parallel()
	f, err := policytest.LoadFixture("testdata/" + rules.DNSAAAADualStack + "/pass/accelerator-dual-stack.deployed.json")
	require.NoError(t, err)
	for _, r := range f.Stack.Resources {
		if r.URN.Name() == "record-identity-aaaa" {
			alias := r.Properties["aliases"].ArrayValue()[0].ObjectValue()
			alias["name"] = resource.NewStringProperty("a1234567890abcdef.awsglobalaccelerator.com")
		}
	}
	p := policyNamed(t, rules.DNSAAAADualStack)
	cfg, err := policytest.Config(p, nil)
	require.NoError(t, err)

	vs, err := policytest.Run(t.Context(), p, f.Stack, policy.Args{Config: cfg})
	require.NoError(t, err)
	blocking, _ := policytest.Split(vs)
	require.Len(t, blocking, 1, policytest.Format(vs))
	assert.Contains(t, blocking[0].Message, "aliases the dnsName of the dual-stack Global Accelerator")
	assert.Contains(t, blocking[0].Message, "alias the dualStackDnsName of")

	vs, err = policytest.Run(t.Context(), p, policytest.ToPreview(f.Stack), policy.Args{Config: cfg, DryRun: true})
	require.NoError(t, err)
	blocking, unverified := policytest.Split(vs)
	assert.Empty(t, blocking, policytest.Format(vs))
	require.Len(t, unverified, 1, policytest.Format(vs))
	assert.Contains(t, unverified[0].Message, "aliases the dualStackDnsName of the accelerator")
}

// policyNamed returns the policy of the catalogue with a name.
func policyNamed(t *testing.T, name string) policy.Policy {
	t.Helper()
	for _, p := range rules.All() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no policy %s", name)
	return policy.Policy{}
}
