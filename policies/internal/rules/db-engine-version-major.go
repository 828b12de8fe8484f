package rules

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// DBEngineVersionMajor is the name of the policy that an RDS instance whose minor versions RDS upgrades
// pins only its major version.
const DBEngineVersionMajor = "ha-db-engine-version-major"

// With autoMinorVersionUpgrade on (the default), RDS moves an instance to newer minor versions in its
// maintenance window. pulumi-aws (the Terraform provider underneath) accepts a version prefix in
// engineVersion, keeps it in state as written and reports the running version in engineVersionActual
// (https://github.com/hashicorp/terraform-provider-aws/pull/20207; the pulumi-aws rds.Instance docs: "If
// autoMinorVersionUpgrade is enabled, you can provide a prefix of the version such as 8.0 (for 8.0.36)").
// A full minor version instead no longer matches after an upgrade, so every update plans a change back
// down, which RDS refuses ("Cannot upgrade postgres from 16.6 to 16.4", InvalidParameterCombination).

var recEngineVersion = baseline + ", for the database of " + recPostgres +
	` ("This guide assumes the use of Amazon's managed service Relational Database Service (RDS)")`

func dbEngineVersionMajor() policy.Policy {
	return policy.Policy{
		Name: DBEngineVersionMajor,
		Description: "An RDS DB instance (aws:rds/instance) with autoMinorVersionUpgrade on, the default, sets engineVersion " +
			"to its major version only (postgres \"16\", not \"16.4\"; mysql \"8.0\"; mariadb \"10.11\"; oracle \"19\"; " +
			"sqlserver \"15.00\"), or leaves it unset: once RDS upgrades the minor version, a pinned one makes every update " +
			"try to go back down, which RDS refuses. Aurora instances and clusters are not checked (their version is the " +
			"cluster's).",
		Recommendation: recEngineVersion,
		DefaultLevel:   policy.Mandatory,
		CheckResource:  checkDBEngineVersionMajor,
	}
}

func checkDBEngineVersionMajor(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
	if graph.Canonical(r.Type) != graph.TypeRdsInstance {
		return nil
	}
	upgrades := boolIs(r, "autoMinorVersionUpgrade", true)
	if upgrades == graph.No {
		return nil // RDS never moves the version: pinning a minor one is the owner's choice
	}
	ver := graph.Prop(r, "engineVersion")
	v, ok := ver.Str()
	switch {
	case !ver.Present:
		return nil
	case ver.Unknown():
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, "engineVersion"), "whether the DB instance pins a minor version", recEngineVersion)}
	case !ok || v == "":
		return nil
	}
	engine := graph.Prop(r, "engine")
	name, _ := engine.Str()
	if isAurora(name) {
		return nil
	}
	parts := strings.Split(v, ".")
	major := majorComponents(name, parts)
	switch {
	case engine.Unknown() && len(parts) > 1:
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, "engine"), "how many components of engineVersion make its major version", recEngineVersion)}
	case major == 0 || len(parts) <= major:
		return nil // an engine this policy does not know, or a major version only
	}
	shown, want := ver.Show(), strconv.Quote(strings.Join(parts[:major], "."))
	if ver.Secret {
		want = "its major version only"
	}
	if upgrades == graph.Maybe {
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, "autoMinorVersionUpgrade"), "whether RDS upgrades the pinned minor version", recEngineVersion)}
	}
	return []policy.Violation{finding(r, "engineVersion", shown,
		fmt.Sprintf("the DB instance pins a minor version while autoMinorVersionUpgrade is %s, so once RDS upgrades it in a "+
			"maintenance window every pulumi up plans engineVersion back down to %s, a downgrade RDS refuses, and the stack can "+
			"no longer be updated", showOr(r, "autoMinorVersionUpgrade", "null (the default, true)"), shown),
		fmt.Sprintf("set engineVersion to %s (pulumi-aws takes it as a prefix of the running version, engineVersionActual), or "+
			"turn autoMinorVersionUpgrade off and upgrade minor versions yourself", want),
		recEngineVersion)}
}

// majorComponents returns how many dot-separated components of an engine's version make its major
// version, or 0 for an engine this policy does not know. PostgreSQL's major versions are one number from
// 10 on (9.6 before); MySQL's and MariaDB's two (8.0, 10.11); Oracle's one (19); SQL Server's two (15.00);
// Db2's two (11.5).
func majorComponents(engine string, parts []string) int {
	switch {
	case engine == "postgres":
		if n, err := strconv.Atoi(parts[0]); err == nil && n < 10 {
			return 2
		}
		return 1
	case engine == "mysql" || engine == "mariadb":
		return 2
	case strings.HasPrefix(engine, "oracle-"):
		return 1
	case strings.HasPrefix(engine, "sqlserver-"), strings.HasPrefix(engine, "db2-"):
		return 2
	}
	return 0
}
