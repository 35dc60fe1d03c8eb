package hsm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// KeySlots is a file of fixed-size key slots, each holding one object's
// data-encryption key (DEK) sealed by the cryptographic module. It is what
// makes destruction final (see Slotted): an object's material is sealed by
// its DEK, and destroying the material overwrites the DEK's slot in place
// and syncs it, which costs the same whatever the number of objects stored.
// Every copy of the material the store may keep (superseded versions until
// compaction, backups) is then undecryptable with every key the server holds.
//
// The file is a 128-byte header followed by 128-byte slots:
//
//	header  magic "KMIPDSLT" | format version 1 | zeros
//	slot    state (1: used, 0: free) | generation (8 bytes) | length (1 byte) | sealed DEK | zeros | CRC-32C of the first 124 bytes
//
// A slot's generation is random, drawn at each allocation; the blobs sealed
// with the slot name it, so a blob of an earlier tenant of a reused slot is
// told apart (and Wipe leaves the new tenant alone). A slot is never torn
// by a crash in practice (128 aligned bytes lie in one disk sector); one
// whose CRC does not match is treated as free.
//
// Opening the file reads it once to find the free slots (a sequential read
// of 128 bytes per slot: 128 MB and about 0.1 s for a million objects).
// Freed slots are reused before the file grows.
//
// Limits of overwriting in place: the program overwrites the file's blocks
// through the file system, which on ext4 or XFS rewrites them where they
// are. A copy-on-write file system (btrfs, ZFS), a snapshot of the volume,
// or an SSD's flash translation layer (wear levelling keeps the old page
// until the drive erases it) may keep the former content where the program
// cannot reach it. What lingers there is a DEK sealed by the module's KEK,
// never material in the clear: with the KEK in a PKCS#11 token, the copy is
// useless to whoever holds the disk alone; with the software KEK (kek.key,
// in the same directory) rotate the KEK (kmipctl kek rotate, or
// kek_rotation), which re-seals the live slots and destroys the old epoch,
// after which no lingering copy of any slot can be opened.
//
// A KeySlots is safe for concurrent use. Only one process may use a file.
type KeySlots struct {
	f    *os.File
	path string
	sync groupSync

	// mu is held exclusively for every write to a slot and shared for
	// every read, so that a read sees a slot before or after a write.
	mu   sync.RWMutex
	free []uint32 // free slots below n, reused last in first out
	n    uint32   // slots in the file
	used int
}

// ErrSlotGone is returned for a slot that no longer holds the generation a
// blob names: its material was destroyed.
var ErrSlotGone = errors.New("hsm: key slot wiped: the material was destroyed")

const (
	slotMagic     = "KMIPDSLT"
	slotVersion   = 1
	slotSize      = 128
	slotHeader    = slotSize // the file header takes one slot's room
	slotCRCOffset = slotSize - 4
	slotDataMax   = slotCRCOffset - 10 // room for the sealed DEK
	// slotFileGrow is how many slots the file grows by at once, so that
	// most allocations write inside the file and sync data only.
	slotFileGrow = 1024
	// maxSlots bounds the file (512 GiB); slot numbers are 32 bits.
	maxSlots = 1<<32 - 1
)

var slotTable = crc32.MakeTable(crc32.Castagnoli)

// slotRecord is a decoded slot.
type slotRecord struct {
	used   bool
	gen    uint64
	sealed []byte
}

func encodeSlot(r slotRecord) []byte {
	b := make([]byte, slotSize)
	if r.used {
		b[0] = 1
	}
	binary.BigEndian.PutUint64(b[1:], r.gen)
	b[9] = byte(len(r.sealed))
	copy(b[10:], r.sealed)
	binary.BigEndian.PutUint32(b[slotCRCOffset:], crc32.Checksum(b[:slotCRCOffset], slotTable))
	return b
}

// decodeSlot decodes b; a slot with a bad CRC or length decodes as free.
func decodeSlot(b []byte) slotRecord {
	if crc32.Checksum(b[:slotCRCOffset], slotTable) != binary.BigEndian.Uint32(b[slotCRCOffset:]) ||
		b[0] != 1 || int(b[9]) > slotDataMax {
		return slotRecord{}
	}
	return slotRecord{used: true, gen: binary.BigEndian.Uint64(b[1:]), sealed: append([]byte(nil), b[10:10+int(b[9])]...)}
}

func slotOffset(slot uint32) int64 { return slotHeader + int64(slot)*slotSize }

