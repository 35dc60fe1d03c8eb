package hsm

// GoOperations computes the cryptographic operations in Go, exactly as the
// software provider does, for a provider whose module lacks a mechanism:
// the PKCS#11 provider (package hsm/pkcs11) runs in Go what its token does
// not (AES-CTR, Triple DES, ChaCha20, RSA encryption, signatures, CMAC, AES
// Key Wrap with Padding...). Keys, parameters and errors are those of
// Operations.
//
// Random draws the IVs Encrypt chooses; it must be set, normally to the
// provider's Random so that chosen IVs come from its module. A GoOperations
// is safe for concurrent use if Random is.
type GoOperations struct {
	Random func(n int) ([]byte, error)
}

// Encrypt encrypts data with key as p describes; see Operations.
func (g GoOperations) Encrypt(key []byte, p CipherParams, data []byte) (CipherResult, error) {
	return encryptSoftware(key, p, data, g.Random)
}

// Decrypt decrypts data with key as p describes; see Operations.
func (g GoOperations) Decrypt(key []byte, p CipherParams, data []byte) (CipherResult, error) {
	return decryptSoftware(key, p, data)
}

// Sign signs data with a private key (PKCS#8 DER) as p describes.
func (g GoOperations) Sign(privateKey []byte, p SignParams, data []byte) ([]byte, error) {
	return signSoftware(privateKey, p, data)
}

// Verify reports whether sig is a valid signature of data under a public
// key (PKIX DER).
func (g GoOperations) Verify(publicKey []byte, p SignParams, data, sig []byte) (bool, error) {
	return verifySoftware(publicKey, p, data, sig)
}

// MAC returns the HMAC or CMAC of data under key.
func (g GoOperations) MAC(key []byte, p MACParams, data []byte) ([]byte, error) {
	return macSoftware(key, p, data)
}

// WrapKey wraps keyBytes under the AES key wrappingKey; see Operations.
func (g GoOperations) WrapKey(wrappingKey []byte, p WrapParams, keyBytes []byte) ([]byte, error) {
	return wrapSoftware(wrappingKey, p, keyBytes)
}

// UnwrapKey reverses WrapKey; see Operations.
func (g GoOperations) UnwrapKey(wrappingKey []byte, p WrapParams, wrapped []byte) ([]byte, error) {
	return unwrapSoftware(wrappingKey, p, wrapped)
}

// DeriveKey derives key material from key; see Operations.
func (g GoOperations) DeriveKey(key []byte, p DeriveParams) ([]byte, error) {
	return DeriveWith(g, key, p)
}
