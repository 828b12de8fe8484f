// Package project loads the ess-ha Pulumi project and a stack's configuration the way the Pulumi CLI
// does: Pulumi.yaml's declared defaults applied and every value type-checked against its declaration.
package project

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	pkgworkspace "github.com/pulumi/pulumi/pkg/v3/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/encoding"
	"github.com/pulumi/pulumi/sdk/v3/go/common/esc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"gopkg.in/yaml.v3"

	"github.com/ess-ha/ess-ha/internal/awsname"
	"github.com/ess-ha/ess-ha/internal/suggest"
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
//
// Unlike the Pulumi CLI, it refuses what a careless stack file or command line would otherwise slip
// past: a key of the project's namespace that Pulumi.yaml does not declare (a typo, which would leave
// the default in place; the error suggests the closest declared key), a key without a namespace or a
// name, an override whose value looks like JSON but is not, and two overrides of one key. Overrides
// are keyed "namespace:key" or, in the project's namespace, "key"; "domain" and "ess-ha:domain" are
// the same key, and setting a key twice is an error rather than a race that one of them would win, so
// the same input always gives the same configuration.
func Load(ctx context.Context, files fs.FS, stackName string, overrides map[string]string) (*workspace.Project, map[string]string, error) {
	projBytes, err := fs.ReadFile(files, "Pulumi.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	proj, err := workspace.LoadProjectBytes(projBytes, "Pulumi.yaml", encoding.YAML)
	if err != nil {
		return nil, nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	file := stackFile(stackName)
	stackBytes, err := fs.ReadFile(files, file)
	if err != nil {
		known, _ := Stacks(files)
		return nil, nil, fmt.Errorf("stack %q has no configuration file %s (known stacks: %s)", stackName, file, strings.Join(known, ", "))
	}
	sink := diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never})
	ps, err := workspace.LoadProjectStackBytes(sink, proj, stackBytes, file, encoding.YAML)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", file, err)
	}
	ns := proj.Name.String()
	declared := declaredKeys(proj)
	var problems []error
	for _, k := range slices.SortedFunc(maps.Keys(ps.Config), func(a, b config.Key) int { return strings.Compare(a.String(), b.String()) }) {
		if err := checkKey(ns, k.Namespace(), k.Name(), declared); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", file, err))
		}
	}
	resolved, err := resolveOverrides(ns, overrides)
	if err != nil {
		problems = append(problems, err)
	}
	for _, o := range resolved {
		if err := checkKey(ns, o.key.Namespace(), o.key.Name(), declared); err != nil {
			problems = append(problems, fmt.Errorf("config override %s: %w", showValue(o.written), err))
			continue
		}
		val := config.NewValue(o.value)
		if trimmed := strings.TrimSpace(o.value); strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
			if err := json.Unmarshal([]byte(o.value), new(any)); err != nil {
				problems = append(problems, fmt.Errorf("config override %s = %s is not valid JSON (%w): write an object or list as JSON, such as %s='{\"minPerZone\": 2}'", o.written, showValue(o.value), err, o.written))
				continue
			}
			val = config.NewObjectValue(o.value)
		}
		if err := ps.Config.Set(o.key, val, false); err != nil {
			problems = append(problems, fmt.Errorf("config override %s: %w", showValue(o.written), err))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, nil, fmt.Errorf("stack %s: %w", stackName, err)
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

// declaredKeys lists the keys Pulumi.yaml declares in the project's namespace, sorted.
func declaredKeys(proj *workspace.Project) []string {
	prefix := proj.Name.String() + ":"
	var keys []string
	for k := range proj.Config {
		keys = append(keys, strings.TrimPrefix(k, prefix))
	}
	sort.Strings(keys)
	return keys
}

// checkKey checks one configuration key: it has a namespace and a name, and in the project's namespace
// it is declared.
func checkKey(ns, keyNS, name string, declared []string) error {
	switch {
	case keyNS == "" || name == "":
		return fmt.Errorf("config key %s is invalid: write namespace:key, such as %s:domain or aws:region", showValue(keyNS+":"+name), ns)
	case keyNS == ns && !slices.Contains(declared, name):
		return fmt.Errorf("config %s is not a key of project %s%s: Pulumi.yaml declares %s",
			showValue(keyNS+":"+name), ns, suggest.DidYouMean(name, declared), strings.Join(declared, ", "))
	}
	return nil
}

// maxKeyLength bounds the configuration keys an override may name: no real key comes close.
const maxKeyLength = 256

// override is one configuration override, as written and as resolved.
type override struct {
	written, value string
	key            config.Key
}

// resolveOverrides resolves the keys of overrides ("key" is "<ns>:key"), sorted by key, and refuses
// two overrides of one key.
func resolveOverrides(ns string, overrides map[string]string) ([]override, error) {
	var out []override
	var problems []error
	for _, written := range slices.Sorted(maps.Keys(overrides)) {
		full := written
		if !strings.Contains(full, ":") {
			full = ns + ":" + full
		}
		if len(full) > maxKeyLength {
			problems = append(problems, fmt.Errorf("config override %s: a key of %d bytes; no key is longer than %d", showValue(written), len(full), maxKeyLength))
			continue
		}
		key, err := config.ParseKey(full)
		if err != nil {
			problems = append(problems, fmt.Errorf("config override %s: could not parse it as a configuration key: write namespace:key, such as %s:domain", showValue(written), ns))
			continue
		}
		out = append(out, override{written: written, value: overrides[written], key: key})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key.String() < out[j].key.String() })
	for i := 1; i < len(out); i++ {
		if a, b := out[i-1], out[i]; a.key == b.key {
			problems = append(problems, fmt.Errorf("config %s is overridden twice, as %s = %s and as %s = %s: set it once",
				a.key.String(), showValue(a.written), showValue(a.value), showValue(b.written), showValue(b.value)))
		}
	}
	return out, errors.Join(problems...)
}

