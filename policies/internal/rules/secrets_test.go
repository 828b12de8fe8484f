package rules_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/images"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
	"github.com/ess-ha/ess-ha/policies/internal/rules"
)

// allFixtures loads every fixture under testdata.
func allFixtures(t testing.TB) []*policytest.Fixture {
	t.Helper()
	var all []*policytest.Fixture
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		f, err := policytest.LoadFixture(path)
		if err != nil {
			return err
		}
		all = append(all, f)
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, all)
	return all
}

// staticText is what the pack's code itself can say: the sources of the rules, of the graph and of images (the
// registry names it gives). A value that occurs in it cannot be told apart from the message text around it.
func staticText(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, dir := range []string{".", "../graph", "../images"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			b.Write(src)
		}
	}
	for _, p := range rules.All() {
		b.WriteString(p.Description + "\n" + p.Recommendation + "\n")
	}
	return b.String()
}

// publicText is what a fixture says that is never secret: URNs, names, types, IDs, providers, parents,
// dependencies, property keys and the policies' configuration.
func publicText(f *policytest.Fixture) string {
	var b strings.Builder
	for _, r := range f.Stack.Resources {
		for _, s := range []string{string(r.URN), r.Name, r.Type, r.ID, r.Provider, string(r.Parent)} {
			b.WriteString(s + "\n")
		}
		for _, d := range r.Dependencies {
			b.WriteString(string(d) + "\n")
		}
		for k, ds := range r.PropertyDependencies.All() {
			b.WriteString(string(k) + "\n")
			for _, d := range ds {
				b.WriteString(string(d) + "\n")
			}
		}
		keysOf(resource.NewObjectProperty(r.Properties), &b)
	}
	cfg, _ := json.Marshal(f.Config)
	b.Write(cfg)
	return b.String()
}

func keysOf(v resource.PropertyValue, b *strings.Builder) {
	val, _, _ := graph.Unwrap(v)
	switch {
	case val.IsObject():
		for k, e := range val.ObjectValue() {
			b.WriteString(string(k) + "\n")
			keysOf(e, b)
		}
	case val.IsArray():
		for _, e := range val.ArrayValue() {
			keysOf(e, b)
		}
	}
}

// tokensOf lists what a message could show of a plain leaf value: the value itself, as graph.Show
// prints it for a number, and the words of the text and of the script it decodes to when it is user
// data (an image reference, a host name, a path). Words shorter than 4 bytes are left out: they occur
// everywhere.
func tokensOf(v resource.PropertyValue) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 4 && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	switch {
	case v.IsString():
		s := v.StringValue()
		add(s)
		for _, text := range []string{s, images.DecodeUserData(s)} {
			for _, w := range strings.FieldsFunc(text, isSeparator) {
				add(w)
			}
		}
	case v.IsNumber():
		if s := graph.Show(v); len(s) >= 2 {
			out = append(out, s)
		}
	}
	return out
}

func isSeparator(r rune) bool {
	return strings.ContainsRune(" \t\r\n\"'`,;()[]{}<>=|&$!", r)
}

