//go:build cgo

package pkcs11

import "github.com/kmipd/kmipd/hsm"

// Where the PKCS#11 provider computes each operation:
//
//	operation                                  where
//	Encrypt/Decrypt AES-GCM, 12-byte IV        token: CKM_AES_GCM
//	Encrypt/Decrypt AES-CBC                    token: CKM_AES_CBC; PKCS5 padding added and checked in Go
//	Encrypt/Decrypt AES-ECB                    token: CKM_AES_ECB; PKCS5 padding added and checked in Go
//	MAC HMAC-SHA256, key of 32 bytes or more   token: CKM_SHA256_HMAC (SoftHSM2 refuses shorter keys)
//	GenerateKeyPair RSA, ECDSA, Ed25519        token: C_GenerateKeyPair (CKM_RSA_PKCS_KEY_PAIR_GEN,
//	                                           CKM_EC_KEY_PAIR_GEN on P-256, P-384, P-521 and secp256k1,
//	                                           CKM_EC_EDWARDS_KEY_PAIR_GEN); the PKCS#8 DER is built
//	                                           in Go and sealed in the token
//	DeriveKey HMAC, Encrypt, SP 800-108 KDFs   the token's MAC and Encrypt above, wherever they
//	                                           run (hsm.DeriveWith): CKM_SHA256_HMAC, CKM_AES_*
//	AES-GCM other IV lengths, AES-CTR,         Go, as the software provider; IVs it chooses come
//	Triple DES, ChaCha20, ChaCha20-Poly1305,   from the token's generator
//	RSA encrypt/decrypt, Sign, Verify (also
//	secp256k1 ECDSA, Digested Data),
//	other HMACs, CMAC, DeriveKey PBKDF2,
//	Hash, HKDF and ECDH
//
// Keys given to the token are imported as sensitive, non-extractable session
// objects (CKA_TOKEN false) for one call and destroyed afterwards; generated
// pairs are session objects, made extractable to be read once, destroyed
// right after. Which of token and Go runs an operation depends only on its
// parameters: a token error is returned as an error, never retried in Go.

// inGo computes operations in Go, IVs it chooses drawn from the token.
func (p *Provider) inGo() hsm.GoOperations { return hsm.GoOperations{Random: p.Random} }

// Encrypt encrypts data with key as cp describes; see Operations.
func (p *Provider) Encrypt(key []byte, cp hsm.CipherParams, data []byte) (hsm.CipherResult, error) {
	if err := p.checkOpen(); err != nil {
		return hsm.CipherResult{}, err
	}
	if !tokenCipher(cp) {
		return p.inGo().Encrypt(key, cp, data)
	}
	if len(data) > hsm.MaxOperationData {
		return hsm.CipherResult{}, hsm.ErrBadParameters
	}
	var chosen []byte
	if len(cp.IV) == 0 && cp.Mode != hsm.ModeECB {
		n, err := hsm.ChosenIVLength(cp)
		if err != nil {
			return hsm.CipherResult{}, err
		}
		if chosen, err = p.Random(n); err != nil {
			return hsm.CipherResult{}, err
		}
		cp.IV = chosen
	}
	res, err := p.encryptInToken(key, cp, data)
	if err != nil {
		return hsm.CipherResult{}, err
	}
	res.IV = chosen
	return res, nil
}

// Decrypt decrypts data with key as cp describes; see Operations.
func (p *Provider) Decrypt(key []byte, cp hsm.CipherParams, data []byte) (hsm.CipherResult, error) {
	if err := p.checkOpen(); err != nil {
		return hsm.CipherResult{}, err
	}
	if !tokenCipher(cp) {
		return p.inGo().Decrypt(key, cp, data)
	}
	if len(data) > hsm.MaxOperationData {
		return hsm.CipherResult{}, hsm.ErrBadParameters
	}
	if len(cp.IV) == 0 && cp.Mode != hsm.ModeECB {
		return hsm.CipherResult{}, hsm.ErrMissingIV
	}
	out, err := p.decryptInToken(key, cp, data)
	if err != nil {
		return hsm.CipherResult{}, err
	}
	return hsm.CipherResult{Data: out}, nil
}

// Sign signs data with a private key (PKCS#8 DER) as sp describes.
func (p *Provider) Sign(privateKey []byte, sp hsm.SignParams, data []byte) ([]byte, error) {
	if err := p.checkOpen(); err != nil {
		return nil, err
	}
	return p.inGo().Sign(privateKey, sp, data)
}

// Verify reports whether sig is a valid signature of data under a public
// key (PKIX DER).
func (p *Provider) Verify(publicKey []byte, sp hsm.SignParams, data, sig []byte) (bool, error) {
	if err := p.checkOpen(); err != nil {
		return false, err
	}
	return p.inGo().Verify(publicKey, sp, data, sig)
}

// MAC returns the HMAC or CMAC of data under key.
func (p *Provider) MAC(key []byte, mp hsm.MACParams, data []byte) ([]byte, error) {
	if err := p.checkOpen(); err != nil {
		return nil, err
	}
	if tokenMAC(mp, key) {
		return p.hmacInToken(key, data)
	}
	return p.inGo().MAC(key, mp, data)
}

// DeriveKey derives key material from key with the provider's own MAC and
// Encrypt, so that the token computes the HMACs and encryptions it has
// mechanisms for. SoftHSM2 has no PBKDF2, SP 800-108 or hash derivation
// mechanism (CKM_PKCS5_PBKD2, CKM_SP800_108_*); its CKM_AES_ECB_ENCRYPT_DATA
// and CKM_ECDH1_DERIVE would leave the result in a token object to be read
// back, which the token's own Encrypt spares.
func (p *Provider) DeriveKey(key []byte, dp hsm.DeriveParams) ([]byte, error) {
	if err := p.checkOpen(); err != nil {
		return nil, err
	}
	return hsm.DeriveWith(p, key, dp)
}

// GenerateKeyPair generates a key pair in the token and returns the
// private key (PKCS#8 DER), in the clear for the caller to seal and zero,
// and the public key (PKIX DER).
func (p *Provider) GenerateKeyPair(spec hsm.KeyPairSpec) ([]byte, []byte, error) {
	if err := p.checkOpen(); err != nil {
		return nil, nil, err
	}
	if err := hsm.CheckKeyPairSpec(spec); err != nil {
		return nil, nil, err
	}
	key, err := p.generateKeyPairInToken(spec)
	if err != nil {
		return nil, nil, err
	}
	return hsm.MarshalKeyPair(key)
}
