package corpus

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDirFromEnv(t *testing.T) {
	want := t.TempDir()
	t.Setenv(EnvVar, want)
	if got, err := Dir(); err != nil || got != want {
		t.Errorf("Dir() = %q, %v; want %q", got, err, want)
	}
}

// Without KMIP_VECTORS the corpus is ../shared/kmip-vectors beside the
// module root, found from the package directory the test runs in.
func TestDirBesideModule(t *testing.T) {
	t.Setenv(EnvVar, "")
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(filepath.Dir(root), "shared", "kmip-vectors")
	if got, err := Dir(); err != nil || got != want {
		t.Errorf("Dir() = %q, %v; want %q", got, err, want)
	}
}

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "v1.4"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvVar, dir)
	_, missing, err := Missing()
	if err != nil || !slices.Equal(missing, []string{"v2.0-tc", "v2.1"}) {
		t.Errorf("Missing() = %q, %v; want v2.0-tc and v2.1", missing, err)
	}
	if _, missing, _ := Missing("v1.4"); len(missing) != 0 {
		t.Errorf("Missing(v1.4) = %q, want none", missing)
	}
	if p := Problem("v1.4"); p != "" {
		t.Errorf("Problem(v1.4) = %q, want none", p)
	}
	p := Problem()
	for _, want := range []string{"v2.0-tc, v2.1", dir, EnvVar + "="} {
		if !strings.Contains(p, want) {
			t.Errorf("Problem() = %q, want it to name %q", p, want)
		}
	}
}

// helperEnv marks the child process of TestRequireFailsUnderCI.
const helperEnv = "VECTORS_TEST_REQUIRE_CHILD"

// TestRequireSkips checks that a test needing a missing corpus skips.
func TestRequireSkips(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		Require(t) // the child of TestRequireFailsUnderCI: fails here
		return
	}
	t.Setenv(EnvVar, t.TempDir())
	t.Setenv("CI", "")
	ran := false
	t.Run("needs the corpus", func(t *testing.T) {
		Require(t)
		ran = true
	})
	if ran {
		t.Error("Require returned without the corpus")
	}
}

// TestRequireFailsUnderCI runs TestRequireSkips in a child process with
// CI=true, where the missing corpus must fail the test.
func TestRequireFailsUnderCI(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run", "^TestRequireSkips$", "-test.count", "1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "CI=true", EnvVar+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); !ok {
		t.Fatalf("child exited with %v, want a failure:\n%s", err, out)
	}
	if !strings.Contains(string(out), "not found") || !strings.Contains(string(out), "--- FAIL") {
		t.Errorf("child output does not report the missing corpus as a failure:\n%s", out)
	}
}
