// Package dns provides the Zone and Records components: the deployment's hosted zone and the records
// that point its three names at the edge.
package dns

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ess-ha/ess-ha/internal/awsname"
)

// ZoneArgs configures a Zone.
type ZoneArgs struct {
	Domain string
	// ExistingZoneID is a hosted zone to use; empty creates one for Domain.
	ExistingZoneID string
	// Shared marks a zone that an active-active pair shares: a created zone is then retained when the
	// stack is destroyed or the zone renamed, because the other region's records live in it too.
	Shared bool
	Tags   map[string]string
}

// Zone is the hosted zone the records and certificate validation live in.
type Zone struct {
	pulumi.ResourceState

	ZoneID      pulumi.StringOutput      `pulumi:"zoneId"`
	NameServers pulumi.StringArrayOutput `pulumi:"nameServers"`
}

func (a *ZoneArgs) validate() error {
	if a == nil {
		return errors.New("zone args are nil: pass &dns.ZoneArgs{Domain: \"example.com\"}")
	}
	if a.ExistingZoneID != "" {
		if !awsname.IsHostedZoneID(a.ExistingZoneID) {
			return fmt.Errorf("ZoneArgs.ExistingZoneID %q is invalid: use a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, or leave it empty to create a zone", a.ExistingZoneID)
		}
		return nil
	}
	if !awsname.IsHostname(a.Domain) {
		return fmt.Errorf("ZoneArgs.Domain %q is invalid: use a lower-case DNS domain such as example.com (or set ExistingZoneID)", a.Domain)
	}
	return nil
}

// NewZone creates (or adopts by id) the hosted zone. With ExistingZoneID set no resource is created:
// the component only exposes the id, and NameServers is empty (the zone's delegation is managed
// wherever the zone is). A created zone is never force-destroyed: deleting it with records in it fails,
// which protects the deployment's names.
func NewZone(ctx *pulumi.Context, name string, args *ZoneArgs, opts ...pulumi.ResourceOption) (*Zone, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("zone %s: %w", name, err)
	}
	comp := &Zone{}
	if err := ctx.RegisterComponentResource("ess-ha:dns:Zone", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering zone %s: %w", name, err)
	}
	if args.ExistingZoneID != "" {
		comp.ZoneID = pulumi.String(args.ExistingZoneID).ToStringOutput()
		comp.NameServers = pulumi.StringArray{}.ToStringArrayOutput()
	} else {
		zoneTags := pulumi.StringMap{"Name": pulumi.String(args.Domain)}
		for k, v := range args.Tags {
			zoneTags[k] = pulumi.String(v)
		}
		zone, err := route53.NewZone(ctx, name+"-zone", &route53.ZoneArgs{
			Name:         pulumi.String(args.Domain),
			Comment:      pulumi.String("ess-ha: Enterprise Solid Server names for " + args.Domain),
			ForceDestroy: pulumi.Bool(false),
			Tags:         zoneTags,
		}, pulumi.Parent(comp), pulumi.RetainOnDelete(args.Shared))
		if err != nil {
			return nil, fmt.Errorf("creating hosted zone %s-zone for %s: %w", name, args.Domain, err)
		}
		comp.ZoneID = zone.ZoneId
		comp.NameServers = zone.NameServers
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"zoneId":      comp.ZoneID,
		"nameServers": comp.NameServers,
	}); err != nil {
		return nil, fmt.Errorf("registering the outputs of zone %s: %w", name, err)
	}
	return comp, nil
}

// RecordsArgs configures Records.
type RecordsArgs struct {
	ZoneID pulumi.StringInput
	// Hostnames are the names to point at the target: <domain>, identity.<domain>, oidc.<domain>.
	Hostnames []string
	// TargetDNSName and TargetZoneID are the alias target (a load balancer or an accelerator).
	TargetDNSName pulumi.StringInput
	TargetZoneID  pulumi.StringInput

	// SetIdentifier, when set, makes every record a weighted record of that identifier (one per region
	// in a multi-region deployment, e.g. "us-east-1"), so several Records components can share the
	// names. Empty creates plain (simple routing) alias records.
	SetIdentifier string
	// Weight is the weighted records' weight, 0 to 255 (0 sends no traffic unless every weight is 0).
	// Only used with SetIdentifier.
	Weight int
	// HealthCheckID is the Route 53 health check that takes this set out of rotation when it fails
	// (e.g. an inverted health check for the STOP failover pattern). Optional; only used with
	// SetIdentifier.
	HealthCheckID pulumi.StringInput
}

// Records are alias A records, one per hostname, pointing at the target.
//
// There are no AAAA records: the load balancers and the accelerator are IPv4 only (ipAddressType ipv4,
// IPV4), and an AAAA alias to an IPv4-only target answers no address (Route 53 Developer Guide,
// "Routing traffic to an ELB load balancer": create an AAAA alias only for a dualstack load balancer).
//
// They are alias records everywhere, never CNAMEs: the ESS document asks for CNAME entries, but one of
// the names is the zone apex, and a CNAME cannot coexist with the SOA and NS records every zone apex
// carries (RFC 1034 section 3.6.2). Route 53 alias records resolve like a CNAME at no query cost, follow
// the target's addresses, and with evaluateTargetHealth stop answering when the target is unhealthy.
type Records struct {
	pulumi.ResourceState

	Fqdns pulumi.StringArrayOutput `pulumi:"fqdns"`
	// Records are the A records, in Hostnames order.
	Records []*route53.Record
}

