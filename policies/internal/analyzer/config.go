package analyzer

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	pkganalyzer "github.com/pulumi/pulumi/pkg/v3/resource/analyzer"
	pkgplugin "github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/waiver"
)

// allPolicies is the reserved configuration key that sets the level of every policy.
const allPolicies = "all"

// enforcementLevelKey is the reserved property name that carries a level in configuration.
const enforcementLevelKey = "enforcementLevel"

// policyConfig is one policy's effective configuration.
type policyConfig struct {
	level policy.Level
	// props are the policy's properties, validated against its schema, with defaults applied, without
	// the waivers. Never nil.
	props map[string]any
	// waivers are the policy's waivers.
	waivers []waiver.Waiver
}

// packConfig maps each policy name to its effective configuration.
type packConfig map[string]policyConfig

// PolicySettings is one policy's effective configuration.
type PolicySettings struct {
	// Level is the configured level.
	Level policy.Level
	// Properties are the policy's properties with defaults applied, without the waivers.
	Properties map[string]any
	// Waivers are the policy's waivers, in the order configured.
	Waivers []waiver.Waiver
}

// Settings maps each policy of a pack to its effective configuration.
type Settings map[string]PolicySettings

// Resolve computes the pack's effective configuration from a --policy-pack-config file's entries (as
// github.com/pulumi/pulumi/pkg/v3/resource/analyzer.LoadPolicyPackConfigFromFile reads them), exactly as
// the engine and Configure together do: an entry without an enforcement level keeps the policy's level,
// `all` sets every policy's level, a policy's own entry beats `all`, properties are validated against
// the policy's schema and defaults fill in the rest. Errors name the policy, the property and what is
// allowed.
func (s *Server) Resolve(given map[string]pkgplugin.AnalyzerPolicyConfig) (Settings, error) {
	cfg, err := s.reconcileGiven(given)
	if err != nil {
		return nil, err
	}
	out := make(Settings, len(cfg))
	for name, pc := range cfg {
		out[name] = PolicySettings{Level: pc.level, Properties: pc.props, Waivers: pc.waivers}
	}
	return out, nil
}

// compileSchema turns a policy's schema into the engine's schema type, normalising every fragment
// through JSON so it holds only JSON types (a fragment written with []string becomes []any), which
// both the protocol encoding and the JSON-schema validator require.
//
// Every policy also declares the waivers property (waiver.Schema), so that the engine, which validates
// --policy-pack-config against these schemas before the pack sees it, accepts waivers for any policy.
func compileSchema(p *policy.Policy) (*pkgplugin.AnalyzerPolicyConfigSchema, error) {
	out := &pkgplugin.AnalyzerPolicyConfigSchema{Properties: map[string]pkgplugin.JSONSchema{
		waiver.Property: waiver.Schema(),
	}}
	if p.Schema == nil {
		return out, nil
	}
	for name, frag := range p.Schema.Properties {
		if name == enforcementLevelKey || name == waiver.Property {
			return nil, fmt.Errorf("schema declares the reserved property %q", name)
		}
		b, err := json.Marshal(frag)
		if err != nil {
			return nil, fmt.Errorf("schema of property %q is not JSON: %w", name, err)
		}
		var norm map[string]any
		if err := json.Unmarshal(b, &norm); err != nil {
			return nil, fmt.Errorf("schema of property %q is not a JSON object: %w", name, err)
		}
		out.Properties[name] = norm
	}
	for _, r := range p.Schema.Required {
		if _, ok := out.Properties[r]; !ok {
			return nil, fmt.Errorf("schema requires property %q, which it does not declare", r)
		}
	}
	out.Required = slices.Clone(p.Schema.Required)
	return out, nil
}

// policyInfos describes the pack's policies the way the engine's configuration helpers expect.
func (s *Server) policyInfos() []pkgplugin.AnalyzerPolicyInfo {
	infos := make([]pkgplugin.AnalyzerPolicyInfo, len(s.entries))
	for i, e := range s.entries {
		infos[i] = pkgplugin.AnalyzerPolicyInfo{
			Name:             e.p.Name,
			Description:      e.p.Description,
			EnforcementLevel: toAPILevel(e.level),
			ConfigSchema:     e.schema,
		}
	}
	return infos
}

// reconcile computes the pack's effective configuration from what the engine sent: every policy
// starts at its default level with its schema defaults, the `all` level applies to every policy, and a
// policy's own entry overrides both. It checks that every named policy exists, that every property is
// declared by the policy's schema, and that the values validate against it; any failure is an error
// naming the policy, the property and what is allowed.
func (s *Server) reconcile(req map[string]*pulumirpc.PolicyConfig) (packConfig, error) {
	given := make(map[string]pkgplugin.AnalyzerPolicyConfig, len(req))
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(req)) {
		pc := req[name]
		level, err := fromRPCLevel(pc.GetEnforcementLevel())
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		var props map[string]any
		if pc.GetProperties() != nil {
			props = pc.GetProperties().AsMap()
		}
		given[name] = pkgplugin.AnalyzerPolicyConfig{EnforcementLevel: toAPILevel(level), Properties: props}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid configuration for policy pack %s: %s", s.pack.Name, strings.Join(problems, "; "))
	}
	return s.reconcileGiven(given)
}

