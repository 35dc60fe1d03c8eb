package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// Refused handshakes are logged at most refusalBurst per refusalPeriod.
const (
	refusalBurst  = 20
	refusalPeriod = time.Minute
)

// handshakeRefusals counts the refused TLS handshakes of the KMIP listener
// by reason (kmipd_tls_handshake_failures_total{reason}) and logs each,
// rate-limited, with the peer address, the reason and the error. It
// implements kmip.HandshakeObserver and is safe for concurrent use.
type handshakeRefusals struct {
	failures *prometheus.CounterVec
	log      *rateLog
}

// newHandshakeRefusals registers the counter in reg and logs to log.
func newHandshakeRefusals(reg prometheus.Registerer, log *zap.Logger) *handshakeRefusals {
	h := &handshakeRefusals{
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kmipd_tls_handshake_failures_total",
			Help: "TLS handshakes refused by the KMIP listener, by reason (unknown_authority, revoked, missing_client_auth_eku, protocol_version, timeout, ...).",
		}, []string{"reason"}),
		log: newRateLog(log, refusalBurst, refusalPeriod),
	}
	reg.MustRegister(h.failures)
	return h
}

// HandshakeFailed counts and logs one refused handshake.
func (h *handshakeRefusals) HandshakeFailed(remote net.Addr, err error) {
	reason := certs.RefusalReason(err)
	h.failures.WithLabelValues(reason).Inc()
	h.log.Warn("TLS handshake refused", zap.Stringer("remote", remote), zap.String("reason", reason), zap.Error(err))
}

// observer is what the KMIP server reports to: the metrics of connections
// and items, and the refused handshakes.
type observer struct {
	*metrics
	*handshakeRefusals
}

var _ kmip.HandshakeObserver = observer{}

// serverCertExpiry returns the gauge kmipd_tls_server_cert_expiry_seconds:
// the NotAfter, in Unix seconds, of the server certificate l serves now,
// read at each scrape, so that it follows a reload (SIGHUP, or new files).
// It is absent (no sample) when the certificate cannot be read.
func serverCertExpiry(l *liveTLS) prometheus.Collector {
	return &certExpiry{l: l, desc: prometheus.NewDesc("kmipd_tls_server_cert_expiry_seconds",
		"Expiry (NotAfter, Unix seconds) of the TLS server certificate in use.", nil, nil)}
}

// certExpiry is the collector of serverCertExpiry.
type certExpiry struct {
	l    *liveTLS
	desc *prometheus.Desc
}

func (c *certExpiry) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *certExpiry) Collect(ch chan<- prometheus.Metric) {
	leaf, err := c.l.serverCertificate()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(leaf.NotAfter.Unix()))
}

// serverCertificate returns the leaf certificate the listener serves now,
// as a handshake starting now would get it (re-read if its files changed).
func (l *liveTLS) serverCertificate() (*x509.Certificate, error) {
	cfg := l.cur.Load().Config()
	if cfg.GetCertificate == nil {
		return nil, errors.New("no server certificate")
	}
	cert, err := cfg.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		return nil, err
	}
	if cert.Leaf != nil {
		return cert.Leaf, nil
	}
	if len(cert.Certificate) == 0 {
		return nil, errors.New("no server certificate")
	}
	return x509.ParseCertificate(cert.Certificate[0])
}
