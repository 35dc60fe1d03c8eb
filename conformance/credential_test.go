package conformance

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// batchTimeout bounds the exchange of the 1,000-item wrong-password
// message: a few argon2id runs take well under a second; a timeout means
// the Credential is verified once per item again (minutes of CPU).
const batchTimeout = 60 * time.Second

// TestPasswordBatchCostsOneCheck sends one message of 1,000 Query items
// with a wrong password and Batch Error Continuation Option Continue, and
// checks that every item fails with Authentication Not Successful and that
// the server spent on it the CPU of a few argon2id runs, not of 1,000: one
// wrong-password item, measured the same way, calibrates the cost of one.
func TestPasswordBatchCostsOneCheck(t *testing.T) {
	hash, err := certs.HashPassword("right-password")
	if err != nil {
		t.Fatal(err)
	}
	// No back-off: the 1,000-item message is checked, not refused
	// unchecked after the calibrating failure.
	config := writeAuthConfig(t, fmt.Sprintf("auth:\n  require_password: true\n  lockout: {max_failures: 0, backoff_base: 0s}\n"+
		"  users:\n    array:\n      password_hash: %q\n", hash))
	d := startDaemon(t, t.TempDir(), "KMIPD_CONFIG="+config)
	wrong := &kmip.Credential{Type: 1, Username: "array", Password: "wrong-password"}

	before := d.cpuTime(t)
	requireAllRefused(t, d.batch(t, wrong, 1, requestTimeout), 1)
	one := d.cpuTime(t) - before

	before = d.cpuTime(t)
	requireAllRefused(t, d.batch(t, wrong, 1000, batchTimeout), 1000)
	thousand := d.cpuTime(t) - before
	t.Logf("server CPU: %v for a 1-item wrong-password message, %v for a 1,000-item one", one, thousand)
	if limit := 5*one + time.Second; thousand > limit {
		t.Errorf("the 1,000-item message cost %v of CPU, more than %v (5 single checks and a second): the Credential is verified per item", thousand, limit)
	}
}

// TestPasswordLockout runs a password guesser with a valid certificate
// against kmipd: each failure puts its identity and the username in
// back-off, the third locks both, so that even the right password is then
// refused until the period ends; a SIGHUP keeps the failures counted (the
// third comes after one, lowering max_failures to 3); a username bound to
// another identity is refused with the right password. Every refusal and
// lock is an audit record without the password, and counted in metrics.
func TestPasswordLockout(t *testing.T) {
	hash, err := certs.HashPassword("right-password")
	if err != nil {
		t.Fatal(err)
	}
	const period = 3 * time.Second
	dir := t.TempDir()
	metricsAddr := freeLoopbackAddr(t)
	authSection := func(maxFailures int) string {
		return fmt.Sprintf("auth:\n  require_password: true\n"+
			"  lockout: {max_failures: %d, period: %v, backoff_base: 100ms, backoff_max: 200ms}\n"+
			"  users:\n"+
			"    array: {password_hash: %q, identities: [%q]}\n"+
			"    other: {password_hash: %q, identities: [\"CN=someone-else,O=acme\"]}\n",
			maxFailures, period, hash, certSubject(t, filepath.Join(dir, "pki", "client.crt")), hash)
	}
	// The dev PKI is written at the first start: its client's subject is
	// then known for the binding.
	if _, err := certs.EnsureDevPKI(filepath.Join(dir, "pki"), nil); err != nil {
		t.Fatal(err)
	}
	config := writeAuthConfig(t, authSection(5))
	d := startDaemon(t, dir, "KMIPD_CONFIG="+config, "KMIPD_METRICS_LISTEN="+metricsAddr)
	attempt := func(user, password string) error {
		c := d.client(t)
		c.Credential = &kmip.Credential{Type: 1, Username: user, Password: password}
		_, err := try(c, kmip14.OperationQuery, &kmip.QueryRequest{})
		return err
	}
	const backoff = 300 * time.Millisecond // past backoff_max

	if err := attempt("array", "right-password"); err != nil {
		t.Fatalf("the right password: %v", err)
	}
	for range 2 {
		requireReason(t, attempt("array", "wrong-password"), kmip.ReasonAuthenticationNotSuccessful)
		time.Sleep(backoff)
	}
	os.WriteFile(config, []byte(authSection(3)), 0o600)
	d.sighup(t, "configuration reloaded")
	requireReason(t, attempt("array", "wrong-password"), kmip.ReasonAuthenticationNotSuccessful)
	locked := time.Now()

	time.Sleep(backoff)
	start := time.Now()
	requireReason(t, attempt("array", "right-password"), kmip.ReasonAuthenticationNotSuccessful)
	if d := time.Since(start); d > time.Second {
		t.Errorf("a locked username was answered in %v", d)
	}
	waitForMetrics(t, metricsAddr, `kmipd_auth_locked_keys 2`, `kmipd_auth_failures_total{reason="bad_password"} 3`,
		`kmipd_auth_failures_total{reason="locked"} 1`)

	time.Sleep(time.Until(locked.Add(period + 200*time.Millisecond)))
	if err := attempt("array", "right-password"); err != nil {
		t.Fatalf("the right password after the lock period: %v", err)
	}
	requireReason(t, attempt("other", "right-password"), kmip.ReasonAuthenticationNotSuccessful)
	waitForMetrics(t, metricsAddr, `kmipd_auth_locked_keys 0`, `kmipd_auth_failures_total{reason="identity_not_allowed"} 1`)
	d.stop(t)

	records := auditExport(t, dir)
	identity := "identity " + certSubject(t, d.pki("client.crt"))
	for _, want := range []struct{ operation, object, reason string }{
		{"Authenticate", "username array", "bad_password, 1 failures in a row"},
		{"Authenticate", "username array", "bad_password, 3 failures in a row"},
		{"AuthLockout", identity, "locked for 3s after 3 failures in a row"},
		{"AuthLockout", "username array", "locked for 3s after 3 failures in a row"},
		{"Authenticate", "", "locked, retry in"},
		{"Authenticate", "username other", "identity_not_allowed"},
		{"Query", "", "AuthenticationNotSuccessful"},
	} {
		if !slices.ContainsFunc(records, func(r auditLine) bool {
			return r.Operation == want.operation && (want.object == "" || r.ObjectID == want.object) && strings.HasPrefix(r.Reason, want.reason)
		}) {
			t.Errorf("no %s record of %q with reason %q in the audit trail:\n%v", want.operation, want.object, want.reason, records)
		}
	}
	for name, text := range map[string]string{"audit trail": fmt.Sprint(records), "log": d.log.String()} {
		if strings.Contains(text, "right-password") || strings.Contains(text, "wrong-password") {
			t.Errorf("the %s holds a password", name)
		}
	}
}

