package conformance

import (
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestStolenTicketRefused has a client log in (KMIP 2.0 Login) on kmipd
// over mutual TLS, and another client, with a certificate of its own from
// the same CA, present the ticket in its request header: every request of
// the thief is refused with Permission Denied, uses up none of the
// ticket's Request Count, and is on the audit trail, which never holds the
// ticket's value. The owner's ticket works until it logs out.
func TestStolenTicketRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDaemon(t, dir)
	owner := d.client(t)
	owner.Version = kmip.V2_0
	key := createKey(t, owner, "ticket-owner-key", "")
	ticket := do[*kmip.LoginResponse](t, owner, kmip.OperationLogin, &kmip.LoginRequest{RequestCount: 3}).Ticket
	cred := &kmip.Credential{Type: kmip.CredentialTypeTicket, Ticket: &ticket}

	thiefDir := filepath.Join(t.TempDir(), "thief")
	if out, err := exec.Command(kmipctlBin, "pki", "issue", "thief", "--pki", filepath.Join(dir, "pki"), "--out", thiefDir).CombinedOutput(); err != nil {
		t.Fatalf("kmipctl pki issue: %v\n%s", err, out)
	}
	thief := dialWith(t, d, filepath.Join(thiefDir, "client.crt"), filepath.Join(thiefDir, "client.key"))
	thief.Version = kmip.V2_0
	thief.Credential = cred
	for _, tc := range []struct {
		op      kmip.Operation
		payload any
	}{
		{kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: key}},
		{kmip14.OperationQuery, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}},
		{kmip.OperationLogout, &kmip.LogoutRequest{Ticket: &ticket}},
	} {
		for range 2 {
			_, err := try(thief, tc.op, tc.payload)
			requireReason(t, err, kmip.ReasonPermissionDenied)
		}
	}

	// The thief used none of the three requests of the ticket.
	owner.Credential = cred
	for range 2 {
		if got := getMaterial(t, owner, key); len(got) != 32 {
			t.Fatalf("the owner reads %d bytes of its key with its ticket", len(got))
		}
	}
	if _, err := try(owner, kmip.OperationLogout, &kmip.LogoutRequest{}); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err := try(owner, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: key})
	requireReason(t, err, kmip.ReasonInvalidTicket)
	d.requireAlive(t)

	d.stop(t)
	out, err := exec.Command(kmipctlBin, "audit", "export", "--data-dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("kmipctl audit export: %v\n%s", err, out)
	}
	export := string(out)
	if !auditHasRefusal(export, "Get", `"reason":"PermissionDenied"`) || !auditHasRefusal(export, "Query", `"reason":"PermissionDenied"`) {
		t.Errorf("the thief's refused requests are not in the audit trail:\n%.3000s", export)
	}
	if v := hex.EncodeToString(ticket.Value); strings.Contains(strings.ToLower(export), v) {
		t.Error("the audit trail holds the ticket's value")
	}
}
