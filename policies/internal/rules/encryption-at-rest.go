package rules

import (
	"context"
	"fmt"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// EncryptionAtRest is the name of the policy that data stores are encrypted.
const EncryptionAtRest = "ha-encryption-at-rest"

func encryptionAtRest() policy.Policy {
	return policy.Policy{
		Name: EncryptionAtRest,
		Description: "Data at rest is encrypted: RDS instances and clusters (storageEncrypted), ElastiCache replication " +
			"groups (atRestEncryptionEnabled, and transitEncryptionEnabled for the data on the wire), EBS volumes of " +
			"launch templates, instances, launch configurations and aws:ebs/volume (unless the stack turns on EBS " +
			"encryption by default), EFS file systems, ECR repositories and the repositories ECR creates from repository " +
			"creation templates (KMS; a template with KMS names the customRoleArn ECR creates them with), and S3 buckets (an " +
			"aws:s3/bucketServerSideEncryptionConfigurationV2 for each bucket); optionally CloudWatch log groups with " +
			"a KMS key (logGroupsRequireKms).",
		Recommendation: baseline + ", for the data of " + recPostgres + ", " + recRegistry + " and " + recAsurionAZ + " (the cache)",
		DefaultLevel:   policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"ecrRequireKms": {
				"type": "boolean", "default": true,
				"description": "Require ECR repositories to use KMS encryption rather than the AES256 default.",
			},
			"logGroupsRequireKms": {
				"type": "boolean", "default": false,
				"description": "Require CloudWatch log groups to be encrypted with a KMS key (kmsKeyId).",
			},
		}},
		CheckStack: checkEncryptionAtRest,
	}
}

// encCheck accumulates the findings of ha-encryption-at-rest.
type encCheck struct {
	out []policy.Violation
}

// require reports a boolean property that must be true. unsetMeans describes the default.
func (c *encCheck) require(r *policy.Resource, path, unsetMeans, problem, fix, rec string) {
	f := graph.Prop(r, path)
	switch b, ok := f.Bool(); {
	case f.Unknown():
		c.out = append(c.out, unverifiable(r.URN, unknownReason(r, path), "whether the data is encrypted", rec))
	case !f.Present:
		c.out = append(c.out, finding(r, path, "null ("+unsetMeans+")", problem, fix, rec))
	case !ok || !b:
		c.out = append(c.out, finding(r, path, f.Show(), problem, fix, rec))
	}
}

func checkEncryptionAtRest(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	g := graph.Of(s)
	c := &encCheck{}
	recDB := baseline + ", for " + recPostgres
	for _, r := range g.OfType(graph.TypeRdsInstance) {
		if graph.Prop(r, "replicateSourceDb").Present {
			continue // a replica has its source's encryption
		}
		c.require(r, "storageEncrypted", "false", "the database's storage and backups are not encrypted",
			"set storageEncrypted to true, with kmsKeyId a customer-managed KMS key (a new instance restored from an encrypted snapshot for existing data)", recDB)
	}
	for _, r := range g.OfType(graph.TypeRdsCluster) {
		if mode, _ := graph.Prop(r, "engineMode").Str(); mode == "serverless" {
			continue // always encrypted
		}
		c.require(r, "storageEncrypted", "false for provisioned clusters", "the cluster's storage and backups are not encrypted",
			"set storageEncrypted to true, with kmsKeyId a customer-managed KMS key", recDB)
	}
	recCache := baseline + ", for the cache of " + recAsurionAZ
	for _, r := range g.OfType(graph.TypeCacheReplication) {
		c.require(r, "atRestEncryptionEnabled", "false", "the cache's data and snapshots are not encrypted at rest",
			"set atRestEncryptionEnabled to true (with kmsKeyId)", recCache)
		c.require(r, "transitEncryptionEnabled", "false", "clients reach the cache unencrypted, so its auth token travels in clear",
			"set transitEncryptionEnabled to true", recCache)
	}
	for _, r := range g.OfType(graph.TypeEfsFileSystem) {
		c.require(r, "encrypted", "false", "the file system is not encrypted", "set encrypted to true (with kmsKeyId)", baseline)
	}
	c.ebs(g)
	c.ecr(g, cfgBool(args, "ecrRequireKms", true))
	c.buckets(g)
	if cfgBool(args, "logGroupsRequireKms", false) {
		for _, r := range g.OfType(graph.TypeCloudwatchLogGroup) {
			f := graph.Prop(r, "kmsKeyId")
			if s, _ := f.Str(); !f.Unknown() && s == "" {
				c.out = append(c.out, finding(r, "kmsKeyId", f.Show(), "the log group is encrypted with a key the stack does not control",
					"set kmsKeyId to a customer-managed KMS key whose policy lets CloudWatch Logs use it", baseline))
			}
		}
	}
	return c.out
}

