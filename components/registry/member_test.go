package registry

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ess-ha/ess-ha/internal/mocks"
	"github.com/ess-ha/ess-ha/internal/mocks/mockstest"
)

const (
	typeRepository = "aws:ecr/repository:Repository"
	typeTemplate   = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
	typeScanning   = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
	typeRole       = "aws:iam/role:Role"
	typeRolePolicy = "aws:iam/rolePolicy:RolePolicy"
)

// runIn runs NewRegistry under mocks of a stack in region.
func runIn(t *testing.T, region string, args *RegistryArgs) (*mocks.Mocks, *Registry, error) {
	t.Helper()
	m := mocks.New("ess-ha", "prod-"+region, region)
	var comp *Registry
	err := m.Run(nil, func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewRegistry(ctx, "registry", args)
		return err
	})
	return m, comp, err
}

// pairArgs are the arguments both stacks of the pair pass, in a mode, for the member's region.
func pairArgs(mode Mode) *RegistryArgs {
	return &RegistryArgs{
		Mode:               mode,
		Repositories:       []string{"inrupt/ess-ldp", "inrupt/ess-identity", "backend/prometheus"},
		Tags:               map[string]string{"project": "ess-ha", "stack": "prod-us-west-2"},
		AccountID:          mocks.Account,
		Region:             "us-west-2",
		RepositoryPrefixes: []string{"inrupt/", "backend/"},
	}
}

