package rules

import (
	"context"
	"fmt"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// GlobalDatabaseMember is the name of the policy that each region of an active-active pair keeps its data
// in an Aurora global database.
const GlobalDatabaseMember = "ha-global-database-member"

var recGlobalDB = recRegional + ` ("For the database, we are using Aurora Global database with a read replica in ` +
	`the secondary region. In case of a region-level Aurora impairment, we would promote the second region's instance to primary")`

func globalDatabaseMember() policy.Policy {
	return policy.Policy{
		Name: GlobalDatabaseMember,
		Description: "A stack that is one region of an active-active pair (it has weighted Route 53 records with a " +
			"setIdentifier, or a health check probing a drain switch; config multiRegion true or false overrides the " +
			"inference) keeps its data in an Aurora global database: every aws:rds/cluster is an Aurora cluster with a " +
			"non-empty globalClusterIdentifier (during a preview, a property dependency on an aws:rds/globalCluster " +
			"counts), and there is no non-Aurora aws:rds/instance, a single-region database that would not survive the " +
			"region. Single-region stacks are not checked.",
		Recommendation: recGlobalDB,
		DefaultLevel:   policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			multiRegionProp: multiRegionSchema(),
		}},
		CheckStack: checkGlobalDatabaseMember,
	}
}

// memberFindings collects the findings of a policy that applies to the regions of an active-active pair:
// when membership is only possible (a preview with unknown values), what would be a violation is reported
// as cannot-verify instead.
type memberFindings struct {
	m   membership
	rec string
	out []policy.Violation
}

// report adds a violation about r (nil for the stack) when the stack is a member, or a cannot-verify
// finding when it may be one; decides says what cannot be decided then.
func (f *memberFindings) report(v policy.Violation, decides string) {
	if f.m.is == graph.Maybe {
		f.out = append(f.out, unverifiable(v.URN, f.m.why, "whether the stack is one region of an active-active pair, and so "+decides, f.rec))
		return
	}
	f.out = append(f.out, v)
}

// pairContext says why the stack counts as one region of an active-active pair, for messages.
func (f *memberFindings) pairContext() string {
	return "the stack is one region of an active-active pair (" + f.m.evidence + ")"
}

func checkGlobalDatabaseMember(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	m := memberOf(s, args)
	if m.is == graph.No {
		return nil
	}
	g := graph.Of(s)
	f := &memberFindings{m: m, rec: recGlobalDB}
	for _, c := range g.OfType(graph.TypeRdsCluster) {
		engine := graph.Prop(c, "engine")
		name, ok := engine.Str()
		switch {
		case engine.Unknown():
			f.out = append(f.out, unverifiable(c.URN, unknownReason(c, "engine"), "whether the cluster can be in an Aurora global database", recGlobalDB))
			continue
		case !ok || name == "":
			name = "aurora" // the provider's default engine
		}
		if !isAurora(name) {
			f.report(finding(c, "engine", engine.Show(),
				fmt.Sprintf("%s, but the cluster's engine is not Aurora, so it cannot be a member of an Aurora global database "+
					"and its data does not survive the loss of the region", f.pairContext()),
				"run the database as an Aurora PostgreSQL cluster (engine \"aurora-postgresql\") that is a member of the pair's global database",
				recGlobalDB), "whether the cluster must be in an Aurora global database")
			continue
		}
		gci := graph.Prop(c, "globalClusterIdentifier")
		switch {
		case gci.Unknown():
			if len(g.Dependencies(c, "globalClusterIdentifier", typeGlobalCluster)) == 0 {
				f.out = append(f.out, unverifiable(c.URN, unknownReason(c, "globalClusterIdentifier"), "whether the cluster is a member of a global database", recGlobalDB))
			}
		case emptyString(gci):
			f.report(finding(c, "globalClusterIdentifier", gci.Show(),
				fmt.Sprintf("%s, but the Aurora cluster is not a member of a global database, so its data does not survive the "+
					"loss of this region and the peer region has no replica to promote", f.pairContext()),
				"set globalClusterIdentifier to the pair's aws:rds/globalCluster (created in the primary region's stack; the "+
					"secondary region's cluster names the same identifier)", recGlobalDB), "whether the cluster must be in a global database")
		}
	}
	for _, db := range g.OfType(graph.TypeRdsInstance) {
		engine := graph.Prop(db, "engine")
		name, _ := engine.Str()
		switch {
		case engine.Unknown():
			f.out = append(f.out, unverifiable(db.URN, unknownReason(db, "engine"), "whether the DB instance is a single-region database", recGlobalDB))
			continue
		case isAurora(name):
			continue // a member of an Aurora cluster, checked above
		}
		f.report(finding(db, "engine", engine.Show(),
			fmt.Sprintf("%s, but this RDS DB instance is a single-region database: it cannot join an Aurora global database "+
				"and its data does not survive the loss of the region", f.pairContext()),
			"keep the data in an Aurora PostgreSQL cluster that is a member of the pair's global database (aws:rds/globalCluster "+
				"in the primary region, globalClusterIdentifier on both regions' clusters), and remove the DB instance",
			recGlobalDB), "whether the DB instance must be replaced by a global database")
	}
	return f.out
}
