package synth

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// MixCellSize is the number of resources in one cell of NewMix.
const MixCellSize = CellSize + 30

// NewMix returns a stack of exactly n resources with the size and mix of a real production state: each
// cell is New's ESS deployment plus what surrounds it in practice (IAM roles and policies, KMS keys,
// log groups and alarms, SNS, SSM parameters and secrets, S3 buckets with their policies and
// configurations, Route 53 health checks, VPC endpoints and flow logs, security group rules, listener
// rules, scaling policies and lifecycle hooks, ECR lifecycle policies, ACM certificates), about 46 AWS
// resource types in all, and every resource carries tags and tagsAll as pulumi-aws writes them. 4,000
// resources make a state file of about 12.5 MB, the size of the reference state of the audit's speed
// goal.
func NewMix(n int) *Stack {
	g := &gen{}
	root := g.add(&Resource{URN: urn("pulumi:pulumi:Stack", project+"-"+stackName), Type: "pulumi:pulumi:Stack"})
	g.root = root.URN
	g.add(&Resource{URN: urn("pulumi:providers:aws", "default"), Type: "pulumi:providers:aws", ID: "prov-0",
		Custom: true, Inputs: map[string]any{"region": region}, Outputs: map[string]any{"region": region}})
	for i := 0; len(g.s.Resources)+MixCellSize <= n; i++ {
		start := len(g.s.Resources)
		g.cell(i)
		g.extras(i)
		for _, r := range g.s.Resources[start:] {
			tag(r, i)
		}
	}
	for i := 0; len(g.s.Resources) < n; i++ {
		tag(g.repository(fmt.Sprintf("pad-%d", i), g.root), i)
	}
	return &g.s
}

// tag gives a custom resource the tags a production stack carries, in its inputs (tags) and outputs
// (tags and tagsAll, the provider's default tags merged in).
func tag(r *Resource, cell int) {
	if !r.Custom || r.Type == "pulumi:providers:aws" {
		return
	}
	tags := map[string]any{
		"Name": r.URN.Name(), "project": project, "stack": stackName, "cell": fmt.Sprintf("cell-%04d", cell),
		"owner": "platform-team@example.org", "cost-center": "cc-4711-ess-production", "environment": "production",
		"data-classification": "internal", "managed-by": "pulumi", "backup-policy": "daily-35d",
		"application": "enterprise-solid-server", "business-unit": "digital-identity", "compliance-scope": "gdpr-eu-personal-data",
		"created-by": "ci-pipeline-deploy-role", "repository": "github.com/example-org/ess-infrastructure",
		"runbook": "https://wiki.example.org/runbooks/ess-ha", "security-contact": "security@example.org", "support-tier": "tier-1-24x7",
		"cost-allocation": "ess-prod-shared", "maintenance-window": "sun:03:00-sun:05:00", "retention": "keep-until-decommissioned",
	}
	all := map[string]any{"pulumi:project": project, "pulumi:stack": stackName, "compliance": "soc2-type2"}
	for k, v := range tags {
		all[k] = v
	}
	if r.Inputs == nil {
		r.Inputs = map[string]any{}
	}
	if r.Outputs == nil {
		r.Outputs = map[string]any{}
	}
	if _, isGroup := r.Inputs["vpcZoneIdentifiers"]; !isGroup { // auto-scaling groups keep their list of tags
		r.Inputs["tags"] = tags
		r.Outputs["tags"] = tags
	}
	r.Outputs["tagsAll"] = all
	if _, ok := r.Outputs["arn"]; !ok {
		r.Outputs["arn"] = arn("synthetic", r.Type+"/"+r.ID)
	}
}

// policyDoc is an IAM policy document as JSON text.
func policyDoc(actions []string, res string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "Allow", "Effect": "Allow", "Action": actions, "Resource": res,
	}}})
	return string(b)
}