// ebs checks the EBS volumes of launch templates, instances, launch configurations and aws:ebs/volume,
// unless the stack turns EBS encryption by default on.
func (c *encCheck) ebs(g *graph.Graph) {
	for _, d := range g.OfType(graph.TypeEbsEncryptionByDefault) {
		if boolIs(d, "enabled", true) == graph.Yes {
			return
		}
	}
	rec := baseline + ", for the EC2 pools of " + recPools
	fix := `set encrypted to true on every volume (or turn on EBS encryption by default with aws:ebs/encryptionByDefault)`
	for _, r := range g.OfType(graph.TypeLaunchTemplate) {
		bdm := graph.Prop(r, "blockDeviceMappings")
		switch {
		case bdm.Unknown():
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "blockDeviceMappings"), "whether its volumes are encrypted", rec))
			continue
		case len(bdm.Items()) == 0:
			c.out = append(c.out, finding(r, "blockDeviceMappings", bdm.Show(),
				"the root volume takes its encryption from the AMI's snapshot, unencrypted for the public AMIs",
				`add a blockDeviceMapping for the root device with ebs.encrypted "true" (or turn on aws:ebs/encryptionByDefault)`, rec))
			continue
		}
		for _, m := range bdm.Items() {
			ebs := m.Get("ebs")
			if !ebs.Present {
				continue // an instance store or a suppressed device
			}
			c.volume(r, ebs.Get("encrypted"), fix, rec)
		}
	}
	for _, r := range g.OfType(graph.TypeInstance, graph.TypeLaunchConfiguration) {
		root := graph.Prop(r, "rootBlockDevice")
		switch {
		case root.Present:
			c.volume(r, root.Get("encrypted"), fix, rec)
		case !graph.Prop(r, "launchTemplate").Present:
			c.out = append(c.out, finding(r, "rootBlockDevice", "null",
				"the root volume takes its encryption from the AMI's snapshot, unencrypted for the public AMIs",
				"set rootBlockDevice.encrypted to true (or turn on aws:ebs/encryptionByDefault)", rec))
		}
		for _, d := range graph.Prop(r, "ebsBlockDevices").Items() {
			c.volume(r, d.Get("encrypted"), fix, rec)
		}
	}
	for _, r := range g.OfType(graph.TypeEbsVolume) {
		c.volume(r, graph.Prop(r, "encrypted"), fix, rec)
	}
}

// volume checks one volume's encrypted flag.
func (c *encCheck) volume(r *policy.Resource, f graph.Field, fix, rec string) {
	switch b, ok := f.Bool(); {
	case f.Unknown():
		c.out = append(c.out, unverifiable(r.URN, unknownReason(r, f.Path), "whether the volume is encrypted", rec))
	case !f.Present || !ok || !b:
		c.out = append(c.out, finding(r, f.Path, f.Show(), "the EBS volume is not encrypted", fix, rec))
	}
}

