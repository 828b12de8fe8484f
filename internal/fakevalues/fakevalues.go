// Package fakevalues makes up, deterministically, what AWS would compute for the ess-ha program's
// resources and data sources: IDs in AWS's formats, ARNs, endpoints, generated names, and the answers of
// the invokes the program calls (caller identity, region, partition, random passwords, the ELB service
// account, the Route 53 health checkers' IP ranges). It is the one source of fake values behind both the
// SDK mocks of `essha plan` (internal/mocks) and the stand-in AWS provider of `essha preview`
// (internal/standin), so both give the same resources.
package fakevalues

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Account is the fake AWS account id: AWS's own documentation example.
const Account = "123456789012"

// ErrUnknownInvoke is wrapped by the error of an invoke whose token Invoke does not answer.
var ErrUnknownInvoke = errors.New("no fake answer for this invoke")

// Region is one region of the fake AWS account.
type Region struct {
	// Name is the AWS region, e.g. us-east-1: it goes into ARNs, endpoints and getRegion's answer.
	Name string
	// Writer is the region whose cluster is the writer of an Aurora global database: AWS's runtime
	// state, which moves on a switchover or failover. Empty means Name. It shows in the global
	// cluster's outputs only, as it does in AWS.
	Writer string
}

// Invoke answers the data sources (provider functions) the program calls, with deterministic values.
// A token it does not know returns an error that wraps ErrUnknownInvoke.
func (r Region) Invoke(token string, args resource.PropertyMap) (resource.PropertyMap, error) {
	switch token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/plan", "userId": "AIDAPLAN", "id": Account,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": r.Name, "id": r.Name}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}), nil
	case "aws:secretsmanager/getRandomPassword:getRandomPassword":
		return resource.NewPropertyMapFromMap(map[string]any{"randomPassword": "plan-placeholder-token-0123456789abcdef", "id": "plan"}), nil
	case "aws:elb/getServiceAccount:getServiceAccount":
		return resource.NewPropertyMapFromMap(map[string]any{"arn": "arn:aws:iam::127311923021:root", "id": "127311923021"}), nil
	case "aws:index/getIpRanges:getIpRanges":
		// AWS's ip-ranges.json, reduced to the Route 53 health checkers (service ROUTE53_HEALTHCHECKS)
		// in the eight checker regions, with documentation addresses (RFC 5737, RFC 3849): two IPv4
		// ranges and one IPv6 range per region, distinct across regions. Like the provider, services
		// and regions match case-insensitively, no regions means all, and the blocks come sorted; a
		// filter that matches nothing fails, as a misspelt service would otherwise allow nothing.
		checkers := []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}
		strs := func(key resource.PropertyKey) []string {
			var out []string
			if v, ok := args[key]; ok && v.IsArray() {
				for _, e := range v.ArrayValue() {
					if e.IsString() {
						out = append(out, strings.ToLower(e.StringValue()))
					}
				}
			}
			return out
		}
		services, regions := strs("services"), strs("regions")
		if len(regions) == 0 {
			regions = checkers
		}
		v4, v6 := []string{}, []string{}
		if slices.Contains(services, "route53_healthchecks") {
			for i, checker := range checkers {
				if slices.Contains(regions, checker) {
					v4 = append(v4, fmt.Sprintf("192.0.2.%d/28", 16*i), fmt.Sprintf("198.51.100.%d/28", 16*i))
					v6 = append(v6, fmt.Sprintf("2001:db8:%x::/48", i+1))
				}
			}
		}
		if len(v4)+len(v6) == 0 {
			return nil, fmt.Errorf("getIpRanges: no CIDR blocks for services %v in regions %v", services, regions)
		}
		sort.Strings(v4)
		sort.Strings(v6)
		return resource.NewPropertyMapFromMap(map[string]any{
			"cidrBlocks": v4, "ipv6CidrBlocks": v6, "services": services, "regions": regions,
			"createDate": "2025-01-01-00-00-00", "syncToken": 1735689600, "id": "1735689600",
		}), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownInvoke, token)
}

// hash gives a short deterministic hex string for a URN.
func hash(urn string, n int) string {
	sum := sha256.Sum256([]byte(urn))
	return hex.EncodeToString(sum[:])[:n]
}

