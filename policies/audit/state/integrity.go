package state

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/providers"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// verify checks the file's integrity with the rules of the engine's deploy.Snapshot.VerifyIntegrity,
// which refuses a broken checkpoint before any update: every provider, parent, dependency, property
// dependency, deleted-with and replace-with target is a resource earlier in the file (so there is no
// cycle), provider references are well formed, and a URN appears twice only when all of its copies but
// at most one are pending deletion. Unlike the engine's, the check is linear in the file's size. The
// error names the file, the resource's position and field, and says what is wrong.
func (f *File) verify() error {
	// first maps each URN to the position of its first resource, to tell "comes after" from "missing".
	first := make(map[resource.URN]int, len(f.Resources))
	for i, r := range f.Resources {
		if _, ok := first[r.URN]; !ok {
			first[r.URN] = i
		}
	}
	seen := make(map[resource.URN]int, len(f.Resources)) // URN -> live copies so far
	deleted := make(map[resource.URN]int)                // URN -> copies pending deletion
	provs := make(map[providers.Reference]bool)
	for i, r := range f.Resources {
		at := "deployment.resources[" + strconv.Itoa(i) + "]"
		fail := func(field, format string, args ...any) error {
			return &Error{Path: f.Path, Where: at + "." + field, What: fmt.Sprintf(format, args...) +
				" (the engine refuses such a state: snapshot integrity failure)"}
		}
		if providers.IsProviderType(resourceType(r.Type)) {
			ref, err := newProviderReference(r.URN, resourceID(r.ID))
			if err != nil {
				return fail("urn", "provider %s is not referenceable: %v", r.URN, err)
			}
			provs[ref] = true
		}
		if r.Provider != "" {
			ref, err := parseProviderReference(r.Provider)
			if err != nil {
				return fail("provider", "resource %s has a malformed provider reference %q: %v", r.URN, r.Provider, err)
			}
			if !provs[ref] && !r.PendingReplacement {
				return fail("provider", "resource %s refers to unknown provider %s%s", r.URN, ref, where(first, ref.URN(), i))
			}
		}
		check := func(field string, dep resource.URN, what string) error {
			if dep == "" {
				return nil
			}
			if _, ok := seen[dep]; ok {
				return nil
			}
			if _, ok := deleted[dep]; ok {
				return nil
			}
			return fail(field, "resource %s's %s %s %s", r.URN, what, dep, missingOrLater(first, dep, i))
		}
		if err := check("parent", r.Parent, "parent"); err != nil {
			return err
		}
		for j, d := range r.Dependencies {
			if err := check("dependencies["+strconv.Itoa(j)+"]", d, "dependency"); err != nil {
				return err
			}
		}
		for k, deps := range r.PropertyDependencies.All() { // in the order of the keys
			for j, d := range deps {
				if err := check("propertyDependencies."+string(k)+"["+strconv.Itoa(j)+"]", d, "property dependency (from property "+string(k)+")"); err != nil {
					return err
				}
			}
		}
		if err := check("deletedWith", r.DeletedWith, "deleted-with resource"); err != nil {
			return err
		}
		for j, d := range r.ReplaceWith {
			if err := check("replaceWith["+strconv.Itoa(j)+"]", d, "replace-with resource"); err != nil {
				return err
			}
		}
		if r.Delete {
			deleted[r.URN]++
		} else {
			seen[r.URN]++
		}
	}
	// A URN may appear several times only while all of its copies, or all but one, are pending deletion.
	for i, r := range f.Resources {
		if seen[r.URN] > 1 && first[r.URN] == i {
			dup := -1
			for j := i + 1; j < len(f.Resources); j++ {
				if f.Resources[j].URN == r.URN && !f.Resources[j].Delete {
					dup = j
					break
				}
			}
			return &Error{Path: f.Path, Where: "deployment.resources[" + strconv.Itoa(dup) + "].urn", What: fmt.Sprintf(
				"duplicate resource %s (not marked for deletion): deployment.resources[%d] has the same URN; a URN names one "+
					"resource (the engine refuses such a state: snapshot integrity failure)", r.URN, i)}
		}
	}
	return nil
}

// missingOrLater says whether a URN the resource at index i names is missing or comes after it.
func missingOrLater(first map[resource.URN]int, urn resource.URN, i int) string {
	if j, ok := first[urn]; ok && j > i {
		return fmt.Sprintf("comes after it (at deployment.resources[%d]): a resource's dependencies must come before it, "+
			"so the file is out of order or has a cycle", j)
	}
	return "is missing from the file"
}

// where says where a provider the resource at index i names is, when it is in the file at all.
func where(first map[resource.URN]int, urn resource.URN, i int) string {
	if j, ok := first[urn]; ok && j > i {
		return fmt.Sprintf(", which comes after it (at deployment.resources[%d])", j)
	}
	if _, ok := first[urn]; ok {
		return " (a provider of that URN is in the file, with another ID)"
	}
	return ", which is missing from the file"
}

// newProviderReference is providers.NewReference for any input. The SDK asserts, and so panics, on a
// URN whose type has no module ("pulumi:s"), so such a URN is refused here first.
func newProviderReference(urn resource.URN, id resource.ID) (providers.Reference, error) {
	if err := checkProviderURN(urn); err != nil {
		return providers.Reference{}, err
	}
	return providers.NewReference(urn, id)
}

// parseProviderReference is providers.ParseReference ("<provider URN>::<ID>") for any input, with the
// same guard as newProviderReference.
func parseProviderReference(s string) (providers.Reference, error) {
	if sep := strings.LastIndex(s, resource.URNNameDelimiter); sep >= 0 {
		if err := checkProviderURN(resource.URN(s[:sep])); err != nil {
			return providers.Reference{}, err
		}
	}
	return providers.ParseReference(s)
}

// checkProviderURN says why urn cannot be a provider's: not a URN, or its type is not
// pulumi:providers:<package>.
func checkProviderURN(urn resource.URN) error {
	if !urn.IsValid() {
		return fmt.Errorf("%s is not a valid URN", urn)
	}
	if typ := urn.Type(); !providers.IsProviderType(typ) {
		return fmt.Errorf("its type %s is not a provider type (pulumi:providers:<package>)", typ)
	}
	return nil
}
