package hsm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Key slots in a backup.
//
// A backup of the store carries the used slots (store.Attachment), so that
// it restores onto a machine that lost the data directory: the material of
// the restored objects unseals with the KEK alone. What it carries is what
// the slots hold when the store's snapshot is complete: a DEK wiped before
// then (its object destroyed) is not in it, so a backup taken after a
// Destroy never yields the material. A backup taken before a Destroy does:
// it is a copy of the keys as they were. To end every such copy, rotate the
// KEK (kmipctl kek rotate): the DEKs in a backup, like its file key, are
// sealed under the epoch of its day, which the rotation destroys.
//
// An object destroyed while the backup is written may be in the store's
// snapshot as live with its slot already wiped: restored, it is there but
// its material does not unseal (it was destroyed).
//
// The attachment is a sequence of entries, slot number (4 bytes, big
// endian) | the slot's 128 bytes as in the file.

// WriteBackup writes every used slot to w (store.Attachment). It may run
// while the slots are used.
func (k *KeySlots) WriteBackup(w io.Writer) error { return writeSlotBackup(k, w) }

// slotBackup is the store.Attachment of any SlotStore.
type slotBackup struct{ slots SlotStore }

func (b slotBackup) WriteBackup(w io.Writer) error { return writeSlotBackup(b.slots, w) }

// writeSlotBackup writes every used slot of slots to w, in the format of a
// key slot file's slots, whichever SlotStore holds them, so that a backup
// of a cluster restores into a data directory's file (StageKeySlots).
func writeSlotBackup(slots SlotStore, w io.Writer) error {
	entry := make([]byte, 4+slotSize)
	defer clear(entry)
	return slots.Each(func(slot uint32, gen uint64, sealed []byte) error {
		binary.BigEndian.PutUint32(entry, slot)
		b := encodeSlot(slotRecord{used: true, gen: gen, sealed: sealed})
		copy(entry[4:], b)
		clear(b)
		_, err := w.Write(entry)
		return err
	})
}

// BackupAttachment returns what a backup of a store sealed by c carries
// beside the store (a store.Attachment): the key slots c seals through, or
// a nil interface when c is not a Slotted.
func BackupAttachment(c Crypto) interface{ WriteBackup(io.Writer) error } {
	if s, ok := c.(*Slotted); ok {
		return slotBackup{s.slots}
	}
	return nil
}

// StageKeySlots reads slots written by WriteBackup from r into a new key
// slot file beside path, synced, and returns a function that puts it in
// place of path (a rename, the directory synced). Until then path is left
// as it is; a staged file that is never committed is removed by the next
// StageKeySlots. No process may use path meanwhile.
func StageKeySlots(path string, r io.Reader) (commit func() error, err error) {
	dir := filepath.Dir(path)
	tmp := path + ".restore"
	os.Remove(tmp)
	f, err := createKeySlots(tmp)
	if err != nil {
		return nil, fmt.Errorf("hsm: key slots: restore: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	br := bufio.NewReader(r)
	entry := make([]byte, 4+slotSize)
	defer clear(entry)
	for {
		if _, err = io.ReadFull(br, entry); errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("hsm: key slots: restore: truncated entry")
		}
		slot, rec := binary.BigEndian.Uint32(entry), entry[4:]
		if slot >= maxSlots || !decodeSlot(rec).used {
			return nil, fmt.Errorf("hsm: key slots: restore: bad entry for slot %d", slot)
		}
		if _, err = f.WriteAt(rec, slotOffset(slot)); err != nil {
			return nil, fmt.Errorf("hsm: key slots: restore: %w", err)
		}
	}
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("hsm: key slots: restore: %w", err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("hsm: key slots: restore: %w", err)
	}
	return func() error {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("hsm: key slots: restore: %w", err)
		}
		return syncDir(dir)
	}, nil
}
