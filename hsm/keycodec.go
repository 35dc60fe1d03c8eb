package hsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
)

// The DER forms of asymmetric keys: those of crypto/x509, extended to the
// curves Go's crypto lacks (secp256k1.go). These are the module's parsers
// and encoders, which the server's key format conversions use too, so that
// a key one accepts the other does.
//
// A key on a named curve the module does not support is refused with a
// *CurveError naming the curve, never later, at use, with another error.

// CurveError reports a key on an elliptic curve the module does not
// support.
type CurveError struct {
	OID asn1.ObjectIdentifier // the named curve; nil for explicit parameters
}

func (e *CurveError) Error() string {
	if e.OID == nil {
		return "hsm: EC keys with explicit curve parameters are not supported; use a named curve"
	}
	if name, ok := curveNames[e.OID.String()]; ok {
		return fmt.Sprintf("hsm: elliptic curve %s (OID %s) is not supported", name, e.OID)
	}
	return fmt.Sprintf("hsm: elliptic curve OID %s is not supported", e.OID)
}

// Object identifiers of EC keys (RFC 5480 section 2.1.1, SEC 2 appendix A).
var (
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1     = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	secp256k1DERName = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a} // the OID above, DER
)

// curveNames names the named curves a CurveError may report, by OID (SEC 2,
// RFC 5639 for Brainpool, X9.62).
var curveNames = map[string]string{
	"1.2.840.10045.3.1.1":   "P-192 (prime192v1)",
	"1.3.132.0.1":           "K-163 (sect163k1)",
	"1.3.132.0.15":          "B-163 (sect163r2)",
	"1.3.132.0.26":          "K-233 (sect233k1)",
	"1.3.132.0.27":          "B-233 (sect233r1)",
	"1.3.132.0.16":          "K-283 (sect283k1)",
	"1.3.132.0.17":          "B-283 (sect283r1)",
	"1.3.132.0.36":          "K-409 (sect409k1)",
	"1.3.132.0.37":          "B-409 (sect409r1)",
	"1.3.132.0.38":          "K-571 (sect571k1)",
	"1.3.132.0.39":          "B-571 (sect571r1)",
	"1.3.132.0.9":           "secp160k1",
	"1.3.132.0.8":           "secp160r1",
	"1.3.132.0.31":          "secp192k1",
	"1.3.132.0.32":          "secp224k1",
	"1.3.36.3.3.2.8.1.1.1":  "brainpoolP160r1",
	"1.3.36.3.3.2.8.1.1.3":  "brainpoolP192r1",
	"1.3.36.3.3.2.8.1.1.5":  "brainpoolP224r1",
	"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.9":  "brainpoolP320r1",
	"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
}

// goCurves are the named curves crypto/x509 parses, by OID.
var goCurves = map[string]bool{
	"1.3.132.0.33":        true, // P-224
	"1.2.840.10045.3.1.7": true, // P-256
	"1.3.132.0.34":        true, // P-384
	"1.3.132.0.35":        true, // P-521
}

// DER structures of the keys, after RFC 5208, RFC 5915 and RFC 5280.
type (
	algorithmIdentifier struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	pkcs8Key struct {
		Version    int
		Algorithm  algorithmIdentifier
		PrivateKey []byte
	}
	sec1Key struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
		PublicKey  asn1.BitString        `asn1:"optional,explicit,tag:1"`
	}
	spki struct {
		Algorithm algorithmIdentifier
		PublicKey asn1.BitString
	}
)

// ErrKeyType reports a well-formed private key that cannot sign (X25519,
// X448), which ParsePKCS8PrivateKey does not return.
var ErrKeyType = errors.New("hsm: the private key is not a signing key")

// ParsePKCS8PrivateKey parses a PKCS#8 private key: RSA, EC on P-224,
// P-256, P-384, P-521 or secp256k1, or Ed25519.
func ParsePKCS8PrivateKey(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, ErrKeyType
	}
	var p pkcs8Key
	if rest, aerr := asn1.Unmarshal(der, &p); aerr != nil || len(rest) != 0 || !p.Algorithm.Algorithm.Equal(oidECPublicKey) {
		return nil, err
	}
	curve, cerr := namedCurve(p.Algorithm.Parameters.FullBytes)
	if cerr != nil {
		return nil, cerr
	}
	return parseSEC1(p.PrivateKey, curve, err)
}

// ParseECPrivateKey parses a SEC 1 (RFC 5915) EC private key; see
// ParsePKCS8PrivateKey for the curves.
func ParseECPrivateKey(der []byte) (crypto.Signer, error) {
	k, err := x509.ParseECPrivateKey(der)
	if err == nil {
		return k, nil
	}
	return parseSEC1(der, nil, err)
}

