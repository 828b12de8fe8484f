// Package rules holds the policies of the ess-ha pack, one file per policy, and the catalog that lists
// them in a stable order (All). Each policy enforces a recommendation of the two source documents, Inrupt's
// ESS "High Availability Architecture" and the AsurionID multi-region article, or a security baseline a
// reviewer of that topology expects, and names it in every message.
//
// Relationship checks are stack policies: they follow references with the graph package, through IDs and
// ARNs in deployed state and through property dependencies during a preview, so both give one verdict. A
// value that is unknown during a preview never causes a violation; when a verdict needs it, the policy
// reports a CannotVerify finding naming the property instead. Secret values are unwrapped for logic and
// never printed.
package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// The source documents, as messages cite them.
const (
	essDoc     = `Inrupt ESS "High Availability Architecture"`
	asurionDoc = `AsurionID multi-region article`
	// baseline is the security and resilience baseline of the pack's issue: what a reviewer of this
	// topology expects besides the documents.
	baseline = `the ess-ha security baseline (README.md, "The policy pack")`
)

// essSection cites a section of the ESS document.
func essSection(section string) string { return essDoc + `, section "` + section + `"` }

// asurionSection cites a section of the AsurionID article.
func asurionSection(section string) string { return asurionDoc + `, "` + section + `"` }

// Sections of the documents the policies cite.
var (
	recVPC       = essSection("Virtual Private Cloud")
	recAZ        = essSection("Availability Zones")
	recGateway   = essSection("Gateway (Optional)")
	recLB        = essSection("Load Balancers")
	recPools     = essSection("Separate Management of Public and Backend Services")
	recPostgres  = essSection("PostgreSQL")
	recRegistry  = essSection("Container Registry")
	recAsurionAZ = asurionSection("High availability using multi-AZ in a single region")
)

// finding builds the message of a violation: which resource, which property and its value, what is
// wrong, what to change, and the recommendation.
func finding(r *policy.Resource, prop, shown, problem, fix, rec string) policy.Violation {
	var b strings.Builder
	b.WriteString(graph.Describe(r))
	b.WriteString(": ")
	if prop != "" {
		b.WriteString(prop)
		if shown != "" {
			b.WriteString(" = ")
			b.WriteString(shown)
		}
		b.WriteString(": ")
	}
	b.WriteString(problem)
	b.WriteString(". Fix: ")
	b.WriteString(fix)
	b.WriteString(". Enforces ")
	b.WriteString(rec)
	b.WriteString(".")
	return policy.Violation{URN: r.URN, Message: b.String()}
}

// stackFinding builds the message of a violation about the stack as a whole.
func stackFinding(problem, fix, rec string) policy.Violation {
	return policy.Violation{Message: "the stack: " + problem + ". Fix: " + fix + ". Enforces " + rec + "."}
}

// unverifiable builds a CannotVerify finding. reason says what is unknown, in the form "<property> of
// <resource> is unknown" when the value is unknown during a preview, or names what is missing from the
// stack; decides says what cannot be decided because of it.
func unverifiable(urn resource.URN, reason, decides, rec string) policy.Violation {
	prefix := "cannot verify: "
	if strings.Contains(reason, " is unknown") {
		prefix = "cannot verify during preview: "
	}
	msg := prefix + reason
	if decides != "" {
		msg += ", so " + decides + " cannot be decided"
	}
	return policy.Violation{URN: urn, Message: msg + ". Enforces " + rec + ".", CannotVerify: true}
}

// refsReason says why a reference property did not fully resolve, or "" when it did.
func refsReason(r *policy.Resource, prop string, refs graph.Refs) string {
	switch {
	case refs.Unknown:
		return fmt.Sprintf("%s of %s is unknown", prop, graph.Describe(r))
	case len(refs.Dangling) > 0:
		what := graph.List(quoteAll(refs.Dangling), ", ")
		if refs.Secret {
			what = graph.ShownSecret
		}
		return fmt.Sprintf("%s of %s names %s, which is not a resource of this stack", prop, graph.Describe(r), what)
	}
	return ""
}

// unknownReason says that a property of a resource is unknown.
func unknownReason(r *policy.Resource, prop string) string {
	return fmt.Sprintf("%s of %s is unknown", prop, graph.Describe(r))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// describeAll names resources for a message.
func describeAll(rs []*policy.Resource) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = graph.Describe(r)
	}
	return graph.List(parts, ", ")
}

// show prints a property of a resource safely.
func show(r *policy.Resource, path string) string { return graph.Prop(r, path).Show() }

// cfgInt reads an integer config property, falling back to def when it is absent or not a whole number.
func cfgInt(args policy.Args, key string, def int) int {
	switch v := args.Config[key].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		if v == math.Trunc(v) {
			return int(v)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return int(n)
		}
	}
	return def
}

// cfgBool reads a boolean config property.
func cfgBool(args policy.Args, key string, def bool) bool {
	if v, ok := args.Config[key].(bool); ok {
		return v
	}
	return def
}

// cfgString reads a string config property.
func cfgString(args policy.Args, key, def string) string {
	if v, ok := args.Config[key].(string); ok {
		return v
	}
	return def
}

// cfgStrings reads a list-of-strings config property.
func cfgStrings(args policy.Args, key string, def []string) []string {
	switch v := args.Config[key].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return def
}

// intProp is a JSON-schema fragment for an integer config property.
func intProp(def, minimum int, description string) map[string]any {
	return map[string]any{"type": "integer", "minimum": minimum, "default": def, "description": description}
}

// sortedKeys returns a set's keys sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// plural returns "n thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// boolIs classifies a boolean property: Yes when true, No when false or unset (with unsetIsTrue false),
// Maybe when unknown.
func boolIs(r *policy.Resource, path string, unsetIsTrue bool) graph.Tri {
	f := graph.Prop(r, path)
	switch {
	case !f.Present:
		if unsetIsTrue {
			return graph.Yes
		}
		return graph.No
	case !f.Known:
		return graph.Maybe
	}
	if b, ok := f.Bool(); ok && b {
		return graph.Yes
	}
	return graph.No
}
