package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenAfterCrashLeftEmptyLogs: a SIGKILL between Badger's creation of
// a memtable WAL (or value log) and its first truncation leaves a 0-byte
// file, which badger.Open refuses with z.NewFile (dgraph-io/badger#2207;
// TestCrashLosesNoAcknowledgedCreate met it). OpenBadger opens such a
// directory with every acknowledged object.
func TestOpenAfterCrashLeftEmptyLogs(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenBadger(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, &Object{ID: "kept", Owner: "o"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"00042.mem", "000043.vlog"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err = OpenBadger(dir, Options{})
	if err != nil {
		t.Fatalf("reopen with empty logs: %v", err)
	}
	defer s.Close()
	if _, err := s.Get(context.Background(), "kept"); err != nil {
		t.Errorf("the object stored before: %v", err)
	}
}
