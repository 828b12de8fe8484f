package graph

import (
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// groupTemplatePaths are the properties of an aws:autoscaling/group that name what it launches from: a
// launch template (by ID or name), the launch template of a mixed instances policy and the per-instance-type
// launch templates of its overrides, or a launch configuration.
var groupTemplatePaths = []string{
	"launchTemplate.id",
	"launchTemplate.name",
	"mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateId",
	"mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.launchTemplateName",
	"mixedInstancesPolicy.launchTemplate.overrides.launchTemplateSpecification.launchTemplateId",
	"mixedInstancesPolicy.launchTemplate.overrides.launchTemplateSpecification.launchTemplateName",
	"launchConfiguration",
}

// GroupTemplates are the launch templates and launch configurations an auto-scaling group launches from.
type GroupTemplates struct {
	// Resources are the aws:ec2/launchTemplate and aws:ec2/launchConfiguration resources of the stack the
	// group names, in the order found, without duplicates.
	Resources []*policy.Resource
	// UnknownProp names the top-level property (launchTemplate, mixedInstancesPolicy, launchConfiguration)
	// whose value is unknown during a preview and whose property dependencies name no template either;
	// empty when every reference resolved or dangles.
	UnknownProp string
}

// TemplatesOf follows an auto-scaling group to the launch templates and launch configurations it
// launches from, in either form the group can name them: launchTemplate, or
// mixedInstancesPolicy.launchTemplate.launchTemplateSpecification (and the launchTemplateSpecification of
// each of its overrides), or launchConfiguration. References by ID, name or ARN are followed in deployed
// state and property dependencies during a preview. Templates of other stacks are left out.
func (g *Graph) TemplatesOf(group *policy.Resource) GroupTemplates {
	var out GroupTemplates
	seen := map[*policy.Resource]bool{}
	found := map[string]int{}    // templates found per top-level property
	unknown := map[string]bool{} // top-level properties with an unresolved unknown value
	var tops []string
	for _, path := range groupTemplatePaths {
		top, _, _ := strings.Cut(path, ".")
		if !Prop(group, top).Present {
			continue
		}
		if _, ok := found[top]; !ok {
			tops = append(tops, top)
		}
		refs := g.Resolve(group, path, TypeLaunchTemplate, TypeLaunchConfiguration)
		found[top] += len(refs.Resources)
		unknown[top] = unknown[top] || refs.Unknown
		for _, r := range refs.Resources {
			if !seen[r] {
				seen[r] = true
				out.Resources = append(out.Resources, r)
			}
		}
	}
	// A template named both by ID and by name resolves through either: a property is unknown only when
	// none of its paths found a template.
	for _, top := range tops {
		if unknown[top] && found[top] == 0 {
			out.UnknownProp = top
			break
		}
	}
	return out
}
