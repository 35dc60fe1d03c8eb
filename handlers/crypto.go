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
		cp, err := s.partCipherParams(k, pt, p.Parameters, p.IVCounterNonce, p.AdditionalData, nil)
		if err != nil {
			return err
		}
		input := pt.input
		if !pt.final && !streamMode(cp) {
			input = input[:len(input)-len(input)%blockSize(cp)]
			cp.Padding = hsm.PaddingNone
		}
		if !pt.final && len(input) == pt.st.emitted {
			return nil
		}
		r, err := s.crypto.Encrypt(key, cp, input)
		if err != nil {
			return moduleError(err)
		}
		if pt.st != nil {
			if r.IV != nil {
				pt.st.params = withIV(pt.st.params, r.IV)
			}
			r.Data = r.Data[min(pt.st.emitted, len(r.Data)):]
			pt.st.emitted += len(r.Data)
		}
		resp.Data, resp.IVCounterNonce = r.Data, r.IV
		if pt.final {
			resp.Data, resp.Tag = nonNil(r.Data), r.Tag
		}
		return nil
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
		cp, err := s.partCipherParams(k, pt, p.Parameters, p.IVCounterNonce, p.AdditionalData, p.Tag)
		if err != nil || !pt.final {
			return err
		}
		r, err := s.crypto.Decrypt(key, cp, pt.input)
		if err != nil {
			return moduleError(err)
		}
		resp.Data = nonNil(r.Data)
		return nil
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// partCipherParams returns the module parameters of a part: those the
// stream fixed with its first part, or the request's merged over the key's.
// The final part of a Decrypt stream brings the tag.
func (s *Service) partCipherParams(k *usableKey, pt *part, req *kmip.CryptographicParameters, iv, aad, tag []byte) (hsm.CipherParams, error) {
	if pt.st != nil && pt.st.params != nil {
		cp := pt.st.params.(hsm.CipherParams)
		if tag != nil {
			cp.Tag, cp.TagLength = tag, len(tag)
		}
		return cp, nil
	}
	cp, err := cipherParams(k.algorithm(), mergeParams(k.params(), req), iv, aad, tag)
	if err != nil {
		return cp, err
	}
	if pt.st != nil {
		pt.st.params = cp
	}
	return cp, nil
}

// withIV returns cipher parameters with the IV a stream's first part chose.
func withIV(params any, iv []byte) any {
	cp := params.(hsm.CipherParams)
	cp.IV = iv
	return cp
}

// streamMode reports whether cp encrypts as a stream cipher, whose output
// for a prefix of the input is a prefix of the output.
func streamMode(cp hsm.CipherParams) bool {
	return cp.Mode == hsm.ModeCTR || cp.Mode == hsm.ModeGCM || cp.Algorithm == hsm.ChaCha20 || cp.Algorithm == hsm.ChaCha20Poly1305
}

// blockSize returns the block size of a block cipher, in bytes; RSA has
// none and streams nothing before the final part.
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
		sp, err := signParams(k.algorithm(), mergeParams(k.params(), p.Parameters), prehashed)
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
	pt, err := s.streamPart(req, kmip14.OperationSignatureVerify, p.UniqueIdentifier, p.Streaming, data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.SignatureVerifyResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useVerify, len(data), func(k *usableKey, key []byte) error {
		sp, err := signParams(k.algorithm(), mergeParams(k.params(), p.Parameters), prehashed)
		if err != nil || !pt.final {
			return err
		}
		ok, err := s.crypto.Verify(key, sp, pt.input, p.SignatureData)
		if err == nil && !ok && sp.Padding == hsm.PaddingPSS && sp.SaltLength == 0 {
			// No Salt Length given: accept the signer's other usual choice,
			// the longest salt (conformance case CS-AC-M-2 verifies the
			// signature of CS-AC-M-1, made with Salt Length 222).
			if sp.SaltLength = maxPSSSalt(key, sp.Hash); sp.SaltLength > 0 {
				ok, err = s.crypto.Verify(key, sp, pt.input, p.SignatureData)
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

// nonNil returns b, or an empty slice for nil: a final output of no bytes
// is still answered as an empty Data (conformance case CS-BC-M-GCM-2).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
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
		mp, err := macParams(k.algorithm(), mergeParams(k.params(), p.Parameters))
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
	pt, err := s.streamPart(req, kmip14.OperationMACVerify, p.UniqueIdentifier, p.Streaming, p.Data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.MACVerifyResponse{}
	resp.UniqueIdentifier, err = s.withKey(ctx, req, streamKeyID(pt, p.UniqueIdentifier), useMACVerify, len(p.Data), func(k *usableKey, key []byte) error {
		mp, err := macParams(k.algorithm(), mergeParams(k.params(), p.Parameters))
		if err != nil || !pt.final {
			return err
		}
		mac, err := s.crypto.MAC(key, mp, pt.input)
		if err != nil {
			return moduleError(err)
		}
		resp.ValidityIndicator = validity(len(p.MACData) > 0 && subtle.ConstantTimeCompare(mac, p.MACData) == 1)
		return nil
	})
	resp.CorrelationValue = s.endPart(pt, err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// hash digests data with the request's Hashing Algorithm (KMIP 1.4+).
func (s *Service) hash(_ context.Context, req *kmip.Request, p *kmip.HashRequest) (any, error) {
	if p.Parameters == nil || p.Parameters.HashingAlgorithm == 0 {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "Hash needs a Hashing Algorithm")
	}
	h, ok := hashOf(p.Parameters.HashingAlgorithm)
	if !ok {
		return nil, unsupported("unsupported Hashing Algorithm")
	}
	pt, err := s.streamPart(req, kmip14.OperationHash, "", p.Streaming, p.Data, nil)
	if err != nil {
		return nil, err
	}
	resp := &kmip.HashResponse{}
	if pt.final {
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
