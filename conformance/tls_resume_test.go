package conformance

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// TestKmipdResumesTLSSessions: a client that reconnects to kmipd with a
// session cache resumes its TLS session (TLS 1.2 session tickets, TLS 1.3
// PSK), and the resumed connection is served as the same client: it reaches
// the objects it created before. Another client, with its own certificate
// and cache, reaches none of them, neither on its full handshake nor on its
// resumption (INTEROP.md quirk 21: Veeam resumes sessions under mTLS).
func TestKmipdResumesTLSSessions(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	otherDir := filepath.Join(t.TempDir(), "other")
	if _, err := certs.IssueClientFromPKI(filepath.Join(d.dataDir, "pki"), "other", otherDir); err != nil {
		t.Fatal(err)
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			// dial connects with cfg and reports whether the session resumed.
			dial := func(cfg *tls.Config) (*kmip.Client, bool) {
				t.Helper()
				var resumed atomic.Bool
				cfg = cfg.Clone() // the clone shares the session cache
				cfg.MaxVersion = version
				cfg.VerifyConnection = func(cs tls.ConnectionState) error { resumed.Store(cs.DidResume); return nil }
				ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
				defer cancel()
				c, err := kmip.Dial(ctx, d.addr, cfg)
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				t.Cleanup(func() { c.Close() })
				// A first exchange, so that a TLS 1.3 client has read the
				// server's session ticket before the connection closes.
				if _, err := try(c, kmip14.OperationQuery, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}); err != nil {
					t.Fatalf("Query: %v", err)
				}
				return c, resumed.Load()
			}
			dev := d.tlsConfig(t)
			c, resumed := dial(dev)
			if resumed {
				t.Fatal("first connection resumed")
			}
			id := createKey(t, c, "resume-"+tls.VersionName(version), "")
			c.Close()
			c, resumed = dial(dev)
			if !resumed {
				t.Fatal("the reconnection did not resume its session")
			}
			if got := getMaterial(t, c, id); len(got) == 0 {
				t.Fatal("no key material on the resumed session")
			}
			other, err := certs.ClientConfig(filepath.Join(otherDir, "ca.crt"), filepath.Join(otherDir, "client.crt"), filepath.Join(otherDir, "client.key"), "localhost")
			if err != nil {
				t.Fatal(err)
			}
			for i, wantResumed := range []bool{false, true} {
				c, resumed := dial(other)
				if resumed != wantResumed {
					t.Fatalf("other client's connection %d: resumed %v, want %v", i+1, resumed, wantResumed)
				}
				_, err := try(c, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id})
				requireReason(t, err, kmip.ReasonItemNotFound)
			}
		})
	}
}
