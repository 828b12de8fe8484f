// Package edge provides the Edge component: the internet-facing load balancing of one region.
package edge

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/globalaccelerator"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/awstags"
	"github.com/ess-ha/ess-ha/internal/awsname"

	"github.com/ess-ha/ess-ha/components/network"
)

// SSLPolicy is the HTTPS listeners' security policy: TLS 1.3, and TLS 1.2 with forward-secret
// ciphers only.
const SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// AccessLogPrefix is the key prefix ALB access logs are written under in the access-log bucket.
const AccessLogPrefix = "alb"

// AccessLogRetentionDays is how long ALB access logs are kept before the bucket's lifecycle expires them.
const AccessLogRetentionDays = 365

// How the certificate's DNS validation records are managed.
const (
	// ValidationCreate creates the validation records (a single-region stack).
	ValidationCreate = ""
	// ValidationCreateShared creates them and retains them when the stack is destroyed: in a pair,
	// the owner's records also validate (and renew) the member's certificate, since ACM gives the same
	// validation record for the same name in the same account, whatever the region (seen by the
	// provider's users: https://github.com/hashicorp/terraform-provider-aws/issues/13653, and
	// https://github.com/dflook/cloudformation-dns-certificate/issues/7; the README lists it under
	// "Verify on first deployment").
	ValidationCreateShared = "shared"
	// ValidationByOwner creates none: the member's certificate is validated by the owner's records.
	ValidationByOwner = "byOwner"
)

// DefaultHealthPath is the target groups' health check path when a route sets none.
const DefaultHealthPath = "/health"

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
	// LoadBalancerPerZone gives one ALB per AZ instead of one ALB over every AZ; it needs
	// GlobalAccelerator, which spreads the clients over them.
	LoadBalancerPerZone bool
	// GlobalAccelerator puts a Global Accelerator in front of the load balancers.
	GlobalAccelerator bool
	Routes            []Route
	Tags              map[string]string
	// ValidationRecords is ValidationCreate (default), ValidationCreateShared or ValidationByOwner.
	ValidationRecords string

	// VpcCidr, when set, restricts the load balancers' egress to the VPC's block (the targets' ports
	// only). Without it egress goes to the targets' ports anywhere. Optional but recommended.
	VpcCidr pulumi.StringInput
}

// Edge is one or more ALBs in the public subnets with HTTPS listeners, a target group per route, an
// access-log bucket, and optionally a Global Accelerator in front.
//
// With LoadBalancerPerZone there is one ALB per AZ, named after its zone, so that no single load
// balancer's SLA bounds the deployment's (the ESS document's option). Each of them still spans the
// public subnets of every AZ, because AWS requires an application load balancer to be in at least two
// AZs; the Global Accelerator in front (required with LoadBalancerPerZone) spreads clients over them and stops sending
// to one that fails its health checks.
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

	// LoadBalancers are the ALBs: one, or one per zone in Zones order.
	LoadBalancers []*lb.LoadBalancer
	// TargetGroupArns are the target groups' ARNs in Routes order, each carrying its target group as a
	// dependency (for the ess pool's TargetGroupArns).
	TargetGroupArns pulumi.StringArray
	// HTTPSListenerArns are the HTTPS listeners, one per ALB; the multi-region health check adds its
	// rule to them.
	HTTPSListenerArns pulumi.StringArray
	// Accelerator is the Global Accelerator, or nil without GlobalAccelerator.
	Accelerator *globalaccelerator.Accelerator
	// Region is the AWS region, derived from the zone names.
	Region string
}

