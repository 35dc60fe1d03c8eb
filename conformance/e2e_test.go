package conformance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// The binaries under test, built once by TestMain into a temporary
// directory. A build failure is kept and reported by every test that needs
// the binary, so that the message says what is wrong.
var (
	kmipdBin, kmipctlBin string
	kmipdErr, kmipctlErr error
)

const (
	startTimeout   = 20 * time.Second // kmipd start, including dev PKI generation
	stopTimeout    = 15 * time.Second // SIGTERM to exit
	requestTimeout = 10 * time.Second // one KMIP request and its response
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kmipd-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	kmipdBin = filepath.Join(dir, "kmipd")
	kmipctlBin = filepath.Join(dir, "kmipctl")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); kmipdErr = goBuild(kmipdBin, "./cmd/kmipd") }()
	go func() { defer wg.Done(); kmipctlErr = goBuild(kmipctlBin, "./cmd/kmipctl") }()
	wg.Wait()
	return m.Run()
}

// goBuild builds pkg (relative to the module root) into out.
func goBuild(out, pkg string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// daemon is a kmipd process started by a test. Its methods take the
// (sub)test that uses them and must be called from that test's goroutine.
type daemon struct {
	dataDir string
	env     []string // KMIPD_* settings, kept for restarts
	addr    string   // 127.0.0.1:port
	cmd     *exec.Cmd
	log     *lockedBuffer // stdout and stderr
	exited  chan struct{} // closed when the process has been waited for
	waitErr error         // valid after exited is closed
}

// startDaemon starts kmipd on a free loopback port with dataDir (created by
// the caller, typically t.TempDir()) and the given KMIPD_* environment
// settings, and waits until it completes TLS handshakes. The process is
// killed at the end of the test if it is still running; its log is shown
// when the test failed.
func startDaemon(t testing.TB, dataDir string, env ...string) *daemon {
	t.Helper()
	if kmipdErr != nil {
		t.Fatalf("cannot build kmipd: %v", kmipdErr)
	}
	d := &daemon{
		dataDir: dataDir,
		env:     env,
		addr:    freeLoopbackAddr(t),
		log:     &lockedBuffer{},
		exited:  make(chan struct{}),
	}
	d.cmd = exec.Command(kmipdBin, "--data-dir", dataDir, "--listen", d.addr)
	d.cmd.Env = append(os.Environ(), env...)
	d.cmd.Stdout = d.log
	d.cmd.Stderr = d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start kmipd: %v", err)
	}
	go func() {
		d.waitErr = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		if !d.hasExited() {
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("kmipd %s log:\n%s", d.addr, d.log.String())
		}
	})
	if err := d.waitReady(); err != nil {
		t.Fatalf("%v\nkmipd log:\n%s", err, d.log.String())
	}
	// kmipd writes the line before it serves; the pipe that carries it to
	// d.log may still be on its way.
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(d.log.String(), `"msg":"listening"`) {
		if time.Now().After(deadline) {
			t.Errorf(`kmipd accepts connections but logged no "msg":"listening" line`)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return d
}

// restart starts a new kmipd on the same data directory and settings; the
// receiver must have exited.
func (d *daemon) restart(t testing.TB) *daemon {
	t.Helper()
	if !d.hasExited() {
		t.Fatal("restart of a running kmipd")
	}
	return startDaemon(t, d.dataDir, d.env...)
}

func (d *daemon) hasExited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// waitReady polls until a TLS handshake with the client certificate of
// the development PKI succeeds.
func (d *daemon) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if d.hasExited() {
			return fmt.Errorf("kmipd exited before accepting connections: %v", d.waitErr)
		}
		if cfg, err := d.tlsConfigErr(); err == nil {
			dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: time.Second}, Config: cfg}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			conn, err := dialer.DialContext(ctx, "tcp", d.addr)
			cancel()
			if err == nil {
				conn.Close()
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("kmipd did not complete a TLS handshake within %v", startTimeout)
}

// pki returns the path of a file of the development PKI.
func (d *daemon) pki(name string) string { return filepath.Join(d.dataDir, "pki", name) }

func (d *daemon) tlsConfigErr() (*tls.Config, error) {
	return certs.ClientConfig(d.pki("ca.crt"), d.pki("client.crt"), d.pki("client.key"), "localhost")
}

// tlsConfig is the client TLS configuration of the development PKI.
func (d *daemon) tlsConfig(t testing.TB) *tls.Config {
	t.Helper()
	cfg, err := d.tlsConfigErr()
	if err != nil {
		t.Fatalf("client TLS config: %v", err)
	}
	return cfg
}

// client dials the daemon with the Go client speaking KMIP 1.4; the
// connection is closed at the end of the test.
func (d *daemon) client(t testing.TB) *kmip.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	c, err := kmip.Dial(ctx, d.addr, d.tlsConfig(t))
	if err != nil {
		t.Fatalf("dial %s: %v", d.addr, err)
	}
	c.Version = kmip.V1_4
	t.Cleanup(func() { c.Close() })
	return c
}

// stop sends SIGTERM and requires a clean exit (status 0) in time.
func (d *daemon) stop(t testing.TB) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-d.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("kmipd did not exit within %v of SIGTERM", stopTimeout)
	}
	if d.waitErr != nil {
		t.Fatalf("kmipd after SIGTERM: %v (want exit status 0)", d.waitErr)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemon) kill(t testing.TB) {
	t.Helper()
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-d.exited
}

// rssKiB reads the resident set size of the daemon from /proc.
func (d *daemon) rssKiB(t testing.TB) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("read RSS: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("parse VmRSS %q: %v", rest, err)
			}
			return kib
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// requireAlive checks that a new, well-behaved client still gets
// DiscoverVersions answered.
func (d *daemon) requireAlive(t testing.TB) {
	t.Helper()
	resp := do[*kmip.DiscoverVersionsResponse](t, d.client(t), kmip14.OperationDiscoverVersions,
		&kmip.DiscoverVersionsRequest{})
	if len(resp.Versions) == 0 {
		t.Fatal("DiscoverVersions answered no version")
	}
}

// do runs one operation and returns its response payload as a T, failing
// the test on any error.
func do[T any](t testing.TB, c *kmip.Client, op kmip.Operation, req any) T {
	t.Helper()
	resp, err := try(c, op, req)
	if err != nil {
		t.Fatalf("%v: %v", op, err)
	}
	out, ok := resp.(T)
	if !ok {
		t.Fatalf("%v: response payload is %T, want %T", op, resp, out)
	}
	return out
}

// try runs one operation with the standard timeout.
func try(c *kmip.Client, op kmip.Operation, req any) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	return c.Do(ctx, op, req)
}

// requireReason checks that err is a KMIP failure with one of reasons.
func requireReason(t testing.TB, err error, reasons ...kmip.ResultReason) {
	t.Helper()
	var ke *kmip.Error
	if !errors.As(err, &ke) {
		t.Fatalf("error %v (%T) is not a KMIP failure; want one of %v", err, err, reasons)
	}
	for _, r := range reasons {
		if ke.Reason == r {
			return
		}
	}
	t.Fatalf("result reason %v (%v), want one of %v", ke.Reason, ke, reasons)
}

// freeLoopbackAddr returns a loopback address whose port was free a moment
// ago.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a
// child process's stdout and stderr copiers and reads from the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
