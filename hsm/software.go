package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
)

// Limits of the software provider. They bound memory per call; no KMIP key
// or secret comes near them.
const (
	// MaxKeyBits is the largest key GenerateKey generates.
	MaxKeyBits = 8192
	// MaxRandom is the largest n Random accepts.
	MaxRandom = 64 << 10
	// MaxPlaintext is the largest plaintext Seal accepts.
	MaxPlaintext = 1 << 20
)

// The sealed-material format, shared by every provider: a blob sealed by a
// provider is
//
//	format (1 byte) | KEK key id (4 bytes, big endian) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)
//
// The format byte names the provider (SealFormatSoftware, SealFormatPKCS11),
// so that blobs of two providers are never mistaken for each other, and the
// key id names the KEK epoch that sealed (SealedKeyID). The software
// provider seals with AES-256-GCM and a random 96-bit nonce; the associated
// data is the format byte, the key id and the object's Unique Identifier, so
// neither the header nor the binding to the object can be changed. These
// constants are part of the on-disk format: they never change.
const (
	// SealFormatSoftware is the format byte of the software provider.
	SealFormatSoftware = 1
	// SealFormatPKCS11 is the format byte of the PKCS#11 provider
	// (package hsm/pkcs11).
	SealFormatPKCS11 = 2

	// SealHeaderSize is the size of the header: format byte and key id.
	SealHeaderSize = 1 + 4
	// SealNonceSize is the size of the GCM nonce following the header.
	SealNonceSize = 12
	// SealTagSize is the size of the GCM tag ending a blob.
	SealTagSize = 16
	// SealOverhead is the size of a blob minus that of its plaintext.
	SealOverhead = SealHeaderSize + SealNonceSize + SealTagSize
)

// ErrClosed is returned by a provider's methods after Close.
var ErrClosed = errors.New("hsm: module closed")

// Software is a Crypto provider on Go's standard cryptography: AES-256-GCM
// sealing under a key-encryption key (KEK) kept in a file, and an HMAC_DRBG
// over crypto/rand as random bit generator (rng_software.go). It uses only
// FIPS 140-3 approved algorithms and works in Go's FIPS 140-3 mode
// (GODEBUG=fips140=on or only).
//
// A Software is safe for concurrent use.
type Software struct {
	mu     sync.RWMutex
	kekID  uint32
	kek    []byte      // zeroed by Close
	aead   cipher.AEAD // nil after Close
	header [SealHeaderSize]byte

	// The KEK epochs (epochs.go): the current one above seals; every epoch
	// in epochs, oldest first and the current one last, unseals.
	path   string
	epochs []kek
	older  map[uint32]cipher.AEAD

	// afterRotate, if set, is called by Rotate (FollowRotation).
	afterRotate func(newID uint32) error

	rng hmacDRBG // the random bit generator (rng_software.go)
}

var _ Crypto = (*Software)(nil)

// NewSoftware returns a software provider whose KEK is kept in keyFile.
// A missing keyFile is created with 32 random bytes, mode 0600, in a
// directory created with mode 0700. An existing keyFile must not be
// accessible to group or others and must be in the key file format;
// otherwise NewSoftware returns an error.
func NewSoftware(keyFile string) (*Software, error) { return newSoftware(keyFile, true) }

// newSoftware is NewSoftware; with create false, a missing keyFile is an
// error wrapping ErrNoKEK.
func newSoftware(keyFile string, create bool) (*Software, error) {
	load := loadOrCreateKEK
	if !create {
		load = loadKEK
	}
	ks, err := load(keyFile)
	if err != nil {
		return nil, err
	}
	s := &Software{path: keyFile}
	if err := s.install(ks); err != nil {
		zeroKEKs(ks)
		return nil, err
	}
	return s, nil
}

// newSealAEAD returns AES-256-GCM under key. NewGCMWithRandomNonce draws
// each nonce inside the module, the form that FIPS 140-3 approves; it
// prepends the 12-byte nonce to its output.
func newSealAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("hsm: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("hsm: %w", err)
	}
	return aead, nil
}

// KeyID returns the id of the current KEK epoch, written into every blob
// Seal seals.
func (s *Software) KeyID() uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.kekID
}

// GenerateKey returns a bits-bit key from crypto/rand, in the clear for the
// caller to seal and zero. bits must be a positive multiple of 8 up to
// MaxKeyBits.
func (s *Software) GenerateKey(bits int) ([]byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := checkKeyBits(bits); err != nil {
		return nil, err
	}
	key := make([]byte, bits/8)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("hsm: random: %w", err)
	}
	return key, nil
}

