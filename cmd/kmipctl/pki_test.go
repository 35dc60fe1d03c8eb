package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmipd/kmipd/certs"
)

// runWithStdin runs the command line args with stdin and returns its output.
func runWithStdin(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	err := root.Execute()
	return out.String(), err
}

func TestPKIIssueListRevoke(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "array1")
	if msg, err := runWithStdin(t, "", "pki", "issue", "array1", "--pki", pki, "--out", out); err != nil {
		t.Fatalf("issue: %v: %s", err, msg)
	}
	// The output directory is a --pki directory for a client.
	if _, err := certs.ClientConfig(filepath.Join(out, "ca.crt"), filepath.Join(out, "client.crt"), filepath.Join(out, "client.key"), "localhost"); err != nil {
		t.Fatalf("issued files are not a client PKI: %v", err)
	}
	if _, err := runWithStdin(t, "", "pki", "issue", "array1", "--pki", pki, "--out", out); err == nil {
		t.Error("issuing into a directory that holds a client certificate succeeded")
	}

	list, err := runWithStdin(t, "", "pki", "list", "--pki", pki)
	if err != nil || !strings.Contains(list, "CN=array1,O=kmipd") || !strings.Contains(list, "CN="+certs.DevClientName) || strings.Contains(list, "revoked") {
		t.Fatalf("list = %v:\n%s", err, list)
	}
	if msg, err := runWithStdin(t, "", "pki", "revoke", "array1", "--pki", pki); err != nil || !strings.Contains(msg, "revoked") {
		t.Fatalf("revoke: %v: %s", err, msg)
	}
	list, _ = runWithStdin(t, "", "pki", "list", "--pki", pki)
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, "array1") != strings.HasSuffix(line, "revoked") {
			t.Errorf("after revoke, list line %q", line)
		}
	}
	if _, err := runWithStdin(t, "", "pki", "revoke", "nobody", "--pki", pki); err == nil {
		t.Error("revoking an unknown name succeeded")
	}
}

func TestPKIHashPassword(t *testing.T) {
	out, err := runWithStdin(t, "pa55word\n", "pki", "hash-password")
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.TrimSpace(out)
	check, err := certs.NewPasswordHashes(map[string]string{"u": hash})
	if err != nil {
		t.Fatalf("printed hash %q: %v", hash, err)
	}
	if !check.Verify("u", "pa55word") || check.Verify("u", "pa55word\n") {
		t.Error("the printed hash does not verify exactly the password given")
	}
	if _, err := runWithStdin(t, "", "pki", "hash-password"); err == nil {
		t.Error("an empty password was hashed")
	}
}

// TestPKIIdentity: the dev client is its bare subject under tls.ca; a
// client of a further CA is qualified by that CA.
func TestPKIIdentity(t *testing.T) {
	own, other := filepath.Join(t.TempDir(), "own"), filepath.Join(t.TempDir(), "other")
	for _, dir := range []string{own, other} {
		if _, err := certs.EnsureDevPKI(dir, nil); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runWithStdin(t, "", "pki", "identity", filepath.Join(own, "client.crt"), "--pki", own)
	if err != nil || out != "CN=kmip-client,O=kmipd\n" {
		t.Errorf("identity of the dev client = %q, %v", out, err)
	}
	out, err = runWithStdin(t, "", "pki", "identity", filepath.Join(other, "client.crt"), "--pki", own, "--client-ca", filepath.Join(other, "ca.crt"))
	if err != nil || !strings.HasPrefix(out, "CN=kmip-client,O=kmipd;ca=sha256:") {
		t.Errorf("identity of another CA's client = %q, %v", out, err)
	}
}
