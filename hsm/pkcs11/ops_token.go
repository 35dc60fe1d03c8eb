//go:build cgo

package pkcs11

import (
	"crypto"
	"crypto/aes"
	"fmt"

	"github.com/miekg/pkcs11"

	"github.com/kmipd/kmipd/hsm"
)

// tokenCipher reports whether the PKCS#11 provider runs p in the token:
// AES-GCM with a 12-byte IV, AES-CBC and AES-ECB.
func tokenCipher(p hsm.CipherParams) bool {
	if p.Algorithm != hsm.AES {
		return false
	}
	switch p.Mode {
	case hsm.ModeGCM:
		return len(p.IV) == hsm.SealNonceSize || (len(p.IV) == 0 && (p.IVLength == 0 || p.IVLength == hsm.SealNonceSize))
	case hsm.ModeCBC, hsm.ModeECB:
		return true
	}
	return false
}

// tokenHMACMinKey is the shortest HMAC-SHA256 key SoftHSM2 accepts
// (shorter ones: CKR_KEY_SIZE_RANGE).
const tokenHMACMinKey = 32

// tokenMAC reports whether the PKCS#11 provider runs p in the token:
// HMAC-SHA256 with a key of at least tokenHMACMinKey bytes.
func tokenMAC(p hsm.MACParams, key []byte) bool {
	return p.Algorithm == hsm.HMAC && p.Hash == crypto.SHA256 && len(key) >= tokenHMACMinKey
}

// checkAESKey refuses a key that is not 16, 24 or 32 bytes long.
func checkAESKey(key []byte) error {
	switch len(key) {
	case 16, 24, 32:
		return nil
	}
	return hsm.ErrBadParameters
}

// encryptInToken encrypts with AES in the token; p.IV is set (the caller
// chose it) except for ECB. Padding (PKCS5) is applied in Go, the block
// cipher mode runs in the token (CKM_AES_GCM, CKM_AES_CBC, CKM_AES_ECB).
func (p *Provider) encryptInToken(key []byte, cp hsm.CipherParams, data []byte) (hsm.CipherResult, error) {
	if err := checkAESKey(key); err != nil {
		return hsm.CipherResult{}, err
	}
	var mech *pkcs11.Mechanism
	in, tagLen := data, 0
	switch cp.Mode {
	case hsm.ModeGCM:
		if cp.Padding != "" && cp.Padding != hsm.PaddingNone {
			return hsm.CipherResult{}, hsm.ErrBadParameters
		}
		n, err := hsm.AEADTagLength(cp)
		if err != nil {
			return hsm.CipherResult{}, err
		}
		tagLen = n
		params := pkcs11.NewGCMParams(cp.IV, cp.AAD, n*8)
		defer params.Free()
		mech = pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)
	case hsm.ModeCBC, hsm.ModeECB:
		var err error
		if in, err = hsm.Pad(cp.Padding, data, aes.BlockSize); err != nil {
			return hsm.CipherResult{}, err
		}
		if mech, err = blockMechanism(cp); err != nil {
			return hsm.CipherResult{}, err
		}
	}
	var out []byte
	err := p.withKey(key, pkcs11.CKK_AES, pkcs11.CKA_ENCRYPT, func(s pkcs11.SessionHandle, k pkcs11.ObjectHandle) error {
		if err := p.mod.ctx.EncryptInit(s, []*pkcs11.Mechanism{mech}, k); err != nil {
			return fmt.Errorf("hsm: pkcs11: encrypt: %w", err)
		}
		var err error
		if out, err = p.mod.ctx.Encrypt(s, in); err != nil {
			return fmt.Errorf("hsm: pkcs11: encrypt: %w", err)
		}
		return nil
	})
	if err != nil {
		return hsm.CipherResult{}, err
	}
	if len(out) != len(in)+tagLen {
		return hsm.CipherResult{}, fmt.Errorf("hsm: pkcs11: encrypt: module returned %d bytes for %d", len(out), len(in))
	}
	if cp.Mode == hsm.ModeGCM {
		return hsm.CipherResult{Data: out[:len(in)], Tag: out[len(in):]}, nil
	}
	return hsm.CipherResult{Data: out}, nil
}

