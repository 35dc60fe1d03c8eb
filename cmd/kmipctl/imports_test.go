package main

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNetworkCommandsLinkNoServer holds the line package datadir draws: the
// network commands (this package, without datadir) reach neither the store
// nor the crypto module nor handlers, directly or through another kmipd
// package.
func TestNetworkCommandsLinkNoServer(t *testing.T) {
	const module = "github.com/kmipd/kmipd/"
	forbidden := []string{module + "store", module + "hsm", module + "handlers", "github.com/dgraph-io/badger", "github.com/miekg/pkcs11"}
	seen := map[string]bool{}
	// walk checks the imports of the package path, found in dir; via
	// leads to it from this package.
	var walk func(path, dir string, via []string)
	walk = func(path, dir string, via []string) {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		via = append(slices.Clip(via), path)
		for _, imp := range pkg.Imports {
			for _, f := range forbidden {
				if imp == f || strings.HasPrefix(imp, f+"/") {
					t.Errorf("%s imports %s", strings.Join(via, " -> "), imp)
				}
			}
			if !strings.HasPrefix(imp, module) || imp == module+"cmd/kmipctl/internal/datadir" || seen[imp] {
				continue
			}
			seen[imp] = true
			walk(imp, filepath.Join("..", "..", strings.TrimPrefix(imp, module)), via)
		}
	}
	walk(module+"cmd/kmipctl", ".", nil)
}
