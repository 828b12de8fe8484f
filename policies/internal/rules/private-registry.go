package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ess-ha/ess-ha/policies/internal/graph"
	"github.com/ess-ha/ess-ha/policies/internal/images"
	"github.com/ess-ha/ess-ha/policies/internal/policy"
)

// PrivateRegistry is the name of the policy that every container image comes from a private ECR registry.
const PrivateRegistry = "ha-private-registry"

func privateRegistry() policy.Policy {
	return policy.Policy{
		Name: PrivateRegistry,
		Description: "Every container image the stack runs (docker/podman/nerdctl/ctr/crictl commands, image: keys and FROM " +
			"lines in launch template, instance and launch configuration user data, base64 or plain or gzipped; ECS " +
			"task and Batch job container definitions) comes from a private ECR registry " +
			"(<account>.dkr.ecr.<region>.amazonaws.com), optionally only of allowedAccounts and only from ECR " +
			"repositories the stack declares. Docker Hub, public.ecr.aws, ghcr.io, quay.io, gcr.io, registry.k8s.io, " +
			"mcr.microsoft.com and every other registry are violations. ECR repositories scan on push (or are covered " +
			"by a registry scanning rule) and have immutable tags; so do the repositories ECR creates from a repository " +
			"creation template (aws:ecr/repositoryCreationTemplate applied for REPLICATION or CREATE_ON_PUSH): the " +
			"template sets imageTagMutability IMMUTABLE, and, as a template has no scan setting, an " +
			"aws:ecr/registryScanningConfiguration rule scans on push every repository it creates (filter \"*\").",
		Recommendation: recRegistry + ` ("Inrupt recommends against relying on a public repository ... pull the Docker ` +
			`images from your own container registry")`,
		DefaultLevel: policy.Mandatory,
		Schema: &policy.Schema{Properties: map[string]map[string]any{
			"allowedAccounts": {
				"type":        "array",
				"items":       map[string]any{"type": "string", "pattern": `^\d{12}$`},
				"default":     []any{},
				"description": "AWS account IDs whose private ECR registries images may come from; empty allows any account.",
			},
			"requireDeclaredRepositories": {
				"type":        "boolean",
				"default":     false,
				"description": "Require every image's repository to be an aws:ecr/repository:Repository of this stack.",
			},
		}},
		CheckStack: checkPrivateRegistry,
	}
}

// hashRe matches the SHA-1 hex digest the AWS provider stores in state instead of an instance's user data.
var hashRe = regexp.MustCompile(`^[0-9a-f]{40}$`)

// imageSource is one property that holds container images.
type imageSource struct {
	r      *policy.Resource
	prop   string
	images []images.Ref
	secret bool
}

// registryCheck holds what ha-private-registry needs across resources.
type registryCheck struct {
	g        *graph.Graph
	accounts []string
	declared bool
	// repos are the ECR repositories of the stack by name; reposUnknown says why some names are unknown.
	repos        map[string][]*policy.Resource
	reposUnknown string
	out          []policy.Violation
}

func checkPrivateRegistry(_ context.Context, s *policy.Stack, args policy.Args) []policy.Violation {
	c := &registryCheck{
		g:        graph.Of(s),
		accounts: cfgStrings(args, "allowedAccounts", nil),
		declared: cfgBool(args, "requireDeclaredRepositories", false),
		repos:    map[string][]*policy.Resource{},
	}
	for _, r := range c.g.OfType(graph.TypeEcrRepository) {
		f := graph.Prop(r, "name")
		if name, ok := f.Str(); ok {
			c.repos[name] = append(c.repos[name], r)
		} else if f.Unknown() {
			c.reposUnknown = firstNonEmpty(c.reposUnknown, unknownReason(r, "name"))
		}
	}
	for _, src := range c.sources() {
		for _, img := range src.images {
			c.image(src, img)
		}
	}
	c.repositories()
	return c.out
}

