package hsm

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// Forgetter is implemented by a Crypto that can make sealed material
// unrecoverable (Slotted). Forget destroys what unseals the material
// sealed for object id, and returns once that is on disk: afterwards no
// copy of sealed, wherever it was kept, unseals again, under any key the
// module holds. It is idempotent, and safe to repeat after a crash. Material
// it cannot make unrecoverable on its own (sealed directly by the KEK, before
// key slots existed) is left as it is, and Forget returns nil: only a KEK
// rotation (Rotator) ends it.
type Forgetter interface {
	Forget(id string, sealed []byte) error
}

// Slotted is a Crypto that seals each object's material under a
// data-encryption key (DEK) of its own: 32 bytes from the module's random
// bit generator, sealed by the module's KEK (its Seal, so either provider)
// and kept in a slot of a KeySlots file. Forget wipes the slot. Material
// sealed by Slotted is
//
//	format version 3 (1 byte) | slot (4 bytes) | slot generation (8 bytes) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)
//
// AES-256-GCM under the DEK, with the first 13 bytes and the object's
// Unique Identifier as associated data. The DEK is sealed by the module for
// the slot and generation (slotBinding), so a slot's content is useless in
// another slot. Material in the module's own formats (versions 1 and 2,
// sealed before the data directory had key slots) still unseals through
// the module; it moves into slots when re-sealed, which the next KEK
// rotation does (handlers.Service.RotateKEK).
//
// Durability: the slot Seal seals under is on disk before Seal uses it (a
// pool of ready slots, written and synced in batches ahead of time:
// slotpool.go), so a store commit that follows never references a slot a
// crash could lose, and Seal waits for no sync. A Seal whose material is
// never stored (the store's commit fails, or the process dies first)
// leaves its slot used: 128 bytes, holding a DEK of material that is
// nowhere.
//
// Errors never contain key material. Unseal of material whose slot was
// wiped fails with an error matching both ErrUnseal and ErrSlotGone. A
// failed sync of the slot file is permanent (a later sync cannot vouch for
// what the kernel dropped): Forget fails from then on, and so does Seal
// once the ready slots are used up; restart the process.
//
// A Slotted is safe for concurrent use. Close wipes the ready slots and
// closes the slots and the module.
type Slotted struct {
	Crypto // the module: operations, generation, Random, and the KEK that seals DEKs
	slots  SlotStore

	// rotMu is held shared from sealing a DEK to writing its slot, and
	// exclusively by the last pass of Retire, so that no DEK sealed under a
	// retiring epoch reaches a slot after Retire re-sealed them all.
	rotMu sync.RWMutex

	pool *slotPool // slots ready to seal with (slotpool.go)
}

var (
	_ Crypto    = (*Slotted)(nil)
	_ Forgetter = (*Slotted)(nil)
	_ Rotator   = (*Slotted)(nil)
)

// KeySlotsFile is the name of the key slot file in a server's data
// directory.
const KeySlotsFile = "keyslots"

const (
	slotSealVersion = 3
	slotBlobHeader  = 1 + 4 + 8
	dekSize         = 32
)

// NewSlotted returns module sealing through slots (a KeySlots file, or a
// database table shared by a cluster's nodes). It takes over both: its
// Close closes them.
func NewSlotted(module Crypto, slots SlotStore) *Slotted {
	return &Slotted{Crypto: module, slots: slots, pool: newSlotPool()}
}

// OpenSlotted opens the key slot file at slotsPath (OpenKeySlots) and
// returns module sealing through it. On error module is left open.
func OpenSlotted(module Crypto, slotsPath string) (*Slotted, error) {
	slots, err := OpenKeySlots(slotsPath)
	if err != nil {
		return nil, err
	}
	return NewSlotted(module, slots), nil
}

// IsSlotSealed reports whether sealed is material in Slotted's format,
// whose DEK a KEK rotation re-seals in its slot rather than in the store.
func IsSlotSealed(sealed []byte) bool {
	return len(sealed) >= slotBlobHeader && sealed[0] == slotSealVersion
}

// slotBinding is the id the module seals a slot's DEK for.
func slotBinding(slot uint32, gen uint64) string {
	return "kmipd-key-slot/" + strconv.FormatUint(uint64(slot), 10) + "/" + strconv.FormatUint(gen, 16)
}

// Seal seals plaintext, at most MaxPlaintext bytes, for object id under
// the DEK of a slot of its own, already on disk (slotpool.go).
func (s *Slotted) Seal(id string, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("hsm: plaintext of %d bytes exceeds %d", len(plaintext), MaxPlaintext)
	}
	r, err := s.pool.take(s.readyBatch)
	if err != nil {
		return nil, err
	}
	defer clear(r.dek)
	aead, err := newSealAEAD(r.dek)
	if err != nil {
		return nil, err
	}
	header := make([]byte, slotBlobHeader, slotBlobHeader+SealNonceSize+len(plaintext)+SealTagSize)
	header[0] = slotSealVersion
	binary.BigEndian.PutUint32(header[1:], r.slot)
	binary.BigEndian.PutUint64(header[5:], r.gen)
	return aead.Seal(header, nil, plaintext, slotAssociatedData(header, id)), nil
}

