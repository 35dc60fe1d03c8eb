package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// MaxOperationData is the largest input, in bytes, that Encrypt, Decrypt,
// Sign, Verify and MAC accept. It bounds the memory of one call.
const MaxOperationData = 16 << 20

// Lengths of the symmetric schemes.
const (
	gcmIVSize     = 12  // the IV Encrypt chooses for GCM
	gcmMaxIVSize  = 128 // GCM accepts any IV from 1 byte; NIST vectors use up to 60
	chachaKeySize = chacha20.KeySize
	// ChaCha20 IVs: 8 bytes (the original 64-bit nonce, counter 0, as the
	// KMIP 2.1 CS-BC-M-CHACHA20 vectors use), 12 bytes (RFC 8439 nonce,
	// counter 0) or 16 bytes (32-bit little-endian counter | 12-byte nonce).
	chachaShortIV   = 8
	chachaCounterIV = 16
)

// The AEAD tag lengths Encrypt produces and Decrypt checks: from AEADMinTag
// to AEADMaxTag bytes, AEADMaxTag when CipherParams.TagLength is 0.
const (
	AEADMinTag = 12
	AEADMaxTag = 16
)

// randomFunc draws n bytes from a module's random bit generator.
type randomFunc func(n int) ([]byte, error)

// encryptSymmetric encrypts data in Go with a symmetric key; see
// Operations.Encrypt. random chooses the IV when p has none.
func encryptSymmetric(key []byte, p CipherParams, data []byte, random randomFunc) (CipherResult, error) {
	if len(data) > MaxOperationData {
		return CipherResult{}, ErrBadParameters
	}
	var chosen []byte
	if len(p.IV) == 0 {
		n, err := ChosenIVLength(p)
		if err != nil {
			return CipherResult{}, err
		}
		if n > 0 {
			if chosen, err = random(n); err != nil {
				return CipherResult{}, err
			}
			p.IV = chosen
		}
	}
	var res CipherResult
	var err error
	switch p.Algorithm {
	case AES, TripleDES:
		res, err = blockEncrypt(key, p, data)
	case ChaCha20:
		res.Data, err = chachaXOR(key, p.IV, data)
	case ChaCha20Poly1305:
		var aead cipher.AEAD
		if aead, err = newChaChaPoly(key, p); err == nil {
			res.Data, res.Tag, err = aeadSeal(aead, p, data)
		}
	default:
		err = ErrBadParameters
	}
	if err != nil {
		return CipherResult{}, err
	}
	res.IV = chosen
	return res, nil
}

// decryptSymmetric decrypts data in Go with a symmetric key; see
// Operations.Decrypt.
func decryptSymmetric(key []byte, p CipherParams, data []byte) (CipherResult, error) {
	if len(data) > MaxOperationData {
		return CipherResult{}, ErrBadParameters
	}
	n, err := ChosenIVLength(p)
	if err != nil {
		return CipherResult{}, err
	}
	if n > 0 && len(p.IV) == 0 {
		return CipherResult{}, ErrMissingIV
	}
	var out []byte
	switch p.Algorithm {
	case AES, TripleDES:
		out, err = blockDecrypt(key, p, data)
	case ChaCha20:
		out, err = chachaXOR(key, p.IV, data)
	case ChaCha20Poly1305:
		var aead cipher.AEAD
		if aead, err = newChaChaPoly(key, p); err == nil {
			out, err = aeadOpen(aead, p, data)
		}
	default:
		err = ErrBadParameters
	}
	if err != nil {
		return CipherResult{}, err
	}
	return CipherResult{Data: out}, nil
}

