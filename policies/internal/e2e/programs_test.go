package e2e

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// smallProgram is a small inline program that breaks one policy of the pack (violate true) or is its
// compliant twin (violate false), differing in that one respect. Its references between resources are
// IDs, all unknown in a first preview, so the pack must resolve them through property dependencies.
type smallProgram struct {
	// name names the program and its stacks.
	name string
	// policy is the policy the violating program breaks.
	policy string
	// config is the policy's configuration beyond its level (e.g. multiRegion), or "".
	config string
	// program builds the program.
	program func(violate bool) pulumi.RunFunc
}

// seedPrograms break the five seed recommendations.
func seedPrograms() []smallProgram {
	return []smallProgram{
		{name: "one-zone", policy: "ha-min-availability-zones", program: func(violate bool) pulumi.RunFunc {
			zones := []string{"us-east-1a", "us-east-1b"}
			if violate {
				zones = zones[:1]
			}
			return func(ctx *pulumi.Context) error {
				_, err := newNetwork(ctx, zones)
				return err
			}
		}},
		{name: "group-in-public-subnets", policy: "ha-public-subnets-lb-only", program: func(violate bool) pulumi.RunFunc {
			return func(ctx *pulumi.Context) error {
				n, err := newNetwork(ctx, []string{"us-east-1a", "us-east-1b"})
				if err != nil {
					return err
				}
				subnets := n.private
				if violate {
					subnets = n.public
				}
				_, err = newPool(ctx, "ess", subnets, "")
				return err
			}
		}},
		{name: "single-az-database", policy: "ha-rds-multi-az", program: func(violate bool) pulumi.RunFunc {
			return func(ctx *pulumi.Context) error {
				_, err := rds.NewInstance(ctx, "db", &rds.InstanceArgs{
					Engine: pulumi.String("postgres"), EngineVersion: pulumi.String("16"),
					InstanceClass: pulumi.String("db.r6g.large"), AllocatedStorage: pulumi.Int(100),
					Username: pulumi.String("ess"), ManageMasterUserPassword: pulumi.Bool(true),
					MultiAz: pulumi.Bool(!violate), StorageEncrypted: pulumi.Bool(true),
				})
				return err
			}
		}},
		{name: "image-from-docker-hub", policy: "ha-private-registry", program: func(violate bool) pulumi.RunFunc {
			image := "123456789012.dkr.ecr.us-east-1.amazonaws.com/inrupt/ess-ldp:2.3.1"
			if violate {
				image = "docker.io/library/nginx:latest"
			}
			return func(ctx *pulumi.Context) error {
				n, err := newNetwork(ctx, []string{"us-east-1a", "us-east-1b"})
				if err != nil {
					return err
				}
				_, err = newPool(ctx, "ess", n.private, "#!/bin/sh\ndocker run -d --restart always "+image+"\n")
				return err
			}
		}},
		{name: "two-ess-pools", policy: "ha-separate-pools", program: func(violate bool) pulumi.RunFunc {
			return func(ctx *pulumi.Context) error {
				n, err := newNetwork(ctx, []string{"us-east-1a", "us-east-1b"})
				if err != nil {
					return err
				}
				if _, err := newPool(ctx, "ess", n.private, ""); err != nil {
					return err
				}
				backend := "backend"
				if violate {
					backend = "ess"
				}
				_, err = newPoolTagged(ctx, "backend", backend, n.private, "")
				return err
			}
		}},
	}
}

