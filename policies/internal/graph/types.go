package graph

import "strings"

// Type tokens of the pulumi-aws v6 resources the graph and the policies understand. Where pulumi-aws
// has several tokens for one resource (the aws:alb module is an alias of aws:lb), these are the canonical
// ones; Canonical maps the others to them.
const (
	TypeVpc                       = "aws:ec2/vpc:Vpc"
	TypeSubnet                    = "aws:ec2/subnet:Subnet"
	TypeRouteTable                = "aws:ec2/routeTable:RouteTable"
	TypeDefaultRouteTable         = "aws:ec2/defaultRouteTable:DefaultRouteTable"
	TypeRoute                     = "aws:ec2/route:Route"
	TypeRouteTableAssociation     = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TypeMainRouteTableAssociation = "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation"
	TypeInternetGateway           = "aws:ec2/internetGateway:InternetGateway"
	TypeVpnGateway                = "aws:ec2/vpnGateway:VpnGateway"
	TypeNatGateway                = "aws:ec2/natGateway:NatGateway"
	TypeEip                       = "aws:ec2/eip:Eip"
	TypeInstance                  = "aws:ec2/instance:Instance"
	TypeLaunchTemplate            = "aws:ec2/launchTemplate:LaunchTemplate"
	TypeLaunchConfiguration       = "aws:ec2/launchConfiguration:LaunchConfiguration"
	TypeNetworkInterface          = "aws:ec2/networkInterface:NetworkInterface"
	TypeVpcEndpoint               = "aws:ec2/vpcEndpoint:VpcEndpoint"
	TypeSecurityGroup             = "aws:ec2/securityGroup:SecurityGroup"
	TypeDefaultSecurityGroup      = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	TypeSecurityGroupRule         = "aws:ec2/securityGroupRule:SecurityGroupRule"
	TypeSecurityGroupIngressRule  = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	TypeEbsVolume                 = "aws:ebs/volume:Volume"
	TypeEbsEncryptionByDefault    = "aws:ebs/encryptionByDefault:EncryptionByDefault"

	TypeAutoscalingGroup      = "aws:autoscaling/group:Group"
	TypeAutoscalingAttachment = "aws:autoscaling/attachment:Attachment"

	TypeLoadBalancer          = "aws:lb/loadBalancer:LoadBalancer"
	TypeListener              = "aws:lb/listener:Listener"
	TypeListenerRule          = "aws:lb/listenerRule:ListenerRule"
	TypeTargetGroup           = "aws:lb/targetGroup:TargetGroup"
	TypeTargetGroupAttachment = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
	TypeClassicLoadBalancer   = "aws:elb/loadBalancer:LoadBalancer"

	TypeGlobalAcceleratorEndpointGroup = "aws:globalaccelerator/endpointGroup:EndpointGroup"
	TypeGlobalAccelerator              = "aws:globalaccelerator/accelerator:Accelerator"

	TypeRdsInstance         = "aws:rds/instance:Instance"
	TypeRdsCluster          = "aws:rds/cluster:Cluster"
	TypeRdsClusterInstance  = "aws:rds/clusterInstance:ClusterInstance"
	TypeRdsSubnetGroup      = "aws:rds/subnetGroup:SubnetGroup"
	TypeCacheSubnetGroup    = "aws:elasticache/subnetGroup:SubnetGroup"
	TypeCacheReplication    = "aws:elasticache/replicationGroup:ReplicationGroup"
	TypeCacheCluster        = "aws:elasticache/cluster:Cluster"
	TypeEcrRepository       = "aws:ecr/repository:Repository"
	TypeEcrRegistryScanning = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
	TypeEcsTaskDefinition   = "aws:ecs/taskDefinition:TaskDefinition"
	TypeEcsService          = "aws:ecs/service:Service"
	TypeLambdaFunction      = "aws:lambda/function:Function"
	TypeEfsMountTarget      = "aws:efs/mountTarget:MountTarget"
	TypeEfsFileSystem       = "aws:efs/fileSystem:FileSystem"
	TypeBatchJobDefinition  = "aws:batch/jobDefinition:JobDefinition"

	TypeS3BucketV2             = "aws:s3/bucketV2:BucketV2"
	TypeS3Bucket               = "aws:s3/bucket:Bucket"
	TypeS3EncryptionConfigV2   = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	TypeS3EncryptionConfig     = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
	TypeCloudwatchLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	TypeRoute53Record          = "aws:route53/record:Record"
	TypeRoute53Zone            = "aws:route53/zone:Zone"
	TypeAcmCertificate         = "aws:acm/certificate:Certificate"
	TypeAcmCertValidation      = "aws:acm/certificateValidation:CertificateValidation"
	TypeCloudfrontDistribution = "aws:cloudfront/distribution:Distribution"
)

// aliases maps the other type tokens pulumi-aws registers for a resource to the canonical one.
var aliases = map[string]string{
	"aws:alb/loadBalancer:LoadBalancer":                                        TypeLoadBalancer,
	"aws:alb/listener:Listener":                                                TypeListener,
	"aws:alb/listenerRule:ListenerRule":                                        TypeListenerRule,
	"aws:alb/targetGroup:TargetGroup":                                          TypeTargetGroup,
	"aws:alb/targetGroupAttachment:TargetGroupAttachment":                      TypeTargetGroupAttachment,
	"aws:applicationloadbalancing/loadBalancer:LoadBalancer":                   TypeLoadBalancer,
	"aws:applicationloadbalancing/listener:Listener":                           TypeListener,
	"aws:applicationloadbalancing/listenerRule:ListenerRule":                   TypeListenerRule,
	"aws:applicationloadbalancing/targetGroup:TargetGroup":                     TypeTargetGroup,
	"aws:applicationloadbalancing/targetGroupAttachment:TargetGroupAttachment": TypeTargetGroupAttachment,
	"aws:elasticloadbalancingv2/loadBalancer:LoadBalancer":                     TypeLoadBalancer,
	"aws:elasticloadbalancingv2/listener:Listener":                             TypeListener,
	"aws:elasticloadbalancingv2/listenerRule:ListenerRule":                     TypeListenerRule,
	"aws:elasticloadbalancingv2/targetGroup:TargetGroup":                       TypeTargetGroup,
	"aws:elasticloadbalancingv2/targetGroupAttachment:TargetGroupAttachment":   TypeTargetGroupAttachment,
	"aws:elasticloadbalancing/loadBalancer:LoadBalancer":                       TypeClassicLoadBalancer,
}

// Canonical returns the canonical type token of t: t itself unless it is an alias.
func Canonical(t string) string {
	// Policies ask for the type of every resource they look at: the modules that have aliases are told
	// apart without hashing the token.
	if !aliasModule(t) {
		return t
	}
	if c, ok := aliases[t]; ok {
		return c
	}
	return t
}

// aliasModule reports whether a type token's module ("aws:<module>/...") is one that aliases has
// tokens of.
func aliasModule(t string) bool {
	module, _, _ := strings.Cut(strings.TrimPrefix(t, "aws:"), "/")
	switch module {
	case "alb", "applicationloadbalancing", "elasticloadbalancingv2", "elasticloadbalancing":
		return true
	}
	return false
}
