package main

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// rateLog writes at most burst lines per period to a logger; the lines
// beyond are dropped, and at the end of a period that dropped any, one line
// says how many. It keeps a flood (a scanner, a misconfigured client
// retrying) from filling the log while every kind of event still shows. It
// is safe for concurrent use.
type rateLog struct {
	log    *zap.Logger
	burst  int
	period time.Duration

	mu      sync.Mutex
	start   time.Time // of the current period
	written int       // lines written in it
	dropped int       // lines dropped in it; a summary is due when > 0
}

// newRateLog returns a rateLog of at most burst lines per period on log.
func newRateLog(log *zap.Logger, burst int, period time.Duration) *rateLog {
	// Lines name the caller of Warn, not Warn itself.
	return &rateLog{log: log.WithOptions(zap.AddCallerSkip(1)), burst: burst, period: period}
}

// Warn writes msg at warn level unless this period's burst is spent.
func (r *rateLog) Warn(msg string, fields ...zap.Field) {
	r.mu.Lock()
	now := time.Now()
	if now.Sub(r.start) >= r.period {
		r.start, r.written = now, 0
	}
	if r.written >= r.burst {
		if r.dropped == 0 {
			time.AfterFunc(r.period-now.Sub(r.start), func() { r.summarize(msg) })
		}
		r.dropped++
		r.mu.Unlock()
		return
	}
	r.written++
	r.mu.Unlock()
	r.log.Warn(msg, fields...)
}

// summarize logs how many lines like msg were dropped in the period that
// just ended.
func (r *rateLog) summarize(msg string) {
	r.mu.Lock()
	n := r.dropped
	r.dropped = 0
	r.mu.Unlock()
	if n > 0 {
		r.log.Warn("lines not logged (rate limit)", zap.String("msg_dropped", msg), zap.Int("suppressed", n),
			zap.Duration("period", r.period), zap.Int("burst", r.burst))
	}
}