// decryptInToken decrypts with AES in the token; see encryptInToken. A GCM
// tag that does not match gives ErrAuthentication.
func (p *Provider) decryptInToken(key []byte, cp hsm.CipherParams, data []byte) ([]byte, error) {
	if err := checkAESKey(key); err != nil {
		return nil, err
	}
	var mech *pkcs11.Mechanism
	in := data
	switch cp.Mode {
	case hsm.ModeGCM:
		if (cp.Padding != "" && cp.Padding != hsm.PaddingNone) || len(cp.Tag) < hsm.AEADMinTag || len(cp.Tag) > hsm.AEADMaxTag ||
			(cp.TagLength != 0 && cp.TagLength != len(cp.Tag)) {
			return nil, hsm.ErrBadParameters
		}
		params := pkcs11.NewGCMParams(cp.IV, cp.AAD, len(cp.Tag)*8)
		defer params.Free()
		mech = pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)
		in = make([]byte, 0, len(data)+len(cp.Tag))
		in = append(append(in, data...), cp.Tag...)
	case hsm.ModeCBC, hsm.ModeECB:
		if cp.Padding != "" && cp.Padding != hsm.PaddingNone && cp.Padding != hsm.PaddingPKCS5 || len(data)%aes.BlockSize != 0 {
			return nil, hsm.ErrBadParameters
		}
		var err error
		if mech, err = blockMechanism(cp); err != nil {
			return nil, err
		}
	}
	var out []byte
	err := p.withKey(key, pkcs11.CKK_AES, pkcs11.CKA_DECRYPT, func(s pkcs11.SessionHandle, k pkcs11.ObjectHandle) error {
		if err := p.mod.ctx.DecryptInit(s, []*pkcs11.Mechanism{mech}, k); err != nil {
			return fmt.Errorf("hsm: pkcs11: decrypt: %w", err)
		}
		var err error
		out, err = p.mod.ctx.Decrypt(s, in)
		switch {
		case cp.Mode == hsm.ModeGCM && (isCKR(err, pkcs11.CKR_GENERAL_ERROR) || // SoftHSM2's answer to a tag mismatch
			isCKR(err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)):
			return hsm.ErrAuthentication
		case err != nil:
			return fmt.Errorf("hsm: pkcs11: decrypt: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cp.Mode != hsm.ModeGCM && cp.Padding == hsm.PaddingPKCS5 {
		return hsm.Unpad(out, aes.BlockSize)
	}
	return out, nil
}

// blockMechanism returns CKM_AES_CBC with p's IV, which must be one block,
// or CKM_AES_ECB.
func blockMechanism(cp hsm.CipherParams) (*pkcs11.Mechanism, error) {
	if cp.Mode == hsm.ModeECB {
		return pkcs11.NewMechanism(pkcs11.CKM_AES_ECB, nil), nil
	}
	if len(cp.IV) != aes.BlockSize {
		return nil, hsm.ErrBadParameters
	}
	return pkcs11.NewMechanism(pkcs11.CKM_AES_CBC, cp.IV), nil
}

// hmacInToken computes HMAC-SHA256 in the token (CKM_SHA256_HMAC).
func (p *Provider) hmacInToken(key, data []byte) ([]byte, error) {
	if len(key) == 0 || len(data) > hsm.MaxOperationData {
		return nil, hsm.ErrBadParameters
	}
	var mac []byte
	err := p.withKey(key, pkcs11.CKK_GENERIC_SECRET, pkcs11.CKA_SIGN, func(s pkcs11.SessionHandle, k pkcs11.ObjectHandle) error {
		mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_HMAC, nil)}
		if err := p.mod.ctx.SignInit(s, mech, k); err != nil {
			return fmt.Errorf("hsm: pkcs11: hmac: %w", err)
		}
		var err error
		if mac, err = p.mod.ctx.Sign(s, data); err != nil {
			return fmt.Errorf("hsm: pkcs11: hmac: %w", err)
		}
		return nil
	})
	return mac, err
}

// withKey imports key into the token as a sensitive session object
// (CKA_TOKEN false) of type keyType allowed for usage only, runs f with it
// on one session, and destroys it.
func (p *Provider) withKey(key []byte, keyType uint, usage uint, f func(pkcs11.SessionHandle, pkcs11.ObjectHandle) error) error {
	return p.withSession(func(s pkcs11.SessionHandle) error {
		k, err := p.mod.ctx.CreateObject(s, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
			pkcs11.NewAttribute(usage, true),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, key),
		})
		if err != nil {
			return fmt.Errorf("hsm: pkcs11: import key: %w", err)
		}
		ferr := f(s, k)
		if err := p.mod.ctx.DestroyObject(s, k); err != nil && ferr == nil {
			ferr = fmt.Errorf("hsm: pkcs11: destroy imported key: %w", err)
		}
		return ferr
	})
}
