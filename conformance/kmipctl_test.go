package conformance

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
)

// TestKmipctl drives a key through its life with the kmipctl binary and
// checks its JSON output and exit statuses.
func TestKmipctl(t *testing.T) {
	t.Parallel()
	if kmipctlErr != nil {
		t.Fatalf("cannot build kmipctl: %v", kmipctlErr)
	}
	d := startDaemon(t, t.TempDir())

	var created struct {
		ID string `json:"unique_identifier"`
	}
	d.ctlJSON(t, &created, "create", "--alg", "AES", "--length", "256", "--name", "ctl-key",
		"--group", "ctl-group", "--mask", "encrypt,decrypt")
	id := created.ID
	if id == "" {
		t.Fatal("create printed no unique_identifier")
	}

	var got struct {
		ID        string `json:"unique_identifier"`
		Type      string `json:"object_type"`
		Length    int    `json:"cryptographic_length"`
		Algorithm string `json:"cryptographic_algorithm"`
		Value     string `json:"value_hex"`
	}
	d.ctlJSON(t, &got, "get", id)
	if material, err := hex.DecodeString(got.Value); err != nil || len(material) != 32 {
		t.Errorf("get: value_hex %d hex digits (%v), want 32 bytes", len(got.Value), err)
	}
	if got.ID != id || got.Type != kmip14.ObjectTypeSymmetricKey.String() || got.Length != 256 ||
		got.Algorithm != kmip14.CryptographicAlgorithmAES.String() {
		t.Errorf("get: %+v, want %s, SymmetricKey, AES, 256", got, id)
	}

	var located struct {
		IDs []string `json:"unique_identifiers"`
	}
	d.ctlJSON(t, &located, "locate", "--name", "ctl-key")
	if !reflect.DeepEqual(located.IDs, []string{id}) {
		t.Errorf("locate --name ctl-key: %v, want [%s]", located.IDs, id)
	}
	d.ctlJSON(t, &located, "locate", "--group", "ctl-group", "--type", "symmetric")
	if !reflect.DeepEqual(located.IDs, []string{id}) {
		t.Errorf("locate --group ctl-group: %v, want [%s]", located.IDs, id)
	}

	d.requireCtlState(t, id, kmip14.StatePreActive)
	d.ctlJSON(t, nil, "activate", id)
	d.requireCtlState(t, id, kmip14.StateActive)

	_, stderr, err := d.ctl(t, "destroy", id)
	if err == nil {
		t.Fatal("destroy of an Active key exited 0")
	}
	if !mentionsAny(stderr, kmip14.ResultReasonPermissionDenied.String(), "Wrong Key Lifecycle State",
		"WrongKeyLifecycleState", "Permission Denied") {
		t.Errorf("destroy of an Active key: stderr %q does not name the Result Reason", stderr)
	}

	d.ctlJSON(t, nil, "revoke", id, "--reason", "superseded")
	d.requireCtlState(t, id, kmip14.StateDeactivated)
	var destroyed struct {
		ID     string `json:"unique_identifier"`
		Result string `json:"result"`
	}
	d.ctlJSON(t, &destroyed, "destroy", id)
	if destroyed.ID != id || destroyed.Result != "destroyed" {
		t.Errorf("destroy: %+v", destroyed)
	}
	if _, stderr, err := d.ctl(t, "get", id); err == nil {
		t.Error("get of a destroyed key exited 0")
	} else if !strings.Contains(stderr, "kmipctl:") {
		t.Errorf("get of a destroyed key: stderr %q", stderr)
	}

	// Global flags after the command, and a registered secret.
	secret := []byte("kmipctl secret value")
	stdout, stderr, err := runCtl(t, "register", "--type", "secret", "--hex", hex.EncodeToString(secret),
		"--name", "ctl-secret", "--json", "--server", d.addr, "--pki", filepath.Dir(d.pki("ca.crt")))
	if err != nil {
		t.Fatalf("register with global flags last: %v\n%s", err, stderr)
	}
	if err := json.Unmarshal(stdout, &created); err != nil {
		t.Fatalf("register --json printed %q: %v", stdout, err)
	}
	d.ctlJSON(t, &got, "get", created.ID)
	if got.Value != hex.EncodeToString(secret) || got.Type != kmip14.ObjectTypeSecretData.String() {
		t.Errorf("get of the registered secret: %+v", got)
	}
	d.stop(t)
}

// ctl runs kmipctl against d with the global flags first.
func (d *daemon) ctl(t *testing.T, args ...string) (stdout []byte, stderr string, err error) {
	t.Helper()
	global := []string{"--server", d.addr, "--pki", filepath.Dir(d.pki("ca.crt")), "--timeout", requestTimeout.String()}
	return runCtl(t, append(global, args...)...)
}

// ctlJSON runs kmipctl with --json, requires exit status 0 and one JSON
// object on stdout, and decodes it into out (unless out is nil).
func (d *daemon) ctlJSON(t *testing.T, out any, args ...string) {
	t.Helper()
	stdout, stderr, err := d.ctl(t, append(args, "--json")...)
	if err != nil {
		t.Fatalf("kmipctl %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal(stdout, &v); err != nil {
		t.Fatalf("kmipctl %s --json printed %q: %v", strings.Join(args, " "), stdout, err)
	}
	if out != nil {
		if err := json.Unmarshal(stdout, out); err != nil {
			t.Fatalf("kmipctl %s --json printed %q: %v", strings.Join(args, " "), stdout, err)
		}
	}
}

// requireCtlState checks the State that "kmipctl attrs ID State" prints.
func (d *daemon) requireCtlState(t *testing.T, id string, want kmip14.State) {
	t.Helper()
	var attrs struct {
		Attributes []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"attributes"`
	}
	d.ctlJSON(t, &attrs, "attrs", id, "State")
	if len(attrs.Attributes) != 1 || attrs.Attributes[0].Name != "State" || attrs.Attributes[0].Value != want.String() {
		t.Fatalf("attrs %s State: %+v, want State %v", id, attrs.Attributes, want)
	}
}

// runCtl runs the kmipctl binary with args.
func runCtl(t *testing.T, args ...string) (stdout []byte, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(kmipctlBin, args...)
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.String(), err
}

func mentionsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
