package rules

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// RegistryReplicated is the name of the policy that each region of an active-active pair replicates its
// private container registry to another region.
const RegistryReplicated = "ha-registry-replicated"

var recRegistryReplicated = recRegional + ` ("all microservices now run in active-active mode, in two EKS clusters, ` +
	`across two AWS regions"); ` + recRegistry + ` ("pull the Docker images from your own container registry")`

func registryReplicated() policy.Policy {
	return policy.Policy{
		Name: RegistryReplicated,
		Description: "A stack that is one region of an active-active pair (weighted Route 53 records with a setIdentifier, " +
			"or a drain check; config multiRegion overrides the inference) and has a private registry (ECR repositories, or " +
			"repository creation templates ECR creates the repositories from, as the peer's replication does) replicates it " +
			"to another region, so that each region pulls its images from its own registry and a region loss does not take " +
			"the images pushed to it with it: an aws:ecr/replicationConfiguration has a rule with a destination whose region " +
			"differs from the stack's (the region of the configuration's provider, else of the stack's ARNs; when no region " +
			"can be told, any destination counts), and the repository filters of such rules, if any, match every " +
			"aws:ecr/repository of the stack by prefix.",
		Recommendation: recRegistryReplicated,
		DefaultLevel:   policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			multiRegionProp: multiRegionSchema(),
		}},
		CheckStack: checkRegistryReplicated,
	}
}

// replicationRule is one rule of a replication configuration.
type replicationRule struct {
	cfg *policy.Resource
	// cross says whether a destination is in another region; why says, for Maybe, what is unknown.
	cross graph.Tri
	why   string
	// filters are the repository name prefixes; none means every repository. filtersWhy is set when
	// they are unknown.
	filters    []string
	filtersWhy string
	// secret is true when a filter is secret: never print the filters then.
	secret bool
}

// covers tells whether the rule replicates a repository.
func (r replicationRule) covers(repo string) graph.Tri {
	if r.filtersWhy != "" {
		return graph.Maybe
	}
	if len(r.filters) == 0 {
		return graph.Yes
	}
	for _, p := range r.filters {
		if strings.HasPrefix(repo, p) {
			return graph.Yes
		}
	}
	return graph.No
}

func checkRegistryReplicated(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	m := memberOf(s, args)
	if m.is == graph.No {
		return nil
	}
	g := graph.Of(s)
	rec := recRegistryReplicated
	f := &memberFindings{m: m, rec: rec}
	repos := g.OfType(graph.TypeEcrRepository)
	templates := g.OfType(typeEcrCreationTemplate)
	configs := g.OfType(typeEcrReplication)
	if len(repos) == 0 && len(templates) == 0 {
		return nil // no registry of the stack to replicate
	}
	if len(configs) == 0 {
		f.report(stackFinding(
			fmt.Sprintf("%s and has %s, but no aws:ecr/replicationConfiguration, so the images pushed to its registry live in this region only",
				f.pairContext(), registryContents(repos, templates)),
			"add an aws:ecr/replicationConfiguration with a rule whose destination is the peer region (this account's "+
				"registryId), with no repository filters or PREFIX_MATCH filters covering every repository",
			rec), "whether the registry must be replicated")
		return f.out
	}
	var rules []replicationRule
	var regionShown []string
	for _, cfg := range configs {
		region, source := regionOf(g, cfg)
		if region != "" {
			regionShown = append(regionShown, strconv.Quote(region)+", from "+source)
		}
		prop := graph.Prop(cfg, "replicationConfiguration.rules")
		if prop.Unknown() {
			rules = append(rules, replicationRule{cfg: cfg, cross: graph.Maybe, why: unknownReason(cfg, prop.Path),
				filtersWhy: unknownReason(cfg, prop.Path)})
			continue
		}
		for _, item := range prop.Items() {
			rules = append(rules, newReplicationRule(cfg, item, region))
		}
	}
	var cross []replicationRule
	maybeWhy := ""
	for _, r := range rules {
		switch r.cross {
		case graph.Yes:
			cross = append(cross, r)
		case graph.Maybe:
			maybeWhy = firstNonEmpty(maybeWhy, r.why)
		}
	}
	if len(cross) == 0 {
		if maybeWhy != "" {
			f.out = append(f.out, unverifiable(configs[0].URN, maybeWhy, "whether the registry is replicated to another region", rec))
			return f.out
		}
		cfg := configs[0]
		where := "in another region than the stack's own region " + graph.List(distinctStrings(regionShown), "; ")
		if len(regionShown) == 0 {
			where = "at all"
		}
		f.report(finding(cfg, "replicationConfiguration.rules", show(cfg, "replicationConfiguration.rules"),
			fmt.Sprintf("%s, but no replication rule has a destination %s, so a loss of this region takes the images with it",
				f.pairContext(), where),
			"add a rule (or a destination) with region set to the peer region and registryId to this account", rec),
			"whether the registry must be replicated to another region")
		return f.out
	}
	var uncovered []*policy.Resource
	for _, repo := range repos {
		name := graph.Prop(repo, "name")
		n, ok := name.Str()
		if name.Unknown() || !ok {
			if name.Unknown() {
				f.out = append(f.out, unverifiable(repo.URN, unknownReason(repo, "name"), "whether the repository is replicated", rec))
			}
			continue
		}
		covered, why := graph.No, ""
		for _, r := range rules {
			if r.cross == graph.No {
				continue
			}
			c := r.covers(n)
			if c == graph.Yes && r.cross == graph.Yes {
				covered = graph.Yes
				break
			}
			if c != graph.No {
				covered, why = graph.Maybe, firstNonEmpty(r.filtersWhy, r.why)
			}
		}
		switch covered {
		case graph.Maybe:
			f.out = append(f.out, unverifiable(repo.URN, why, "whether the repository is replicated to another region", rec))
		case graph.No:
			uncovered = append(uncovered, repo)
		}
	}
	if len(uncovered) > 0 {
		cfg := cross[0].cfg
		var names []string
		for _, r := range uncovered {
			names = append(names, show(r, "name"))
		}
		f.report(finding(cfg, "replicationConfiguration.rules.repositoryFilters", showFilters(cross),
			fmt.Sprintf("%s, but the repository filters of its cross-region replication rules do not match the %s %s, so "+
				"their images are not replicated and the peer region cannot pull them from its own registry",
				f.pairContext(), repositoryWord(len(uncovered)), graph.List(names, ", ")),
			"add a PREFIX_MATCH repository filter matching them to a cross-region rule, or remove the filters to replicate every repository",
			rec), "whether every repository must be replicated")
	}
	return f.out
}

