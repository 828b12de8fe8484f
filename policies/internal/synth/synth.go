// Package synth generates synthetic ESS stacks of any size for benchmarks and overhead measurements: a
// stack is a sequence of cells, each a highly available ESS deployment in its own VPC (three AZs with a
// public and a private subnet each, route tables, NAT gateways, a load balancer with listeners and a
// target group, ess and backend launch templates and auto-scaling groups, a Multi-AZ PostgreSQL
// instance, a Redis replication group, an ECR repository, a hosted zone and its DNS records), wired with the IDs, ARNs and
// property dependencies real state has. The same stack is available as an AnalyzeStack request and as a
// state file for `pulumi policy analyze --file`.
package synth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Resource is one synthetic resource.
type Resource struct {
	URN    resource.URN
	Type   string
	ID     string
	Custom bool
	Parent resource.URN
	// Inputs and Outputs hold JSON-like values (string, bool, float64, []any, map[string]any).
	Inputs, Outputs      map[string]any
	Dependencies         []resource.URN
	PropertyDependencies map[string][]resource.URN
}

// Stack is a synthetic stack, its resources in dependency order.
type Stack struct {
	Resources []*Resource
}

const (
	project   = "ess-ha"
	stackName = "synthetic"
	account   = "123456789012"
	region    = "us-east-1"
)

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// CellSize is the number of resources in one cell.
const CellSize = 45

// New returns a stack of exactly n resources (at least 2): the root stack, the default AWS provider,
// then whole cells, then ECR repositories to make up the count.
func New(n int) *Stack {
	g := &gen{}
	root := g.add(&Resource{URN: urn("pulumi:pulumi:Stack", project+"-"+stackName), Type: "pulumi:pulumi:Stack"})
	g.root = root.URN
	prov := g.add(&Resource{URN: urn("pulumi:providers:aws", "default"), Type: "pulumi:providers:aws", ID: "prov-0",
		Custom: true, Inputs: map[string]any{"region": region}, Outputs: map[string]any{"region": region}})
	_ = prov
	for i := 0; len(g.s.Resources)+CellSize <= n; i++ {
		g.cell(i)
	}
	for i := 0; len(g.s.Resources) < n; i++ {
		g.repository(fmt.Sprintf("pad-%d", i), g.root)
	}
	return &g.s
}

// gen builds a stack.
type gen struct {
	s    Stack
	root resource.URN
}

func urn(typ, name string) resource.URN {
	return resource.NewURN(tokens.QName(stackName), project, "", tokens.Type(typ), name)
}

// add appends r, copying its ID into its outputs as bridged providers do.
func (g *gen) add(r *Resource) *Resource {
	if r.Custom && r.ID != "" {
		if r.Outputs == nil {
			r.Outputs = map[string]any{}
		}
		for k, v := range r.Inputs {
			if _, ok := r.Outputs[k]; !ok {
				r.Outputs[k] = v
			}
		}
		r.Outputs["id"] = r.ID
	}
	g.s.Resources = append(g.s.Resources, r)
	return r
}

// custom adds a custom resource with the given inputs and extra outputs; deps maps each referencing
// input to the resources it references.
func (g *gen) custom(typ, name, id string, parent resource.URN, in, out map[string]any, deps map[string][]*Resource) *Resource {
	r := &Resource{URN: urn(typ, name), Type: typ, ID: id, Custom: true, Parent: parent, Inputs: in, Outputs: out}
	if len(deps) > 0 {
		r.PropertyDependencies = map[string][]resource.URN{}
		seen := map[resource.URN]bool{}
		for k, rs := range deps {
			for _, d := range rs {
				r.PropertyDependencies[k] = append(r.PropertyDependencies[k], d.URN)
				if !seen[d.URN] {
					seen[d.URN] = true
					r.Dependencies = append(r.Dependencies, d.URN)
				}
			}
		}
	}
	return g.add(r)
}

func ids(rs []*Resource) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func arn(service, rest string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, account, rest)
}

