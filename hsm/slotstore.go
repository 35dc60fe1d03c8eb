package hsm

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// SlotStore keeps the sealed DEKs of a Slotted, one per slot, each under a
// random generation that the material sealed with it names. KeySlots keeps
// them in a file of the data directory, for one server; store.PGKeySlots in
// a table of the PostgreSQL database that the nodes of a cluster share, so
// that every node unseals what another sealed.
//
// Implementations are safe for concurrent use and never put a sealed DEK
// in an error.
type SlotStore interface {
	// Reserve takes a slot that holds nothing and that no other caller
	// gets, and draws its generation (NewSlotGeneration), for Store.
	Reserve() (slot uint32, gen uint64, err error)
	// Release gives back a reserved slot that was never stored.
	Release(slot uint32)
	// Store writes sealed (at most MaxSlotSealed bytes) into a reserved
	// slot under gen; it is durable once Sync returns. On error the slot is
	// released.
	Store(slot uint32, gen uint64, sealed []byte) error
	// Get returns the sealed DEK slot holds under gen, or ErrSlotGone.
	Get(slot uint32, gen uint64) ([]byte, error)
	// Replace writes sealed in place of the DEK slot holds under gen (a
	// re-seal of the same DEK), or returns ErrSlotGone; durable after Sync.
	Replace(slot uint32, gen uint64, sealed []byte) error
	// Wipe destroys the DEK slot holds under gen and returns once that is
	// durable; a slot that no longer holds gen is left alone (nil).
	Wipe(slot uint32, gen uint64) error
	// Sync returns once every Store and Replace before it is durable.
	Sync() error
	// Each calls fn with every used slot, in slot order, and stops at fn's
	// first error; fn may call Replace.
	Each(fn func(slot uint32, gen uint64, sealed []byte) error) error
	// Used returns the number of slots holding a DEK.
	Used() int
	// Close releases the store; the other methods fail with ErrClosed
	// afterwards.
	Close() error
}

var _ SlotStore = (*KeySlots)(nil)

// MaxSlotSealed is the longest sealed DEK a slot holds.
const MaxSlotSealed = slotDataMax

// NewSlotGeneration draws a slot generation: random, never 0.
func NewSlotGeneration() (uint64, error) {
	var g [8]byte
	for {
		if _, err := rand.Read(g[:]); err != nil {
			return 0, fmt.Errorf("hsm: random: %w", err)
		}
		if gen := binary.BigEndian.Uint64(g[:]); gen != 0 {
			return gen, nil
		}
	}
}

// UnsealsASlot checks that module unseals the DEK of the first used slot of
// slots (nil when none is used): that it holds the KEK the slots were
// sealed under, as a node joining a cluster must.
func UnsealsASlot(module Crypto, slots SlotStore) error {
	err := slots.Each(func(slot uint32, gen uint64, sealed []byte) error {
		dek, err := module.Unseal(slotBinding(slot, gen), sealed)
		if err != nil {
			return fmt.Errorf("the DEK of key slot %d does not unseal: %w", slot, err)
		}
		clear(dek)
		return errSlotChecked
	})
	if errors.Is(err, errSlotChecked) {
		return nil
	}
	return err
}

var errSlotChecked = errors.New("hsm: key slot checked")
