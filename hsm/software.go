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

// Sealed material from the software provider is
//
//	format version (1 byte) | KEK id (4 bytes, big endian) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)
//
// AES-256-GCM with a random 96-bit nonce; the associated data is the version
// byte, the KEK id and the object's Unique Identifier, so neither the header
// nor the binding to the object can be changed.
const (
	sealVersion    = 1
	sealHeaderSize = 1 + 4
	gcmNonceSize   = 12
	gcmTagSize     = 16
	sealOverhead   = sealHeaderSize + gcmNonceSize + gcmTagSize
)

// ErrClosed is returned by a provider's methods after Close.
var ErrClosed = errors.New("hsm: module closed")

// Software is a Crypto provider on Go's standard cryptography: AES-256-GCM
// sealing under a key-encryption key (KEK) kept in a file, and crypto/rand
// as random bit generator. It uses only FIPS 140-3 approved algorithms and
// works in Go's FIPS 140-3 mode (GODEBUG=fips140=on or only).
//
// A Software is safe for concurrent use.
type Software struct {
	mu     sync.RWMutex
	kekID  uint32
	kek    []byte      // zeroed by Close
	aead   cipher.AEAD // nil after Close
	header [sealHeaderSize]byte

	// The KEK epochs (epochs.go): the current one above seals; every epoch
	// in epochs, oldest first and the current one last, unseals.
	path   string
	epochs []kek
	older  map[uint32]cipher.AEAD

	// afterRotate, if set, is called by Rotate (Binding.followRotation).
	afterRotate func(newID uint32) error
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

// GenerateKey generates a bits-bit key from crypto/rand and returns it sealed
// for object id. bits must be a positive multiple of 8 up to MaxKeyBits.
func (s *Software) GenerateKey(id string, bits int) ([]byte, error) {
	if err := checkKeyBits(bits); err != nil {
		return nil, err
	}
	key := make([]byte, bits/8)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("hsm: random: %w", err)
	}
	return s.Seal(id, key)
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
	out := make([]byte, sealHeaderSize, sealOverhead+len(plaintext))
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
	header := [sealHeaderSize]byte(sealed[:sealHeaderSize])
	plaintext, err := aead.Open(nil, nil, sealed[sealHeaderSize:], sealAssociatedData(header, id))
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
func sealAssociatedData(header [sealHeaderSize]byte, id string) []byte {
	ad := make([]byte, 0, sealHeaderSize+len(id))
	ad = append(ad, header[:]...)
	return append(ad, id...)
}

// Random returns n bytes, 1 <= n <= MaxRandom, from crypto/rand.
func (s *Software) Random(n int) ([]byte, error) {
	if n <= 0 || n > MaxRandom {
		return nil, fmt.Errorf("hsm: random length %d: want 1 to %d bytes", n, MaxRandom)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.aead == nil {
		return nil, ErrClosed
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("hsm: random: %w", err)
	}
	return b, nil
}

// Close zeroes the provider's copy of the KEK and makes other methods return
// ErrClosed. It waits for calls in progress. The AES key schedule inside
// crypto/aes cannot be zeroed from outside and is left to the garbage
// collector. Close is idempotent.
func (s *Software) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	zeroKEKs(s.epochs)
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
// private key (PKCS#8 DER) sealed for privateID and the public key (PKIX
// DER). The plaintext private key is zeroed before return.
func (s *Software) GenerateKeyPair(privateID string, spec KeyPairSpec) ([]byte, []byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, nil, err
	}
	priv, pub, err := generateKeyPairSoftware(spec)
	if err != nil {
		return nil, nil, err
	}
	defer clear(priv)
	sealed, err := s.Seal(privateID, priv)
	if err != nil {
		return nil, nil, err
	}
	return sealed, pub, nil
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
