package hsm

import (
	"os"
	"syscall"
)

// dataSync makes f's data durable with fdatasync, which also writes the
// metadata a later read needs (size, block allocation) but not the inode's
// times. In the key slot file, whose blocks grow writes before any slot in
// them is used, a slot write changes no such metadata, so the sync writes
// the slot's block without committing the file system's journal. It holds
// a reference to the descriptor, so a concurrent Close waits for it.
func dataSync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for serr = syscall.Fdatasync(int(fd)); serr == syscall.EINTR; serr = syscall.Fdatasync(int(fd)) {
		}
	}); err != nil {
		return err
	}
	return serr
}
