package rules

// What Amazon S3 counts as a public bucket policy, as Block Public Access evaluates it
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status):
// S3 assumes a policy is public, and calls it non-public only when every statement that allows anything
// grants it to fixed values (no wildcard, no IAM policy variable) of a principal, or is limited by a
// condition on fixed values of one of a short list of keys. aws:SourceIp counts only for CIDRs no broader
// than /8 (IPv4) and /32 (IPv6). Deny statements never make a policy public.

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
)

// limitingKeys are the condition keys (lower case: condition keys are case-insensitive) whose fixed values
// S3 accepts as making a statement non-public.
var limitingKeys = map[string]string{
	"aws:sourceip":       "aws:SourceIp",
	"aws:sourcearn":      "aws:SourceArn",
	"aws:sourcevpc":      "aws:SourceVpc",
	"aws:sourcevpce":     "aws:SourceVpce",
	"aws:sourceowner":    "aws:SourceOwner",
	"aws:sourceaccount":  "aws:SourceAccount",
	"aws:principalorgid": "aws:PrincipalOrgID",
	"aws:userid":         "aws:userid",
	"s3:x-amz-server-side-encryption-aws-kms-key-id": "s3:x-amz-server-side-encryption-aws-kms-key-id",
	"s3:dataaccesspointarn":                          "s3:DataAccessPointArn",
	"s3:dataaccesspointaccount":                      "s3:DataAccessPointAccount",
}

// limitingOperators are the condition operators under which fixed values limit who is granted: the
// equality and match operators (a negated operator grants everyone else, and an ...IfExists operator also
// grants requests without the key, as anonymous ones are).
var limitingOperators = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true, "IpAddress": true,
}

// Widest aws:SourceIp prefixes S3 still accepts as non-public.
const (
	minIPv4Prefix = 8
	minIPv6Prefix = 32
)

var (
	// roleSessionPattern is the one wildcard aws:userid may hold without making a statement public:
	// "<role ID>:*", every session of one role.
	roleSessionPattern = regexp.MustCompile(`^[A-Z0-9]+:\*$`)
	// accessPointPattern is the one wildcard s3:DataAccessPointArn may hold in a bucket policy: every access
	// point of a fixed account (arn:aws:s3:<region>:<account>:accesspoint/*).
	accessPointPattern = regexp.MustCompile(`^arn:[a-z-]+:s3:[a-z0-9-]+:\d{12}:accesspoint/\*$`)
)

// publicStatement is one statement of a bucket policy that makes it public.
type publicStatement struct {
	// Index is the statement's position in the policy, from 0.
	Index int
	// Sid is the statement's Sid, or "".
	Sid string
	// Grant says what the statement allows to whom ("s3:GetObject to Principal \"*\"").
	Grant string
	// Why says why no condition of the statement limits it ("no Condition", or each condition's flaw).
	Why string
}

// publicStatements parses a bucket policy document and returns the statements that make it public. A
// document that is not a JSON policy is an error.
func publicStatements(doc string) ([]publicStatement, error) {
	var policy struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		return nil, fmt.Errorf("the policy is not a JSON document: %w", err)
	}
	var stmts []map[string]any
	trimmed := strings.TrimSpace(string(policy.Statement))
	switch {
	case trimmed == "" || trimmed == "null":
		return nil, nil
	case strings.HasPrefix(trimmed, "{"):
		var one map[string]any
		if err := json.Unmarshal(policy.Statement, &one); err != nil {
			return nil, fmt.Errorf("decoding Statement: %w", err)
		}
		stmts = []map[string]any{one}
	default:
		if err := json.Unmarshal(policy.Statement, &stmts); err != nil {
			return nil, fmt.Errorf("decoding Statement: %w", err)
		}
	}
	var out []publicStatement
	for i, st := range stmts {
		if effect, _ := st["Effect"].(string); !strings.EqualFold(effect, "Allow") {
			continue // Deny statements never make a policy public
		}
		who, public := publicPrincipal(st)
		if !public {
			continue
		}
		why, limited := limitedByCondition(st["Condition"])
		if limited {
			continue
		}
		sid, _ := st["Sid"].(string)
		out = append(out, publicStatement{Index: i, Sid: sid, Grant: actionsOf(st) + " to " + who, Why: why})
	}
	return out, nil
}

