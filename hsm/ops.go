package hsm

import (
	"crypto"
	"errors"
)

// The cryptographic operations of the module. Handlers never call Go's
// crypto packages for key functions themselves: they pass the key, in the
// standard encoding below, and the request's parameters, and get bytes back.
//
// Keys are given in the clear for the duration of one call (the caller has
// unsealed them and zeroes them afterwards):
//
//	symmetric (AES, Triple DES, ChaCha20, HMAC)   the raw key bytes
//	private keys (RSA, EC, Ed25519)               PKCS#8 DER
//	public keys                                   PKIX (SubjectPublicKeyInfo) DER
//
// Errors: ErrBadParameters for parameters the operation does not support or
// that do not fit the key (the caller answers Invalid Field / Unsupported
// Cryptographic Parameters), ErrAuthentication for a failed AEAD tag or an
// unpadding failure (Cryptographic Failure), ErrMissingIV when a mode needs
// an IV the request lacks. No error ever carries key material or data.

// Accepted forms, beyond the above: private keys also in PKCS#1 (RSA) or
// SEC 1 (EC) DER, public keys also in PKCS#1 DER; EC keys on P-224, P-256,
// P-384, P-521 or secp256k1, a key on another curve being a *CurveError
// (keycodec.go); two-key Triple DES (16
// bytes). IVs: CBC and CTR one block (CTR's is the whole initial counter
// block); GCM any length from 1 to 128 bytes (12 chosen); ChaCha20 8 bytes
// (the original 64-bit nonce with counter 0, as KMIP's vectors), 12 bytes
// (RFC 8439 nonce, counter 0) or 16 bytes (32-bit little-endian counter,
// then the nonce), 12 chosen; ChaCha20-Poly1305 12 bytes. AEAD tags are 12
// to 16 bytes, a shorter Tag on Decrypt being checked as a truncation. ECB
// takes no IV and ignores one given. OAEP's hash defaults to SHA-1; PSS's
// MGF1 hash must equal its hash; ECDSA signatures are ASN.1 DER. Inputs are
// at most MaxOperationData bytes.

// Errors of the cryptographic operations.
var (
	ErrBadParameters  = errors.New("hsm: cryptographic parameters not supported for this key")
	ErrAuthentication = errors.New("hsm: authentication or padding check failed")
	ErrMissingIV      = errors.New("hsm: the mode needs an IV, counter or nonce")
)

// Cipher algorithms, block modes and paddings of CipherParams.
type (
	Algorithm string
	Mode      string
	Padding   string
)

const (
	AES              Algorithm = "AES"
	TripleDES        Algorithm = "3DES"
	ChaCha20         Algorithm = "ChaCha20"
	ChaCha20Poly1305 Algorithm = "ChaCha20-Poly1305"
	RSA              Algorithm = "RSA"
	ECDSA            Algorithm = "ECDSA"
	Ed25519          Algorithm = "Ed25519"
	HMAC             Algorithm = "HMAC"
	CMAC             Algorithm = "CMAC"

	ModeECB Mode = "ECB"
	ModeCBC Mode = "CBC"
	ModeCTR Mode = "CTR"
	ModeGCM Mode = "GCM"

	PaddingNone     Padding = "None"
	PaddingPKCS5    Padding = "PKCS5"
	PaddingOAEP     Padding = "OAEP"
	PaddingPKCS1v15 Padding = "PKCS1v15"
	PaddingPSS      Padding = "PSS"
)

// CipherParams selects an encryption scheme.
type CipherParams struct {
	Algorithm Algorithm
	Mode      Mode    // block ciphers
	Padding   Padding // None, PKCS5 (block ciphers); OAEP, PKCS1v15 (RSA)
	// IV is the IV, counter block or nonce; nil asks Encrypt to choose one
	// (returned in CipherResult.IV). Decrypt requires it where the mode
	// does.
	IV        []byte
	IVLength  int    // bytes of a chosen IV; 0 = the mode's usual length
	AAD       []byte // AEAD additional data
	Tag       []byte // AEAD tag to check (Decrypt)
	TagLength int    // AEAD tag bytes (Encrypt); 0 = 16
	// Hash is OAEP's hash and MGFHash its MGF1 hash (0 = Hash); Label is
	// OAEP's label (P Source).
	Hash, MGFHash crypto.Hash
	Label         []byte
}