// leafTokens lists the tokens of every plain leaf value of a stack.
func leafTokens(st *policy.Stack) []string {
	var out []string
	var walk func(v resource.PropertyValue)
	walk = func(v resource.PropertyValue) {
		switch {
		case v.IsSecret(), v.IsComputed(), v.IsOutput() && (!v.OutputValue().Known || v.OutputValue().Secret):
			return // already secret, or nothing to print
		case v.IsOutput():
			walk(v.OutputValue().Element)
		case v.IsArray():
			for _, e := range v.ArrayValue() {
				walk(e)
			}
		case v.IsObject():
			for _, e := range v.ObjectValue() {
				walk(e)
			}
		default:
			out = append(out, tokensOf(v)...)
		}
	}
	for _, r := range st.Resources {
		walk(resource.NewObjectProperty(r.Properties))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// markSecret returns a copy of a stack in which every plain leaf value that shows token, or a part of
// it (a domain the token is a host name of), is secret: a message can then show the token only by
// showing a secret.
func markSecret(st *policy.Stack, token string) *policy.Stack {
	var mark func(v resource.PropertyValue) resource.PropertyValue
	mark = func(v resource.PropertyValue) resource.PropertyValue {
		switch {
		case v.IsSecret(), v.IsComputed(), v.IsOutput() && (!v.OutputValue().Known || v.OutputValue().Secret):
			return v
		case v.IsOutput():
			o := v.OutputValue()
			o.Element = mark(o.Element)
			return resource.NewOutputProperty(o)
		case v.IsArray():
			arr := make([]resource.PropertyValue, len(v.ArrayValue()))
			for i, e := range v.ArrayValue() {
				arr[i] = mark(e)
			}
			return resource.NewArrayProperty(arr)
		case v.IsObject():
			obj := resource.PropertyMap{}
			for k, e := range v.ObjectValue() {
				obj[k] = mark(e)
			}
			return resource.NewObjectProperty(obj)
		}
		for _, tok := range tokensOf(v) {
			if strings.Contains(tok, token) || strings.Contains(token, tok) {
				return resource.MakeSecret(v)
			}
		}
		return v
	}
	out := &policy.Stack{}
	for _, r := range st.Resources {
		c := *r
		c.Properties = mark(resource.NewObjectProperty(r.Properties)).ObjectValue()
		out.Resources = append(out.Resources, &c)
	}
	return out
}

// runOn runs a policy on a stack with a fixture's settings: its configuration when the fixture is the
// policy's own, else the policy's defaults.
func runOn(t *testing.T, p policy.Policy, f *policytest.Fixture, st *policy.Stack) []policy.Violation {
	t.Helper()
	var props map[string]any
	if strings.Contains(filepath.ToSlash(f.Path), "/"+p.Name+"/") {
		props = f.Config
	}
	cfg, err := policytest.Config(p, props)
	require.NoError(t, err)
	vs, err := policytest.Run(t.Context(), p, st, policy.Args{Config: cfg, DryRun: f.DryRun})
	require.NoError(t, err)
	return vs
}

// TestEverySecretValueStaysSecret marks every value of every fixture secret, one value at a time, and
// runs every policy on the result: no message may show the value, or a word of it (an image of a user
// data script, a part of a name). A value that several properties hold is marked secret in all of them
// at once, or its plain copies could rightly be shown. Only values that a policy shows when they are
// plain are tried (a value no message shows cannot leak by becoming secret), and only those that the
// fixture's URNs, names and keys or the pack's own text do not also say.
func TestEverySecretValueStaysSecret(t *testing.T) {
	t.Parallel()
	static := staticText(t)
	tried, skippedPublic, skippedStatic := 0, map[string]bool{}, map[string]bool{}
	for _, f := range allFixtures(t) {
		public := publicText(f)
		tokens := leafTokens(f.Stack)
		for _, p := range rules.All() {
			var said strings.Builder
			for _, v := range runOn(t, p, f, f.Stack) {
				said.WriteString(v.Message + "\n")
			}
			if said.Len() == 0 {
				continue
			}
			for _, tok := range tokens {
				if !strings.Contains(said.String(), tok) {
					continue
				}
				if strings.Contains(public, tok) {
					skippedPublic[tok] = true
					continue
				}
				if strings.Contains(static, tok) {
					skippedStatic[tok] = true
					continue
				}
				tried++
				for _, v := range runOn(t, p, f, markSecret(f.Stack, tok)) {
					if strings.Contains(v.Message, tok) {
						t.Errorf("%s: %s shows %q, which is secret:\n%s", f.Path, p.Name, tok, v.Message)
					}
				}
			}
		}
	}
	t.Logf("%d values shown by a policy tried as secrets", tried)
	t.Logf("public %q", slices.Sorted(maps.Keys(skippedPublic)))
	t.Logf("static %q", slices.Sorted(maps.Keys(skippedStatic)))
	require.Positive(t, tried)
}

// TestTheReportedLeaks are the leaks the hostile review found: an RDS cluster whose engine is secret
// printed it ("the hunter2-SECRET cluster is not a Multi-AZ DB cluster"), and a cache whose preferred
// AZs are secret list elements printed them ("both placed in hunter2-SECRET"). Every policy runs on
// them; no message shows the plaintext, and the findings still say what is wrong.
func TestTheReportedLeaks(t *testing.T) {
	t.Parallel()
	const plaintext = "hunter2-SECRET"
	secret := resource.MakeSecret(resource.NewStringProperty(plaintext))
	urn := func(typ, name string) resource.URN {
		return resource.URN(policytest.ShortURNPrefix + typ + "::" + name)
	}
	st := &policy.Stack{Resources: []*policy.Resource{
		{URN: urn(graph.TypeRdsCluster, "db"), Type: graph.TypeRdsCluster, Name: "db", Properties: resource.PropertyMap{
			"engine": secret, "clusterIdentifier": resource.NewStringProperty("db"),
		}},
		{URN: urn(graph.TypeCacheReplication, "cache"), Type: graph.TypeCacheReplication, Name: "cache", Properties: resource.PropertyMap{
			"automaticFailoverEnabled": resource.NewBoolProperty(true), "multiAzEnabled": resource.NewBoolProperty(true),
			"numCacheClusters":         resource.NewNumberProperty(2),
			"preferredCacheClusterAzs": resource.NewArrayProperty([]resource.PropertyValue{secret, secret}),
		}},
	}}
	said := map[string][]string{}
	for _, p := range rules.All() {
		cfg, err := policytest.Config(p, nil)
		require.NoError(t, err)
		vs, err := policytest.Run(t.Context(), p, st, policy.Args{Config: cfg})
		require.NoError(t, err)
		for _, v := range vs {
			assert.NotContains(t, v.Message, plaintext, "%s", p.Name)
			said[p.Name] = append(said[p.Name], v.Message)
		}
	}
	require.NotEmpty(t, said[rules.RdsMultiAZ])
	assert.Contains(t, strings.Join(said[rules.RdsMultiAZ], "\n"), "the [secret] cluster is not a Multi-AZ DB cluster")
	require.NotEmpty(t, said[rules.CacheFailover])
	assert.Contains(t, strings.Join(said[rules.CacheFailover], "\n"), "both placed in [secret]")
}
