package handlers

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
)

// Certify and ReCertify (KMIP 1.4 sections 4.7 and 4.8, 2.1 sections 6.1.8
// and 6.1.40): the server as a certification authority for the public keys
// it manages, through Config.Certifier. Without a Certifier neither
// operation is offered: Query does not list them and they answer Operation
// Not Supported.
//
// Certify issues an X.509 certificate for a live Public Key of the caller
// (not Destroyed, not Compromised), from a PKCS#10 request given in the
// payload (Certificate Request Type PKCS#10 or PEM), named as a stored
// Certificate Request object (2.x), or without a request. The Certifier's
// policy decides the subject: by default certs.DerivedSubject of the
// caller's own identity and the key's first Name (else its Unique
// Identifier), and a request for any other subject is Permission Denied
// (the refusal is audited like every item). The certificate is
// registered as a Certificate object of the caller, with the request's
// attributes, the Certificate Type, Length and the subject and issuer
// attributes that Register derives (certattrs.go), and a Public Key Link to
// the key; the key gets a Certificate Link to it.
//
// ReCertify issues a new certificate for the public key of an existing
// certificate (its Public Key Link), asking for the old certificate's
// subject unless a new request is given (so, under the derived policy, a
// registered certificate of another subject is not certified again). As with ReKey (rekey.go), the new
// certificate takes the old one's client-settable attributes and Names, the
// Offset rule sets its dates, the old one gets a Replacement Object Link
// and the new one a Replaced Object Link; the public key's Certificate Link
// moves from the old certificate to the new.
//
// Both make the new certificate the batch's ID Placeholder.

// certifyUnavailable refuses Certify and ReCertify on a server without a
// Certifier (the routes' unavailable), and so leaves them out of Query.
func (s *Service) certifyUnavailable() error {
	if s.certifier == nil {
		return kmip.Errorf(kmip.ReasonOperationNotSupported, "operation not supported: the server has no certification authority")
	}
	return nil
}

func (s *Service) certify(ctx context.Context, req *kmip.Request, p *kmip.CertifyRequest) (any, error) {
	v := req.Version
	key, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, err
	}
	if err := certifiable(key); err != nil {
		return nil, err
	}
	csr, err := s.certificateRequest(ctx, req, p.CertificateRequestUniqueIdentifier, p.CertificateRequestType, p.CertificateRequest)
	if err != nil {
		return nil, err
	}
	given, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, given); err != nil {
		return nil, err
	}
	m, err := s.issueCertificate(ctx, req, key, csr, pkix.Name{}, given)
	if err != nil {
		return nil, err
	}
	if err := s.linkCertificate(ctx, req, key.id, "", m.id); err != nil {
		return nil, err
	}
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	return &kmip.CertifyResponse{UniqueIdentifier: m.id}, nil
}

func (s *Service) reCertify(ctx context.Context, req *kmip.Request, p *kmip.ReCertifyRequest) (any, error) {
	v := req.Version
	old, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, err
	}
	if err := replaceable(old, kmip14.ObjectTypeCertificate); err != nil {
		return nil, err
	}
	keyID := linked(old.attrs, kmip14.LinkTypePublicKeyLink)
	if keyID == "" {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the certificate has no Public Key Link: it names no managed key to certify again")
	}
	key, err := s.view(ctx, req, keyID)
	if err != nil {
		return nil, err
	}
	if err := certifiable(key); err != nil {
		return nil, err
	}
	csr, err := s.certificateRequest(ctx, req, p.CertificateRequestUniqueIdentifier, p.CertificateRequestType, p.CertificateRequest)
	if err != nil {
		return nil, err
	}
	subject, err := s.certificateSubject(old)
	if err != nil {
		return nil, err
	}
	given, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, given); err != nil {
		return nil, err
	}
	attrs := over(over(carried(old.attrs), offsetDates(old.attrs, p.Offset, s.now())), given)
	m, err := s.issueCertificate(ctx, req, key, csr, subject, append(attrs, replacedLink(old.id)))
	if err != nil {
		return nil, err
	}
	if err := s.replace(ctx, req, old.id, m.id, kmip14.ObjectTypeCertificate); err != nil {
		return nil, err
	}
	if err := s.linkCertificate(ctx, req, key.id, old.id, m.id); err != nil {
		return nil, err
	}
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	return &kmip.ReCertifyResponse{UniqueIdentifier: m.id}, nil
}

// certifiable checks that m is a Public Key that may be certified: live
// (replaceable) and not Compromised.
func certifiable(m *managed) error {
	if err := replaceable(m, kmip14.ObjectTypePublicKey); err != nil {
		return err
	}
	if st := stateOf(m.attrs); st == kmip14.StateCompromised {
		return wrongState(st)
	}
	return nil
}

