package conformance

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmipd/kmipd/certs"
)

// TestPKCS11DirectoryRefusesSoftwareStart starts kmipd on a SoftHSM2
// token, creates a key, and starts it again without the --hsm-* settings:
// it must refuse to start, saying which module sealed the directory and
// which flags open it, and write no software key file; with the settings
// again the key reads back.
func TestPKCS11DirectoryRefusesSoftwareStart(t *testing.T) {
	env := softHSMToken(t)
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir, env...)
	c := d.client(t)
	id := createKey(t, c, "bound-key", "")
	material := getMaterial(t, c, id)
	d.stop(t)

	out := runToExit(t, dataDir) // the software module, by default
	for _, want := range []string{
		"sealed by the PKCS#11 module",
		`token "T"`,
		"configured with the software module",
		"--hsm-provider pkcs11 --hsm-module ",
		"--hsm-token-label T --hsm-pin-file FILE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "kek.key")); !os.IsNotExist(err) {
		t.Errorf("a software key file was written for a directory sealed by PKCS#11 (stat: %v)", err)
	}

	d = d.restart(t)
	if got := getMaterial(t, d.client(t), id); !bytes.Equal(got, material) {
		t.Error("the key does not read back on the PKCS#11 module after the refused start")
	}
	d.stop(t)

	// A directory of an older version has no record: still refused without
	// the settings, adopted with them.
	record := filepath.Join(dataDir, "crypto-binding.json")
	if err := os.Remove(record); err != nil {
		t.Fatal(err)
	}
	if out := runToExit(t, dataDir); !strings.Contains(out, "holds sealed data and no crypto binding") {
		t.Errorf("the refusal of an older directory does not say why:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "kek.key")); !os.IsNotExist(err) {
		t.Errorf("a software key file was written for an older PKCS#11 directory (stat: %v)", err)
	}
	d = d.restart(t)
	if got := getMaterial(t, d.client(t), id); !bytes.Equal(got, material) {
		t.Error("the key does not read back after the adoption")
	}
	if _, err := os.Stat(record); err != nil {
		t.Errorf("no record after adopting an older directory: %v", err)
	}
}

// TestKEKRotateKeepsBinding rotates the KEK of a stopped kmipd's data
// directory with kmipctl (the old epoch retired): kmipd starts on it again
// and reads its key back, and a key file put in place of the rotated one
// is refused.
func TestKEKRotateKeepsBinding(t *testing.T) {
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir)
	c := d.client(t)
	id := createKey(t, c, "rotated-key", "")
	material := getMaterial(t, c, id)
	d.stop(t)

	if _, stderr, err := runCtl(t, "kek", "rotate", "--data-dir", dataDir); err != nil {
		t.Fatalf("kmipctl kek rotate: %v\n%s", err, stderr)
	}
	d = d.restart(t)
	if got := getMaterial(t, d.client(t), id); !bytes.Equal(got, material) {
		t.Error("the key does not read back after the rotation")
	}
	d.stop(t)

	keyFile := filepath.Join(dataDir, "kek.key")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	otherDir := t.TempDir()
	startDaemon(t, otherDir).stop(t) // a data directory of its own, with another KEK
	other, err := os.ReadFile(filepath.Join(otherDir, "kek.key"))
	if err == nil {
		err = os.WriteFile(keyFile, other, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := runToExit(t, dataDir)
	for _, want := range []string{"does not unseal the check value", "restore this data directory's own kek.key"} {
		if !strings.Contains(out, want) {
			t.Errorf("the refusal of another key file lacks %q:\n%s", want, out)
		}
	}
}

// runToExit runs kmipd on dataDir with the KMIPD_* settings env, requires
// it to exit with a failure within the start timeout, and returns its
// output.
func runToExit(t *testing.T, dataDir string, env ...string) string {
	t.Helper()
	if kmipdErr != nil {
		t.Fatalf("cannot build kmipd: %v", kmipdErr)
	}
	cmd := exec.Command(kmipdBin, "--data-dir", dataDir, "--listen", freeLoopbackAddr(t))
	cmd.Env = append(os.Environ(), env...)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("kmipd exited with status 0, want a refusal:\n%s", out.String())
		}
	case <-time.After(startTimeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("kmipd still runs after %v, want a refusal:\n%s", startTimeout, out.String())
	}
	return out.String()
}