// reconcileGiven is reconcile on entries in the engine's form. An entry without an enforcement level
// (an object without "enforcementLevel" in a config file) keeps the level it would otherwise have.
func (s *Server) reconcileGiven(req map[string]pkgplugin.AnalyzerPolicyConfig) (packConfig, error) {
	given := make(map[string]pkgplugin.AnalyzerPolicyConfig, len(req))
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(req)) {
		pc := req[name]
		level := pc.EnforcementLevel
		if level != "" && !validLevel(policy.Level(level)) {
			problems = append(problems, fmt.Sprintf("%s: enforcementLevel %q is not a level; allowed: advisory, mandatory, remediate, disabled", name, level))
			continue
		}
		props := maps.Clone(pc.Properties)
		delete(props, enforcementLevelKey)
		if name == allPolicies {
			if len(props) > 0 {
				problems = append(problems, fmt.Sprintf(
					"%s: only an enforcement level can be set for all policies at once, got properties %s",
					allPolicies, quoteList(slices.Sorted(maps.Keys(props)))))
				continue
			}
		} else {
			e, ok := s.byName[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("unknown policy %q; the pack's policies are %s",
					name, quoteList(s.names())))
				continue
			}
			if _, err := waiver.Parse(name, props[waiver.Property]); err != nil {
				problems = append(problems, err.Error())
			}
			for _, k := range slices.Sorted(maps.Keys(props)) {
				if _, declared := e.schema.Properties[k]; !declared {
					problems = append(problems, fmt.Sprintf("%s: unknown property %q; %s",
						name, k, allowedProperties(e.schema)))
				}
			}
		}
		given[name] = pkgplugin.AnalyzerPolicyConfig{EnforcementLevel: level, Properties: props}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid configuration for policy pack %s: %s", s.pack.Name, strings.Join(problems, "; "))
	}

	result, validationErrors, err := pkganalyzer.ReconcilePolicyPackConfig(s.policyInfos(), nil, given)
	if err != nil {
		return nil, fmt.Errorf("reconciling configuration for policy pack %s: %w", s.pack.Name, err)
	}
	if len(validationErrors) > 0 {
		sort.Strings(validationErrors)
		for i, msg := range validationErrors {
			validationErrors[i] = s.explain(msg)
		}
		return nil, fmt.Errorf("invalid configuration for policy pack %s: %s",
			s.pack.Name, strings.Join(validationErrors, "; "))
	}

	out := make(packConfig, len(s.entries))
	for _, e := range s.entries {
		rc := result[e.p.Name]
		level := policy.Level(rc.EnforcementLevel)
		if !validLevel(level) {
			level = e.level
		}
		props := maps.Clone(rc.Properties)
		if props == nil {
			props = map[string]any{}
		}
		ws, err := waiver.Parse(e.p.Name, props[waiver.Property])
		if err != nil {
			problems = append(problems, err.Error())
		}
		delete(props, waiver.Property)
		out[e.p.Name] = policyConfig{level: level, props: props, waivers: ws}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid configuration for policy pack %s: %s", s.pack.Name, strings.Join(problems, "; "))
	}
	return out, nil
}

// explain appends what is allowed to a validation message of the form "<policy>: <property>: <error>".
func (s *Server) explain(msg string) string {
	policyName, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return msg
	}
	e, ok := s.byName[policyName]
	if !ok {
		return msg
	}
	prop, _, ok := strings.Cut(rest, ": ")
	prop, _, _ = strings.Cut(prop, ".") // "accounts.0" names an item of property "accounts"
	if prop == waiver.Property {
		return msg
	}
	if frag, declared := e.schema.Properties[prop]; ok && declared {
		return fmt.Sprintf("%s (property %q allows %s)", msg, prop, describeSchema(frag))
	}
	// A missing required property reads "<policy>: <property> is required".
	for _, r := range e.schema.Required {
		if strings.HasPrefix(rest, r+" ") {
			return fmt.Sprintf("%s (property %q allows %s)", msg, r, describeSchema(e.schema.Properties[r]))
		}
	}
	return msg
}

// describeSchema renders a schema fragment compactly, without its prose description.
func describeSchema(frag pkgplugin.JSONSchema) string {
	c := maps.Clone(frag)
	delete(c, "description")
	b, err := json.Marshal(c)
	if err != nil {
		return "values matching its schema"
	}
	return string(b)
}

// allowedProperties says which properties a policy takes.
func allowedProperties(schema *pkgplugin.AnalyzerPolicyConfigSchema) string {
	var own []string
	for k := range schema.Properties {
		if k != waiver.Property {
			own = append(own, k)
		}
	}
	if len(own) == 0 {
		return "the policy takes no properties, only enforcementLevel and waivers"
	}
	slices.Sort(own)
	return "allowed properties are " + quoteList(own) + ", enforcementLevel and waivers"
}

// quoteList renders names as a quoted, comma-separated list.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
