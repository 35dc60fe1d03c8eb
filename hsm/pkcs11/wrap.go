//go:build cgo

package pkcs11

import (
	"fmt"

	"github.com/miekg/pkcs11"

	"github.com/kmipd/kmipd/hsm"
)

// The PKCS#11 provider runs AES Key Wrap (RFC 3394) in the token with
// CKM_AES_KEY_WRAP. SoftHSM2 refuses CKM_AES_KEY_WRAP in C_EncryptInit
// (CKR_MECHANISM_INVALID), so the token's key wrapping functions are used
// instead: the wrapping key is
// imported as a sensitive session key allowed to wrap (or unwrap) only, the
// key to wrap as an extractable generic secret session object, and
// C_WrapKey wraps it; C_UnwrapKey makes a generic secret session object
// whose value is read back. All session objects are destroyed before
// return. Inputs are checked first, so the token sees only what the scheme
// takes.
//
// AES Key Wrap with Padding (RFC 5649) is computed in Go (hsm.GoOperations):
// SoftHSM2's CKM_AES_KEY_WRAP_PAD is the PKCS#11 2.40 reading of the
// mechanism (RFC 3394 over PKCS#7-padded input), whose output differs from
// RFC 5649's test vectors, and it lacks CKM_AES_KEY_WRAP_KWP (0x210B,
// CKR_MECHANISM_INVALID).

// WrapKey wraps keyBytes under wrappingKey in the token; see Operations.
func (p *Provider) WrapKey(wrappingKey []byte, wp hsm.WrapParams, keyBytes []byte) ([]byte, error) {
	if err := p.checkOpen(); err != nil {
		return nil, err
	}
	if wp.Padding {
		return p.inGo().WrapKey(wrappingKey, wp, keyBytes)
	}
	if err := hsm.CheckWrapInput(wrappingKey, wp, keyBytes); err != nil {
		return nil, err
	}
	var out []byte
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		kek, err := p.importSessionKey(s, pkcs11.CKK_AES, wrappingKey, pkcs11.CKA_WRAP)
		if err != nil {
			return err
		}
		defer p.destroyQuietly(s, kek)
		target, err := p.importSessionKey(s, pkcs11.CKK_GENERIC_SECRET, keyBytes, 0)
		if err != nil {
			return err
		}
		defer p.destroyQuietly(s, target)
		out, err = p.mod.ctx.WrapKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_WRAP, nil)}, kek, target)
		if err != nil {
			return fmt.Errorf("hsm: pkcs11: wrap key: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UnwrapKey reverses WrapKey in the token; a failed integrity check
// (CKR_WRAPPED_KEY_INVALID, CKR_ENCRYPTED_DATA_INVALID, their length range
// codes, and CKR_GENERAL_ERROR, which SoftHSM2 returns when the RFC 3394
// check fails) is ErrUnwrap, any other failure of the token an error of
// its own.
func (p *Provider) UnwrapKey(wrappingKey []byte, wp hsm.WrapParams, wrapped []byte) ([]byte, error) {
	if err := p.checkOpen(); err != nil {
		return nil, err
	}
	if wp.Padding {
		return p.inGo().UnwrapKey(wrappingKey, wp, wrapped)
	}
	if err := hsm.CheckUnwrapInput(wrappingKey, wp, wrapped); err != nil {
		return nil, err
	}
	var plain []byte
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		kek, err := p.importSessionKey(s, pkcs11.CKK_AES, wrappingKey, pkcs11.CKA_UNWRAP)
		if err != nil {
			return err
		}
		defer p.destroyQuietly(s, kek)
		k, err := p.mod.ctx.UnwrapKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_WRAP, nil)}, kek, wrapped,
			[]*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
				pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
				pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
				pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
				pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
				pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
			})
		switch {
		case isCKR(err, pkcs11.CKR_WRAPPED_KEY_INVALID), isCKR(err, pkcs11.CKR_WRAPPED_KEY_LEN_RANGE),
			isCKR(err, pkcs11.CKR_ENCRYPTED_DATA_INVALID), isCKR(err, pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE),
			isCKR(err, pkcs11.CKR_GENERAL_ERROR): // SoftHSM2's code for a failed check
			return hsm.ErrUnwrap
		case err != nil:
			return fmt.Errorf("hsm: pkcs11: unwrap key: %w", err)
		}
		defer p.destroyQuietly(s, k)
		attrs, err := p.mod.ctx.GetAttributeValue(s, k, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if err != nil || len(attrs) != 1 {
			return fmt.Errorf("hsm: pkcs11: read unwrapped key: %w", err)
		}
		plain = attrs[0].Value
		return nil
	})
	if err != nil {
		return nil, err
	}
	return plain, nil
}

// importSessionKey creates a session secret key of keyType holding value.
// With usage (CKA_WRAP, CKA_UNWRAP) it is sensitive and allowed that use
// only; with usage 0 it is an extractable key that a wrapping key may wrap.
func (p *Provider) importSessionKey(s pkcs11.SessionHandle, keyType uint, value []byte, usage uint) (pkcs11.ObjectHandle, error) {
	attrs := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, value),
	}
	if usage != 0 {
		attrs = append(attrs,
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
			pkcs11.NewAttribute(usage, true))
	} else {
		attrs = append(attrs,
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true))
	}
	k, err := p.mod.ctx.CreateObject(s, attrs)
	if err != nil {
		return 0, fmt.Errorf("hsm: pkcs11: import key: %w", err)
	}
	return k, nil
}

// destroyQuietly destroys the session object k; a session object that
// cannot be destroyed goes with the session.
func (p *Provider) destroyQuietly(s pkcs11.SessionHandle, k pkcs11.ObjectHandle) {
	_ = p.mod.ctx.DestroyObject(s, k)
}