// TestRegistryMemberCreatesNoRepository is the defect's guard: a Member stack declares no repository
// and nothing that needs one to exist, so an image replicated into its region before (or after) it is
// deployed can never make its deployment fail with RepositoryAlreadyExists.
func TestRegistryMemberCreatesNoRepository(t *testing.T) {
	t.Parallel()
	m, _, err := runIn(t, "us-west-2", pairArgs(Member))
	require.NoError(t, err)

	assert.Empty(t, m.ByType(typeRepository), "no repository: ECR creates them when replication brings the images")
	assert.Empty(t, m.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy"), "no lifecycle policy: it would need the repository to exist")
	assert.Empty(t, m.ByType("aws:ecr/repositoryPolicy:RepositoryPolicy"), "no repository policy: it would need the repository to exist")
	allowed := map[string]bool{
		"ess-ha:registry:Registry": true,
		"aws:kms/key:Key":          true,
		"aws:kms/alias:Alias":      true,
		typeRole:                   true,
		typeRolePolicy:             true,
		typeTemplate:               true,
		typeScanning:               true,
	}
	for _, r := range m.Registrations() {
		assert.True(t, allowed[r.Type], "a Member registry creates only registry-level resources, not %s %s", r.Type, r.Name)
	}
	assertParented(t, m, "ess-ha:registry:Registry")

	// The Owner, with the same arguments, does create the repositories.
	owner, _, err := runIn(t, "us-east-1", pairArgs(Owner))
	require.NoError(t, err)
	assert.Len(t, owner.ByType(typeRepository), 3)
	assert.Empty(t, owner.ByType(typeTemplate))
	assert.Empty(t, owner.ByType(typeScanning))
	assert.Empty(t, owner.ByType(typeRole))
}

// TestRegistryMemberTemplates checks one REPLICATION template per prefix, with the settings of the
// Owner's repositories.
func TestRegistryMemberTemplates(t *testing.T) {
	t.Parallel()
	m, comp, err := runIn(t, "us-west-2", pairArgs(Member))
	require.NoError(t, err)

	key := mockstest.One(t, m, "aws:kms/key:Key")
	keyArn := key.Outputs["arn"].StringValue()
	assert.Equal(t, keyArn, mockstest.Await[string](t, comp.KmsKeyArn))
	assert.Contains(t, keyArn, ":us-west-2:", "a key of the Member's own region")
	role := mockstest.One(t, m, typeRole)
	rolePolicy := mockstest.One(t, m, typeRolePolicy)
	policy, err := LifecyclePolicy(DefaultKeepImages)
	require.NoError(t, err)

	templates := m.ByType(typeTemplate)
	prefixes := map[string]bool{}
	for _, tpl := range templates {
		in := tpl.Inputs
		prefixes[in["prefix"].StringValue()] = true
		assert.Equal(t, []string{"REPLICATION"}, mockstest.Strings(in["appliedFors"]), "for repositories replication creates")
		assert.Equal(t, "IMMUTABLE", in["imageTagMutability"].StringValue())
		enc := in["encryptionConfigurations"].ArrayValue()
		require.Len(t, enc, 1)
		assert.Equal(t, "KMS", enc[0].ObjectValue()["encryptionType"].StringValue())
		assert.Equal(t, keyArn, enc[0].ObjectValue()["kmsKey"].StringValue(), "the registry's own key, not the AWS-managed one")
		assert.JSONEq(t, policy, in["lifecyclePolicy"].StringValue())
		assert.Equal(t, "ess-ha", in["resourceTags"].ObjectValue()["project"].StringValue())
		assert.Equal(t, role.Outputs["arn"].StringValue(), in["customRoleArn"].StringValue(),
			"KMS and resource tags need a custom role ECR assumes")
		assert.Contains(t, tpl.Dependencies, rolePolicy.URN, "the role can act before the template is used")
		assert.LessOrEqual(t, len(in["description"].StringValue()), 256)
	}
	assert.Equal(t, map[string]bool{"inrupt": true, "backend": true}, prefixes,
		"one template per prefix, without the trailing / ECR implies")
}

// TestRegistryMemberTemplatesMatchOwnerRepositories checks that a repository ECR makes from a Member
// template has the settings the Owner gives its repositories.
func TestRegistryMemberTemplatesMatchOwnerRepositories(t *testing.T) {
	t.Parallel()
	owner, _, err := runIn(t, "us-east-1", pairArgs(Owner))
	require.NoError(t, err)
	member, _, err := runIn(t, "us-west-2", pairArgs(Member))
	require.NoError(t, err)

	repo := owner.ByType(typeRepository)[0].Inputs
	lifecycle := owner.ByType("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].Inputs["policy"].StringValue()
	for _, tpl := range member.ByType(typeTemplate) {
		in := tpl.Inputs
		assert.Equal(t, repo["imageTagMutability"], in["imageTagMutability"])
		assert.Equal(t, repo["encryptionConfigurations"].ArrayValue()[0].ObjectValue()["encryptionType"],
			in["encryptionConfigurations"].ArrayValue()[0].ObjectValue()["encryptionType"])
		assert.JSONEq(t, lifecycle, in["lifecyclePolicy"].StringValue())
		assert.Equal(t, repo["tags"], in["resourceTags"])
	}
	assert.True(t, repo["imageScanningConfiguration"].ObjectValue()["scanOnPush"].BoolValue())
	assert.Len(t, member.ByType(typeScanning), 1, "scan on push comes from the registry in the Member's region")
}

// TestRegistryMemberRole checks the role ECR assumes for the templates: trusted by ECR only, allowed
// to create, replicate into and tag the prefixes' repositories and to use the registry's key, and
// nothing else.
func TestRegistryMemberRole(t *testing.T) {
	t.Parallel()
	m, _, err := runIn(t, "us-west-2", pairArgs(Member))
	require.NoError(t, err)
	role := mockstest.One(t, m, typeRole)
	keyArn := mockstest.One(t, m, "aws:kms/key:Key").Outputs["arn"].StringValue()

	var trust struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    any
			Condition any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(role.Inputs["assumeRolePolicy"].StringValue()), &trust))
	require.Len(t, trust.Statement, 1)
	assert.Equal(t, "Allow", trust.Statement[0].Effect)
	assert.Equal(t, map[string]any{"Service": "ecr.amazonaws.com"}, trust.Statement[0].Principal)
	assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)

	rp := mockstest.One(t, m, typeRolePolicy)
	assert.Equal(t, role.Outputs["name"].StringValue(), rp.Inputs["role"].StringValue())
	var doc struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(rp.Inputs["policy"].StringValue()), &doc))
	got := map[string]any{}
	for _, s := range doc.Statement {
		assert.Equal(t, "Allow", s.Effect)
		actions := append([]string(nil), s.Action...)
		sort.Strings(actions)
		for _, a := range actions {
			got[a] = s.Resource
		}
	}
	repos := []any{
		"arn:aws:ecr:us-west-2:123456789012:repository/backend/*",
		"arn:aws:ecr:us-west-2:123456789012:repository/inrupt/*",
	}
	assert.Equal(t, map[string]any{
		"ecr:CreateRepository": repos,
		"ecr:ReplicateImage":   repos,
		"ecr:TagResource":      repos,
		"kms:CreateGrant":      keyArn,
		"kms:RetireGrant":      keyArn,
		"kms:DescribeKey":      keyArn,
	}, got, "the documented actions, on the templates' repositories and the registry's key only")
}

