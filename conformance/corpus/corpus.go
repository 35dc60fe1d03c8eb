// Package corpus locates the OASIS KMIP test vectors (the kmip-vectors
// corpus) for the tests that read them, the same way for every package:
// the directory $KMIP_VECTORS names, else ../shared/kmip-vectors beside the
// module root. The files are read in place and never copied into the
// repository.
//
// A test that needs the corpus calls Require: without the corpus it skips,
// except under CI=true, where a missing corpus fails the test. `make test`
// runs the check command first, which prints one line when the corpus is
// missing, since `go test` does not show why a test skipped.
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// EnvVar is the environment variable that points at the corpus.
const EnvVar = "KMIP_VECTORS"

// Sets are the folders of the corpus, one per OASIS publication: the KMIP
// Profiles 1.4 and 2.1 test cases and the KMIP Test Cases 2.0.
var Sets = []string{"v1.4", "v2.0-tc", "v2.1"}

// Dir returns the corpus directory: $KMIP_VECTORS when set, else
// ../shared/kmip-vectors beside the module root (the nearest directory at
// or above the working directory that holds go.mod). It does not check
// that the directory exists; Missing does.
func Dir() (string, error) {
	if dir := os.Getenv(EnvVar); dir != "" {
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "kmip-vectors"), nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod at or above %s", wd)
		}
	}
}

// Missing returns the corpus directory and those of sets (all Sets when
// none are named) that it lacks; err reports a corpus that cannot be
// located at all.
func Missing(sets ...string) (dir string, missing []string, err error) {
	if dir, err = Dir(); err != nil {
		return "", nil, err
	}
	if len(sets) == 0 {
		sets = Sets
	}
	for _, s := range sets {
		if st, err := os.Stat(filepath.Join(dir, s)); err != nil || !st.IsDir() {
			missing = append(missing, s)
		}
	}
	return dir, missing, nil
}

// Problem describes what of sets (all Sets when none are named) is
// missing and how to point the tests at the corpus; it returns "" when
// nothing is.
func Problem(sets ...string) string {
	dir, missing, err := Missing(sets...)
	switch {
	case err != nil:
		return fmt.Sprintf("OASIS KMIP test vectors not located (%v); set %s=/path/to/kmip-vectors", err, EnvVar)
	case len(missing) == 0:
		return ""
	}
	return fmt.Sprintf("OASIS KMIP test vectors %s not found in %s; set %s=/path/to/kmip-vectors (default: ../shared/kmip-vectors beside the project)",
		strings.Join(missing, ", "), dir, EnvVar)
}

// Require returns the corpus directory for a test that reads sets (all
// Sets when none are named). When one is missing it skips tb, or fails it
// under CI=true.
func Require(tb testing.TB, sets ...string) string {
	tb.Helper()
	if p := Problem(sets...); p != "" {
		if InCI() {
			tb.Fatal(p)
		}
		tb.Skip(p)
	}
	dir, _ := Dir()
	return dir
}

// InCI reports whether the tests run under CI (CI=true), where a missing
// corpus is a failure, not a skip.
func InCI() bool { return os.Getenv("CI") == "true" }
