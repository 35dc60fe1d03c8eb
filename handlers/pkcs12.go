package handlers

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"

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

// Register of a Private Key whose Key Block is a PKCS#12 file
// (TC-PKCS12-2-20) opens the file with the password its PKCS#12 Password
// Link names (the same rules as for Get: an Active Password of the
// client's own; Bad Password when it does not open the file) and stores
//
//   - the private key as PKCS#8, its algorithm and length those of the
//     key, so that Get returns it as any registered key;
//   - each certificate of the file as a Certificate object, the key's
//     certificate first, carrying the request's PKCS#12 Friendly Name;
//     the key gets a PKCS#12 Certificate Link to its certificate and each
//     certificate one to the next of the file's chain, so that a later Get
//     as PKCS#12 rebuilds the same file contents.
//
// The certificates are stored before the key; the answer names the key.

// maxPKCS12Certificates bounds the certificates a registered file may
// hold.
const maxPKCS12Certificates = maxPKCS12Chain

// openPKCS12 replaces obj's PKCS#12 key block with the private key it
// holds, as PKCS#8, and returns the file's certificates, the key's first.
func (s *Service) openPKCS12(ctx context.Context, req *kmip.Request, obj *kmip.Object, attrs kmip.Attributes) ([]*x509.Certificate, error) {
	password, err := s.pkcs12Password(ctx, req, attrs)
	if err != nil {
		return nil, err
	}
	key, leaf, cas, err := gopkcs12.DecodeChain(obj.KeyBlock.Material, password)
	switch {
	case errors.Is(err, gopkcs12.ErrIncorrectPassword):
		return nil, &kmip.Error{Reason: kmip.ReasonBadPassword, Reason1x: kmip.ReasonInvalidField, Message: "the PKCS#12 Password Link's password does not open the file"}
	case err != nil:
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the key block is not a PKCS#12 file this server reads")
	case len(cas)+1 > maxPKCS12Certificates:
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the PKCS#12 file holds more than %d certificates", maxPKCS12Certificates)
	case !matchesCertificate(key, leaf):
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the PKCS#12 file's certificate is not the key's")
	}
	alg, bits, ok := keyAlgorithm(key)
	if !ok {
		return nil, errFormat("the PKCS#12 file holds a key of an unsupported type")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, errFormat("the PKCS#12 file's key cannot be stored")
	}
	obj.KeyBlock = &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_8, Material: der, Algorithm: alg, Length: bits}
	return append([]*x509.Certificate{leaf}, cas...), nil
}

// keyAlgorithm returns the Cryptographic Algorithm and Length of a parsed
// private key.
func keyAlgorithm(key any) (kmip.CryptographicAlgorithm, int32, bool) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return kmip14.CryptographicAlgorithmRSA, int32(k.N.BitLen()), true
	case *ecdsa.PrivateKey:
		return kmip14.CryptographicAlgorithmECDSA, int32(k.Curve.Params().BitSize), true
	}
	return 0, 0, false
}

// pkcs12Certificates returns the Certificate objects of chain, not yet
// stored, each linked to the next, with the friendly name the key was
// registered with; the first is the key's certificate.
func (s *Service) pkcs12Certificates(req *kmip.Request, chain []*x509.Certificate, attrs kmip.Attributes) ([]*managed, error) {
	v := req.Version
	var base kmip.Attributes
	if name := attrs.Get(kmip.AttrPKCS12FriendlyName); name != nil {
		base = append(base, kmip.Attribute{Name: kmip.AttrPKCS12FriendlyName, Value: name})
	}
	certs := make([]*managed, len(chain))
	for i := len(chain) - 1; i >= 0; i-- {
		certAttrs := append(kmip.Attributes(nil), base...)
		if i+1 < len(chain) {
			certAttrs = append(certAttrs, link(kmip14.LinkTypePKCS_12CertificateLink, certs[i+1].id))
		}
		obj := &kmip.Object{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: chain[i].Raw}
		if err := completeObject(v, obj, &certAttrs); err != nil {
			return nil, err
		}
		m, err := s.newManaged(req, obj.Type, certAttrs)
		if err != nil {
			return nil, err
		}
		if err := s.setContent(m, obj); err != nil {
			return nil, err
		}
		certs[i] = m
	}
	return certs, nil
}

// link returns a Link attribute of type t to id.
func link(t kmip.LinkType, id string) kmip.Attribute {
	return kmip.Attribute{Name: kmip.AttrLink, Value: kmip.Link{Type: t, ID: id}}
}
