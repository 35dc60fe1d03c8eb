package store

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSyncFollowsRotation checks that the syncer, which lists the directory
// only when a stat of the next file name shows a rotation, ends every wait
// holding the newest WAL and value log that are on disk: a commit that went
// to a new file was synced in that file, not in the one before.
func TestSyncFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenBadger(dir, Options{MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	attrs := make([]byte, 4096)
	for i := range 1000 {
		mustCreate(t, s, &Object{ID: strconv.Itoa(i), Owner: "o", Attributes: attrs})
		if i%100 != 99 {
			continue
		}
		// The syncer goroutine is idle between waits; its fields are
		// read after the wait that returned with mustCreate.
		for _, ext := range syncedExtensions {
			want := newestOnDisk(t, dir, ext)
			if got := s.syncer.newest[ext]; got != want {
				t.Fatalf("after %d creates: syncer's newest %s is %d, the directory's %d", i+1, ext, got, want)
			}
			if f := s.syncer.active[ext]; f == nil || filepath.Base(f.Name()) != fileName(want, ext) {
				t.Fatalf("after %d creates: syncer holds %v, want %s", i+1, f, fileName(want, ext))
			}
		}
	}
	if s.syncer.rotatedSyncs.Load() == 0 {
		t.Fatal("no rotation: the test did not exercise the rotation path")
	}
}

// newestOnDisk returns the number of the newest file of kind ext in dir.
func newestOnDisk(t *testing.T, dir, ext string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	newest := int64(-1)
	for _, e := range entries {
		if n, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ext), 10, 64); err == nil && strings.HasSuffix(e.Name(), ext) {
			newest = max(newest, n)
		}
	}
	return newest
}
