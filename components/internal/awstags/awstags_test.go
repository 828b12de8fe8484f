package awstags_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"

	"github.com/ess-ha/ess-ha/components/internal/awstags"
)

func TestWith(t *testing.T) {
	t.Parallel()
	got := awstags.With(map[string]string{"project": "ess-ha", "Name": "x"}, "Name", "vpc", "tier")
	assert.Equal(t, pulumi.StringMap{"project": pulumi.String("ess-ha"), "Name": pulumi.String("vpc")}, got)
}
