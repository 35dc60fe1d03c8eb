package hsm

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Binding is the record, kept in a data directory (BindingFile), of the
// cryptographic module and the key-encryption key that seal the
// directory's data: the module's identity (ModuleIdentity) and a check
// value, a constant sealed by the module, which only the same KEK unseals.
// It reveals nothing of the KEK.
//
// OpenBound reads the record before it opens the module and refuses a
// module other than the one recorded. The Binding it returns follows KEK
// rotation: the provider's Rotate re-seals the check value under the new
// epoch before it returns, so the record never depends on an epoch that a
// rotation then retires. Check verifies the module against it at any time.
//
// A Binding is safe for concurrent use.
type Binding struct {
	path   string
	crypto Bindable

	mu  sync.Mutex // serializes re-sealing and writing the record
	rec bindingRecord
}

// Bindable is a provider that OpenBound can bind to a data directory:
// Software, and the PKCS#11 provider of package hsm/pkcs11. Open must
// return one for OpenBound to accept the module.
type Bindable interface {
	Crypto
	Rotator
	// Identity names the open module and its KEK, as the binding record
	// keeps them.
	Identity() ModuleIdentity
	// FollowRotation makes Rotate call f with each new epoch before it
	// returns (through AfterRotation). It is called once, before the
	// provider is shared, and need not be safe for concurrent use.
	FollowRotation(f func(newID uint32) error)
}

// The check value: checkPlaintext sealed for the object id checkID, which no
// KMIP object has (their identifiers are UUIDs).
const (
	checkID        = "kmipd:crypto-binding"
	checkPlaintext = "kmipd crypto binding check v1"
)

// BindOptions says where a data directory keeps its binding record and
// what the directory holds.
type BindOptions struct {
	// Path is the binding record, DATA/crypto-binding.json. Required.
	Path string

	// Sealed reports that the directory already holds data (a store). A
	// directory without a record is then one an older version made: it is
	// adopted only when the configured module's KEK exists already (it is
	// not created) and Adopt accepts the module.
	Sealed bool

	// Adopt, if not nil, is called when a Sealed directory without record
	// is adopted, with the module open; it returns an error when the module
	// does not unseal the directory's data.
	Adopt func(Crypto) error
}

// OpenBound opens the module cfg selects for a data directory and binds it
// to the directory's record at opts.Path:
//
//   - With a record, a module of another provider is refused before it is
//     opened (so that no key file nor token KEK is created), a missing KEK
//     is refused rather than created, and the KEK must unseal the record's
//     check value. When the record's module identity changed (a moved
//     library, a relabelled token) and the check passes, the record is
//     updated and the change logged.
//   - Without a record and without data (a first start), the record is
//     written, synced, from the module opened, before the caller generates
//     any key.
//   - Without a record but with data (opts.Sealed: an older version's
//     directory), the KEK must exist already and opts.Adopt accept the
//     module; then the record is written.
//
// Every refusal is a *BindingError naming what the directory was sealed
// with and what is configured. The caller closes the module; the Binding
// needs no closing.
func OpenBound(cfg Config, opts BindOptions, log *zap.Logger) (Crypto, *Binding, error) {
	if log == nil {
		log = zap.NewNop()
	}
	rec, err := readBinding(opts.Path)
	if err != nil {
		return nil, nil, err
	}
	configured := cfg.identity()
	refuse := func(err error) *BindingError {
		e := &BindingError{Path: opts.Path, Configured: configured, Err: err}
		if rec != nil {
			e.Recorded = &rec.Module
		}
		return e
	}
	if rec != nil && rec.Module.Provider != configured.Provider {
		return nil, nil, refuse(errors.New("another provider"))
	}
	cfg.KEKMustExist = rec != nil || opts.Sealed
	opened, err := Open(cfg, log)
	if errors.Is(err, ErrNoKEK) {
		return nil, nil, refuse(err)
	}
	if err != nil {
		return nil, nil, err
	}
	c, ok := opened.(Bindable)
	if !ok {
		opened.Close()
		return nil, nil, fmt.Errorf("hsm: %T cannot be bound to a data directory", opened)
	}
	b := &Binding{path: opts.Path, crypto: c}
	if err := b.bind(rec, opts, log); err != nil {
		c.Close()
		return nil, nil, err
	}
	c.FollowRotation(b.reseal)
	return c, b, nil
}

