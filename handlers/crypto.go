package handlers

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// The cryptographic operations: Encrypt, Decrypt, Sign, Signature Verify,
// MAC, MAC Verify and Hash. Each checks the key for its use (keyuse.go),
// merges and translates the parameters (cryptoparams.go), hands the key in
// the module's encoding to the module and zeroes it afterwards. Streaming
// forms are in stream.go.

// symmetricKey returns the raw bytes of a Symmetric Key's content (shared
// with k; wipe zeroes them).
func symmetricKey(k *usableKey) ([]byte, error) {
	kb := k.obj.KeyBlock
	if kb == nil || (kb.FormatType != kmip14.KeyFormatTypeRaw && kb.FormatType != kmip14.KeyFormatTypeTransparentSymmetricKey) {
		return nil, unsupported("the key is not in a usable format")
	}
	return kb.Material, nil
}

// moduleKey returns k's key in the encoding the module takes: raw bytes
// for a Symmetric Key, PKCS#8 for a Private Key, PKIX for a Public Key.
// The caller zeroes it.
func moduleKey(k *usableKey) ([]byte, error) {
	switch k.obj.Type {
	case kmip14.ObjectTypeSymmetricKey:
		raw, err := symmetricKey(k)
		return append([]byte(nil), raw...), err
	case kmip14.ObjectTypePrivateKey:
		return privateKeyPKCS8(k.obj)
	case kmip14.ObjectTypePublicKey:
		return publicKeyPKIX(k.obj)
	}
	return nil, unsupported("the object holds no usable key")
}

// withKey runs fn with key id checked for use u (charging size bytes) and
// given in the module's encoding; the key is zeroed afterwards.
func (s *Service) withKey(ctx context.Context, req *kmip.Request, id string, u keyUse, size int, fn func(k *usableKey, key []byte) error) (string, error) {
	k, err := s.useKey(ctx, req, id, u, size)
	if err != nil {
		return "", err
	}
	defer k.wipe()
	key, err := moduleKey(k)
	if err != nil {
		return "", err
	}
	defer clear(key)
	return k.id, fn(k, key)
}

// streamKeyID returns the key a streaming continuation uses: the stream's
// unless the request names one.
func streamKeyID(p *part, id string) string {
	if id == "" && p.st != nil {
		return p.st.keyID
	}
	return id
}

