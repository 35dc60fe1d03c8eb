package hsm

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Rotator is implemented by a Crypto whose key-encryption key (KEK) comes in
// epochs: the newest epoch seals, every present epoch unseals. Rotating adds
// an epoch; retiring an old epoch destroys its key, after which material
// sealed under it can never be unsealed again. That is how destroyed
// material is made unrecoverable even where the store still holds an old
// copy of its sealed bytes: re-seal the live objects into the new epoch,
// then retire the old ones (handlers.Service.RotateKEK).
//
// Every sealed blob names its epoch (a 4-byte key id in its header). The
// methods are safe for concurrent use with each other and with Seal and
// Unseal. Only one process may rotate a key store at a time.
type Rotator interface {
	// Rotate creates a new epoch, which seals from now on, and returns its
	// id. The older epochs still unseal.
	Rotate() (newID uint32, err error)

	// Retire destroys the key of epoch id. It refuses the current epoch
	// and an id that is not present.
	Retire(id uint32) error

	// KeyIDs returns the ids of the present epochs, oldest first; the last
	// is the current one.
	KeyIDs() []uint32
}

var _ Rotator = (*Software)(nil)

// MaxEpochs is the most KEK epochs a provider keeps present: Rotate fails
// beyond it until old epochs are retired. It bounds the software key file.
const MaxEpochs = 64

// epochFileVersion is the key file format holding several epochs
// (keyfile.go).
const (
	epochFileVersion = 2
	epochEntrySize   = 4 + kekSize
)

// ErrCurrentEpoch is returned by Retire for the epoch that seals.
var ErrCurrentEpoch = errors.New("hsm: the current KEK epoch cannot be retired")

// ErrNoEpoch is returned by Retire for an epoch that is not present.
var ErrNoEpoch = errors.New("hsm: no such KEK epoch")

// epochFileSize is the size of a format 2 key file of n epochs.
func epochFileSize(n int) int { return len(keyFileMagic) + 1 + 2 + n*epochEntrySize }

// decodeEpochs decodes the count and entries of a format 2 key file.
func decodeEpochs(path string, b []byte) ([]kek, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("hsm: key file %s: truncated", path)
	}
	n := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n < 1 || n > MaxEpochs || len(b) != n*epochEntrySize {
		return nil, fmt.Errorf("hsm: key file %s: %d epochs in %d bytes", path, n, len(b))
	}
	ks := make([]kek, n)
	for i := range ks {
		e := b[i*epochEntrySize:]
		ks[i] = kek{id: binary.BigEndian.Uint32(e), key: slices.Clone(e[4:epochEntrySize])}
		for _, prev := range ks[:i] {
			if prev.id == ks[i].id {
				zeroKEKs(ks)
				return nil, fmt.Errorf("hsm: key file %s: key id %d twice", path, prev.id)
			}
		}
	}
	return ks, nil
}

// encodeEpochs returns the format 2 key file of ks. The caller zeroes it.
func encodeEpochs(ks []kek) []byte {
	buf := make([]byte, 0, epochFileSize(len(ks)))
	buf = append(buf, keyFileMagic...)
	buf = append(buf, epochFileVersion)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(ks)))
	for _, k := range ks {
		buf = binary.BigEndian.AppendUint32(buf, k.id)
		buf = append(buf, k.key...)
	}
	return buf
}

// replaceKeyFile writes ks to path atomically: a temporary file is synced
// and renamed over path. The old file's content is then overwritten with
// zeros through a descriptor opened before the rename, so that a retired key
// does not linger in the unlinked inode. (Whether the medium keeps older
// copies of the blocks, as SSDs and copy-on-write file systems may, is out
// of the program's reach.)
func replaceKeyFile(path string, ks []kek) error {
	buf := encodeEpochs(ks)
	defer clear(buf)
	dir := filepath.Dir(path)
	tmp, err := writeTempKeyFile(dir, buf)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	old, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("hsm: key file: %w", err)
	}
	defer old.Close()
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("hsm: key file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	info, err := old.Stat()
	if err != nil {
		return fmt.Errorf("hsm: wipe old key file: %w", err)
	}
	if _, err := old.WriteAt(make([]byte, info.Size()), 0); err != nil {
		return fmt.Errorf("hsm: wipe old key file: %w", err)
	}
	if err := old.Sync(); err != nil {
		return fmt.Errorf("hsm: wipe old key file: %w", err)
	}
	return nil
}