// multiRegionPrograms break the multi-region (AsurionID) recommendations. The stack is one region of a
// pair; where the policy infers that from weighted records, the program has one, else the policy is
// told (multiRegion true).
func multiRegionPrograms() []smallProgram {
	return []smallProgram{
		{name: "record-without-health-check", policy: "ha-weighted-records-health-checked", program: func(violate bool) pulumi.RunFunc {
			return func(ctx *pulumi.Context) error {
				zone, err := route53.NewZone(ctx, "zone", &route53.ZoneArgs{Name: pulumi.String("solid.example.com")})
				if err != nil {
					return err
				}
				check, err := newHTTPSCheck(ctx, "lb-check", "solid.example.com", "/health", false)
				if err != nil {
					return err
				}
				var hc pulumi.StringPtrInput
				if !violate {
					hc = check.ID()
				}
				_, err = newWeightedRecord(ctx, zone, hc)
				return err
			}
		}},
		{name: "drain-check-not-inverted", policy: "ha-drain-check-inverted", program: func(violate bool) pulumi.RunFunc {
			return func(ctx *pulumi.Context) error {
				zone, err := route53.NewZone(ctx, "zone", &route53.ZoneArgs{Name: pulumi.String("solid.example.com")})
				if err != nil {
					return err
				}
				drain, err := newHTTPSCheck(ctx, "drain-check",
					"example-solid-prod-stop-123456789012-us-east-1.s3.us-east-1.amazonaws.com", "/drain", !violate)
				if err != nil {
					return err
				}
				lb, err := newHTTPSCheck(ctx, "lb-check", "solid.example.com", "/health", false)
				if err != nil {
					return err
				}
				region, err := route53.NewHealthCheck(ctx, "region-check", &route53.HealthCheckArgs{
					Type:                 pulumi.String("CALCULATED"),
					ChildHealthchecks:    pulumi.StringArray{drain.ID(), lb.ID()},
					ChildHealthThreshold: pulumi.Int(2),
				})
				if err != nil {
					return err
				}
				_, err = newWeightedRecord(ctx, zone, region.ID())
				return err
			}
		}},
		{name: "cluster-outside-global-database", policy: "ha-global-database-member", config: `"multiRegion": true`, program: func(violate bool) pulumi.RunFunc {
			return func(ctx *pulumi.Context) error {
				global, err := rds.NewGlobalCluster(ctx, "global", &rds.GlobalClusterArgs{
					GlobalClusterIdentifier: pulumi.String("example-solid-prod-global"),
					Engine:                  pulumi.String("aurora-postgresql"), EngineVersion: pulumi.String("16.11"),
					StorageEncrypted: pulumi.Bool(true),
				})
				if err != nil {
					return err
				}
				args := &rds.ClusterArgs{
					Engine: pulumi.String("aurora-postgresql"), EngineVersion: pulumi.String("16.11"),
					MasterUsername: pulumi.String("ess"), ManageMasterUserPassword: pulumi.Bool(true),
					StorageEncrypted: pulumi.Bool(true),
				}
				if !violate {
					args.GlobalClusterIdentifier = global.ID()
				}
				_, err = rds.NewCluster(ctx, "cluster", args)
				return err
			}
		}},
		{name: "registry-replicated-to-own-region", policy: "ha-registry-replicated", config: `"multiRegion": true`, program: func(violate bool) pulumi.RunFunc {
			destination := "us-west-2"
			if violate {
				destination = "us-east-1"
			}
			return func(ctx *pulumi.Context) error {
				if _, err := ecr.NewRepository(ctx, "ess-ldp", &ecr.RepositoryArgs{Name: pulumi.String("inrupt/ess-ldp")}); err != nil {
					return err
				}
				_, err := ecr.NewReplicationConfiguration(ctx, "replication", &ecr.ReplicationConfigurationArgs{
					ReplicationConfiguration: &ecr.ReplicationConfigurationReplicationConfigurationArgs{
						Rules: ecr.ReplicationConfigurationReplicationConfigurationRuleArray{
							&ecr.ReplicationConfigurationReplicationConfigurationRuleArgs{
								Destinations: ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArray{
									&ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs{
										Region: pulumi.String(destination), RegistryId: pulumi.String("123456789012"),
									},
								},
							},
						},
					},
				})
				return err
			}
		}},
	}
}

// smallNetwork is a VPC with a public and a private subnet per zone.
type smallNetwork struct {
	public, private []*ec2.Subnet
}

// newNetwork creates a VPC with, in each zone, a public subnet (its route table sends 0.0.0.0/0 to the
// internet gateway) and a private one (its route table has no default route).
func newNetwork(ctx *pulumi.Context, zones []string) (*smallNetwork, error) {
	vpc, err := ec2.NewVpc(ctx, "vpc", &ec2.VpcArgs{CidrBlock: pulumi.String("10.0.0.0/16")})
	if err != nil {
		return nil, err
	}
	igw, err := ec2.NewInternetGateway(ctx, "igw", &ec2.InternetGatewayArgs{VpcId: vpc.ID()})
	if err != nil {
		return nil, err
	}
	publicRT, err := ec2.NewRouteTable(ctx, "public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{
			CidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID(),
		}},
	})
	if err != nil {
		return nil, err
	}
	privateRT, err := ec2.NewRouteTable(ctx, "private", &ec2.RouteTableArgs{VpcId: vpc.ID()})
	if err != nil {
		return nil, err
	}
	n := &smallNetwork{}
	for i, zone := range zones {
		for _, tier := range []struct {
			name  string
			cidr  int
			table *ec2.RouteTable
			into  *[]*ec2.Subnet
		}{{"public", i, publicRT, &n.public}, {"private", 100 + i, privateRT, &n.private}} {
			name := tier.name + "-" + zone
			sn, err := ec2.NewSubnet(ctx, name, &ec2.SubnetArgs{
				VpcId: vpc.ID(), CidrBlock: pulumi.Sprintf("10.0.%d.0/24", tier.cidr), AvailabilityZone: pulumi.String(zone),
			})
			if err != nil {
				return nil, err
			}
			if _, err := ec2.NewRouteTableAssociation(ctx, name, &ec2.RouteTableAssociationArgs{
				SubnetId: sn.ID(), RouteTableId: tier.table.ID(),
			}); err != nil {
				return nil, err
			}
			*tier.into = append(*tier.into, sn)
		}
	}
	return n, nil
}

