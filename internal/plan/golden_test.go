package plan_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/plan"
)

// TestResourceTreeGolden holds the resource tree of each shipped stack's plan (testdata/<stack>.tree.golden):
// every resource on one line, under its parent, with its type, its name and the inputs that decide the
// deployment's shape (zones, CIDRs, sizes, engines, weights, health checks, policies). A refactor must not
// change it; a deliberate change shows as a diff of the properties it changed. Run with -update to rewrite.
func TestResourceTreeGolden(t *testing.T) {
	t.Parallel()
	for _, name := range shippedStacks(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := plan.Run(t.Context(), plan.Options{Stack: name})
			require.NoError(t, err)
			got := resourceTree(res.Deployment)
			golden := filepath.Join("testdata", name+".tree.golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./internal/plan -run TestResourceTreeGolden -update to create %s", golden)
			assert.Equal(t, string(want), got, "the plan of %s changed; if that is meant, rewrite %s with "+
				"go test ./internal/plan -run TestResourceTreeGolden -update and review the diff", name, golden)
		})
	}
}

// treeProperties are the inputs shown for each resource type, in this order. A type not listed shows
// its type and name only.
var treeProperties = map[string][]string{
	"pulumi:providers:aws": {"region"},

	"aws:ec2/vpc:Vpc":                                   {"cidrBlock", "enableDnsHostnames", "enableDnsSupport"},
	"aws:ec2/subnet:Subnet":                             {"availabilityZone", "cidrBlock", "mapPublicIpOnLaunch", "vpcId"},
	"aws:ec2/securityGroup:SecurityGroup":               {"vpcId", "ingress", "egress"},
	"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {"ingress", "egress"},
	"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"securityGroupId", "ipProtocol", "fromPort", "toPort",
		"referencedSecurityGroupId", "cidrIpv4", "cidrIpv6", "prefixListId"},
	"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"securityGroupId", "ipProtocol", "fromPort", "toPort",
		"referencedSecurityGroupId", "cidrIpv4", "cidrIpv6", "prefixListId"},
	"aws:ec2/internetGateway:InternetGateway":             {"vpcId"},
	"aws:ec2/eip:Eip":                                     {"domain"},
	"aws:ec2/natGateway:NatGateway":                       {"subnetId", "allocationId"},
	"aws:ec2/routeTable:RouteTable":                       {"vpcId"},
	"aws:ec2/route:Route":                                 {"routeTableId", "destinationCidrBlock", "gatewayId", "natGatewayId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation": {"routeTableId", "subnetId"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                     {"serviceName", "vpcEndpointType", "privateDnsEnabled", "subnetIds", "routeTableIds", "securityGroupIds"},
	"aws:ec2/flowLog:FlowLog":                             {"vpcId", "trafficType", "logDestinationType", "logDestination"},
	"aws:ec2/launchTemplate:LaunchTemplate":               {"imageId", "metadataOptions", "monitoring", "blockDeviceMappings", "networkInterfaces", "iamInstanceProfile", "userData"},

	"aws:autoscaling/group:Group": {"minSize", "maxSize", "desiredCapacity", "vpcZoneIdentifiers", "healthCheckType",
		"healthCheckGracePeriod", "targetGroupArns", "capacityRebalance", "instanceRefresh", "instanceMaintenancePolicy",
		"initialLifecycleHooks", "mixedInstancesPolicy"},
	"aws:autoscaling/lifecycleHook:LifecycleHook": {"autoscalingGroupName", "lifecycleTransition", "defaultResult", "heartbeatTimeout"},
	"aws:autoscaling/policy:Policy":               {"autoscalingGroupName", "policyType", "targetTrackingConfiguration"},

	"aws:elasticache/subnetGroup:SubnetGroup": {"subnetIds"},
	"aws:elasticache/replicationGroup:ReplicationGroup": {"engine", "engineVersion", "nodeType", "numCacheClusters",
		"multiAzEnabled", "automaticFailoverEnabled", "preferredCacheClusterAzs", "atRestEncryptionEnabled",
		"transitEncryptionEnabled", "subnetGroupName", "securityGroupIds"},

	"aws:rds/subnetGroup:SubnetGroup":                     {"subnetIds"},
	"aws:rds/clusterParameterGroup:ClusterParameterGroup": {"family", "parameters"},
	"aws:rds/globalCluster:GlobalCluster":                 {"globalClusterIdentifier", "engine", "engineVersion", "storageEncrypted", "deletionProtection"},
	"aws:rds/cluster:Cluster": {"clusterIdentifier", "engine", "engineVersion", "globalClusterIdentifier", "storageEncrypted",
		"kmsKeyId", "deletionProtection", "backupRetentionPeriod", "dbSubnetGroupName", "vpcSecurityGroupIds"},
	"aws:rds/clusterInstance:ClusterInstance": {"clusterIdentifier", "availabilityZone", "instanceClass", "promotionTier", "publiclyAccessible"},

	"aws:kms/key:Key":                                   {"enableKeyRotation", "deletionWindowInDays"},
	"aws:kms/alias:Alias":                               {"name", "targetKeyId"},
	"aws:secretsmanager/secret:Secret":                  {"kmsKeyId", "replicas", "recoveryWindowInDays"},
	"aws:ssm/parameter:Parameter":                       {"name", "type"},
	"aws:cloudwatch/logGroup:LogGroup":                  {"name", "retentionInDays", "kmsKeyId"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {"role", "policyArn"},
	"aws:iam/instanceProfile:InstanceProfile":           {"role"},
	"aws:sns/topic:Topic":                               {"kmsMasterKeyId"},
	"aws:sns/topicSubscription:TopicSubscription":       {"topic", "protocol"},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {"namespace", "metricName", "dimensions", "statistic", "comparisonOperator",
		"threshold", "period", "evaluationPeriods", "datapointsToAlarm", "treatMissingData", "alarmActions"},

	"aws:route53/zone:Zone": {"name"},
	"aws:route53/record:Record": {"zoneId", "name", "type", "setIdentifier", "weightedRoutingPolicies", "healthCheckId",
		"aliases", "ttl", "records"},
	"aws:route53/healthCheck:HealthCheck": {"type", "fqdn", "port", "resourcePath", "invertHealthcheck", "failureThreshold",
		"requestInterval", "regions", "childHealthchecks", "childHealthThreshold", "cloudwatchAlarmName", "cloudwatchAlarmRegion",
		"insufficientDataHealthStatus"},
	"aws:acm/certificate:Certificate": {"domainName", "subjectAlternativeNames", "validationMethod"},

	"aws:lb/loadBalancer:LoadBalancer": {"loadBalancerType", "internal", "ipAddressType", "subnets", "securityGroups",
		"dropInvalidHeaderFields", "enableDeletionProtection", "accessLogs"},
	"aws:lb/listener:Listener":         {"loadBalancerArn", "port", "protocol", "sslPolicy", "defaultActions"},
	"aws:lb/targetGroup:TargetGroup":   {"port", "protocol", "targetType", "healthCheck", "deregistrationDelay"},
	"aws:lb/listenerRule:ListenerRule": {"listenerArn", "priority", "conditions", "actions"},

	"aws:s3/bucketV2:BucketV2":                                                                   {"bucket"},
	"aws:s3/bucketPolicy:BucketPolicy":                                                           {"bucket", "policy"},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     {"bucket", "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     {"bucket", "rule"},
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               {"bucket", "versioningConfiguration"},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"bucket", "rules"},

	"aws:ecr/repository:Repository":                             {"name", "imageTagMutability", "imageScanningConfiguration", "encryptionConfigurations"},
	"aws:ecr/replicationConfiguration:ReplicationConfiguration": {"replicationConfiguration"},
}

// jsonDocuments are the string inputs that hold a JSON document (IAM and bucket policies), shown decoded.
var jsonDocuments = map[string]bool{"policy": true}

// providerVersion is the version suffix of a default provider's name (default_6_83_2): it follows go.mod,
// not the program, so the tree leaves it out.
var providerVersion = regexp.MustCompile(`_\d+_\d+_\d+$`)

// secretSig marks a secret value in state files.
const secretSig = "4dabf18193072939515e22adb298388d"

// resourceTree writes a deployment as an indented tree, one resource per line: siblings sorted by type
// then name, each line "<type> <name>" and then key=value for the inputs treeProperties lists. Values
// are JSON; the ID or ARN of another resource of the plan is written @<name> (its name in the tree) (the mocks' IDs are
// hashes a reader cannot follow), user data as the SHA-256 of its decoded script, secrets as [secret].
func resourceTree(dep *apitype.DeploymentV3) string {
	refs := map[string]string{}
	children := map[resource.URN][]*apitype.ResourceV3{}
	var roots []*apitype.ResourceV3
	for i := range dep.Resources {
		r := &dep.Resources[i]
		name := treeName(r)
		if r.ID != "" {
			refs[string(r.ID)] = "@" + name
		}
		if arn, ok := r.Outputs["arn"].(string); ok && arn != "" {
			refs[arn] = "@" + name
		}
		if r.Parent == "" {
			roots = append(roots, r)
		} else {
			children[r.Parent] = append(children[r.Parent], r)
		}
	}
	var b strings.Builder
	var write func(rs []*apitype.ResourceV3, depth int)
	write = func(rs []*apitype.ResourceV3, depth int) {
		slices.SortFunc(rs, func(x, y *apitype.ResourceV3) int {
			if c := strings.Compare(string(x.Type), string(y.Type)); c != 0 {
				return c
			}
			return strings.Compare(treeName(x), treeName(y))
		})
		for _, r := range rs {
			fmt.Fprintf(&b, "%s%s %s", strings.Repeat("  ", depth), r.Type, treeName(r))
			for _, k := range treeProperties[string(r.Type)] {
				v, ok := r.Inputs[k]
				if !ok {
					continue
				}
				fmt.Fprintf(&b, " %s=%s", k, treeValue(k, v, refs, string(r.ID)))
			}
			b.WriteString("\n")
			write(children[r.URN], depth+1)
		}
	}
	write(roots, 0)
	return b.String()
}

// treeName is a resource's name as the tree shows it.
func treeName(r *apitype.ResourceV3) string {
	name := r.URN.Name()
	if strings.HasPrefix(string(r.Type), "pulumi:providers:") {
		name = providerVersion.ReplaceAllString(name, "")
	}
	return name
}

// treeValue renders one input.
func treeValue(key string, v any, refs map[string]string, self string) string {
	if s, ok := v.(string); ok {
		switch {
		case key == "userData":
			return "sha256:" + userDataDigest(s)
		case jsonDocuments[key]:
			var doc any
			if json.Unmarshal([]byte(s), &doc) == nil {
				v = doc
			}
		}
	}
	out, err := json.Marshal(replaceRefs(v, refs, self))
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(out)
}

// replaceRefs writes the IDs and ARNs of the plan's other resources as @<name>, and secrets as [secret].
// A resource's own ID (a bucket's or an SSM parameter's name, a cluster's identifier) is shown as is.
func replaceRefs(v any, refs map[string]string, self string) any {
	switch v := v.(type) {
	case string:
		if r, ok := refs[v]; ok && v != self {
			return r
		}
		return v
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = replaceRefs(e, refs, self)
		}
		return out
	case map[string]any:
		if _, ok := v[secretSig]; ok {
			return "[secret]"
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = replaceRefs(e, refs, self)
		}
		return out
	}
	return v
}

// userDataDigest is the first 16 hex digits of the SHA-256 of user data's script (base64-decoded when
// it is base64, as launch templates require).
func userDataDigest(s string) string {
	data := []byte(s)
	if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
		data = dec
	}
	sum := sha256.Sum256(data)
	return fmt.Sprintf("%x", sum[:8])
}

// TestResourceTreeShowsAChangedProperty proves the golden tree is more than counts: one changed input
// changes its line.
func TestResourceTreeShowsAChangedProperty(t *testing.T) {
	t.Parallel()
	res, err := plan.Run(t.Context(), plan.Options{Stack: "prod-us-east-1"})
	require.NoError(t, err)
	before := resourceTree(res.Deployment)
	changed := false
	for i := range res.Deployment.Resources {
		r := &res.Deployment.Resources[i]
		if r.Type == "aws:autoscaling/group:Group" && !changed {
			r.Inputs["minSize"] = 1.0
			changed = true
		}
	}
	require.True(t, changed)
	after := resourceTree(res.Deployment)
	assert.NotEqual(t, before, after)
	assert.Contains(t, after, "minSize=1 ")
}