// certificateNames returns the certificate's names: Domain first, then the other Hostnames in order.
func (a *EdgeArgs) certificateNames() []string {
	names := []string{a.Domain}
	for _, h := range a.Hostnames {
		if !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	return names
}

func (a *EdgeArgs) validate() (string, error) {
	if a == nil {
		return "", errors.New("edge args are nil: pass &edge.EdgeArgs{...}")
	}
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	if a.LoadBalancerPerZone && !a.GlobalAccelerator {
		bad("EdgeArgs.LoadBalancerPerZone is set without EdgeArgs.GlobalAccelerator: set GlobalAccelerator too, the accelerator is what fronts the per-AZ load balancers")
	}
	region := ""
	if len(a.Zones) < 2 {
		bad("EdgeArgs.Zones has %d zone(s): list at least 2 AZs, an ALB needs subnets in at least 2", len(a.Zones))
	} else if r, err := network.RegionOfZones(a.Zones); err != nil {
		bad("EdgeArgs.Zones: %w", err)
	} else {
		region = r
	}
	if len(a.PublicSubnetIDs) != len(a.Zones) {
		bad("EdgeArgs.PublicSubnetIDs has %d subnet(s) for %d zone(s): pass one public subnet per zone, in Zones order (network.IDs(net.PublicSubnets))", len(a.PublicSubnetIDs), len(a.Zones))
	}
	if a.VpcID == nil {
		bad("EdgeArgs.VpcID is not set: pass the VPC id, e.g. net.VpcID")
	}
	if a.ZoneID == nil {
		bad("EdgeArgs.ZoneID is not set: pass the hosted zone the certificate is validated in, e.g. zone.ZoneID")
	}
	if !awsname.IsHostname(a.Domain) {
		bad("EdgeArgs.Domain %q is invalid: use a lower-case DNS domain such as example.com", a.Domain)
	}
	seenHosts := map[string]bool{}
	for i, h := range a.Hostnames {
		if !awsname.IsHostname(h) {
			bad("EdgeArgs.Hostnames[%d] %q is invalid: use a lower-case DNS name such as identity.example.com", i, h)
		}
		if seenHosts[h] {
			bad("EdgeArgs.Hostnames[%d] %q is listed twice: list every name once", i, h)
		}
		seenHosts[h] = true
	}
	if len(a.Routes) == 0 {
		bad("EdgeArgs.Routes is empty: route at least one hostname to a port of the ess pool")
	}
	if !slices.Contains([]string{ValidationCreate, ValidationCreateShared, ValidationByOwner}, a.ValidationRecords) {
		bad("EdgeArgs.ValidationRecords %q is invalid: use %q (create them), %q (create them and keep them for the pair) or %q (the pair's owner creates them)", a.ValidationRecords, ValidationCreate, ValidationCreateShared, ValidationByOwner)
	}
	covered := a.certificateNames()
	names, hosts := map[string]bool{}, map[string]bool{}
	for i, r := range a.Routes {
		where := fmt.Sprintf("EdgeArgs.Routes[%d]", i)
		if r.Name == "" || names[r.Name] {
			bad("%s.Name %q is invalid: give every route a unique name, such as its container's", where, r.Name)
		}
		names[r.Name] = true
		if r.Hostname == "" || hosts[r.Hostname] {
			bad("%s.Hostname %q is invalid: every route needs its own hostname, each routed once", where, r.Hostname)
		} else if !slices.Contains(covered, r.Hostname) {
			bad("%s.Hostname %q is not covered by the certificate: add it to EdgeArgs.Hostnames", where, r.Hostname)
		}
		hosts[r.Hostname] = true
		if r.Port < 1 || r.Port > 65535 {
			bad("%s.Port %d is invalid: use the container's host port, 1 to 65535", where, r.Port)
		}
		if r.HealthPath != "" && !strings.HasPrefix(r.HealthPath, "/") {
			bad("%s.HealthPath %q is invalid: use an absolute path such as /health, or leave it empty for %s", where, r.HealthPath, DefaultHealthPath)
		}
	}
	return region, errors.Join(errs...)
}

// legacyELBRegions are the regions opened before August 2022, where ALB log delivery acts as the
// region's Elastic Load Balancing account and the bucket policy must name that account; newer regions
// use the logdelivery.elasticloadbalancing.amazonaws.com service principal.
var legacyELBRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
	"eu-south-1", "eu-north-1", "me-south-1", "sa-east-1", "us-gov-west-1", "us-gov-east-1",
	"cn-north-1", "cn-northwest-1",
}