// issueCertificate has the Certifier certify key's public key, with csr
// (DER, or nil) or under subject, and returns the new Certificate object,
// not yet stored: attrs (validated), the attributes derived from the
// certificate and a Public Key Link to key.
func (s *Service) issueCertificate(ctx context.Context, req *kmip.Request, key *managed, csr []byte, subject pkix.Name, attrs kmip.Attributes) (*managed, error) {
	v := req.Version
	content, err := s.unseal(key)
	if err != nil {
		return nil, err
	}
	if content.KeyBlock == nil {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the public key has no key block")
	}
	if content.KeyBlock.Wrapped {
		return nil, kmip.Errorf(kmip.ReasonCryptographicFailure, "the public key was registered wrapped and is kept so: it cannot be certified")
	}
	pub, err := parsePublic(content.KeyBlock)
	if err != nil {
		return nil, err
	}
	der, err := s.certifier.Certify(certs.CertifyRequest{
		PublicKey: pub, CSR: csr, Caller: callerIdentity(ctx, req), KeyName: keyName(key), Subject: subject,
	})
	if err != nil {
		return nil, err
	}
	obj := kmip.Object{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: der}
	attrs = append(attrs, kmip.Attribute{Name: kmip.AttrLink, Value: kmip.Link{Type: kmip14.LinkTypePublicKeyLink, ID: key.id}})
	if err := completeObject(v, &obj, &attrs); err != nil {
		return nil, err
	}
	m, err := s.newManaged(req, kmip14.ObjectTypeCertificate, attrs)
	if err != nil {
		return nil, err
	}
	if err := s.setContent(m, &obj); err != nil {
		return nil, err
	}
	return m, nil
}

// linkCertificate gives public key keyID a Certificate Link to certID: the
// one that pointed to oldID now points to certID (keeping its index), or a
// new one is added.
func (s *Service) linkCertificate(ctx context.Context, req *kmip.Request, keyID, oldID, certID string) error {
	_, err := s.update(ctx, req, keyID, func(m *managed) error {
		link := kmip.Link{Type: kmip14.LinkTypeCertificateLink, ID: certID}
		touch(&m.attrs, s.now())
		for i, a := range m.attrs {
			if l, ok := a.Value.(kmip.Link); ok && a.Name == kmip.AttrLink && oldID != "" && l == (kmip.Link{Type: link.Type, ID: oldID}) {
				m.attrs[i].Value = link
				return nil
			}
		}
		m.attrs = append(m.attrs, kmip.Attribute{Name: kmip.AttrLink, Value: link, Index: nextIndex(m.attrs, kmip.AttrLink)})
		return nil
	})
	return err
}

// certificateRequest returns the DER PKCS#10 request of a Certify or
// ReCertify request, nil when it gives none: the bytes of the payload
// (PKCS#10, or PEM holding one), or those of the stored Certificate Request
// object storedID (2.x). Giving both is Invalid Field; CRMF and PGP requests
// are Feature Not Supported.
func (s *Service) certificateRequest(ctx context.Context, req *kmip.Request, storedID string, t kmip.CertificateRequestType, value []byte) ([]byte, error) {
	if storedID != "" {
		if value != nil {
			return nil, kmip.Errorf(kmip.ReasonInvalidField, "give either a Certificate Request or its Unique Identifier")
		}
		m, err := s.view(ctx, req, storedID)
		if err != nil {
			return nil, err
		}
		if objectTypeOf(m.attrs) != kmip.ObjectTypeCertificateRequest || m.sealed == nil {
			return nil, &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "not a Certificate Request"}
		}
		obj, err := s.unseal(m)
		if err != nil {
			return nil, err
		}
		t, value = obj.CertificateRequestType, obj.CertificateRequestValue
	}
	switch {
	case value == nil && t == 0:
		return nil, nil
	case t == kmip14.CertificateRequestTypePKCS_10:
		return value, nil
	case t == kmip14.CertificateRequestTypePEM:
		block, _ := pem.Decode(value)
		if block == nil || (block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST") {
			return nil, kmip.Errorf(kmip.ReasonInvalidCSR, "the PEM certificate request holds no CERTIFICATE REQUEST block")
		}
		return block.Bytes, nil
	}
	return nil, kmip.Errorf(kmip.ReasonFeatureNotSupported, "certificate requests of type %v are not supported (PKCS#10 and PEM are)", t)
}

// callerIdentity is the identity of req's client itself, not of its tenant
// (ServeKMIP scopes req's Peer to the tenant under a policy).
func callerIdentity(ctx context.Context, req *kmip.Request) string {
	if p := authz.PrincipalFrom(ctx); p != nil && p.Identity() != "" {
		return p.Identity()
	}
	return identityOf(req)
}

// keyName names key in the certificates issued for it (the CN of a derived
// subject, certs.DerivedSubject): its first Name, or its Unique Identifier
// when it has none.
func keyName(key *managed) string {
	if n, ok := key.attrs.Get(kmip.AttrName).(kmip.Name); ok && n.Value != "" {
		return n.Value
	}
	return key.id
}

// certificateSubject returns the subject of certificate m's X.509
// certificate.
func (s *Service) certificateSubject(m *managed) (pkix.Name, error) {
	obj, err := s.unseal(m)
	if err != nil {
		return pkix.Name{}, err
	}
	if obj.CertificateType != kmip14.CertificateTypeX_509 {
		return pkix.Name{}, kmip.Errorf(kmip.ReasonInvalidField, "only X.509 certificates are certified again")
	}
	cert, err := x509.ParseCertificate(obj.CertificateValue)
	if err != nil {
		return pkix.Name{}, kmip.Errorf(kmip.ReasonInvalidField, "the certificate does not parse as X.509")
	}
	return cert.Subject, nil
}
