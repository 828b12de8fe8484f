package rules

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// BucketsNotPublic is the name of the policy that no S3 bucket is public.
const BucketsNotPublic = "ha-buckets-not-public"

// Type tokens of the S3 access resources this policy reads.
const (
	typeS3BucketPolicy      = "aws:s3/bucketPolicy:BucketPolicy"
	typeS3PublicAccessBlock = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typeS3BucketAclV2       = "aws:s3/bucketAclV2:BucketAclV2"
)

// route53HealthCheckersService is the service whose address ranges ip-ranges.json lists for the Route 53
// health checkers (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/route-53-ip-addresses.html).
const route53HealthCheckersService = "ROUTE53_HEALTHCHECKS"

// publicAccessSettings are the four Block Public Access settings, each with what leaving it off allows
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html).
var publicAccessSettings = []struct{ key, off string }{
	{"blockPublicAcls", "a request with a public ACL is accepted"},
	{"ignorePublicAcls", "public ACLs are honoured"},
	{"blockPublicPolicy", "a public bucket policy is accepted"},
	{"restrictPublicBuckets", "a public bucket policy is honoured for anyone"},
}

// publicCannedACLs are the canned ACLs that grant to the AllUsers or AuthenticatedUsers groups.
var publicCannedACLs = map[string]bool{"public-read": true, "public-read-write": true, "authenticated-read": true}

// publicGroupURIs are the grantees S3 counts as public in an ACL.
var publicGroupURIs = map[string]bool{
	"http://acs.amazonaws.com/groups/global/AllUsers":           true,
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers": true,
}

var recBucketsNotPublic = baseline + ", for the S3 drain objects of " + recRegional +
	` ("we associate ... those health checks with S3 objects")`

func bucketsNotPublic() policy.Policy {
	return policy.Policy{
		Name: BucketsNotPublic,
		Description: "No S3 bucket is public, as Amazon S3 Block Public Access defines it: no bucket policy statement " +
			"(aws:s3/bucketPolicy, or a bucket's own policy) allows anything to Principal \"*\" (or {\"AWS\": \"*\"}, a " +
			"principal with a wildcard, a Federated principal or a NotPrincipal) unless a condition limits it to fixed " +
			"values of a key S3 accepts (aws:SourceIp with CIDRs no broader than /8 or /32, aws:SourceVpc, " +
			"aws:SourceVpce, aws:SourceArn, aws:SourceAccount, aws:SourceOwner, aws:PrincipalOrgID, ...); no ACL " +
			"grants to AllUsers or AuthenticatedUsers; and every bucket (aws:s3/bucketV2, aws:s3/bucket) has an " +
			"aws:s3/bucketPublicAccessBlock with blockPublicAcls, ignorePublicAcls, blockPublicPolicy and " +
			"restrictPublicBuckets true. With those on, AWS refuses a public policy and, for one already in place, " +
			"answers anonymous requests (Route 53 health checkers probing a drain object) with 403; a drain object is " +
			"read through a statement limited to the health checkers' addresses (aws:SourceIp, ip-ranges.json service " +
			route53HealthCheckersService + ").",
		Recommendation: recBucketsNotPublic,
		DefaultLevel:   policy.Mandatory,
		CheckStack:     checkBucketsNotPublic,
	}
}

func checkBucketsNotPublic(_ context.Context, s *policy.Stack, _ policy.Args) []policy.Violation {
	g := graph.Of(s)
	buckets := g.OfType(graph.TypeS3BucketV2, graph.TypeS3Bucket)
	var out []policy.Violation
	for _, bp := range g.OfType(typeS3BucketPolicy) {
		out = append(out, policyFindings(bp, "policy", show(bp, "bucket"))...)
	}
	for _, b := range buckets {
		if graph.Prop(b, "policy").Present {
			out = append(out, policyFindings(b, "policy", show(b, "bucket"))...)
		}
		out = append(out, aclFindings(b, "acl", "grants.uri")...)
	}
	for _, a := range g.OfType(typeS3BucketAclV2) {
		out = append(out, aclFindings(a, "acl", "accessControlPolicy.grants.grantee.uri")...)
	}
	return append(out, publicAccessBlockFindings(g, buckets)...)
}

