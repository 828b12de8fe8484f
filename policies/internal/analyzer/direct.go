package analyzer

import (
	"fmt"
	"io"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// The semantics below are the server's, exported for a runner that runs the pack's policies directly
// on a stack, without the protocol (the audit), so that both give the same verdicts.

// CheckLevel decides whether a policy's check runs under its configured level and at which level its
// violations are reported (see checkLevel).
func CheckLevel(configured policy.Level, hasRemediation bool) (policy.Level, bool) {
	return checkLevel(configured, hasRemediation)
}

// Message is the message of a diagnostic, as the server builds it: the policy's description, then the
// violation's message on the next line.
func Message(p *policy.Policy, message string) string {
	msg := p.Description
	if message != "" {
		if msg != "" {
			msg += "\n"
		}
		msg += message
	}
	return msg
}

// FailureMessage says that a policy ("policy") or remediation ("remediation") of a pack failed, and
// why, as the server reports it.
func FailureMessage(what string, pack Pack, policyName string, failure error) string {
	return fmt.Sprintf("%s %q from policy pack %s@v%s failed: %v", what, policyName, pack.Name, pack.Version, failure)
}

// Guard runs one policy call, turning a panic into an error (and its stack into a line of log, when
// log is not nil), as the server does.
func Guard(log io.Writer, policyName string, call func() error) error {
	return guard(log, policyName, call)
}
