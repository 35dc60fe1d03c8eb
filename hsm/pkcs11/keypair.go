//go:build cgo

package pkcs11

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/miekg/pkcs11"

	"github.com/kmipd/kmipd/hsm"
)

// PKCS#11 constants absent from github.com/miekg/pkcs11 v1.1.2.
const (
	ckmECEdwardsKeyPairGen = 0x1055
	ckkECEdwards           = 0x40
)

// curveParams are the CKA_EC_PARAMS (DER OID) of the curves GenerateKeyPair
// supports (those of hsm.KeyPairSpec). SoftHSM2 with OpenSSL generates on any
// named curve OpenSSL knows, secp256k1 among them.
var curveParams = map[string][]byte{
	"P-256":       {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07},
	"P-384":       {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22},
	"P-521":       {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23},
	hsm.Secp256k1: {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a},
}

// curves are the curves of curveParams, by the same names.
var curves = map[string]elliptic.Curve{
	"P-256": elliptic.P256(),
	"P-384": elliptic.P384(),
	"P-521": elliptic.P521(),
}

// ed25519Params is CKA_EC_PARAMS of Ed25519: the OID id-Ed25519 (RFC 8410).
var ed25519Params = []byte{0x06, 0x03, 0x2b, 0x65, 0x70}

// generateKeyPairInToken generates a key pair with C_GenerateKeyPair as
// session objects, reads its components with C_GetAttributeValue (the
// private key is made non-sensitive and extractable for that alone),
// destroys both objects, and returns the pair as a Go key.
func (p *Provider) generateKeyPairInToken(spec hsm.KeyPairSpec) (crypto.Signer, error) {
	var mech uint
	pub := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
	}
	priv := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
	}
	switch spec.Algorithm {
	case hsm.RSA:
		mech = pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN
		pub = append(pub,
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, spec.Bits),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}))
	case hsm.ECDSA:
		mech = pkcs11.CKM_EC_KEY_PAIR_GEN
		pub = append(pub, pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, curveParams[spec.Curve]))
	case hsm.Ed25519:
		mech = ckmECEdwardsKeyPairGen
		pub = append(pub, pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, ed25519Params))
	}
	var key crypto.Signer
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		pubH, privH, err := p.mod.ctx.GenerateKeyPair(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, pub, priv)
		if err != nil {
			return fmt.Errorf("hsm: pkcs11: generate %s key pair: %w", spec.Algorithm, err)
		}
		defer p.mod.ctx.DestroyObject(s, pubH)
		defer p.mod.ctx.DestroyObject(s, privH)
		switch spec.Algorithm {
		case hsm.RSA:
			key, err = p.readRSAKey(s, privH)
		case hsm.ECDSA:
			key, err = p.readECKey(s, pubH, privH, spec.Curve)
		case hsm.Ed25519:
			key, err = p.readEd25519Key(s, pubH, privH)
		}
		return err
	})
	return key, err
}

// readRSAKey reads the components of an RSA private key object.
func (p *Provider) readRSAKey(s pkcs11.SessionHandle, h pkcs11.ObjectHandle) (*rsa.PrivateKey, error) {
	attrs, err := p.mod.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, nil),
	})
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: read generated RSA key: %w", err)
	}
	v := make([]*big.Int, len(attrs))
	for i, a := range attrs {
		v[i] = new(big.Int).SetBytes(a.Value)
		clear(a.Value)
	}
	if !v[1].IsInt64() || v[1].Int64() > 1<<31-1 {
		return nil, fmt.Errorf("hsm: pkcs11: generated RSA key has an unusable public exponent")
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: v[0], E: int(v[1].Int64())},
		D:         v[2],
		Primes:    []*big.Int{v[3], v[4]},
	}
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: generated RSA key is inconsistent")
	}
	k.Precompute()
	return k, nil
}

// readECKey reads an EC key pair's private scalar and public point, and
// checks that they match.
func (p *Provider) readECKey(s pkcs11.SessionHandle, pubH, privH pkcs11.ObjectHandle, curve string) (crypto.Signer, error) {
	scalar, point, err := p.readECValues(s, pubH, privH)
	if err != nil {
		return nil, err
	}
	defer clear(scalar)
	if curve == hsm.Secp256k1 {
		return secp256k1Key(scalar, point)
	}
	c := curves[curve]
	// The token may drop the scalar's leading zero bytes; Go wants the
	// curve's full length.
	size := (c.Params().BitSize + 7) / 8
	if len(scalar) > size {
		return nil, fmt.Errorf("hsm: pkcs11: generated EC key is unusable")
	}
	padded := make([]byte, size)
	defer clear(padded)
	copy(padded[size-len(scalar):], scalar)
	k, err := ecdsa.ParseRawPrivateKey(c, padded)
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: generated EC key is unusable")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(c, point)
	if err != nil || !pub.Equal(k.Public()) {
		return nil, fmt.Errorf("hsm: pkcs11: generated EC public key does not match the private key")
	}
	return k, nil
}

// secp256k1Key returns the secp256k1 key of scalar, checking that point
// is its public key.
func secp256k1Key(scalar, point []byte) (*hsm.Secp256k1PrivateKey, error) {
	k, err := hsm.NewSecp256k1PrivateKey(scalar)
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: generated EC key is unusable")
	}
	pub, err := hsm.NewSecp256k1PublicKey(point)
	if err != nil || !pub.Equal(k.Public()) {
		k.Zero()
		return nil, fmt.Errorf("hsm: pkcs11: generated EC public key does not match the private key")
	}
	return k, nil
}

// readEd25519Key reads an Ed25519 key pair's seed and public key, and checks
// that they match.
func (p *Provider) readEd25519Key(s pkcs11.SessionHandle, pubH, privH pkcs11.ObjectHandle) (ed25519.PrivateKey, error) {
	seed, point, err := p.readECValues(s, pubH, privH)
	if err != nil {
		return nil, err
	}
	defer clear(seed)
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("hsm: pkcs11: generated Ed25519 key has a %d-byte seed", len(seed))
	}
	k := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(point, k.Public().(ed25519.PublicKey)) {
		clear(k)
		return nil, fmt.Errorf("hsm: pkcs11: generated Ed25519 public key does not match the private key")
	}
	return k, nil
}

// readECValues reads CKA_VALUE of a private key and CKA_EC_POINT of its
// public key, unwrapping the point's DER OCTET STRING when it has one.
func (p *Provider) readECValues(s pkcs11.SessionHandle, pubH, privH pkcs11.ObjectHandle) (value, point []byte, err error) {
	pa, err := p.mod.ctx.GetAttributeValue(s, pubH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, nil, fmt.Errorf("hsm: pkcs11: read generated public key: %w", err)
	}
	va, err := p.mod.ctx.GetAttributeValue(s, privH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
	if err != nil {
		return nil, nil, fmt.Errorf("hsm: pkcs11: read generated private key: %w", err)
	}
	point = pa[0].Value
	var inner []byte
	if rest, err := asn1.Unmarshal(point, &inner); err == nil && len(rest) == 0 {
		point = inner
	}
	return va[0].Value, point, nil
}