// idPrefixes are the prefixes AWS gives the IDs of resource types whose ID is generated.
var idPrefixes = map[string]string{
	"aws:ec2/vpc:Vpc":                                           "vpc-",
	"aws:ec2/subnet:Subnet":                                     "subnet-",
	"aws:ec2/internetGateway:InternetGateway":                   "igw-",
	"aws:ec2/natGateway:NatGateway":                             "nat-",
	"aws:ec2/eip:Eip":                                           "eipalloc-",
	"aws:ec2/routeTable:RouteTable":                             "rtb-",
	"aws:ec2/securityGroup:SecurityGroup":                       "sg-",
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":         "sg-",
	"aws:ec2/launchTemplate:LaunchTemplate":                     "lt-",
	"aws:ec2/vpcEndpoint:VpcEndpoint":                           "vpce-",
	"aws:ec2/flowLog:FlowLog":                                   "fl-",
	"aws:ec2/routeTableAssociation:RouteTableAssociation":       "rtbassoc-",
	"aws:ec2/instance:Instance":                                 "i-",
	"aws:ec2/securityGroupRule:SecurityGroupRule":               "sgrule-",
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":   "sgr-",
	"aws:kms/key:Key":                                           "",
	"aws:route53/zone:Zone":                                     "Z",
	"aws:route53/healthCheck:HealthCheck":                       "",
}

// Resource returns the ID and the outputs AWS would give a new custom resource of type typ, logical
// name name and URN urn: its inputs, plus the properties the provider computes (IDs, ARNs, endpoints,
// names generated from a prefix, tagsAll) that the inputs do not already set. The same arguments
// always give the same answer.
func (r Region) Resource(typ, name, urn string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
	f := &fake{region: r, typ: typ, name: name, urn: urn, inputs: inputs, out: inputs.Copy(), h: hash(urn, 17)}
	f.id = f.defaultID()
	if compute, ok := computed[typ]; ok {
		compute(f)
	} else if strings.HasPrefix(typ, "aws:ec2/") || strings.HasPrefix(typ, "aws:vpc/") {
		ec2ARN(f)
	}
	f.set("arn", f.arn(f.service(), name))
	f.set("tagsAll", tagsOf(inputs))
	return f.id, f.out
}

// fake is one new resource whose outputs Resource makes up: what it was given, and what it computes.
type fake struct {
	region         Region
	typ, name, urn string
	inputs         resource.PropertyMap
	// out starts as a copy of the inputs; set adds what the provider computes.
	out resource.PropertyMap
	// id is the resource's ID; h is a short hash of its URN that the fake identifiers are made of.
	id, h string
}

// defaultID is the ID of a resource whose computer does not set one: AWS's prefix and a hash for the
// types AWS generates IDs for, else the logical name.
func (f *fake) defaultID() string {
	p, ok := idPrefixes[f.typ]
	if !ok {
		return f.name
	}
	switch f.typ {
	case "aws:kms/key:Key":
		return fmt.Sprintf("%s-%s-%s-%s-%s", f.h[:8], f.h[8:12], f.h[12:16], hash(f.urn+"k", 4), hash(f.urn+"k", 12))
	case "aws:route53/zone:Zone":
		return "Z" + strings.ToUpper(hash(f.urn, 20))
	case "aws:route53/healthCheck:HealthCheck":
		return fmt.Sprintf("%s-%s-%s-%s-%s", f.h[:8], f.h[8:12], f.h[12:16], hash(f.urn+"h", 4), hash(f.urn+"h", 12))
	}
	return p + f.h
}

// set sets an output the inputs do not already set.
func (f *fake) set(k string, v any) {
	if _, ok := f.out[resource.PropertyKey(k)]; !ok {
		f.out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
	}
}