// cell adds one highly available ESS deployment: CellSize resources.
func (g *gen) cell(i int) {
	n := func(s string) string { return fmt.Sprintf("c%d-%s", i, s) }
	id := func(prefix, s string) string { return fmt.Sprintf("%s-%08x%s", prefix, i, s) }
	comp := g.add(&Resource{URN: urn("ess-ha:region:Region", n("region")), Type: "ess-ha:region:Region", Parent: g.root})
	p := comp.URN

	vpc := g.custom("aws:ec2/vpc:Vpc", n("vpc"), id("vpc", ""), p, map[string]any{
		"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": true, "enableDnsSupport": true,
		"tags": map[string]any{"Name": n("vpc")},
	}, map[string]any{"arn": arn("ec2", "vpc/"+id("vpc", "")), "mainRouteTableId": id("rtb", "main")}, nil)
	igw := g.custom("aws:ec2/internetGateway:InternetGateway", n("igw"), id("igw", ""), p,
		map[string]any{"vpcId": vpc.ID}, nil, map[string][]*Resource{"vpcId": {vpc}})

	var public, private, nats []*Resource
	for z, az := range zones {
		pub := g.custom("aws:ec2/subnet:Subnet", n(fmt.Sprintf("public-%d", z)), id("subnet", fmt.Sprintf("p%d", z)), p, map[string]any{
			"vpcId": vpc.ID, "cidrBlock": fmt.Sprintf("10.0.%d.0/24", z), "availabilityZone": az, "mapPublicIpOnLaunch": false,
			"tags": map[string]any{"Name": n(fmt.Sprintf("public-%d", z)), "tier": "public"},
		}, nil, map[string][]*Resource{"vpcId": {vpc}})
		priv := g.custom("aws:ec2/subnet:Subnet", n(fmt.Sprintf("private-%d", z)), id("subnet", fmt.Sprintf("q%d", z)), p, map[string]any{
			"vpcId": vpc.ID, "cidrBlock": fmt.Sprintf("10.0.%d.0/24", 100+z), "availabilityZone": az,
			"tags": map[string]any{"Name": n(fmt.Sprintf("private-%d", z)), "tier": "private"},
		}, nil, map[string][]*Resource{"vpcId": {vpc}})
		public, private = append(public, pub), append(private, priv)
	}
	publicRT := g.custom("aws:ec2/routeTable:RouteTable", n("public-rt"), id("rtb", "pub"), p, map[string]any{
		"vpcId":  vpc.ID,
		"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "gatewayId": igw.ID}},
	}, nil, map[string][]*Resource{"vpcId": {vpc}, "routes": {igw}})
	for z := range zones {
		eip := g.custom("aws:ec2/eip:Eip", n(fmt.Sprintf("nat-eip-%d", z)), id("eipalloc", fmt.Sprint(z)), p,
			map[string]any{"domain": "vpc"}, map[string]any{"publicIp": fmt.Sprintf("203.0.113.%d", z)}, nil)
		nat := g.custom("aws:ec2/natGateway:NatGateway", n(fmt.Sprintf("nat-%d", z)), id("nat", fmt.Sprint(z)), p,
			map[string]any{"allocationId": eip.ID, "subnetId": public[z].ID, "connectivityType": "public"}, nil,
			map[string][]*Resource{"allocationId": {eip}, "subnetId": {public[z]}})
		nats = append(nats, nat)
	}
	for z := range zones {
		rt := g.custom("aws:ec2/routeTable:RouteTable", n(fmt.Sprintf("private-rt-%d", z)), id("rtb", fmt.Sprintf("q%d", z)), p, map[string]any{
			"vpcId":  vpc.ID,
			"routes": []any{map[string]any{"cidrBlock": "0.0.0.0/0", "natGatewayId": nats[z].ID}},
		}, nil, map[string][]*Resource{"vpcId": {vpc}, "routes": {nats[z]}})
		g.custom("aws:ec2/routeTableAssociation:RouteTableAssociation", n(fmt.Sprintf("public-rta-%d", z)), id("rtbassoc", fmt.Sprintf("p%d", z)), p,
			map[string]any{"subnetId": public[z].ID, "routeTableId": publicRT.ID}, nil,
			map[string][]*Resource{"subnetId": {public[z]}, "routeTableId": {publicRT}})
		g.custom("aws:ec2/routeTableAssociation:RouteTableAssociation", n(fmt.Sprintf("private-rta-%d", z)), id("rtbassoc", fmt.Sprintf("q%d", z)), p,
			map[string]any{"subnetId": private[z].ID, "routeTableId": rt.ID}, nil,
			map[string][]*Resource{"subnetId": {private[z]}, "routeTableId": {rt}})
	}

	lbSG := g.custom("aws:ec2/securityGroup:SecurityGroup", n("lb-sg"), id("sg", "lb"), p, map[string]any{
		"vpcId": vpc.ID, "description": "load balancer",
		"ingress": []any{
			map[string]any{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": []any{"0.0.0.0/0"}},
			map[string]any{"protocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "cidrBlocks": []any{"0.0.0.0/0"}},
		},
		"egress": []any{map[string]any{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": []any{"0.0.0.0/0"}}},
	}, nil, map[string][]*Resource{"vpcId": {vpc}})
	appSG := g.custom("aws:ec2/securityGroup:SecurityGroup", n("app-sg"), id("sg", "app"), p, map[string]any{
		"vpcId": vpc.ID, "description": "instances",
		"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "securityGroups": []any{lbSG.ID}}},
		"egress":  []any{map[string]any{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": []any{"0.0.0.0/0"}}},
	}, nil, map[string][]*Resource{"vpcId": {vpc}, "ingress": {lbSG}})
	dataSG := g.custom("aws:ec2/securityGroup:SecurityGroup", n("data-sg"), id("sg", "data"), p, map[string]any{
		"vpcId": vpc.ID, "description": "database and cache",
		"ingress": []any{map[string]any{"protocol": "tcp", "fromPort": 5432.0, "toPort": 5432.0, "securityGroups": []any{appSG.ID}}},
	}, nil, map[string][]*Resource{"vpcId": {vpc}, "ingress": {appSG}})

	lbARN := arn("elasticloadbalancing", fmt.Sprintf("loadbalancer/app/%s/%08x", n("lb"), i))
	lb := g.custom("aws:lb/loadBalancer:LoadBalancer", n("lb"), lbARN, p, map[string]any{
		"loadBalancerType": "application", "internal": false, "subnets": ids(public), "securityGroups": []any{lbSG.ID},
		"dropInvalidHeaderFields": true,
	}, map[string]any{"arn": lbARN, "dnsName": n("lb") + ".us-east-1.elb.amazonaws.com"},
		map[string][]*Resource{"subnets": public, "securityGroups": {lbSG}})
	tgARN := arn("elasticloadbalancing", fmt.Sprintf("targetgroup/%s/%08x", n("ess"), i))
	tg := g.custom("aws:lb/targetGroup:TargetGroup", n("ess-tg"), tgARN, p, map[string]any{
		"port": 443.0, "protocol": "HTTPS", "vpcId": vpc.ID, "targetType": "instance",
		"healthCheck": map[string]any{"path": "/health", "protocol": "HTTPS"},
	}, map[string]any{"arn": tgARN}, map[string][]*Resource{"vpcId": {vpc}})
	g.custom("aws:lb/listener:Listener", n("https"), arn("elasticloadbalancing", fmt.Sprintf("listener/app/%08x/443", i)), p, map[string]any{
		"loadBalancerArn": lb.ID, "port": 443.0, "protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
		"certificateArn": arn("acm", "certificate/"+n("cert")),
		"defaultActions": []any{map[string]any{"type": "forward", "targetGroupArn": tg.ID}},
	}, nil, map[string][]*Resource{"loadBalancerArn": {lb}, "defaultActions": {tg}})
	g.custom("aws:lb/listener:Listener", n("http"), arn("elasticloadbalancing", fmt.Sprintf("listener/app/%08x/80", i)), p, map[string]any{
		"loadBalancerArn": lb.ID, "port": 80.0, "protocol": "HTTP",
		"defaultActions": []any{map[string]any{"type": "redirect", "redirect": map[string]any{"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}}},
	}, nil, map[string][]*Resource{"loadBalancerArn": {lb}})

	repo := g.repository(n("ess"), p)
	image := fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s:1.0.0", account, region, n("ess"))
	for _, pool := range []string{"ess", "backend"} {
		script := fmt.Sprintf("#!/bin/bash\nset -euo pipefail\naws ecr get-login-password | docker login --username AWS --password-stdin %s.dkr.ecr.%s.amazonaws.com\ndocker run -d --restart always %s\n", account, region, image)
		lt := g.custom("aws:ec2/launchTemplate:LaunchTemplate", n(pool+"-lt"), id("lt", pool), p, map[string]any{
			"imageId": "ami-0123456789abcdef0", "instanceType": "m6i.large",
			"userData":            base64.StdEncoding.EncodeToString([]byte(script)),
			"vpcSecurityGroupIds": []any{appSG.ID},
			"metadataOptions":     map[string]any{"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 2.0},
			"blockDeviceMappings": []any{map[string]any{"deviceName": "/dev/xvda", "ebs": map[string]any{"encrypted": "true", "volumeSize": 30.0}}},
		}, map[string]any{"latestVersion": 1.0}, map[string][]*Resource{"vpcSecurityGroupIds": {appSG}, "userData": {repo}})
		in := map[string]any{
			"vpcZoneIdentifiers": ids(private), "minSize": 3.0, "maxSize": 9.0, "desiredCapacity": 3.0,
			"launchTemplate":  map[string]any{"id": lt.ID, "version": "$Latest"},
			"healthCheckType": "ELB",
			"tags":            []any{map[string]any{"key": "pool", "value": pool, "propagateAtLaunch": true}},
			"targetGroupArns": []any{},
		}
		deps := map[string][]*Resource{"vpcZoneIdentifiers": private, "launchTemplate": {lt}}
		if pool == "ess" {
			in["instanceMaintenancePolicy"] = map[string]any{"minHealthyPercentage": 100.0, "maxHealthyPercentage": 200.0}
			in["targetGroupArns"] = []any{tg.ID}
			deps["targetGroupArns"] = []*Resource{tg}
		}
		g.custom("aws:autoscaling/group:Group", n(pool+"-asg"), n(pool+"-asg"), p, in,
			map[string]any{"arn": arn("autoscaling", "autoScalingGroup:"+n(pool)), "name": n(pool + "-asg")}, deps)
	}

	dbSubnets := g.custom("aws:rds/subnetGroup:SubnetGroup", n("db-subnets"), n("db-subnets"), p,
		map[string]any{"subnetIds": ids(private)}, map[string]any{"name": n("db-subnets")}, map[string][]*Resource{"subnetIds": private})
	g.custom("aws:rds/instance:Instance", n("db"), "db-"+n("db"), p, map[string]any{
		"engine": "postgres", "engineVersion": "16", "instanceClass": "db.m6i.large", "allocatedStorage": 100.0,
		"multiAz": true, "dbSubnetGroupName": dbSubnets.ID, "storageEncrypted": true, "deletionProtection": true,
		"backupRetentionPeriod": 7.0, "publiclyAccessible": false, "vpcSecurityGroupIds": []any{dataSG.ID},
		"username": "ess", "password": map[string]any{resource.SigKey: resource.SecretSig, "value": "not-a-real-password"},
	}, map[string]any{"arn": arn("rds", "db:"+n("db")), "identifier": n("db")},
		map[string][]*Resource{"dbSubnetGroupName": {dbSubnets}, "vpcSecurityGroupIds": {dataSG}})
	cacheSubnets := g.custom("aws:elasticache/subnetGroup:SubnetGroup", n("cache-subnets"), n("cache-subnets"), p,
		map[string]any{"subnetIds": ids(private)}, map[string]any{"name": n("cache-subnets")}, map[string][]*Resource{"subnetIds": private})
	g.custom("aws:elasticache/replicationGroup:ReplicationGroup", n("cache"), n("cache"), p, map[string]any{
		"engine": "redis", "nodeType": "cache.m6g.large", "numCacheClusters": 2.0, "automaticFailoverEnabled": true,
		"multiAzEnabled": true, "subnetGroupName": cacheSubnets.ID, "atRestEncryptionEnabled": true,
		"transitEncryptionEnabled": true, "preferredCacheClusterAzs": []any{zones[0], zones[1]},
		"securityGroupIds": []any{dataSG.ID},
	}, map[string]any{"arn": arn("elasticache", "replicationgroup:"+n("cache"))},
		map[string][]*Resource{"subnetGroupName": {cacheSubnets}, "securityGroupIds": {dataSG}})
	domain := n("example") + ".org"
	zone := g.custom("aws:route53/zone:Zone", n("zone"), id("Z", "zone"), p, map[string]any{"name": domain},
		map[string]any{"zoneId": id("Z", "zone")}, nil)
	for _, host := range []string{"", "identity.", "oidc."} {
		name := host + domain
		g.custom("aws:route53/record:Record", n("dns-"+host), zone.ID+"_"+name+"_CNAME", p, map[string]any{
			"zoneId": zone.ID, "name": name, "type": "CNAME", "ttl": 60.0,
			"records": []any{n("lb") + ".us-east-1.elb.amazonaws.com"},
		}, map[string]any{"fqdn": name}, map[string][]*Resource{"zoneId": {zone}, "records": {lb}})
	}
}

// repository adds an ECR repository that scans on push and has immutable tags.
func (g *gen) repository(name string, parent resource.URN) *Resource {
	return g.custom("aws:ecr/repository:Repository", name, name, parent, map[string]any{
		"name": name, "imageTagMutability": "IMMUTABLE",
		"imageScanningConfiguration": map[string]any{"scanOnPush": true},
		"encryptionConfigurations":   []any{map[string]any{"encryptionType": "KMS"}},
	}, map[string]any{
		"arn":           arn("ecr", "repository/"+name),
		"repositoryUrl": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", account, region, name),
	}, nil)
}

// AnalyzeStackRequest encodes the stack's outputs as the engine sends them to AnalyzeStack.
func (s *Stack) AnalyzeStackRequest() (*pulumirpc.AnalyzeStackRequest, error) {
	req := &pulumirpc.AnalyzeStackRequest{Resources: make([]*pulumirpc.AnalyzerResource, 0, len(s.Resources))}
	opts := plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipInternalKeys: true}
	for _, r := range s.Resources {
		props, err := plugin.MarshalProperties(propertyMap(r.Outputs), opts)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", r.URN, err)
		}
		ar := &pulumirpc.AnalyzerResource{
			Urn: string(r.URN), Type: r.Type, Name: r.URN.Name(), Properties: props, Parent: string(r.Parent),
			Options: &pulumirpc.AnalyzerResourceOptions{Parent: string(r.Parent)},
		}
		for _, d := range r.Dependencies {
			ar.Dependencies = append(ar.Dependencies, string(d))
		}
		if len(r.PropertyDependencies) > 0 {
			ar.PropertyDependencies = make(map[string]*pulumirpc.AnalyzerPropertyDependencies, len(r.PropertyDependencies))
			for k, v := range r.PropertyDependencies {
				urns := make([]string, len(v))
				for i, u := range v {
					urns[i] = string(u)
				}
				ar.PropertyDependencies[k] = &pulumirpc.AnalyzerPropertyDependencies{Urns: urns}
			}
		}
		req.Resources = append(req.Resources, ar)
	}
	return req, nil
}

// propertyMap converts JSON-like values to properties, turning {sig: secret, value: v} into a secret.
func propertyMap(m map[string]any) resource.PropertyMap {
	out := make(resource.PropertyMap, len(m))
	for k, v := range m {
		out[resource.PropertyKey(k)] = property(v)
	}
	return out
}

func property(v any) resource.PropertyValue {
	switch t := v.(type) {
	case map[string]any:
		if t[resource.SigKey] == resource.SecretSig {
			return resource.MakeSecret(property(t["value"]))
		}
		return resource.NewObjectProperty(propertyMap(t))
	case []any:
		arr := make([]resource.PropertyValue, len(t))
		for i, e := range t {
			arr[i] = property(e)
		}
		return resource.NewArrayProperty(arr)
	}
	return resource.NewPropertyValue(v)
}

// StateJSON encodes the stack as a state file (deployment version 3), as `pulumi stack export` writes it.
func (s *Stack) StateJSON() ([]byte, error) {
	type res struct {
		URN                  resource.URN              `json:"urn"`
		Custom               bool                      `json:"custom"`
		ID                   string                    `json:"id,omitempty"`
		Type                 string                    `json:"type"`
		Inputs               map[string]any            `json:"inputs,omitempty"`
		Outputs              map[string]any            `json:"outputs,omitempty"`
		Parent               resource.URN              `json:"parent,omitempty"`
		Provider             string                    `json:"provider,omitempty"`
		Dependencies         []resource.URN            `json:"dependencies,omitempty"`
		PropertyDependencies map[string][]resource.URN `json:"propertyDependencies,omitempty"`
	}
	provider := string(urn("pulumi:providers:aws", "default")) + "::prov-0"
	out := make([]res, len(s.Resources))
	for i, r := range s.Resources {
		out[i] = res{URN: r.URN, Custom: r.Custom, ID: r.ID, Type: r.Type, Inputs: secretsForState(r.Inputs),
			Outputs: secretsForState(r.Outputs), Parent: r.Parent, Dependencies: r.Dependencies,
			PropertyDependencies: r.PropertyDependencies}
		if r.Custom && r.Type != "pulumi:providers:aws" {
			out[i].Provider = provider
		}
	}
	// The engine checks the manifest's magic cookie: the SHA-256 of its version.
	const version = "v3.259.0"
	return json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{
		"manifest":  map[string]any{"time": "2026-01-01T00:00:00Z", "magic": fmt.Sprintf("%x", sha256.Sum256([]byte(version))), "version": version},
		"resources": out,
	}})
}

// secretsForState rewrites in-memory secrets ({sig, value}) into the state file's plaintext form,
// which the CLI reads without a secrets provider.
func secretsForState(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if s, ok := v.(map[string]any); ok && s[resource.SigKey] == resource.SecretSig {
			b, _ := json.Marshal(s["value"])
			v = map[string]any{resource.SigKey: resource.SecretSig, "plaintext": string(b)}
		}
		out[k] = v
	}
	return out
}