// TestRegistryMemberScanning checks that every repository of the Member's registry scans on push: a
// template has no scanning setting.
func TestRegistryMemberScanning(t *testing.T) {
	t.Parallel()
	m, _, err := runIn(t, "us-west-2", pairArgs(Member))
	require.NoError(t, err)
	sc := mockstest.One(t, m, typeScanning)
	assert.Equal(t, "BASIC", sc.Inputs["scanType"].StringValue())
	rules := sc.Inputs["rules"].ArrayValue()
	require.Len(t, rules, 1)
	rule := rules[0].ObjectValue()
	assert.Equal(t, "SCAN_ON_PUSH", rule["scanFrequency"].StringValue())
	filters := rule["repositoryFilters"].ArrayValue()
	require.Len(t, filters, 1)
	assert.Equal(t, "*", filters[0].ObjectValue()["filter"].StringValue(), "every repository")
	assert.Equal(t, "WILDCARD", filters[0].ObjectValue()["filterType"].StringValue())
}

// TestRegistryMemberURLs checks that the Member computes the URLs and ARNs ECR gives the repositories,
// the same as an Owner in that region would report, so the pools need not know the mode.
func TestRegistryMemberURLs(t *testing.T) {
	t.Parallel()
	_, member, err := runIn(t, "us-west-2", pairArgs(Member))
	require.NoError(t, err)
	_, owner, err := runIn(t, "us-west-2", pairArgs(Owner))
	require.NoError(t, err)

	assert.Equal(t, "123456789012.dkr.ecr.us-west-2.amazonaws.com/inrupt/ess-ldp",
		mockstest.Await[string](t, member.URLs["inrupt/ess-ldp"]))
	assert.Equal(t, "arn:aws:ecr:us-west-2:123456789012:repository/backend/prometheus",
		mockstest.Await[string](t, member.Arns["backend/prometheus"]))
	require.Len(t, member.URLs, 3)
	require.Len(t, member.Arns, 3)
	for r := range owner.URLs {
		assert.Equal(t, mockstest.Await[any](t, owner.URLs[r]), mockstest.Await[any](t, member.URLs[r]), "URL of %s", r)
		assert.Equal(t, mockstest.Await[any](t, owner.Arns[r]), mockstest.Await[any](t, member.Arns[r]), "ARN of %s", r)
	}
}

// TestRegistryMemberRootPrefix checks ROOT, the template for repositories without a namespace.
func TestRegistryMemberRootPrefix(t *testing.T) {
	t.Parallel()
	args := pairArgs(Member)
	args.Repositories = []string{"ess", "inrupt/ess-ldp"}
	args.RepositoryPrefixes = []string{"inrupt", "ROOT"}
	m, comp, err := runIn(t, "us-west-2", args)
	require.NoError(t, err)
	var prefixes []string
	for _, tpl := range m.ByType(typeTemplate) {
		prefixes = append(prefixes, tpl.Inputs["prefix"].StringValue())
	}
	sort.Strings(prefixes)
	assert.Equal(t, []string{"ROOT", "inrupt"}, prefixes)
	assert.Contains(t, mockstest.One(t, m, typeRolePolicy).Inputs["policy"].StringValue(),
		`"arn:aws:ecr:us-west-2:123456789012:repository/*"`, "ROOT covers every repository")
	assert.Equal(t, "123456789012.dkr.ecr.us-west-2.amazonaws.com/ess", mockstest.Await[string](t, comp.URLs["ess"]))
}