// publicPrincipal tells whether a statement grants to a principal that is not fixed: Principal "*" or
// {"AWS": "*"}, any principal value with a wildcard or a policy variable, a Federated (web identity)
// principal, or a NotPrincipal (everyone but the principals named). It returns how to print the
// principal.
func publicPrincipal(st map[string]any) (string, bool) {
	if np, ok := st["NotPrincipal"]; ok {
		return "NotPrincipal " + compactJSON(np) + " (everyone else)", true
	}
	p, ok := st["Principal"]
	if !ok {
		return "no Principal", false
	}
	shown := "Principal " + compactJSON(p)
	switch v := p.(type) {
	case string:
		return shown, !isFixed(v)
	case map[string]any:
		for kind, ids := range v {
			if kind == "Federated" {
				return shown, true
			}
			for _, id := range stringsOf(ids) {
				if !isFixed(id) {
					return shown, true
				}
			}
		}
	}
	return shown, false
}

// limitedByCondition tells whether a statement's Condition limits it to fixed values of a key S3 accepts,
// and otherwise why not.
func limitedByCondition(cond any) (string, bool) {
	blocks, ok := cond.(map[string]any)
	if !ok || len(blocks) == 0 {
		return "it has no Condition", false
	}
	ops := make([]string, 0, len(blocks))
	for op := range blocks {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var flaws []string
	for _, op := range ops {
		keys, _ := blocks[op].(map[string]any)
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, key := range names {
			flaw := conditionFlaw(op, key, stringsOf(keys[key]))
			if flaw == "" {
				return "", true
			}
			flaws = append(flaws, flaw)
		}
	}
	if len(flaws) == 0 {
		return "its Condition is empty", false
	}
	return "no condition limits it: " + graph.List(flaws, "; "), false
}

// conditionFlaw says why one condition does not limit a statement to fixed values of a key S3 accepts,
// or returns "" when it does.
func conditionFlaw(op, key string, values []string) string {
	shown := op + " " + key
	name, known := limitingKeys[strings.ToLower(key)]
	base := strings.TrimPrefix(op, "ForAnyValue:")
	switch {
	case !known:
		return shown + ": S3 does not count " + key + " as limiting"
	case strings.HasSuffix(base, "IfExists"):
		return shown + ": ...IfExists also grants requests without " + name + ", as anonymous requests are"
	case !limitingOperators[base]:
		return shown + ": " + op + " does not limit the grant to fixed values"
	case len(values) == 0:
		return shown + ": no value"
	}
	for _, v := range values {
		if flaw := valueFlaw(name, base, v); flaw != "" {
			return shown + " " + strconv.Quote(v) + ": " + flaw
		}
	}
	return ""
}

// valueFlaw says why a condition value is not a fixed value S3 accepts for its key, or returns "".
func valueFlaw(key, op, v string) string {
	switch key {
	case "aws:SourceIp":
		if op != "IpAddress" {
			return "aws:SourceIp needs the IpAddress operator"
		}
		return cidrFlaw(v)
	case "aws:userid":
		if roleSessionPattern.MatchString(v) {
			return ""
		}
	case "s3:DataAccessPointArn":
		if accessPointPattern.MatchString(v) {
			return ""
		}
	}
	if !isFixed(v) {
		return "not a fixed value (it holds a wildcard or a policy variable)"
	}
	return ""
}

// cidrFlaw says why an aws:SourceIp value is too broad (or not an address), or returns "".
func cidrFlaw(v string) string {
	prefix, err := netip.ParsePrefix(v)
	if err != nil {
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return "not an IP address or CIDR"
		}
		prefix = netip.PrefixFrom(addr, addr.BitLen())
	}
	bits, ipv4 := prefix.Bits(), prefix.Addr().Is4()
	switch {
	case ipv4 && bits < minIPv4Prefix:
		return fmt.Sprintf("broader than /%d, which S3 counts as public for IPv4", minIPv4Prefix)
	case !ipv4 && bits < minIPv6Prefix:
		return fmt.Sprintf("broader than /%d, which S3 counts as public for IPv6", minIPv6Prefix)
	}
	return ""
}

// isFixed reports whether a policy value is fixed: no wildcard and no policy variable.
func isFixed(v string) bool { return !strings.ContainsAny(v, "*?") && !strings.Contains(v, "${") }

// stringsOf returns a policy value as strings: a string, or each element of an array; other scalars
// printed as JSON.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsOf(e)...)
		}
		return out
	}
	return []string{compactJSON(v)}
}

// actionsOf prints a statement's actions.
func actionsOf(st map[string]any) string {
	if a, ok := st["Action"]; ok {
		return graph.List(stringsOf(a), ", ")
	}
	if na, ok := st["NotAction"]; ok {
		return "every action but " + graph.List(stringsOf(na), ", ")
	}
	return "nothing"
}

// compactJSON prints a decoded JSON value.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