// ChosenIVLength returns the length of the IV Encrypt chooses for p (0 when
// the scheme takes none), or ErrBadParameters for an unknown scheme or an
// IVLength the scheme does not accept.
func ChosenIVLength(p CipherParams) (int, error) {
	usual, ok := 0, false
	switch p.Algorithm {
	case AES, TripleDES:
		bs := aes.BlockSize
		if p.Algorithm == TripleDES {
			bs = des.BlockSize
		}
		switch p.Mode {
		case ModeECB:
			return 0, nil
		case ModeCBC, ModeCTR:
			usual, ok = bs, p.IVLength == 0 || p.IVLength == bs
		case ModeGCM:
			usual = gcmIVSize
			ok = p.Algorithm == AES && p.IVLength >= 0 && p.IVLength <= gcmMaxIVSize
		}
	case ChaCha20:
		usual = chacha20.NonceSize
		ok = p.IVLength == 0 || p.IVLength == chachaShortIV || p.IVLength == chacha20.NonceSize || p.IVLength == chachaCounterIV
	case ChaCha20Poly1305:
		usual, ok = chacha20poly1305.NonceSize, p.IVLength == 0 || p.IVLength == chacha20poly1305.NonceSize
	}
	if !ok {
		return 0, ErrBadParameters
	}
	if p.IVLength > 0 {
		return p.IVLength, nil
	}
	return usual, nil
}

// newBlock returns the block cipher of an AES key (16, 24 or 32 bytes) or a
// Triple DES key (24 bytes, or 16 for two-key Triple DES).
func newBlock(alg Algorithm, key []byte) (cipher.Block, error) {
	var b cipher.Block
	var err error
	switch alg {
	case AES:
		b, err = aes.NewCipher(key)
	case TripleDES:
		if len(key) == 16 {
			k := make([]byte, 0, 24)
			k = append(append(k, key...), key[:8]...)
			defer clear(k)
			key = k
		}
		b, err = des.NewTripleDESCipher(key)
	default:
		return nil, ErrBadParameters
	}
	if err != nil {
		return nil, ErrBadParameters
	}
	return b, nil
}

// blockEncrypt encrypts with AES or Triple DES in ECB, CBC, CTR or GCM.
func blockEncrypt(key []byte, p CipherParams, data []byte) (CipherResult, error) {
	b, err := newBlock(p.Algorithm, key)
	if err != nil {
		return CipherResult{}, err
	}
	switch p.Mode {
	case ModeECB, ModeCBC:
		in, err := Pad(p.Padding, data, b.BlockSize())
		if err != nil {
			return CipherResult{}, err
		}
		if p.Mode == ModeECB {
			return CipherResult{Data: ecb(b, true, in)}, nil
		}
		if len(p.IV) != b.BlockSize() {
			return CipherResult{}, ErrBadParameters
		}
		out := make([]byte, len(in))
		cipher.NewCBCEncrypter(b, p.IV).CryptBlocks(out, in)
		return CipherResult{Data: out}, nil
	case ModeCTR:
		out, err := ctr(b, p, data)
		return CipherResult{Data: out}, err
	case ModeGCM:
		aead, err := newGCM(b, p)
		if err != nil {
			return CipherResult{}, err
		}
		ct, tag, err := aeadSeal(aead, p, data)
		return CipherResult{Data: ct, Tag: tag}, err
	}
	return CipherResult{}, ErrBadParameters
}

// blockDecrypt decrypts with AES or Triple DES in ECB, CBC, CTR or GCM.
func blockDecrypt(key []byte, p CipherParams, data []byte) ([]byte, error) {
	b, err := newBlock(p.Algorithm, key)
	if err != nil {
		return nil, err
	}
	switch p.Mode {
	case ModeECB, ModeCBC:
		if p.Padding != "" && p.Padding != PaddingNone && p.Padding != PaddingPKCS5 {
			return nil, ErrBadParameters
		}
		if len(data)%b.BlockSize() != 0 {
			return nil, ErrBadParameters
		}
		var out []byte
		if p.Mode == ModeECB {
			out = ecb(b, false, data)
		} else {
			if len(p.IV) != b.BlockSize() {
				return nil, ErrBadParameters
			}
			out = make([]byte, len(data))
			cipher.NewCBCDecrypter(b, p.IV).CryptBlocks(out, data)
		}
		if p.Padding != PaddingPKCS5 {
			return out, nil
		}
		return Unpad(out, b.BlockSize())
	case ModeCTR:
		return ctr(b, p, data)
	case ModeGCM:
		aead, err := newGCM(b, p)
		if err != nil {
			return nil, err
		}
		return aeadOpen(aead, p, data)
	}
	return nil, ErrBadParameters
}

