package hsm

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/subtle"
)

// macSoftware returns the MAC of data under key, computed in Go: HMAC
// (RFC 2104) with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 and a
// non-empty key, or CMAC (RFC 4493, NIST SP 800-38B) with an AES key.
func macSoftware(key []byte, p MACParams, data []byte) ([]byte, error) {
	if len(data) > MaxOperationData {
		return nil, ErrBadParameters
	}
	switch p.Algorithm {
	case HMAC:
		if len(key) == 0 || !hmacHash(p.Hash) {
			return nil, ErrBadParameters
		}
		m := hmac.New(p.Hash.New, key)
		m.Write(data)
		return m.Sum(nil), nil
	case CMAC:
		if p.Hash != 0 {
			return nil, ErrBadParameters
		}
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, ErrBadParameters
		}
		return cmac(b, data), nil
	}
	return nil, ErrBadParameters
}

// hmacHash reports whether h is a hash HMAC accepts here.
func hmacHash(h crypto.Hash) bool {
	switch h {
	case crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512:
		return h.Available()
	}
	return false
}

// cmac returns the CMAC of data under the 128-bit block cipher b (RFC 4493
// section 2.4).
func cmac(b cipher.Block, data []byte) []byte {
	const bs = aes.BlockSize
	var k1, k2, x, last [bs]byte
	b.Encrypt(k1[:], k1[:]) // L = E(K, 0^128)
	k1 = doubleGF128(k1)
	k2 = doubleGF128(k1)

	n := (len(data) + bs - 1) / bs
	complete := n > 0 && len(data)%bs == 0
	if n == 0 {
		n = 1
	}
	// All blocks but the last: X = E(K, X xor M_i).
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x[:], x[:], data[i*bs:(i+1)*bs])
		b.Encrypt(x[:], x[:])
	}
	tail := data[(n-1)*bs:]
	if complete {
		subtle.XORBytes(last[:], tail, k1[:])
	} else {
		copy(last[:], tail)
		last[len(tail)] = 0x80
		subtle.XORBytes(last[:], last[:], k2[:])
	}
	subtle.XORBytes(x[:], x[:], last[:])
	b.Encrypt(x[:], x[:])
	clear(k1[:])
	clear(k2[:])
	return x[:]
}

// doubleGF128 multiplies v by x in GF(2^128) with the polynomial
// x^128 + x^7 + x^2 + x + 1 (RFC 4493 Generate_Subkey), in constant time.
func doubleGF128(v [16]byte) [16]byte {
	var out [16]byte
	msb := v[0] >> 7
	for i := range 15 {
		out[i] = v[i]<<1 | v[i+1]>>7
	}
	out[15] = v[15]<<1 ^ byte(subtle.ConstantTimeSelect(int(msb), 0x87, 0))
	return out
}
