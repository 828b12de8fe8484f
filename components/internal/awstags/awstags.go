// Package awstags builds the tag maps the components put on AWS resources.
package awstags

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// With returns the common tags plus the given key/value pairs (a trailing key without a value is
// ignored); a pair overrides a common tag of the same key.
func With(common map[string]string, kv ...string) pulumi.StringMap {
	out := pulumi.StringMap{}
	for k, v := range common {
		out[k] = pulumi.String(v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = pulumi.String(kv[i+1])
	}
	return out
}