// OpenKeySlots opens the key slot file at path, creating it (mode 0600)
// when it does not exist, and reads it to find the free slots.
func OpenKeySlots(path string) (*KeySlots, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = createKeySlots(path)
	}
	if err != nil {
		return nil, fmt.Errorf("hsm: key slots: %w", err)
	}
	k := &KeySlots{f: f, path: path}
	k.sync.f = f
	if err := k.scan(); err != nil {
		f.Close()
		return nil, err
	}
	return k, nil
}

// createKeySlots creates the file with its header, durably.
func createKeySlots(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, slotHeader)
	copy(hdr, slotMagic)
	hdr[len(slotMagic)] = slotVersion
	if _, err := f.WriteAt(hdr, 0); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// scan checks the header and collects the free slots.
func (k *KeySlots) scan() error {
	info, err := k.f.Stat()
	if err != nil {
		return fmt.Errorf("hsm: key slots: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("hsm: key slots %s: mode %04o is accessible to group or others; want 0600", k.path, info.Mode().Perm())
	}
	hdr := make([]byte, slotHeader)
	if _, err := k.f.ReadAt(hdr, 0); err != nil || string(hdr[:len(slotMagic)]) != slotMagic {
		return fmt.Errorf("hsm: key slots %s: not a key slot file", k.path)
	}
	if hdr[len(slotMagic)] != slotVersion {
		return fmt.Errorf("hsm: key slots %s: format version %d not supported", k.path, hdr[len(slotMagic)])
	}
	n := (info.Size() - slotHeader) / slotSize // a trailing partial slot is left out
	if n > maxSlots {
		return fmt.Errorf("hsm: key slots %s: too large", k.path)
	}
	k.n = uint32(n)
	buf := make([]byte, 8192*slotSize)
	for first := int64(0); first < n; first += 8192 {
		chunk := buf[:min(8192, n-first)*slotSize]
		if _, err := k.f.ReadAt(chunk, slotOffset(uint32(first))); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("hsm: key slots: %w", err)
		}
		for i := 0; i < len(chunk); i += slotSize {
			// Only the state and CRC matter here; decodeSlot's copy is avoided.
			b := chunk[i : i+slotSize]
			if b[0] == 1 && crc32.Checksum(b[:slotCRCOffset], slotTable) == binary.BigEndian.Uint32(b[slotCRCOffset:]) {
				k.used++
			} else {
				k.free = append(k.free, uint32(first)+uint32(i/slotSize))
			}
		}
	}
	// Reuse the lowest slots first.
	for i, j := 0, len(k.free)-1; i < j; i, j = i+1, j-1 {
		k.free[i], k.free[j] = k.free[j], k.free[i]
	}
	return nil
}

// Reserve takes a free slot, growing the file when none is left, and draws
// its new generation (SlotStore). The slot stays reserved until Store or
// Release.
func (k *KeySlots) Reserve() (slot uint32, gen uint64, err error) {
	if gen, err = NewSlotGeneration(); err != nil {
		return 0, 0, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.f == nil {
		return 0, 0, ErrClosed
	}
	if len(k.free) == 0 {
		if err := k.grow(); err != nil {
			return 0, 0, err
		}
	}
	slot = k.free[len(k.free)-1]
	k.free = k.free[:len(k.free)-1]
	return slot, gen, nil
}

// grow extends the file by slotFileGrow free slots, written as zeros (not
// a hole, nor fallocate's unwritten extents) and synced with the file's new
// size, so that a later slot write there changes no metadata and a data
// sync covers it. The caller holds k.mu exclusively.
func (k *KeySlots) grow() error {
	if k.n > maxSlots-slotFileGrow {
		return errors.New("hsm: key slots: file full")
	}
	next := k.n + slotFileGrow
	if _, err := k.f.WriteAt(make([]byte, slotFileGrow*slotSize), slotOffset(k.n)); err != nil {
		return fmt.Errorf("hsm: key slots: grow: %w", err)
	}
	if err := k.f.Sync(); err != nil {
		return fmt.Errorf("hsm: key slots: grow: %w", err)
	}
	for s := next - 1; s >= k.n && s < next; s-- {
		k.free = append(k.free, s)
	}
	k.n = next
	return nil
}

// Release returns a reserved slot that was never written (SlotStore).
func (k *KeySlots) Release(slot uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.free = append(k.free, slot)
}

// put writes sealed into a reserved slot under gen and returns once it is
// on disk. On error the slot is released.
func (k *KeySlots) put(slot uint32, gen uint64, sealed []byte) error {
	if err := k.Store(slot, gen, sealed); err != nil {
		return err
	}
	return k.sync.sync()
}

// store is put without the sync. On error the slot is released.
func (k *KeySlots) Store(slot uint32, gen uint64, sealed []byte) error {
	if len(sealed) > MaxSlotSealed {
		k.Release(slot)
		return fmt.Errorf("hsm: key slots: sealed key of %d bytes exceeds %d", len(sealed), MaxSlotSealed)
	}
	if err := k.write(slot, slotRecord{used: true, gen: gen, sealed: sealed}, nil); err != nil {
		k.Release(slot)
		return err
	}
	k.mu.Lock()
	k.used++
	k.mu.Unlock()
	return nil
}

// write writes r into slot, after check (when not nil) approves the slot's
// current record, under k.mu held exclusively.
func (k *KeySlots) write(slot uint32, r slotRecord, check func(cur slotRecord) error) error {
	b := encodeSlot(r)
	defer clear(b)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.f == nil {
		return ErrClosed
	}
	if check != nil {
		cur, err := k.readLocked(slot)
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
	}
	if _, err := k.f.WriteAt(b, slotOffset(slot)); err != nil {
		return fmt.Errorf("hsm: key slots: write: %w", err)
	}
	return nil
}

// Get returns the sealed DEK slot holds under gen, or ErrSlotGone.
func (k *KeySlots) Get(slot uint32, gen uint64) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.f == nil {
		return nil, ErrClosed
	}
	r, err := k.readLocked(slot)
	if err != nil {
		return nil, err
	}
	if !r.used || r.gen != gen {
		return nil, ErrSlotGone
	}
	return r.sealed, nil
}

