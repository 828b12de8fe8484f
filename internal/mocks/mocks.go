// Package mocks runs the ess-ha program without a cloud: it implements the Go SDK's mock resource
// monitor with deterministic fake IDs, ARNs and the computed outputs the program reads, and it records
// every registration (parent, provider, dependencies, property dependencies) so that the plan package
// can write the run as a state file.
package mocks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Account is the fake AWS account id the mocks use: AWS's own documentation example.
const Account = "123456789012"

// Registration is one resource the program registered, with what the engine would have recorded.
type Registration struct {
	URN                  resource.URN
	Type                 string
	Name                 string
	Custom               bool
	Parent               resource.URN
	Provider             string
	Version              string
	ID                   string
	Inputs               resource.PropertyMap
	Outputs              resource.PropertyMap
	Dependencies         []resource.URN
	PropertyDependencies map[resource.PropertyKey][]resource.URN
	Protect              bool
	RetainOnDelete       bool
	IgnoreChanges        []string
	// External marks a resource the program read rather than manages (a StackReference).
	External          bool
	AdditionalSecrets []string
}

// Mocks is a pulumi.MockResourceMonitor for one stack in one region. It is safe for concurrent use, as
// the SDK registers resources from many goroutines.
type Mocks struct {
	Project string
	Stack   string
	Region  string

	// Writer is the region whose cluster is the writer of the Aurora global database: AWS's runtime
	// state, which moves on a switchover or failover. Empty means the region of the global cluster's
	// stack. It shows in the global cluster's outputs only, as it does in AWS: the program must not
	// depend on it.
	Writer string

	mu     sync.Mutex
	regs   map[resource.URN]*Registration
	stacks map[string]map[string]any
}

// StackReferenceType is the type token of a StackReference.
const StackReferenceType = "pulumi:pulumi:StackReference"

// SetStackOutputs makes a StackReference to stack read these outputs, as the engine would read them
// from the backend. A reference to a stack without outputs fails, as it does for a stack that does
// not exist.
func (m *Mocks) SetStackOutputs(stack string, outputs map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stacks == nil {
		m.stacks = map[string]map[string]any{}
	}
	m.stacks[stack] = outputs
}

// New returns mocks for a stack of the project in a region.
func New(project, stack, region string) *Mocks {
	return &Mocks{Project: project, Stack: stack, Region: region, regs: map[resource.URN]*Registration{}}
}

// Option returns the run option that makes pulumi.RunErr use these mocks.
func (m *Mocks) Option() pulumi.RunOption { return pulumi.WithMocks(m.Project, m.Stack, m) }

// Registrations returns every registered resource, sorted by URN.
func (m *Mocks) Registrations() []*Registration {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Registration, 0, len(m.regs))
	for _, r := range m.regs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// ByType returns the registrations of one type token, sorted by URN.
func (m *Mocks) ByType(typ string) []*Registration {
	var out []*Registration
	for _, r := range m.Registrations() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Call answers invokes with deterministic values.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/plan", "userId": "AIDAPLAN", "id": Account,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": m.Region, "id": m.Region}), nil
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
			if v, ok := args.Args[key]; ok && v.IsArray() {
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
			for i, r := range checkers {
				if slices.Contains(regions, r) {
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
	return args.Args, nil
}

// NewResource records a registration and answers with a deterministic ID and outputs: the inputs plus
// what the provider would compute.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.ReadRPC != nil {
		return m.read(args)
	}
	rpc := args.RegisterRPC
	if rpc == nil {
		return "", nil, fmt.Errorf("mock registration of %s %q has no RPC", args.TypeToken, args.Name)
	}
	urn := m.urn(rpc.GetParent(), rpc.GetType(), rpc.GetName())
	reg := &Registration{
		URN:                  urn,
		Type:                 args.TypeToken,
		Name:                 args.Name,
		Custom:               args.Custom,
		Parent:               resource.URN(rpc.GetParent()),
		Provider:             rpc.GetProvider(),
		Version:              rpc.GetVersion(),
		Inputs:               args.Inputs,
		Protect:              rpc.GetProtect(),
		RetainOnDelete:       rpc.GetRetainOnDelete(),
		IgnoreChanges:        rpc.GetIgnoreChanges(),
		AdditionalSecrets:    rpc.GetAdditionalSecretOutputs(),
		PropertyDependencies: map[resource.PropertyKey][]resource.URN{},
	}
	for _, d := range rpc.GetDependencies() {
		reg.Dependencies = append(reg.Dependencies, resource.URN(d))
	}
	for k, deps := range rpc.GetPropertyDependencies() {
		for _, d := range deps.GetUrns() {
			reg.PropertyDependencies[resource.PropertyKey(k)] = append(reg.PropertyDependencies[resource.PropertyKey(k)], resource.URN(d))
		}
	}
	if !args.Custom {
		reg.Outputs = resource.PropertyMap{}
		m.store(reg)
		return "", resource.PropertyMap{}, nil
	}
	id, outputs := m.compute(args.TypeToken, args.Name, string(urn), args.Inputs)
	reg.ID, reg.Outputs = id, outputs
	m.store(reg)
	return id, outputs, nil
}