// extras adds the resources around one cell: 30 resources.
func (g *gen) extras(i int) {
	n := func(s string) string { return fmt.Sprintf("c%d-%s", i, s) }
	id := func(prefix, s string) string { return fmt.Sprintf("%s-%08x%s", prefix, i, s) }
	p := urn("ess-ha:region:Region", n("region"))
	vpcID, subnetID := id("vpc", ""), id("subnet", "q0")

	assume := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role := g.custom("aws:iam/role:Role", n("instance-role"), n("instance-role"), p,
		map[string]any{"assumeRolePolicy": assume, "path": "/", "maxSessionDuration": 3600.0},
		map[string]any{"arn": fmt.Sprintf("arn:aws:iam::%s:role/%s", account, n("instance-role")), "uniqueId": id("AROA", "role"), "name": n("instance-role")}, nil)
	g.custom("aws:iam/rolePolicy:RolePolicy", n("instance-policy"), n("instance-role")+":ecr", p,
		map[string]any{"role": role.ID, "policy": policyDoc([]string{"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "logs:CreateLogStream", "logs:PutLogEvents", "ssm:GetParameter", "secretsmanager:GetSecretValue"}, "*")},
		nil, map[string][]*Resource{"role": {role}})
	g.custom("aws:iam/instanceProfile:InstanceProfile", n("instance-profile"), n("instance-profile"), p,
		map[string]any{"role": role.ID}, map[string]any{"arn": fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", account, n("instance-profile"))},
		map[string][]*Resource{"role": {role}})
	key := g.custom("aws:kms/key:Key", n("key"), id("key", "data"), p,
		map[string]any{"description": "ESS data at rest", "enableKeyRotation": true, "deletionWindowInDays": 30.0,
			"policy": policyDoc([]string{"kms:*"}, "*")},
		map[string]any{"arn": arn("kms", "key/"+id("key", "data")), "keyId": id("key", "data"), "keyUsage": "ENCRYPT_DECRYPT"}, nil)
	g.custom("aws:kms/alias:Alias", n("key-alias"), "alias/"+n("data"), p,
		map[string]any{"name": "alias/" + n("data"), "targetKeyId": key.ID}, map[string]any{"arn": arn("kms", "alias/"+n("data"))},
		map[string][]*Resource{"targetKeyId": {key}})
	logs := g.custom("aws:cloudwatch/logGroup:LogGroup", n("logs"), "/ess/"+n("app"), p,
		map[string]any{"name": "/ess/" + n("app"), "retentionInDays": 365.0, "kmsKeyId": arn("kms", "key/"+key.ID)},
		map[string]any{"arn": arn("logs", "log-group:/ess/"+n("app"))}, map[string][]*Resource{"kmsKeyId": {key}})
	topic := g.custom("aws:sns/topic:Topic", n("alarms"), arn("sns", n("alarms")), p,
		map[string]any{"name": n("alarms"), "kmsMasterKeyId": "alias/aws/sns"}, map[string]any{"arn": arn("sns", n("alarms")), "owner": account}, nil)
	g.custom("aws:sns/topicSubscription:TopicSubscription", n("alarms-email"), arn("sns", n("alarms")+":sub-1"), p,
		map[string]any{"topic": topic.ID, "protocol": "email", "endpoint": "oncall@example.org"}, nil, map[string][]*Resource{"topic": {topic}})
	for _, alarm := range []string{"cpu-high", "unhealthy-hosts", "5xx-rate", "db-cpu", "cache-evictions"} {
		g.custom("aws:cloudwatch/metricAlarm:MetricAlarm", n(alarm), n(alarm), p, map[string]any{
			"name": n(alarm), "comparisonOperator": "GreaterThanThreshold", "evaluationPeriods": 3.0, "metricName": alarm,
			"namespace": "AWS/ApplicationELB", "period": 60.0, "statistic": "Average", "threshold": 80.0,
			"alarmActions": []any{topic.ID}, "okActions": []any{topic.ID}, "treatMissingData": "breaching",
			"alarmDescription": "ESS " + alarm + " for " + n("region") + ": page the on-call engineer",
		}, map[string]any{"arn": arn("cloudwatch", "alarm:"+n(alarm))}, map[string][]*Resource{"alarmActions": {topic}})
	}
	g.custom("aws:ssm/parameter:Parameter", n("param"), "/ess/"+n("config"), p,
		map[string]any{"name": "/ess/" + n("config"), "type": "String", "value": `{"logLevel":"info","features":["oidc","solid-notifications"]}`},
		map[string]any{"arn": arn("ssm", "parameter/ess/"+n("config")), "version": 3.0}, nil)
	secret := g.custom("aws:secretsmanager/secret:Secret", n("db-secret"), arn("secretsmanager", "secret:"+n("db")), p,
		map[string]any{"name": n("db-credentials"), "kmsKeyId": key.ID, "recoveryWindowInDays": 30.0},
		map[string]any{"arn": arn("secretsmanager", "secret:"+n("db"))}, map[string][]*Resource{"kmsKeyId": {key}})
	g.custom("aws:secretsmanager/secretVersion:SecretVersion", n("db-secret-v1"), arn("secretsmanager", "secret:"+n("db"))+"|v1", p,
		map[string]any{"secretId": secret.ID, "secretString": map[string]any{resource.SigKey: resource.SecretSig, "value": `{"username":"ess","password":"synthetic-not-real"}`}},
		map[string]any{"versionId": "v1"}, map[string][]*Resource{"secretId": {secret}})
	bucketName := n("ess-artifacts")
	bucket := g.custom("aws:s3/bucketV2:BucketV2", n("bucket"), bucketName, p,
		map[string]any{"bucket": bucketName, "forceDestroy": false},
		map[string]any{"arn": "arn:aws:s3:::" + bucketName, "bucketRegionalDomainName": bucketName + ".s3." + region + ".amazonaws.com",
			"bucketDomainName": bucketName + ".s3.amazonaws.com", "hostedZoneId": "Z3AQBSTGFYJSTF", "region": region}, nil)
	g.custom("aws:s3/bucketPolicy:BucketPolicy", n("bucket-policy"), bucketName+"-policy", p,
		map[string]any{"bucket": bucket.ID, "policy": policyDoc([]string{"s3:GetObject"}, "arn:aws:s3:::"+bucketName+"/*")},
		nil, map[string][]*Resource{"bucket": {bucket}})
	g.custom("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", n("bucket-pab"), bucketName+"-pab", p,
		map[string]any{"bucket": bucket.ID, "blockPublicAcls": true, "blockPublicPolicy": true, "ignorePublicAcls": true, "restrictPublicBuckets": true},
		nil, map[string][]*Resource{"bucket": {bucket}})
	g.custom("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", n("bucket-sse"), bucketName+"-sse", p,
		map[string]any{"bucket": bucket.ID, "rules": []any{map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.ID}, "bucketKeyEnabled": true}}},
		nil, map[string][]*Resource{"bucket": {bucket}, "rules": {key}})
	g.custom("aws:s3/bucketVersioningV2:BucketVersioningV2", n("bucket-versioning"), bucketName+"-versioning", p,
		map[string]any{"bucket": bucket.ID, "versioningConfiguration": map[string]any{"status": "Enabled"}},
		nil, map[string][]*Resource{"bucket": {bucket}})
	g.custom("aws:route53/healthCheck:HealthCheck", n("lb-check"), id("hc", "lb"), p, map[string]any{
		"type": "HTTPS", "fqdn": n("lb") + ".us-east-1.elb.amazonaws.com", "port": 443.0, "resourcePath": "/health",
		"failureThreshold": 3.0, "requestInterval": 10.0, "regions": []any{"us-east-1", "us-west-1", "eu-west-1"},
	}, map[string]any{"arn": "arn:aws:route53:::healthcheck/" + id("hc", "lb")}, nil)
	g.custom("aws:ec2/vpcEndpoint:VpcEndpoint", n("s3-endpoint"), id("vpce", "s3"), p, map[string]any{
		"vpcId": vpcID, "serviceName": "com.amazonaws." + region + ".s3", "vpcEndpointType": "Gateway",
		"routeTableIds": []any{id("rtb", "q0"), id("rtb", "q1"), id("rtb", "q2")},
	}, map[string]any{"arn": arn("ec2", "vpc-endpoint/"+id("vpce", "s3")), "prefixListId": "pl-63a5400a", "state": "available"}, nil)
	g.custom("aws:ec2/flowLog:FlowLog", n("flow-log"), id("fl", ""), p, map[string]any{
		"vpcId": vpcID, "trafficType": "ALL", "logDestination": arn("logs", "log-group:/ess/"+n("app")), "maxAggregationInterval": 60.0,
	}, map[string]any{"arn": arn("ec2", "vpc-flow-log/"+id("fl", ""))}, map[string][]*Resource{"logDestination": {logs}})
	g.custom("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", n("app-from-lb"), id("sgr", "app"), p, map[string]any{
		"securityGroupId": id("sg", "app"), "referencedSecurityGroupId": id("sg", "lb"), "ipProtocol": "tcp", "fromPort": 8443.0, "toPort": 8443.0,
	}, map[string]any{"arn": arn("ec2", "security-group-rule/"+id("sgr", "app"))}, nil)
	lbListener := arn("elasticloadbalancing", fmt.Sprintf("listener/app/%08x/443", i))
	tgARN := arn("elasticloadbalancing", fmt.Sprintf("targetgroup/%s/%08x", n("ess"), i))
	g.custom("aws:lb/listenerRule:ListenerRule", n("oidc-rule"), lbListener+"/rule-1", p, map[string]any{
		"listenerArn": lbListener, "priority": 10.0,
		"conditions": []any{map[string]any{"hostHeader": map[string]any{"values": []any{"oidc." + n("example") + ".org"}}}},
		"actions":    []any{map[string]any{"type": "forward", "targetGroupArn": tgARN}},
	}, nil, nil)
	g.custom("aws:autoscaling/policy:Policy", n("ess-cpu"), n("ess-cpu"), p, map[string]any{
		"autoscalingGroupName": n("ess-asg"), "policyType": "TargetTrackingScaling",
		"targetTrackingConfiguration": map[string]any{"targetValue": 50.0, "predefinedMetricSpecification": map[string]any{"predefinedMetricType": "ASGAverageCPUUtilization"}},
	}, map[string]any{"arn": arn("autoscaling", "scalingPolicy:"+n("ess-cpu"))}, nil)
	g.custom("aws:autoscaling/lifecycleHook:LifecycleHook", n("ess-launch-hook"), n("ess-launch-hook"), p, map[string]any{
		"autoscalingGroupName": n("ess-asg"), "lifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING", "heartbeatTimeout": 600.0, "defaultResult": "ABANDON",
	}, nil, nil)
	g.custom("aws:ecr/lifecyclePolicy:LifecyclePolicy", n("ess-lifecycle"), n("ess"), p, map[string]any{
		"repository": n("ess"),
		"policy":     `{"rules":[{"rulePriority":1,"description":"keep the last 50 images","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":50},"action":{"type":"expire"}}]}`,
	}, map[string]any{"registryId": account}, nil)
	g.custom("aws:acm/certificate:Certificate", n("cert"), arn("acm", "certificate/"+n("cert")), p, map[string]any{
		"domainName": n("example") + ".org", "subjectAlternativeNames": []any{"identity." + n("example") + ".org", "oidc." + n("example") + ".org"},
		"validationMethod": "DNS", "keyAlgorithm": "RSA_2048",
	}, map[string]any{"arn": arn("acm", "certificate/"+n("cert")), "status": "ISSUED", "notAfter": "2027-01-01T00:00:00Z"}, nil)
	_ = subnetID
}

// WithRepeatedIDs rewrites the stack so that every custom resource has the same ID, name and ARN, and
// every reference to an ID names that one value: a hostile or broken state whose lookups all match
// every resource.
func (s *Stack) WithRepeatedIDs() *Stack {
	const same = "same-id"
	ids := map[string]bool{}
	for _, r := range s.Resources {
		if r.Custom && r.ID != "" {
			ids[r.ID] = true
		}
	}
	var rewrite func(v any) any
	rewrite = func(v any) any {
		switch t := v.(type) {
		case string:
			if ids[t] {
				return same
			}
		case []any:
			for i := range t {
				t[i] = rewrite(t[i])
			}
		case map[string]any:
			for k, e := range t {
				t[k] = rewrite(e)
			}
		}
		return v
	}
	for _, r := range s.Resources {
		if !r.Custom || r.Type == "pulumi:providers:aws" {
			continue
		}
		r.ID = same
		for _, m := range []map[string]any{r.Inputs, r.Outputs} {
			rewrite(m)
			if m != nil {
				m["id"], m["name"], m["arn"] = same, same, "arn:aws:ec2:us-east-1:123456789012:thing/"+same
			}
		}
	}
	return s
}
