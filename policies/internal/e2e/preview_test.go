package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/engine"
	"github.com/ess-ha/ess-ha/internal/plan"
	"github.com/ess-ha/ess-ha/internal/program"
	"github.com/ess-ha/ess-ha/internal/project"
	esshapack "github.com/ess-ha/ess-ha/policies/pack"
)

// esshaBuild is the essha binary the engine tests share, built once per test binary.
var esshaBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		buildCLI(context.Background())
	}
	code := m.Run()
	if esshaBuild.dir != "" {
		_ = os.RemoveAll(esshaBuild.dir)
	}
	os.Exit(code)
}

// engineEnv is what the engine tests need: the Pulumi CLI and essha, which serves the stand-in AWS
// provider and the pack.
type engineEnv struct {
	env
	essha string
}

func newEngineEnv(t *testing.T, ctx context.Context) engineEnv {
	t.Helper()
	e := newEnv(t)
	esshaBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "e2e-essha-")
		if err != nil {
			esshaBuild.err = err
			return
		}
		esshaBuild.dir, esshaBuild.path = dir, filepath.Join(dir, "essha")
		esshaBuild.err = BuildEssha(ctx, e.root, esshaBuild.path)
	})
	require.NoError(t, esshaBuild.err)
	return engineEnv{env: e, essha: esshaBuild.path}
}

// run runs essha with args and the CLI of the environment.
func (e engineEnv) run(t *testing.T, ctx context.Context, args ...string) Result {
	t.Helper()
	cmd := exec.CommandContext(ctx, e.essha, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), engine.CLIEnv+"="+e.cli, "PULUMI_SKIP_UPDATE_CHECK=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		res.ExitCode = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return res
}

// workspace is a throwaway backend whose engine runs essha's stand-in provider and pack.
func (e engineEnv) workspace(t *testing.T, ctx context.Context) *engine.Workspace {
	t.Helper()
	w, err := engine.New(ctx, engine.Options{
		CLI: e.cli, Plugins: e.essha, Dir: t.TempDir(),
		PackName: esshapack.Name, PackVersion: esshapack.Version, PackDescription: esshapack.Description,
	})
	require.NoError(t, err)
	return w
}

// writeConfig writes a --policy-pack-config file.
func writeConfig(t *testing.T, config string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "policy-config.json")
	require.NoError(t, os.WriteFile(file, []byte(config), 0o600))
	return file
}

// TestPreviewShippedStacks runs `essha preview` on the shipped stacks: each passes with the pack
// enforcing (the member reading its owner's outputs through a real StackReference), and a
// --policy-pack-config that asks for more zones than the stack has fails, naming the policy, with exit
// status 1.
func TestPreviewShippedStacks(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	e := newEngineEnv(t, ctx)

	for _, stack := range shippedStacks {
		t.Run(stack, func(t *testing.T) {
			res := e.run(t, ctx, "preview", "--stack", stack)
			require.Equal(t, 0, res.ExitCode, res.Output())
			assert.Contains(t, res.Stdout, "Previewing update ("+stack+")")
			assert.Contains(t, res.Stdout, "Policies:")
			assert.Contains(t, res.Stdout, esshapack.Name+"@v"+esshapack.Version)
			assert.NotContains(t, res.Stdout, "[mandatory]")
			assert.Regexp(t, `\+ \d+ to create`, res.Stdout)
			assert.Contains(t, res.Stderr, "no AWS account, no credentials")
		})
	}

	t.Run("a strict policy-pack-config fails with exit status 1", func(t *testing.T) {
		config := writeConfig(t, `{"ha-min-availability-zones": {"minimumZones": 4}}`)
		res := e.run(t, ctx, "preview", "--stack", shippedStacks[0], "--policy-pack-config", config)
		assert.Equal(t, 1, res.ExitCode, res.Output())
		assert.Contains(t, res.Stdout, "[mandatory]  ha-min-availability-zones")
		assert.Contains(t, res.Stdout, "fewer than the 4 required")
		assert.Contains(t, res.Stderr, "ha-min-availability-zones")
	})

	t.Run("any other error exits 2", func(t *testing.T) {
		res := e.run(t, ctx, "preview", "--stack", shippedStacks[0], "--set", "availabilityZones=1")
		assert.Equal(t, 2, res.ExitCode, res.Output())
		assert.Contains(t, res.Stderr, "availabilityZones")
	})
}

