package region_test

import (
	"errors"
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	module        = "github.com/ess-ha/ess-ha"
	configPackage = module + "/internal/config"
	regionPackage = module + "/components/region"
)

// TestOnlyTheRegionMapsConfigToArgs checks that every component takes its own Args: no package under
// components/ except the region imports internal/config, directly or through another package of the
// module. The region is the one place that maps the stack's configuration to the components' Args.
// It reads the imports of the packages' non-test files with go/build, so it needs no go command.
func TestOnlyTheRegionMapsConfigToArgs(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	imports := moduleImports(t, root)

	var components []string
	for pkg := range imports {
		if strings.HasPrefix(pkg, module+"/components/") {
			components = append(components, pkg)
		}
	}
	slices.Sort(components)
	require.Contains(t, components, module+"/components/pool", "the walk found no components")
	for _, pkg := range components {
		if pkg == regionPackage {
			continue
		}
		if path := pathTo(imports, pkg, configPackage); path != nil {
			assert.Fail(t, pkg+" depends on internal/config",
				"%s: give the component Args types of its own and let components/region map the configuration to them", strings.Join(path, " -> "))
		}
	}
	assert.NotNil(t, pathTo(imports, regionPackage, configPackage), "the region maps the configuration, so it imports internal/config")
}

// moduleImports returns, for every package of the module under root, the module packages its
// non-test files import.
func moduleImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		pkg, err := build.Default.ImportDir(path, build.ImportComment)
		if err != nil {
			if _, ok := errors.AsType[*build.NoGoError](err); ok {
				return nil
			}
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		var deps []string
		for _, imp := range pkg.Imports {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				deps = append(deps, imp)
			}
		}
		out[module+"/"+filepath.ToSlash(rel)] = deps
		return nil
	})
	require.NoError(t, err)
	return out
}

// pathTo returns an import path from one package to another, or nil when there is none.
func pathTo(imports map[string][]string, from, to string) []string {
	seen := map[string]bool{}
	var walk func(pkg string) []string
	walk = func(pkg string) []string {
		if pkg == to {
			return []string{pkg}
		}
		if seen[pkg] {
			return nil
		}
		seen[pkg] = true
		for _, dep := range imports[pkg] {
			if path := walk(dep); path != nil {
				return append([]string{pkg}, path...)
			}
		}
		return nil
	}
	return walk(from)
}
