// Package plan runs the ess-ha program offline: it loads the project and a stack's configuration the
// way the Pulumi CLI does (project defaults applied and type-checked), runs the real program under the
// mocks, and writes the resulting resource graph as a state file in the format `pulumi stack export`
// writes (deployment version 3), which `pulumi policy analyze --file` accepts.
package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	multierror "github.com/hashicorp/go-multierror"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	essha "github.com/ess-ha/ess-ha"
	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/program"
	"github.com/ess-ha/ess-ha/internal/project"
	"github.com/ess-ha/ess-ha/internal/stackexport"
)

// Options selects what to plan.
type Options struct {
	// Stack is the stack name, e.g. prod-us-east-1; its configuration is Pulumi.<stack>.yaml.
	Stack string
	// ProjectDir holds Pulumi.yaml and the stack files; empty uses the files embedded in the binary.
	ProjectDir string
	// Overrides replace stack configuration values ("namespace:key" or "key" to a raw value).
	Overrides map[string]string
	// PeerPlan is the state file of the owner's stack (a plan or a `pulumi stack export`), whose
	// outputs a member stack reads through its StackReference. When it is empty, planning a member
	// plans its owner (ess-ha:peerStack) from the same project files first.
	PeerPlan []byte
}

// Result is a finished plan.
type Result struct {
	// State is the state file, deployment version 3, as `pulumi stack export` writes it.
	State []byte
	// Summary is a readable summary: resources per component and per AZ.
	Summary string
	// Deployment is the state before encoding.
	Deployment *apitype.DeploymentV3
	// Outputs are the stack's outputs.
	Outputs map[string]any
}

// manifestTime is fixed so the same input gives byte-identical output.
var manifestTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Prepare returns the mocks and the configuration that a run of opts uses: the stack's configuration
// loaded as the CLI loads it, and, for the member of a pair, its owner's outputs behind the member's
// StackReference.
func Prepare(ctx context.Context, opts Options) (*mocks.Mocks, map[string]string, error) {
	if opts.Stack == "" {
		return nil, nil, errors.New("plan: no stack given: pass --stack, e.g. --stack prod-us-east-1")
	}
	files := essha.ProjectFiles()
	if opts.ProjectDir != "" {
		files = os.DirFS(opts.ProjectDir)
	}
	proj, cfg, err := project.Load(ctx, files, opts.Stack, opts.Overrides)
	if err != nil {
		return nil, nil, err
	}
	m := mocks.New(proj.Name.String(), opts.Stack, cfg["aws:region"])
	if peer := cfg[proj.Name.String()+":peerStack"]; peer != "" {
		outputs, err := peerOutputs(ctx, opts, peer)
		if err != nil {
			return nil, nil, fmt.Errorf("planning stack %s: its owner's outputs (ess-ha:peerStack %s): %w", opts.Stack, peer, err)
		}
		m.SetStackOutputs(peer, outputs)
	}
	return m, cfg, nil
}

// Run plans one stack.
func Run(ctx context.Context, opts Options) (*Result, error) {
	m, cfg, err := Prepare(ctx, opts)
	if err != nil {
		return nil, err
	}
	region := cfg["aws:region"]
	var (
		mu      sync.Mutex
		outputs map[string]any
	)
	err = m.Run(cfg, func(pctx *pulumi.Context) error {
		r, err := program.Build(pctx)
		if err != nil {
			return err
		}
		program.Export(pctx, r.Outputs)
		r.Outputs.ToMapOutput().ApplyT(func(v map[string]any) map[string]any {
			mu.Lock()
			defer mu.Unlock()
			outputs = v
			return v
		})
		return nil
	})
	if err != nil {
		// The SDK gathers the program's errors in a multierror; list them plainly.
		var all *multierror.Error
		if errors.As(err, &all) {
			err = errors.Join(all.Errors...)
		}
		return nil, fmt.Errorf("running the program for stack %s: %w", opts.Stack, err)
	}
	dep, err := deployment(ctx, m, m.Project, opts.Stack, region, outputs)
	if err != nil {
		return nil, fmt.Errorf("writing the state of stack %s: %w", opts.Stack, err)
	}
	untyped, err := dep.ToUntypedDeployment(apitype.DeploymentSchemaVersionCurrent, nil)
	if err != nil {
		return nil, fmt.Errorf("encoding the state of stack %s: %w", opts.Stack, err)
	}
	state, err := json.MarshalIndent(untyped, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("encoding the state of stack %s: %w", opts.Stack, err)
	}
	return &Result{State: append(state, '\n'), Summary: Summarize(opts.Stack, dep), Deployment: dep, Outputs: outputs}, nil
}

