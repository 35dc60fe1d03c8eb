package hsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"encoding/binary"
	"errors"
)

// Key derivation (the KMIP Derive Key operation, KMIP 1.4 section 4.6 and
// 2.1 section 6.1.12): the functions the KMIP Derivation Methods name,
// computed on a module's own MAC and Encrypt (DeriveWith), so that a
// provider runs in its module what the module has.
//
// The output is the leftmost Length bytes of what the function produces;
// a function whose output is shorter (Hash, HMAC, Encrypt, ECDH) fails
// with ErrDerivedLength, as KMIP 1.4 section 4.6 asks ("If the specified
// length exceeds the output of the derivation method, then the server
// SHALL return an error").

// Limits of DeriveKey. Each bounds the work one request can ask for.
const (
	// MaxDerivedBytes is the most bytes one derivation returns: a key of
	// MaxKeyBits.
	MaxDerivedBytes = MaxKeyBits / 8

	// MaxPBKDF2Iterations is the most PRF iterations one PBKDF2
	// derivation runs: its Iteration Count times the blocks of its output
	// (RFC 8018 section 5.2: ceil(Length / hLen) blocks of c iterations
	// each). A million HMAC-SHA-256 iterations take about 0.15 s of one
	// core of the 2-core reference machine (HMAC-SHA-512: 0.45 s); the
	// 600,000 iterations OWASP advises for PBKDF2-HMAC-SHA-256 fit with a
	// 256-bit output.
	MaxPBKDF2Iterations = 1_000_000
)

// Errors of DeriveKey, besides ErrBadParameters and ErrMissingIV.
var (
	// ErrDerivedLength reports a Length the method cannot produce: more
	// than its output (Hash, HMAC, Encrypt, ECDH), or than MaxDerivedBytes.
	ErrDerivedLength = errors.New("hsm: the length asked for exceeds the output of the derivation method")

	// ErrDeriveWork reports a PBKDF2 derivation of more than
	// MaxPBKDF2Iterations iterations.
	ErrDeriveWork = errors.New("hsm: the derivation asks for more PBKDF2 iterations than the module runs")
)

// DeriveMethod is a key derivation function of DeriveKey.
type DeriveMethod string

// The derivation methods.
const (
	// DerivePBKDF2 is PBKDF2 (RFC 8018 section 5.2) with PRF HMAC-Hash,
	// the key as the password, Salt and Iterations.
	DerivePBKDF2 DeriveMethod = "PBKDF2"

	// DeriveHash is Hash(key).
	DeriveHash DeriveMethod = "Hash"

	// DeriveHMAC is HMAC-Hash(key, Data) (RFC 2104), MAC.Algorithm HMAC.
	DeriveHMAC DeriveMethod = "HMAC"

	// DeriveEncrypt is the encryption of Data under the key with Cipher,
	// whose IV must be given when its mode takes one (a derivation is
	// reproducible): ErrMissingIV otherwise.
	DeriveEncrypt DeriveMethod = "Encrypt"

	// DeriveCounter, DeriveFeedback and DeriveDoublePipeline are the KDFs
	// of NIST SP 800-108 (sections 5.1, 5.2 and 5.3 of its 2009 edition,
	// 4.1 to 4.3 of Rev. 1) with PRF MAC (HMAC-Hash or CMAC with an AES
	// key), Data as the Fixed Input Data, and the counter i as a 32-bit
	// big-endian integer from 1: before the Fixed Input Data in counter
	// mode, after the iteration variable in the other two (the CAVP
	// configurations CTRLOCATION=BEFORE_FIXED and AFTER_ITER, RLEN=32_BITS).
	// Feedback mode's K(0) is IV, which may be empty.
	DeriveCounter        DeriveMethod = "SP800-108-Counter"
	DeriveFeedback       DeriveMethod = "SP800-108-Feedback"
	DeriveDoublePipeline DeriveMethod = "SP800-108-DoublePipeline"

	// DeriveHKDF is HKDF (RFC 5869) with Hash, Salt and Data as the info.
	DeriveHKDF DeriveMethod = "HKDF"

	// DeriveECDH is the shared secret Z of Elliptic Curve Diffie-Hellman
	// (NIST SP 800-56A section 5.7.1.2, the x-coordinate of the shared
	// point) between the private key (PKCS#8 or SEC 1 DER) and PublicKey
	// (PKIX DER) on the same NIST curve.
	DeriveECDH DeriveMethod = "ECDH"
)