// TestRegistryMemberChecksAccountAndRegion checks that the computed URLs cannot name another registry
// than the one the stack deploys to.
func TestRegistryMemberChecksAccountAndRegion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*RegistryArgs)
		want string
	}{
		{"region", func(a *RegistryArgs) { a.Region = "us-east-1" },
			`RegistryArgs.Region "us-east-1" is not the region this stack deploys to (us-west-2): pass us-west-2`},
		{"account", func(a *RegistryArgs) { a.AccountID = "210987654321" },
			`RegistryArgs.AccountID "210987654321" is not the account this stack deploys to (123456789012)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := pairArgs(Member)
			tc.edit(args)
			m, _, err := runIn(t, "us-west-2", args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "registry registry: "+tc.want)
			assert.Empty(t, m.ByType(typeTemplate), "no template for a registry it does not describe")
		})
	}
}

// TestRegistryOwnerChecksMemberFieldsForm checks that Owner mode accepts the Member's fields (the region
// can pass them in both modes) but not malformed ones.
func TestRegistryOwnerChecksMemberFieldsForm(t *testing.T) {
	t.Parallel()
	m, comp, err := runIn(t, "us-east-1", &RegistryArgs{
		Mode: Owner, Repositories: []string{"inrupt/ess-ldp", "ess"}, AccountID: mocks.Account, Region: "us-east-1",
		RepositoryPrefixes: []string{"inrupt/"},
	})
	require.NoError(t, err, "an Owner needs no template, so a repository outside the prefixes is fine")
	assert.Len(t, m.ByType(typeRepository), 2)
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/ess", mockstest.Await[any](t, comp.URLs["ess"]))

	_, _, err = runIn(t, "us-east-1", &RegistryArgs{Repositories: []string{"inrupt/ess-ldp"}, AccountID: "12345"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `RegistryArgs.AccountID "12345" is invalid`)
}

func TestRegistryMemberRejectsBadArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*RegistryArgs)
		want string
	}{
		{"unknown mode", func(a *RegistryArgs) { a.Mode = "primary" }, `RegistryArgs.Mode "primary" is invalid: use registry.Owner`},
		{"no account", func(a *RegistryArgs) { a.AccountID = "" }, "RegistryArgs.AccountID is empty: Member mode computes the repository URLs"},
		{"bad account", func(a *RegistryArgs) { a.AccountID = "acct-1" }, `RegistryArgs.AccountID "acct-1" is invalid: pass this stack's 12-digit AWS account ID`},
		{"no region", func(a *RegistryArgs) { a.Region = "" }, "RegistryArgs.Region is empty"},
		{"bad region", func(a *RegistryArgs) { a.Region = "US-WEST-2" }, `RegistryArgs.Region "US-WEST-2" is invalid`},
		{"no prefixes", func(a *RegistryArgs) { a.RepositoryPrefixes = nil }, "RegistryArgs.RepositoryPrefixes is empty: Member mode creates one repository creation template per prefix"},
		{"bad prefix", func(a *RegistryArgs) { a.RepositoryPrefixes = []string{"Inrupt/", "backend/"} }, `RegistryArgs.RepositoryPrefixes[0] "Inrupt/" is invalid`},
		{"double slash", func(a *RegistryArgs) { a.RepositoryPrefixes = []string{"inrupt//", "backend/"} }, `RegistryArgs.RepositoryPrefixes[0] "inrupt//" is invalid`},
		{"same prefix twice", func(a *RegistryArgs) { a.RepositoryPrefixes = []string{"inrupt", "backend/", "inrupt/"} },
			`RegistryArgs.RepositoryPrefixes[2] "inrupt/" is the same template prefix "inrupt" as RepositoryPrefixes[0] "inrupt"`},
		{"repository without namespace", func(a *RegistryArgs) {
			a.Repositories = []string{"inrupt", "inrupt/ess-ldp"}
			a.RepositoryPrefixes = []string{"inrupt"}
		}, `RegistryArgs.Repositories[0] = "inrupt" is under none of RegistryArgs.RepositoryPrefixes ["inrupt"]`},
		{"string prefix but not a namespace", func(a *RegistryArgs) {
			a.Repositories = []string{"inruptx/ess"}
			a.RepositoryPrefixes = []string{"inrupt"}
		}, `RegistryArgs.Repositories[0] = "inruptx/ess" is under none`},
		{"repository outside the prefixes", func(a *RegistryArgs) { a.RepositoryPrefixes = []string{"inrupt/"} },
			`RegistryArgs.Repositories[2] = "backend/prometheus" is under none`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := pairArgs(Member)
			tc.edit(args)
			m, _, err := runIn(t, "us-west-2", args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "registry registry: ")
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, m.Registrations(), "nothing is created")
		})
	}
}

func TestCovered(t *testing.T) {
	t.Parallel()
	assert.True(t, covered("inrupt/ess-ldp", []string{"inrupt"}))
	assert.True(t, covered("inrupt/ess-ldp", []string{"inrupt/"}))
	assert.True(t, covered("inrupt/team/ess", []string{"inrupt/team"}))
	assert.False(t, covered("inrupt", []string{"inrupt"}), "the / after a prefix is implied")
	assert.False(t, covered("inruptx/ess", []string{"inrupt"}))
	assert.True(t, covered("ess", []string{"inrupt", "ROOT"}))
}
