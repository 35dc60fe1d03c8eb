package main

import (
	"testing"
	"time"

	"go.uber.org/zap"
	zapobserver "go.uber.org/zap/zaptest/observer"
)

// TestRateLogLimitsAndSummarizes: of 10 lines in one period, burst are
// written and the period's end says how many were not.
func TestRateLogLimitsAndSummarizes(t *testing.T) {
	core, logs := zapobserver.New(zap.WarnLevel)
	r := newRateLog(zap.New(core), 3, 100*time.Millisecond)
	for range 10 {
		r.Warn("TLS handshake refused")
	}
	if n := logs.FilterMessage("TLS handshake refused").Len(); n != 3 {
		t.Fatalf("%d lines written in one period, want 3", n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for logs.FilterMessage("lines not logged (rate limit)").Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no summary of the dropped lines")
		}
		time.Sleep(10 * time.Millisecond)
	}
	summary := logs.FilterMessage("lines not logged (rate limit)").All()[0]
	if got := summary.ContextMap()["suppressed"]; got != int64(7) {
		t.Errorf("summary says %v suppressed, want 7", got)
	}
	r.Warn("TLS handshake refused") // a new period writes again
	if n := logs.FilterMessage("TLS handshake refused").Len(); n != 4 {
		t.Errorf("%d lines after the period, want 4", n)
	}
}
