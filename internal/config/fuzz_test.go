package config_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"

	essha "github.com/ess-ha/ess-ha"
)

// cleanError fails the test unless err is a clean configuration error: every line says which key is
// wrong, is valid UTF-8 and is short, whatever the value was.
func cleanError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "config ") {
			t.Errorf("an error line that names no config key: %.300q", line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("an error line that is not UTF-8: %.300q", line)
		}
		if len(line) > 2048 {
			t.Errorf("an error line of %d bytes: %.300q", len(line), line)
		}
	}
}

// FuzzLoad loads a valid stack with one key set to any value: Load must not panic, and must either
// accept the value or say which key is wrong. The seeds are every key of the shipped stack files.
func FuzzLoad(f *testing.F) {
	files := essha.ProjectFiles()
	names, err := fs.Glob(files, "Pulumi.*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	raw, err := fs.ReadFile(files, "Pulumi.yaml")
	if err != nil {
		f.Fatal(err)
	}
	proj, err := workspace.LoadProjectBytes(raw, "Pulumi.yaml", encoding.YAML)
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			f.Fatal(err)
		}
		var doc struct {
			Config map[string]any `yaml:"config"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			f.Fatal(err)
		}
		for k, v := range doc.Config {
			f.Add(k, jsonOf(f, v))
		}
	}
	for k, ct := range proj.Config {
		if ct.Default != nil {
			f.Add("ess-ha:"+k, jsonOf(f, ct.Default))
		}
	}
	f.Add("ess-ha:essPool", `{"minPerZone": 4611686018427387904}`)
	f.Add("ess-ha:availabilityZone", "1")
	f.Fuzz(func(t *testing.T, key, value string) {
		values := valid()
		values[key] = value
		_, err := load(t, values)
		cleanError(t, err)
	})
}

// jsonOf writes a stack file value as the engine passes it: strings as they are, anything else as JSON.
func jsonOf(tb testing.TB, v any) string {
	tb.Helper()
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
