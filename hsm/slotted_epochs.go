package hsm

import (
	"errors"
	"fmt"
)

// errNoEpochs is returned by Slotted's Rotator methods over a module
// without KEK epochs.
var errNoEpochs = errors.New("hsm: the module has no KEK epochs")

// rotator returns the module's Rotator.
func (s *Slotted) rotator() (Rotator, error) {
	r, ok := s.Crypto.(Rotator)
	if !ok {
		return nil, errNoEpochs
	}
	return r, nil
}

// Rotate creates a new KEK epoch in the module; see Rotator. New DEKs are
// sealed under it; Retire moves the existing ones.
func (s *Slotted) Rotate() (uint32, error) {
	r, err := s.rotator()
	if err != nil {
		return 0, err
	}
	return r.Rotate()
}

// Retire re-seals, in place, every slot's DEK sealed under epoch id into
// the current epoch, syncs the slots, and then has the module destroy epoch
// id. Every copy of a slot sealed under it (a backup, an old block the
// medium kept) is then useless. A first pass runs beside Seals; a second
// one, with Seals held off, catches DEKs sealed under id just before the
// rotation and written after the first pass went by. The cost is one read
// per slot and two module calls per DEK under id.
func (s *Slotted) Retire(id uint32) error {
	r, err := s.rotator()
	if err != nil {
		return err
	}
	if err := s.resealSlots(id); err != nil {
		return err
	}
	s.rotMu.Lock()
	defer s.rotMu.Unlock()
	if err := s.resealSlots(id); err != nil {
		return err
	}
	return r.Retire(id)
}

// KeyIDs returns the module's KEK epochs; see Rotator.
func (s *Slotted) KeyIDs() []uint32 {
	r, err := s.rotator()
	if err != nil {
		return nil
	}
	return r.KeyIDs()
}

// ModuleInfo describes the module (ModuleInformer).
func (s *Slotted) ModuleInfo() (ModuleInfo, error) {
	mi, ok := s.Crypto.(ModuleInformer)
	if !ok {
		return ModuleInfo{}, errors.New("hsm: the module does not describe itself")
	}
	return mi.ModuleInfo()
}

// resealSlots re-seals into the current epoch every slot's DEK sealed under
// epoch id, then syncs the slot file.
func (s *Slotted) resealSlots(id uint32) error {
	changed := false
	err := s.slots.Each(func(slot uint32, gen uint64, sealedDEK []byte) error {
		if epoch, ok := SealedKeyID(sealedDEK); !ok || epoch != id {
			return nil
		}
		binding := slotBinding(slot, gen)
		dek, err := s.Crypto.Unseal(binding, sealedDEK)
		if err != nil {
			return fmt.Errorf("hsm: key slot %d: %w", slot, err)
		}
		sealed, err := s.Crypto.Seal(binding, dek)
		clear(dek)
		if err != nil {
			return err
		}
		err = s.slots.Replace(slot, gen, sealed)
		if errors.Is(err, ErrSlotGone) {
			return nil // wiped meanwhile
		}
		changed = changed || err == nil
		return err
	})
	if err != nil || !changed {
		return err
	}
	return s.slots.Sync()
}
