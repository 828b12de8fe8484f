// Package report is the model of an audit report: what was audited, every policy of the pack with its
// status and evidence, every finding, the report read by control, the waivers and how they were used,
// and the availability estimate. Its JSON form is the documented, versioned schema of `essha audit
// --format json` (SchemaVersion); the other formats render the same model.
package report

import (
	"sort"

	"github.com/ess-ha/ess-ha/policies/audit/availability"
	"github.com/ess-ha/ess-ha/policies/audit/topology"
)

// SchemaVersion is the version of the JSON report's schema. It changes in its major part when a field
// is removed or changes meaning, in its minor part when one is added.
const SchemaVersion = "1.0"

// Status is the outcome of one policy on one stack (or on the pair).
type Status string

// The statuses of a policy, from the worst.
const (
	// Failed: the policy reported at least one finding that is not waived.
	Failed Status = "failed"
	// CannotVerify: the policy could not decide, because values are unknown; nothing failed.
	CannotVerify Status = "cannot-verify"
	// Waived: every finding of the policy is covered by a waiver in force.
	Waived Status = "waived"
	// Passed: the policy checked resources of its types and found nothing.
	Passed Status = "passed"
	// NotApplicable: nothing of the policy's types is in the stack (for a pair policy: the audit is of
	// one stack, not a pair).
	NotApplicable Status = "not-applicable"
	// Disabled: the configuration disables the policy.
	Disabled Status = "disabled"
)

// Statuses lists the statuses from the worst, the order of summaries.
var Statuses = []Status{Failed, CannotVerify, Waived, Passed, NotApplicable, Disabled}

// FindingStatus is what became of one finding.
type FindingStatus string

// The statuses of a finding.
const (
	// Violation: the finding stands, at its level.
	Violation FindingStatus = "failed"
	// WaivedFinding: a waiver in force covers the finding; it never blocks.
	WaivedFinding FindingStatus = "waived"
	// Unverified: the policy could not decide (an unknown value); always advisory.
	Unverified FindingStatus = "cannot-verify"
	// Remediation: a policy at level remediate would change the resource's inputs; the state is not changed.
	Remediation FindingStatus = "remediation"
)

// Report is one audit.
type Report struct {
	// SchemaVersion is the version of this schema.
	SchemaVersion string `json:"schemaVersion"`
	// Pack names the policy pack, as name@vversion.
	Pack string `json:"pack"`
	// AsOf is the day (YYYY-MM-DD, UTC) waivers were judged against.
	AsOf string `json:"asOf"`
	// Stacks are the audited stacks, one per state file, in the order given.
	Stacks []Stack `json:"stacks"`
	// Compliant is true when no finding is a mandatory violation.
	Compliant bool `json:"compliant"`
	// Summary counts the policy results by status and the findings by status.
	Summary Summary `json:"summary"`
	// Policies has one entry per policy and stack (and one per pair policy for the pair), in pack order.
	Policies []PolicyResult `json:"policies"`
	// Findings are every finding, mandatory violations first.
	Findings []Finding `json:"findings"`
	// Controls reads the report by control: for each control, its policies and their status.
	Controls []ControlResult `json:"controls"`
	// Waivers are every configured waiver, with how many findings each matched.
	Waivers []WaiverUse `json:"waivers"`
	// Availability is the availability estimate of the audited topology: a model, with its assumptions.
	Availability *availability.Estimate `json:"availability,omitempty"`
	// Topology is what the audit found of the deployment's shape (drawn by the HTML report).
	Topology *topology.Topology `json:"topology,omitempty"`
	// Warnings are things the auditor should know that are not findings.
	Warnings []string `json:"warnings,omitempty"`
}

// Stack is one audited stack.
type Stack struct {
	// Name is the stack's name, from its URNs.
	Name    string `json:"name"`
	Project string `json:"project"`
	// File is the state file it was read from.
	File string `json:"file"`
	// Resources counts the live resources (not pending deletion).
	Resources int `json:"resources"`
	// Types counts the live resources by type.
	Types map[string]int `json:"types"`
}

// Summary counts results.
type Summary struct {
	// Policies counts the policy results by status.
	Policies map[Status]int `json:"policies"`
	// Findings counts the findings by status.
	Findings map[FindingStatus]int `json:"findings"`
	// Mandatory counts the mandatory violations, the ones that make a stack not compliant.
	Mandatory int `json:"mandatory"`
}

