package kmip

import (
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// refusalObserver is a countingObserver that also records refused
// handshakes (HandshakeObserver).
type refusalObserver struct {
	countingObserver
	mu   sync.Mutex
	errs []error
}

func (o *refusalObserver) HandshakeFailed(_ net.Addr, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.errs = append(o.errs, err)
}

func (o *refusalObserver) refusals() []error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]error(nil), o.errs...)
}

// TestServerReportsRefusedHandshakes checks that an Observer implementing
// HandshakeObserver hears of a handshake refused for want of a client
// certificate, with crypto/tls's error, and of none that succeeds.
func TestServerReportsRefusedHandshakes(t *testing.T) {
	obs := &refusalObserver{}
	ts := startServer(t, okHandler, Limits{}, func(s *Server) { s.Observer = obs })
	ts.dial(t).Close()
	if c, err := tls.Dial("tcp", ts.addr, ts.pki.noCert); err == nil {
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Read(make([]byte, 1)) // TLS 1.3: the refusal arrives at the first read
		c.Close()
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(obs.refusals()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	errs := obs.refusals()
	if len(errs) != 1 {
		t.Fatalf("%d refusals reported (%v), want 1", len(errs), errs)
	}
	if !strings.Contains(errs[0].Error(), "certificate") {
		t.Errorf("refusal %v does not say it is about the certificate", errs[0])
	}
}

// TestHTTPSReportsRefusedHandshakes: ServeHTTPS reports a handshake refused
// for want of a client certificate to the HandshakeObserver, as the TTLV
// listener does, and still serves a client with one.
func TestHTTPSReportsRefusedHandshakes(t *testing.T) {
	obs := &refusalObserver{}
	hs := startHTTPS(t, okHandler, Limits{}, func(s *Server) { s.Observer = obs })
	addr := strings.TrimSuffix(strings.TrimPrefix(hs.url, "https://"), HTTPPath)
	if c, err := tls.Dial("tcp", addr, hs.pki.noCert); err == nil {
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Read(make([]byte, 1)) // TLS 1.3: the refusal arrives at the first read
		c.Close()
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(obs.refusals()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if errs := obs.refusals(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "certificate") {
		t.Fatalf("refusals reported: %v, want one about the certificate", errs)
	}
	if resp := exchange(t, hs.client(t, EncodingTTLV), discoverVersionsRequest(V1_4)); len(resp.Items) != 1 {
		t.Errorf("a client with a certificate after the refusal: %d items", len(resp.Items))
	}
}
