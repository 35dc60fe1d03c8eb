package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// Key wrapping: AES Key Wrap (NIST SP 800-38F KW, RFC 3394) and AES Key Wrap
// with Padding (KWP, RFC 5649). Go's standard library has neither; they are
// implemented here on crypto/aes and are what the Software provider runs.
// The PKCS#11 provider runs them in the token (hsm/pkcs11/wrap.go).

// ErrUnwrap is returned by UnwrapKey when the wrapped bytes fail the
// integrity check of the scheme (wrong wrapping key, altered or truncated
// input). It carries no key material.
var ErrUnwrap = errors.New("hsm: unwrap failed: integrity check")

// WrapParams selects a key wrapping scheme.
type WrapParams struct {
	// Padding selects AES Key Wrap with Padding (RFC 5649), which takes a
	// key of any length from 1 byte. Without it, AES Key Wrap (RFC 3394)
	// takes a multiple of 8 bytes, at least 16.
	Padding bool
}

// NISTWrapParams returns the parameters KMIP's Block Cipher Mode NIST Key
// Wrap means for a key of n bytes: RFC 3394 when n is a multiple of 8 of at
// least 16 bytes, RFC 5649 otherwise.
func NISTWrapParams(n int) WrapParams {
	return WrapParams{Padding: n < 2*kwSemiblock || n%kwSemiblock != 0}
}

// MaxWrapData is the largest key, in bytes, that WrapKey accepts.
const MaxWrapData = 1 << 20

const kwSemiblock = 8

var (
	kwIV      = [kwSemiblock]byte{0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6}
	kwpPrefix = [4]byte{0xA6, 0x59, 0x59, 0xA6}
)

// CheckWrapInput refuses wrapping keys that are not AES keys and inputs the
// scheme of p cannot take.
func CheckWrapInput(wrappingKey []byte, p WrapParams, keyBytes []byte) error {
	switch len(wrappingKey) {
	case 16, 24, 32:
	default:
		return ErrBadParameters
	}
	n := len(keyBytes)
	if n == 0 || n > MaxWrapData || (!p.Padding && (n < 2*kwSemiblock || n%kwSemiblock != 0)) {
		return ErrBadParameters
	}
	return nil
}

// CheckUnwrapInput refuses wrapping keys that are not AES keys and wrapped
// inputs of a length the scheme never produces.
func CheckUnwrapInput(wrappingKey []byte, p WrapParams, wrapped []byte) error {
	switch len(wrappingKey) {
	case 16, 24, 32:
	default:
		return ErrBadParameters
	}
	n := len(wrapped)
	shortest := 3 * kwSemiblock
	if p.Padding {
		shortest = 2 * kwSemiblock
	}
	if n < shortest || n%kwSemiblock != 0 || n > MaxWrapData+2*kwSemiblock {
		return ErrUnwrap
	}
	return nil
}

// wrapSoftware wraps keyBytes under wrappingKey in Go; see WrapKey.
func wrapSoftware(wrappingKey []byte, p WrapParams, keyBytes []byte) ([]byte, error) {
	if err := CheckWrapInput(wrappingKey, p, keyBytes); err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(wrappingKey)
	if err != nil {
		return nil, ErrBadParameters
	}
	if !p.Padding {
		return kwWrap(b, kwIV, keyBytes), nil
	}
	var aiv [kwSemiblock]byte
	copy(aiv[:], kwpPrefix[:])
	binary.BigEndian.PutUint32(aiv[4:], uint32(len(keyBytes)))
	padded := make([]byte, (len(keyBytes)+kwSemiblock-1)/kwSemiblock*kwSemiblock)
	copy(padded, keyBytes)
	defer clear(padded)
	if len(padded) == kwSemiblock {
		out := make([]byte, 2*kwSemiblock)
		copy(out, aiv[:])
		copy(out[kwSemiblock:], padded)
		b.Encrypt(out, out)
		return out, nil
	}
	return kwWrap(b, aiv, padded), nil
}