// CipherResult is the output of Encrypt or Decrypt.
type CipherResult struct {
	Data []byte
	IV   []byte // the IV, counter or nonce Encrypt chose; nil when given
	Tag  []byte // AEAD tag (Encrypt)
}

// SignParams selects a signature scheme. Hash is the message digest
// (0 with Ed25519); Prehashed means the input is already the digest.
//
// Prehashed without Hash signs the input as given: RSA PKCS#1 v1.5 pads it
// without adding a DigestInfo (the input is the DigestInfo, or whatever the
// relying party expects, as with PKCS#11's CKM_RSA_PKCS), and ECDSA takes
// it as the digest (truncated to the group order's length). PSS cannot
// sign without knowing the hash.
type SignParams struct {
	Algorithm  Algorithm // RSA, ECDSA, Ed25519
	Padding    Padding   // PSS or PKCS1v15 (RSA)
	Hash       crypto.Hash
	MGFHash    crypto.Hash // PSS MGF1 hash; 0 = Hash
	SaltLength int         // PSS; 0 = the hash length
	Prehashed  bool
}

// MACParams selects a MAC: HMAC with Hash, or CMAC (AES).
type MACParams struct {
	Algorithm Algorithm
	Hash      crypto.Hash
}

// KeyPairSpec describes a key pair to generate: RSA with Bits, ECDSA on
// Curve ("P-256", "P-384", "P-521" or Secp256k1), or Ed25519.
type KeyPairSpec struct {
	Algorithm Algorithm
	Bits      int
	Curve     string
}

// Operations are the cryptographic operations of a module. Implementations
// are safe for concurrent use.
type Operations interface {
	Encrypt(key []byte, p CipherParams, data []byte) (CipherResult, error)
	Decrypt(key []byte, p CipherParams, data []byte) (CipherResult, error)
	Sign(privateKey []byte, p SignParams, data []byte) ([]byte, error)
	// Verify reports whether sig is a valid signature of data; an error
	// means the verification could not be attempted. Parameters of another
	// algorithm than the key's give false: no such signature is valid.
	Verify(publicKey []byte, p SignParams, data, sig []byte) (bool, error)
	MAC(key []byte, p MACParams, data []byte) ([]byte, error)
	// WrapKey wraps keyBytes (any key encoding) under the AES key
	// wrappingKey with AES Key Wrap, or AES Key Wrap with Padding when
	// p.Padding; ErrBadParameters for a wrapping key that is not AES or an
	// input the scheme cannot take.
	WrapKey(wrappingKey []byte, p WrapParams, keyBytes []byte) ([]byte, error)
	// UnwrapKey reverses WrapKey; ErrUnwrap when the integrity check fails.
	UnwrapKey(wrappingKey []byte, p WrapParams, wrapped []byte) ([]byte, error)
	// GenerateKeyPair generates a pair with the module's generator and
	// returns the private key in PKCS#8 DER, in the clear for one call (the
	// caller seals it through Seal and zeroes it), and the public key in
	// PKIX DER. A spec the module does not generate is ErrBadParameters; no
	// key is returned with an error.
	GenerateKeyPair(spec KeyPairSpec) (privateKey, publicKey []byte, err error)
	// DeriveKey derives p.Length bytes from key as p describes (DeriveWith,
	// ops_derive.go) and returns them in the clear for one call: the caller
	// seals them (through Seal, with the rest of the object) and zeroes
	// them. key is a symmetric key or secret (raw bytes), or for ECDH a
	// private key.
	DeriveKey(key []byte, p DeriveParams) ([]byte, error)
}

// Hash returns the digest of data with h. It is a pure function, not a key
// function, and lives here so that all of the server's cryptography does.
func Hash(h crypto.Hash, data []byte) ([]byte, error) {
	if !h.Available() {
		return nil, ErrBadParameters
	}
	w := h.New()
	w.Write(data)
	return w.Sum(nil), nil
}

// encryptSoftware is Encrypt computed in Go; random chooses IVs.
func encryptSoftware(key []byte, p CipherParams, data []byte, random randomFunc) (CipherResult, error) {
	if p.Algorithm == RSA {
		return encryptRSA(key, p, data)
	}
	return encryptSymmetric(key, p, data, random)
}

// decryptSoftware is Decrypt computed in Go.
func decryptSoftware(key []byte, p CipherParams, data []byte) (CipherResult, error) {
	if p.Algorithm == RSA {
		return decryptRSA(key, p, data)
	}
	return decryptSymmetric(key, p, data)
}
