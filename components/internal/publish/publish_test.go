package publish_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/components/internal/publish"
	"github.com/ess-ha/ess-ha/internal/mocks"
)

func TestParametersArePlainStringsUnderThePath(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/ess-ha/test/", "/ess-ha/test"} {
		m := mocks.New("ess-ha", "test", "us-east-1")
		require.NoError(t, m.Run(nil, func(ctx *pulumi.Context) error {
			return publish.Parameters(ctx, "db", path, []publish.Parameter{
				{Key: "database/endpoint", Value: pulumi.String("db.example"), What: "the database's host name"},
				{Key: "database/port", Value: pulumi.String("5432"), What: "the database's port"},
			}, pulumi.StringMap{"project": pulumi.String("ess-ha")})
		}))
		regs := m.ByType("aws:ssm/parameter:Parameter")
		require.Len(t, regs, 2, path)
		byName := map[string]*mocks.Registration{}
		for _, r := range regs {
			byName[r.Name] = r
		}
		p := byName["db-database-endpoint"]
		require.NotNil(t, p, "the resource is named after the component and the key")
		assert.Equal(t, "/ess-ha/test/database/endpoint", p.Inputs["name"].StringValue(), "one slash between the path and the key")
		assert.Equal(t, "String", p.Inputs["type"].StringValue(), "a plain String parameter: never a SecureString holding a secret")
		assert.Equal(t, "db.example", p.Inputs["insecureValue"].StringValue())
		assert.Equal(t, "ess-ha: the database's host name", p.Inputs["description"].StringValue())
		assert.Equal(t, "ess-ha", p.Inputs["tags"].ObjectValue()["project"].StringValue())
		assert.NotNil(t, byName["db-database-port"])
	}
}