// NewEdge creates the Edge component.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	region, err := args.validate()
	if err != nil {
		return nil, fmt.Errorf("edge %s: %w", name, err)
	}
	comp := &Edge{Region: region}
	if err := ctx.RegisterComponentResource("ess-ha:edge:Edge", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering edge %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	common := args.Tags

	bucket, bucketReady, err := newAccessLogBucket(ctx, name, region, common, parent)
	if err != nil {
		return nil, err
	}
	comp.AccessLogsBucket = bucket.Bucket

	sg, err := newSecurityGroup(ctx, name, args, common, parent)
	if err != nil {
		return nil, err
	}
	comp.SecurityGroupID = sg.ID()

	certArn, err := newCertificate(ctx, name, args, common, parent)
	if err != nil {
		return nil, err
	}
	comp.CertificateArn = certArn

	// One target group per route, shared by every ALB.
	for _, r := range args.Routes {
		health := r.HealthPath
		if health == "" {
			health = DefaultHealthPath
		}
		tgName := name + "-tg-" + r.Name
		tg, err := lb.NewTargetGroup(ctx, tgName, &lb.TargetGroupArgs{
			// Target group names are limited to 32 characters: a short prefix plus a unique suffix
			// fits, and lets a replacement be created before the old group is deleted.
			NamePrefix:          pulumi.String("tg-"),
			Protocol:            pulumi.String("HTTP"),
			Port:                pulumi.Int(r.Port),
			TargetType:          pulumi.String("instance"),
			VpcId:               args.VpcID,
			DeregistrationDelay: pulumi.Int(30),
			HealthCheck: &lb.TargetGroupHealthCheckArgs{
				Enabled:            pulumi.Bool(true),
				Protocol:           pulumi.String("HTTP"),
				Port:               pulumi.String("traffic-port"),
				Path:               pulumi.String(health),
				Matcher:            pulumi.String("200-399"),
				Interval:           pulumi.Int(15),
				Timeout:            pulumi.Int(5),
				HealthyThreshold:   pulumi.Int(2),
				UnhealthyThreshold: pulumi.Int(3),
			},
			Tags: awstags.With(common, "Name", tgName, "route", r.Name, "hostname", r.Hostname),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating target group %s: %w", tgName, err)
		}
		comp.TargetGroups = append(comp.TargetGroups, tg)
		comp.TargetGroupArns = append(comp.TargetGroupArns, tg.Arn)
	}

	// The load balancers: one over every public subnet, or one per zone, each still over every
	// public subnet (an ALB must span at least two AZs).
	albNames := []string{name + "-alb"}
	zoneOf := []string{""}
	if args.LoadBalancerPerZone {
		albNames, zoneOf = nil, nil
		for _, z := range args.Zones {
			albNames = append(albNames, name+"-alb-"+z)
			zoneOf = append(zoneOf, z)
		}
	}
	dnsNames, arnSuffixes := pulumi.StringArray{}, pulumi.StringArray{}
	for i, albName := range albNames {
		albTags := awstags.With(common, "Name", albName)
		if zoneOf[i] != "" {
			albTags["zone"] = pulumi.String(zoneOf[i])
		}
		alb, err := lb.NewLoadBalancer(ctx, albName, &lb.LoadBalancerArgs{
			// ALB names are limited to 32 characters; the Name tag carries the readable name.
			NamePrefix:               pulumi.String("ess-"),
			LoadBalancerType:         pulumi.String("application"),
			Internal:                 pulumi.Bool(false),
			IpAddressType:            pulumi.String("ipv4"),
			Subnets:                  args.PublicSubnetIDs,
			SecurityGroups:           pulumi.StringArray{sg.ID().ToStringOutput()},
			DropInvalidHeaderFields:  pulumi.Bool(true),
			EnableDeletionProtection: pulumi.Bool(true),
			EnableHttp2:              pulumi.Bool(true),
			// defensive: blocks the requests that are a request-smuggling risk, and is what AWS
			// recommends; strictest also drops merely non-compliant requests some clients send.
			DesyncMitigationMode: pulumi.String("defensive"),
			AccessLogs: &lb.LoadBalancerAccessLogsArgs{
				Bucket:  bucket.Bucket,
				Prefix:  pulumi.String(AccessLogPrefix),
				Enabled: pulumi.Bool(true),
			},
			Tags: albTags,
		}, parent, pulumi.DependsOn(bucketReady))
		if err != nil {
			return nil, fmt.Errorf("creating load balancer %s: %w", albName, err)
		}
		https, err := newListeners(ctx, albName, alb, certArn, args.Routes, comp.TargetGroups, common, parent)
		if err != nil {
			return nil, err
		}
		comp.HTTPSListenerArns = append(comp.HTTPSListenerArns, https.Arn)
		comp.LoadBalancers = append(comp.LoadBalancers, alb)
		dnsNames = append(dnsNames, alb.DnsName)
		arnSuffixes = append(arnSuffixes, alb.ArnSuffix)
	}
	comp.LoadBalancerDNSNames = dnsNames.ToStringArrayOutput()
	comp.LoadBalancerArnSuffixes = arnSuffixes.ToStringArrayOutput()

	if args.GlobalAccelerator {
		acc, err := newAccelerator(ctx, name, region, comp.LoadBalancers, common, parent)
		if err != nil {
			return nil, err
		}
		comp.Accelerator = acc
		comp.AliasDNSName = acc.DnsName
		comp.AliasZoneID = acc.HostedZoneId
	} else {
		comp.AliasDNSName = comp.LoadBalancers[0].DnsName
		comp.AliasZoneID = comp.LoadBalancers[0].ZoneId
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"securityGroupId":         comp.SecurityGroupID,
		"aliasDnsName":            comp.AliasDNSName,
		"aliasZoneId":             comp.AliasZoneID,
		"loadBalancerDnsNames":    comp.LoadBalancerDNSNames,
		"loadBalancerArnSuffixes": comp.LoadBalancerArnSuffixes,
		"targetGroupArns":         comp.TargetGroupArns,
		"certificateArn":          comp.CertificateArn,
		"accessLogsBucket":        comp.AccessLogsBucket,
		"region":                  pulumi.String(region),
	}); err != nil {
		return nil, fmt.Errorf("registering the outputs of edge %s: %w", name, err)
	}
	return comp, nil
}

