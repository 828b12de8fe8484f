package rules_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// TestMetadata checks what every policy declares for audits: the types it checks, and controls with
// real IDs of the two frameworks.
func TestMetadata(t *testing.T) {
	t.Parallel()
	ids := map[string]*regexp.Regexp{
		policy.WellArchitected: regexp.MustCompile(`^REL\d\d-BP\d\d$`),
		policy.SecurityHub:     regexp.MustCompile(`^[A-Za-z0-9]+\.\d+$`),
	}
	for _, p := range append(rules.All(), rules.Pair()...) {
		assert.NotEmpty(t, p.Types, "%s declares the types it checks", p.Name)
		for _, typ := range p.Types {
			assert.Equal(t, graph.Canonical(typ), typ, "%s: types are canonical", p.Name)
		}
		for _, c := range p.Controls {
			re := ids[c.Framework]
			require.NotNil(t, re, "%s: unknown framework %q", p.Name, c.Framework)
			assert.Regexp(t, re, c.ID, p.Name)
			assert.NotEmpty(t, c.Title, p.Name)
			assert.True(t, strings.HasPrefix(c.URL, "https://docs.aws.amazon.com/"), "%s: %s", p.Name, c.URL)
		}
		assert.Equal(t, strings.HasPrefix(p.Name, "ha-pair-"), p.Pair, "%s: pair policies, and only they, are named ha-pair-*", p.Name)
	}
}

// TestResourcePoliciesStayWithinTheirTypes holds every resource policy to the types it declares: on any
// resource of another type, of any fixture, it reports nothing (and remediates nothing). The audit
// relies on it to give a resource policy only the resources of its types.
func TestResourcePoliciesStayWithinTheirTypes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var resources []*policy.Resource
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		f, err := policytest.LoadFixture(path)
		if err != nil {
			return err
		}
		resources = append(resources, f.Stack.Resources...)
		return nil
	})
	require.NoError(t, err)
	checked := 0
	for _, p := range rules.All() {
		if p.CheckResource == nil {
			continue
		}
		cfg, err := policytest.Config(p, nil)
		require.NoError(t, err)
		for _, r := range resources {
			if slices.Contains(p.Types, graph.Canonical(r.Type)) {
				continue
			}
			checked++
			assert.Empty(t, p.CheckResource(ctx, r, policy.Args{Config: cfg}), "%s reports on %s, a type it does not declare", p.Name, r.Type)
			if p.Remediate != nil {
				fixed, err := p.Remediate(ctx, r, policy.Args{Config: cfg})
				assert.NoError(t, err)
				assert.Nil(t, fixed, "%s remediates %s, a type it does not declare", p.Name, r.Type)
			}
		}
	}
	assert.Positive(t, checked)
}
