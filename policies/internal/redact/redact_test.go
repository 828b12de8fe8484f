package redact

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
)

func str(s string) resource.PropertyValue { return resource.NewStringProperty(s) }

func TestRedactsEverySecretString(t *testing.T) {
	t.Parallel()
	props := resource.PropertyMap{
		"password": resource.MakeSecret(str("hunter2-SECRET")),
		"plain":    str("not-a-secret-at-all"),
		"azs": resource.NewArrayProperty([]resource.PropertyValue{
			str("us-east-1a"), resource.MakeSecret(str("us-west-9z")),
		}),
		"nested": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{
			"deep": resource.NewArrayProperty([]resource.PropertyValue{str("deep-inside-secret")}),
		})),
		"output": resource.NewOutputProperty(resource.Output{Element: str("output-secret-value"), Known: true, Secret: true}),
		"short":  resource.MakeSecret(str("abc")),
		"word":   resource.MakeSecret(str("ess1")),
	}
	for name, s := range map[string]*Set{"Of": Of(props), "Lazily": Lazily(props)} {
		t.Run(name, func(t *testing.T) { assertRedacts(t, s) })
	}
}

// assertRedacts checks s, the secrets of TestRedactsEverySecretString's properties.
func assertRedacts(t *testing.T, s *Set) {
	t.Helper()
	cases := map[string]string{
		"engine hunter2-SECRET is wrong":               "engine [secret] is wrong",
		`both placed in "us-west-9z"`:                  `both placed in "[secret]"`,
		"in us-east-1a and us-west-9z":                 "in us-east-1a and [secret]",
		"x=deep-inside-secret/and output-secret-value": "x=[secret]/and [secret]",
		"not-a-secret-at-all":                          "not-a-secret-at-all",
		"abc is too short to redact":                   "abc is too short to redact",
		"ess1 alone, but not in ess10 or mess1":        "[secret] alone, but not in ess10 or mess1",
		"hunter2-SECREThunter2-SECRET":                 "[secret][secret]",
	}
	for in, want := range cases {
		assert.Equal(t, want, s.String(in), in)
	}
}

func TestNothingToRedact(t *testing.T) {
	t.Parallel()
	var s *Set
	assert.True(t, s.Empty())
	assert.Equal(t, "text", s.String("text"))
	assert.True(t, Of(resource.PropertyMap{"a": str("plain")}).Empty())
	assert.True(t, Lazily(resource.PropertyMap{"a": str("plain")}).Empty())
}

// TestManySecretsStayFast: the index keeps redaction linear in the text, whatever the number of secrets.
func TestManySecretsStayFast(t *testing.T) {
	t.Parallel()
	props := resource.PropertyMap{}
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		k := resource.PropertyKey("k" + strings.Repeat("x", i%50) + string(rune('a'+i%26)))
		props[k] = resource.MakeSecret(str("secret-" + strings.Repeat("y", i%97) + "-" + string(rune('a'+i%26))))
		b.WriteString("word ")
	}
	s := Of(props)
	assert.Equal(t, b.String(), s.String(b.String()))
}
