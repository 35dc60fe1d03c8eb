package conformance

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditRecordsTenant: under a policy with tenants, kmipd's audit trail
// records the tenant of each item's client, next to its identity, as
// `kmipctl audit export` shows it.
func TestAuditRecordsTenant(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(t.TempDir(), "kmipd.yaml")
	const policy = `authz:
  tenants:
    acme:
      identities: ["CN=kmip-client,O=kmipd"]
  roles:
    operator: {operations: ["*"], tenant_wide: true}
  bindings:
    - {identity: "CN=kmip-client,O=kmipd", role: operator}
`
	if err := os.WriteFile(config, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, dir, "KMIPD_CONFIG="+config)
	createKey(t, d.client(t), "tenant-key", "")
	d.stop(t)

	out, err := exec.Command(kmipctlBin, "audit", "export", "--data-dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("kmipctl audit export: %v\n%s", err, out)
	}
	var create string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, `"operation":"Create"`) {
			create = line
		}
	}
	if create == "" {
		t.Fatalf("no Create in the audit trail:\n%.3000s", out)
	}
	if !strings.Contains(create, `"tenant":"acme"`) || !strings.Contains(create, `"identity":"CN=kmip-client,O=kmipd"`) {
		t.Errorf("the Create's record lacks its client's tenant or identity: %s", create)
	}
}