// TestTLSRefusalsAndServerCertMetrics runs kmipd with its development PKI
// and a metrics listener: the start warns of the dev PKI; a client whose
// certificate comes from a CA kmipd does not trust is refused, logged with
// its address and reason and counted; the server certificate's expiry is
// a gauge that follows a certificate reload; /readyz is 200 with the
// module working.
func TestTLSRefusalsAndServerCertMetrics(t *testing.T) {
	metricsAddr := freeLoopbackAddr(t)
	d := startDaemon(t, t.TempDir(), "KMIPD_METRICS_LISTEN="+metricsAddr)
	metrics := "http://" + metricsAddr + "/metrics"

	if line := logLine(d, "using the development PKI"); !strings.Contains(line, `"level":"warn"`) ||
		!strings.Contains(line, "for development only") || !strings.Contains(line, filepath.Join(d.dataDir, "pki")) {
		t.Errorf("no warning naming the development PKI and its directory: %q", line)
	}
	if code, body := httpGet(t, "http://"+metricsAddr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %q, want 200", code, body)
	}

	other := filepath.Join(t.TempDir(), "other")
	if _, err := certs.EnsureDevPKI(other, nil); err != nil {
		t.Fatal(err)
	}
	if err := byocRequest(d, other, ""); err == nil {
		t.Fatal("a client of an untrusted CA was served")
	}
	line := waitLogLine(t, d, `"msg":"TLS handshake refused"`)
	for _, want := range []string{`"reason":"unknown_authority"`, `"remote":"127.0.0.1:`, "unknown authority"} {
		if !strings.Contains(line, want) {
			t.Errorf("refusal log line lacks %q: %s", want, line)
		}
	}
	_, body := httpGet(t, metrics)
	if want := `kmipd_tls_handshake_failures_total{reason="unknown_authority"} 1`; !strings.Contains(body, want) {
		t.Errorf("metrics lack %q", want)
	}
	if got, want := metricValue(t, body, "kmipd_tls_server_cert_expiry_seconds"), notAfter(t, d.pki("server.crt")); got != want {
		t.Errorf("kmipd_tls_server_cert_expiry_seconds = %v, want the server certificate's NotAfter %v", got, want)
	}

	// Another server certificate, with another expiry, put in force by SIGHUP.
	for notAfter(t, filepath.Join(other, "server.crt")) == notAfter(t, d.pki("server.crt")) {
		time.Sleep(time.Second)
		other = filepath.Join(t.TempDir(), "other")
		if _, err := certs.EnsureDevPKI(other, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"server.key", "server.crt"} {
		b, err := os.ReadFile(filepath.Join(other, name))
		if err == nil {
			err = os.WriteFile(d.pki(name), b, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	d.sighup(t, "configuration reloaded")
	_, body = httpGet(t, metrics)
	if got, want := metricValue(t, body, "kmipd_tls_server_cert_expiry_seconds"), notAfter(t, d.pki("server.crt")); got != want {
		t.Errorf("after the reload kmipd_tls_server_cert_expiry_seconds = %v, want the new certificate's NotAfter %v", got, want)
	}
}

// TestTLSRefusalReasons: a revoked client, a TLS 1.1 client and a client
// without certificate are each counted under their reason.
func TestTLSRefusalReasons(t *testing.T) {
	dataDir := t.TempDir()
	pki := filepath.Join(dataDir, "pki")
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(t.TempDir(), "gone")
	if _, err := certs.IssueClientFromPKI(pki, "gone", gone); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.RevokeClient(pki, "gone", time.Now()); err != nil {
		t.Fatal(err)
	}
	metricsAddr := freeLoopbackAddr(t)
	d := startDaemon(t, dataDir, "KMIPD_METRICS_LISTEN="+metricsAddr, "KMIPD_TLS_CRL="+filepath.Join(pki, certs.CRLFile))

	if err := byocRequest(d, gone, ""); err == nil {
		t.Error("a revoked client was served")
	}
	old := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	if c, err := tls.Dial("tcp", d.addr, old); err == nil {
		c.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	noCert := &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}
	if c, err := tls.Dial("tcp", d.addr, noCert); err == nil {
		c.Close()
		t.Error("a TLS 1.2 handshake without client certificate succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, reason := range []string{certs.RefusalRevoked, certs.RefusalProtocolVersion, certs.RefusalNoCertificate} {
		want := `kmipd_tls_handshake_failures_total{reason="` + reason + `"} 1`
		for {
			_, body := httpGet(t, "http://"+metricsAddr+"/metrics")
			if strings.Contains(body, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("metrics lack %q", want)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// logLine returns the first line of d's log containing s, or "".
func logLine(d *daemon, s string) string {
	for _, line := range strings.Split(d.log.String(), "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}

// waitLogLine waits a few seconds for a line of d's log containing s.
func waitLogLine(t *testing.T, d *daemon, s string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if line := logLine(d, s); line != "" {
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metricValue returns the value of the unlabelled metric name in a
// Prometheus text exposition.
func metricValue(t *testing.T, body, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// notAfter returns the NotAfter, in Unix seconds, of the PEM certificate
// in file.
func notAfter(t *testing.T, file string) float64 {
	t.Helper()
	return float64(readCertFile(t, file).NotAfter.Unix())
}
