package handlers

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"math/big"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// Asymmetric key formats. The server keeps RSA keys as PKCS#1 (the format
// the conformance case AKLC-M-1 expects of a generated pair), EC and Ed25519
// private keys as PKCS#8 and their public keys as X.509 SubjectPublicKeyInfo.
// The module takes private keys as PKCS#8 and public keys as PKIX DER; the
// functions below convert between those, PKCS#1 and the Transparent RSA and
// EC formats. Parsed keys cannot be zeroed, DER encodings are by the caller.

// errFormat is the error for key material the server cannot convert.
func errFormat(msg string) error {
	return kmip.Errorf(kmip.ReasonKeyFormatTypeNotSupported, "%s", msg)
}

// curves maps Recommended Curves to Go's curves.
var curves = map[uint32]elliptic.Curve{
	uint32(kmip14.RecommendedCurveP_224): elliptic.P224(),
	uint32(kmip14.RecommendedCurveP_256): elliptic.P256(),
	uint32(kmip14.RecommendedCurveP_384): elliptic.P384(),
	uint32(kmip14.RecommendedCurveP_521): elliptic.P521(),
}

// curveEnum returns the Recommended Curve of a Go curve.
func curveEnum(c elliptic.Curve) uint32 {
	for e, cc := range curves {
		if cc == c {
			return e
		}
	}
	return 0
}

// parsePrivate parses a Private Key block in any supported format.
func parsePrivate(kb *kmip.KeyBlock) (crypto.Signer, error) {
	switch kb.FormatType {
	case kmip14.KeyFormatTypePKCS_1:
		return x509.ParsePKCS1PrivateKey(kb.Material)
	case kmip14.KeyFormatTypePKCS_8:
		k, err := hsm.ParsePKCS8PrivateKey(kb.Material)
		if !errors.Is(err, hsm.ErrKeyType) {
			return k, err
		}
	case kmip14.KeyFormatTypeECPrivateKey:
		return hsm.ParseECPrivateKey(kb.Material)
	case kmip14.KeyFormatTypeTransparentRSAPrivateKey:
		t := kb.Transparent
		if t == nil || t.Modulus == nil || t.PrivateExponent == nil || t.PublicExponent == nil || t.P == nil || t.Q == nil || !t.PublicExponent.IsInt64() {
			return nil, errFormat("incomplete Transparent RSA Private Key")
		}
		k := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: t.Modulus, E: int(t.PublicExponent.Int64())},
			D:         t.PrivateExponent,
			Primes:    []*big.Int{t.P, t.Q},
		}
		if err := k.Validate(); err != nil {
			return nil, err
		}
		k.Precompute()
		return k, nil
	case kmip14.KeyFormatTypeTransparentECPrivateKey, kmip14.KeyFormatTypeTransparentECDSAPrivateKey:
		t := kb.Transparent
		if t != nil && t.D != nil && t.RecommendedCurve == uint32(kmip14.RecommendedCurveSECP256K1) {
			d := t.D.Bytes()
			defer clear(d)
			return hsm.NewSecp256k1PrivateKey(d)
		}
		if t == nil || t.D == nil {
			return nil, errFormat("incomplete Transparent EC Private Key")
		}
		if curves[t.RecommendedCurve] == nil {
			return nil, unsupportedCurve(t.RecommendedCurve)
		}
		c := curves[t.RecommendedCurve]
		return ecdsa.ParseRawPrivateKey(c, t.D.FillBytes(make([]byte, (c.Params().BitSize+7)/8)))
	}
	return nil, errFormat("unsupported private key format")
}

