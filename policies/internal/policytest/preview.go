package policytest

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// computedOutputs are the outputs pulumi-aws computes when it creates a resource: unknown during the
// preview that creates it.
var computedOutputs = map[resource.PropertyKey]bool{
	"id": true, "arn": true, "arnSuffix": true, "ownerId": true,
	"mainRouteTableId": true, "defaultRouteTableId": true, "defaultSecurityGroupId": true, "defaultNetworkAclId": true,
	"dnsName": true, "zoneId": true, "repositoryUrl": true, "registryId": true, "endpoint": true, "address": true,
	"primaryEndpointAddress": true, "readerEndpointAddress": true, "publicIp": true, "privateIp": true,
	"networkInterfaceId": true, "latestVersion": true, "availabilityZoneId": true,
}

// nameOutputs are the properties that name a resource: users set them (or Pulumi auto-names them) before
// the resource exists, so they are known during a preview even when they double as its ID.
var nameOutputs = []resource.PropertyKey{"name", "bucket", "clusterIdentifier", "identifier", "replicationGroupId"}

// ToPreview derives, from a deployed stack, the stack a preview that creates every resource would send:
// no IDs; the outputs AWS computes unknown; and every property value that is the ID or ARN of another
// resource of the stack, or the value of an output AWS computes (a VPC's main route table, a load
// balancer's DNS name), unknown, so that references can only be followed through property dependencies.
// Values that are names (an auto-scaling group's name, a subnet group's name) stay known, as they are
// in a real preview. The input stack is not changed.
func ToPreview(st *policy.Stack) *policy.Stack {
	refs := map[string]bool{}
	for _, r := range st.Resources {
		names := map[string]bool{}
		for _, k := range nameOutputs {
			if v, ok := r.Properties[k]; ok && v.IsString() {
				names[v.StringValue()] = true
			}
		}
		if r.ID != "" && !names[r.ID] {
			refs[r.ID] = true
		}
		for k, v := range r.Properties {
			if computedOutputs[k] && v.IsString() && v.StringValue() != "" && !names[v.StringValue()] {
				refs[v.StringValue()] = true
			}
		}
	}
	unknown := resource.MakeComputed(resource.NewStringProperty(""))
	var blank func(v resource.PropertyValue) resource.PropertyValue
	blank = func(v resource.PropertyValue) resource.PropertyValue {
		switch {
		case v.IsString() && refs[v.StringValue()]:
			return unknown
		case v.IsArray():
			arr := make([]resource.PropertyValue, len(v.ArrayValue()))
			for i, e := range v.ArrayValue() {
				arr[i] = blank(e)
			}
			return resource.NewArrayProperty(arr)
		case v.IsObject():
			obj := make(resource.PropertyMap, len(v.ObjectValue()))
			for k, e := range v.ObjectValue() {
				obj[k] = blank(e)
			}
			return resource.NewObjectProperty(obj)
		case v.IsSecret():
			return resource.MakeSecret(blank(v.SecretValue().Element))
		}
		return v
	}
	out := &policy.Stack{Resources: make([]*policy.Resource, 0, len(st.Resources))}
	for _, r := range st.Resources {
		c := *r
		c.ID = ""
		c.Properties = make(resource.PropertyMap, len(r.Properties))
		for k, v := range r.Properties {
			if computedOutputs[k] {
				c.Properties[k] = unknown
				continue
			}
			c.Properties[k] = blank(v)
		}
		out.Resources = append(out.Resources, &c)
	}
	return out
}

// WithoutIDs returns the stack as the Analyzer protocol sends deployed state when a provider does not
// repeat the ID in an "id" output: the same properties, no IDs. References by ID must then be followed
// through ARNs and property dependencies. The input stack is not changed.
func WithoutIDs(st *policy.Stack) *policy.Stack {
	out := &policy.Stack{Resources: make([]*policy.Resource, 0, len(st.Resources))}
	for _, r := range st.Resources {
		c := *r
		c.ID = ""
		if _, ok := r.Properties["id"]; ok {
			c.Properties = r.Properties.Copy()
			delete(c.Properties, "id")
		}
		out.Resources = append(out.Resources, &c)
	}
	return out
}