// sources collects the images of every resource that runs containers.
func (c *registryCheck) sources() []imageSource {
	var out []imageSource
	userData := func(r *policy.Resource, props ...string) {
		for _, p := range props {
			f := graph.Prop(r, p)
			if !f.Present {
				continue
			}
			if f.Unknown() {
				c.out = append(c.out, unverifiable(r.URN, unknownReason(r, p), "which container images it runs", recRegistry))
				return
			}
			s, _ := f.Str()
			if hashRe.MatchString(s) {
				c.out = append(c.out, unverifiable(r.URN,
					fmt.Sprintf("%s of %s is stored in state as a hash", p, graph.Describe(r)),
					"which container images it runs (check the program's user data, or run the pack during preview)", recRegistry))
				return
			}
			out = append(out, imageSource{r: r, prop: p, images: images.Extract(images.DecodeUserData(s)), secret: f.Secret})
			return
		}
	}
	for _, r := range c.g.OfType(graph.TypeLaunchTemplate) {
		userData(r, "userData")
	}
	for _, r := range c.g.OfType(graph.TypeInstance, graph.TypeLaunchConfiguration) {
		userData(r, "userData", "userDataBase64")
	}
	containerJSON := func(r *policy.Resource, prop string) {
		f := graph.Prop(r, prop)
		switch {
		case !f.Present:
			return
		case f.Unknown():
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, prop), "which container images it runs", recRegistry))
			return
		}
		s, _ := f.Str()
		refs, err := containerImages(s)
		if err != nil {
			shown := err.Error()
			if f.Secret {
				shown = "it is not valid JSON"
			}
			c.out = append(c.out, finding(r, prop, f.Show(), "the container definitions cannot be read: "+shown,
				"fix the JSON", recRegistry))
			return
		}
		out = append(out, imageSource{r: r, prop: prop, images: refs, secret: f.Secret})
	}
	for _, r := range c.g.OfType(graph.TypeEcsTaskDefinition) {
		containerJSON(r, "containerDefinitions")
	}
	for _, r := range c.g.OfType(graph.TypeBatchJobDefinition) {
		containerJSON(r, "containerProperties")
	}
	return out
}

// containerImages returns the images of ECS container definitions (a JSON array of objects) or Batch
// container properties (one JSON object).
func containerImages(s string) ([]images.Ref, error) {
	type def struct {
		Image string `json:"image"`
	}
	var defs []def
	if err := json.Unmarshal([]byte(s), &defs); err != nil {
		var one def
		if err2 := json.Unmarshal([]byte(s), &one); err2 != nil {
			return nil, fmt.Errorf("decoding container definitions: %w", err)
		}
		defs = []def{one}
	}
	var out []images.Ref
	for _, d := range defs {
		if d.Image != "" {
			out = append(out, images.Ref{Ref: d.Image, Via: "image"})
		}
	}
	return out, nil
}

// image checks one image reference. What the image says is as secret as the property it came from.
func (c *registryCheck) image(src imageSource, img images.Ref) {
	r := src.r
	ref := graph.Text{S: img.Ref, Secret: src.secret}
	// The image and where it is, for messages: built only for a finding (most images have none).
	shown := ref.Quoted
	where := func() string {
		if img.Line > 0 && !src.secret {
			return fmt.Sprintf("%s (line %d, %s)", src.prop, img.Line, img.Via)
		}
		return src.prop
	}
	reg := images.Classify(img.Ref)
	if reg.HostUnresolved || (!reg.PrivateECR && len(img.Unresolved) > 0) {
		unresolved := make([]graph.Text, len(img.Unresolved))
		for i, u := range img.Unresolved {
			unresolved[i] = ref.Derive(u)
		}
		c.out = append(c.out, unverifiable(r.URN,
			fmt.Sprintf("the image %s in %s of %s uses shell variables the user data does not set (%s)",
				shown(), where(), graph.Describe(r), graph.ListTexts(unresolved, ", ")),
			"which registry it comes from", recRegistry))
		return
	}
	if !reg.PrivateECR {
		name := ref.Derive(reg.Name).String()
		if src.secret {
			name = "a registry other than a private ECR registry"
		}
		c.out = append(c.out, finding(r, where(), shown(),
			fmt.Sprintf("the image comes from %s, a public registry the deployment then depends on at every container start", name),
			"push the image to a private ECR repository of the stack (<account>.dkr.ecr.<region>.amazonaws.com/<repository>) and reference it there",
			recRegistry))
		return
	}
	if len(c.accounts) > 0 {
		switch {
		case reg.Account == "":
			c.out = append(c.out, unverifiable(r.URN,
				fmt.Sprintf("the account of the image %s in %s of %s is a shell variable the user data does not set", shown(), where(), graph.Describe(r)),
				"whether it is one of allowedAccounts", recRegistry))
			return
		case !slices.Contains(c.accounts, reg.Account):
			c.out = append(c.out, finding(r, where(), shown(),
				fmt.Sprintf("the image comes from the ECR registry of account %s, which is not in allowedAccounts %s", ref.Derive(reg.Account), graph.List(c.accounts, ", ")),
				"pull it from the deployment's own registry", recRegistry))
			return
		}
	}
	if c.declared {
		c.declaredRepository(src, img, reg, shown, where)
	}
}