// newReplicationRule reads one rule of a replication configuration of a registry in region ("" when
// unknown: any destination counts then).
func newReplicationRule(cfg *policy.Resource, item graph.Field, region string) replicationRule {
	r := replicationRule{cfg: cfg}
	dests := item.Get("destinations")
	if dests.Unknown() {
		r.cross, r.why = graph.Maybe, unknownReason(cfg, dests.Path)
	}
	for _, d := range dests.Items() {
		rf := d.Get("region")
		v, ok := rf.Str()
		switch {
		case rf.Unknown() || d.Unknown():
			if r.cross == graph.No {
				r.cross, r.why = graph.Maybe, unknownReason(cfg, rf.Path)
			}
		case ok && v != "" && !strings.EqualFold(v, region):
			r.cross, r.why = graph.Yes, ""
		}
		if r.cross == graph.Yes {
			break
		}
	}
	filters := item.Get("repositoryFilters")
	if filters.Unknown() {
		r.filtersWhy = unknownReason(cfg, filters.Path)
		return r
	}
	for _, fl := range filters.Items() {
		v := fl.Get("filter")
		s, ok := v.Str()
		switch {
		case v.Unknown() || fl.Unknown():
			r.filtersWhy = unknownReason(cfg, v.Path)
			return r
		case ok:
			r.filters = append(r.filters, s)
			r.secret = r.secret || v.Secret
		}
	}
	return r
}

// showFilters prints the repository filters of rules, safely.
func showFilters(rules []replicationRule) string {
	var parts []string
	for _, r := range rules {
		if r.secret {
			return graph.ShownSecret
		}
		for _, p := range r.filters {
			parts = append(parts, strconv.Quote(p))
		}
	}
	return "[" + graph.List(parts, ", ") + "]"
}

// repositoryWord returns "repository" or "repositories".
func repositoryWord(n int) string {
	if n == 1 {
		return "repository"
	}
	return "repositories"
}

// repositories returns "1 <kind>repository" or "n <kind>repositories".
func repositories(n int, kind string) string {
	if n == 1 {
		return "1 " + kind + "repository"
	}
	return strconv.Itoa(n) + " " + kind + "repositories"
}

// registryContents describes what a stack's registry holds, for messages: its repositories and its
// repository creation templates.
func registryContents(repos, templates []*policy.Resource) string {
	var parts []string
	if len(repos) > 0 {
		parts = append(parts, fmt.Sprintf("%s (%s)", repositories(len(repos), "ECR "), describeFew(repos)))
	}
	if len(templates) > 0 {
		parts = append(parts, fmt.Sprintf("%s that ECR creates repositories from (%s)", plural(len(templates), "repository creation template"), describeFew(templates)))
	}
	return strings.Join(parts, " and ")
}