// showValue quotes a value for an error, cut to a few dozen characters.
func showValue(v string) string {
	const most = 64
	if len(v) <= most {
		return strconv.Quote(v)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return strconv.Quote(v[:cut]) + "…(" + strconv.Itoa(len(v)) + " bytes)"
}

// Pair is an active-active deployment as its stack files describe it: two stacks that set
// peerRegion, share a deployment name and name each other's region.
type Pair struct {
	// Deployment is the deployment's name (ess-ha:deployment, or Pulumi.yaml's default).
	Deployment string
	// Regions are the regions of the two stacks, sorted.
	Regions []string
	// Stacks are the stacks' names, in the order of Regions.
	Stacks []string
	// AccountID is the one AWS account both stacks are pinned to with aws:allowedAccountIds; empty
	// when neither stack sets it (or AccountErr is set).
	AccountID string
	// AccountErr says why the stacks name no usable account: aws:allowedAccountIds is malformed,
	// set in only one stack, or differs between them. It matters only to a caller that has no
	// account ID of its own.
	AccountErr error
	// Err says why the stacks of this deployment do not form a usable pair; nil if they do.
	Err error
}

// Files returns the names of the pair's stack files, in the order of Regions.
func (p Pair) Files() []string {
	files := make([]string, len(p.Stacks))
	for i, s := range p.Stacks {
		files[i] = stackFile(s)
	}
	return files
}

// PairSet is what the project's stack files say about its active-active deployments, read
// leniently: a stack file's problems surface only through the deployment it belongs to.
type PairSet struct {
	// All are the deployments that at least one stack with peerRegion names, usable or not
	// (see Pair.Err), sorted by name.
	All []Pair
	// Unreadable are stack files that could not be read far enough to tell which deployment they
	// belong to (not YAML, config not a map, deployment not a string). They are reported only
	// when the deployment asked for cannot be found or is incomplete, since they may be part of it.
	Unreadable []error
}

// stackInfo is what a failover reads from one stack file.
type stackInfo struct {
	name       string
	region     string
	peer       string
	accounts   []string // aws:allowedAccountIds, nil when unset
	accountErr error
	problems   []error
}

// Pairs reads, from every Pulumi.<stack>.yaml in files, only what a failover needs (aws:region,
// <project>:peerRegion, <project>:deployment with Pulumi.yaml's default, aws:allowedAccountIds)
// and groups the stacks that set peerRegion by deployment. Stacks without peerRegion are ignored,
// and a stack file's other settings are not validated: an unrelated stack that `pulumi up` would
// refuse does not stop a failover of another deployment. Only a problem with Pulumi.yaml itself
// or with listing the files is an error here; everything else is recorded in the PairSet.
func Pairs(files fs.FS) (*PairSet, error) {
	projBytes, err := fs.ReadFile(files, "Pulumi.yaml")
	if err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	proj, err := workspace.LoadProjectBytes(projBytes, "Pulumi.yaml", encoding.YAML)
	if err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	ns := proj.Name.String()
	defaultDeployment := ""
	for _, k := range []string{"deployment", ns + ":deployment"} {
		if ct, ok := proj.Config[k]; ok {
			if d, ok := ct.Default.(string); ok {
				defaultDeployment = d
			}
		}
	}
	stacks, err := Stacks(files)
	if err != nil {
		return nil, fmt.Errorf("listing the stack files: %w", err)
	}

	set := &PairSet{}
	groups := map[string][]stackInfo{}
	for _, s := range stacks {
		file := stackFile(s)
		cfg, err := readStackConfig(files, file)
		if err != nil {
			set.Unreadable = append(set.Unreadable, fmt.Errorf("%s: %w", file, err))
			continue
		}
		peer, err := plainString(cfg, ns+":peerRegion")
		if err != nil {
			set.Unreadable = append(set.Unreadable, fmt.Errorf("%s: %w", file, err))
			continue
		}
		if peer == "" {
			continue // a single-region stack
		}
		deployment := defaultDeployment
		if d, err := plainString(cfg, ns+":deployment"); err != nil {
			set.Unreadable = append(set.Unreadable, fmt.Errorf("%s: %w", file, err))
			continue
		} else if d != "" {
			deployment = d
		}
		info := stackInfo{name: s, peer: peer}
		if info.region, err = plainString(cfg, "aws:region"); err != nil {
			info.problems = append(info.problems, fmt.Errorf("%s: %w", file, err))
		} else if info.region == "" {
			info.problems = append(info.problems, fmt.Errorf("%s sets %s:peerRegion but no aws:region: set aws:region", file, ns))
		}
		info.accounts, info.accountErr = allowedAccountIDs(cfg, file)
		groups[deployment] = append(groups[deployment], info)
	}
	for d, infos := range groups {
		set.All = append(set.All, pairOf(d, infos))
	}
	sort.Slice(set.All, func(i, j int) bool { return set.All[i].Deployment < set.All[j].Deployment })
	return set, nil
}

// Select returns the pair named deployment, or, when deployment is empty, the only pair the stack
// files describe. Its error names the fix: the deployments to choose from, the problem of the
// chosen pair, and any unreadable stack file that might belong to it.
func (s *PairSet) Select(deployment string) (Pair, error) {
	names := make([]string, len(s.All))
	for i, p := range s.All {
		names[i] = p.Deployment
	}
	var chosen *Pair
	switch {
	case deployment != "":
		for i := range s.All {
			if s.All[i].Deployment == deployment {
				chosen = &s.All[i]
			}
		}
		if chosen == nil {
			if len(names) == 0 {
				return Pair{}, s.withUnreadable(fmt.Errorf("no active-active deployment named %q: no stack sets peerRegion", deployment))
			}
			return Pair{}, s.withUnreadable(fmt.Errorf("no active-active deployment named %q in the stack files: choose one of %s with --deployment", deployment, strings.Join(names, ", ")))
		}
	case len(s.All) == 0:
		return Pair{}, s.withUnreadable(fmt.Errorf("no stack sets peerRegion: there is no active-active deployment to fail over"))
	case len(s.All) > 1:
		return Pair{}, fmt.Errorf("the stack files describe several active-active deployments (%s): choose one with --deployment NAME", strings.Join(names, ", "))
	default:
		chosen = &s.All[0]
	}
	if chosen.Err != nil {
		return Pair{}, s.withUnreadable(chosen.Err)
	}
	return *chosen, nil
}

// withUnreadable adds the unreadable stack files to err, as they may be what is missing.
func (s *PairSet) withUnreadable(err error) error {
	if len(s.Unreadable) == 0 {
		return err
	}
	return fmt.Errorf("%w (these stack files could not be read and may belong to it: %w)", err, errors.Join(s.Unreadable...))
}

// pairOf checks that infos, the stacks of one deployment, form a pair that names each other, and
// works out the pair's account.
func pairOf(deployment string, infos []stackInfo) Pair {
	sort.Slice(infos, func(i, j int) bool { return infos[i].region < infos[j].region })
	p := Pair{Deployment: deployment}
	var problems []error
	byRegion := map[string]stackInfo{}
	for _, in := range infos {
		problems = append(problems, in.problems...)
		if in.region == "" {
			continue
		}
		if prev, dup := byRegion[in.region]; dup {
			problems = append(problems, fmt.Errorf("deployment %s has two stacks in region %s (%s and %s): one stack per region", deployment, in.region, prev.name, in.name))
			continue
		}
		byRegion[in.region] = in
		p.Regions = append(p.Regions, in.region)
		p.Stacks = append(p.Stacks, in.name)
	}
	for _, r := range p.Regions {
		in := byRegion[r]
		if back, ok := byRegion[in.peer]; !ok || back.peer != r {
			problems = append(problems, fmt.Errorf("deployment %s: the stack in %s (%s) names peerRegion %s, but no stack in %s names %s back", deployment, r, stackFile(in.name), in.peer, in.peer, r))
		}
	}
	if len(problems) == 0 && len(p.Regions) != 2 {
		problems = append(problems, fmt.Errorf("deployment %s: an active-active pair is two stacks, got %d (%s)", deployment, len(p.Stacks), strings.Join(p.Stacks, ", ")))
	}
	if len(problems) > 0 {
		p.Err = errors.Join(problems...)
		return p
	}
	a, b := byRegion[p.Regions[0]], byRegion[p.Regions[1]]
	p.AccountID, p.AccountErr = pairAccount(a, b)
	return p
}

// pairAccount returns the account both stacks of a pair are pinned to, "" if neither is.
func pairAccount(a, b stackInfo) (string, error) {
	if err := errors.Join(a.accountErr, b.accountErr); err != nil {
		return "", err
	}
	switch {
	case a.accounts == nil && b.accounts == nil:
		return "", nil
	case a.accounts == nil || b.accounts == nil:
		set, unset := a, b
		if a.accounts == nil {
			set, unset = b, a
		}
		return "", fmt.Errorf("aws:allowedAccountIds is %s in %s but not set in %s: set the same account in both stacks of the pair", set.accounts[0], stackFile(set.name), stackFile(unset.name))
	case a.accounts[0] != b.accounts[0]:
		return "", fmt.Errorf("aws:allowedAccountIds is %s in %s but %s in %s: both stacks of a pair run in one account", a.accounts[0], stackFile(a.name), b.accounts[0], stackFile(b.name))
	}
	return a.accounts[0], nil
}

// allowedAccountIDs reads aws:allowedAccountIds, the pulumi-aws provider setting that refuses to
// deploy into any other account: for a failover it must be a list of exactly one 12-digit ID.
// It returns nil, nil when the key is absent.
func allowedAccountIDs(cfg map[string]yaml.Node, file string) ([]string, error) {
	n, ok := cfg["aws:allowedAccountIds"]
	if !ok {
		return nil, nil
	}
	want := `a list of exactly one 12-digit account ID, e.g. aws:allowedAccountIds: ["123456789012"]`
	if n.Kind != yaml.SequenceNode || len(n.Content) != 1 {
		return nil, fmt.Errorf("%s: aws:allowedAccountIds must be %s", file, want)
	}
	id := n.Content[0]
	if id.Kind != yaml.ScalarNode || !awsname.IsAccountID(id.Value) {
		return nil, fmt.Errorf("%s: aws:allowedAccountIds holds %q: it must be %s", file, id.Value, want)
	}
	if id.Tag != "!!str" && strings.HasPrefix(id.Value, "0") {
		return nil, fmt.Errorf("%s: aws:allowedAccountIds holds the unquoted number %s, which loses its leading zero: quote it, e.g. [\"%s\"]", file, id.Value, id.Value)
	}
	return []string{id.Value}, nil
}

// readStackConfig parses a stack file just far enough to get its config map.
func readStackConfig(files fs.FS, file string) (map[string]yaml.Node, error) {
	b, err := fs.ReadFile(files, file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a stack configuration file: %w", err)
	}
	return doc.Config, nil
}

// plainString returns the value of key as a plain string, "" if it is absent or null.
func plainString(cfg map[string]yaml.Node, key string) (string, error) {
	n, ok := cfg[key]
	if !ok || n.Tag == "!!null" {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s must be a plain string (not secret, not a map or list)", key)
	}
	return n.Value, nil
}

func stackFile(stack string) string { return "Pulumi." + stack + ".yaml" }