// DeriveParams selects a derivation and its inputs; the fields a method
// does not name must be zero.
type DeriveParams struct {
	Method DeriveMethod
	Length int // bytes to derive, 1 to MaxDerivedBytes

	Hash   crypto.Hash  // PBKDF2, Hash, HKDF
	MAC    MACParams    // HMAC; the PRF of the SP 800-108 KDFs
	Cipher CipherParams // Encrypt

	Data       []byte // derivation data: see each method
	Salt       []byte // PBKDF2, HKDF
	IV         []byte // SP 800-108 feedback mode's K(0)
	Iterations int    // PBKDF2, at least 1
	PublicKey  []byte // ECDH: the other party's public key
}

// macEncrypter is the part of a module a derivation runs on.
type macEncrypter interface {
	MAC(key []byte, p MACParams, data []byte) ([]byte, error)
	Encrypt(key []byte, p CipherParams, data []byte) (CipherResult, error)
}

// DeriveWith derives p.Length bytes from key as p describes, with the MAC
// and Encrypt of module m, and returns them in the clear for the caller to
// seal and zero. PBKDF2 and HKDF run in Go (crypto/pbkdf2, crypto/hkdf):
// thousands of HMACs through a module's interface would cost a round trip
// each. Errors: ErrBadParameters, ErrMissingIV, ErrDerivedLength,
// ErrDeriveWork and m's errors; never key material.
func DeriveWith(m macEncrypter, key []byte, p DeriveParams) ([]byte, error) {
	if p.Length <= 0 || p.Length > MaxDerivedBytes {
		return nil, ErrDerivedLength
	}
	if len(p.Data) > MaxOperationData {
		return nil, ErrBadParameters
	}
	switch p.Method {
	case DerivePBKDF2:
		return derivePBKDF2(key, p)
	case DeriveHKDF:
		if !hmacHash(p.Hash) || len(key) == 0 {
			return nil, ErrBadParameters
		}
		out, err := hkdf.Key(p.Hash.New, key, p.Salt, string(p.Data), p.Length)
		if err != nil { // FIPS 140-only mode refuses some parameters
			return nil, ErrBadParameters
		}
		return out, nil
	case DeriveHash:
		if p.Data != nil {
			return nil, ErrBadParameters
		}
		d, err := Hash(p.Hash, key)
		return leftmost(d, p.Length, err)
	case DeriveHMAC:
		if p.MAC.Algorithm != HMAC {
			return nil, ErrBadParameters
		}
		d, err := m.MAC(key, p.MAC, p.Data)
		return leftmost(d, p.Length, err)
	case DeriveEncrypt:
		return deriveEncrypt(m, key, p)
	case DeriveCounter, DeriveFeedback, DeriveDoublePipeline:
		return deriveSP800108(m, key, p)
	case DeriveECDH:
		z, err := ecdhSecret(key, p.PublicKey)
		defer clear(z)
		return leftmost(z, p.Length, err)
	}
	return nil, ErrBadParameters
}

// leftmost returns the first n bytes of out in a slice of their own, and
// zeroes out; ErrDerivedLength when out is shorter.
func leftmost(out []byte, n int, err error) ([]byte, error) {
	defer clear(out)
	if err != nil {
		return nil, err
	}
	if len(out) < n {
		return nil, ErrDerivedLength
	}
	return append([]byte(nil), out[:n]...), nil
}

// derivePBKDF2 runs PBKDF2-HMAC-Hash with key as the password.
func derivePBKDF2(key []byte, p DeriveParams) ([]byte, error) {
	if !hmacHash(p.Hash) || p.Iterations <= 0 || p.Salt == nil {
		return nil, ErrBadParameters
	}
	blocks := (p.Length + p.Hash.Size() - 1) / p.Hash.Size()
	if p.Iterations > MaxPBKDF2Iterations/blocks {
		return nil, ErrDeriveWork
	}
	// The password is a string in crypto/pbkdf2: this copy of the key
	// cannot be zeroed, and lives until the collector reclaims it.
	out, err := pbkdf2.Key(p.Hash.New, string(key), p.Salt, p.Iterations, p.Length)
	if err != nil { // FIPS 140-only mode refuses short salts and outputs
		return nil, ErrBadParameters
	}
	return out, nil
}

