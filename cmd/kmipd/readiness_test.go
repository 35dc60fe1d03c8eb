package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmipd/kmipd/hsm"
)

func getReadyz(m *metrics) (int, string) {
	rec := httptest.NewRecorder()
	m.readyz(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// TestReadyzChecksCryptoModule: /readyz is 200 with a working module and
// 503, saying why, once the module fails (here: closed).
func TestReadyzChecksCryptoModule(t *testing.T) {
	dir := t.TempDir()
	crypto, binding, err := hsm.OpenBound(hsm.Config{KeyFile: filepath.Join(dir, "kek.key")},
		hsm.BindOptions{Path: filepath.Join(dir, hsm.BindingFile)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics()
	m.module = &cachedCheck{check: binding.Check} // no caching
	if code, body := getReadyz(m); code != http.StatusServiceUnavailable || !strings.Contains(body, "not serving") {
		t.Errorf("before serving: %d %q, want 503", code, body)
	}
	m.ready.Store(true)
	if code, body := getReadyz(m); code != http.StatusOK {
		t.Errorf("working module: %d %q, want 200", code, body)
	}
	crypto.Close()
	code, body := getReadyz(m)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "crypto module") || !strings.Contains(body, "closed") {
		t.Errorf("failed module: %d %q, want 503 naming the crypto module", code, body)
	}
}

// TestCachedCheckRunsOncePerInterval: probes within the interval reuse
// the result; the module is checked again after it.
func TestCachedCheckRunsOncePerInterval(t *testing.T) {
	runs := 0
	fail := errors.New("module gone")
	c := &cachedCheck{interval: 50 * time.Millisecond, check: func() error { runs++; return fail }}
	for range 100 {
		if err := c.Err(); err != fail {
			t.Fatalf("Err = %v", err)
		}
	}
	if runs != 1 {
		t.Fatalf("%d runs for 100 probes within the interval, want 1", runs)
	}
	time.Sleep(60 * time.Millisecond)
	c.Err()
	if runs != 2 {
		t.Fatalf("%d runs after the interval, want 2", runs)
	}
}