// bind checks the module against rec, or adopts the directory when rec is
// nil, and leaves b's record current and on disk.
func (b *Binding) bind(rec *bindingRecord, opts BindOptions, log *zap.Logger) error {
	now := b.crypto.Identity()
	if rec == nil {
		if opts.Sealed && opts.Adopt != nil {
			if err := opts.Adopt(b.crypto); err != nil {
				return &BindingError{Path: b.path, Configured: now, Err: err}
			}
		}
		b.rec = bindingRecord{Format: bindingFormat, Module: now, Created: time.Now().UTC()}
		if err := b.resealLocked(); err != nil {
			return err
		}
		log.Info("crypto binding written", zap.String("path", b.path), zap.Stringer("module", now), zap.Bool("adopted", opts.Sealed))
		return nil
	}
	b.rec = *rec
	if err := b.checkLocked(); err != nil {
		recorded := rec.Module
		return &BindingError{Path: b.path, Recorded: &recorded, Configured: now, Err: err}
	}
	moved := now != rec.Module
	if !moved && b.rec.CheckEpoch == currentEpoch(b.crypto) {
		return nil
	}
	if moved {
		log.Warn("crypto binding: the module's identity changed but its KEK unseals the check value; record updated",
			zap.Stringer("recorded", rec.Module), zap.Stringer("now", now))
		b.rec.Module = now
	}
	return b.resealLocked()
}

// Check verifies that the module works and holds the KEK recorded: it
// unseals the check value. Errors never hold key material.
func (b *Binding) Check() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.checkLocked()
}

// Module returns the identity of the module bound.
func (b *Binding) Module() ModuleIdentity {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rec.Module
}

// checkLocked unseals the check value. The caller holds b.mu or owns b.
func (b *Binding) checkLocked() error {
	plain, err := b.crypto.Unseal(checkID, b.rec.Check)
	if errors.Is(err, ErrUnseal) {
		return fmt.Errorf("the KEK does not unseal the check value sealed under KEK epoch %d (the module's epochs: %v): another KEK",
			b.rec.CheckEpoch, b.crypto.KeyIDs())
	}
	if err != nil {
		return fmt.Errorf("check value: %w", err)
	}
	defer clear(plain)
	if string(plain) != checkPlaintext {
		return errors.New("the check value unseals to something else")
	}
	return nil
}

// reseal seals the check value under the current epoch and writes the
// record; the providers' Rotate calls it (FollowRotation).
func (b *Binding) reseal(uint32) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.resealLocked()
}

// resealLocked seals the check value under the current epoch and writes
// the record. The caller holds b.mu or owns b.
func (b *Binding) resealLocked() error {
	sealed, err := b.crypto.Seal(checkID, []byte(checkPlaintext))
	if err != nil {
		return fmt.Errorf("hsm: crypto binding: seal the check value: %w", err)
	}
	epoch, _ := SealedKeyID(sealed)
	next := b.rec
	next.Check, next.CheckEpoch = sealed, epoch
	if err := writeBinding(b.path, &next); err != nil {
		return err
	}
	b.rec = next
	return nil
}

// currentEpoch is the epoch that seals now: the last of KeyIDs.
func currentEpoch(c Rotator) uint32 {
	ids := c.KeyIDs()
	if len(ids) == 0 {
		return 0
	}
	return ids[len(ids)-1]
}

// AfterRotation is what a Bindable's Rotate returns once it has made epoch
// id current: it runs f, the function given to FollowRotation (nil when
// none), and wraps its failure. The failure leaves the new epoch current
// and is returned by Rotate, so that the caller retires nothing older.
func AfterRotation(f func(newID uint32) error, id uint32) error {
	if f == nil {
		return nil
	}
	if err := f(id); err != nil {
		return fmt.Errorf("hsm: KEK epoch %d created, but the crypto binding still names an older epoch: %w", id, err)
	}
	return nil
}