// readyBatch makes n ready slots: a fresh DEK each, sealed by the module
// and written to its slot, then one sync for all.
func (s *Slotted) readyBatch(n int) (batch []readySlot, err error) {
	defer func() {
		if err != nil {
			for _, r := range batch {
				clear(r.dek) // their slots stay used until a restart: keys of nothing
			}
		}
	}()
	s.rotMu.RLock()
	defer s.rotMu.RUnlock()
	for range n {
		r, err := s.readySlot()
		if err != nil {
			return batch, err
		}
		batch = append(batch, r)
	}
	return batch, s.slots.Sync()
}

// readySlot reserves a slot and stores a new sealed DEK in it, unsynced.
// The caller holds s.rotMu shared.
func (s *Slotted) readySlot() (readySlot, error) {
	dek, err := s.Crypto.Random(dekSize)
	if err != nil {
		return readySlot{}, err
	}
	slot, gen, err := s.slots.Reserve()
	if err == nil {
		var sealed []byte
		if sealed, err = s.Crypto.Seal(slotBinding(slot, gen), dek); err != nil {
			s.slots.Release(slot)
		} else {
			err = s.slots.Store(slot, gen, sealed)
		}
	}
	if err != nil {
		clear(dek)
		return readySlot{}, err
	}
	return readySlot{slot: slot, gen: gen, dek: dek}, nil
}

// slotAssociatedData returns header | id.
func slotAssociatedData(header []byte, id string) []byte {
	return append(append(make([]byte, 0, slotBlobHeader+len(id)), header[:slotBlobHeader]...), id...)
}

// parseSlotBlob returns the slot and generation sealed names.
func parseSlotBlob(sealed []byte) (slot uint32, gen uint64) {
	return binary.BigEndian.Uint32(sealed[1:]), binary.BigEndian.Uint64(sealed[5:])
}

// Unseal returns the plaintext of material sealed for object id: through
// its slot's DEK, or through the module for material in the module's own
// format. It fails with ErrUnseal (and ErrSlotGone when the slot was wiped:
// the material was destroyed).
func (s *Slotted) Unseal(id string, sealed []byte) ([]byte, error) {
	if !IsSlotSealed(sealed) {
		return s.Crypto.Unseal(id, sealed)
	}
	aead, err := s.dekAEAD(parseSlotBlob(sealed))
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, nil, sealed[slotBlobHeader:], slotAssociatedData(sealed, id))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}

// dekAEAD returns AES-256-GCM under the DEK slot holds under gen.
func (s *Slotted) dekAEAD(slot uint32, gen uint64) (cipher.AEAD, error) {
	sealedDEK, err := s.slots.Get(slot, gen)
	if errors.Is(err, ErrSlotGone) {
		return nil, fmt.Errorf("%w: %w", ErrUnseal, ErrSlotGone)
	}
	if err != nil {
		return nil, err
	}
	dek, err := s.Crypto.Unseal(slotBinding(slot, gen), sealedDEK)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	return newSealAEAD(dek)
}

// Forget wipes the slot of the DEK that sealed material for object id and
// returns once that is on disk (KeySlots.Wipe); see Forgetter. Material in
// the module's own format is left alone.
func (s *Slotted) Forget(id string, sealed []byte) error {
	if !IsSlotSealed(sealed) {
		return nil
	}
	return s.slots.Wipe(parseSlotBlob(sealed))
}

// ModuleSealer returns what seals with c's KEK alone: the module of a
// Slotted, c itself otherwise. It is for material that must open with the
// KEK and nothing else, such as a backup's file key (store.Sealer).
func ModuleSealer(c Crypto) Crypto {
	if s, ok := c.(*Slotted); ok {
		return s.Crypto
	}
	return c
}

// Slots returns the key slots, for statistics and tests.
func (s *Slotted) Slots() SlotStore { return s.slots }

// InUse returns the number of slots holding the DEK of some material (the
// ready ones left out).
func (s *Slotted) InUse() int { return s.slots.Used() - len(s.pool.ready) }

// Close wipes the slots still ready, then closes the key slots and the
// module.
func (s *Slotted) Close() error {
	var err error
	for _, r := range s.pool.close() {
		clear(r.dek)
		if werr := s.slots.Wipe(r.slot, r.gen); err == nil {
			err = werr
		}
	}
	if cerr := s.slots.Close(); err == nil {
		err = cerr
	}
	if merr := s.Crypto.Close(); err == nil {
		err = merr
	}
	return err
}
