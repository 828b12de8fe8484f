// Package pairing is the contract between the two stacks of an active-active pair: the stack outputs
// the owner exports for its member, and how the member reads them with a StackReference.
//
// The owner creates what the pair shares (the hosted zone, the certificate validation records, the
// Aurora global cluster and its master secret, the ECR repositories) and is deployed first. The member
// reads the owner's outputs before it registers anything else, so deploying the member first fails at
// once, before any resource is created, with a message that says to deploy the owner first.
package pairing

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// Names of the stack outputs the owner exports for its member. The region component exports them.
const (
	OutputPairRole                = "pairRole"
	OutputDeployment              = "deployment"
	OutputAccountID               = "accountId"
	OutputRegion                  = "region"
	OutputHostedZoneID            = "hostedZoneId"
	OutputGlobalClusterIdentifier = "globalClusterIdentifier"
	OutputGlobalWriterEndpoint    = "globalWriterEndpoint"
	OutputDatabaseSecretArn       = "databaseSecretArn"
	OutputVpcID                   = "vpcId"
	OutputVpcCidr                 = "vpcCidr"
	OutputPrivateRouteTableIDs    = "privateRouteTableIds"
	OutputDatabaseSecurityGroupID = "databaseSecurityGroupId"
	OutputEssSecurityGroupID      = "essSecurityGroupId"
)

// RoleOwner is the value of OutputPairRole on the owner's stack.
const RoleOwner = "owner"

// ReferenceName is the logical name of the member's StackReference to its owner.
const ReferenceName = "pair-owner"

// Owner is what the member needs from its owner's stack.
type Owner struct {
	// Stack is the owner's stack as the member names it (peerStack).
	Stack                   string
	Deployment              string
	AccountID               string
	Region                  string
	HostedZoneID            string
	GlobalClusterIdentifier string
	// GlobalWriterEndpoint is the Aurora global database's writer endpoint, which Aurora repoints to
	// the writer of whichever region is primary.
	GlobalWriterEndpoint string
	// DatabaseSecretArn is the master secret's ARN in the owner's region; the member uses its
	// region's replica (ReplicaArn).
	DatabaseSecretArn string
	VpcID             string
	VpcCidr           string
	// PrivateRouteTableIDs are the route tables of the owner's application and data subnets, which
	// get routes to the member's VPC through the pair's VPC peering.
	PrivateRouteTableIDs    []string
	DatabaseSecurityGroupID string
	EssSecurityGroupID      string
}

// Expect is what the member knows about its owner from its own configuration.
type Expect struct {
	Deployment string
	AccountID  string
	// Region is the member's peerRegion, where the owner must run.
	Region string
}

// secretArnPattern splits a Secrets Manager secret ARN: partition, region, account, and the rest.
var secretArnPattern = regexp.MustCompile(`^arn:(aws[a-z-]*):secretsmanager:([^:]+):([^:]+):secret:(.+)$`)

