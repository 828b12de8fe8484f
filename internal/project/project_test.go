package project_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/project"
)

const projectYAML = `name: ess-ha
runtime: go
config:
  deployment: {type: string, default: ess-ha}
  peerRegion: {type: string, default: ""}
  zones: {type: integer, default: 3}
`

func files(stacks map[string]string) fstest.MapFS {
	fs := fstest.MapFS{"Pulumi.yaml": {Data: []byte(projectYAML)}}
	for name, body := range stacks {
		fs["Pulumi."+name+".yaml"] = &fstest.MapFile{Data: []byte(body)}
	}
	return fs
}

func TestLoadAppliesDeclaredDefaultsAndTypes(t *testing.T) {
	fs := files(map[string]string{"a": "config:\n  aws:region: us-east-1\n"})
	_, cfg, err := project.Load(context.Background(), fs, "a", map[string]string{"peerRegion": "us-west-2"})
	require.NoError(t, err)
	assert.Equal(t, "us-east-1", cfg["aws:region"])
	assert.Equal(t, "ess-ha", cfg["ess-ha:deployment"], "declared default applied")
	assert.Equal(t, "3", cfg["ess-ha:zones"])
	assert.Equal(t, "us-west-2", cfg["ess-ha:peerRegion"], "override applied")

	_, _, err = project.Load(context.Background(), fs, "a", map[string]string{"zones": "many"})
	require.Error(t, err, "a value of the wrong type is refused as pulumi up refuses it")
	assert.Contains(t, err.Error(), "zones")
}

func TestPairs(t *testing.T) {
	pair := files(map[string]string{
		"east":   "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n  ess-ha:deployment: acme\n",
		"west":   "config:\n  aws:region: us-west-2\n  ess-ha:peerRegion: us-east-1\n  ess-ha:deployment: acme\n",
		"single": "config:\n  aws:region: eu-west-1\n",
	})
	set, err := project.Pairs(pair)
	require.NoError(t, err)
	require.Empty(t, set.Unreadable)
	p, err := set.Select("")
	require.NoError(t, err)
	assert.Equal(t, project.Pair{Deployment: "acme", Regions: []string{"us-east-1", "us-west-2"}, Stacks: []string{"east", "west"}}, p)
	assert.Equal(t, []string{"Pulumi.east.yaml", "Pulumi.west.yaml"}, p.Files())
	p, err = set.Select("acme")
	require.NoError(t, err)
	assert.Equal(t, "acme", p.Deployment)

	oneSided := files(map[string]string{
		"east": "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n",
		"west": "config:\n  aws:region: us-west-2\n",
	})
	set, err = project.Pairs(oneSided)
	require.NoError(t, err)
	_, err = set.Select("")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no stack in us-west-2 names us-east-1 back")
	assert.Contains(t, err.Error(), "deployment ess-ha:", "Pulumi.yaml's default deployment name applies")
}

// TestPairsIgnoreUnrelatedStacks: a stack file that `pulumi up` would refuse, or that is not even
// YAML, does not stop reading a pair it is not part of.
func TestPairsIgnoreUnrelatedStacks(t *testing.T) {
	for name, dev := range map[string]string{
		"no domain, wrong types":  "config:\n  aws:region: eu-west-1\n  ess-ha:zones: many\n  ess-ha:unknownKey: {a: 1}\n",
		"secret peerRegion":       "config:\n  aws:region: eu-west-1\n  ess-ha:peerRegion:\n    secure: AAABAG==\n",
		"not YAML":                "config: [unclosed\n",
		"config is a list":        "config:\n  - a\n",
		"other pair, one-sided":   "config:\n  aws:region: eu-west-1\n  ess-ha:peerRegion: eu-central-1\n  ess-ha:deployment: other\n",
		"other pair, bad account": "config:\n  aws:region: eu-west-1\n  ess-ha:peerRegion: eu-central-1\n  ess-ha:deployment: other\n  aws:allowedAccountIds: nope\n",
	} {
		t.Run(name, func(t *testing.T) {
			fs := files(map[string]string{
				"east": "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n  ess-ha:deployment: acme\n",
				"west": "config:\n  aws:region: us-west-2\n  ess-ha:peerRegion: us-east-1\n  ess-ha:deployment: acme\n",
				"dev":  dev,
			})
			set, err := project.Pairs(fs)
			require.NoError(t, err)
			p, err := set.Select("acme")
			require.NoError(t, err)
			assert.Equal(t, []string{"us-east-1", "us-west-2"}, p.Regions)
			assert.NoError(t, p.AccountErr)
			if len(set.All) == 1 {
				p, err = set.Select("")
				require.NoError(t, err, "the only pair is chosen without --deployment")
				assert.Equal(t, "acme", p.Deployment)
			}
		})
	}
}