// declaredRepository checks that an image's repository is an ECR repository of the stack.
func (c *registryCheck) declaredRepository(src imageSource, img images.Ref, reg images.Registry, shown, where func() string) {
	r := src.r
	if strings.Contains(reg.Repository, "$") {
		c.out = append(c.out, unverifiable(r.URN,
			fmt.Sprintf("the repository of the image %s in %s of %s is a shell variable the user data does not set", shown(), where(), graph.Describe(r)),
			"whether the image's repository is declared by the stack", recRegistry))
		return
	}
	repos := c.repos[reg.Repository]
	for _, repo := range repos {
		url, ok := graph.Prop(repo, "repositoryUrl").Str()
		if !ok || strings.HasPrefix(img.Ref, url) || reg.Account == "" {
			return
		}
	}
	if len(repos) == 0 && c.reposUnknown != "" {
		c.out = append(c.out, unverifiable(r.URN, c.reposUnknown, "whether the image's repository is declared by the stack", recRegistry))
		return
	}
	repo := graph.Text{S: reg.Repository, Secret: src.secret}
	c.out = append(c.out, finding(r, where(), shown(),
		fmt.Sprintf("the image's repository %s is not an aws:ecr/repository:Repository of this stack (requireDeclaredRepositories is on)", repo.Quoted()),
		"declare the repository in the stack (scan on push, immutable tags) and pull from its repositoryUrl", recRegistry))
}

// scanRules are the rules of the stack's registry scanning configurations that scan on push.
type scanRules struct {
	filters []string
	// unknown says, when set, which part of a scanning configuration is unknown during a preview.
	unknown string
}

// scanOnPushRules collects the filters of the registry scanning rules that scan on push (SCAN_ON_PUSH, or
// CONTINUOUS_SCAN, which also scans on push).
func scanOnPushRules(g *graph.Graph) scanRules {
	var out scanRules
	for _, sc := range g.OfType(graph.TypeEcrRegistryScanning) {
		rules := graph.Prop(sc, "rules")
		if rules.Unknown() {
			out.unknown = firstNonEmpty(out.unknown, unknownReason(sc, "rules"))
			continue
		}
		for _, rl := range rules.Items() {
			freq := rl.Get("scanFrequency")
			if freq.Unknown() {
				out.unknown = firstNonEmpty(out.unknown, unknownReason(sc, freq.Path))
				continue
			}
			if f, _ := freq.Str(); f != "SCAN_ON_PUSH" && f != "CONTINUOUS_SCAN" {
				continue
			}
			for _, f := range rl.Get("repositoryFilters").Items() {
				filter := f.Get("filter")
				if v, ok := filter.Str(); ok {
					out.filters = append(out.filters, v)
				} else if filter.Unknown() {
					out.unknown = firstNonEmpty(out.unknown, unknownReason(sc, filter.Path))
				}
			}
		}
	}
	return out
}

// covers reports whether a rule scans the repository with a name.
func (s scanRules) covers(name string) bool {
	return slices.ContainsFunc(s.filters, func(f string) bool { return wildcardMatch(f, name) })
}

// coversPrefix reports whether a rule scans every repository a creation template with a prefix creates:
// the filter "*", or, for a prefix other than ROOT, a filter "<start>*" where "<prefix>/" begins with
// <start> (ECR appends "/" to a template's prefix). An empty prefix asks for the filter "*".
func (s scanRules) coversPrefix(prefix string) bool {
	return slices.ContainsFunc(s.filters, func(f string) bool {
		if f == "*" {
			return true
		}
		head, ok := strings.CutSuffix(f, "*")
		return ok && prefix != "" && prefix != templateRootPrefix && !strings.Contains(head, "*") && strings.HasPrefix(prefix+"/", head)
	})
}

// repositories checks the ECR repositories' scanning and tag immutability.
func (c *registryCheck) repositories() {
	scans := scanOnPushRules(c.g)
	for _, r := range c.g.OfType(graph.TypeEcrRepository) {
		name, _ := graph.Prop(r, "name").Str()
		scan := graph.Prop(r, "imageScanningConfiguration.scanOnPush")
		switch b, ok := scan.Bool(); {
		case scan.Unknown():
			c.out = append(c.out, unverifiable(r.URN, unknownReason(r, scan.Path), "whether images are scanned on push", recRegistry))
		case (!ok || !b) && !scans.covers(name) && scans.unknown != "":
			c.out = append(c.out, unverifiable(r.URN, scans.unknown, "whether a registry scanning rule scans the repository on push", recRegistry))
		case (!ok || !b) && !scans.covers(name):
			c.out = append(c.out, finding(r, scan.Path, scan.Show(),
				"images pushed to the repository are not scanned for vulnerabilities",
				"set imageScanningConfiguration.scanOnPush to true (or cover the repository with an aws:ecr/registryScanningConfiguration rule)",
				recRegistry))
		}
		c.immutableTags(r, "tags can be overwritten, so the image an instance pulls at start-up can change under a running deployment")
	}
	for _, t := range c.g.OfType(typeEcrCreationTemplate) {
		c.creationTemplate(t, scans)
	}
}

