package hsm

import (
	"os"
	"syscall"
)

// dataSync makes f's data durable with fdatasync, which also writes the
// metadata a later read needs (size, block allocation) but not the inode's
// times. In the key slot file, whose blocks grow writes before any slot in
// them is used, a slot write changes no such metadata, so the sync writes
// the slot's block without committing the file system's journal.
func dataSync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
