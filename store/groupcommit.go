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
// A sync is an fsync of the newest WAL (*.mem) and value log (*.vlog)
// files (what db.Sync would sync, without holding Badger's lock; see sync),
// preceded by an fsync of every WAL or value log file that is no longer the
// newest of its kind and that this syncer has not synced since it was
// rotated out. Badger itself does not sync a rotated
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
	dir      string
	requests chan chan error
	quit     chan struct{}
	stopped  chan struct{}

	// Owned by the syncing goroutine.
	rotated map[string]bool     // rotated files already fsynced
	newest  map[string]int64    // newest file number seen, by extension
	active  map[string]*os.File // open newest file, by extension

	syncs        atomic.Int64 // number of syncs done, for benchmarks
	rotatedSyncs atomic.Int64 // number of rotated files fsynced, for tests
}

// syncedExtensions are the files whose rotation the syncer must follow.
var syncedExtensions = []string{".mem", ".vlog"}

func newGroupSyncer(dir string) *groupSyncer {
	s := &groupSyncer{
		dir:      dir,
		requests: make(chan chan error, 1024),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
		rotated:  make(map[string]bool),
		newest:   make(map[string]int64),
		active:   make(map[string]*os.File),
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
	defer s.closeActive()
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
//
// It fsyncs the newest WAL and value log through descriptors of its own
// instead of calling db.Sync: db.Sync holds Badger's DB lock (shared) while
// it msyncs the memtable, and Badger's writer takes that lock (exclusive)
// for every write, so each commit would wait for the fsync in flight and
// few commits would share one. The directory is listed only when Badger has
// rotated a file since the last sync, which a stat of the next file name of
// each kind tells.
func (s *groupSyncer) sync() error {
	rotated, err := s.rotatedSinceLastSync()
	if err == nil && rotated {
		err = s.syncRotated()
	}
	if err == nil {
		err = s.syncNewest()
	}
	if err != nil {
		return fmt.Errorf("store: sync: %w", err)
	}
	return nil
}

// rotatedSinceLastSync reports whether the next WAL or value log file
// exists, or whether no sync has listed the directory yet.
func (s *groupSyncer) rotatedSinceLastSync() (bool, error) {
	if len(s.active) < len(syncedExtensions) {
		return true, nil
	}
	for _, ext := range syncedExtensions {
		_, err := os.Stat(filepath.Join(s.dir, fileName(s.newest[ext]+1, ext)))
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, os.ErrNotExist):
			return false, err
		}
	}
	return false, nil
}

// syncNewest fsyncs the newest file of each kind, opening it the first
// time. The files are fsynced concurrently, so that a sync costs the latency
// of one fsync, not of one per file.
func (s *groupSyncer) syncNewest() error {
	files := make([]*os.File, 0, len(syncedExtensions))
	for _, ext := range syncedExtensions {
		n, ok := s.newest[ext]
		if !ok {
			continue // no such file yet
		}
		f := s.active[ext]
		if f == nil {
			var err error
			if f, err = os.Open(filepath.Join(s.dir, fileName(n, ext))); err != nil {
				return err
			}
			s.active[ext] = f
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}
	errs := make(chan error, len(files))
	for _, f := range files[1:] {
		go func() { errs <- f.Sync() }()
	}
	err := files[0].Sync()
	for range files[1:] {
		err = errors.Join(err, <-errs)
	}
	return err
}

// fileName is Badger's name of file n of kind ext: 00001.mem, 000001.vlog.
func fileName(n int64, ext string) string {
	if ext == ".mem" {
		return fmt.Sprintf("%05d%s", n, ext)
	}
	return fmt.Sprintf("%06d%s", n, ext)
}

// closeActive closes the descriptors of the newest files.
func (s *groupSyncer) closeActive() {
	for ext, f := range s.active {
		f.Close()
		delete(s.active, ext)
	}
}

// syncRotated fsyncs the rotated WAL and value log files not yet synced,
// and the directory when a file appeared since the last call; it records
// the newest file of each kind, for syncNewest.
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
		if cur, ok := s.newest[ext]; !ok || cur != n {
			changed = true
			s.newest[ext] = n
			if f := s.active[ext]; f != nil {
				f.Close()
				delete(s.active, ext)
			}
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

// SyncCount returns how many group syncs the store has done since it was
// opened (0 with SyncWrites), so that benchmarks and metrics can report
// commits per fsync. Safe for concurrent use.
func (b *Badger) SyncCount() int64 {
	if b.syncer == nil {
		return 0
	}
	return b.syncer.syncs.Load()
}
