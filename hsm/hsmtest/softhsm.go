// Package hsmtest makes SoftHSM2 tokens for the tests of the PKCS#11
// provider and of everything that runs on it (handlers, the daemon).
//
// A test that needs a token calls NewSoftHSM, which skips the test when
// SoftHSM2 is not installed and fails it instead under CI=true, where
// .ci/run installs it.
package hsmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// modules are where distributions install the SoftHSM2 library.
var modules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// SkipOrFail skips the test, or fails it when running in CI (CI=true),
// where every test must run.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", reason)
	}
	t.Skip(reason)
}

// SoftHSM is a SoftHSM2 configuration whose token directory lies in a
// test's temporary directory.
type SoftHSM struct {
	Module string // the PKCS#11 library
	Conf   string // the softhsm2.conf to give as SOFTHSM2_CONF
	dir    string
}

// Token is an initialised token of a SoftHSM.
type Token struct {
	*SoftHSM
	Label   string
	PIN     string
	PinFile string // the user PIN in a 0600 file
}

// NewSoftHSM writes a softhsm2.conf with its token directory in
// t.TempDir(). It does not change the process environment: call Use for
// an in-process provider, or pass Env to a child process.
func NewSoftHSM(t testing.TB) *SoftHSM {
	t.Helper()
	var module string
	for _, m := range modules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if _, err := exec.LookPath("softhsm2-util"); err != nil || module == "" {
		SkipOrFail(t, "SoftHSM2 is not installed (apt-get install softhsm2)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	content := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return &SoftHSM{Module: module, Conf: conf, dir: dir}
}

// Use points this process's SOFTHSM2_CONF at h for the rest of the test.
// SoftHSM2 reads it when the module is initialised, so no provider may be
// open when Use is called.
func (h *SoftHSM) Use(t testing.TB) { t.Setenv("SOFTHSM2_CONF", h.Conf) }

// InitToken initialises a token labelled label with user PIN pin and writes
// the PIN to a 0600 file.
func (h *SoftHSM) InitToken(t testing.TB, label, pin string) Token {
	t.Helper()
	cmd := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "5678")
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+h.Conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	pinFile, err := os.CreateTemp(h.dir, "pin-*")
	if err != nil {
		t.Fatal(err)
	}
	defer pinFile.Close()
	if _, err := pinFile.WriteString(pin + "\n"); err != nil {
		t.Fatal(err)
	}
	return Token{SoftHSM: h, Label: label, PIN: pin, PinFile: pinFile.Name()}
}

// NewToken returns a fresh token "T" with PIN 1234 in its own SoftHSM.
func NewToken(t testing.TB) Token {
	t.Helper()
	return NewSoftHSM(t).InitToken(t, "T", "1234")
}

// DaemonEnv is the environment that makes a kmipd child process keep its
// key-encryption key in tok.
func (tok Token) DaemonEnv() []string {
	return []string{
		"SOFTHSM2_CONF=" + tok.Conf,
		"KMIPD_HSM_PROVIDER=pkcs11",
		"KMIPD_HSM_MODULE=" + tok.Module,
		"KMIPD_HSM_TOKEN_LABEL=" + tok.Label,
		"KMIPD_HSM_PIN_FILE=" + tok.PinFile,
	}
}
