package handlers

import (
	"crypto"
	"errors"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// From KMIP Cryptographic Parameters to the module's parameters. A request's
// Cryptographic Parameters are merged over the key's own Cryptographic
// Parameters attribute field by field (the request wins); what remains
// unset takes the defaults below. Combinations the server does not support
// are refused with Invalid Field (1.x) or Unsupported Cryptographic
// Parameters (2.x), except an AEAD tag length outside 12..16 bytes (GCM and
// Poly1305; shorter tags are checked as truncations), which the conformance
// cases CS-BC-M-GCM-1 and CS-BC-M-CHACHA20POLY1305-1 expect as General
// Failure.

// ChaCha20 algorithms of KMIP 2.x.
const (
	algChaCha20         = kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmChaCha20)
	algChaCha20Poly1305 = kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmChaCha20Poly1305)
	algEd25519          = kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmEd25519)
)

// mergeParams returns own with the fields req sets replacing its own.
func mergeParams(own kmip.CryptographicParameters, req *kmip.CryptographicParameters) kmip.CryptographicParameters {
	if req == nil {
		return own
	}
	out := own
	r := *req
	if r.BlockCipherMode != 0 {
		out.BlockCipherMode = r.BlockCipherMode
	}
	if r.PaddingMethod != 0 {
		out.PaddingMethod = r.PaddingMethod
	}
	if r.HashingAlgorithm != 0 {
		out.HashingAlgorithm = r.HashingAlgorithm
	}
	if r.KeyRoleType != 0 {
		out.KeyRoleType = r.KeyRoleType
	}
	if r.DigitalSignatureAlgorithm != 0 {
		out.DigitalSignatureAlgorithm = r.DigitalSignatureAlgorithm
	}
	if r.CryptographicAlgorithm != 0 {
		out.CryptographicAlgorithm = r.CryptographicAlgorithm
	}
	if r.RandomIV != nil {
		out.RandomIV = r.RandomIV
	}
	if r.IVLength != 0 {
		out.IVLength = r.IVLength
	}
	if r.TagLength != 0 {
		out.TagLength = r.TagLength
	}
	if r.InitialCounterValue != nil {
		out.InitialCounterValue = r.InitialCounterValue
	}
	if r.SaltLength != nil {
		out.SaltLength = r.SaltLength
	}
	if r.MaskGenerator != 0 {
		out.MaskGenerator = r.MaskGenerator
	}
	if r.MaskGeneratorHashingAlgorithm != 0 {
		out.MaskGeneratorHashingAlgorithm = r.MaskGeneratorHashingAlgorithm
	}
	if r.PSource != nil {
		out.PSource = r.PSource
	}
	if r.TrailerField != nil {
		out.TrailerField = r.TrailerField
	}
	return out
}

// unsupported is the error for parameters the server does not support.
func unsupported(msg string) error {
	return &kmip.Error{Reason: kmip.ReasonUnsupportedCryptographicParameters, Message: msg}
}

// hashOf returns the Go hash of a KMIP Hashing Algorithm.
func hashOf(h kmip.HashingAlgorithm) (crypto.Hash, bool) {
	switch h {
	case kmip14.HashingAlgorithmSHA_1:
		return crypto.SHA1, true
	case kmip14.HashingAlgorithmSHA_224:
		return crypto.SHA224, true
	case kmip14.HashingAlgorithmSHA_256:
		return crypto.SHA256, true
	case kmip14.HashingAlgorithmSHA_384:
		return crypto.SHA384, true
	case kmip14.HashingAlgorithmSHA_512:
		return crypto.SHA512, true
	case kmip14.HashingAlgorithmSHA_512_224:
		return crypto.SHA512_224, true
	case kmip14.HashingAlgorithmSHA_512_256:
		return crypto.SHA512_256, true
	case kmip14.HashingAlgorithmSHA_3_224:
		return crypto.SHA3_224, true
	case kmip14.HashingAlgorithmSHA_3_256:
		return crypto.SHA3_256, true
	case kmip14.HashingAlgorithmSHA_3_384:
		return crypto.SHA3_384, true
	case kmip14.HashingAlgorithmSHA_3_512:
		return crypto.SHA3_512, true
	}
	return 0, false
}