// str is a string input, or "".
func (f *fake) str(k string) string {
	if v, ok := f.inputs[resource.PropertyKey(k)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

// named is the resource's name in AWS: the input k, or the input kPrefix plus a hash, or the logical
// name.
func (f *fake) named(k string) string {
	if s := f.str(k); s != "" {
		return s
	}
	if p := f.str(k + "Prefix"); p != "" {
		return p + hash(f.urn, 8)
	}
	return f.name
}

// arn is a regional ARN of the fake account.
func (f *fake) arn(service, res string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, f.region.Name, Account, res)
}

// service is the AWS service of the resource's type: "ec2" for aws:ec2/vpc:Vpc.
func (f *fake) service() string {
	return strings.SplitN(strings.TrimPrefix(f.typ, "aws:"), "/", 2)[0]
}

// computed maps a resource type to what the provider computes for it, beyond the ARN and tagsAll every
// resource gets.
var computed = map[string]func(*fake){
	"aws:ecr/repository:Repository": func(f *fake) {
		f.id = f.named("name")
		f.set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, f.region.Name, f.id))
		f.set("registryId", Account)
		f.set("arn", f.arn("ecr", "repository/"+f.id))
	},
	"aws:lb/loadBalancer:LoadBalancer": func(f *fake) {
		n := f.named("name")
		f.set("arn", f.arn("elasticloadbalancing", "loadbalancer/app/"+n+"/"+f.h[:16]))
		f.set("arnSuffix", "app/"+n+"/"+f.h[:16])
		f.set("dnsName", fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", n, f.h[:8], f.region.Name))
		f.set("zoneId", "Z35SXDOTRQ7X7K")
		f.id = f.arn("elasticloadbalancing", "loadbalancer/app/"+n+"/"+f.h[:16])
	},
	"aws:lb/targetGroup:TargetGroup": func(f *fake) {
		n := f.named("name")
		f.set("arn", f.arn("elasticloadbalancing", "targetgroup/"+n+"/"+f.h[:16]))
		f.set("arnSuffix", "targetgroup/"+n+"/"+f.h[:16])
		f.id = f.arn("elasticloadbalancing", "targetgroup/"+n+"/"+f.h[:16])
	},
	"aws:lb/listener:Listener": func(f *fake) {
		f.id = f.arn("elasticloadbalancing", "listener/app/"+f.name+"/"+f.h[:16])
		f.set("arn", f.id)
	},
	"aws:lb/listenerRule:ListenerRule": func(f *fake) {
		f.id = f.arn("elasticloadbalancing", "listener-rule/app/"+f.name+"/"+f.h[:16])
		f.set("arn", f.id)
	},
	"aws:rds/instance:Instance":                                 rdsInstance,
	"aws:rds/cluster:Cluster":                                   rdsCluster,
	"aws:rds/clusterInstance:ClusterInstance":                   rdsClusterInstance,
	"aws:rds/globalCluster:GlobalCluster":                       rdsGlobalCluster,
	"aws:ecr/replicationConfiguration:ReplicationConfiguration": ecrReplication,
	"aws:elasticache/replicationGroup:ReplicationGroup":         cacheReplicationGroup,
	"aws:autoscaling/group:Group":                               autoScalingGroup,
	"aws:iam/role:Role":                                         iamRole,
	"aws:iam/instanceProfile:InstanceProfile":                   iamInstanceProfile,
	"aws:iam/policy:Policy":                                     iamPolicy,
	"aws:s3/bucketV2:BucketV2":                                  s3Bucket,
	"aws:s3/bucket:Bucket":                                      s3Bucket,
	"aws:cloudwatch/logGroup:LogGroup":                          logGroup,
	"aws:sns/topic:Topic":                                       snsTopic,
	"aws:secretsmanager/secret:Secret":                          secret,
	"aws:acm/certificate:Certificate":                           certificate,
	"aws:globalaccelerator/accelerator:Accelerator":             accelerator,
	"aws:route53/zone:Zone":                                     hostedZone,
	"aws:route53/record:Record":                                 record,
	"aws:kms/key:Key":                                           kmsKey,
	"aws:kms/alias:Alias":                                       func(f *fake) { f.set("arn", f.arn("kms", f.str("name"))) },
	"aws:ec2/launchTemplate:LaunchTemplate":                     launchTemplate,
	"aws:ssm/parameter:Parameter":                               ssmParameter,
	"aws:elasticache/subnetGroup:SubnetGroup":                   subnetGroup,
	"aws:rds/subnetGroup:SubnetGroup":                           subnetGroup,
	"aws:rds/parameterGroup:ParameterGroup":                     subnetGroup,
	"aws:rds/clusterParameterGroup:ClusterParameterGroup":       subnetGroup,
	"aws:ec2/vpc:Vpc":                                           vpc,
	"aws:ec2/eip:Eip":                                           eip,
	"aws:ec2/subnet:Subnet":                                     subnet,
}

