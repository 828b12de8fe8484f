package rules

import "github.com/ess-ha/ess-ha/policies/internal/policy"

// All returns every policy of the pack, in a stable order: the five seed recommendations first, then the
// security and resilience baseline, then the advisory checks, then the multi-region (AsurionID) checks. Each call returns fresh values, so callers
// may not share or mutate state through them. The pair policies are apart, in Pair.
func All() []policy.Policy {
	return withMetadata([]policy.Policy{
		minAvailabilityZones(),
		publicSubnetsLBOnly(),
		rdsMultiAZ(),
		privateRegistry(),
		separatePools(),
		runsInVPC(),
		imdsv2Required(),
		encryptionAtRest(),
		databaseProtection(),
		lbHTTPSOnly(),
		natPerAZ(),
		cacheFailover(),
		noOpenIngress(),
		dnsNames(),
		dnsAAAADualStack(),
		essLaunchBeforeTerminate(),
		bucketsNotPublic(),
		dbEngineVersionMajor(),
		essCapacityPerAZ(),
		weightedRecordsHealthChecked(),
		drainCheckInverted(),
		globalDatabaseMember(),
		registryReplicated(),
	})
}