func TestPairsSelect(t *testing.T) {
	fs := files(map[string]string{
		"a-east": "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n  ess-ha:deployment: alpha\n",
		"a-west": "config:\n  aws:region: us-west-2\n  ess-ha:peerRegion: us-east-1\n  ess-ha:deployment: alpha\n",
		"b-east": "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n  ess-ha:deployment: beta\n",
		"broken": "config: [\n",
	})
	set, err := project.Pairs(fs)
	require.NoError(t, err)
	_, err = set.Select("")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "several active-active deployments (alpha, beta): choose one with --deployment NAME")

	p, err := set.Select("alpha")
	require.NoError(t, err, "beta's problems and the unreadable file do not concern alpha")
	assert.Equal(t, []string{"a-east", "a-west"}, p.Stacks)

	_, err = set.Select("beta")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no stack in us-west-2 names us-east-1 back")
	assert.Contains(t, err.Error(), "Pulumi.broken.yaml", "an unreadable file may be the missing half")

	_, err = set.Select("gamma")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no active-active deployment named "gamma" in the stack files: choose one of alpha, beta with --deployment`)

	dup := files(map[string]string{
		"e1": "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n",
		"e2": "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n",
		"w":  "config:\n  aws:region: us-west-2\n  ess-ha:peerRegion: us-east-1\n",
	})
	set, err = project.Pairs(dup)
	require.NoError(t, err)
	_, err = set.Select("")
	require.ErrorContains(t, err, "deployment ess-ha has two stacks in region us-east-1 (e1 and e2): one stack per region")

	noRegion := files(map[string]string{
		"e": "config:\n  ess-ha:peerRegion: us-west-2\n",
		"w": "config:\n  aws:region: us-west-2\n  ess-ha:peerRegion: us-east-1\n",
	})
	set, err = project.Pairs(noRegion)
	require.NoError(t, err)
	_, err = set.Select("")
	require.ErrorContains(t, err, "Pulumi.e.yaml sets ess-ha:peerRegion but no aws:region: set aws:region")
}

func TestPairAccount(t *testing.T) {
	const (
		east = "config:\n  aws:region: us-east-1\n  ess-ha:peerRegion: us-west-2\n"
		west = "config:\n  aws:region: us-west-2\n  ess-ha:peerRegion: us-east-1\n"
	)
	for _, tc := range []struct {
		name       string
		east, west string // aws:allowedAccountIds lines, "" for none
		want       string
		wantErr    string
	}{
		{"neither", "", "", "", ""},
		{"both, flow list", `["123456789012"]`, `["123456789012"]`, "123456789012", ""},
		{"both, block list, unquoted", "\n    - 123456789012", "\n    - '123456789012'", "123456789012", ""},
		{"only one", `["123456789012"]`, "", "", "aws:allowedAccountIds is 123456789012 in Pulumi.east.yaml but not set in Pulumi.west.yaml"},
		{"different", `["123456789012"]`, `["210987654321"]`, "", "123456789012 in Pulumi.east.yaml but 210987654321 in Pulumi.west.yaml"},
		{"two IDs", `["123456789012", "210987654321"]`, `["123456789012"]`, "", "Pulumi.east.yaml: aws:allowedAccountIds must be a list of exactly one 12-digit account ID"},
		{"a string", `"123456789012"`, `["123456789012"]`, "", "must be a list of exactly one"},
		{"short", `["12345"]`, `["123456789012"]`, "", `holds "12345"`},
		{"leading zero unquoted", `[012345678901]`, `["012345678901"]`, "", "loses its leading zero: quote it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stacks := map[string]string{"east": east, "west": west}
			if tc.east != "" {
				stacks["east"] += "  aws:allowedAccountIds: " + tc.east + "\n"
			}
			if tc.west != "" {
				stacks["west"] += "  aws:allowedAccountIds: " + tc.west + "\n"
			}
			set, err := project.Pairs(files(stacks))
			require.NoError(t, err)
			p, err := set.Select("")
			require.NoError(t, err, "account problems do not stop selecting the pair: --account-id may supply it")
			assert.Equal(t, tc.want, p.AccountID)
			if tc.wantErr == "" {
				assert.NoError(t, p.AccountErr)
			} else {
				require.Error(t, p.AccountErr)
				assert.Contains(t, p.AccountErr.Error(), tc.wantErr)
			}
		})
	}
}

func TestShippedStacksFormOnePair(t *testing.T) {
	set, err := project.Pairs(essha.ProjectFiles())
	require.NoError(t, err)
	assert.Empty(t, set.Unreadable)
	p, err := set.Select("")
	require.NoError(t, err)
	assert.Equal(t, project.Pair{
		Deployment: "example-solid-prod",
		Regions:    []string{"us-east-1", "us-west-2"},
		Stacks:     []string{"prod-us-east-1", "prod-us-west-2"},
		AccountID:  "123456789012",
	}, p)
}

// TestOverridesOfOneKey: "domain" and "ess-ha:domain" are one key; two overrides of it are an error
// naming both, the same every time, instead of a race that one of them wins.
func TestOverridesOfOneKey(t *testing.T) {
	fs := files(map[string]string{"a": "config:\n  aws:region: us-east-1\n"})
	overrides := map[string]string{"ess-ha:peerRegion": "us-west-2", "peerRegion": "eu-west-1", "zones": "2"}
	var first string
	for range 12 {
		_, _, err := project.Load(context.Background(), fs, "a", overrides)
		require.Error(t, err)
		if first == "" {
			first = err.Error()
		}
		assert.Equal(t, first, err.Error(), "the same input gives the same result")
	}
	assert.Contains(t, first, `config ess-ha:peerRegion is overridden twice, as "ess-ha:peerRegion" = "us-west-2" and as "peerRegion" = "eu-west-1": set it once`)

	_, cfg, err := project.Load(context.Background(), fs, "a", map[string]string{"ess-ha:peerRegion": "us-west-2", "zones": "2"})
	require.NoError(t, err)
	assert.Equal(t, "us-west-2", cfg["ess-ha:peerRegion"])
	assert.Equal(t, "2", cfg["ess-ha:zones"])
}

// TestUnknownKeysAreErrors: a key of the project's namespace that Pulumi.yaml does not declare, in a
// stack file or an override, and a key without a namespace or name, are errors suggesting the closest
// declared key.
func TestUnknownKeysAreErrors(t *testing.T) {
	fs := files(map[string]string{
		"typo": "config:\n  aws:region: us-east-1\n  ess-ha:zone: 2\n  aws:profile: other\n",
		"ok":   "config:\n  aws:region: us-east-1\n",
	})
	_, _, err := project.Load(context.Background(), fs, "typo", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `Pulumi.typo.yaml: config "ess-ha:zone" is not a key of project ess-ha (did you mean "zones"?): Pulumi.yaml declares deployment, peerRegion, zones`)
	assert.NotContains(t, err.Error(), "aws:profile", "other namespaces are not the project's to check")

	for written, want := range map[string]string{
		"nonexistent":  `config "ess-ha:nonexistent" is not a key of project ess-ha: Pulumi.yaml declares`,
		":":            `config override ":": config key ":" is invalid`,
		"ess-ha:":      `config key "ess-ha:" is invalid`,
		"a:b:c:d":      `config override "a:b:c:d": could not parse`,
		"peerRegions":  `(did you mean "peerRegion"?)`,
		"ess-ha:Zones": `(did you mean "zones"?)`,
	} {
		_, _, err := project.Load(context.Background(), fs, "ok", map[string]string{written: "1"})
		require.Error(t, err, written)
		assert.Contains(t, err.Error(), want, written)
	}
}

// TestOverrideThatIsNotJSON: a value that starts like JSON but is not names the key and the value.
func TestOverrideThatIsNotJSON(t *testing.T) {
	fs := files(map[string]string{"a": "config:\n  aws:region: us-east-1\n"})
	_, _, err := project.Load(context.Background(), fs, "a", map[string]string{"deployment": "{not json"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `config override deployment = "{not json" is not valid JSON`)
}

// TestShippedProjectRefusesTypos runs the shipped project with the typos of the issue.
func TestShippedProjectRefusesTypos(t *testing.T) {
	for written, want := range map[string]string{
		"availabilityZone": `(did you mean "availabilityZones"?)`,
		"nonexistent":      `"ess-ha:nonexistent" is not a key of project ess-ha`,
	} {
		_, _, err := project.Load(context.Background(), essha.ProjectFiles(), "prod-us-east-1", map[string]string{written: "1"})
		require.Error(t, err, written)
		assert.Contains(t, err.Error(), want)
	}
}
