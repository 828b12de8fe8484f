// Package observability provides the backend side of the deployment: the Logs component (log groups
// with retention), the Alarms component (alarms and the SNS topic they notify), the
// DependencyAlarms component (alarms that mean "the database or the cache is gone", which the
// region's Route 53 health check follows) and the HealthCheckAlarms component (alarms in us-east-1 on
// the region's Route 53 health checks: unhealthy, drained).
package observability

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/components/internal/secure"
	"github.com/ess-ha/ess-ha/internal/awsname"
)

// retentionDays are the retentions CloudWatch Logs accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// LogsArgs configures Logs.
type LogsArgs struct {
	// Groups are the log group names to create, keyed by a short key (the container name).
	Groups        map[string]string
	RetentionDays int
	// Region is the region the log groups live in: the key policy lets the CloudWatch Logs service
	// of that region (logs.<Region>.amazonaws.com) use the key.
	Region string
	Tags   map[string]string
}

// Logs are KMS-encrypted CloudWatch log groups with retention, one per pool container.
type Logs struct {
	pulumi.ResourceState

	// Names and Arns are keyed like LogsArgs.Groups.
	Names map[string]pulumi.StringOutput
	Arns  map[string]pulumi.StringOutput
	// KmsKeyArn is the customer-managed key the log groups are encrypted with.
	KmsKeyArn pulumi.StringOutput `pulumi:"kmsKeyArn"`
}

// Validate checks the arguments and reports every problem, each naming the field and the fix.
func (a *LogsArgs) Validate() error {
	if a == nil {
		return errors.New("LogsArgs is nil: pass the log groups to create")
	}
	var errs []error
	if len(a.Groups) == 0 {
		errs = append(errs, errors.New("LogsArgs.Groups is empty: map each container name to its log group name"))
	}
	seen := map[string]string{}
	for _, k := range sortedKeys(a.Groups) {
		g := a.Groups[k]
		switch {
		case k == "":
			errs = append(errs, errors.New("LogsArgs.Groups has an empty key: key each group by its container name"))
		case !awsname.IsLogGroup(g):
			errs = append(errs, fmt.Errorf("LogsArgs.Groups[%q] = %q is not a valid log group name: use 1-512 characters from a-z A-Z 0-9 . _ - / #", k, g))
		case seen[g] != "":
			errs = append(errs, fmt.Errorf("LogsArgs.Groups[%q] = %q is also the group of %q: give every key its own log group", k, g, seen[g]))
		}
		seen[g] = k
	}
	if !slices.Contains(retentionDays, a.RetentionDays) {
		errs = append(errs, fmt.Errorf("LogsArgs.RetentionDays = %d is invalid: use a CloudWatch Logs retention, one of %v", a.RetentionDays, retentionDays))
	}
	if !awsname.IsRegion(a.Region) {
		errs = append(errs, fmt.Errorf("LogsArgs.Region = %q is invalid: set the stack's AWS region, such as us-east-1", a.Region))
	}
	return errors.Join(errs...)
}

// NewLogs creates the Logs component.
func NewLogs(ctx *pulumi.Context, name string, args *LogsArgs, opts ...pulumi.ResourceOption) (*Logs, error) {
	if err := args.Validate(); err != nil {
		return nil, fmt.Errorf("logs %s: %w", name, err)
	}
	comp := &Logs{Names: map[string]pulumi.StringOutput{}, Arns: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("ess-ha:observability:Logs", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering logs %s: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	tags := pulumi.ToStringMap(args.Tags)

	keys := sortedKeys(args.Groups)
	groupNames := make([]string, len(keys))
	for i, k := range keys {
		groupNames[i] = args.Groups[k]
	}
	caller := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, parent)
	policy := pulumi.All(caller.AccountId(), caller.Arn()).ApplyT(func(v []any) (string, error) {
		return LogsKeyPolicy(partitionOf(v[1].(string)), args.Region, v[0].(string), groupNames)
	}).(pulumi.StringOutput)
	key, err := secure.NewPolicyKey(ctx, name, pulumi.Sprintf("ess-ha %s: encrypts the CloudWatch log groups", name), policy, tags, parent)
	if err != nil {
		return nil, fmt.Errorf("logs %s: %w", name, err)
	}
	comp.KmsKeyArn = key.Arn

	names, arns := pulumi.StringMap{}, pulumi.StringMap{}
	for _, k := range keys {
		g, err := cloudwatch.NewLogGroup(ctx, name+"-"+k, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(args.Groups[k]),
			RetentionInDays: pulumi.Int(args.RetentionDays),
			KmsKeyId:        key.Arn,
			Tags:            tags,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("logs %s: creating log group %s: %w", name, args.Groups[k], err)
		}
		comp.Names[k], comp.Arns[k] = g.Name, g.Arn
		names[k], arns[k] = g.Name, g.Arn
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"names":     names,
		"arns":      arns,
		"kmsKeyArn": comp.KmsKeyArn,
	}); err != nil {
		return nil, fmt.Errorf("logs %s: registering outputs: %w", name, err)
	}
	return comp, nil
}

// LogsKeyPolicy returns the key policy of the log groups' key: the account administers the key through
// IAM, and the CloudWatch Logs service of the region may use it only for the named log groups (AWS's
// documented kms:EncryptionContext:aws:logs:arn condition).
func LogsKeyPolicy(partition, region, account string, groupNames []string) (string, error) {
	if partition == "" || region == "" || account == "" || len(groupNames) == 0 {
		return "", errors.New("the log key policy needs a partition, a region, an account and at least one log group")
	}
	groupArns := make([]string, len(groupNames))
	for i, g := range groupNames {
		groupArns[i] = fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", partition, region, account, g)
	}
	return policyJSON([]map[string]any{
		rootStatement(partition, account),
		{
			"Sid":       "AllowCloudWatchLogs",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "logs." + region + ".amazonaws.com"},
			"Action":    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			"Resource":  "*",
			"Condition": map[string]any{"ArnEquals": map[string]any{"kms:EncryptionContext:aws:logs:arn": groupArns}},
		},
	})
}

func rootStatement(partition, account string) map[string]any {
	return map[string]any{
		"Sid":       "EnableIamPolicies",
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partition, account)},
		"Action":    "kms:*",
		"Resource":  "*",
	}
}

func policyJSON(statements []map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		return "", fmt.Errorf("encoding a policy document: %w", err)
	}
	return string(b), nil
}

// partitionOf returns the partition of an ARN ("aws" when it cannot tell).
func partitionOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
