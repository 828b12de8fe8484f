package analyzer

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// validLevel reports whether l is one of the four enforcement levels.
func validLevel(l policy.Level) bool {
	switch l {
	case policy.Advisory, policy.Mandatory, policy.Remediate, policy.Disabled:
		return true
	}
	return false
}

// toRPCLevel converts a level to its protocol value. The level must be valid.
func toRPCLevel(l policy.Level) pulumirpc.EnforcementLevel {
	switch l {
	case policy.Mandatory:
		return pulumirpc.EnforcementLevel_MANDATORY
	case policy.Remediate:
		return pulumirpc.EnforcementLevel_REMEDIATE
	case policy.Disabled:
		return pulumirpc.EnforcementLevel_DISABLED
	default:
		return pulumirpc.EnforcementLevel_ADVISORY
	}
}

// fromRPCLevel converts a protocol level to a level.
func fromRPCLevel(l pulumirpc.EnforcementLevel) (policy.Level, error) {
	switch l {
	case pulumirpc.EnforcementLevel_ADVISORY:
		return policy.Advisory, nil
	case pulumirpc.EnforcementLevel_MANDATORY:
		return policy.Mandatory, nil
	case pulumirpc.EnforcementLevel_REMEDIATE:
		return policy.Remediate, nil
	case pulumirpc.EnforcementLevel_DISABLED:
		return policy.Disabled, nil
	}
	return "", fmt.Errorf("unknown enforcement level %d; allowed: advisory, mandatory, remediate, disabled", int32(l))
}

// toAPILevel converts a level to the engine's configuration type.
func toAPILevel(l policy.Level) apitype.EnforcementLevel { return apitype.EnforcementLevel(l) }

// checkLevel decides, as Pulumi's Node policy SDK does, whether a policy's check runs in Analyze or
// AnalyzeStack under the configured level, and at which level its violations are reported:
//   - disabled: the check does not run;
//   - remediate, with a remediation: the remediation fixes the resource in Remediate, so the check
//     does not run;
//   - remediate, without a remediation: nothing can fix the resource, so it behaves as mandatory;
//   - advisory, mandatory: the check runs and reports at that level.
func checkLevel(configured policy.Level, hasRemediation bool) (policy.Level, bool) {
	switch configured {
	case policy.Disabled:
		return "", false
	case policy.Remediate:
		if hasRemediation {
			return "", false
		}
		return policy.Mandatory, true
	default:
		return configured, true
	}
}
