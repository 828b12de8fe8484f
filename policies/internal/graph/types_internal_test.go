package graph

import "testing"

// TestAliasModules checks that Canonical's quick test lets every alias through to the map.
func TestAliasModules(t *testing.T) {
	t.Parallel()
	for alias, canonical := range aliases {
		if !aliasModule(alias) {
			t.Errorf("aliasModule(%q) is false: Canonical would not map it to %s", alias, canonical)
		}
	}
}
