// Package audit audits one stack, or the two stacks of an active-active pair, against the ess-ha policy
// pack, from their state files (what `pulumi stack export` or `essha plan` writes), without the Pulumi
// CLI: it reads and checks each file (state), runs every policy directly on it with the semantics of
// `pulumi policy analyze` (engine), judges findings against the configured waivers as of a day, runs
// the pair policies on the two stacks together, derives the topology and an availability estimate, and
// returns a report (report) that the render package writes in every format.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	pkganalyzer "github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"

	"github.com/ess-ha/ess-ha/policies/audit/availability"
	"github.com/ess-ha/ess-ha/policies/audit/engine"
	"github.com/ess-ha/ess-ha/policies/audit/report"
	"github.com/ess-ha/ess-ha/policies/audit/state"
	"github.com/ess-ha/ess-ha/policies/audit/topology"
	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/pack"
)

// ErrNotCompliant is returned by callers that turn a report with mandatory violations into a failure.
var ErrNotCompliant = errors.New("mandatory policy violations found")

// Input is one state file to audit: its content, or the path to read it from (the audit then releases
// the content as soon as it is decoded, which matters for large states).
type Input struct {
	// Name names the file in messages and in the report; Path when empty.
	Name string
	// Data is the file's content; when nil, the file at Path is read.
	Data []byte
	Path string
}

// Options configure an audit.
type Options struct {
	// Inputs are the state files: one stack, or the two stacks of a pair.
	Inputs []Input
	// Config is the policy pack configuration, as LoadConfig reads it; nil for the defaults.
	Config map[string]plugin.AnalyzerPolicyConfig
	// ConfigName names where Config came from, for messages.
	ConfigName string
	// AsOf is the day waivers are judged against; the zero time means today.
	AsOf time.Time
	// Log receives the stacks of panicking policies; nil drops them.
	Log io.Writer
}

// LoadConfig reads a --policy-pack-config file as the Pulumi CLI does (one key per policy, the value an
// enforcement level or an object with an optional enforcementLevel and the policy's properties and
// waivers). Errors name the file.
func LoadConfig(path string) (map[string]plugin.AnalyzerPolicyConfig, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--policy-pack-config %s: %w", path, err)
	}
	cfg, err := pkganalyzer.LoadPolicyPackConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("--policy-pack-config %s: %w (want a JSON object with one key per policy, e.g. "+
			`{"ha-rds-multi-az": "mandatory", "ha-min-availability-zones": {"minimumZones": 3}})`, path, err)
	}
	return cfg, nil
}

// Run audits the inputs.
func Run(ctx context.Context, opts Options) (*report.Report, error) {
	switch n := len(opts.Inputs); {
	case n == 0:
		return nil, errors.New("nothing to audit: give one state file, or the two of an active-active pair")
	case n > 2:
		return nil, fmt.Errorf("%d state files given: an audit takes one stack, or the two stacks of an active-active pair", n)
	}
	def := pack.Definition()
	srv, err := analyzer.New(def)
	if err != nil {
		return nil, fmt.Errorf("loading the policy pack: %w", err)
	}
	settings, err := srv.Resolve(opts.Config)
	if err != nil {
		where := opts.ConfigName
		if where == "" {
			where = "the policy pack configuration"
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	asOf := opts.AsOf
	if asOf.IsZero() {
		asOf = time.Now()
	}
	eopts := engine.Options{Pack: def, Settings: settings, AsOf: asOf, Log: opts.Log}
	popts := state.Options{Inputs: engine.InputTypes(eopts)}
	stacks := make([]*engine.Stack, 0, len(opts.Inputs))
	for _, in := range opts.Inputs {
		name, data := in.Name, in.Data
		if name == "" {
			name = in.Path
		}
		var f *state.File
		var err error
		if data == nil {
			f, err = state.ReadFileWith(ctx, name, in.Path, popts)
		} else {
			f, err = state.ParseWith(ctx, name, data, popts)
		}
		if err != nil {
			return nil, err
		}
		stacks = append(stacks, engine.NewStack(f))
	}
	if len(stacks) == 2 {
		a, b := stacks[0].File, stacks[1].File
		if a.Project == b.Project && a.Stack == b.Stack {
			return nil, fmt.Errorf("%s and %s are both stack %q of project %q: a pair audit takes the two regions' stacks",
				a.Path, b.Path, a.Stack, a.Project)
		}
		if stacks[0].Name == stacks[1].Name {
			stacks[0].Name = a.Project + "/" + a.Stack
			stacks[1].Name = b.Project + "/" + b.Stack
		}
	}
	rep, err := engine.Run(ctx, eopts, stacks)
	if err != nil {
		return nil, err
	}
	topo := topology.Derive(views(stacks))
	rep.Topology = topo
	rep.Availability = availability.Of(topo)
	return rep, nil
}

// views returns the stacks' output views, named, for the topology.
func views(stacks []*engine.Stack) []topology.Stack {
	out := make([]topology.Stack, len(stacks))
	for i, s := range stacks {
		out[i] = topology.Stack{Name: s.Name, Stack: s.Views.Outputs}
	}
	return out
}

// ParseAsOf reads an --as-of day (YYYY-MM-DD).
func ParseAsOf(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of %q: want a day as YYYY-MM-DD, e.g. --as-of 2026-06-30", s)
	}
	return t, nil
}
