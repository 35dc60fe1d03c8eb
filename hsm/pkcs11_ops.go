//go:build cgo

package hsm

// Encrypt encrypts data with key as p describes; see Operations.
func (p *PKCS11) Encrypt(key []byte, cp CipherParams, data []byte) (CipherResult, error) {
	return CipherResult{}, ErrBadParameters
}

// Decrypt decrypts data with key as p describes; see Operations.
func (p *PKCS11) Decrypt(key []byte, cp CipherParams, data []byte) (CipherResult, error) {
	return CipherResult{}, ErrBadParameters
}

// Sign signs data with the PKCS#8 private key as sp describes.
func (p *PKCS11) Sign(privateKey []byte, sp SignParams, data []byte) ([]byte, error) {
	return nil, ErrBadParameters
}

// Verify reports whether sig is a valid signature of data under the PKIX
// public key.
func (p *PKCS11) Verify(publicKey []byte, sp SignParams, data, sig []byte) (bool, error) {
	return false, ErrBadParameters
}

// MAC returns the MAC of data under key.
func (p *PKCS11) MAC(key []byte, mp MACParams, data []byte) ([]byte, error) {
	return nil, ErrBadParameters
}

// GenerateKeyPair generates a key pair; see Operations.
func (p *PKCS11) GenerateKeyPair(privateID string, spec KeyPairSpec) ([]byte, []byte, error) {
	return nil, nil, ErrBadParameters
}