// ecr checks that repositories, and the repositories ECR creates from repository creation templates,
// use KMS.
func (c *encCheck) ecr(g *graph.Graph, requireKms bool) {
	if !requireKms {
		return
	}
	for _, r := range g.OfType(graph.TypeEcrRepository, typeEcrCreationTemplate) {
		what := "the repository"
		if graph.Canonical(r.Type) == typeEcrCreationTemplate {
			what = "the repositories ECR creates from the template"
		}
		f := graph.Prop(r, "encryptionConfigurations")
		if f.Unknown() {
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "encryptionConfigurations"), "whether KMS encrypts "+what, recRegistry))
			continue
		}
		kms, unknown := false, false
		for _, e := range f.Items() {
			t := e.Get("encryptionType")
			if t.Unknown() {
				unknown = true
			}
			if v, _ := t.Str(); v == "KMS" || v == "KMS_DSSE" {
				kms = true
			}
		}
		switch {
		case kms && graph.Canonical(r.Type) == typeEcrCreationTemplate:
			c.templateRole(r)
		case kms:
		case unknown:
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "encryptionConfigurations.encryptionType"), "whether KMS encrypts "+what, recRegistry))
		default:
			shown := f.Show()
			if !f.Present {
				shown = `null (AES256 with an AWS-owned key)`
			}
			c.out = append(c.out, finding(r, "encryptionConfigurations", shown,
				"the images of "+what+" are encrypted with a key the stack does not control",
				`set encryptionConfigurations to [{encryptionType: "KMS", kmsKey: <a customer-managed key>}]`,
				baseline+", for "+recRegistry))
		}
	}
}

// templateRole checks that a repository creation template that encrypts with a KMS key it names also
// names the role ECR creates the repositories with: a template that uses KMS keys needs a custom role
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html: "If
// you intend to use KMS keys, resource tags, or a combination of both in one or more templates, you need
// to ... Create an IAM role for repository creation templates"; the pulumi-aws docs of customRoleArn:
// "Required if using repository tags or KMS encryption").
func (c *encCheck) templateRole(t *policy.Resource) {
	names := false
	for _, e := range graph.Prop(t, "encryptionConfigurations").Items() {
		if k := e.Get("kmsKey"); k.Unknown() || !emptyString(k) {
			names = true
		}
	}
	role := graph.Prop(t, "customRoleArn")
	if !names || role.Unknown() || !emptyString(role) {
		return
	}
	c.out = append(c.out, finding(t, "customRoleArn", role.Show(),
		"the template encrypts the repositories it creates with a KMS key it names but gives ECR no custom role to create them "+
			"with, which ECR requires for a template's KMS key, so replication cannot create the encrypted repositories",
		"set customRoleArn to a role of this account that ECR can assume, with the permissions the ECR user guide lists for "+
			"repository creation templates (creating repositories, and using the KMS key)", baseline+", for "+recRegistry))
}

// buckets checks that every bucket has a server-side encryption configuration resource.
func (c *encCheck) buckets(g *graph.Graph) {
	configured := map[*policy.Resource]bool{}
	unknown := ""
	for _, sse := range g.OfType(graph.TypeS3EncryptionConfigV2, graph.TypeS3EncryptionConfig) {
		refs := g.Resolve(sse, "bucket", graph.TypeS3BucketV2, graph.TypeS3Bucket)
		for _, b := range refs.Resources {
			configured[b] = true
		}
		if refs.Unknown {
			unknown = firstNonEmpty(unknown, unknownReason(sse, "bucket"))
		}
	}
	for _, b := range g.OfType(graph.TypeS3BucketV2, graph.TypeS3Bucket) {
		if configured[b] {
			continue
		}
		if unknown != "" {
			c.out = append(c.out, unverifiable(b.URN, unknown, "whether the bucket has an encryption configuration", baseline))
			continue
		}
		name := show(b, "bucket")
		c.out = append(c.out, finding(b, "bucket", name,
			"no aws:s3/bucketServerSideEncryptionConfigurationV2 configures the bucket's encryption, so it relies on the account's defaults",
			fmt.Sprintf("add an aws:s3/bucketServerSideEncryptionConfigurationV2 with bucket %s and a rule applying aws:kms (or AES256 where a service requires it, as ALB access logs do)", name),
			baseline))
	}
}
