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
	out := inputs.Copy()
	h := hash(urn, 17)
	id := name
	if p, ok := idPrefixes[typ]; ok {
		switch typ {
		case "aws:kms/key:Key":
			id = fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], hash(urn+"k", 4), hash(urn+"k", 12))
		case "aws:route53/zone:Zone":
			id = "Z" + strings.ToUpper(hash(urn, 20))
		case "aws:route53/healthCheck:HealthCheck":
			id = fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], hash(urn+"h", 4), hash(urn+"h", 12))
		default:
			id = p + h
		}
	}
	set := func(k string, v any) {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	str := func(k string) string {
		if v, ok := inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	named := func(k string) string {
		if s := str(k); s != "" {
			return s
		}
		if p := str(k + "Prefix"); p != "" {
			return p + hash(urn, 8)
		}
		return name
	}
	arn := func(service, res string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, r.Name, Account, res)
	}
	svc := strings.SplitN(strings.TrimPrefix(typ, "aws:"), "/", 2)[0]
	switch typ {
	case "aws:ecr/repository:Repository":
		id = named("name")
		set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, r.Name, id))
		set("registryId", Account)
		set("arn", arn("ecr", "repository/"+id))
	case "aws:lb/loadBalancer:LoadBalancer":
		n := named("name")
		set("arn", arn("elasticloadbalancing", "loadbalancer/app/"+n+"/"+h[:16]))
		set("arnSuffix", "app/"+n+"/"+h[:16])
		set("dnsName", fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", n, h[:8], r.Name))
		set("zoneId", "Z35SXDOTRQ7X7K")
		id = arn("elasticloadbalancing", "loadbalancer/app/"+n+"/"+h[:16])
	case "aws:lb/targetGroup:TargetGroup":
		n := named("name")
		set("arn", arn("elasticloadbalancing", "targetgroup/"+n+"/"+h[:16]))
		set("arnSuffix", "targetgroup/"+n+"/"+h[:16])
		id = arn("elasticloadbalancing", "targetgroup/"+n+"/"+h[:16])
	case "aws:lb/listener:Listener":
		id = arn("elasticloadbalancing", "listener/app/"+name+"/"+h[:16])
		set("arn", id)
	case "aws:lb/listenerRule:ListenerRule":
		id = arn("elasticloadbalancing", "listener-rule/app/"+name+"/"+h[:16])
		set("arn", id)
	case "aws:rds/instance:Instance":
		ident := named("identifier")
		id = ident
		set("identifier", ident)
		set("address", fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", ident, h[:10], r.Name))
		set("endpoint", fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com:5432", ident, h[:10], r.Name))
		set("port", 5432)
		set("arn", arn("rds", "db:"+ident))
		set("resourceId", "db-"+strings.ToUpper(h))
		if v, ok := inputs["manageMasterUserPassword"]; ok && v.IsBool() && v.BoolValue() {
			set("masterUserSecrets", []any{map[string]any{
				"secretArn":    arn("secretsmanager", "secret:rds!db-"+h[:8]+"-"+h[8:14]),
				"secretStatus": "active",
				"kmsKeyId":     str("masterUserSecretKmsKeyId"),
			}})
		}
	case "aws:rds/cluster:Cluster":
		ident := named("clusterIdentifier")
		id = ident
		set("clusterIdentifier", ident)
		set("endpoint", fmt.Sprintf("%s.cluster-c%s.%s.rds.amazonaws.com", ident, h[:10], r.Name))
		set("readerEndpoint", fmt.Sprintf("%s.cluster-ro-c%s.%s.rds.amazonaws.com", ident, h[:10], r.Name))
		set("arn", arn("rds", "cluster:"+ident))
	case "aws:rds/clusterInstance:ClusterInstance":
		ident := named("identifier")
		id = ident
		set("arn", arn("rds", "db:"+ident))
	case "aws:rds/globalCluster:GlobalCluster":
		id = str("globalClusterIdentifier")
		set("arn", "arn:aws:rds::"+Account+":global-cluster:"+id)
		// The global writer endpoint, which follows the primary cluster.
		set("endpoint", fmt.Sprintf("%s.global-%s.global.rds.amazonaws.com", id, h[:10]))
		writer := r.Writer
		if writer == "" {
			writer = r.Name
		}
		set("globalClusterMembers", []any{map[string]any{
			"dbClusterArn": fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s-%s", writer, Account, id, writer),
			"isWriter":     true,
		}})
	case "aws:ecr/replicationConfiguration:ReplicationConfiguration":
		// A registry has one replication configuration; its ID is the registry (account) ID.
		id = Account
		set("registryId", Account)
	case "aws:elasticache/replicationGroup:ReplicationGroup":
		id = named("replicationGroupId")
		set("primaryEndpointAddress", fmt.Sprintf("master.%s.%s.%s.cache.amazonaws.com", id, h[:6], shortRegion(r.Name)))
		set("readerEndpointAddress", fmt.Sprintf("replica.%s.%s.%s.cache.amazonaws.com", id, h[:6], shortRegion(r.Name)))
		set("arn", arn("elasticache", "replicationgroup:"+id))
		n := 1
		if v, ok := inputs["numCacheClusters"]; ok && v.IsNumber() {
			n = int(v.NumberValue())
		}
		members := make([]any, n)
		for i := range members {
			members[i] = fmt.Sprintf("%s-%03d", id, i+1)
		}
		set("memberClusters", members)
	case "aws:autoscaling/group:Group":
		id = named("name")
		set("name", id)
		set("arn", arn("autoscaling", "autoScalingGroup:"+h[:8]+":autoScalingGroupName/"+id))
	case "aws:iam/role:Role":
		id = named("name")
		set("name", id)
		set("arn", "arn:aws:iam::"+Account+":role/"+id)
	case "aws:iam/instanceProfile:InstanceProfile":
		id = named("name")
		set("name", id)
		set("arn", "arn:aws:iam::"+Account+":instance-profile/"+id)
	case "aws:iam/policy:Policy":
		n := named("name")
		id = "arn:aws:iam::" + Account + ":policy/" + n
		set("arn", id)
	case "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket":
		id = named("bucket")
		set("bucket", id)
		set("arn", "arn:aws:s3:::"+id)
		set("bucketRegionalDomainName", id+".s3."+r.Name+".amazonaws.com")
	case "aws:cloudwatch/logGroup:LogGroup":
		id = named("name")
		set("name", id)
		set("arn", arn("logs", "log-group:"+id))
	case "aws:sns/topic:Topic":
		n := named("name")
		id = arn("sns", n)
		set("arn", id)
		set("name", n)
	case "aws:secretsmanager/secret:Secret":
		n := named("name")
		id = arn("secretsmanager", "secret:"+n+"-"+h[:6])
		set("arn", id)
	case "aws:acm/certificate:Certificate":
		id = arn("acm", "certificate/"+h[:8]+"-"+h[8:12]+"-"+h[12:16])
		set("arn", id)
		var options []any
		names := []string{str("domainName")}
		if v, ok := inputs["subjectAlternativeNames"]; ok && v.IsArray() {
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
		set("domainValidationOptions", options)
	case "aws:globalaccelerator/accelerator:Accelerator":
		id = "arn:aws:globalaccelerator::" + Account + ":accelerator/" + h[:8] + "-" + h[8:12]
		set("arn", id)
		set("dnsName", "a"+h[:16]+".awsglobalaccelerator.com")
		set("hostedZoneId", "Z2BJ6XQ5FK7U4H")
	case "aws:route53/zone:Zone":
		set("zoneId", id)
		set("nameServers", []any{"ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk", "ns-3.awsdns-03.com", "ns-4.awsdns-04.net"})
		set("arn", "arn:aws:route53:::hostedzone/"+id)
	case "aws:route53/record:Record":
		id = str("zoneId") + "_" + str("name") + "_" + str("type")
		if s := str("setIdentifier"); s != "" {
			id += "_" + s
		}
		set("fqdn", str("name"))
	case "aws:kms/key:Key":
		set("keyId", id)
		set("arn", arn("kms", "key/"+id))
	case "aws:kms/alias:Alias":
		set("arn", arn("kms", str("name")))
	case "aws:ec2/launchTemplate:LaunchTemplate":
		set("latestVersion", 1)
		set("arn", arn("ec2", "launch-template/"+id))
	case "aws:ssm/parameter:Parameter":
		id = str("name")
		set("arn", arn("ssm", "parameter"+id))
	case "aws:elasticache/subnetGroup:SubnetGroup", "aws:rds/subnetGroup:SubnetGroup",
		"aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup":
		id = named("name")
		set("arn", arn(svc, "subgrp:"+id))
	default:
		if strings.HasPrefix(typ, "aws:ec2/") || strings.HasPrefix(typ, "aws:vpc/") {
			set("arn", arn("ec2", strings.TrimSuffix(idPrefixes[typ], "-")+"/"+id))
		}
	}
	if typ == "aws:ec2/vpc:Vpc" {
		set("mainRouteTableId", "rtb-"+hash(urn+"main", 17))
		set("defaultSecurityGroupId", "sg-"+hash(urn+"default", 17))
		set("defaultNetworkAclId", "acl-"+hash(urn+"acl", 17))
	}
	if typ == "aws:ec2/eip:Eip" {
		set("publicIp", fmt.Sprintf("198.51.100.%d", 1+int(hash(urn, 2)[0])%250))
		set("allocationId", id)
	}
	if typ == "aws:ec2/subnet:Subnet" {
		set("arn", arn("ec2", "subnet/"+id))
	}
	set("arn", arn(svc, name))
	set("tagsAll", tagsOf(inputs))
	return id, out
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
