package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
)

// Group commit.
//
// Badger is opened with SyncWrites=false, so a commit returns once its
// entries are in the write-ahead log of the active memtable (a memory-mapped
// file) and not yet on disk. The mutating methods then call
// groupSyncer.wait, which returns after a sync that started after the call.
// One goroutine does the syncs: it takes every waiter queued while the
// previous sync ran, syncs once, and releases them all, so concurrent commits
// share fsyncs.
//
// A sync is db.Sync (the active memtable's WAL and the active value log
// file) followed by an fsync of every WAL (*.mem) or value log (*.vlog) file
// that is no longer the newest of its kind and that this syncer has not
// synced since it was rotated out. Badger itself does not sync a rotated
// memtable WAL when SyncWrites is false (it only syncs the SST made from it,
// later), which would leave acknowledged commits in the page cache only. A
// rotated file is immutable (Badger has a single writer goroutine, which
// creates the next file before writing to it), so it is fsynced once. When a
// new file appears, the directory is fsynced too, so the new file's name is
// durable. A rotated WAL that is gone was flushed to an SST, which Badger
// syncs before deleting the WAL.
//
// Guarantees: after a process crash (SIGKILL, panic) nothing acknowledged is
// lost, because committed entries are in the kernel's page cache even before
// the sync. After a power loss nothing acknowledged is lost either, provided
// the file system and disk honour fsync (on Linux fsync of any descriptor of
// a file writes back the pages dirtied through Badger's mappings). A commit
// whose wait was abandoned (context cancelled) or failed may or may not
// survive: its caller was told it failed, not that it did not happen.
type groupSyncer struct {
	db       *badger.DB
	dir      string
	requests chan chan error
	quit     chan struct{}
	stopped  chan struct{}

	// Owned by the syncing goroutine.
	rotated map[string]bool  // rotated files already fsynced
	newest  map[string]int64 // newest file number seen, by extension

	syncs        atomic.Int64 // number of syncs done, for benchmarks
	rotatedSyncs atomic.Int64 // number of rotated files fsynced, for tests
}

// syncedExtensions are the files whose rotation the syncer must follow.
var syncedExtensions = []string{".mem", ".vlog"}

func newGroupSyncer(db *badger.DB, dir string) *groupSyncer {
	s := &groupSyncer{
		db:       db,
		dir:      dir,
		requests: make(chan chan error, 1024),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
		rotated:  make(map[string]bool),
		newest:   make(map[string]int64),
	}
	go s.run()
	return s
}

// wait returns nil once every commit that returned before wait was called is
// on disk, the sync error if the sync failed, or ctx's error if ctx ends
// first (the commits are then synced all the same, later).
func (s *groupSyncer) wait(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case s.requests <- done:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stopped:
		return ErrClosed
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the syncing goroutine. No wait may be in progress or start
// afterwards; commits not yet synced are made durable by closing Badger.
func (s *groupSyncer) stop() {
	close(s.quit)
	<-s.stopped
}

func (s *groupSyncer) run() {
	defer close(s.stopped)
	var batch []chan error
	for {
		select {
		case done := <-s.requests:
			batch = append(batch[:0], done)
		case <-s.quit:
			return
		}
		// Everything queued now was committed before this sync starts.
	drain:
		for {
			select {
			case done := <-s.requests:
				batch = append(batch, done)
			default:
				break drain
			}
		}
		err := s.sync()
		s.syncs.Add(1)
		for _, done := range batch {
			done <- err
		}
		clear(batch)
	}
}

// sync makes every commit so far durable; see the type's comment.
func (s *groupSyncer) sync() error {
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("store: sync: %w", err)
	}
	if err := s.syncRotated(); err != nil {
		return fmt.Errorf("store: sync: %w", err)
	}
	return nil
}

// syncRotated fsyncs the rotated WAL and value log files not yet synced, and
// the directory when a file appeared since the last call.
func (s *groupSyncer) syncRotated() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}

	newest := make(map[string]int64, len(syncedExtensions))
	files := make(map[string]int64)
	for _, name := range names {
		ext := filepath.Ext(name)
		if ext != ".mem" && ext != ".vlog" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(name, ext), 10, 64)
		if err != nil {
			continue
		}
		files[name] = n
		if cur, ok := newest[ext]; !ok || n > cur {
			newest[ext] = n
		}
	}

	for name, n := range files {
		if n == newest[filepath.Ext(name)] || s.rotated[name] {
			continue
		}
		if err := fsyncFile(filepath.Join(s.dir, name)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // flushed to an SST and deleted by Badger
			}
			return err
		}
		s.rotated[name] = true
		s.rotatedSyncs.Add(1)
	}
	for name := range s.rotated {
		if _, ok := files[name]; !ok {
			delete(s.rotated, name)
		}
	}

	changed := false
	for ext, n := range newest {
		if s.newest[ext] != n {
			changed = true
			s.newest[ext] = n
		}
	}
	if changed {
		return d.Sync()
	}
	return nil
}

func fsyncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