// ec2ARN is the ARN of an EC2 or VPC resource: ec2 and the ID's prefix, e.g. vpc/vpc-0123.
func ec2ARN(f *fake) {
	f.set("arn", f.arn("ec2", strings.TrimSuffix(idPrefixes[f.typ], "-")+"/"+f.id))
}

func rdsInstance(f *fake) {
	ident := f.named("identifier")
	f.id = ident
	f.set("identifier", ident)
	f.set("address", fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", ident, f.h[:10], f.region.Name))
	f.set("endpoint", fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com:5432", ident, f.h[:10], f.region.Name))
	f.set("port", 5432)
	f.set("arn", f.arn("rds", "db:"+ident))
	f.set("resourceId", "db-"+strings.ToUpper(f.h))
	if v, ok := f.inputs["manageMasterUserPassword"]; ok && v.IsBool() && v.BoolValue() {
		f.set("masterUserSecrets", []any{map[string]any{
			"secretArn":    f.arn("secretsmanager", "secret:rds!db-"+f.h[:8]+"-"+f.h[8:14]),
			"secretStatus": "active",
			"kmsKeyId":     f.str("masterUserSecretKmsKeyId"),
		}})
	}
}

func rdsCluster(f *fake) {
	ident := f.named("clusterIdentifier")
	f.id = ident
	f.set("clusterIdentifier", ident)
	f.set("endpoint", fmt.Sprintf("%s.cluster-c%s.%s.rds.amazonaws.com", ident, f.h[:10], f.region.Name))
	f.set("readerEndpoint", fmt.Sprintf("%s.cluster-ro-c%s.%s.rds.amazonaws.com", ident, f.h[:10], f.region.Name))
	f.set("arn", f.arn("rds", "cluster:"+ident))
}

func rdsClusterInstance(f *fake) {
	ident := f.named("identifier")
	f.id = ident
	f.set("arn", f.arn("rds", "db:"+ident))
}

func rdsGlobalCluster(f *fake) {
	f.id = f.str("globalClusterIdentifier")
	f.set("arn", "arn:aws:rds::"+Account+":global-cluster:"+f.id)
	// The global writer endpoint, which follows the primary cluster.
	f.set("endpoint", fmt.Sprintf("%s.global-%s.global.rds.amazonaws.com", f.id, f.h[:10]))
	writer := f.region.Writer
	if writer == "" {
		writer = f.region.Name
	}
	f.set("globalClusterMembers", []any{map[string]any{
		"dbClusterArn": fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s-%s", writer, Account, f.id, writer),
		"isWriter":     true,
	}})
}

// ecrReplication: a registry has one replication configuration; its ID is the registry (account) ID.
func ecrReplication(f *fake) {
	f.id = Account
	f.set("registryId", Account)
}

func cacheReplicationGroup(f *fake) {
	f.id = f.named("replicationGroupId")
	f.set("primaryEndpointAddress", fmt.Sprintf("master.%s.%s.%s.cache.amazonaws.com", f.id, f.h[:6], shortRegion(f.region.Name)))
	f.set("readerEndpointAddress", fmt.Sprintf("replica.%s.%s.%s.cache.amazonaws.com", f.id, f.h[:6], shortRegion(f.region.Name)))
	f.set("arn", f.arn("elasticache", "replicationgroup:"+f.id))
	n := 1
	if v, ok := f.inputs["numCacheClusters"]; ok && v.IsNumber() {
		n = int(v.NumberValue())
	}
	members := make([]any, n)
	for i := range members {
		members[i] = fmt.Sprintf("%s-%03d", f.id, i+1)
	}
	f.set("memberClusters", members)
}

func autoScalingGroup(f *fake) {
	f.id = f.named("name")
	f.set("name", f.id)
	f.set("arn", f.arn("autoscaling", "autoScalingGroup:"+f.h[:8]+":autoScalingGroupName/"+f.id))
}

func iamRole(f *fake) {
	f.id = f.named("name")
	f.set("name", f.id)
	f.set("arn", "arn:aws:iam::"+Account+":role/"+f.id)
}

func iamInstanceProfile(f *fake) {
	f.id = f.named("name")
	f.set("name", f.id)
	f.set("arn", "arn:aws:iam::"+Account+":instance-profile/"+f.id)
}

func iamPolicy(f *fake) {
	f.id = "arn:aws:iam::" + Account + ":policy/" + f.named("name")
	f.set("arn", f.id)
}

func s3Bucket(f *fake) {
	f.id = f.named("bucket")
	f.set("bucket", f.id)
	f.set("arn", "arn:aws:s3:::"+f.id)
	f.set("bucketRegionalDomainName", f.id+".s3."+f.region.Name+".amazonaws.com")
}

func logGroup(f *fake) {
	f.id = f.named("name")
	f.set("name", f.id)
	f.set("arn", f.arn("logs", "log-group:"+f.id))
}

func snsTopic(f *fake) {
	n := f.named("name")
	f.id = f.arn("sns", n)
	f.set("arn", f.id)
	f.set("name", n)
}

func secret(f *fake) {
	f.id = f.arn("secretsmanager", "secret:"+f.named("name")+"-"+f.h[:6])
	f.set("arn", f.id)
}

// certificate gives a certificate one DNS validation option per name, the domain first.
func certificate(f *fake) {
	f.id = f.arn("acm", "certificate/"+f.h[:8]+"-"+f.h[8:12]+"-"+f.h[12:16])
	f.set("arn", f.id)
	var options []any
	names := []string{f.str("domainName")}
	if v, ok := f.inputs["subjectAlternativeNames"]; ok && v.IsArray() {
		for _, s := range v.ArrayValue() {
			if s.IsString() && s.StringValue() != names[0] {
				names = append(names, s.StringValue())
			}
		}
	}
	for _, n := range names {
		options = append(options, map[string]any{
			"domainName":          n,
			"resourceRecordName":  "_" + hash(n, 32) + "." + n + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_" + hash(n+"v", 32) + ".acm-validations.aws.",
		})
	}
	f.set("domainValidationOptions", options)
}

func accelerator(f *fake) {
	f.id = "arn:aws:globalaccelerator::" + Account + ":accelerator/" + f.h[:8] + "-" + f.h[8:12]
	f.set("arn", f.id)
	f.set("dnsName", "a"+f.h[:16]+".awsglobalaccelerator.com")
	f.set("hostedZoneId", "Z2BJ6XQ5FK7U4H")
}

func hostedZone(f *fake) {
	f.set("zoneId", f.id)
	f.set("nameServers", []any{"ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk", "ns-3.awsdns-03.com", "ns-4.awsdns-04.net"})
	f.set("arn", "arn:aws:route53:::hostedzone/"+f.id)
}

func record(f *fake) {
	f.id = f.str("zoneId") + "_" + f.str("name") + "_" + f.str("type")
	if s := f.str("setIdentifier"); s != "" {
		f.id += "_" + s
	}
	f.set("fqdn", f.str("name"))
}

func kmsKey(f *fake) {
	f.set("keyId", f.id)
	f.set("arn", f.arn("kms", "key/"+f.id))
}

func launchTemplate(f *fake) {
	f.set("latestVersion", 1)
	f.set("arn", f.arn("ec2", "launch-template/"+f.id))
}

func ssmParameter(f *fake) {
	f.id = f.str("name")
	f.set("arn", f.arn("ssm", "parameter"+f.id))
}

// subnetGroup covers the named groups of RDS and ElastiCache: subnet and parameter groups.
func subnetGroup(f *fake) {
	f.id = f.named("name")
	f.set("arn", f.arn(f.service(), "subgrp:"+f.id))
}

func vpc(f *fake) {
	ec2ARN(f)
	f.set("mainRouteTableId", "rtb-"+hash(f.urn+"main", 17))
	f.set("defaultSecurityGroupId", "sg-"+hash(f.urn+"default", 17))
	f.set("defaultNetworkAclId", "acl-"+hash(f.urn+"acl", 17))
}

func eip(f *fake) {
	ec2ARN(f)
	f.set("publicIp", fmt.Sprintf("198.51.100.%d", 1+int(hash(f.urn, 2)[0])%250))
	f.set("allocationId", f.id)
}

func subnet(f *fake) {
	ec2ARN(f)
}

func tagsOf(inputs resource.PropertyMap) map[string]any {
	out := map[string]any{}
	if v, ok := inputs["tags"]; ok && v.IsObject() {
		for k, t := range v.ObjectValue() {
			if t.IsString() {
				out[string(k)] = t.StringValue()
			}
		}
	}
	return out
}

func shortRegion(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) != 3 {
		return region
	}
	return parts[0] + parts[1][:1] + parts[2]
}
