// Package failover is the engine of the `essha failover` command: it drains a
// region out of, and restores it into, the weighted Route 53 records of an
// active-active deployment, using only S3 data-plane calls (the STOP pattern,
// "Secondary Takes Over Primary").
//
// Each region has a drain switch: an S3 object whose presence means "this
// region is drained", in the stop bucket of the PEER region, watched by an
// inverted Route 53 health check. Package stopswitch names the buckets, the
// objects and the URL the checks probe, for this package and for the Pulumi
// program alike. The command line itself (usage, flags, tables) is in
// cmd/essha.
package failover

import (
	"fmt"
	"slices"

	"github.com/ess-ha/ess-ha/internal/stopswitch"
)

// Switch is the drain switch of one region (see package stopswitch, which names it).
type Switch = stopswitch.Switch

// Switches returns the drain switches of deployment's two regions in account, as stopswitch.Pair
// does: the switch of each region lives in the other region's stop bucket.
func Switches(deployment, account string, regions []string) ([]Switch, error) {
	return stopswitch.Pair(deployment, account, regions)
}

// regionNames lists the regions of switches, in order.
func regionNames(switches []Switch) []string {
	names := make([]string, 0, len(switches))
	for _, s := range switches {
		names = append(names, s.Region)
	}
	return names
}

// validateSwitches checks that switches can drive a Client.
func validateSwitches(switches []Switch) error {
	if len(switches) == 0 {
		return fmt.Errorf("no drain switches given")
	}
	var seen []string
	for _, s := range switches {
		if s.Region == "" || s.Bucket == "" || s.BucketRegion == "" || s.Key == "" {
			return fmt.Errorf("drain switch %+v is incomplete: region, bucket, bucket region and key are all required", s)
		}
		if slices.Contains(seen, s.Region) {
			return fmt.Errorf("region %s has two drain switches", s.Region)
		}
		seen = append(seen, s.Region)
	}
	return nil
}