// peerOutputs returns the outputs of the owner's stack: from opts.PeerPlan, or by planning the
// owner's stack file (the last part of peer, which may be org/project/stack) from the same project
// files, without the member's overrides.
func peerOutputs(ctx context.Context, opts Options, peer string) (map[string]any, error) {
	if len(opts.PeerPlan) > 0 {
		return stackexport.Outputs(opts.PeerPlan)
	}
	name := peer[strings.LastIndex(peer, "/")+1:]
	if name == opts.Stack {
		return nil, fmt.Errorf("stack %s names itself as its peer", opts.Stack)
	}
	res, err := Run(ctx, Options{Stack: name, ProjectDir: opts.ProjectDir})
	if err != nil {
		return nil, fmt.Errorf("planning the owner's stack %s first: %w (or pass its state file with --peer-plan)", name, err)
	}
	return res.Outputs, nil
}

// deployment assembles the state: the stack resource, a default provider per package, and every
// registration, parents and providers first.
func deployment(ctx context.Context, m *mocks.Mocks, project, stackName, region string, outputs map[string]any) (*apitype.DeploymentV3, error) {
	// Secrets are written in plaintext envelopes, as `pulumi stack export --show-secrets` writes them:
	// the plan's secret values are placeholders the mocks made up, and any reader can load the file
	// without the stack's secrets provider.
	enc := config.NopEncrypter
	stackURN := resource.NewURN(tokens.QName(stackName), tokens.PackageName(project), "", resource.RootStackType, project+"-"+stackName)
	stackOutputs, err := stack.SerializeProperties(ctx, resource.NewPropertyMapFromMap(outputs), enc, true)
	if err != nil {
		return nil, fmt.Errorf("stack outputs: %w", err)
	}
	res := []apitype.ResourceV3{{URN: stackURN, Custom: false, Type: resource.RootStackType, Outputs: stackOutputs}}

	regs := m.Registrations()
	providers := map[string]string{} // package@version -> provider reference
	var providerRes []apitype.ResourceV3
	providerFor := func(pkg, version string) string {
		key := pkg + "@" + version
		if ref, ok := providers[key]; ok {
			return ref
		}
		name := "default"
		if version != "" {
			name += "_" + strings.NewReplacer(".", "_", "-", "_").Replace(version)
		}
		urn := resource.NewURN(tokens.QName(stackName), tokens.PackageName(project), "", tokens.Type("pulumi:providers:"+pkg), name)
		id := fakeUUID(string(urn))
		inputs := map[string]any{}
		if version != "" {
			inputs["version"] = version
		}
		if pkg == "aws" {
			inputs["region"] = region
		}
		providerRes = append(providerRes, apitype.ResourceV3{
			URN: urn, Custom: true, ID: resource.ID(id), Type: tokens.Type("pulumi:providers:" + pkg),
			Inputs: inputs, Outputs: inputs,
		})
		providers[key] = string(urn) + "::" + id
		return providers[key]
	}
	byURN := map[resource.URN]*apitype.ResourceV3{}
	var rest []*apitype.ResourceV3
	for _, r := range regs {
		inputs, err := stack.SerializeProperties(ctx, r.Inputs, enc, true)
		if err != nil {
			return nil, fmt.Errorf("inputs of %s: %w", r.URN, err)
		}
		outputs := r.Outputs
		if r.Custom && r.ID != "" {
			// Bridged providers repeat the ID among the outputs, and policies read it from there: the
			// engine does not send the resource's ID to analyzers.
			outputs = outputs.Copy()
			outputs["id"] = resource.NewProperty(r.ID)
		}
		out, err := stack.SerializeProperties(ctx, outputs, enc, true)
		if err != nil {
			return nil, fmt.Errorf("outputs of %s: %w", r.URN, err)
		}
		parent := r.Parent
		if parent == "" {
			parent = stackURN
		}
		v := &apitype.ResourceV3{
			URN: r.URN, Custom: r.Custom, ID: resource.ID(r.ID), Type: tokens.Type(r.Type),
			Inputs: inputs, Outputs: out, Parent: parent, Protect: r.Protect,
			RetainOnDelete: r.RetainOnDelete, External: r.External,
			Dependencies: sortedURNs(r.Dependencies),
		}
		if len(r.PropertyDependencies) > 0 {
			v.PropertyDependencies = map[resource.PropertyKey][]resource.URN{}
			for k, deps := range r.PropertyDependencies {
				v.PropertyDependencies[k] = sortedURNs(deps)
			}
		}
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			v.Provider = r.Provider
			if v.Provider == "" {
				v.Provider = providerFor(strings.SplitN(r.Type, ":", 2)[0], r.Version)
			}
		}
		byURN[r.URN] = v
		rest = append(rest, v)
	}
	sort.Slice(providerRes, func(i, j int) bool { return providerRes[i].URN < providerRes[j].URN })
	res = append(res, providerRes...)
	ordered, err := topological(rest, byURN)
	if err != nil {
		return nil, err
	}
	res = append(res, ordered...)
	manifest := apitype.ManifestV1{Time: manifestTime, Version: "ess-ha-plan"}
	manifest.Magic = manifest.NewMagic()
	return &apitype.DeploymentV3{Manifest: manifest, Resources: res}, nil
}