// policyFindings checks the bucket policy document in property prop of r, a policy of the bucket shown as
// bucket.
func policyFindings(r *policy.Resource, prop, bucket string) []policy.Violation {
	f := graph.Prop(r, prop)
	var doc string
	switch {
	case !f.Present:
		return nil
	case f.Unknown():
		return []policy.Violation{unverifiable(r.URN, unknownReason(r, prop), "whether the bucket policy makes bucket "+bucket+" public", recBucketsNotPublic)}
	case f.Value.IsString():
		doc = f.Value.StringValue()
	case f.Value.IsObject():
		if containsUnknown(f.Value) {
			return []policy.Violation{unverifiable(r.URN, unknownReason(r, prop), "whether the bucket policy makes bucket "+bucket+" public", recBucketsNotPublic)}
		}
		doc = compactJSON(f.Value.ObjectValue().Mappable())
	default:
		return nil
	}
	if strings.TrimSpace(doc) == "" {
		return nil
	}
	stmts, err := publicStatements(doc)
	if err != nil {
		shown := err.Error()
		if f.Secret {
			shown = "it is not a JSON policy document"
		}
		return []policy.Violation{finding(r, prop, f.Show(), "the bucket policy cannot be read: "+shown,
			"make it a JSON policy document", recBucketsNotPublic)}
	}
	var out []policy.Violation
	for _, st := range stmts {
		path := prop + ".Statement[" + strconv.Itoa(st.Index) + "]"
		what := fmt.Sprintf("the statement allows %s and %s", st.Grant, st.Why)
		if st.Sid != "" {
			what = fmt.Sprintf("the statement %q allows %s and %s", st.Sid, st.Grant, st.Why)
		}
		if f.Secret {
			what = "the statement allows access to a principal that is not fixed, with no condition S3 accepts as limiting it"
		}
		out = append(out, finding(r, path, "", fmt.Sprintf("%s, so S3 counts bucket %s as public: with BlockPublicPolicy on AWS "+
			"refuses the policy, and with RestrictPublicBuckets on only AWS services and the account's own principals can use "+
			"it (anonymous readers such as Route 53 health checkers get 403, so a drain object behind it can never be read)",
			what, bucket),
			"limit the statement with a condition on fixed values S3 accepts as non-public: for a drain object read by Route 53 "+
				"health checks, IpAddress aws:SourceIp with the health checkers' CIDRs (service "+route53HealthCheckersService+
				" in ip-ranges.json); otherwise StringEquals aws:SourceVpce, aws:SourceVpc, aws:SourceAccount or "+
				"aws:PrincipalOrgID, or ArnEquals aws:SourceArn; or grant to a fixed principal instead of \"*\"",
			recBucketsNotPublic))
	}
	return out
}

// containsUnknown reports whether a property value holds an unknown value anywhere.
func containsUnknown(v resource.PropertyValue) bool {
	val, known, _ := graph.Unwrap(v)
	switch {
	case !known:
		return true
	case val.IsArray():
		for _, e := range val.ArrayValue() {
			if containsUnknown(e) {
				return true
			}
		}
	case val.IsObject():
		for _, e := range val.ObjectValue() {
			if containsUnknown(e) {
				return true
			}
		}
	}
	return false
}

// aclFindings reports a canned ACL or a grant that makes a bucket public.
func aclFindings(r *policy.Resource, aclPath, uriPath string) []policy.Violation {
	var out []policy.Violation
	const fix = `remove the public grant (set the canned ACL to "private", or better, set the bucket's object ownership to ` +
		`BucketOwnerEnforced so that ACLs are off)`
	acl := graph.Prop(r, aclPath)
	if v, ok := acl.Str(); ok && publicCannedACLs[v] {
		out = append(out, finding(r, aclPath, acl.Show(),
			"the canned ACL grants access to everyone (or every AWS account holder), so S3 counts the bucket as public and, with "+
				"BlockPublicAcls on, refuses the ACL", fix, recBucketsNotPublic))
	}
	for _, leaf := range graph.Leaves(r.Properties, uriPath) {
		if uri, ok := leaf.Str(); ok && publicGroupURIs[uri] {
			out = append(out, finding(r, uriPath, leaf.Show(),
				"a grant to a global group makes the bucket public", fix, recBucketsNotPublic))
		}
	}
	return out
}

// publicAccessBlockFindings checks that every bucket has a public access block with all four settings on.
func publicAccessBlockFindings(g *graph.Graph, buckets []*policy.Resource) []policy.Violation {
	var out []policy.Violation
	blocks := map[*policy.Resource][]*policy.Resource{}
	unresolved := ""
	for _, pab := range g.OfType(typeS3PublicAccessBlock) {
		refs := g.Resolve(pab, "bucket", graph.TypeS3BucketV2, graph.TypeS3Bucket)
		for _, b := range refs.Resources {
			blocks[b] = append(blocks[b], pab)
		}
		if refs.Unknown && len(refs.Resources) == 0 {
			unresolved = firstNonEmpty(unresolved, unknownReason(pab, "bucket"))
		}
		out = append(out, settingsFindings(pab)...)
	}
	for _, b := range buckets {
		if len(blocks[b]) > 0 {
			continue
		}
		if unresolved != "" {
			out = append(out, unverifiable(b.URN, unresolved, "whether a public access block covers the bucket", recBucketsNotPublic))
			continue
		}
		name := show(b, "bucket")
		out = append(out, finding(b, "bucket", name,
			"no aws:s3/bucketPublicAccessBlock covers the bucket, so nothing stops a public bucket policy or ACL from exposing it",
			fmt.Sprintf("add an aws:s3/bucketPublicAccessBlock with bucket %s and blockPublicAcls, ignorePublicAcls, blockPublicPolicy "+
				"and restrictPublicBuckets all true", name), recBucketsNotPublic))
	}
	return out
}

// settingsFindings checks the four settings of one public access block.
func settingsFindings(pab *policy.Resource) []policy.Violation {
	var off, offKeys []string
	for _, s := range publicAccessSettings {
		switch boolIs(pab, s.key, false) {
		case graph.Maybe:
			return []policy.Violation{unverifiable(pab.URN, unknownReason(pab, s.key), "whether the bucket's public access is blocked", recBucketsNotPublic)}
		case graph.No:
			off = append(off, fmt.Sprintf("%s = %s (%s)", s.key, showOr(pab, s.key, "null"), s.off))
			offKeys = append(offKeys, s.key)
		}
	}
	if len(off) == 0 {
		return nil
	}
	return []policy.Violation{finding(pab, "", "",
		fmt.Sprintf("the public access block of bucket %s leaves %s off: %s", show(pab, "bucket"), plural(len(off), "setting"), strings.Join(off, "; ")),
		"set "+strings.Join(offKeys, ", ")+" to true (all four settings on)", recBucketsNotPublic)}
}