// ecb encrypts (or decrypts) in, a multiple of b's block size, block by
// block.
func ecb(b cipher.Block, encrypt bool, in []byte) []byte {
	crypt := b.Decrypt
	if encrypt {
		crypt = b.Encrypt
	}
	bs := b.BlockSize()
	out := make([]byte, len(in))
	for i := 0; i < len(in); i += bs {
		crypt(out[i:i+bs], in[i:i+bs])
	}
	return out
}

// Pad returns data padded with PKCS#7 (KMIP's PKCS5) to a multiple of the
// block size bs, or data itself with no padding (PaddingNone or ""), which
// must then be a multiple of bs; ErrBadParameters otherwise. A provider that
// runs a block mode without padding in its module pads with it.
func Pad(padding Padding, data []byte, bs int) ([]byte, error) {
	switch padding {
	case "", PaddingNone:
		if len(data)%bs != 0 {
			return nil, ErrBadParameters
		}
		return data, nil
	case PaddingPKCS5:
		n := bs - len(data)%bs
		out := make([]byte, len(data), len(data)+n)
		copy(out, data)
		for range n {
			out = append(out, byte(n))
		}
		return out, nil
	}
	return nil, ErrBadParameters
}

// Unpad removes PKCS#7 padding from out, a non-empty multiple of bs, or
// returns ErrAuthentication (and zeroes out). The check takes the same time
// whatever the padding bytes are.
func Unpad(out []byte, bs int) ([]byte, error) {
	if len(out) == 0 {
		return nil, ErrAuthentication
	}
	n := int(out[len(out)-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, bs)
	for i := 1; i <= bs; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, n)
		eq := subtle.ConstantTimeByteEq(out[len(out)-i], byte(n))
		good &= subtle.ConstantTimeSelect(inPad, eq, 1)
	}
	if good != 1 {
		clear(out)
		return nil, ErrAuthentication
	}
	return out[:len(out)-n], nil
}

// ctr runs counter mode from the initial counter block p.IV, which must be
// one block long.
func ctr(b cipher.Block, p CipherParams, data []byte) ([]byte, error) {
	if (p.Padding != "" && p.Padding != PaddingNone) || len(p.IV) != b.BlockSize() {
		return nil, ErrBadParameters
	}
	out := make([]byte, len(data))
	cipher.NewCTR(b, p.IV).XORKeyStream(out, data)
	return out, nil
}

// newGCM returns AES-GCM for p's IV length (12 bytes, or any length from 1
// to gcmMaxIVSize, which is not FIPS-approved).
func newGCM(b cipher.Block, p CipherParams) (cipher.AEAD, error) {
	if p.Algorithm != AES || (p.Padding != "" && p.Padding != PaddingNone) || len(p.IV) == 0 || len(p.IV) > gcmMaxIVSize {
		return nil, ErrBadParameters
	}
	if len(p.IV) == gcmIVSize {
		return cipher.NewGCM(b)
	}
	aead, err := cipher.NewGCMWithNonceSize(b, len(p.IV))
	if err != nil {
		return nil, ErrBadParameters
	}
	return aead, nil
}

// newChaChaPoly returns ChaCha20-Poly1305 (RFC 8439) with a 32-byte key;
// the nonce is 12 bytes.
func newChaChaPoly(key []byte, p CipherParams) (cipher.AEAD, error) {
	if len(p.IV) != chacha20poly1305.NonceSize {
		return nil, ErrBadParameters
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, ErrBadParameters
	}
	return aead, nil
}

