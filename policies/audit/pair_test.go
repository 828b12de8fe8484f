package audit_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/audit"
	"github.com/ess-ha/ess-ha/policies/audit/render"
	"github.com/ess-ha/ess-ha/policies/audit/report"
)

// outputsOf edits the inputs and outputs of the resources of one type in a state file.
func outputsOf(t *testing.T, state []byte, typ string, f func(name string, props map[string]any)) []byte {
	t.Helper()
	n := 0
	out := mutate(t, state, func(r map[string]any) {
		if r["type"] != typ {
			return
		}
		n++
		urn := r["urn"].(string)
		name := urn[strings.LastIndex(urn, "::")+2:]
		for _, part := range []string{"inputs", "outputs"} {
			if m, ok := r[part].(map[string]any); ok {
				f(name, m)
			}
		}
	})
	require.Positive(t, n, "no %s in the state", typ)
	return out
}

// TestPairAudit audits the shipped pair (both stacks' plans) as one deployment: it passes, every pair
// policy having checked both stacks; each ha-pair- policy fails on a pair broken its way.
func TestPairAudit(t *testing.T) {
	t.Parallel()
	owner, member := planState(t, "prod-us-east-1"), planState(t, "prod-us-west-2")
	r, err := run(t, nil, owner, member)
	require.NoError(t, err)
	require.True(t, r.Compliant, "the shipped pair is compliant")
	require.Len(t, r.Stacks, 2)
	for _, p := range r.Policies {
		if strings.HasPrefix(p.Name, "ha-pair-") {
			assert.Equal(t, report.Passed, p.Status, p.Name)
			assert.Equal(t, "pair", p.Stack)
			assert.Positive(t, p.Checked, p.Name)
		}
	}
	require.NotNil(t, r.Availability.Pair)
	assert.Greater(t, r.Availability.Pair.Availability, r.Availability.Regions[0].Availability, "two regions beat one, in the model")
	require.Len(t, r.Topology.Regions, 2)
	assert.Equal(t, "us-west-2", r.Topology.Regions[1].Name)

	mutations := map[string]func() ([]byte, []byte){
		"ha-pair-one-zone": func() ([]byte, []byte) {
			return owner, outputsOf(t, member, "aws:route53/record:Record", func(_ string, p map[string]any) {
				if p["setIdentifier"] != nil {
					p["zoneId"] = "ZANOTHERZONE00000000"
				}
			})
		},
		"ha-pair-drain-cross-region": func() ([]byte, []byte) {
			return outputsOf(t, owner, "aws:route53/healthCheck:HealthCheck", func(_ string, p map[string]any) {
				if p["invertHealthcheck"] == true {
					p["fqdn"] = "example-solid-prod-stop-123456789012-us-east-1.s3.us-east-1.amazonaws.com"
				}
			}), member
		},
		"ha-pair-global-database": func() ([]byte, []byte) {
			return owner, outputsOf(t, member, "aws:rds/cluster:Cluster", func(_ string, p map[string]any) {
				p["globalClusterIdentifier"] = "another-global-cluster"
			})
		},
		"ha-pair-registry-both-ways": func() ([]byte, []byte) {
			return owner, outputsOf(t, member, "aws:ecr/replicationConfiguration:ReplicationConfiguration", func(_ string, p map[string]any) {
				for _, rule := range p["replicationConfiguration"].(map[string]any)["rules"].([]any) {
					for _, d := range rule.(map[string]any)["destinations"].([]any) {
						d.(map[string]any)["region"] = "eu-west-1"
					}
				}
			})
		},
		"ha-pair-set-identifiers": func() ([]byte, []byte) {
			return owner, outputsOf(t, member, "aws:route53/record:Record", func(_ string, p map[string]any) {
				if p["setIdentifier"] != nil {
					p["setIdentifier"] = "us-east-1"
				}
			})
		},
	}
	for policy, broken := range mutations {
		t.Run(policy, func(t *testing.T) {
			a, b := broken()
			r, err := run(t, nil, a, b)
			require.NoError(t, err)
			assert.False(t, r.Compliant)
			assert.Equal(t, report.Failed, result(t, r, policy, "pair").Status, "%s must fail on this pair", policy)
		})
	}

	_, err = run(t, nil, owner, owner)
	require.Error(t, err, "the same stack twice is no pair")
	assert.Contains(t, err.Error(), "both stack")
}

// TestSecretsNeverInAnyFormat audits states whose secrets sit where messages print values and writes
// every format: no secret's plaintext appears in any.
func TestSecretsNeverInAnyFormat(t *testing.T) {
	t.Parallel()
	const plaintext = "hunter2-never-print-me"
	state := mutate(t, planState(t, "prod-us-east-1"), func(r map[string]any) {
		secret := map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": `"` + plaintext + `"`}
		for _, part := range []string{"inputs", "outputs"} {
			m, ok := r[part].(map[string]any)
			if !ok {
				continue
			}
			switch r["type"] {
			case "aws:rds/cluster:Cluster":
				m["engineVersion"] = secret // printed by version policies
				m["deletionProtection"] = map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "false"}
			case "aws:ec2/subnet:Subnet":
				m["availabilityZone"] = secret // drawn by the topology
			case "aws:autoscaling/group:Group":
				m["name"] = secret
			case "aws:route53/healthCheck:HealthCheck":
				if m["fqdn"] != nil {
					m["fqdn"] = secret // drawn as a drain switch
				}
			}
		}
	})
	require.Contains(t, string(state), plaintext)
	r, err := audit.Run(t.Context(), audit.Options{Inputs: []audit.Input{{Name: "secrets.json", Data: state}, {Name: "member.json", Data: planState(t, "prod-us-west-2")}}})
	require.NoError(t, err)
	assert.NotEmpty(t, r.Findings, "the secrets make policies report")
	for _, f := range render.Formats {
		var buf bytes.Buffer
		require.NoError(t, render.Write(&buf, f, r))
		assert.NotContains(t, buf.String(), plaintext, "the %s report prints a secret", f)
	}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.NotContains(t, string(b), plaintext)
}