// checkKeyBits refuses a key length GenerateKey does not generate.
func checkKeyBits(bits int) error {
	if bits <= 0 || bits%8 != 0 || bits > MaxKeyBits {
		return fmt.Errorf("hsm: key length %d bits: want a positive multiple of 8 up to %d", bits, MaxKeyBits)
	}
	return nil
}

// Seal seals plaintext, at most MaxPlaintext bytes, for object id.
func (s *Software) Seal(id string, plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("hsm: plaintext of %d bytes exceeds %d", len(plaintext), MaxPlaintext)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.aead == nil {
		return nil, ErrClosed
	}
	ad := s.associatedData(id)
	out := make([]byte, SealHeaderSize, SealOverhead+len(plaintext))
	copy(out, s.header[:])
	return s.aead.Seal(out, nil, plaintext, ad), nil
}

// Unseal returns the plaintext of material sealed for object id under this
// provider's KEK, or ErrUnseal if it is malformed, altered, sealed for
// another object or under another KEK.
func (s *Software) Unseal(id string, sealed []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.aead == nil {
		return nil, ErrClosed
	}
	aead := s.epochFor(sealed)
	if aead == nil {
		return nil, ErrUnseal
	}
	header := [SealHeaderSize]byte(sealed[:SealHeaderSize])
	plaintext, err := aead.Open(nil, nil, sealed[SealHeaderSize:], sealAssociatedData(header, id))
	if err != nil {
		return nil, ErrUnseal
	}
	return plaintext, nil
}

// associatedData returns the current header | id.
func (s *Software) associatedData(id string) []byte {
	return sealAssociatedData(s.header, id)
}

// sealAssociatedData returns header | id.
func sealAssociatedData(header [SealHeaderSize]byte, id string) []byte {
	ad := make([]byte, 0, SealHeaderSize+len(id))
	ad = append(ad, header[:]...)
	return append(ad, id...)
}

// Close zeroes the provider's copy of the KEK and makes other methods return
// ErrClosed. It waits for calls in progress. The AES key schedule inside
// crypto/aes cannot be zeroed from outside and is left to the garbage
// collector. Close is idempotent.
func (s *Software) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	zeroKEKs(s.epochs)
	s.rng.zero()
	s.aead = nil
	s.older = nil
	return nil
}

// The Software provider computes every operation in Go (ops.go); IVs it
// chooses come from Random.

// Encrypt encrypts data with key as p describes; see Operations.
func (s *Software) Encrypt(key []byte, p CipherParams, data []byte) (CipherResult, error) {
	if err := s.checkOpen(); err != nil {
		return CipherResult{}, err
	}
	return encryptSoftware(key, p, data, s.Random)
}

// Decrypt decrypts data with key as p describes; see Operations.
func (s *Software) Decrypt(key []byte, p CipherParams, data []byte) (CipherResult, error) {
	if err := s.checkOpen(); err != nil {
		return CipherResult{}, err
	}
	return decryptSoftware(key, p, data)
}

// Sign signs data with a private key (PKCS#8 DER) as p describes.
func (s *Software) Sign(privateKey []byte, p SignParams, data []byte) ([]byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	return signSoftware(privateKey, p, data)
}

// Verify reports whether sig is a valid signature of data under a public
// key (PKIX DER).
func (s *Software) Verify(publicKey []byte, p SignParams, data, sig []byte) (bool, error) {
	if err := s.checkOpen(); err != nil {
		return false, err
	}
	return verifySoftware(publicKey, p, data, sig)
}

// MAC returns the HMAC or CMAC of data under key.
func (s *Software) MAC(key []byte, p MACParams, data []byte) ([]byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	return macSoftware(key, p, data)
}

// GenerateKeyPair generates a key pair with crypto/rand and returns the
// private key (PKCS#8 DER), in the clear for the caller to seal and zero,
// and the public key (PKIX DER).
func (s *Software) GenerateKeyPair(spec KeyPairSpec) ([]byte, []byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, nil, err
	}
	return generateKeyPairSoftware(spec)
}

// DeriveKey derives key material from key in Go; see Operations.
func (s *Software) DeriveKey(key []byte, p DeriveParams) ([]byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	return DeriveWith(s, key, p)
}

// checkOpen returns ErrClosed after Close.
func (s *Software) checkOpen() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.aead == nil {
		return ErrClosed
	}
	return nil
}
