package hsm

import (
	"crypto"
	"errors"
	"io"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// secp256k1 (SEC 2 version 2 section 2.4.1, the Recommended Curve
// SECP256K1 of KMIP), which Go's crypto lacks, computed with
// github.com/decred/dcrd/dcrec/secp256k1/v4. Its keys come in the same DER
// forms as Go's curves (keycodec.go): PKCS#8, SEC 1 and PKIX with the named
// curve OID 1.3.132.0.10.

// Secp256k1 is the KeyPairSpec curve name of secp256k1.
const Secp256k1 = "secp256k1"

// secp256k1Size is the length of a secp256k1 scalar or coordinate, bytes.
const secp256k1Size = 32

// Secp256k1PrivateKey is a private key on secp256k1. It is a crypto.Signer
// whose signatures are ECDSA in ASN.1 DER over a digest, with the
// deterministic nonce of RFC 6979 and the low S of BIP 62.
type Secp256k1PrivateKey struct {
	k *secp256k1.PrivateKey
}

// Secp256k1PublicKey is a public key on secp256k1.
type Secp256k1PublicKey struct {
	k *secp256k1.PublicKey
}

// errSecp256k1Key reports a scalar or point that is not a secp256k1 key.
var errSecp256k1Key = errors.New("hsm: not a valid secp256k1 key")

// NewSecp256k1PrivateKey returns the key of the big-endian scalar d, of at
// most 32 bytes (leading zero bytes may be dropped), in [1, n-1].
func NewSecp256k1PrivateKey(d []byte) (*Secp256k1PrivateKey, error) {
	if len(d) == 0 || len(d) > secp256k1Size {
		return nil, errSecp256k1Key
	}
	var s secp256k1.ModNScalar
	defer s.Zero()
	if overflow := s.SetByteSlice(d); overflow || s.IsZero() {
		return nil, errSecp256k1Key
	}
	return &Secp256k1PrivateKey{k: secp256k1.NewPrivateKey(&s)}, nil
}

// NewSecp256k1PublicKey returns the key of a SEC 1 encoded point
// (uncompressed, or compressed), which must be on the curve.
func NewSecp256k1PublicKey(point []byte) (*Secp256k1PublicKey, error) {
	k, err := secp256k1.ParsePubKey(point)
	if err != nil {
		return nil, errSecp256k1Key
	}
	return &Secp256k1PublicKey{k: k}, nil
}

// generateSecp256k1 draws a private key from crypto/rand.
func generateSecp256k1() (*Secp256k1PrivateKey, error) {
	k, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		return nil, err
	}
	return &Secp256k1PrivateKey{k: k}, nil
}

// Public returns the public key, a *Secp256k1PublicKey.
func (k *Secp256k1PrivateKey) Public() crypto.PublicKey {
	return &Secp256k1PublicKey{k: k.k.PubKey()}
}

// Sign signs digest with ECDSA and returns the ASN.1 DER signature. A
// digest longer than the group order is truncated to its leftmost 256
// bits (SEC 1 section 4.1.3 step 5). The nonce is derived as RFC 6979
// describes, so rand is not read; opts is not consulted.
func (k *Secp256k1PrivateKey) Sign(_ io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	if len(digest) == 0 {
		return nil, ErrBadParameters
	}
	return secpecdsa.Sign(k.k, digest[:min(len(digest), secp256k1Size)]).Serialize(), nil
}

// Bytes returns the scalar, 32 bytes big-endian; the caller zeroes it.
func (k *Secp256k1PrivateKey) Bytes() []byte {
	return k.k.Serialize()
}

// Zero clears the scalar. The key is unusable afterwards.
func (k *Secp256k1PrivateKey) Zero() {
	k.k.Zero()
}

// Bytes returns the point in the uncompressed form of SEC 1 section 2.3.3.
func (k *Secp256k1PublicKey) Bytes() []byte {
	return k.k.SerializeUncompressed()
}

// Equal reports whether x is the same secp256k1 public key.
func (k *Secp256k1PublicKey) Equal(x crypto.PublicKey) bool {
	o, ok := x.(*Secp256k1PublicKey)
	return ok && k.k.IsEqual(o.k)
}

// verifyASN1 reports whether sig, ECDSA in ASN.1 DER, is valid for digest
// (truncated as Sign does). A signature that does not parse is invalid.
func (k *Secp256k1PublicKey) verifyASN1(digest, sig []byte) bool {
	if len(digest) == 0 {
		return false
	}
	s, err := secpecdsa.ParseDERSignature(sig)
	if err != nil {
		return false
	}
	return s.Verify(digest[:min(len(digest), secp256k1Size)], k.k)
}

// ecdh returns the ECDH shared secret Z, the x-coordinate of the product
// (SEC 1 section 3.3.1), 32 bytes.
func (k *Secp256k1PrivateKey) ecdh(pub *Secp256k1PublicKey) []byte {
	return secp256k1.GenerateSharedSecret(k.k, pub.k)
}