// optionalHash returns the hash of h, 0 when h is unset.
func optionalHash(h kmip.HashingAlgorithm) (crypto.Hash, error) {
	if h == 0 {
		return 0, nil
	}
	out, ok := hashOf(h)
	if !ok {
		return 0, unsupported("unsupported Hashing Algorithm")
	}
	return out, nil
}

// cipherParams translates merged parameters for a key of algorithm alg
// into the module's. iv, aad and tag are the request's.
func cipherParams(alg kmip.CryptographicAlgorithm, p kmip.CryptographicParameters, iv, aad, tag []byte) (hsm.CipherParams, error) {
	if p.CryptographicAlgorithm != 0 {
		alg = p.CryptographicAlgorithm
	}
	out := hsm.CipherParams{IV: iv, AAD: aad, Tag: tag, IVLength: int(p.IVLength), TagLength: int(p.TagLength)}
	if len(tag) > 0 && out.TagLength == 0 {
		out.TagLength = len(tag)
	}
	switch alg {
	case kmip14.CryptographicAlgorithmAES, kmip14.CryptographicAlgorithmDES3:
		out.Algorithm = hsm.AES
		if alg == kmip14.CryptographicAlgorithmDES3 {
			out.Algorithm = hsm.TripleDES
		}
		switch p.BlockCipherMode {
		case kmip14.BlockCipherModeECB:
			out.Mode = hsm.ModeECB
		case kmip14.BlockCipherModeCBC:
			out.Mode = hsm.ModeCBC
		case kmip14.BlockCipherModeCTR:
			out.Mode = hsm.ModeCTR
		case kmip14.BlockCipherModeGCM:
			out.Mode = hsm.ModeGCM
			if out.TagLength != 0 && (out.TagLength < 12 || out.TagLength > 16) {
				return out, kmip.Errorf(kmip.ReasonGeneralFailure, "invalid GCM tag length")
			}
		case 0:
			return out, unsupported("Block Cipher Mode is required")
		default:
			return out, unsupported("unsupported Block Cipher Mode")
		}
		switch p.PaddingMethod {
		case 0, kmip14.PaddingMethodNone:
			out.Padding = hsm.PaddingNone
		case kmip14.PaddingMethodPKCS5:
			out.Padding = hsm.PaddingPKCS5
		default:
			return out, unsupported("unsupported Padding Method")
		}
	case algChaCha20:
		out.Algorithm = hsm.ChaCha20
	case algChaCha20Poly1305:
		out.Algorithm = hsm.ChaCha20Poly1305
		if out.TagLength != 0 && (out.TagLength < 12 || out.TagLength > 16) {
			return out, kmip.Errorf(kmip.ReasonGeneralFailure, "invalid Poly1305 tag length")
		}
	case kmip14.CryptographicAlgorithmRSA:
		out.Algorithm = hsm.RSA
		switch p.PaddingMethod {
		case kmip14.PaddingMethodOAEP:
			out.Padding = hsm.PaddingOAEP
		case 0, kmip14.PaddingMethodPKCS1V1_5:
			out.Padding = hsm.PaddingPKCS1v15
		default:
			return out, unsupported("unsupported Padding Method")
		}
		var err error
		if out.Hash, err = optionalHash(p.HashingAlgorithm); err != nil {
			return out, err
		}
		if out.MGFHash, err = optionalHash(p.MaskGeneratorHashingAlgorithm); err != nil {
			return out, err
		}
		if out.Padding == hsm.PaddingOAEP && out.Hash == 0 {
			out.Hash = crypto.SHA1 // KMIP's default Hashing Algorithm for OAEP
		}
		out.Label = p.PSource
	default:
		return out, algorithmNotImplemented(alg, "Encrypt or Decrypt")
	}
	return out, nil
}

