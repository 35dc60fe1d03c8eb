package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/kmipd/kmipd/certs"
)

// TestHandshakeRefusalsCountAndLog: a refused handshake is counted under
// its reason and logged with the peer address and the reason.
func TestHandshakeRefusalsCountAndLog(t *testing.T) {
	reg := prometheus.NewRegistry()
	core, logs := zapobserver.New(zap.WarnLevel)
	h := newHandshakeRefusals(reg, zap.New(core))
	peer := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000}
	h.HandshakeFailed(peer, fmt.Errorf("wrapped: %w", certs.ErrRevoked))
	h.HandshakeFailed(peer, &tls.CertificateVerificationError{})

	for _, reason := range []string{certs.RefusalRevoked, certs.RefusalBadCertificate} {
		var m dto.Metric
		if err := h.failures.WithLabelValues(reason).Write(&m); err != nil {
			t.Fatal(err)
		}
		if got := m.GetCounter().GetValue(); got != 1 {
			t.Errorf("%s counted %v times, want 1", reason, got)
		}
	}
	lines := logs.FilterMessage("TLS handshake refused").All()
	if len(lines) != 2 {
		t.Fatalf("%d lines logged, want 2", len(lines))
	}
	if f := lines[0].ContextMap(); f["remote"] != peer.String() || f["reason"] != certs.RefusalRevoked {
		t.Errorf("log line fields %v, want remote %s and reason revoked", f, peer)
	}
}

// TestServerCertExpiryGauge: the gauge is the NotAfter of the server
// certificate in use.
func TestServerCertExpiryGauge(t *testing.T) {
	pki := t.TempDir()
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	l, err := newLiveTLS(certs.ServerFiles{
		Cert: filepath.Join(pki, "server.crt"), Key: filepath.Join(pki, "server.key"),
		ClientCAs: []string{filepath.Join(pki, "ca.crt")},
	})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := l.serverCertificate()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(serverCertExpiry(l))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "kmipd_tls_server_cert_expiry_seconds" || len(families[0].GetMetric()) != 1 {
		t.Fatalf("gathered %v", families)
	}
	if got, want := families[0].GetMetric()[0].GetGauge().GetValue(), float64(leaf.NotAfter.Unix()); got != want {
		t.Errorf("kmipd_tls_server_cert_expiry_seconds = %v, want %v", got, want)
	}
}