// newAccessLogBucket creates the private, SSE-S3 encrypted (the only encryption ALB log delivery
// supports), owner-enforced bucket the ALBs log to, with a policy that lets the region's ELB log delivery
// write under AccessLogPrefix and refuses every request not made over TLS, and a lifecycle that expires
// logs after AccessLogRetentionDays. Versioning is left off: logs are written once and never updated,
// and versions would only keep expired logs around. It returns the bucket and the resources the load
// balancers must wait for.
func newAccessLogBucket(ctx *pulumi.Context, name, region string, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*s3.BucketV2, []pulumi.Resource, error) {
	bname := name + "-access-logs"
	bucket, err := s3.NewBucketV2(ctx, bname, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(false),
		Tags:         awstags.With(common, "Name", bname),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating access-log bucket %s: %w", bname, err)
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, bname+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("blocking public access to %s: %w", bname, err)
	}
	sse, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, bname+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypting %s: %w", bname, err)
	}
	own, err := s3.NewBucketOwnershipControls(ctx, bname+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("enforcing bucket ownership of %s: %w", bname, err)
	}
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, bname+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:                             pulumi.String("expire-access-logs"),
			Status:                         pulumi.String("Enabled"),
			Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			Expiration:                     &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(AccessLogRetentionDays)},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(7)},
		}},
	}, parent); err != nil {
		return nil, nil, fmt.Errorf("setting the lifecycle of %s: %w", bname, err)
	}

	// Who delivers the logs: the service principal everywhere, plus the region's ELB account in the
	// regions opened before August 2022 (the mocks and the provider both answer this invoke).
	elbAccount := pulumi.String("").ToStringOutput()
	if slices.Contains(legacyELBRegions, region) {
		elbAccount = elb.GetServiceAccountOutput(ctx, elb.GetServiceAccountOutputArgs{Region: pulumi.String(region)}, parent).Arn()
	}
	policy := pulumi.All(bucket.Arn, elbAccount).ApplyT(func(v []any) (string, error) {
		arn, account := v[0].(string), v[1].(string)
		principal := map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
		if account != "" {
			principal["AWS"] = account
		}
		doc, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{
				map[string]any{
					"Sid":       "ELBLogDelivery",
					"Effect":    "Allow",
					"Principal": principal,
					"Action":    "s3:PutObject",
					"Resource":  arn + "/" + AccessLogPrefix + "/AWSLogs/*",
				},
				map[string]any{
					"Sid":       "DenyInsecureTransport",
					"Effect":    "Deny",
					"Principal": "*",
					"Action":    "s3:*",
					"Resource":  []string{arn, arn + "/*"},
					"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				},
			},
		})
		return string(doc), err
	}).(pulumi.StringOutput)
	bp, err := s3.NewBucketPolicy(ctx, bname+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policy,
	}, parent, pulumi.DependsOn([]pulumi.Resource{pab, own}))
	if err != nil {
		return nil, nil, fmt.Errorf("creating the policy of %s: %w", bname, err)
	}
	return bucket, []pulumi.Resource{bp, sse, own, pab}, nil
}