// auditLine is one record of kmipctl audit export.
type auditLine struct {
	Operation string `json:"operation"`
	ObjectID  string `json:"object_id"`
	Result    string `json:"result"`
	Reason    string `json:"reason"`
	Identity  string `json:"identity"`
}

// auditExport returns the audit records of the stopped daemon's dataDir.
func auditExport(t *testing.T, dataDir string) []auditLine {
	t.Helper()
	out, err := exec.Command(kmipctlBin, "audit", "export", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("kmipctl audit export: %v", err)
	}
	var records []auditLine
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r auditLine
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit export line %q: %v", line, err)
		}
		records = append(records, r)
	}
	return records
}

// writeAuthConfig writes body as a kmipd.yaml in a temporary directory and
// returns its path.
func writeAuthConfig(t *testing.T, body string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "kmipd.yaml")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// batch sends, on a new connection, one request message of n Query items
// with cred and Batch Error Continuation Option Continue, and returns the
// response, read within timeout.
func (d *daemon) batch(t *testing.T, cred *kmip.Credential, n int, timeout time.Duration) *kmip.ResponseMessage {
	t.Helper()
	items := make([]kmip.RequestItem, n)
	for i := range items {
		items[i] = kmip.RequestItem{Operation: kmip14.OperationQuery, ID: []byte(strconv.Itoa(i)), Payload: &kmip.QueryRequest{}}
	}
	msg, err := kmip.EncodeRequest(&kmip.RequestMessage{
		Header: kmip.RequestHeader{
			Version:                kmip.V1_4,
			BatchCount:             n,
			Credential:             cred,
			BatchErrorContinuation: kmip14.BatchErrorContinuationOptionContinue,
		},
		Items: items,
	})
	if err != nil {
		t.Fatalf("encode the batch: %v", err)
	}
	conn := d.rawConn(t)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(msg); err != nil {
		t.Fatalf("send the batch: %v", err)
	}
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		t.Fatalf("no answer to the %d-item batch within %v: %v", n, timeout, err)
	}
	out := append(hdr, make([]byte, binary.BigEndian.Uint32(hdr[4:]))...)
	if _, err := io.ReadFull(conn, out[8:]); err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	resp, err := kmip.DecodeResponse(out)
	if err != nil {
		t.Fatalf("decode the answer: %v", err)
	}
	return resp
}

// requireAllRefused checks that resp answers n items, each failed with
// Authentication Not Successful.
func requireAllRefused(t *testing.T, resp *kmip.ResponseMessage, n int) {
	t.Helper()
	if len(resp.Items) != n {
		t.Fatalf("%d items answered, want %d", len(resp.Items), n)
	}
	for i, it := range resp.Items {
		if it.Status == kmip14.ResultStatusSuccess || it.Reason != kmip.ReasonAuthenticationNotSuccessful {
			t.Fatalf("item %d: %v %v %q, want Authentication Not Successful", i, it.Status, it.Reason, it.Message)
		}
	}
}

// cpuTime returns the user and system CPU time the daemon has used, from
// /proc/PID/stat (fields utime and stime, in clock ticks of 1/100 s).
func (d *daemon) cpuTime(t *testing.T) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", d.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read CPU time: %v", err)
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			t.Fatalf("parse /proc stat %q: %v", f, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100)
}
