package rules

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestScanRulesCoverTemplates checks which registry scanning filters cover every repository a repository
// creation template creates. ECR appends "/" to a template's prefix, and the prefix ROOT stands for every
// repository no other template matches
// (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html).
func TestScanRulesCoverTemplates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		filters []string
		prefix  string
		want    bool
	}{
		{[]string{"*"}, "ROOT", true},
		{[]string{"*"}, "inrupt", true},
		{[]string{"inrupt/*"}, "inrupt", true},
		{[]string{"inr*"}, "inrupt", true},
		{[]string{"inrupt/ess-*"}, "inrupt", false},
		{[]string{"inrupt/*"}, "ROOT", false},
		{[]string{"backend/*", "inrupt/*"}, "backend", true},
		{[]string{"inrupt"}, "inrupt", false},
		{[]string{"in*pt/*"}, "inrupt", false},
		{nil, "inrupt", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, scanRules{filters: c.filters}.coversPrefix(c.prefix), "filters %q, prefix %q", c.filters, c.prefix)
	}
}