// newSecurityGroup admits HTTP and HTTPS from anywhere (IPv4 and IPv6) and nothing else, and lets the
// load balancers reach the routes' ports only: in the VPC's block when VpcCidr is set.
func newSecurityGroup(ctx *pulumi.Context, name string, args *EdgeArgs, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*ec2.SecurityGroup, error) {
	ingress := ec2.SecurityGroupIngressArray{}
	for _, port := range []int{80, 443} {
		ingress = append(ingress, ec2.SecurityGroupIngressArgs{
			Description:    pulumi.Sprintf("Port %d from the internet", port),
			Protocol:       pulumi.String("tcp"),
			FromPort:       pulumi.Int(port),
			ToPort:         pulumi.Int(port),
			CidrBlocks:     pulumi.StringArray{pulumi.String("0.0.0.0/0")},
			Ipv6CidrBlocks: pulumi.StringArray{pulumi.String("::/0")},
		})
	}
	var dest pulumi.StringInput = pulumi.String("0.0.0.0/0")
	if args.VpcCidr != nil {
		dest = args.VpcCidr
	}
	egress := ec2.SecurityGroupEgressArray{}
	var ports []int
	for _, r := range args.Routes {
		if !slices.Contains(ports, r.Port) {
			ports = append(ports, r.Port)
		}
	}
	for _, port := range ports {
		egress = append(egress, ec2.SecurityGroupEgressArgs{
			Description: pulumi.Sprintf("Targets and health checks on port %d", port),
			Protocol:    pulumi.String("tcp"),
			FromPort:    pulumi.Int(port),
			ToPort:      pulumi.Int(port),
			CidrBlocks:  pulumi.StringArray{dest},
		})
	}
	sgName := name + "-alb-sg"
	sg, err := ec2.NewSecurityGroup(ctx, sgName, &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("ESS load balancers: HTTP and HTTPS from the internet"),
		Ingress:     ingress,
		Egress:      egress,
		Tags:        awstags.With(common, "Name", sgName),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating load balancer security group %s: %w", sgName, err)
	}
	return sg, nil
}