// parsePublic parses a Public Key block in any supported format.
func parsePublic(kb *kmip.KeyBlock) (crypto.PublicKey, error) {
	switch kb.FormatType {
	case kmip14.KeyFormatTypePKCS_1:
		return x509.ParsePKCS1PublicKey(kb.Material)
	case kmip14.KeyFormatTypeX_509:
		return hsm.ParsePKIXPublicKey(kb.Material)
	case kmip14.KeyFormatTypeTransparentRSAPublicKey:
		t := kb.Transparent
		if t == nil || t.Modulus == nil || t.PublicExponent == nil || !t.PublicExponent.IsInt64() {
			return nil, errFormat("incomplete Transparent RSA Public Key")
		}
		return &rsa.PublicKey{N: t.Modulus, E: int(t.PublicExponent.Int64())}, nil
	case kmip14.KeyFormatTypeTransparentECPublicKey, kmip14.KeyFormatTypeTransparentECDSAPublicKey:
		t := kb.Transparent
		if t != nil && t.RecommendedCurve == uint32(kmip14.RecommendedCurveSECP256K1) {
			return hsm.NewSecp256k1PublicKey(t.QString)
		}
		if t == nil {
			return nil, errFormat("incomplete Transparent EC Public Key")
		}
		if curves[t.RecommendedCurve] == nil {
			return nil, unsupportedCurve(t.RecommendedCurve)
		}
		return ecdsa.ParseUncompressedPublicKey(curves[t.RecommendedCurve], t.QString)
	}
	return nil, errFormat("unsupported public key format")
}

// privateKeyPKCS8 returns a Private Key object's key as PKCS#8 DER, for the
// module. The caller zeroes the result.
func privateKeyPKCS8(obj *kmip.Object) ([]byte, error) {
	kb := obj.KeyBlock
	if kb == nil {
		return nil, errFormat("no key block")
	}
	if kb.FormatType == kmip14.KeyFormatTypePKCS_8 {
		return append([]byte(nil), kb.Material...), nil
	}
	k, err := parsePrivate(kb)
	if err != nil {
		return nil, err
	}
	return hsm.MarshalPKCS8PrivateKey(k)
}

// publicKeyPKIX returns a Public Key object's key as PKIX DER, for the
// module.
func publicKeyPKIX(obj *kmip.Object) ([]byte, error) {
	kb := obj.KeyBlock
	if kb == nil {
		return nil, errFormat("no key block")
	}
	if kb.FormatType == kmip14.KeyFormatTypeX_509 {
		return kb.Material, nil
	}
	k, err := parsePublic(kb)
	if err != nil {
		return nil, err
	}
	return hsm.MarshalPKIXPublicKey(k)
}

// storedPrivate returns the key block the server keeps for a generated
// private key given as PKCS#8: PKCS#1 for RSA, PKCS#8 otherwise.
func storedPrivate(pkcs8 []byte, alg kmip.CryptographicAlgorithm, bits int32) (*kmip.KeyBlock, error) {
	kb := &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_8, Material: append([]byte(nil), pkcs8...), Algorithm: alg, Length: bits}
	if alg == kmip14.CryptographicAlgorithmRSA {
		if err := convertPrivate(kb, kmip14.KeyFormatTypePKCS_1); err != nil {
			return nil, err
		}
	}
	return kb, nil
}

// storedPublic returns the key block the server keeps for a generated
// public key given as PKIX: PKCS#1 for RSA, X.509 otherwise.
func storedPublic(pkix []byte, alg kmip.CryptographicAlgorithm, bits int32) (*kmip.KeyBlock, error) {
	kb := &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeX_509, Material: append([]byte(nil), pkix...), Algorithm: alg, Length: bits}
	if alg == kmip14.CryptographicAlgorithmRSA {
		if err := convertPublic(kb, kmip14.KeyFormatTypePKCS_1); err != nil {
			return nil, err
		}
	}
	return kb, nil
}