func (s *Service) encrypt(ctx context.Context, req *kmip.Request, p *kmip.EncryptRequest) (any, error) {
	pt, err := s.streamPart(req, kmip14.OperationEncrypt, p.UniqueIdentifier, p.Streaming, p.Data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.EncryptResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useEncrypt, len(p.Data), func(k *usableKey, key []byte) error {
		cp, err := partCipherParams(req, k, pt, p.Parameters, p.IVCounterNonce, p.AdditionalData, nil)
		if err != nil {
			return err
		}
		r, err := cipherPart(pt, cp, false, func(cp hsm.CipherParams, data []byte) (hsm.CipherResult, error) {
			return s.crypto.Encrypt(key, cp, data)
		})
		resp.Data, resp.IVCounterNonce, resp.Tag = pt.output(r.Data), r.IV, r.Tag
		return err
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *Service) decrypt(ctx context.Context, req *kmip.Request, p *kmip.DecryptRequest) (any, error) {
	pt, err := s.streamPart(req, kmip14.OperationDecrypt, p.UniqueIdentifier, p.Streaming, p.Data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.DecryptResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useDecrypt, len(p.Data), func(k *usableKey, key []byte) error {
		cp, err := partCipherParams(req, k, pt, p.Parameters, p.IVCounterNonce, p.AdditionalData, p.Tag)
		if err != nil {
			return err
		}
		r, err := cipherPart(pt, cp, true, func(cp hsm.CipherParams, data []byte) (hsm.CipherResult, error) {
			return s.crypto.Decrypt(key, cp, data)
		})
		resp.Data = pt.output(r.Data)
		return err
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// cipherPart runs Encrypt or Decrypt (run) with cp for part pt and returns
// the output the part releases: for a part that is not final, that of the
// input releasable gives, less what earlier parts returned; for the final
// part, the rest, with the tag.
func cipherPart(pt *part, cp hsm.CipherParams, decrypt bool, run func(hsm.CipherParams, []byte) (hsm.CipherResult, error)) (hsm.CipherResult, error) {
	input := pt.input
	if !pt.final {
		input = input[:releasable(cp, len(input), decrypt)]
		cp.Padding = hsm.PaddingNone
		if len(input) == pt.st.emitted {
			return hsm.CipherResult{}, nil
		}
	}
	r, err := run(cp, input)
	if err != nil {
		return hsm.CipherResult{}, moduleError(err)
	}
	if pt.st != nil {
		if r.IV != nil {
			cp := pt.st.params.(hsm.CipherParams)
			cp.IV = r.IV
			pt.st.params = cp
		}
		r.Data = r.Data[min(pt.st.emitted, len(r.Data)):]
		pt.st.emitted += len(r.Data)
	}
	if !pt.final {
		r.Tag = nil // the tag of a prefix
	}
	return r, nil
}

// releasable returns how many of the first n bytes of a stream's input a
// part that is not final may encrypt or decrypt with cp: those whose output
// no later input changes, and, decrypting, that no pending check withholds.
// The specification leaves it to the server: a response's Data is optional
// (KMIP 2.1 sections 6.1.11 and 6.1.17, Decrypt and Encrypt); stream.go
// gives the choice and the test cases it follows.
func releasable(cp hsm.CipherParams, n int, decrypt bool) int {
	switch {
	case aead(cp):
		if decrypt {
			return 0 // no plaintext before the tag is checked
		}
		return n
	case cp.Mode == hsm.ModeCTR || cp.Algorithm == hsm.ChaCha20:
		return n
	case cp.Mode == hsm.ModeECB || cp.Mode == hsm.ModeCBC:
		bs := blockSize(cp)
		k := n - n%bs
		if decrypt && cp.Padding == hsm.PaddingPKCS5 && k == n && k > 0 {
			k -= bs // may be the last block, whose padding the final part removes
		}
		return k
	}
	return 0 // RSA: one block, the whole input
}

// aead reports whether cp is an authenticated encryption scheme.
func aead(cp hsm.CipherParams) bool {
	return cp.Mode == hsm.ModeGCM || cp.Algorithm == hsm.ChaCha20Poly1305
}

// partCipherParams returns the module parameters of a part: those the
// stream fixed with its first part, or the request's merged over the key's.
// A Decrypt part may bring the tag (KMIP asks for it with the first part;
// clients give it with the last).
//
// Authenticated encryption needs KMIP 1.4, which added the Authenticated
// Encryption Additional Data and Tag fields (1.4 sections 4.29 and 4.30).
// KMIP 1.2 and 1.3 define GCM as a Block Cipher Mode, but an Encrypt
// response in them could not return the tag, nor a Decrypt request bring
// it: a ciphertext without its tag could never be checked. So the server
// refuses them with Feature Not Supported, the 1.x reason for a valid
// request that uses a feature the server does not support, rather than
// Invalid Field, which would call the request malformed.
func partCipherParams(req *kmip.Request, k *usableKey, pt *part, rp *kmip.CryptographicParameters, iv, aad, tag []byte) (hsm.CipherParams, error) {
	later := pt.st != nil && pt.st.params != nil
	cp, err := streamParams(pt, func() (hsm.CipherParams, error) {
		cp, err := cipherParams(k.algorithm(), mergeParams(k.params(), rp), iv, aad, tag)
		if err == nil && aead(cp) && req.Version.Less(kmip.V1_4) {
			err = kmip.Errorf(kmip.ReasonFeatureNotSupported, "authenticated encryption needs KMIP 1.4 or later (Authenticated Encryption Tag)")
		}
		return cp, err
	})
	if err == nil && later && tag != nil {
		cp.Tag, cp.TagLength = tag, len(tag)
		pt.st.params = cp
	}
	return cp, err
}

// streamParams returns the module parameters of part pt: those its
// stream's first part fixed, or else those build makes, which a stream
// keeps for its later parts.
func streamParams[P any](pt *part, build func() (P, error)) (P, error) {
	if pt.st != nil && pt.st.params != nil {
		return pt.st.params.(P), nil // a stream is bound to one operation
	}
	p, err := build()
	if err == nil && pt.st != nil {
		pt.st.params = p
	}
	return p, err
}

// blockSize returns the block size of a block cipher (AES, Triple DES), in
// bytes; for any other algorithm, more than any input.
func blockSize(cp hsm.CipherParams) int {
	switch cp.Algorithm {
	case hsm.AES:
		return 16
	case hsm.TripleDES:
		return 8
	}
	return 1 << 30
}

func (s *Service) sign(ctx context.Context, req *kmip.Request, p *kmip.SignRequest) (any, error) {
	data, prehashed := p.Data, p.DigestedData != nil
	if prehashed {
		data = p.DigestedData
	}
	pt, err := s.streamPart(req, kmip14.OperationSign, p.UniqueIdentifier, p.Streaming, data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.SignResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useSign, len(data), func(k *usableKey, key []byte) error {
		sp, err := streamParams(pt, func() (hsm.SignParams, error) {
			return signParams(k.algorithm(), mergeParams(k.params(), p.Parameters), prehashed)
		})
		if err != nil || !pt.final {
			return err
		}
		resp.SignatureData, err = s.crypto.Sign(key, sp, pt.input)
		return moduleError(err)
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *Service) signatureVerify(ctx context.Context, req *kmip.Request, p *kmip.SignatureVerifyRequest) (any, error) {
	data, prehashed := p.Data, p.DigestedData != nil
	if prehashed {
		data = p.DigestedData
	}
	pt, err := s.streamPart(req, kmip14.OperationSignatureVerify, p.UniqueIdentifier, p.Streaming, data, p.SignatureData)
	if err != nil {
		return nil, err
	}
	resp := &kmip.SignatureVerifyResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useVerify, len(data), func(k *usableKey, key []byte) error {
		sp, err := streamParams(pt, func() (hsm.SignParams, error) {
			return signParams(k.algorithm(), mergeParams(k.params(), p.Parameters), prehashed)
		})
		if err != nil || !pt.final {
			return err
		}
		if pt.check == nil {
			return kmip.Errorf(kmip.ReasonMissingData, "no Signature Data to verify")
		}
		ok, err := s.crypto.Verify(key, sp, pt.input, pt.check)
		if err == nil && !ok && sp.Padding == hsm.PaddingPSS && sp.SaltLength == 0 {
			// No Salt Length given: accept the signer's other usual choice,
			// the longest salt (conformance case CS-AC-M-2 verifies the
			// signature of CS-AC-M-1, made with Salt Length 222).
			if sp.SaltLength = maxPSSSalt(key, sp.Hash); sp.SaltLength > 0 {
				ok, err = s.crypto.Verify(key, sp, pt.input, pt.check)
			}
		}
		if err != nil {
			return moduleError(err)
		}
		resp.ValidityIndicator = validity(ok)
		return nil
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// validity returns the Validity Indicator of a check.
func validity(ok bool) kmip.ValidityIndicator {
	if ok {
		return kmip.Valid
	}
	return kmip.Invalid
}

func (s *Service) mac(ctx context.Context, req *kmip.Request, p *kmip.MACRequest) (any, error) {
	pt, err := s.streamPart(req, kmip14.OperationMAC, p.UniqueIdentifier, p.Streaming, p.Data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.MACResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useMAC, len(p.Data), func(k *usableKey, key []byte) error {
		mp, err := streamParams(pt, func() (hsm.MACParams, error) {
			return macParams(k.algorithm(), mergeParams(k.params(), p.Parameters))
		})
		if err != nil || !pt.final {
			return err
		}
		resp.MACData, err = s.crypto.MAC(key, mp, pt.input)
		return moduleError(err)
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *Service) macVerify(ctx context.Context, req *kmip.Request, p *kmip.MACVerifyRequest) (any, error) {
	pt, err := s.streamPart(req, kmip14.OperationMACVerify, p.UniqueIdentifier, p.Streaming, p.Data, p.MACData)
	if err != nil {
		return nil, err
	}
	resp := &kmip.MACVerifyResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useMACVerify, len(p.Data), func(k *usableKey, key []byte) error {
		mp, err := streamParams(pt, func() (hsm.MACParams, error) {
			return macParams(k.algorithm(), mergeParams(k.params(), p.Parameters))
		})
		if err != nil || !pt.final {
			return err
		}
		if pt.check == nil {
			return kmip.Errorf(kmip.ReasonMissingData, "no MAC Data to verify")
		}
		mac, err := s.crypto.MAC(key, mp, pt.input)
		if err != nil {
			return moduleError(err)
		}
		resp.ValidityIndicator = validity(len(pt.check) > 0 && subtle.ConstantTimeCompare(mac, pt.check) == 1)
		return nil
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// hash digests data with the request's Hashing Algorithm (KMIP 1.2+); a
// stream keeps its first part's.
func (s *Service) hash(_ context.Context, req *kmip.Request, p *kmip.HashRequest) (any, error) {
	pt, err := s.streamPart(req, kmip14.OperationHash, "", p.Streaming, p.Data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.HashResponse{}
	h, err := streamParams(pt, func() (crypto.Hash, error) {
		if p.Parameters == nil || p.Parameters.HashingAlgorithm == 0 {
			return 0, kmip.Errorf(kmip.ReasonInvalidField, "Hash needs a Hashing Algorithm")
		}
		h, ok := hashOf(p.Parameters.HashingAlgorithm)
		if !ok {
			return 0, unsupported("unsupported Hashing Algorithm")
		}
		return h, nil
	})
	if err == nil && pt.final {
		resp.Data, err = hsm.Hash(h, pt.input)
		err = moduleError(err)
	}
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// maxPSSSalt returns the longest PSS salt for the RSA public key pkix (PKIX
// DER) with hash h, or 0 when pkix is not an RSA key.
func maxPSSSalt(pkix []byte, h crypto.Hash) int {
	k, err := x509.ParsePKIXPublicKey(pkix)
	if err != nil {
		return 0
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return 0
	}
	return (rk.N.BitLen()-1+7)/8 - h.Size() - 2
}