func (a *RecordsArgs) validate() error {
	if a == nil {
		return errors.New("records args are nil: pass &dns.RecordsArgs{ZoneID, Hostnames, TargetDNSName, TargetZoneID}")
	}
	var errs []error
	if a.ZoneID == nil {
		errs = append(errs, errors.New("RecordsArgs.ZoneID is not set: pass the hosted zone id, e.g. zone.ZoneID"))
	}
	if a.TargetDNSName == nil {
		errs = append(errs, errors.New("RecordsArgs.TargetDNSName is not set: pass the load balancer's or accelerator's DNS name, e.g. edge.AliasDNSName"))
	}
	if a.TargetZoneID == nil {
		errs = append(errs, errors.New("RecordsArgs.TargetZoneID is not set: pass the alias target's hosted zone id, e.g. edge.AliasZoneID"))
	}
	if len(a.Hostnames) == 0 {
		errs = append(errs, errors.New("RecordsArgs.Hostnames is empty: list the names to serve, e.g. example.com, identity.example.com, oidc.example.com"))
	}
	seen := map[string]bool{}
	for i, h := range a.Hostnames {
		if !awsname.IsHostname(h) {
			errs = append(errs, fmt.Errorf("RecordsArgs.Hostnames[%d] %q is invalid: use a lower-case DNS name without a trailing dot, such as identity.example.com", i, h))
		}
		if seen[h] {
			errs = append(errs, fmt.Errorf("RecordsArgs.Hostnames[%d] %q is listed twice: list every name once", i, h))
		}
		seen[h] = true
	}
	if a.SetIdentifier == "" {
		if a.Weight != 0 {
			errs = append(errs, fmt.Errorf("RecordsArgs.Weight is %d but SetIdentifier is empty: set SetIdentifier to create weighted records, or leave Weight 0", a.Weight))
		}
		if a.HealthCheckID != nil {
			errs = append(errs, errors.New("RecordsArgs.HealthCheckID is set but SetIdentifier is empty: set SetIdentifier to create weighted records, or leave HealthCheckID nil"))
		}
	} else {
		if len(a.SetIdentifier) > 128 || strings.TrimSpace(a.SetIdentifier) != a.SetIdentifier {
			errs = append(errs, fmt.Errorf("RecordsArgs.SetIdentifier %q is invalid: use 1 to 128 characters without surrounding spaces, such as the region name", a.SetIdentifier))
		}
		if a.Weight < 0 || a.Weight > 255 {
			errs = append(errs, fmt.Errorf("RecordsArgs.Weight %d is invalid: use 0 to 255", a.Weight))
		}
	}
	return errors.Join(errs...)
}

// NewRecords creates the records: an alias A record per hostname, with
// evaluateTargetHealth on. With SetIdentifier set they are weighted records of that set (weight, set
// identifier and optional health check), and the set identifier is part of every record's resource name
// so that the records of several sets can live in one stack.
func NewRecords(ctx *pulumi.Context, name string, args *RecordsArgs, opts ...pulumi.ResourceOption) (*Records, error) {
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("records %s: %w", name, err)
	}
	comp := &Records{}
	if err := ctx.RegisterComponentResource("ess-ha:dns:Records", name, comp, opts...); err != nil {
		return nil, fmt.Errorf("registering records %s: %w", name, err)
	}
	fqdns := pulumi.StringArray{}
	for _, host := range args.Hostnames {
		for _, typ := range []string{"A"} {
			rname := name + "-" + host
			if args.SetIdentifier != "" {
				rname += "-" + args.SetIdentifier
			}
			rname += "-" + typ
			rargs := &route53.RecordArgs{
				ZoneId: args.ZoneID,
				Name:   pulumi.String(host),
				Type:   pulumi.String(typ),
				Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
					Name:                 args.TargetDNSName,
					ZoneId:               args.TargetZoneID,
					EvaluateTargetHealth: pulumi.Bool(true),
				}},
			}
			if args.SetIdentifier != "" {
				rargs.SetIdentifier = pulumi.String(args.SetIdentifier)
				rargs.WeightedRoutingPolicies = route53.RecordWeightedRoutingPolicyArray{
					route53.RecordWeightedRoutingPolicyArgs{Weight: pulumi.Int(args.Weight)},
				}
				if args.HealthCheckID != nil {
					rargs.HealthCheckId = args.HealthCheckID.ToStringOutput()
				}
			}
			rec, err := route53.NewRecord(ctx, rname, rargs, pulumi.Parent(comp))
			if err != nil {
				return nil, fmt.Errorf("creating %s record %s for %s: %w", typ, rname, host, err)
			}
			comp.Records = append(comp.Records, rec)
			if typ == "A" {
				fqdns = append(fqdns, rec.Fqdn)
			}
		}
	}
	comp.Fqdns = fqdns.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"fqdns": comp.Fqdns}); err != nil {
		return nil, fmt.Errorf("registering the outputs of records %s: %w", name, err)
	}
	return comp, nil
}
