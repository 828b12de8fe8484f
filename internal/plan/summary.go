package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// placementKeys are the input properties that place a resource in subnets or AZs.
var placementKeys = []string{"availabilityZone", "subnetId", "subnetIds", "subnets", "vpcZoneIdentifiers", "preferredCacheClusterAzs"}

// Summarize gives a readable summary of a planned state: custom resources per component, and where
// they are placed (per AZ, or spanning several AZs).
func Summarize(stackName string, dep *apitype.DeploymentV3) string {
	byURN := map[resource.URN]*apitype.ResourceV3{}
	subnetZone := map[string]string{}
	for i := range dep.Resources {
		r := &dep.Resources[i]
		byURN[r.URN] = r
		if r.Type == "aws:ec2/subnet:Subnet" {
			if az, ok := r.Inputs["availabilityZone"].(string); ok {
				subnetZone[string(r.ID)] = az
			}
		}
	}
	component := func(r *apitype.ResourceV3) string {
		for p := r.Parent; p != ""; {
			parent, ok := byURN[p]
			if !ok {
				break
			}
			if strings.HasPrefix(string(parent.Type), "ess-ha:") && parent.Type != "ess-ha:region:Region" {
				return string(parent.Type)
			}
			p = parent.Parent
		}
		return "(none)"
	}
	perComponent := map[string]int{}
	perZone := map[string]int{}
	spanning := map[int]int{}
	total, components := 0, 0
	for i := range dep.Resources {
		r := &dep.Resources[i]
		if !r.Custom {
			if strings.HasPrefix(string(r.Type), "ess-ha:") {
				components++
			}
			continue
		}
		if strings.HasPrefix(string(r.Type), "pulumi:providers:") {
			continue
		}
		total++
		perComponent[component(r)]++
		zones := map[string]bool{}
		for _, k := range placementKeys {
			for _, v := range strs(r.Inputs[k]) {
				if az, ok := subnetZone[v]; ok {
					zones[az] = true
				} else if k == "availabilityZone" || k == "preferredCacheClusterAzs" {
					zones[v] = true
				}
			}
		}
		switch len(zones) {
		case 0:
		case 1:
			for az := range zones {
				perZone[az]++
			}
		default:
			spanning[len(zones)]++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Stack %s: %d resources in %d components\n", stackName, total, components)
	b.WriteString("\nResources per component:\n")
	for _, k := range sortedKeys(perComponent) {
		fmt.Fprintf(&b, "  %-44s %4d\n", k, perComponent[k])
	}
	b.WriteString("\nResources placed in one AZ:\n")
	for _, k := range sortedKeys(perZone) {
		fmt.Fprintf(&b, "  %-44s %4d\n", k, perZone[k])
	}
	b.WriteString("\nResources spanning several AZs:\n")
	var counts []int
	for n := range spanning {
		counts = append(counts, n)
	}
	sort.Ints(counts)
	for _, n := range counts {
		fmt.Fprintf(&b, "  %-44s %4d\n", fmt.Sprintf("%d AZs", n), spanning[n])
	}
	return b.String()
}

func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
