package main

import (
	"net/http"
	"sync"
	"time"
)

// moduleCheckInterval is how long /readyz reuses a result of the crypto
// module's check: whatever the probe rate, the module sees at most one
// check per interval.
const moduleCheckInterval = 5 * time.Second

// cachedCheck runs check at most once per interval and otherwise returns
// its last result; concurrent callers wait for one run. It is safe for
// concurrent use.
type cachedCheck struct {
	check    func() error
	interval time.Duration

	mu  sync.Mutex
	at  time.Time // of the last run; zero before the first
	err error
}

// Err returns the result of check, run now unless it ran less than
// interval ago.
func (c *cachedCheck) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.interval {
		return c.err
	}
	c.err = c.check()
	c.at = time.Now()
	return c.err
}

// readyz answers 200 while the KMIP listener serves and the crypto module
// passes its check (m.module: the data directory's check value unseals),
// and 503 with the reason otherwise.
func (m *metrics) readyz(w http.ResponseWriter, _ *http.Request) {
	if !m.ready.Load() {
		http.Error(w, "not ready: not serving", http.StatusServiceUnavailable)
		return
	}
	if m.module != nil {
		if err := m.module.Err(); err != nil {
			http.Error(w, "not ready: crypto module: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Write([]byte("ok\n"))
}