// signatureAlgorithms maps the Digital Signature Algorithms to the module's
// scheme and hash.
var signatureAlgorithms = map[uint32]hsm.SignParams{
	uint32(kmip14.DigitalSignatureAlgorithmSHA_1WithRSAEncryption):   {Algorithm: hsm.RSA, Padding: hsm.PaddingPKCS1v15, Hash: crypto.SHA1},
	uint32(kmip14.DigitalSignatureAlgorithmSHA_224WithRSAEncryption): {Algorithm: hsm.RSA, Padding: hsm.PaddingPKCS1v15, Hash: crypto.SHA224},
	uint32(kmip14.DigitalSignatureAlgorithmSHA_256WithRSAEncryption): {Algorithm: hsm.RSA, Padding: hsm.PaddingPKCS1v15, Hash: crypto.SHA256},
	uint32(kmip14.DigitalSignatureAlgorithmSHA_384WithRSAEncryption): {Algorithm: hsm.RSA, Padding: hsm.PaddingPKCS1v15, Hash: crypto.SHA384},
	uint32(kmip14.DigitalSignatureAlgorithmSHA_512WithRSAEncryption): {Algorithm: hsm.RSA, Padding: hsm.PaddingPKCS1v15, Hash: crypto.SHA512},
	uint32(kmip14.DigitalSignatureAlgorithmRSASSA_PSS):               {Algorithm: hsm.RSA, Padding: hsm.PaddingPSS},
	uint32(kmip14.DigitalSignatureAlgorithmECDSAWithSHA_1):           {Algorithm: hsm.ECDSA, Hash: crypto.SHA1},
	uint32(kmip14.DigitalSignatureAlgorithmECDSAWithSHA224):          {Algorithm: hsm.ECDSA, Hash: crypto.SHA224},
	uint32(kmip14.DigitalSignatureAlgorithmECDSAWithSHA256):          {Algorithm: hsm.ECDSA, Hash: crypto.SHA256},
	uint32(kmip14.DigitalSignatureAlgorithmECDSAWithSHA384):          {Algorithm: hsm.ECDSA, Hash: crypto.SHA384},
	uint32(kmip14.DigitalSignatureAlgorithmECDSAWithSHA512):          {Algorithm: hsm.ECDSA, Hash: crypto.SHA512},
}

// signParams translates merged parameters for a key of algorithm alg into
// the module's. Without a Digital Signature Algorithm, RSA signs with the
// Padding Method (PKCS#1 v1.5 by default) and ECDSA with the Hashing
// Algorithm, SHA-256 by default; Ed25519 takes no hash.
//
// Digested Data (KMIP 2.0 section 6.1.48, Sign; 6.1.50, Signature Verify)
// without a Hashing Algorithm, in the request or the key's parameters, is
// signed as given: the specification does not say which digest it is, so
// the server assumes none. RSA PKCS#1 v1.5 then pads it without a
// DigestInfo (the client gives the DigestInfo, or signs a bare digest, as
// with PKCS#11's CKM_RSA_PKCS), ECDSA takes it as the digest; PSS, whose
// encoding hashes again, keeps the SHA-256 default. With a Hashing
// Algorithm, PKCS#1 v1.5 adds that hash's DigestInfo and the Digested Data
// must be of its length.
func signParams(alg kmip.CryptographicAlgorithm, p kmip.CryptographicParameters, prehashed bool) (hsm.SignParams, error) {
	if p.CryptographicAlgorithm != 0 {
		alg = p.CryptographicAlgorithm
	}
	var out hsm.SignParams
	if p.DigitalSignatureAlgorithm != 0 {
		sp, ok := signatureAlgorithms[p.DigitalSignatureAlgorithm]
		if !ok {
			return out, unsupported("unsupported Digital Signature Algorithm")
		}
		out = sp
	} else {
		switch alg {
		case kmip14.CryptographicAlgorithmRSA:
			out.Algorithm = hsm.RSA
			switch p.PaddingMethod {
			case 0, kmip14.PaddingMethodPKCS1V1_5:
				out.Padding = hsm.PaddingPKCS1v15
			case kmip14.PaddingMethodPSS:
				out.Padding = hsm.PaddingPSS
			default:
				return out, unsupported("unsupported Padding Method")
			}
		case kmip14.CryptographicAlgorithmEC, kmip14.CryptographicAlgorithmECDSA:
			out.Algorithm = hsm.ECDSA
		case algEd25519:
			out.Algorithm = hsm.Ed25519
		default:
			return out, unsupported("unsupported Cryptographic Algorithm for Sign or Signature Verify")
		}
	}
	if out.Hash == 0 && out.Algorithm != hsm.Ed25519 {
		h, err := optionalHash(p.HashingAlgorithm)
		if err != nil {
			return out, err
		}
		if h == 0 && !(prehashed && out.Padding != hsm.PaddingPSS) {
			h = crypto.SHA256
		}
		out.Hash = h
	}
	var err error
	if out.MGFHash, err = optionalHash(p.MaskGeneratorHashingAlgorithm); err != nil {
		return out, err
	}
	if p.SaltLength != nil {
		out.SaltLength = int(*p.SaltLength)
	}
	out.Prehashed = prehashed
	return out, nil
}

