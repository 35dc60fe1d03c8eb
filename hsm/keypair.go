package hsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
)

// RSA moduli GenerateKeyPair accepts.
var keyPairRSABits = map[int]bool{2048: true, 3072: true, 4096: true}

// curveByName returns the NIST curve called name.
func curveByName(name string) (elliptic.Curve, bool) {
	switch name {
	case "P-256":
		return elliptic.P256(), true
	case "P-384":
		return elliptic.P384(), true
	case "P-521":
		return elliptic.P521(), true
	}
	return nil, false
}

// CheckKeyPairSpec refuses a spec GenerateKeyPair does not support.
func CheckKeyPairSpec(spec KeyPairSpec) error {
	switch spec.Algorithm {
	case RSA:
		if keyPairRSABits[spec.Bits] {
			return nil
		}
	case ECDSA:
		if _, ok := curveByName(spec.Curve); ok || spec.Curve == Secp256k1 {
			return nil
		}
	case Ed25519:
		return nil
	}
	return ErrBadParameters
}

// generateKeyPairSoftware generates a key pair in Go (crypto/rand) and
// returns the private key in PKCS#8 DER, which the caller seals and zeroes,
// and the public key in PKIX DER.
func generateKeyPairSoftware(spec KeyPairSpec) (privateDER, publicDER []byte, err error) {
	if err := CheckKeyPairSpec(spec); err != nil {
		return nil, nil, err
	}
	var priv crypto.Signer
	switch spec.Algorithm {
	case RSA:
		priv, err = rsa.GenerateKey(rand.Reader, spec.Bits)
	case ECDSA:
		if spec.Curve == Secp256k1 {
			priv, err = generateSecp256k1()
			break
		}
		curve, _ := curveByName(spec.Curve)
		priv, err = ecdsa.GenerateKey(curve, rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return nil, nil, err
	}
	return MarshalKeyPair(priv)
}

// MarshalKeyPair returns priv in PKCS#8 DER and its public key in PKIX DER.
func MarshalKeyPair(priv crypto.Signer) (privateDER, publicDER []byte, err error) {
	if publicDER, err = MarshalPKIXPublicKey(priv.Public()); err != nil {
		return nil, nil, err
	}
	if privateDER, err = MarshalPKCS8PrivateKey(priv); err != nil {
		return nil, nil, err
	}
	return privateDER, publicDER, nil
}