// read answers a ReadResource: only StackReferences, with the outputs given to SetStackOutputs.
func (m *Mocks) read(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.ReadRPC
	if args.TypeToken != StackReferenceType {
		return "", nil, fmt.Errorf("mocks cannot read %s %q: only StackReferences are read", args.TypeToken, args.Name)
	}
	m.mu.Lock()
	outputs, ok := m.stacks[args.ID]
	m.mu.Unlock()
	if !ok {
		return "", nil, fmt.Errorf("unknown stack %q: plan it first (essha plan plans a member's owner itself, or takes --peer-plan)", args.ID)
	}
	state := resource.NewPropertyMapFromMap(map[string]any{
		"name":              args.ID,
		"outputs":           outputs,
		"secretOutputNames": []any{},
	})
	reg := &Registration{
		URN:      m.urn(rpc.GetParent(), rpc.GetType(), rpc.GetName()),
		Type:     args.TypeToken,
		Name:     args.Name,
		Custom:   true,
		External: true,
		Parent:   resource.URN(rpc.GetParent()),
		Provider: rpc.GetProvider(),
		Version:  rpc.GetVersion(),
		ID:       args.ID,
		Inputs:   args.Inputs,
		Outputs:  state,
	}
	for _, d := range rpc.GetDependencies() {
		reg.Dependencies = append(reg.Dependencies, resource.URN(d))
	}
	m.store(reg)
	return args.ID, state, nil
}

func (m *Mocks) store(reg *Registration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.regs[reg.URN] = reg
}

// urn builds a URN the way the engine does, the parent's type chain included.
func (m *Mocks) urn(parent, typ, name string) resource.URN {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return resource.NewURN(tokens.QName(m.Stack), tokens.PackageName(m.Project), parentType, tokens.Type(typ), name)
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

// compute returns the ID and outputs of a custom resource.
func (m *Mocks) compute(typ, name, urn string, inputs resource.PropertyMap) (string, resource.PropertyMap) {
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
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, m.Region, Account, res)
	}
	svc := strings.SplitN(strings.TrimPrefix(typ, "aws:"), "/", 2)[0]
	switch typ {
	case "aws:ecr/repository:Repository":
		id = named("name")
		set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, m.Region, id))
		set("registryId", Account)
		set("arn", arn("ecr", "repository/"+id))
	case "aws:lb/loadBalancer:LoadBalancer":
		n := named("name")
		set("arn", arn("elasticloadbalancing", "loadbalancer/app/"+n+"/"+h[:16]))
		set("arnSuffix", "app/"+n+"/"+h[:16])
		set("dnsName", fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", n, h[:8], m.Region))
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
		set("address", fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", ident, h[:10], m.Region))
		set("endpoint", fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com:5432", ident, h[:10], m.Region))
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
		set("endpoint", fmt.Sprintf("%s.cluster-c%s.%s.rds.amazonaws.com", ident, h[:10], m.Region))
		set("readerEndpoint", fmt.Sprintf("%s.cluster-ro-c%s.%s.rds.amazonaws.com", ident, h[:10], m.Region))
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
		writer := m.Writer
		if writer == "" {
			writer = m.Region
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
		set("primaryEndpointAddress", fmt.Sprintf("master.%s.%s.%s.cache.amazonaws.com", id, h[:6], shortRegion(m.Region)))
		set("readerEndpointAddress", fmt.Sprintf("replica.%s.%s.%s.cache.amazonaws.com", id, h[:6], shortRegion(m.Region)))
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
		set("bucketRegionalDomainName", id+".s3."+m.Region+".amazonaws.com")
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

// Run runs a program under these mocks, with the given stack configuration ("namespace:key" to value),
// and returns its error once every registration has finished.
func (m *Mocks) Run(config map[string]string, program pulumi.RunFunc) error {
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: m.Project, Stack: m.Stack, Config: config, Mocks: m, Parallel: 1,
	})
	if err != nil {
		return fmt.Errorf("creating the mocked Pulumi context: %w", err)
	}
	return pulumi.RunWithContext(ctx, program)
}