// macParams translates merged parameters for a key of algorithm alg into
// the module's: HMAC with the hash of an HMAC-SHA* key, CMAC with an AES key.
func macParams(alg kmip.CryptographicAlgorithm, p kmip.CryptographicParameters) (hsm.MACParams, error) {
	if p.CryptographicAlgorithm != 0 {
		alg = p.CryptographicAlgorithm
	}
	switch alg {
	case kmip14.CryptographicAlgorithmHMAC_SHA1:
		return hsm.MACParams{Algorithm: hsm.HMAC, Hash: crypto.SHA1}, nil
	case kmip14.CryptographicAlgorithmHMAC_SHA224:
		return hsm.MACParams{Algorithm: hsm.HMAC, Hash: crypto.SHA224}, nil
	case kmip14.CryptographicAlgorithmHMAC_SHA256:
		return hsm.MACParams{Algorithm: hsm.HMAC, Hash: crypto.SHA256}, nil
	case kmip14.CryptographicAlgorithmHMAC_SHA384:
		return hsm.MACParams{Algorithm: hsm.HMAC, Hash: crypto.SHA384}, nil
	case kmip14.CryptographicAlgorithmHMAC_SHA512:
		return hsm.MACParams{Algorithm: hsm.HMAC, Hash: crypto.SHA512}, nil
	case kmip14.CryptographicAlgorithmAES:
		return hsm.MACParams{Algorithm: hsm.CMAC}, nil
	}
	return hsm.MACParams{}, algorithmNotImplemented(alg, "MAC")
}

// moduleError maps an error of the module's operations to the KMIP reason
// the conformance cases expect: a failed tag or padding check is a
// Cryptographic Failure, a missing IV an Invalid Message (CS-BC-M-11..13),
// unsupported parameters Invalid Field or Unsupported Cryptographic
// Parameters, a key on a curve the module lacks Cryptographic Failure.
// Other errors pass unchanged.
func moduleError(err error) error {
	switch {
	case errors.Is(err, hsm.ErrAuthentication):
		return kmip.Errorf(kmip.ReasonCryptographicFailure, "cryptographic check failed")
	case errors.Is(err, hsm.ErrMissingIV):
		return kmip.Errorf(kmip.ReasonInvalidMessage, "the mode needs an IV, counter or nonce")
	case errors.Is(err, hsm.ErrBadParameters):
		return unsupported("cryptographic parameters not supported for this key")
	}
	if ce := curveError(err, kmip.ReasonCryptographicFailure); ce != nil {
		return ce // a key stored before Register checked curves
	}
	return err
}
