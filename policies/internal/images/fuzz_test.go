package images_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/images"
	"github.com/ess-ha/ess-ha/policies/internal/policytest"
)

// ruleFixtures is where the policies' fixtures live; their user data seeds the fuzzer.
const ruleFixtures = "../rules/testdata"

// userDataSeeds are the user data scripts of the fixtures of the shared topologies and of
// ha-private-registry, as stored (plain, base64, gzip).
func userDataSeeds(tb testing.TB) []string {
	tb.Helper()
	var out []string
	seen := map[string]bool{}
	var walk func(v resource.PropertyValue)
	walk = func(v resource.PropertyValue) {
		val, _, _ := graph.Unwrap(v)
		switch {
		case val.IsString():
			if s := val.StringValue(); len(s) > 20 && !seen[s] && (strings.Contains(images.DecodeUserData(s), "docker") || strings.Contains(s, "image")) {
				seen[s] = true
				out = append(out, s)
			}
		case val.IsArray():
			for _, e := range val.ArrayValue() {
				walk(e)
			}
		case val.IsObject():
			for _, e := range val.ObjectValue() {
				walk(e)
			}
		}
	}
	for _, dir := range []string{"_shared", "_secrets", "ha-private-registry/fail", "ha-private-registry/cannot-verify"} {
		fixtures, err := policytest.LoadFixtures(filepath.Join(ruleFixtures, dir))
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range fixtures {
			for _, r := range f.Stack.Resources {
				walk(resource.NewObjectProperty(r.Properties))
			}
		}
	}
	return out
}

// FuzzImages decodes any user data and finds its images, as ha-private-registry does: no panic, and
// every image found is parsed. The seeds are the user data of the fixtures.
func FuzzImages(f *testing.F) {
	for _, s := range userDataSeeds(f) {
		f.Add(s)
	}
	f.Add("docker run -d ${REG:-123456789012.dkr.ecr.us-east-1.amazonaws.com}/x:1 \\\n --name a")
	f.Add("#cloud-config\nruncmd:\n  - [ docker, pull, alpine ]\n")
	f.Add("FROM scratch AS a\nFROM a\n")
	f.Fuzz(func(t *testing.T, userData string) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > time.Second {
				t.Errorf("%d bytes of user data took %v", len(userData), d)
			}
		}()
		script := images.DecodeUserData(userData)
		for _, img := range images.Extract(script) {
			reg := images.Classify(img.Ref)
			_ = reg.Name
		}
		_ = images.Classify(userData)
	})
}
