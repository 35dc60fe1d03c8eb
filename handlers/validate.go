package handlers

import (
	"context"
	"crypto/x509"
	"errors"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// maxChain bounds the certificates of one Validate request.
const maxChain = 16

// validate serves Validate (KMIP 1.4 section 4, 2.1 section 6.1): the
// verdict on one certificate chain, made of the X.509 certificates the
// request carries and the managed Certificates it names (each one the
// client may Validate, as any object access). The specification leaves
// the validation policy and the trust anchors to the server; kmipd's:
//
//   - Invalid: a certificate does not parse, is not valid at the Validity
//     Date (default now), or the certificates do not form one chain (one
//     leaf, each other certificate the issuer of the one below it, a CA
//     with a signature that verifies);
//   - Valid: the chain verifies, at that date, up to one of the trust
//     anchors of the Service (Config.TrustAnchors), with Go's x509
//     verification (name and path length constraints, any key usage);
//   - Unknown: no fault was found, but the chain ends at no trust anchor
//     of the server's.
func (s *Service) validate(ctx context.Context, req *kmip.Request, p *kmip.ValidateRequest) (any, error) {
	if len(p.Certificates)+len(p.UniqueIdentifiers) > maxChain {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "more than %d certificates in the chain", maxChain)
	}
	objs := make([]*kmip.Object, 0, len(p.Certificates)+len(p.UniqueIdentifiers))
	for i := range p.Certificates {
		objs = append(objs, &p.Certificates[i])
	}
	for _, id := range p.UniqueIdentifiers {
		m, err := s.view(ctx, req, id)
		if err != nil {
			return nil, err
		}
		if objectTypeOf(m.attrs) != kmip14.ObjectTypeCertificate {
			return nil, kmip.Errorf(kmip.ReasonInvalidObjectType, "object %s is not a Certificate", id)
		}
		obj, err := s.unseal(m)
		if err != nil {
			return nil, err
		}
		objs = append(objs, obj)
	}
	date := p.ValidityDate
	if date.IsZero() {
		date = s.now()
	}
	return &kmip.ValidateResponse{ValidityIndicator: s.verdict(objs, date)}, nil
}

// verdict is the Validity Indicator of the chain objs at date.
func (s *Service) verdict(objs []*kmip.Object, date time.Time) kmip.ValidityIndicator {
	certs := make([]*x509.Certificate, 0, len(objs))
	for _, obj := range objs {
		if obj.Type != kmip14.ObjectTypeCertificate || obj.CertificateType != kmip14.CertificateTypeX_509 {
			return kmip.Invalid
		}
		c, err := x509.ParseCertificate(obj.CertificateValue)
		if err != nil {
			return kmip.Invalid
		}
		if date.Before(c.NotBefore) || date.After(c.NotAfter) {
			return kmip.Invalid
		}
		certs = append(certs, c)
	}
	leaf, ok := chainLeaf(certs)
	if !ok {
		return kmip.Invalid
	}
	if s.anchors == nil {
		return kmip.Unknown
	}
	intermediates := x509.NewCertPool()
	for _, c := range certs {
		if c != leaf {
			intermediates.AddCert(c)
		}
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots: s.anchors, Intermediates: intermediates, CurrentTime: date,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	var unknown x509.UnknownAuthorityError
	switch {
	case err == nil:
		return kmip.Valid
	case errors.As(err, &unknown):
		return kmip.Unknown
	}
	return kmip.Invalid
}

// chainLeaf checks that certs form one chain and returns its leaf: the
// one certificate that issued none of the others, every other one being
// a CA that issued exactly one of them, the next one below it.
func chainLeaf(certs []*x509.Certificate) (*x509.Certificate, bool) {
	issued := make(map[*x509.Certificate]*x509.Certificate, len(certs)) // issuer -> the certificate it signed
	isIssuer := make(map[*x509.Certificate]bool, len(certs))
	for _, c := range certs {
		for _, issuer := range certs {
			if issuer == c {
				continue
			}
			if c.CheckSignatureFrom(issuer) == nil {
				if issued[issuer] != nil {
					return nil, false // an issuer of two: not one chain
				}
				issued[issuer], isIssuer[issuer] = c, true
			}
		}
	}
	var leaf *x509.Certificate
	for _, c := range certs {
		if !isIssuer[c] {
			if leaf != nil {
				return nil, false // two leaves: not one chain
			}
			leaf = c
		}
	}
	if leaf == nil {
		return nil, false // a loop
	}
	// Walk up from the leaf: every certificate is reached once.
	seen := map[*x509.Certificate]bool{leaf: true}
	for c := leaf; ; {
		var up *x509.Certificate
		for issuer, below := range issued {
			if below == c {
				up = issuer
			}
		}
		if up == nil {
			break
		}
		if seen[up] {
			return nil, false
		}
		seen[up], c = true, up
	}
	return leaf, len(seen) == len(certs)
}