// newPool creates an auto-scaling group tagged pool=name over subnets, with its launch template.
func newPool(ctx *pulumi.Context, name string, subnets []*ec2.Subnet, userData string) (*autoscaling.Group, error) {
	return newPoolTagged(ctx, name, name, subnets, userData)
}

// newPoolTagged creates an auto-scaling group named name, tagged pool=pool, over subnets.
func newPoolTagged(ctx *pulumi.Context, name, pool string, subnets []*ec2.Subnet, userData string) (*autoscaling.Group, error) {
	args := &ec2.LaunchTemplateArgs{
		ImageId: pulumi.String("ami-0123456789abcdef0"), InstanceType: pulumi.String("m6i.large"),
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{HttpTokens: pulumi.String("required")},
	}
	if userData != "" {
		args.UserData = pulumi.String(base64.StdEncoding.EncodeToString([]byte(userData)))
	}
	lt, err := ec2.NewLaunchTemplate(ctx, name+"-lt", args)
	if err != nil {
		return nil, err
	}
	ids := make(pulumi.StringArray, len(subnets))
	for i, s := range subnets {
		ids[i] = s.ID()
	}
	return autoscaling.NewGroup(ctx, name+"-asg", &autoscaling.GroupArgs{
		MinSize: pulumi.Int(2), MaxSize: pulumi.Int(4), VpcZoneIdentifiers: ids,
		LaunchTemplate: &autoscaling.GroupLaunchTemplateArgs{Id: lt.ID(), Version: pulumi.String("$Latest")},
		Tags: autoscaling.GroupTagArray{&autoscaling.GroupTagArgs{
			Key: pulumi.String("pool"), Value: pulumi.String(pool), PropagateAtLaunch: pulumi.Bool(true),
		}},
	})
}

// newHTTPSCheck creates a Route 53 HTTPS health check of fqdn and path.
func newHTTPSCheck(ctx *pulumi.Context, name, fqdn, path string, invert bool) (*route53.HealthCheck, error) {
	return route53.NewHealthCheck(ctx, name, &route53.HealthCheckArgs{
		Type: pulumi.String("HTTPS"), Fqdn: pulumi.String(fqdn), Port: pulumi.Int(443),
		ResourcePath: pulumi.String(path), FailureThreshold: pulumi.Int(3), RequestInterval: pulumi.Int(30),
		InvertHealthcheck: pulumi.Bool(invert),
	})
}

// newWeightedRecord creates this region's weighted A record of solid.example.com, with a health check
// when healthCheck is not nil.
func newWeightedRecord(ctx *pulumi.Context, zone *route53.Zone, healthCheck pulumi.StringPtrInput) (*route53.Record, error) {
	return route53.NewRecord(ctx, "solid.example.com-us-east-1-A", &route53.RecordArgs{
		ZoneId: zone.ZoneId, Name: pulumi.String("solid.example.com"), Type: pulumi.String("A"),
		Ttl: pulumi.Int(60), Records: pulumi.StringArray{pulumi.String("192.0.2.10")},
		SetIdentifier: pulumi.String("us-east-1"), HealthCheckId: healthCheck,
		WeightedRoutingPolicies: route53.RecordWeightedRoutingPolicyArray{
			&route53.RecordWeightedRoutingPolicyArgs{Weight: pulumi.Int(100)},
		},
	})
}

// launchTemplateAllowingIMDSv1 is a program with a launch template that leaves metadataOptions unset, so
// its instances accept IMDSv1.
func launchTemplateAllowingIMDSv1(ctx *pulumi.Context) error {
	_, err := ec2.NewLaunchTemplate(ctx, "ess-lt", &ec2.LaunchTemplateArgs{
		ImageId: pulumi.String("ami-0123456789abcdef0"), InstanceType: pulumi.String("m6i.large"),
	})
	return err
}

// levelConfig is a --policy-pack-config that runs only policy, at level, with its extra configuration.
func levelConfig(policy, level, extra string) string {
	if extra != "" {
		extra = ", " + extra
	}
	return fmt.Sprintf(`{"all": "disabled", %q: {"enforcementLevel": %q%s}}`, policy, level, extra)
}
