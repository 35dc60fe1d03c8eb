package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// removeEmptyLogs deletes the 0-byte memtable WALs (*.mem) and value logs
// (*.vlog) of the Badger directory dir, which a crash between Badger's
// creation of such a file and its first truncation leaves behind, and which
// badger.Open then refuses with z.NewFile, so that the server could not
// start again after a kill -9 (dgraph-io/badger#2207; the fix upstream,
// dgraph-io/badger#2331, skips them the same way). A 0-byte log never held
// an entry: Badger truncates a new log to its full size before it writes
// anything, so nothing acknowledged is removed.
func removeEmptyLogs(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !(strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if info.Size() != 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("store: remove empty log left by a crash: %w", err)
		}
	}
	return nil
}
