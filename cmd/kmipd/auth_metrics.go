package main

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// authMetrics are the metrics of the credential gate (credgate.go):
// kmipd_auth_failures_total{reason}, the request messages refused by
// certs.FailureReason (every reason exported from the start, at 0), and
// kmipd_auth_locked_keys, the certificate identities and usernames locked
// now. Safe for concurrent use.
type authMetrics struct {
	failures *prometheus.CounterVec
	locked   prometheus.GaugeFunc
	limiter  atomic.Pointer[certs.FailureLimiter] // nil until the gate is built
}

func newAuthMetrics() *authMetrics {
	a := &authMetrics{failures: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kmipd_auth_failures_total",
		Help: "Request messages refused for their KMIP Credential (auth.require_password), by reason.",
	}, []string{"reason"})}
	for _, r := range certs.FailureReasons {
		a.failures.WithLabelValues(string(r))
	}
	a.locked = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "kmipd_auth_locked_keys",
		Help: "Certificate identities and usernames locked now after repeated Credential failures (auth.lockout).",
	}, func() float64 {
		if l := a.limiter.Load(); l != nil {
			return float64(l.Locked())
		}
		return 0
	})
	return a
}

// collectors are the metrics to register.
func (a *authMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{a.failures, a.locked}
}

// watch makes kmipd_auth_locked_keys report l's locked keys.
func (a *authMetrics) watch(l *certs.FailureLimiter) { a.limiter.Store(l) }

// counting returns an observer that counts each refusal, then passes it on
// to next.
func (a *authMetrics) counting(next certs.CredentialObserver) certs.CredentialObserver {
	return countingObserver{a, next}
}

type countingObserver struct {
	metrics *authMetrics
	next    certs.CredentialObserver
}

func (c countingObserver) CredentialRefused(ctx context.Context, req *kmip.Request, f certs.CredentialFailure) error {
	c.metrics.failures.WithLabelValues(string(f.Reason)).Inc()
	return c.next.CredentialRefused(ctx, req, f)
}