// PolicyResult is the outcome of one policy on one stack, or on the pair.
type PolicyResult struct {
	// Name is the policy's name.
	Name        string `json:"name"`
	Description string `json:"description"`
	// Recommendation names the source document and section the policy enforces.
	Recommendation string `json:"recommendation"`
	// Stack names the stack, or "pair" for a pair policy run on the two stacks together.
	Stack string `json:"stack"`
	// Level is the policy's configured enforcement level.
	Level  string `json:"level"`
	Status Status `json:"status"`
	// Checked counts the resources of the policy's types in the stack, the evidence of what it checked.
	Checked int `json:"checked"`
	// CheckedTypes counts them by type.
	CheckedTypes map[string]int `json:"checkedTypes"`
	// Types are the resource types the policy checks.
	Types []string `json:"types"`
	// Failed, Waived and CannotVerify count the policy's findings by status (Remediations too).
	Failed       int `json:"failed"`
	Waived       int `json:"waived"`
	CannotVerify int `json:"cannotVerify"`
	Remediations int `json:"remediations"`
	// Controls are the controls the policy serves.
	Controls []Control `json:"controls"`
}

// Control is one control of an external framework.
type Control struct {
	Framework string `json:"framework"`
	ID        string `json:"id"`
	Title     string `json:"title"`
	URL       string `json:"url"`
}

// Finding is one finding of a policy.
type Finding struct {
	Policy string `json:"policy"`
	// Stack names the stack the finding is in, or "pair".
	Stack string `json:"stack"`
	// Level is the level the finding is reported at (a cannot-verify finding is always advisory).
	Level  string        `json:"level"`
	Status FindingStatus `json:"status"`
	// URN names the resource at fault; stack-level findings name the root stack, as the engine does.
	URN resource `json:"urn"`
	// Type is the resource's type, when the resource is in the audited state.
	Type string `json:"type,omitempty"`
	// Message is the policy's message: its description, then what is wrong, the value, what to change
	// and the recommendation. It never holds a secret's plaintext.
	Message string `json:"message"`
	// Waiver is the waiver that covers the finding, or that expired (Waiver.Expired).
	Waiver *AppliedWaiver `json:"waiver,omitempty"`
}

type resource = string

// AppliedWaiver is a waiver as it applies to one finding.
type AppliedWaiver struct {
	Resource   string `json:"resource"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approvedBy"`
	Expires    string `json:"expires"`
	// Expired is true when the waiver had expired on the report's as-of day, and so waives nothing.
	Expired bool `json:"expired"`
}

// ControlResult is one control and the results of the policies that serve it.
type ControlResult struct {
	Control
	// Status is the worst status of its policies' results.
	Status   Status          `json:"status"`
	Policies []ControlPolicy `json:"policies"`
}

// ControlPolicy is one policy result under a control.
type ControlPolicy struct {
	Name   string `json:"name"`
	Stack  string `json:"stack"`
	Status Status `json:"status"`
}

// WaiverUse is one configured waiver and what it did.
type WaiverUse struct {
	Policy     string `json:"policy"`
	Index      int    `json:"index"`
	Resource   string `json:"resource"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approvedBy"`
	Expires    string `json:"expires"`
	// InForce is true when the waiver is in force on the as-of day.
	InForce bool `json:"inForce"`
	// Matched counts the findings it matched; a waiver that matches nothing is stale.
	Matched int `json:"matched"`
}

// Rank orders statuses from the worst (0).
func Rank(s Status) int {
	for i, x := range Statuses {
		if x == s {
			return i
		}
	}
	return len(Statuses)
}

// Worst returns the worst of two statuses.
func Worst(a, b Status) Status {
	if Rank(b) < Rank(a) {
		return b
	}
	return a
}

// Unmatched returns the waivers that matched no finding.
func (r *Report) Unmatched() []WaiverUse {
	var out []WaiverUse
	for _, w := range r.Waivers {
		if w.Matched == 0 {
			out = append(out, w)
		}
	}
	return out
}

// FindingsOf returns the findings of one policy result.
func (r *Report) FindingsOf(p PolicyResult) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Policy == p.Name && f.Stack == p.Stack {
			out = append(out, f)
		}
	}
	return out
}

// SortFindings orders findings: mandatory violations first, then by status, policy, stack, resource and
// message, so a report is stable.
func SortFindings(fs []Finding) {
	rank := func(f Finding) int {
		switch {
		case f.Status == Violation && f.Level == "mandatory":
			return 0
		case f.Status == Violation:
			return 1
		case f.Status == Unverified:
			return 2
		case f.Status == WaivedFinding:
			return 3
		}
		return 4
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if a.Stack != b.Stack {
			return a.Stack < b.Stack
		}
		if a.URN != b.URN {
			return a.URN < b.URN
		}
		return a.Message < b.Message
	})
}
