package hsm

import (
	"fmt"
	"os"
	"sync"
)

// groupSync makes writes to one file durable with shared syncs (dataSync): a caller
// that has finished its write calls sync, which returns once an fsync that
// began after the call has completed. While one fsync runs, the callers
// that arrive queue for the next one, which then covers them all, so n
// concurrent writers cost about two fsyncs, not n.
//
// An fsync failure is permanent: after one, the kernel may have dropped the
// dirty pages it could not write, so no later fsync can vouch for earlier
// writes, and every later sync returns the first error.
//
// The zero value with f set is ready to use; it is safe for concurrent use.
type groupSync struct {
	f *os.File

	mu      sync.Mutex
	cond    sync.Cond // on mu; broadcast when an fsync completes
	started uint64    // fsyncs begun
	done    uint64    // highest fsync completed
	running bool
	err     error // the first fsync failure
}

// sync returns nil once every write that completed before the call is on
// disk, or the error of a failed fsync.
func (g *groupSync) sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond.L == nil {
		g.cond.L = &g.mu
	}
	// The first fsync to begin from now on covers the caller's write.
	target := g.started + 1
	for g.done < target && g.err == nil {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n := g.started
		g.mu.Unlock()
		err := dataSync(g.f)
		g.mu.Lock()
		g.running = false
		g.done = n
		if err != nil && g.err == nil {
			g.err = fmt.Errorf("hsm: key slots: fsync: %w", err)
		}
		g.cond.Broadcast()
	}
	return g.err
}