// immutableTags checks that a repository, or a repository creation template, has immutable tags.
func (c *registryCheck) immutableTags(r *policy.Resource, problem string) {
	mut := graph.Prop(r, "imageTagMutability")
	switch v, _ := mut.Str(); {
	case mut.Unknown():
		c.out = append(c.out, unverifiable(r.URN, unknownReason(r, "imageTagMutability"), "whether tags are immutable", recRegistry))
	case v != "IMMUTABLE":
		shown := mut.Show()
		if !mut.Present {
			shown = `null (the default, "MUTABLE")`
		}
		c.out = append(c.out, finding(r, "imageTagMutability", shown, problem, `set imageTagMutability to "IMMUTABLE"`, recRegistry))
	}
}

// creationTemplate checks a repository creation template that ECR creates the registry's repositories
// from (replication, or a push to a repository that does not exist yet): their tags are immutable and
// they are scanned on push.
func (c *registryCheck) creationTemplate(t *policy.Resource, scans scanRules) {
	creates, why := createsRepositories(t)
	if creates == graph.No {
		return
	}
	before := len(c.out)
	c.immutableTags(t, "the repositories ECR creates from the template have mutable tags, so the image an instance pulls at start-up "+
		"can change under a running deployment")
	prefix := graph.Prop(t, "prefix")
	p, known := prefix.Str()
	switch {
	case scans.coversPrefix("") || (known && scans.coversPrefix(p)):
	case scans.unknown != "":
		c.out = append(c.out, unverifiable(t.URN, scans.unknown, "whether the repositories the template creates are scanned on push", recRegistry))
	case prefix.Unknown() && len(scans.filters) > 0:
		c.out = append(c.out, unverifiable(t.URN, unknownReason(t, "prefix"), "whether a registry scanning rule covers the repositories the template creates", recRegistry))
	default:
		c.out = append(c.out, finding(t, "prefix", prefix.Show(),
			"a repository creation template has no scan setting, and no aws:ecr/registryScanningConfiguration rule scans on push every "+
				"repository the template creates, so replicated images are not scanned for vulnerabilities",
			`add an aws:ecr/registryScanningConfiguration with a rule {scanFrequency: "SCAN_ON_PUSH", repositoryFilters: `+
				`[{filter: "*", filterType: "WILDCARD"}]} (an ENHANCED CONTINUOUS_SCAN rule also scans on push)`, recRegistry))
	}
	if creates == graph.Maybe {
		for i := before; i < len(c.out); i++ {
			if !c.out[i].CannotVerify {
				c.out[i] = unverifiable(t.URN, why, "whether ECR creates repositories from the template", recRegistry)
			}
		}
	}
}

// wildcardMatch matches an ECR repository filter, where * matches any run of characters.
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return true
}

// typeEcrCreationTemplate is the type token of an ECR repository creation template.
const typeEcrCreationTemplate = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"

// templateRootPrefix is the prefix of the creation template that applies to every repository no other
// template's prefix matches.
const templateRootPrefix = "ROOT"

// creatingScenarios are the appliedFor values under which ECR creates the registry's own repositories
// from a template: replication from another region (or account), and a push to a repository that does not
// exist yet. PULL_THROUGH_CACHE repositories hold upstream images and are left out.
var creatingScenarios = map[string]bool{"REPLICATION": true, "CREATE_ON_PUSH": true}

// createsRepositories tells whether ECR creates repositories of the registry from a creation template
// (its appliedFors include REPLICATION or CREATE_ON_PUSH), and, for Maybe, what is unknown.
func createsRepositories(t *policy.Resource) (graph.Tri, string) {
	f := graph.Prop(t, "appliedFors")
	if f.Unknown() {
		return graph.Maybe, unknownReason(t, "appliedFors")
	}
	for _, it := range f.Items() {
		if it.Unknown() {
			return graph.Maybe, unknownReason(t, it.Path)
		}
		if v, ok := it.Str(); ok && creatingScenarios[strings.ToUpper(v)] {
			return graph.Yes, ""
		}
	}
	return graph.No, ""
}
