package rules

import (
	"context"
	"fmt"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// DatabaseProtection is the name of the policy that databases are protected from deletion and backed up.
const DatabaseProtection = "ha-database-protection"

func databaseProtection() policy.Policy {
	return policy.Policy{
		Name: DatabaseProtection,
		Description: "RDS DB instances and clusters have deletionProtection on, keep automated backups at least " +
			"minimumBackupDays days (backupRetentionPeriod), and take a final snapshot when deleted (skipFinalSnapshot " +
			"not true). Read replicas and Aurora cluster members are covered by their source and cluster.",
		Recommendation: baseline + ", for the ESS data store of " + recPostgres,
		DefaultLevel:   policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"minimumBackupDays": intProp(7, 1, "The fewest days of automated backups (backupRetentionPeriod) a database keeps."),
		}},
		CheckResource: checkDatabaseProtection,
	}
}

func checkDatabaseProtection(_ context.Context, r *policy.Resource, args policy.Args) []policy.Violation {
	t := graph.Canonical(r.Type)
	if t != graph.TypeRdsInstance && t != graph.TypeRdsCluster {
		return nil
	}
	if engine, _ := graph.Prop(r, "engine").Str(); t == graph.TypeRdsInstance && strings.HasPrefix(engine, "aurora") {
		return nil // an Aurora member: the cluster holds the backups and protection
	}
	rec := baseline + ", for the ESS data store of " + recPostgres
	minDays := cfgInt(args, "minimumBackupDays", 7)
	replica := graph.Prop(r, "replicateSourceDb").Present || graph.Prop(r, "replicationSourceIdentifier").Present
	var out []policy.Violation
	switch boolIs(r, "deletionProtection", false) {
	case graph.Maybe:
		out = append(out, unverifiable(r.URN, unknownReason(r, "deletionProtection"), "whether the database is protected from deletion", rec))
	case graph.No:
		out = append(out, finding(r, "deletionProtection", showOr(r, "deletionProtection", "null (false)"),
			"a mistaken destroy or replacement deletes the database",
			"set deletionProtection to true", rec))
	}
	if !replica {
		f := graph.Prop(r, "backupRetentionPeriod")
		days, ok := f.Num()
		switch {
		case f.Unknown():
			out = append(out, unverifiable(r.URN, unknownReason(r, "backupRetentionPeriod"), "how long backups are kept", rec))
		case !f.Present || !ok || int(days) < minDays:
			shown := f.Show()
			if !f.Present {
				shown = "null (1 day for clusters; none or 1 day for instances)"
			}
			out = append(out, finding(r, "backupRetentionPeriod", shown,
				fmt.Sprintf("automated backups, and so point-in-time recovery, are kept fewer than the %d days required", minDays),
				fmt.Sprintf("set backupRetentionPeriod to at least %d", minDays), rec))
		}
	}
	switch boolIs(r, "skipFinalSnapshot", false) {
	case graph.Maybe:
		out = append(out, unverifiable(r.URN, unknownReason(r, "skipFinalSnapshot"), "whether a final snapshot is taken", rec))
	case graph.Yes:
		out = append(out, finding(r, "skipFinalSnapshot", show(r, "skipFinalSnapshot"),
			"deleting the database keeps no final snapshot",
			"set skipFinalSnapshot to false and finalSnapshotIdentifier to a snapshot name", rec))
	}
	return out
}

// showOr prints a property, or def when it is not set.
func showOr(r *policy.Resource, path, def string) string {
	f := graph.Prop(r, path)
	if !f.Present {
		return def
	}
	return f.Show()
}
