package project_test

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/project"
)

// FuzzLoad reads any stack file, with any override, next to the shipped Pulumi.yaml and the shipped
// stack files, as `essha plan` and `essha failover` do: Load, Pairs and Select must not panic, and
// every error must be a short, readable message. The seeds are the shipped stack files.
func FuzzLoad(f *testing.F) {
	shipped := essha.ProjectFiles()
	names, err := fs.Glob(shipped, "Pulumi*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	base := fstest.MapFS{}
	for _, name := range names {
		b, err := fs.ReadFile(shipped, name)
		if err != nil {
			f.Fatal(err)
		}
		base[name] = &fstest.MapFile{Data: b}
		if name != "Pulumi.yaml" {
			f.Add(b, "availabilityZones", "2")
		}
	}
	f.Add([]byte("config:\n  aws:region: us-east-1\n  ess-ha:availabilityZone: 1\n"), ":", "1")
	f.Add([]byte("config: [\n"), "essPool", "{not json")
	f.Add([]byte("config:\n  aws:allowedAccountIds: [012345678901]\n  ess-ha:peerRegion: us-west-2\n"), "ess-ha:domain", "x")
	f.Fuzz(func(t *testing.T, stack []byte, key, value string) {
		files := fstest.MapFS{}
		for k, v := range base {
			files[k] = v
		}
		files["Pulumi.fuzz.yaml"] = &fstest.MapFile{Data: stack}
		_, _, err := project.Load(context.Background(), files, "fuzz", map[string]string{key: value})
		clean(t, err)
		set, err := project.Pairs(files)
		clean(t, err)
		if err == nil {
			_, err = set.Select("")
			clean(t, err)
			_, err = set.Select("example-solid-prod")
			clean(t, err)
		}
	})
}

// clean fails the test unless err, if any, is a short message: it quotes what it needs of the input,
// never all of it.
func clean(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if msg := err.Error(); msg == "" || len(msg) > 8<<10 {
		t.Errorf("an error of %d bytes: %.300q", len(msg), msg)
	}
}