// readLocked reads slot; the caller holds k.mu.
func (k *KeySlots) readLocked(slot uint32) (slotRecord, error) {
	if slot >= k.n {
		return slotRecord{}, nil
	}
	b := make([]byte, slotSize)
	defer clear(b)
	if _, err := k.f.ReadAt(b, slotOffset(slot)); err != nil {
		return slotRecord{}, fmt.Errorf("hsm: key slots: read: %w", err)
	}
	return decodeSlot(b), nil
}

// Wipe destroys the DEK that slot holds under gen: it overwrites the slot
// with a free record (zeros but for its generation and CRC) and returns once
// that is on disk; the slot is then reused. A slot that no longer holds gen
// (wiped before, or reused since) is left alone and Wipe returns nil, so
// repeating a wipe after a crash is safe. The cost is one 128-byte write and
// a share of one fsync, whatever the number of slots.
func (k *KeySlots) Wipe(slot uint32, gen uint64) error {
	wiped := false
	err := k.write(slot, slotRecord{gen: gen}, func(cur slotRecord) error {
		if !cur.used || cur.gen != gen {
			return errSlotNotHeld
		}
		wiped = true
		return nil
	})
	if err != nil && !errors.Is(err, errSlotNotHeld) {
		return err
	}
	// Synced even when not held: a wipe of the slot by another caller may
	// still be on its way to the disk.
	if err := k.Sync(); err != nil {
		return err
	}
	if wiped {
		k.mu.Lock()
		k.used--
		k.free = append(k.free, slot)
		k.mu.Unlock()
	}
	return nil
}

var errSlotNotHeld = errors.New("hsm: key slot not held")

// Replace writes sealed into slot in place of the DEK it holds under gen
// (a re-seal of the same DEK), or returns ErrSlotGone. The caller syncs.
func (k *KeySlots) Replace(slot uint32, gen uint64, sealed []byte) error {
	return k.write(slot, slotRecord{used: true, gen: gen, sealed: sealed}, func(cur slotRecord) error {
		if !cur.used || cur.gen != gen {
			return ErrSlotGone
		}
		return nil
	})
}

// Each calls fn with every used slot, in slot order, and stops at fn's
// first error. fn may call Replace.
func (k *KeySlots) Each(fn func(slot uint32, gen uint64, sealed []byte) error) error {
	k.mu.RLock()
	n := k.n
	k.mu.RUnlock()
	for slot := uint32(0); slot < n; slot++ {
		k.mu.RLock()
		r, err := k.readLocked(slot)
		k.mu.RUnlock()
		if err != nil {
			return err
		}
		if r.used {
			if err := fn(slot, r.gen, r.sealed); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sync returns once every Store and Replace before it is on disk.
func (k *KeySlots) Sync() error { return k.sync.sync() }

// Used returns the number of slots holding a key.
func (k *KeySlots) Used() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.used
}

// Close closes the file; other methods fail with ErrClosed afterwards.
func (k *KeySlots) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.f == nil {
		return nil
	}
	err := k.f.Close()
	k.f = nil
	return err
}