// TestPreviewSmallPrograms previews small inline programs through the engine, one per seed and
// multi-region recommendation: each violating program fails its first preview (every ID unknown) with
// its policy, and its compliant twin passes. Each runs with only its policy enabled, at mandatory.
func TestPreviewSmallPrograms(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	e := newEngineEnv(t, ctx)
	w := e.workspace(t, ctx)
	// One stack serves every program: a preview records no state, so each is a first preview.
	st, err := w.Stack(ctx, "e2e", "small-programs", nil, map[string]string{"aws:region": "us-east-1"})
	require.NoError(t, err)

	for _, p := range append(seedPrograms(), multiRegionPrograms()...) {
		t.Run(p.name, func(t *testing.T) {
			config := writeConfig(t, levelConfig(p.policy, "mandatory", p.config))
			for _, violate := range []bool{true, false} {
				st.SetProgram(p.program(violate))
				var out bytes.Buffer
				res, err := st.Preview(ctx, engine.RunOptions{Stdout: &out, Stderr: &out, PolicyPackConfig: config})
				require.NotNil(t, res, "%v", err)
				assert.Positive(t, res.Changes["create"], "a first preview creates everything")
				if violate {
					require.ErrorIs(t, err, engine.ErrNotCompliant, out.String())
					assert.Equal(t, []string{p.policy}, res.PolicyNames(string(apitype.Mandatory)), out.String())
					for _, v := range res.Mandatory() {
						assert.NotContains(t, v.Message, "cannot verify", "the violation is decided while IDs are unknown")
					}
					assert.Contains(t, out.String(), "[mandatory]  "+p.policy)
				} else {
					require.NoError(t, err, out.String())
					assert.Empty(t, res.Violations, out.String())
				}
			}
		})
	}
}

// TestRemediationChangesRecordedInputs deploys a launch template that allows IMDSv1 with
// ha-imdsv2-required at level remediate: the engine records the remediated inputs.
func TestRemediationChangesRecordedInputs(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	e := newEngineEnv(t, ctx)
	w := e.workspace(t, ctx)
	st, err := w.Stack(ctx, "e2e", "remediate", launchTemplateAllowingIMDSv1, map[string]string{"aws:region": "us-east-1"})
	require.NoError(t, err)
	config := writeConfig(t, levelConfig("ha-imdsv2-required", "remediate", ""))
	var out bytes.Buffer
	res, err := st.Up(ctx, engine.RunOptions{Stdout: &out, Stderr: &out, PolicyPackConfig: config})
	require.NoError(t, err, out.String())
	require.Len(t, res.Remediations, 1, out.String())
	assert.Equal(t, "ha-imdsv2-required", res.Remediations[0].Policy)

	lt := resourceOfType(t, export(t, ctx, st), "aws:ec2/launchTemplate:LaunchTemplate")
	opts, _ := lt.Inputs["metadataOptions"].(map[string]any)
	assert.Equal(t, "required", opts["httpTokens"], "the recorded inputs are the remediated ones")
	assert.EqualValues(t, 2, opts["httpPutResponseHopLimit"])
	outputs, _ := lt.Outputs["metadataOptions"].(map[string]any)
	assert.Equal(t, "required", outputs["httpTokens"], "the provider was given the remediated inputs")
}