// newCertificate requests a DNS-validated ACM certificate for Domain and the other Hostnames, writes one
// validation record per name in the zone, and returns the ARN of the validated certificate (known only
// once validation has succeeded, so the listeners wait for it).
func newCertificate(ctx *pulumi.Context, name string, args *EdgeArgs, common map[string]string, parent pulumi.ResourceOrInvokeOption) (pulumi.StringOutput, error) {
	names := args.certificateNames()
	certName := name + "-cert"
	cert, err := acm.NewCertificate(ctx, certName, &acm.CertificateArgs{
		DomainName:              pulumi.String(names[0]),
		SubjectAlternativeNames: pulumi.ToStringArray(names[1:]),
		ValidationMethod:        pulumi.String("DNS"),
		KeyAlgorithm:            pulumi.String("RSA_2048"),
		Tags:                    awstags.With(common, "Name", certName),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating certificate %s: %w", certName, err)
	}
	// The number of records must be known now, so there is one per name, each picking its own entry
	// out of domainValidationOptions (a set, in no particular order) by domain name.
	option := func(host string, field func(acm.CertificateDomainValidationOption) *string) pulumi.StringOutput {
		return cert.DomainValidationOptions.ApplyT(func(opts []acm.CertificateDomainValidationOption) (string, error) {
			for _, o := range opts {
				if o.DomainName != nil && *o.DomainName == host {
					if v := field(o); v != nil {
						return *v, nil
					}
					return "", fmt.Errorf("certificate %s: the validation option of %s is incomplete", certName, host)
				}
			}
			return "", fmt.Errorf("certificate %s has no validation option for %s", certName, host)
		}).(pulumi.StringOutput)
	}
	fqdns := pulumi.StringArray{}
	for _, host := range names {
		if args.ValidationRecords == ValidationByOwner {
			// The owner's records (same account, same names: the same records) validate this
			// certificate too; wait for them.
			name := option(host, func(o acm.CertificateDomainValidationOption) *string { return o.ResourceRecordName })
			fqdns = append(fqdns, name.ApplyT(func(n string) string { return strings.TrimSuffix(n, ".") }).(pulumi.StringOutput))
			continue
		}
		recName := name + "-cert-validation-" + host
		rec, err := route53.NewRecord(ctx, recName, &route53.RecordArgs{
			ZoneId:         args.ZoneID,
			Name:           option(host, func(o acm.CertificateDomainValidationOption) *string { return o.ResourceRecordName }),
			Type:           option(host, func(o acm.CertificateDomainValidationOption) *string { return o.ResourceRecordType }),
			Records:        pulumi.StringArray{option(host, func(o acm.CertificateDomainValidationOption) *string { return o.ResourceRecordValue })},
			Ttl:            pulumi.Int(60),
			AllowOverwrite: pulumi.Bool(true),
		}, parent, pulumi.RetainOnDelete(args.ValidationRecords == ValidationCreateShared))
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("creating validation record %s: %w", recName, err)
		}
		fqdns = append(fqdns, rec.Fqdn)
	}
	validation, err := acm.NewCertificateValidation(ctx, certName+"-validation", &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: fqdns,
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating certificate validation %s-validation: %w", certName, err)
	}
	return validation.CertificateArn, nil
}

