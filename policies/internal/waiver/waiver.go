// Package waiver reads the waivers of a policy pack configuration and judges findings against them. A
// waiver is an approved, dated exception for one policy on the resources its pattern matches:
//
//	"ha-rds-multi-az": {"waivers": [{"resource": "urn:pulumi:prod::ess-ha::aws:rds/instance:Instance::legacy-*",
//	  "reason": "single-AZ until the migration", "approvedBy": "jane@example.com", "expires": "2026-06-30"}]}
//
// A waiver is in force up to and including its expiry day (days are UTC). A finding it matches while in
// force is reported, never hidden: as waived in an audit, as advisory "waived until ..." in a preview. A
// finding it matches after expiry keeps its level, with a note that the waiver expired.
package waiver

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Property is the configuration property of every policy that holds its waivers.
const Property = "waivers"

// DateLayout is the layout of an expiry date and of an audit's as-of date.
const DateLayout = "2006-01-02"

// Waiver is one approved exception.
type Waiver struct {
	// Policy is the policy the waiver is configured under.
	Policy string `json:"policy"`
	// Index is the waiver's position in the policy's list, for messages ("waivers[2]").
	Index int `json:"index"`
	// Resource is the URN, or a glob over URNs ('*' any run of characters, '?' one character), of the
	// resources the waiver covers. A stack-level finding is matched against the root stack's URN.
	Resource   string `json:"resource"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approvedBy"`
	// Expires is the last day the waiver is in force, as written (YYYY-MM-DD).
	Expires string `json:"expires"`

	expires time.Time
}

// Schema is the JSON schema of the waivers property, declared by every policy of the pack so that the
// engine and the pack accept it in --policy-pack-config.
func Schema() map[string]any {
	nonEmpty := func(desc string) map[string]any {
		return map[string]any{"type": "string", "minLength": 1, "description": desc}
	}
	return map[string]any{
		"type":        "array",
		"default":     []any{},
		"description": "Approved exceptions: each waives this policy's findings on the resources it matches until it expires.",
		"items": map[string]any{
			"type":                 "object",
			"additionalProperties": false,
			"required":             []any{"resource", "reason", "approvedBy", "expires"},
			"properties": map[string]any{
				"resource":   nonEmpty("The URN of the waived resource, or a glob over URNs ('*' matches any characters)."),
				"reason":     nonEmpty("Why the exception is accepted."),
				"approvedBy": nonEmpty("Who approved the exception."),
				"expires": map[string]any{"type": "string", "pattern": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`,
					"description": "The last day (YYYY-MM-DD, UTC) the exception is in force."},
			},
		},
	}
}

// Parse reads the waivers property of one policy's configuration (a JSON array of objects, as decoded
// into Go values). Every problem is an error naming the policy, the waiver's index, the field and what
// is wrong.
func Parse(policy string, v any) ([]Waiver, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: %s: want a list of waivers, got %s", policy, Property, kind(v))
	}
	out := make([]Waiver, 0, len(list))
	var problems []string
	for i, item := range list {
		where := fmt.Sprintf("%s: %s[%d]", policy, Property, i)
		m, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: want an object with resource, reason, approvedBy and expires, got %s", where, kind(item)))
			continue
		}
		w := Waiver{Policy: policy, Index: i}
		fields := []struct {
			name string
			dst  *string
		}{{"resource", &w.Resource}, {"reason", &w.Reason}, {"approvedBy", &w.ApprovedBy}, {"expires", &w.Expires}}
		bad := false
		for _, f := range fields {
			raw, present := m[f.name]
			s, isStr := raw.(string)
			switch {
			case !present:
				problems = append(problems, fmt.Sprintf("%s: %s is missing; a waiver needs resource, reason, approvedBy and expires", where, f.name))
				bad = true
			case !isStr || strings.TrimSpace(s) == "":
				problems = append(problems, fmt.Sprintf("%s: %s must be a non-empty string, got %s", where, f.name, kind(raw)))
				bad = true
			default:
				*f.dst = s
			}
		}
		for k := range m {
			if k != "resource" && k != "reason" && k != "approvedBy" && k != "expires" {
				problems = append(problems, fmt.Sprintf("%s: unknown field %q; a waiver has resource, reason, approvedBy and expires", where, k))
				bad = true
			}
		}
		if w.Expires != "" {
			t, err := time.Parse(DateLayout, w.Expires)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: expires %q is not a date; write it as YYYY-MM-DD, e.g. 2026-06-30", where, w.Expires))
				bad = true
			}
			w.expires = t
		}
		if !bad {
			out = append(out, w)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return out, nil
}

// kind names a JSON value's kind for messages, never its content.
func kind(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if strings.TrimSpace(t) == "" {
			return "an empty string"
		}
		return "a string"
	case bool:
		return "a boolean"
	case float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// InForce reports whether the waiver is in force on the day of asOf (UTC): up to and including its
// expiry day.
func (w Waiver) InForce(asOf time.Time) bool {
	return !Day(asOf).After(w.expires)
}

// Day truncates a time to its UTC day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Matches reports whether the waiver covers a resource.
func (w Waiver) Matches(urn resource.URN) bool { return Glob(w.Resource, string(urn)) }

// Glob matches s against pattern, where '*' matches any run of characters (including '/' and ':',
// which URNs are full of) and '?' one character; everything else matches itself.
func Glob(pattern, s string) bool {
	// Iterative matching with backtracking to the last star: linear in practice, never exponential.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// Outcome is what the waivers say about one finding.
type Outcome int

// The outcomes.
const (
	// None: no waiver of the policy matches the resource.
	None Outcome = iota
	// Waived: a waiver in force matches.
	Waived
	// Expired: only waivers past their expiry match.
	Expired
)

// Judge returns what the waivers of a policy say about a finding on urn as of a day, and the waiver
// that decided it: the first one in force that matches, else the matching one that expired last.
func Judge(ws []Waiver, urn resource.URN, asOf time.Time) (Outcome, *Waiver) {
	var expired *Waiver
	for i := range ws {
		w := &ws[i]
		if !w.Matches(urn) {
			continue
		}
		if w.InForce(asOf) {
			return Waived, w
		}
		if expired == nil || w.expires.After(expired.expires) {
			expired = w
		}
	}
	if expired != nil {
		return Expired, expired
	}
	return None, nil
}

// WaivedNote is the text a preview puts before the message of a waived finding.
func WaivedNote(w *Waiver) string {
	return fmt.Sprintf("waived until %s (approved by %s: %s)", w.Expires, w.ApprovedBy, w.Reason)
}

// ExpiredNote is the text added to a finding whose waiver has expired.
func ExpiredNote(w *Waiver) string {
	return fmt.Sprintf("the waiver approved by %s (%s) expired on %s and waives nothing", w.ApprovedBy, w.Reason, w.Expires)
}
