package hsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
)

// parsePrivateKey parses a PKCS#8 private key; PKCS#1 (RSA) and SEC 1 (EC)
// DER are accepted too, as KMIP clients register keys in those formats. A
// key on a curve the module lacks is a *CurveError.
func parsePrivateKey(der []byte) (crypto.Signer, error) {
	k, err := ParsePKCS8PrivateKey(der)
	if err == nil {
		return k, nil
	}
	if rk, rerr := x509.ParsePKCS1PrivateKey(der); rerr == nil {
		return rk, nil
	}
	if ek, eerr := ParseECPrivateKey(der); eerr == nil {
		return ek, nil
	} else if isCurveError(eerr) {
		return nil, eerr
	}
	if isCurveError(err) {
		return nil, err
	}
	return nil, ErrBadParameters
}

// parsePublicKey parses a PKIX public key, or a PKCS#1 RSA public key.
func parsePublicKey(der []byte) (crypto.PublicKey, error) {
	k, err := ParsePKIXPublicKey(der)
	if err == nil {
		return k, nil
	}
	if isCurveError(err) {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	return nil, ErrBadParameters
}

// isCurveError reports whether err is a *CurveError.
func isCurveError(err error) bool {
	var ce *CurveError
	return errors.As(err, &ce)
}

// keyAlgorithm returns the Algorithm of a public or private key.
func keyAlgorithm(k any) Algorithm {
	switch k.(type) {
	case *rsa.PublicKey, *rsa.PrivateKey:
		return RSA
	case *ecdsa.PublicKey, *ecdsa.PrivateKey, *Secp256k1PublicKey, *Secp256k1PrivateKey:
		return ECDSA
	case ed25519.PublicKey, ed25519.PrivateKey:
		return Ed25519
	}
	return ""
}

// encryptRSA encrypts data with an RSA public key (PKIX DER) with OAEP
// (hash SHA-1 unless p.Hash is set, MGF1 hash p.MGFHash or p.Hash, label)
// or PKCS#1 v1.5.
func encryptRSA(publicKey []byte, p CipherParams, data []byte) (CipherResult, error) {
	k, err := parsePublicKey(publicKey)
	if err != nil {
		return CipherResult{}, err
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok || len(data) > MaxOperationData {
		return CipherResult{}, ErrBadParameters
	}
	var out []byte
	switch p.Padding {
	case PaddingOAEP:
		var opts *rsa.OAEPOptions
		if opts, err = oaepOptions(p); err != nil {
			return CipherResult{}, err
		}
		out, err = rsa.EncryptOAEPWithOptions(rand.Reader, pub, data, opts)
	case PaddingPKCS1v15:
		out, err = rsa.EncryptPKCS1v15(rand.Reader, pub, data)
	default:
		return CipherResult{}, ErrBadParameters
	}
	if err != nil { // message too long for the key, or a key Go refuses
		return CipherResult{}, ErrBadParameters
	}
	return CipherResult{Data: out}, nil
}

// decryptRSA decrypts data with an RSA private key (PKCS#8 DER); see
// encryptRSA. A ciphertext that does not decrypt gives ErrAuthentication.
func decryptRSA(privateKey []byte, p CipherParams, data []byte) (CipherResult, error) {
	k, err := parsePrivateKey(privateKey)
	if err != nil {
		return CipherResult{}, err
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok || len(data) > MaxOperationData {
		return CipherResult{}, ErrBadParameters
	}
	var out []byte
	switch p.Padding {
	case PaddingOAEP:
		var opts *rsa.OAEPOptions
		if opts, err = oaepOptions(p); err != nil {
			return CipherResult{}, err
		}
		out, err = priv.Decrypt(nil, data, opts)
	case PaddingPKCS1v15:
		out, err = rsa.DecryptPKCS1v15(nil, priv, data)
	default:
		return CipherResult{}, ErrBadParameters
	}
	if err != nil {
		return CipherResult{}, ErrAuthentication
	}
	return CipherResult{Data: out}, nil
}

// oaepOptions returns the OAEP options of p; the hash defaults to SHA-1,
// RFC 8017's default.
func oaepOptions(p CipherParams) (*rsa.OAEPOptions, error) {
	h, mgf := p.Hash, p.MGFHash
	if h == 0 {
		h = crypto.SHA1
	}
	if mgf == 0 {
		mgf = h
	}
	if !h.Available() || !mgf.Available() {
		return nil, ErrBadParameters
	}
	return &rsa.OAEPOptions{Hash: h, MGFHash: mgf, Label: p.Label}, nil
}

// digestFor returns what the signature scheme of p signs: the digest of data
// with p.Hash, or data itself when p.Prehashed (which must then be a digest
// of p.Hash's size, or, without p.Hash, any non-empty input: see
// SignParams).
func digestFor(p SignParams, data []byte) ([]byte, error) {
	if len(data) > MaxOperationData {
		return nil, ErrBadParameters
	}
	if p.Prehashed && p.Hash == 0 && p.Padding != PaddingPSS {
		if len(data) == 0 {
			return nil, ErrBadParameters
		}
		return data, nil
	}
	if p.Hash == 0 || !p.Hash.Available() {
		return nil, ErrBadParameters
	}
	if p.Prehashed {
		if len(data) != p.Hash.Size() {
			return nil, ErrBadParameters
		}
		return data, nil
	}
	return Hash(p.Hash, data)
}

// pssOptions returns the PSS options of p. Go's PSS uses the message hash
// for MGF1, so another MGF1 hash is not supported.
func pssOptions(p SignParams) (*rsa.PSSOptions, error) {
	if p.MGFHash != 0 && p.MGFHash != p.Hash || p.SaltLength < 0 {
		return nil, ErrBadParameters
	}
	salt := p.SaltLength
	if salt == 0 {
		salt = rsa.PSSSaltLengthEqualsHash
	}
	return &rsa.PSSOptions{SaltLength: salt, Hash: p.Hash}, nil
}

// checkSignAlgorithm refuses p when its algorithm is not the key's.
func checkSignAlgorithm(p SignParams, key any) error {
	alg := keyAlgorithm(key)
	if alg == "" || (p.Algorithm != "" && p.Algorithm != alg) {
		return ErrBadParameters
	}
	if alg == Ed25519 && (p.Hash != 0 || p.Prehashed) {
		return ErrBadParameters // pure Ed25519 only
	}
	return nil
}

// signSoftware signs data in Go with a private key (PKCS#8 DER): RSA PSS or
// PKCS#1 v1.5, ECDSA (ASN.1 DER signature, as KMIP carries it) or pure
// Ed25519.
func signSoftware(privateKey []byte, p SignParams, data []byte) ([]byte, error) {
	k, err := parsePrivateKey(privateKey)
	if err != nil {
		return nil, err
	}
	if err := checkSignAlgorithm(p, k); err != nil {
		return nil, err
	}
	if priv, ok := k.(ed25519.PrivateKey); ok {
		if len(data) > MaxOperationData {
			return nil, ErrBadParameters
		}
		return ed25519.Sign(priv, data), nil
	}
	digest, err := digestFor(p, data)
	if err != nil {
		return nil, err
	}
	var sig []byte
	switch priv := k.(type) {
	case *rsa.PrivateKey:
		switch p.Padding {
		case PaddingPSS:
			var opts *rsa.PSSOptions
			if opts, err = pssOptions(p); err != nil {
				return nil, err
			}
			sig, err = rsa.SignPSS(rand.Reader, priv, p.Hash, digest, opts)
		case PaddingPKCS1v15:
			sig, err = rsa.SignPKCS1v15(nil, priv, p.Hash, digest)
		default:
			return nil, ErrBadParameters
		}
	case *ecdsa.PrivateKey:
		sig, err = ecdsa.SignASN1(rand.Reader, priv, digest)
	case *Secp256k1PrivateKey:
		sig, err = priv.Sign(nil, digest, nil)
	}
	if err != nil { // a salt too long for the key, or a key Go refuses
		return nil, ErrBadParameters
	}
	return sig, nil
}

// verifySoftware checks sig over data with a public key (PKIX DER); see
// signSoftware. A wrong signature gives (false, nil), as do parameters of
// another algorithm than the key's.
func verifySoftware(publicKey []byte, p SignParams, data, sig []byte) (bool, error) {
	k, err := parsePublicKey(publicKey)
	if err != nil {
		return false, err
	}
	if alg := keyAlgorithm(k); alg != "" && p.Algorithm != "" && p.Algorithm != alg {
		// A signature of another algorithm than the key's is none of its
		// valid signatures: the check is made, and fails.
		return false, nil
	}
	if err := checkSignAlgorithm(p, k); err != nil {
		return false, err
	}
	if pub, ok := k.(ed25519.PublicKey); ok {
		if len(data) > MaxOperationData {
			return false, ErrBadParameters
		}
		return ed25519.Verify(pub, data, sig), nil
	}
	digest, err := digestFor(p, data)
	if err != nil {
		return false, err
	}
	switch pub := k.(type) {
	case *rsa.PublicKey:
		switch p.Padding {
		case PaddingPSS:
			opts, err := pssOptions(p)
			if err != nil {
				return false, err
			}
			return rsa.VerifyPSS(pub, p.Hash, digest, sig, opts) == nil, nil
		case PaddingPKCS1v15:
			return rsa.VerifyPKCS1v15(pub, p.Hash, digest, sig) == nil, nil
		}
		return false, ErrBadParameters
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(pub, digest, sig), nil
	case *Secp256k1PublicKey:
		return pub.verifyASN1(digest, sig), nil
	}
	return false, ErrBadParameters
}
