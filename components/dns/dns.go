// Package dns provides the Zone and Records components: the deployment's hosted zone and the records
// that point its three names at the edge.
package dns

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// ZoneArgs configures a Zone.
type ZoneArgs struct {
	Domain string
	// ExistingZoneID is a hosted zone to use; empty creates one for Domain.
	ExistingZoneID string
	Tags           map[string]string
}

// Zone is the hosted zone the records and certificate validation live in.
type Zone struct {
	pulumi.ResourceState

	ZoneID      pulumi.StringOutput      `pulumi:"zoneId"`
	NameServers pulumi.StringArrayOutput `pulumi:"nameServers"`
}

// NewZone creates (or adopts by id) the hosted zone.
func NewZone(ctx *pulumi.Context, name string, args *ZoneArgs, opts ...pulumi.ResourceOption) (*Zone, error) {
	panic("TODO")
}

// RecordsArgs configures Records.
type RecordsArgs struct {
	ZoneID pulumi.StringInput
	// Hostnames are the names to point at the target: <domain>, identity.<domain>, oidc.<domain>.
	Hostnames []string
	// TargetDNSName and TargetZoneID are the alias target (a load balancer or an accelerator).
	TargetDNSName pulumi.StringInput
	TargetZoneID  pulumi.StringInput
}

// Records are alias A (and AAAA) records, one set per hostname, pointing at the target.
type Records struct {
	pulumi.ResourceState

	Fqdns pulumi.StringArrayOutput `pulumi:"fqdns"`
}

// NewRecords creates the records.
func NewRecords(ctx *pulumi.Context, name string, args *RecordsArgs, opts ...pulumi.ResourceOption) (*Records, error) {
	panic("TODO")
}