// newListeners gives a load balancer an HTTP listener that redirects to HTTPS, and an HTTPS listener
// that answers 404 unless a host rule forwards the request to its route's target group.
func newListeners(ctx *pulumi.Context, albName string, alb *lb.LoadBalancer, certArn pulumi.StringOutput, routes []Route, tgs []*lb.TargetGroup, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*lb.Listener, error) {
	if _, err := lb.NewListener(ctx, albName+"-http", &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(80),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: &lb.ListenerDefaultActionRedirectArgs{
				Protocol:   pulumi.String("HTTPS"),
				Port:       pulumi.String("443"),
				StatusCode: pulumi.String("HTTP_301"),
			},
		}},
		Tags: awstags.With(common, "Name", albName+"-http"),
	}, parent); err != nil {
		return nil, fmt.Errorf("creating HTTP listener %s-http: %w", albName, err)
	}
	https, err := lb.NewListener(ctx, albName+"-https", &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(443),
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(SSLPolicy),
		CertificateArn:  certArn,
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("fixed-response"),
			FixedResponse: &lb.ListenerDefaultActionFixedResponseArgs{
				ContentType: pulumi.String("text/plain"),
				MessageBody: pulumi.String("Not Found"),
				StatusCode:  pulumi.String("404"),
			},
		}},
		Tags: awstags.With(common, "Name", albName+"-https"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating HTTPS listener %s-https: %w", albName, err)
	}
	for i, r := range routes {
		ruleName := albName + "-rule-" + r.Name
		if _, err := lb.NewListenerRule(ctx, ruleName, &lb.ListenerRuleArgs{
			ListenerArn: https.Arn,
			Priority:    pulumi.Int(10 * (i + 1)),
			Conditions: lb.ListenerRuleConditionArray{lb.ListenerRuleConditionArgs{
				HostHeader: &lb.ListenerRuleConditionHostHeaderArgs{Values: pulumi.StringArray{pulumi.String(r.Hostname)}},
			}},
			Actions: lb.ListenerRuleActionArray{lb.ListenerRuleActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: tgs[i].Arn,
			}},
			Tags: awstags.With(common, "Name", ruleName, "route", r.Name),
		}, parent); err != nil {
			return nil, fmt.Errorf("creating listener rule %s: %w", ruleName, err)
		}
	}
	return https, nil
}

// newAccelerator puts a Global Accelerator in front of the load balancers: TCP 80 and 443 to an endpoint
// group in the region with every ALB as an endpoint, client IPs preserved.
func newAccelerator(ctx *pulumi.Context, name, region string, albs []*lb.LoadBalancer, common map[string]string, parent pulumi.ResourceOrInvokeOption) (*globalaccelerator.Accelerator, error) {
	accName := name + "-accelerator"
	acc, err := globalaccelerator.NewAccelerator(ctx, accName, &globalaccelerator.AcceleratorArgs{
		IpAddressType: pulumi.String("IPV4"),
		Enabled:       pulumi.Bool(true),
		Tags:          awstags.With(common, "Name", accName),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating accelerator %s: %w", accName, err)
	}
	listener, err := globalaccelerator.NewListener(ctx, accName+"-listener", &globalaccelerator.ListenerArgs{
		AcceleratorArn: acc.Arn,
		Protocol:       pulumi.String("TCP"),
		ClientAffinity: pulumi.String("NONE"),
		PortRanges: globalaccelerator.ListenerPortRangeArray{
			globalaccelerator.ListenerPortRangeArgs{FromPort: pulumi.Int(80), ToPort: pulumi.Int(80)},
			globalaccelerator.ListenerPortRangeArgs{FromPort: pulumi.Int(443), ToPort: pulumi.Int(443)},
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating accelerator listener %s-listener: %w", accName, err)
	}
	endpoints := globalaccelerator.EndpointGroupEndpointConfigurationArray{}
	for _, alb := range albs {
		endpoints = append(endpoints, globalaccelerator.EndpointGroupEndpointConfigurationArgs{
			EndpointId:                  alb.Arn,
			ClientIpPreservationEnabled: pulumi.Bool(true),
			Weight:                      pulumi.Int(128),
		})
	}
	if _, err := globalaccelerator.NewEndpointGroup(ctx, accName+"-"+region, &globalaccelerator.EndpointGroupArgs{
		ListenerArn:         listener.Arn,
		EndpointGroupRegion: pulumi.String(region),
		// For ALB endpoints the accelerator uses the load balancers' own target health checks.
		EndpointConfigurations: endpoints,
	}, parent); err != nil {
		return nil, fmt.Errorf("creating accelerator endpoint group %s-%s: %w", accName, region, err)
	}
	return acc, nil
}