// deriveEncrypt encrypts p.Data under key; the ciphertext, without an AEAD
// tag, is the output.
func deriveEncrypt(m macEncrypter, key []byte, p DeriveParams) ([]byte, error) {
	if len(p.Cipher.IV) == 0 {
		n, err := ChosenIVLength(p.Cipher)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, ErrMissingIV
		}
	}
	r, err := m.Encrypt(key, p.Cipher, p.Data)
	return leftmost(r.Data, p.Length, err)
}

// deriveSP800108 runs the SP 800-108 KDF of p.Method (see DeriveCounter).
// SP 800-108 also bounds the output to 2^32-1 PRF blocks; MaxDerivedBytes
// is far below. Every intermediate value (the PRF inputs, the double
// pipeline's A(i)) is zeroed once used.
func deriveSP800108(m macEncrypter, key []byte, p DeriveParams) ([]byte, error) {
	if p.MAC.Algorithm != HMAC && p.MAC.Algorithm != CMAC {
		return nil, ErrBadParameters
	}
	var in []byte
	prf := func(parts ...[]byte) ([]byte, error) {
		in = in[:0]
		for _, b := range parts {
			in = append(in, b...)
		}
		defer clear(in)
		return m.MAC(key, p.MAC, in)
	}
	out := make([]byte, 0, p.Length+64) // room for the last block of any PRF: never reallocated, so zeroed whole
	var counter [4]byte
	var block []byte // K(i)
	a := p.Data      // double pipeline: A(i), A(0) = Fixed Input Data
	ownA := false    // a is A(1) or later, the PRF's output, not the caller's
	defer func() {
		if ownA {
			clear(a)
		}
	}()
	var err error
	for i := uint32(1); len(out) < p.Length; i++ {
		binary.BigEndian.PutUint32(counter[:], i)
		switch p.Method {
		case DeriveCounter:
			block, err = prf(counter[:], p.Data)
		case DeriveFeedback:
			prev := p.IV // K(0)
			if i > 1 {
				prev = out[len(out)-len(block):]
			}
			block, err = prf(prev, counter[:], p.Data)
		case DeriveDoublePipeline:
			var next []byte
			if next, err = prf(a); err == nil {
				if ownA {
					clear(a) // A(i-1)
				}
				a, ownA = next, true
				block, err = prf(a, counter[:], p.Data)
			}
		}
		if err == nil && len(block) == 0 {
			err = ErrBadParameters
		}
		if err != nil {
			clear(out)
			return nil, err
		}
		out = append(out, block...)
		clear(block)
	}
	return leftmost(out, p.Length, nil)
}

// ecdhSecret returns the ECDH shared secret of a private key (PKCS#8 or
// SEC 1 DER) and a public key (PKIX DER) of the same curve: a NIST curve or
// secp256k1.
func ecdhSecret(privateKey, publicKey []byte) ([]byte, error) {
	signer, err := parsePrivateKey(privateKey)
	if err != nil {
		return nil, err
	}
	pub, err := parsePublicKey(publicKey)
	if err != nil {
		return nil, err
	}
	if kp, ok := signer.(*Secp256k1PrivateKey); ok {
		kq, ok := pub.(*Secp256k1PublicKey)
		if !ok {
			return nil, ErrBadParameters
		}
		return kp.ecdh(kq), nil
	}
	ep, ok1 := signer.(*ecdsa.PrivateKey)
	eq, ok2 := pub.(*ecdsa.PublicKey)
	if !ok1 || !ok2 {
		return nil, ErrBadParameters
	}
	dp, err := ep.ECDH()
	if err != nil {
		return nil, ErrBadParameters
	}
	dq, err := eq.ECDH()
	if err != nil || dp.Curve() != dq.Curve() {
		return nil, ErrBadParameters
	}
	return dp.ECDH(dq)
}
