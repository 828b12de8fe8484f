package rules

import (
	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// The controls of external frameworks the policies serve. Each was checked against the page cited beside
// it; a policy maps only to controls whose check it actually performs (or a part of it).
var (
	// AWS Well-Architected Framework, Reliability pillar.

	// REL10-BP01: https://docs.aws.amazon.com/es_es/wellarchitected/2023-04-10/framework/rel_fault_isolation_multiaz_region_system.html
	// ("REL10-BP01 Implementar la carga de trabajo en varias ubicaciones"; English title from the current framework).
	rel10bp01 = wa("REL10-BP01", "Deploy the workload to multiple locations",
		"https://docs.aws.amazon.com/wellarchitected/latest/framework/rel_fault_isolation_multiaz_region_system.html")
	// REL10-BP04: https://docs.aws.amazon.com/wellarchitected/latest/reducing-scope-of-impact-with-cell-based-architecture/further-reading.html
	// ("REL10-BP04 Use bulkhead architectures to limit scope of impact").
	rel10bp04 = wa("REL10-BP04", "Use bulkhead architectures to limit scope of impact",
		"https://docs.aws.amazon.com/wellarchitected/latest/reducing-scope-of-impact-with-cell-based-architecture/further-reading.html")
	// REL11-BP01 to BP05: https://docs.aws.amazon.com/wellarchitected/latest/framework/rel11.md
	// ("REL11: How do you design your workload to withstand component failures?").
	rel11bp01 = wa("REL11-BP01", "Monitor all components of the workload to detect failures",
		"https://docs.aws.amazon.com/wellarchitected/latest/framework/rel11-bp01.html")
	rel11bp02 = wa("REL11-BP02", "Fail over to healthy resources",
		"https://docs.aws.amazon.com/wellarchitected/latest/framework/rel11-bp02.html")
	rel11bp03 = wa("REL11-BP03", "Automate healing on all layers",
		"https://docs.aws.amazon.com/wellarchitected/latest/framework/rel11-bp03.html")
	rel11bp04 = wa("REL11-BP04", "Rely on the data plane and not the control plane during recovery",
		"https://docs.aws.amazon.com/wellarchitected/latest/framework/rel11-bp04.html")
	rel11bp05 = wa("REL11-BP05", "Use static stability to prevent bimodal behavior",
		"https://docs.aws.amazon.com/wellarchitected/latest/framework/rel11-bp05.html")
	// REL09-BP01 to BP03: https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/back-up-data.md
	rel09bp01 = wa("REL09-BP01", "Identify and back up all data that needs to be backed up, or reproduce the data from sources",
		"https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_backing_up_data_identified_backups_data.html")
	rel09bp02 = wa("REL09-BP02", "Secure and encrypt backups",
		"https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_backing_up_data_secured_backups_data.html")
	rel09bp03 = wa("REL09-BP03", "Perform data backup automatically",
		"https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_backing_up_data_automated_backups_data.html")

	// AWS Security Hub, AWS Foundational Security Best Practices.

	// AutoScaling.1 and AutoScaling.2: https://docs.aws.amazon.com/de_de/securityhub/latest/userguide/autoscaling-controls.md
	// and https://docs.aws.amazon.com/ja_jp/securityhub/latest/userguide/autoscaling-controls.html.
	autoScaling1 = sh("AutoScaling.1", "Auto Scaling groups associated with a load balancer should use ELB health checks",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/autoscaling-controls.html#autoscaling-1")
	autoScaling2 = sh("AutoScaling.2", "Amazon EC2 Auto Scaling group should cover multiple Availability Zones",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/autoscaling-controls.html#autoscaling-2")
	// RDS.5: https://hub.steampipe.io/plugins/turbot/terraform/queries/rds/rds_db_instance_multiple_az_enabled
	// (Foundational Security "5 RDS DB instances should be configured with multiple Availability Zones");
	// RDS.15: https://www.emnode.com/learn/control/rds-15/ ("distinct from RDS.5, which covers classic
	// Multi-AZ on standalone instances").
	rds5 = sh("RDS.5", "RDS DB instances should be configured with multiple Availability Zones",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-5")
	rds15 = sh("RDS.15", "RDS DB clusters should be configured for multiple Availability Zones",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-15")
	// RDS.7 and RDS.8: https://www.emnode.com/learn/control/rds-7/ ("It is the cluster counterpart to RDS.8,
	// which checks the same flag on standalone instances").
	rds7 = sh("RDS.7", "RDS clusters should have deletion protection enabled",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-7")
	rds8 = sh("RDS.8", "RDS DB instances should have deletion protection enabled",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-8")
	// ElastiCache.3: https://hub.steampipe.io/plugins/turbot/aws/queries/elasti_cache/elasticache_replication_group_auto_failover_enabled
	// ("3 ElastiCache for Redis replication groups should have automatic failover enabled").
	elastiCache3 = sh("ElastiCache.3", "ElastiCache replication groups should have automatic failover enabled",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/elasticache-controls.html#elasticache-3")
	// ELB.1, ELB.4 and ELB.13: https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html
	elb1 = sh("ELB.1", "Application Load Balancer should be configured to redirect all HTTP requests to HTTPS",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html#elb-1")
	elb4 = sh("ELB.4", "Application Load Balancer should be configured to drop invalid http headers",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html#elb-4")
	elb13 = sh("ELB.13", "Application, Network and Gateway Load Balancers should span multiple Availability Zones",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html#elb-13")
	// ECR.1 and ECR.2: https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.md
	ecr1 = sh("ECR.1", "ECR private repositories should have image scanning configured",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-1")
	ecr2 = sh("ECR.2", "ECR private repositories should have tag immutability configured",
		"https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-2")
)

func wa(id, title, url string) policy.Control {
	return policy.Control{Framework: policy.WellArchitected, ID: id, Title: title, URL: url}
}

func sh(id, title, url string) policy.Control {
	return policy.Control{Framework: policy.SecurityHub, ID: id, Title: title, URL: url}
}

// metadata is what each policy checks (the resource types an audit counts as its evidence) and the
// controls it serves.
type metadata struct {
	types    []string
	controls []policy.Control
}

// Type tokens the graph has no constant for.
const (
	typeRoute53HealthCheck = typeHealthCheck
	typeECSService         = graph.TypeEcsService
)

// catalogMetadata maps each policy to its metadata.
var catalogMetadata = map[string]metadata{
	MinAvailabilityZones: {
		types: []string{graph.TypeVpc, graph.TypeSubnet, graph.TypeAutoscalingGroup, graph.TypeLoadBalancer, graph.TypeClassicLoadBalancer,
			graph.TypeGlobalAcceleratorEndpointGroup, graph.TypeRdsSubnetGroup, graph.TypeCacheSubnetGroup, graph.TypeCacheReplication},
		controls: []policy.Control{rel10bp01, autoScaling2, elb13},
	},
	PublicSubnetsLBOnly: {
		types: []string{graph.TypeSubnet, graph.TypeRouteTableAssociation, graph.TypeAutoscalingGroup, graph.TypeInstance,
			graph.TypeLaunchTemplate, graph.TypeLaunchConfiguration, graph.TypeNetworkInterface, graph.TypeEip, graph.TypeRdsInstance,
			graph.TypeRdsClusterInstance, graph.TypeRdsSubnetGroup, graph.TypeCacheSubnetGroup, graph.TypeVpcEndpoint,
			graph.TypeEfsMountTarget, graph.TypeLambdaFunction, typeECSService},
		controls: []policy.Control{rel10bp04},
	},
	RdsMultiAZ: {
		types:    []string{graph.TypeRdsInstance, graph.TypeRdsCluster, graph.TypeRdsClusterInstance},
		controls: []policy.Control{rel10bp01, rel11bp02, rds5, rds15},
	},
	PrivateRegistry: {
		types: []string{graph.TypeLaunchTemplate, graph.TypeLaunchConfiguration, graph.TypeInstance, graph.TypeEcsTaskDefinition,
			graph.TypeBatchJobDefinition, graph.TypeEcrRepository},
		controls: []policy.Control{ecr1, ecr2},
	},
	SeparatePools: {
		types:    []string{graph.TypeAutoscalingGroup, graph.TypeTargetGroup, graph.TypeListener, graph.TypeListenerRule, graph.TypeLoadBalancer},
		controls: []policy.Control{rel10bp04},
	},
	RunsInVPC: {
		types: []string{graph.TypeAutoscalingGroup, graph.TypeInstance, graph.TypeRdsInstance, graph.TypeRdsCluster,
			graph.TypeCacheReplication, graph.TypeCacheCluster, graph.TypeLoadBalancer},
	},
	IMDSv2Required: {
		types: []string{graph.TypeLaunchTemplate, graph.TypeInstance, graph.TypeLaunchConfiguration},
	},
	EncryptionAtRest: {
		types: []string{graph.TypeRdsInstance, graph.TypeRdsCluster, graph.TypeCacheReplication, graph.TypeEcrRepository,
			graph.TypeS3BucketV2, graph.TypeS3Bucket, graph.TypeLaunchTemplate, graph.TypeInstance, graph.TypeLaunchConfiguration,
			graph.TypeEbsVolume, graph.TypeEfsFileSystem, graph.TypeCloudwatchLogGroup},
		controls: []policy.Control{rel09bp02},
	},
	DatabaseProtection: {
		types:    []string{graph.TypeRdsInstance, graph.TypeRdsCluster},
		controls: []policy.Control{rel09bp01, rel09bp03, rds7, rds8},
	},
	LBHTTPSOnly: {
		types:    []string{graph.TypeLoadBalancer, graph.TypeListener, graph.TypeListenerRule},
		controls: []policy.Control{elb1, elb4},
	},
	NatPerAZ: {
		types:    []string{graph.TypeNatGateway, graph.TypeSubnet, graph.TypeRouteTable},
		controls: []policy.Control{rel10bp01, rel11bp05},
	},
	CacheFailover: {
		types:    []string{graph.TypeCacheReplication, graph.TypeCacheCluster},
		controls: []policy.Control{rel11bp02, elastiCache3},
	},
	NoOpenIngress: {
		types: []string{graph.TypeSecurityGroup, graph.TypeDefaultSecurityGroup, graph.TypeSecurityGroupRule,
			graph.TypeSecurityGroupIngressRule},
	},
	DNSNames: {
		types: []string{graph.TypeRoute53Record, graph.TypeRoute53Zone, graph.TypeLoadBalancer, graph.TypeAcmCertificate},
	},
	DNSAAAADualStack: {
		types: []string{graph.TypeRoute53Record, graph.TypeLoadBalancer, graph.TypeCloudfrontDistribution, graph.TypeGlobalAccelerator},
	},
	EssLaunchBeforeTerminate: {
		types:    []string{graph.TypeAutoscalingGroup},
		controls: []policy.Control{rel11bp03, rel11bp05},
	},
	BucketsNotPublic: {
		types: []string{graph.TypeS3BucketV2, graph.TypeS3Bucket, "aws:s3/bucketPolicy:BucketPolicy",
			"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketAclV2:BucketAclV2"},
	},
	DBEngineVersionMajor: {
		types: []string{graph.TypeRdsInstance},
	},
	EssCapacityPerAZ: {
		types:    []string{graph.TypeAutoscalingGroup},
		controls: []policy.Control{rel11bp05, autoScaling1, autoScaling2},
	},
	WeightedRecordsHealthChecked: {
		types:    []string{graph.TypeRoute53Record, typeRoute53HealthCheck},
		controls: []policy.Control{rel11bp01, rel11bp02},
	},
	DrainCheckInverted: {
		types:    []string{typeRoute53HealthCheck, graph.TypeRoute53Record},
		controls: []policy.Control{rel11bp02, rel11bp04},
	},
	GlobalDatabaseMember: {
		types:    []string{graph.TypeRdsCluster, typeGlobalCluster},
		controls: []policy.Control{rel10bp01, rel11bp02},
	},
	RegistryReplicated: {
		types:    []string{graph.TypeEcrRepository, typeEcrReplication},
		controls: []policy.Control{rel10bp01},
	},
	PairOneZone: {
		types:    []string{graph.TypeRoute53Record},
		controls: []policy.Control{rel11bp02},
	},
	PairDrainCrossRegion: {
		types:    []string{typeRoute53HealthCheck, graph.TypeS3BucketV2, graph.TypeS3Bucket},
		controls: []policy.Control{rel11bp04, rel10bp01},
	},
	PairGlobalDatabase: {
		types:    []string{graph.TypeRdsCluster, typeGlobalCluster},
		controls: []policy.Control{rel10bp01, rel11bp02},
	},
	PairRegistryBothWays: {
		types:    []string{typeEcrReplication},
		controls: []policy.Control{rel10bp01},
	},
	PairSetIdentifiers: {
		types:    []string{graph.TypeRoute53Record},
		controls: []policy.Control{rel11bp02},
	},
}

// withMetadata fills in each policy's Types and Controls.
func withMetadata(ps []policy.Policy) []policy.Policy {
	for i := range ps {
		m := catalogMetadata[ps[i].Name]
		ps[i].Types = append([]string(nil), m.types...)
		ps[i].Controls = append([]policy.Control(nil), m.controls...)
	}
	return ps
}
