// Package edge provides the Edge component: the internet-facing load balancing of one region.
package edge

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Route sends one DNS name to one service port of the ess pool.
type Route struct {
	// Name identifies the route (the container name), e.g. "ess-ldp".
	Name string
	// Hostname is the fully qualified name, e.g. "identity.example.com".
	Hostname   string
	Port       int
	HealthPath string
}

// EdgeArgs configures an Edge.
type EdgeArgs struct {
	// Domain is the certificate's primary name; Hostnames are all names it covers.
	Domain    string
	Hostnames []string
	// ZoneID is the hosted zone the certificate is validated in.
	ZoneID pulumi.StringInput
	VpcID  pulumi.StringInput
	// PublicSubnetIDs are the public subnets, one per zone, in Zones order.
	PublicSubnetIDs pulumi.StringArray
	Zones           []string
	// LoadBalancers is "shared" (one ALB over all AZs) or "perAz" (one ALB per AZ).
	LoadBalancers string
	// Gateway is "none" or "globalAccelerator" (an accelerator in front of the load balancers).
	Gateway string
	Routes  []Route
	Tags    map[string]string
}

// Edge is one or more ALBs in the public subnets with HTTPS listeners, a target group per route, an
// access-log bucket, and optionally a Global Accelerator in front.
type Edge struct {
	pulumi.ResourceState

	// SecurityGroupID is the load balancers' security group (80 and 443 from anywhere).
	SecurityGroupID pulumi.IDOutput `pulumi:"securityGroupId"`
	// AliasDNSName and AliasZoneID are what DNS names point at: the ALB, or the accelerator.
	AliasDNSName pulumi.StringOutput `pulumi:"aliasDnsName"`
	AliasZoneID  pulumi.StringOutput `pulumi:"aliasZoneId"`
	// LoadBalancerDNSNames and LoadBalancerArnSuffixes list every ALB.
	LoadBalancerDNSNames    pulumi.StringArrayOutput `pulumi:"loadBalancerDnsNames"`
	LoadBalancerArnSuffixes pulumi.StringArrayOutput `pulumi:"loadBalancerArnSuffixes"`
	// TargetGroups are in Routes order.
	TargetGroups     []*lb.TargetGroup
	CertificateArn   pulumi.StringOutput `pulumi:"certificateArn"`
	AccessLogsBucket pulumi.StringOutput `pulumi:"accessLogsBucket"`
}

// NewEdge creates the Edge component.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	panic("TODO")
}
