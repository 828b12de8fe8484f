// Package project loads the ess-ha Pulumi project and a stack's configuration the way the Pulumi CLI
// does: Pulumi.yaml's declared defaults applied and every value type-checked against its declaration.
package project

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	pkgworkspace "github.com/pulumi/pulumi/pkg/v3/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/esc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Stacks lists the stacks whose Pulumi.<stack>.yaml is in the project files.
func Stacks(files fs.FS) ([]string, error) {
	matches, err := fs.Glob(files, "Pulumi.*.yaml")
	if err != nil {
		return nil, err
	}
	var stacks []string
	for _, m := range matches {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(m, "Pulumi."), ".yaml"))
	}
	sort.Strings(stacks)
	return stacks, nil
}

// Load loads the project and the stack's configuration, applies the project's declared defaults
// and type-checks it as `pulumi up` does, and returns it as the "namespace:key" map the SDK reads.
func Load(ctx context.Context, files fs.FS, stackName string, overrides map[string]string) (*workspace.Project, map[string]string, error) {
	projBytes, err := fs.ReadFile(files, "Pulumi.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	proj, err := workspace.LoadProjectBytes(projBytes, "Pulumi.yaml", encoding.YAML)
	if err != nil {
		return nil, nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	stackFile := "Pulumi." + stackName + ".yaml"
	stackBytes, err := fs.ReadFile(files, stackFile)
	if err != nil {
		known, _ := Stacks(files)
		return nil, nil, fmt.Errorf("stack %q has no configuration file %s (known stacks: %s)", stackName, stackFile, strings.Join(known, ", "))
	}
	sink := diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never})
	ps, err := workspace.LoadProjectStackBytes(sink, proj, stackBytes, stackFile, encoding.YAML)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", stackFile, err)
	}
	for k, v := range overrides {
		if !strings.Contains(k, ":") {
			k = proj.Name.String() + ":" + k
		}
		key, err := config.ParseKey(k)
		if err != nil {
			return nil, nil, fmt.Errorf("config override %q: %w", k, err)
		}
		val := config.NewValue(v)
		if strings.HasPrefix(strings.TrimSpace(v), "{") || strings.HasPrefix(strings.TrimSpace(v), "[") {
			val = config.NewObjectValue(v)
		}
		if err := ps.Config.Set(key, val, false); err != nil {
			return nil, nil, fmt.Errorf("config override %q: %w", k, err)
		}
	}
	if err := pkgworkspace.ValidateStackConfigAndApplyProjectConfig(ctx, stackName, proj, esc.Value{},
		ps.Config, config.NopEncrypter, config.NopDecrypter); err != nil {
		return nil, nil, fmt.Errorf("stack %s: %w", stackName, err)
	}
	plain, err := ps.Config.Decrypt(config.NopDecrypter)
	if err != nil {
		return nil, nil, fmt.Errorf("stack %s: reading configuration: %w", stackName, err)
	}
	out := make(map[string]string, len(plain))
	for k, v := range plain {
		out[k.Namespace()+":"+k.Name()] = v
	}
	return proj, out, nil
}

// Pair is an active-active deployment as its stack files describe it: the deployment's name and the
// regions of its stacks.
type Pair struct {
	Deployment string
	Regions    []string
}

// Pairs returns every multi-region deployment of the project files: stacks that set peerRegion,
// grouped by deployment name, each group checked to be a pair that names each other.
func Pairs(ctx context.Context, files fs.FS) ([]Pair, error) {
	stacks, err := Stacks(files)
	if err != nil {
		return nil, err
	}
	peers := map[string]map[string]string{} // deployment -> region -> peer
	for _, s := range stacks {
		_, cfg, err := Load(ctx, files, s, nil)
		if err != nil {
			return nil, err
		}
		peer := cfg["ess-ha:peerRegion"]
		if peer == "" {
			continue
		}
		d := cfg["ess-ha:deployment"]
		if peers[d] == nil {
			peers[d] = map[string]string{}
		}
		region := cfg["aws:region"]
		if _, dup := peers[d][region]; dup {
			return nil, fmt.Errorf("deployment %s has two stacks in region %s: one stack per region", d, region)
		}
		peers[d][region] = peer
	}
	var out []Pair
	for d, regions := range peers {
		p := Pair{Deployment: d}
		for r, peer := range regions {
			if regions[peer] != r {
				return nil, fmt.Errorf("deployment %s: the stack in %s names peerRegion %s, but no stack in %s names %s back", d, r, peer, peer, r)
			}
			p.Regions = append(p.Regions, r)
		}
		sort.Strings(p.Regions)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Deployment < out[j].Deployment })
	return out, nil
}