// convertPrivate converts a private key block to format want in place,
// zeroing the old material.
func convertPrivate(kb *kmip.KeyBlock, want kmip.KeyFormatType) error {
	k, err := parsePrivate(kb)
	if err != nil {
		return err
	}
	var material []byte
	var transparent *kmip.TransparentKey
	switch want {
	case kmip14.KeyFormatTypePKCS_8:
		material, err = hsm.MarshalPKCS8PrivateKey(k)
	case kmip14.KeyFormatTypePKCS_1:
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return errFormat("PKCS#1 holds RSA keys only")
		}
		material = x509.MarshalPKCS1PrivateKey(rk)
	case kmip14.KeyFormatTypeECPrivateKey:
		if material, err = hsm.MarshalECPrivateKey(k); err != nil {
			return errFormat("not an EC key")
		}
	case kmip14.KeyFormatTypeTransparentRSAPrivateKey:
		rk, ok := k.(*rsa.PrivateKey)
		if !ok || len(rk.Primes) != 2 {
			return errFormat("not a two-prime RSA key")
		}
		transparent = &kmip.TransparentKey{
			Modulus: rk.N, PublicExponent: big.NewInt(int64(rk.E)), PrivateExponent: rk.D,
			P: rk.Primes[0], Q: rk.Primes[1],
			PrimeExponentP: rk.Precomputed.Dp, PrimeExponentQ: rk.Precomputed.Dq, CRTCoefficient: rk.Precomputed.Qinv,
		}
	case kmip14.KeyFormatTypeTransparentECPrivateKey, kmip14.KeyFormatTypeTransparentECDSAPrivateKey:
		if sk, ok := k.(*hsm.Secp256k1PrivateKey); ok {
			raw := sk.Bytes()
			transparent = &kmip.TransparentKey{RecommendedCurve: uint32(kmip14.RecommendedCurveSECP256K1), D: new(big.Int).SetBytes(raw)}
			clear(raw)
			break
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok || curveEnum(ek.Curve) == 0 {
			return errFormat("not an EC key on a Recommended Curve")
		}
		raw, err := ek.Bytes()
		if err != nil {
			return err
		}
		transparent = &kmip.TransparentKey{RecommendedCurve: curveEnum(ek.Curve), D: new(big.Int).SetBytes(raw)}
		clear(raw)
	default:
		return errFormat("cannot return the private key in this format")
	}
	if err != nil {
		return err
	}
	clear(kb.Material)
	kb.Material, kb.Transparent, kb.FormatType = material, transparent, want
	return nil
}

// convertPublic converts a public key block to format want in place.
func convertPublic(kb *kmip.KeyBlock, want kmip.KeyFormatType) error {
	k, err := parsePublic(kb)
	if err != nil {
		return err
	}
	var material []byte
	var transparent *kmip.TransparentKey
	switch want {
	case kmip14.KeyFormatTypeX_509:
		material, err = hsm.MarshalPKIXPublicKey(k)
	case kmip14.KeyFormatTypePKCS_1:
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return errFormat("PKCS#1 holds RSA keys only")
		}
		material = x509.MarshalPKCS1PublicKey(rk)
	case kmip14.KeyFormatTypeTransparentRSAPublicKey:
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return errFormat("not an RSA key")
		}
		transparent = &kmip.TransparentKey{Modulus: rk.N, PublicExponent: big.NewInt(int64(rk.E))}
	case kmip14.KeyFormatTypeTransparentECPublicKey, kmip14.KeyFormatTypeTransparentECDSAPublicKey:
		if sk, ok := k.(*hsm.Secp256k1PublicKey); ok {
			transparent = &kmip.TransparentKey{RecommendedCurve: uint32(kmip14.RecommendedCurveSECP256K1), QString: sk.Bytes()}
			break
		}
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok || curveEnum(ek.Curve) == 0 {
			return errFormat("not an EC key on a Recommended Curve")
		}
		q, err := ek.Bytes()
		if err != nil {
			return err
		}
		transparent = &kmip.TransparentKey{RecommendedCurve: curveEnum(ek.Curve), QString: q}
	case kmip14.KeyFormatTypeRaw:
		switch pk := k.(type) {
		case ed25519.PublicKey:
			material = append([]byte(nil), pk...)
		case *ecdsa.PublicKey:
			material, err = pk.Bytes()
		case *hsm.Secp256k1PublicKey:
			material = pk.Bytes()
		case *ecdh.PublicKey:
			material = pk.Bytes()
		default:
			return errFormat("no Raw format for this key")
		}
	default:
		return errFormat("cannot return the public key in this format")
	}
	if err != nil {
		return err
	}
	kb.Material, kb.Transparent, kb.FormatType = material, transparent, want
	return nil
}

// convertAsymmetric converts a Public or Private Key object to format want
// for Get; other objects are left to the caller.
func convertAsymmetric(obj *kmip.Object, want kmip.KeyFormatType) error {
	switch obj.Type {
	case kmip14.ObjectTypePrivateKey:
		return convertPrivate(obj.KeyBlock, want)
	case kmip14.ObjectTypePublicKey:
		return convertPublic(obj.KeyBlock, want)
	}
	return errFormat("cannot convert this object")
}
