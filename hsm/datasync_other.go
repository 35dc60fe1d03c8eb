//go:build !linux

package hsm

import "os"

// dataSync makes f's data durable (fsync; fdatasync on Linux).
func dataSync(f *os.File) error { return f.Sync() }