// ReplicaArn returns the ARN of the master secret's replica in region. A replica keeps the primary
// secret's name and suffix; only the region in its ARN differs (Secrets Manager User Guide,
// "Replicate AWS Secrets Manager secrets across Regions").
func (o *Owner) ReplicaArn(region string) (string, error) {
	m := secretArnPattern.FindStringSubmatch(o.DatabaseSecretArn)
	if len(m) != 5 || !awsname.IsRegion(m[2]) || !awsname.IsAccountID(m[3]) {
		return "", fmt.Errorf("stack %s exports %s = %q, which is not a Secrets Manager secret ARN", o.Stack, OutputDatabaseSecretArn, o.DatabaseSecretArn)
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s", m[1], region, m[3], m[4]), nil
}

// Read creates the member's StackReference to the owner's stack and waits for the owner's outputs.
// It fails, naming what is missing and what to do, when the owner has not been deployed, is not an
// owner, or belongs to another deployment, account or region.
func Read(ctx *pulumi.Context, stack string, want Expect, opts ...pulumi.ResourceOption) (*Owner, error) {
	ref, err := pulumi.NewStackReference(ctx, ReferenceName, &pulumi.StackReferenceArgs{Name: pulumi.String(stack)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("referencing the owner's stack %s: %w", stack, err)
	}
	r := reader{ref: ref, stack: stack}
	o := &Owner{Stack: stack}
	role := r.str(OutputPairRole)
	if r.err != nil {
		return nil, fmt.Errorf("reading the owner's stack %s (config ess-ha:peerStack): %w; deploy the owner stack first (pulumi up on %s), then this one", stack, r.err, stack)
	}
	if role != RoleOwner {
		return nil, fmt.Errorf("stack %s (config ess-ha:peerStack) exports %s = %q, not %q: deploy the owner stack first, or point peerStack at the stack whose ess-ha:pairRole is owner (the roles never change, whichever region writes)", stack, OutputPairRole, role, RoleOwner)
	}
	o.Deployment = r.str(OutputDeployment)
	o.AccountID = r.str(OutputAccountID)
	o.Region = r.str(OutputRegion)
	o.HostedZoneID = r.str(OutputHostedZoneID)
	o.GlobalClusterIdentifier = r.str(OutputGlobalClusterIdentifier)
	o.GlobalWriterEndpoint = r.str(OutputGlobalWriterEndpoint)
	o.DatabaseSecretArn = r.str(OutputDatabaseSecretArn)
	o.VpcID = r.str(OutputVpcID)
	o.VpcCidr = r.str(OutputVpcCidr)
	o.PrivateRouteTableIDs = r.strs(OutputPrivateRouteTableIDs)
	o.DatabaseSecurityGroupID = r.str(OutputDatabaseSecurityGroupID)
	o.EssSecurityGroupID = r.str(OutputEssSecurityGroupID)
	if r.err != nil {
		return nil, fmt.Errorf("reading the owner's stack %s: %w; run pulumi up on %s with this version of the program first, so that it exports what its member needs", stack, r.err, stack)
	}
	if err := o.check(want); err != nil {
		return nil, err
	}
	return o, nil
}

// check compares the owner's outputs with what the member expects.
func (o *Owner) check(want Expect) error {
	var errs []error
	mismatch := func(output, got, key, wanted string) {
		errs = append(errs, fmt.Errorf("the owner's stack %s exports %s = %q but this stack's %s is %q: the two stacks of a pair must agree", o.Stack, output, got, key, wanted))
	}
	if o.Deployment != want.Deployment {
		mismatch(OutputDeployment, o.Deployment, "ess-ha:deployment", want.Deployment)
	}
	if o.AccountID != want.AccountID {
		mismatch(OutputAccountID, o.AccountID, "aws:allowedAccountIds", want.AccountID)
	}
	if o.Region != want.Region {
		mismatch(OutputRegion, o.Region, "ess-ha:peerRegion", want.Region)
	}
	if len(o.PrivateRouteTableIDs) == 0 {
		errs = append(errs, fmt.Errorf("the owner's stack %s exports no %s: run pulumi up on it with this version of the program", o.Stack, OutputPrivateRouteTableIDs))
	}
	if _, err := o.ReplicaArn(want.Region); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// reader reads outputs of a stack reference, remembering every problem.
type reader struct {
	ref     *pulumi.StackReference
	stack   string
	missing []string
	err     error
}

func (r *reader) value(name string) (any, bool) {
	if r.err != nil && len(r.missing) == 0 {
		return nil, false // the reference itself failed
	}
	d, err := r.ref.GetOutputDetails(name)
	if err != nil {
		r.err = err
		return nil, false
	}
	v := d.Value
	if v == nil {
		v = d.SecretValue
	}
	if v == nil {
		r.missing = append(r.missing, name)
		r.err = fmt.Errorf("it exports no %s", strings.Join(r.missing, ", "))
		return nil, false
	}
	return v, true
}

func (r *reader) str(name string) string {
	v, ok := r.value(name)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok || s == "" {
		r.missing = append(r.missing, name)
		r.err = fmt.Errorf("it exports no %s (a non-empty string)", strings.Join(r.missing, ", "))
		return ""
	}
	return s
}

func (r *reader) strs(name string) []string {
	v, ok := r.value(name)
	if !ok {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		r.missing = append(r.missing, name)
		r.err = fmt.Errorf("it exports no %s (a list of strings)", strings.Join(r.missing, ", "))
		return nil
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		if s, ok := item.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}