// zeroKEKs zeroes the keys of ks.
func zeroKEKs(ks []kek) {
	for _, k := range ks {
		clear(k.key)
	}
}

// install makes ks the provider's epochs, the last one current. The caller
// holds s.mu or owns s alone. On error s is unchanged.
func (s *Software) install(ks []kek) error {
	older := make(map[uint32]cipher.AEAD, len(ks)-1)
	var current cipher.AEAD
	for i, k := range ks {
		aead, err := newSealAEAD(k.key)
		if err != nil {
			return err
		}
		if i == len(ks)-1 {
			current = aead
		} else {
			older[k.id] = aead
		}
	}
	last := ks[len(ks)-1]
	s.epochs, s.older = ks, older
	s.kekID, s.kek, s.aead = last.id, last.key, current
	s.header[0] = SealFormatSoftware
	binary.BigEndian.PutUint32(s.header[1:], last.id)
	return nil
}

// epochFor returns the AEAD of the epoch sealed names, or nil when sealed is
// too short, of another format or of an epoch not present. The caller
// holds s.mu.
func (s *Software) epochFor(sealed []byte) cipher.AEAD {
	if len(sealed) < SealOverhead || sealed[0] != SealFormatSoftware {
		return nil
	}
	if [SealHeaderSize]byte(sealed[:SealHeaderSize]) == s.header {
		return s.aead
	}
	return s.older[binary.BigEndian.Uint32(sealed[1:])]
}

// Rotate adds a new random epoch to the key file and makes it current.
// It fails with ErrClosed after Close, and when the file already holds
// the maximum of 64 epochs (retire some first). A Binding following the
// provider has its check value sealed under the new epoch before Rotate
// returns (see AfterRotation).
func (s *Software) Rotate() (uint32, error) {
	id, err := s.rotate()
	if err != nil {
		return 0, err
	}
	return id, AfterRotation(s.afterRotate, id)
}

// rotate is Rotate without the Binding's part.
func (s *Software) rotate() (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead == nil {
		return 0, ErrClosed
	}
	if len(s.epochs) >= MaxEpochs {
		return 0, fmt.Errorf("hsm: %d KEK epochs present: retire old ones first", len(s.epochs))
	}
	fresh := kek{key: make([]byte, kekSize)}
	if _, err := rand.Read(fresh.key); err != nil {
		return 0, fmt.Errorf("hsm: random: %w", err)
	}
	for fresh.id == 0 || slices.ContainsFunc(s.epochs, func(k kek) bool { return k.id == fresh.id }) {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("hsm: random: %w", err)
		}
		fresh.id = binary.BigEndian.Uint32(b[:])
	}
	ks := append(slices.Clone(s.epochs), fresh)
	if err := replaceKeyFile(s.path, ks); err != nil {
		clear(fresh.key)
		return 0, err
	}
	if err := s.install(ks); err != nil {
		return 0, err
	}
	return fresh.id, nil
}

// Retire removes epoch id from the key file and zeroes its key in memory.
func (s *Software) Retire(id uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead == nil {
		return ErrClosed
	}
	if id == s.kekID {
		return ErrCurrentEpoch
	}
	i := slices.IndexFunc(s.epochs, func(k kek) bool { return k.id == id })
	if i < 0 {
		return fmt.Errorf("%w: %d", ErrNoEpoch, id)
	}
	retired := s.epochs[i]
	ks := slices.Delete(slices.Clone(s.epochs), i, i+1)
	if err := replaceKeyFile(s.path, ks); err != nil {
		return err
	}
	if err := s.install(ks); err != nil {
		return err
	}
	clear(retired.key)
	return nil
}

// KeyIDs returns the ids of the present epochs, oldest first.
func (s *Software) KeyIDs() []uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]uint32, len(s.epochs))
	for i, k := range s.epochs {
		ids[i] = k.id
	}
	return ids
}

// SealedKeyID returns the id of the KEK epoch that sealed material names in
// its header, and false when sealed is too short or of an unknown format.
// Both providers write a format byte (SealFormatSoftware,
// SealFormatPKCS11) and then the key id.
func SealedKeyID(sealed []byte) (uint32, bool) {
	if len(sealed) < SealHeaderSize || (sealed[0] != SealFormatSoftware && sealed[0] != SealFormatPKCS11) {
		return 0, false
	}
	return binary.BigEndian.Uint32(sealed[1:]), true
}
