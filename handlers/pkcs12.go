package handlers

import (
	"context"
	"crypto"
	"crypto/x509"

	"github.com/gemalto/kmip-go/kmip14"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/kmipd/kmipd/kmip"
)

// PKCS#12 (KMIP 1.4 and 2.x Key Format Type PKCS#12): a private key with
// its certificate chain in one password-protected file.
//
// Get of a Private Key with Key Format Type PKCS#12 (conformance case
// TC-PKCS12-1-20) builds the file from
//
//   - the key itself, after Get's usual refusals (Sensitive without
//     wrapping, not Extractable, destroyed, metadata-only);
//   - the chain its PKCS#12 Certificate Links name: the key's link names
//     its certificate, each certificate's link the certificate that issued
//     it, at most maxPKCS12Chain certificates, stopping at a loop;
//   - the password: the value of the Secret Data (of type Password) that
//     the key's PKCS#12 Password Link names, which must be Active (a
//     password whose use has not begun or has ended protects nothing new:
//     Wrong Key Lifecycle State, as conformance case TC-PKCS12-2-20 expects
//     of a Pre-Active one).
//
// Every linked object is read as the client's own (view): a link to another
// tenant's certificate or password fails as if it named nothing, so that a
// PKCS#12 never carries what the client could not Get itself. The file's
// Key Block carries no Cryptographic Algorithm or Length: the Key Value
// holds them (1.4 section 2.1.3 lets them be omitted then), as the
// conformance case expects. The file is encrypted as go-pkcs12's Modern2023
// encoder does (AES-256-CBC with PBKDF2, HMAC-SHA-256 MAC).
//
// The password and the key never reach a log or an error message.

// maxPKCS12Chain bounds the certificates followed from a key's PKCS#12
// Certificate Link.
const maxPKCS12Chain = 10

// getPKCS12 replaces obj, the content of Private Key m, with its PKCS#12
// file for req's client.
func (s *Service) getPKCS12(ctx context.Context, req *kmip.Request, m *managed, obj *kmip.Object) error {
	if obj.Type != kmip14.ObjectTypePrivateKey || obj.KeyBlock == nil {
		return errFormat("only private keys are returned as PKCS#12")
	}
	password, err := s.pkcs12Password(ctx, req, m.attrs)
	if err != nil {
		return err
	}
	chain, err := s.pkcs12Chain(ctx, req, m.attrs)
	if err != nil {
		return err
	}
	der, err := privateKeyPKCS8(obj)
	if err != nil {
		return err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return errFormat("the private key cannot be encoded")
	}
	if !matchesCertificate(key, chain[0]) {
		return kmip.Errorf(kmip.ReasonInvalidField, "the PKCS#12 Certificate Link names a certificate of another key")
	}
	pfx, err := gopkcs12.Modern2023.Encode(key, chain[0], chain[1:], password)
	if err != nil {
		return kmip.Errorf(kmip.ReasonCryptographicFailure, "the PKCS#12 file could not be built")
	}
	clear(obj.KeyBlock.Material)
	obj.KeyBlock = &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_12, Material: pfx}
	return nil
}

// matchesCertificate reports whether cert certifies key's public key.
func matchesCertificate(key any, cert *x509.Certificate) bool {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}

// pkcs12Password returns the password of the PKCS#12 Password Link in
// attrs: the value of an Active Secret Data of type Password of req's
// client.
func (s *Service) pkcs12Password(ctx context.Context, req *kmip.Request, attrs kmip.Attributes) (string, error) {
	id := linked(attrs, kmip14.LinkTypePKCS_12PasswordLink)
	if id == "" {
		return "", kmip.Errorf(kmip.ReasonInvalidField, "a PKCS#12 needs a PKCS#12 Password Link")
	}
	m, err := s.view(ctx, req, id)
	if err != nil {
		return "", err
	}
	if objectTypeOf(m.attrs) != kmip14.ObjectTypeSecretData {
		return "", &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "the PKCS#12 Password Link names no Secret Data"}
	}
	if err := liveContent(m); err != nil {
		return "", err
	}
	if st := stateOf(m.attrs); st != kmip14.StateActive {
		return "", wrongState(st)
	}
	obj, err := s.unseal(m)
	if err != nil {
		return "", err
	}
	kb := obj.KeyBlock
	if kb == nil || obj.SecretDataType != kmip14.SecretDataTypePassword || kb.Transparent != nil {
		return "", &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "the PKCS#12 Password Link names no password"}
	}
	defer clear(kb.Material)
	return string(kb.Material), nil
}

// pkcs12Chain returns the certificates the PKCS#12 Certificate Links from
// attrs lead to, the key's own first; at least one.
func (s *Service) pkcs12Chain(ctx context.Context, req *kmip.Request, attrs kmip.Attributes) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	seen := map[string]bool{}
	for id := linked(attrs, kmip14.LinkTypePKCS_12CertificateLink); id != "" && !seen[id] && len(chain) < maxPKCS12Chain; {
		seen[id] = true
		m, err := s.view(ctx, req, id)
		if err != nil {
			return nil, err
		}
		if objectTypeOf(m.attrs) != kmip14.ObjectTypeCertificate {
			return nil, &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "a PKCS#12 Certificate Link names no certificate"}
		}
		if err := liveContent(m); err != nil {
			return nil, err
		}
		obj, err := s.unseal(m)
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(obj.CertificateValue)
		if obj.CertificateType != kmip14.CertificateTypeX_509 || err != nil {
			return nil, kmip.Errorf(kmip.ReasonInvalidField, "a PKCS#12 Certificate Link names no X.509 certificate")
		}
		chain = append(chain, cert)
		id = linked(m.attrs, kmip14.LinkTypePKCS_12CertificateLink)
	}
	if len(chain) == 0 {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "a PKCS#12 needs a PKCS#12 Certificate Link to the key's certificate")
	}
	return chain, nil
}