// parseSEC1 parses an ECPrivateKey on curve, or on the curve it names when
// curve is nil, for a key that crypto/x509 refused with goErr.
func parseSEC1(der []byte, curve asn1.ObjectIdentifier, goErr error) (crypto.Signer, error) {
	var s sec1Key
	if rest, err := asn1.Unmarshal(der, &s); err != nil || len(rest) != 0 || s.Version != 1 {
		return nil, goErr
	}
	defer clear(s.PrivateKey)
	if curve == nil {
		if s.Curve == nil {
			return nil, &CurveError{}
		}
		curve = s.Curve
	}
	if !curve.Equal(oidSecp256k1) {
		if goCurves[curve.String()] {
			return nil, goErr
		}
		return nil, &CurveError{OID: curve}
	}
	k, err := NewSecp256k1PrivateKey(s.PrivateKey)
	if err != nil {
		return nil, err
	}
	if len(s.PublicKey.Bytes) > 0 {
		pub, err := NewSecp256k1PublicKey(s.PublicKey.Bytes)
		if err != nil || !pub.Equal(k.Public()) {
			k.Zero()
			return nil, errors.New("hsm: the EC private key's public key does not match it")
		}
	}
	return k, nil
}

// namedCurve returns the OID of the namedCurve ECParameters der.
func namedCurve(der []byte) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(der, &oid); err != nil || len(rest) != 0 {
		return nil, &CurveError{} // specifiedCurve or implicitCurve
	}
	return oid, nil
}

// ParsePKIXPublicKey parses a PKIX SubjectPublicKeyInfo: RSA, DSA, EC (see
// ParsePKCS8PrivateKey for the curves), Ed25519 or X25519.
func ParsePKIXPublicKey(der []byte) (crypto.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err == nil {
		return k, nil
	}
	var p spki
	if rest, aerr := asn1.Unmarshal(der, &p); aerr != nil || len(rest) != 0 || !p.Algorithm.Algorithm.Equal(oidECPublicKey) {
		return nil, err
	}
	curve, cerr := namedCurve(p.Algorithm.Parameters.FullBytes)
	if cerr != nil {
		return nil, cerr
	}
	switch {
	case curve.Equal(oidSecp256k1):
		return NewSecp256k1PublicKey(p.PublicKey.RightAlign())
	case goCurves[curve.String()]:
		return nil, err
	}
	return nil, &CurveError{OID: curve}
}

// MarshalPKCS8PrivateKey returns k in PKCS#8 DER.
func MarshalPKCS8PrivateKey(k crypto.Signer) ([]byte, error) {
	sk, ok := k.(*Secp256k1PrivateKey)
	if !ok {
		return x509.MarshalPKCS8PrivateKey(k)
	}
	inner, err := marshalSEC1(sk, false)
	if err != nil {
		return nil, err
	}
	defer clear(inner)
	return asn1.Marshal(pkcs8Key{
		Algorithm: algorithmIdentifier{
			Algorithm:  oidECPublicKey,
			Parameters: asn1.RawValue{FullBytes: secp256k1DERName},
		},
		PrivateKey: inner,
	})
}

// MarshalECPrivateKey returns an EC private key in SEC 1 DER, with its
// curve and public key.
func MarshalECPrivateKey(k crypto.Signer) ([]byte, error) {
	if sk, ok := k.(*Secp256k1PrivateKey); ok {
		return marshalSEC1(sk, true)
	}
	if ek, ok := k.(*ecdsa.PrivateKey); ok {
		return x509.MarshalECPrivateKey(ek)
	}
	return nil, errors.New("hsm: not an EC private key")
}

// marshalSEC1 returns a secp256k1 key as an ECPrivateKey, naming the curve
// when withCurve (PKCS#8 names it in its algorithm).
func marshalSEC1(k *Secp256k1PrivateKey, withCurve bool) ([]byte, error) {
	d := k.Bytes()
	defer clear(d)
	pub := k.Public().(*Secp256k1PublicKey).Bytes()
	s := sec1Key{Version: 1, PrivateKey: d, PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}}
	if withCurve {
		s.Curve = oidSecp256k1
	}
	return asn1.Marshal(s)
}

// MarshalPKIXPublicKey returns k as a PKIX SubjectPublicKeyInfo in DER.
func MarshalPKIXPublicKey(k crypto.PublicKey) ([]byte, error) {
	sk, ok := k.(*Secp256k1PublicKey)
	if !ok {
		return x509.MarshalPKIXPublicKey(k)
	}
	point := sk.Bytes()
	return asn1.Marshal(spki{
		Algorithm: algorithmIdentifier{
			Algorithm:  oidECPublicKey,
			Parameters: asn1.RawValue{FullBytes: secp256k1DERName},
		},
		PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
}
