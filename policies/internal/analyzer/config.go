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
)

// allPolicies is the reserved configuration key that sets the level of every policy.
const allPolicies = "all"

// enforcementLevelKey is the reserved property name that carries a level in configuration.
const enforcementLevelKey = "enforcementLevel"

// policyConfig is one policy's effective configuration.
type policyConfig struct {
	level policy.Level
	// props are the policy's properties, validated against its schema, with defaults applied. Never nil.
	props map[string]any
}

// packConfig maps each policy name to its effective configuration.
type packConfig map[string]policyConfig

// compileSchema turns a policy's schema into the engine's schema type, normalising every fragment
// through JSON so it holds only JSON types (a fragment written with []string becomes []any), which
// both the protocol encoding and the JSON-schema validator require.
func compileSchema(p *policy.Policy) (*pkgplugin.AnalyzerPolicyConfigSchema, error) {
	out := &pkgplugin.AnalyzerPolicyConfigSchema{Properties: map[string]pkgplugin.JSONSchema{}}
	if p.Schema == nil {
		return out, nil
	}
	for name, frag := range p.Schema.Properties {
		if name == enforcementLevelKey {
			return nil, fmt.Errorf("schema declares the reserved property %q", enforcementLevelKey)
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
			delete(props, enforcementLevelKey)
		}
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
			for _, k := range slices.Sorted(maps.Keys(props)) {
				if _, declared := e.schema.Properties[k]; !declared {
					problems = append(problems, fmt.Sprintf("%s: unknown property %q; %s",
						name, k, allowedProperties(e.schema)))
				}
			}
		}
		given[name] = pkgplugin.AnalyzerPolicyConfig{EnforcementLevel: toAPILevel(level), Properties: props}
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
		props := rc.Properties
		if props == nil {
			props = map[string]any{}
		}
		out[e.p.Name] = policyConfig{level: level, props: props}
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
	if len(schema.Properties) == 0 {
		return "the policy takes no properties, only enforcementLevel"
	}
	return "allowed properties are " + quoteList(slices.Sorted(maps.Keys(schema.Properties))) + " and enforcementLevel"
}

// quoteList renders names as a quoted, comma-separated list.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
