// Command testpack is a tiny policy pack for the end-to-end tests of the pack's transport: it is served
// by the same analyzer and serve packages as the ess-ha pack, with three test-local policies, so the
// tests can prove the CLI, the engine and the protocol work together independently of the real rules.
package main

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/analyzer"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
	"github.com/ess-ha/ess-ha/policies/internal/serve"
)

func main() {
	serve.Main(analyzer.Pack{Name: "e2e-test-pack", Version: "0.0.1", Policies: policies()})
}

func policies() []policy.Policy {
	return []policy.Policy{
		{
			Name:         "e2e-rds-multi-az",
			Description:  "RDS instances are Multi-AZ.",
			DefaultLevel: policy.Mandatory,
			CheckResource: func(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
				if r.Type != "aws:rds/instance:Instance" {
					return nil
				}
				if v := r.Properties["multiAz"]; v.IsBool() && !v.BoolValue() {
					return []policy.Violation{{Message: fmt.Sprintf("%s: multiAz is false; set it to true", r.Name)}}
				}
				return nil
			},
		},
		{
			Name:         "e2e-min-zones",
			Description:  "Subnets span enough availability zones.",
			DefaultLevel: policy.Mandatory,
			Schema: &policy.Schema{Properties: map[string]map[string]any{
				"minimumZones": {"type": "integer", "minimum": 1, "default": 2},
			}},
			CheckStack: func(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
				zones := map[string]bool{}
				for _, r := range s.Resources {
					if az := r.Properties["availabilityZone"]; r.Type == "aws:ec2/subnet:Subnet" && az.IsString() {
						zones[az.StringValue()] = true
					}
				}
				if minimum := int(args.Config["minimumZones"].(float64)); len(zones) < minimum {
					return []policy.Violation{{Message: fmt.Sprintf("subnets span %d availability zones; minimumZones is %d", len(zones), minimum)}}
				}
				return nil
			},
		},
		{
			Name:         "e2e-owner-tag",
			Description:  "Resources carry an owner tag.",
			DefaultLevel: policy.Advisory,
			CheckResource: func(_ context.Context, r *policy.Resource, _ policy.Args) []policy.Violation {
				if r.Type != "aws:ec2/vpc:Vpc" {
					return nil
				}
				if t := r.Properties["tags"]; t.IsObject() && t.ObjectValue().HasValue(resource.PropertyKey("owner")) {
					return nil
				}
				return []policy.Violation{{Message: r.Name + ": tags has no owner; add it"}}
			},
		},
	}
}