// TestUpPreviewDestroyShippedPair deploys the shipped pair against the stand-in, the owner first and the
// member reading the owner's deployed outputs; previews each again, which shows no change; changes
// one configuration value, which changes only the resources that use it; and destroys the owner,
// which the engine refuses for the protected resources that must outlive the stack.
func TestUpPreviewDestroyShippedPair(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	e := newEngineEnv(t, ctx)
	w := e.workspace(t, ctx)

	stacks := map[string]*engine.Stack{}
	configs := map[string]map[string]string{}
	for _, name := range shippedStacks { // the owner first
		proj, cfg, err := project.Load(ctx, essha.ProjectFiles(), name, nil)
		require.NoError(t, err)
		st, err := w.Stack(ctx, proj.Name.String(), name, program.Run, cfg)
		require.NoError(t, err)
		var out bytes.Buffer
		res, err := st.Up(ctx, engine.RunOptions{Stdout: &out, Stderr: &out})
		require.NoError(t, err, out.String())
		assert.Positive(t, res.Changes["create"])
		stacks[name], configs[name] = st, cfg
	}

	owner := shippedStacks[0]
	t.Run("the stand-in gives the resources essha plan gives", func(t *testing.T) {
		planned, err := plan.Run(ctx, plan.Options{Stack: owner})
		require.NoError(t, err)
		want, got := resourceIDs(t, planned.State), resourceIDs(t, export(t, ctx, stacks[owner]))
		assert.Equal(t, want, got)
	})

	for _, name := range shippedStacks {
		t.Run(name+": a second preview shows no changes", func(t *testing.T) {
			var out bytes.Buffer
			res, err := stacks[name].Preview(ctx, engine.RunOptions{Stdout: &out, Stderr: &out})
			require.NoError(t, err, out.String())
			assert.Empty(t, res.Changed(), out.String())
		})
	}

	t.Run("one configuration value changes only what uses it", func(t *testing.T) {
		st := stacks[owner]
		cfg := map[string]string{}
		for k, v := range configs[owner] {
			cfg[k] = v
		}
		cfg["ess-ha:logRetentionDays"] = "30"
		require.NoError(t, st.SetConfig(ctx, cfg))
		defer func() { require.NoError(t, st.SetConfig(ctx, configs[owner])) }()
		var out bytes.Buffer
		res, err := st.Preview(ctx, engine.RunOptions{Stdout: &out, Stderr: &out})
		require.NoError(t, err, out.String())
		logGroups := resourcesOfType(t, export(t, ctx, st), "aws:cloudwatch/logGroup:LogGroup")
		require.NotEmpty(t, logGroups)
		var changed []string
		for _, s := range res.Changed() {
			assert.Equal(t, "update", s.Op, s.URN)
			assert.Equal(t, "aws:cloudwatch/logGroup:LogGroup", s.Type, s.URN)
			assert.Equal(t, []string{"retentionInDays"}, s.Diffs, s.URN)
			changed = append(changed, s.URN)
		}
		var want []string
		for _, r := range logGroups {
			want = append(want, r.URN)
		}
		sort.Strings(changed)
		sort.Strings(want)
		assert.Equal(t, want, changed, "every log group, and nothing else")
	})

	// The member first, as a pair is taken down; each destroy goes on past what it cannot delete, so
	// the engine names every protected resource.
	for _, name := range []string{shippedStacks[1], shippedStacks[0]} {
		t.Run(name+": destroy keeps the protected resources and says so", func(t *testing.T) {
			st := stacks[name]
			before := stateResources(t, export(t, ctx, st))
			var protected []string
			for _, r := range before {
				if r.Protect {
					protected = append(protected, r.Type+" "+r.URN)
				}
			}
			var out bytes.Buffer
			_, err := st.Destroy(ctx, engine.RunOptions{Stdout: &out, Stderr: &out, ContinueOnError: true})
			require.Error(t, err, out.String())
			after := map[string]bool{}
			for _, r := range stateResources(t, export(t, ctx, st)) {
				after[r.URN] = true
			}
			for _, p := range protected {
				urn := p[strings.Index(p, " ")+1:]
				assert.True(t, after[urn], "%s survives the destroy", p)
			}
			assert.Less(t, len(after), len(before), "what nothing protected needs is deleted")
			// The engine refuses each protected resource when it reaches it. What a protected resource
			// depends on waits for it, so the engine names the first in line: the cluster, through which
			// the global cluster and the master secret are kept too.
			want := []string{"aws:rds/cluster:Cluster"}
			if name == shippedStacks[0] {
				want = append(want, "aws:rds/globalCluster:GlobalCluster", "aws:secretsmanager/secret:Secret")
			}
			for _, typ := range want {
				found := false
				for _, p := range protected {
					found = found || strings.HasPrefix(p, typ+" ")
				}
				assert.True(t, found, "%s: the %s is protected", name, typ)
			}
			cluster := resourceOfType(t, export(t, ctx, st), "aws:rds/cluster:Cluster")
			assert.Contains(t, err.Error(), `"`+cluster.URN+"\" cannot be deleted\nbecause it is protected")
		})
	}
}

// stateResource is a resource of an exported state.
type stateResource struct {
	URN     string         `json:"urn"`
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Custom  bool           `json:"custom"`
	Protect bool           `json:"protect"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
}

func stateResources(t *testing.T, state []byte) []stateResource {
	t.Helper()
	var doc struct {
		Deployment struct {
			Resources []stateResource `json:"resources"`
		} `json:"deployment"`
	}
	require.NoError(t, json.Unmarshal(state, &doc))
	return doc.Deployment.Resources
}

func resourcesOfType(t *testing.T, state []byte, typ string) []stateResource {
	t.Helper()
	var out []stateResource
	for _, r := range stateResources(t, state) {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func resourceOfType(t *testing.T, state []byte, typ string) stateResource {
	t.Helper()
	rs := resourcesOfType(t, state, typ)
	require.Len(t, rs, 1, typ)
	return rs[0]
}

// resourceIDs maps the URN of every AWS resource of a state to its ID.
func resourceIDs(t *testing.T, state []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range stateResources(t, state) {
		if r.Custom && strings.HasPrefix(r.Type, "aws:") {
			out[r.URN] = r.ID
		}
	}
	return out
}

func export(t *testing.T, ctx context.Context, st *engine.Stack) []byte {
	t.Helper()
	b, err := st.Export(ctx)
	require.NoError(t, err)
	return b
}
