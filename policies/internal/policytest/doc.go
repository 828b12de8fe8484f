// Package policytest loads the fixtures the ess-ha policies are tested on, runs a policy on them the way
// the analyzer would (with its configuration defaults applied and panics caught), and loads Pulumi state
// files (`pulumi stack export`, and the offline plans of `essha plan`) as stacks.
//
// # Fixture format
//
// A fixture is one JSON file describing one stack and what a policy should say about it:
//
//	{
//	  "description": "an auto-scaling group in the public subnets",
//	  "dryRun": false,
//	  "config": {"minimumZones": 3},
//	  "include": ["../../_shared/network.deployed.json"],
//	  "remove": ["app-c"],
//	  "resources": [
//	    {
//	      "urn": "ess-asg",
//	      "type": "aws:autoscaling/group:Group",
//	      "id": "ess-asg",
//	      "parent": "",
//	      "provider": "",
//	      "properties": {"vpcZoneIdentifiers": ["subnet-0a"], "minSize": 3},
//	      "dependencies": ["public-a"],
//	      "propertyDependencies": {"vpcZoneIdentifiers": ["public-a"]}
//	    }
//	  ],
//	  "expect": ["vpcZoneIdentifiers", "public subnet"]
//	}
//
// Fields:
//
//   - description: what the fixture shows; printed when a test fails.
//   - dryRun: true for a preview. It is passed to the policy as policy.Args.DryRun.
//   - config: the policy's configuration properties, as in --policy-pack-config. They are validated against
//     the policy's schema, and the schema's defaults fill in the rest.
//   - include: other fixture files (paths relative to this one) whose resources come first. Shared
//     topologies live in rules/testdata/_shared. A resource of this fixture with the URN of an included one
//     replaces it in place; remove drops included resources by URN or short name.
//   - resources: the stack, in order. properties are the resource's outputs (the inputs, for a fixture of a
//     resource policy run in Analyze) in Pulumi's serialized state format, decoded with
//     github.com/pulumi/pulumi/pkg/v3/resource/stack.DeserializeProperties: a secret is
//     {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "<JSON text>"}
//     and an unknown value (a preview) is the string "04da6b54-80e4-46f7-96ec-b56ff0331ba9". A preview
//     fixture leaves "id" out of new resources.
//   - urn may be short: a name without "urn:" becomes urn:pulumi:test::ess-ha::<type>::<name>, and the
//     entries of dependencies, propertyDependencies and parent may then name resources of the fixture
//     (and of its includes) by that short name. The resource's Name is the URN's name part unless "name"
//     is given.
//   - expect: substrings that must each appear in some message of the fixture's findings.
//
// # Layout and verdicts
//
// The fixtures of a policy live in rules/testdata/<policy-name>/, in three folders:
//
//   - pass/: the policy reports nothing that blocks: no violation unless it is CannotVerify.
//   - fail/: the policy reports at least one violation that is not CannotVerify, and every expect
//     substring appears in the messages of those violations.
//   - cannot-verify/: the policy reports no blocking violation and at least one CannotVerify finding, and
//     every expect substring appears in the messages of those findings.
//
// The verdict is the floor. Beside each fixture, <case>.golden pins every finding the policy reports on it
// (policy, level, URN and message, as Findings writes them; GoldenPath names the file), so that a changed
// message or an extra finding shows up as a diff; the rules' tests compare them and rewrite them under
// -update.
//
// A fixture named <case>.preview.json next to <case>.deployed.json describes the same stack during a
// preview (new resources without IDs, references only through propertyDependencies) and after
// deployment (IDs and ARNs); the tests require both to give the same verdict.
//
// # Other stacks
//
// ToPreview derives from a deployed stack the stack a preview creating it would send (no IDs; IDs, ARNs
// and computed outputs unknown, names kept); WithoutIDs strips IDs as the Analyzer protocol does when a
// provider does not repeat them in an "id" output; Replicate makes large stacks of copies for
// benchmarks; LoadState reads a state file. Run runs a policy the way the analyzer does, Config applies a
// policy's schema defaults and validates its configuration, and Check compares findings with a
// fixture's verdict.
package policytest