// AEADTagLength returns the tag length Encrypt produces for p, or
// ErrBadParameters for a TagLength outside AEADMinTag to AEADMaxTag.
func AEADTagLength(p CipherParams) (int, error) {
	switch {
	case p.TagLength == 0:
		return AEADMaxTag, nil
	case p.TagLength < AEADMinTag || p.TagLength > AEADMaxTag:
		return 0, ErrBadParameters
	}
	return p.TagLength, nil
}

// aeadSeal encrypts data with nonce p.IV and additional data p.AAD, and
// returns the ciphertext and the tag truncated to p's tag length.
func aeadSeal(aead cipher.AEAD, p CipherParams, data []byte) (ciphertext, tag []byte, err error) {
	n, err := AEADTagLength(p)
	if err != nil {
		return nil, nil, err
	}
	out := aead.Seal(nil, p.IV, data, p.AAD)
	return out[:len(data)], out[len(data) : len(data)+n], nil
}

// aeadOpen checks p.Tag, 12 to 16 bytes, over ciphertext and p.AAD and
// returns the plaintext, or ErrAuthentication.
//
// Go's AEADs take a full 16-byte tag. A truncated tag is checked against
// the prefix of the full one: both AEADs here encrypt by XOR with a key
// stream, so sealing the ciphertext yields the plaintext, and sealing the
// plaintext yields the full tag.
func aeadOpen(aead cipher.AEAD, p CipherParams, ciphertext []byte) ([]byte, error) {
	if len(p.Tag) < AEADMinTag || len(p.Tag) > AEADMaxTag || (p.TagLength != 0 && p.TagLength != len(p.Tag)) {
		return nil, ErrBadParameters
	}
	if len(p.Tag) == AEADMaxTag {
		in := make([]byte, 0, len(ciphertext)+len(p.Tag))
		in = append(append(in, ciphertext...), p.Tag...)
		out, err := aead.Open(nil, p.IV, in, p.AAD)
		if err != nil {
			return nil, ErrAuthentication
		}
		return out, nil
	}
	plaintext := aead.Seal(nil, p.IV, ciphertext, nil)[:len(ciphertext)]
	full := aead.Seal(nil, p.IV, plaintext, p.AAD)[len(ciphertext):]
	if subtle.ConstantTimeCompare(full[:len(p.Tag)], p.Tag) != 1 {
		clear(plaintext)
		return nil, ErrAuthentication
	}
	return plaintext, nil
}

// chachaXOR runs the ChaCha20 stream cipher with a 32-byte key over data.
// The IV is 8 bytes (the original 64-bit nonce, counter 0), 12 bytes (RFC
// 8439 nonce, counter 0) or 16 bytes (32-bit little-endian block counter,
// then the 12-byte nonce). Data that would wrap the 32-bit counter is
// refused.
func chachaXOR(key, iv, data []byte) ([]byte, error) {
	if len(key) != chachaKeySize {
		return nil, ErrBadParameters
	}
	var nonce [chacha20.NonceSize]byte
	var counter uint32
	switch len(iv) {
	case chachaShortIV:
		copy(nonce[4:], iv)
	case chacha20.NonceSize:
		copy(nonce[:], iv)
	case chachaCounterIV:
		counter = binary.LittleEndian.Uint32(iv)
		copy(nonce[:], iv[4:])
	default:
		return nil, ErrBadParameters
	}
	blocks := (uint64(len(data)) + 63) / 64
	if uint64(counter)+blocks > 1<<32 {
		return nil, ErrBadParameters
	}
	c, err := chacha20.NewUnauthenticatedCipher(key, nonce[:])
	if err != nil {
		return nil, ErrBadParameters
	}
	c.SetCounter(counter)
	out := make([]byte, len(data))
	c.XORKeyStream(out, data)
	return out, nil
}