// topological orders resources so that each comes after its parent and its dependencies, as the
// engine's snapshot integrity check requires; ties are broken by URN, so the order is deterministic.
func topological(rs []*apitype.ResourceV3, byURN map[resource.URN]*apitype.ResourceV3) ([]apitype.ResourceV3, error) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].URN < rs[j].URN })
	state := map[resource.URN]int{} // 0 new, 1 visiting, 2 done
	out := make([]apitype.ResourceV3, 0, len(rs))
	var visit func(r *apitype.ResourceV3) error
	visit = func(r *apitype.ResourceV3) error {
		switch state[r.URN] {
		case 1:
			return fmt.Errorf("dependency cycle through %s", r.URN)
		case 2:
			return nil
		}
		state[r.URN] = 1
		deps := append([]resource.URN{r.Parent}, r.Dependencies...)
		if r.Provider != "" {
			// An explicit provider must precede the resources it manages.
			if ref, err := providers.ParseReference(r.Provider); err == nil {
				deps = append(deps, ref.URN())
			}
		}
		for _, ds := range r.PropertyDependencies {
			deps = append(deps, ds...)
		}
		sort.Slice(deps, func(i, j int) bool { return deps[i] < deps[j] })
		for _, d := range deps {
			if dep, ok := byURN[d]; ok {
				if err := visit(dep); err != nil {
					return err
				}
			}
		}
		state[r.URN] = 2
		out = append(out, *r)
		return nil
	}
	for _, r := range rs {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sortedURNs(in []resource.URN) []resource.URN {
	if len(in) == 0 {
		return nil
	}
	seen := map[resource.URN]bool{}
	var out []resource.URN
	for _, u := range in {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// fakeUUID returns a deterministic UUID-shaped id for a provider resource.
func fakeUUID(seed string) string {
	digest := sha256.Sum256([]byte(seed))
	sum := hex.EncodeToString(digest[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", sum[:8], sum[8:12], sum[12:16], sum[16:20], sum[20:32])
}