// unwrapSoftware unwraps in Go; see UnwrapKey.
func unwrapSoftware(wrappingKey []byte, p WrapParams, wrapped []byte) ([]byte, error) {
	if err := CheckUnwrapInput(wrappingKey, p, wrapped); err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(wrappingKey)
	if err != nil {
		return nil, ErrBadParameters
	}
	if !p.Padding {
		a, plain := kwUnwrap(b, wrapped)
		if subtle.ConstantTimeCompare(a[:], kwIV[:]) != 1 {
			clear(plain)
			return nil, ErrUnwrap
		}
		return plain, nil
	}
	var a [kwSemiblock]byte
	var plain []byte
	if len(wrapped) == 2*kwSemiblock {
		block := make([]byte, 2*kwSemiblock)
		b.Decrypt(block, wrapped)
		copy(a[:], block)
		plain = block[kwSemiblock:]
	} else {
		a, plain = kwUnwrap(b, wrapped)
	}
	mli := int(binary.BigEndian.Uint32(a[4:]))
	ok := subtle.ConstantTimeCompare(a[:4], kwpPrefix[:]) == 1 &&
		mli > len(plain)-kwSemiblock && mli <= len(plain)
	if ok {
		var nonzero byte
		for _, c := range plain[mli:] {
			nonzero |= c
		}
		ok = nonzero == 0
	}
	if !ok {
		clear(plain)
		return nil, ErrUnwrap
	}
	return plain[:mli], nil
}

// kwWrap is the wrapping process W of RFC 3394 section 2.2.1 (index form)
// with initial value iv over plain, a multiple of 8 bytes of at least 16.
func kwWrap(b cipher.Block, iv [kwSemiblock]byte, plain []byte) []byte {
	n := len(plain) / kwSemiblock
	out := make([]byte, len(plain)+kwSemiblock)
	copy(out[kwSemiblock:], plain)
	var block [2 * kwSemiblock]byte
	a := iv
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			r := out[i*kwSemiblock : (i+1)*kwSemiblock]
			copy(block[:kwSemiblock], a[:])
			copy(block[kwSemiblock:], r)
			b.Encrypt(block[:], block[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(block[:kwSemiblock])^t)
			copy(r, block[kwSemiblock:])
		}
	}
	clear(block[:])
	copy(out, a[:])
	return out
}

// kwUnwrap is the unwrapping process W⁻¹ of RFC 3394 section 2.2.2: it
// returns the recovered initial value, which the caller checks, and the
// plaintext.
func kwUnwrap(b cipher.Block, wrapped []byte) (a [kwSemiblock]byte, plain []byte) {
	n := len(wrapped)/kwSemiblock - 1
	plain = make([]byte, n*kwSemiblock)
	copy(plain, wrapped[kwSemiblock:])
	copy(a[:], wrapped[:kwSemiblock])
	var block [2 * kwSemiblock]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			r := plain[(i-1)*kwSemiblock : i*kwSemiblock]
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(block[:kwSemiblock], binary.BigEndian.Uint64(a[:])^t)
			copy(block[kwSemiblock:], r)
			b.Decrypt(block[:], block[:])
			copy(a[:], block[:kwSemiblock])
			copy(r, block[kwSemiblock:])
		}
	}
	clear(block[:])
	return a, plain
}

// WrapKey wraps keyBytes under the AES key wrappingKey with the scheme of
// p; see Operations. The Software provider runs it in Go.
func (s *Software) WrapKey(wrappingKey []byte, p WrapParams, keyBytes []byte) ([]byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	return wrapSoftware(wrappingKey, p, keyBytes)
}

// UnwrapKey reverses WrapKey; see Operations.
func (s *Software) UnwrapKey(wrappingKey []byte, p WrapParams, wrapped []byte) ([]byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	return unwrapSoftware(wrappingKey, p, wrapped)
}
