package kmip

import "time"

// CertifyRequest asks the server to issue a certificate for a Public Key it
// manages (KMIP 1.4 section 4.7, 2.1 section 6.1.8). UniqueIdentifier names
// the public key; empty means the batch's ID Placeholder.
//
// The certificate request is either carried in the payload
// (CertificateRequestType and CertificateRequest: the Certificate Request
// of 1.x, the Certificate Request Value of 2.x) or, in 2.x only, named by
// CertificateRequestUniqueIdentifier, a stored Certificate Request object.
// Both are optional: without a request the server certifies the key under a
// subject of its choosing. Attributes are the new certificate's (1.x
// Template-Attribute, 2.x Attributes); TemplateNames exist in 1.x only.
type CertifyRequest struct {
	UniqueIdentifier                   string
	CertificateRequestUniqueIdentifier string // KMIP 2.x only
	CertificateRequestType             CertificateRequestType
	CertificateRequest                 []byte
	Attributes                         Attributes
	TemplateNames                      []Name // KMIP 1.x only
}

// CertifyResponse names the new certificate.
type CertifyResponse struct{ UniqueIdentifier string }

// ReCertifyRequest asks for a new certificate replacing an existing one,
// for the same public key (KMIP 1.4 section 4.8, 2.1 section 6.1.40).
// UniqueIdentifier names the existing Certificate; empty means the batch's
// ID Placeholder. Offset is the time between the new certificate's Initial
// Date and its Activation Date (nil when absent). The certificate request
// fields and Attributes are those of CertifyRequest.
type ReCertifyRequest struct {
	UniqueIdentifier                   string
	CertificateRequestUniqueIdentifier string // KMIP 2.x only
	CertificateRequestType             CertificateRequestType
	CertificateRequest                 []byte
	Offset                             *time.Duration
	Attributes                         Attributes
	TemplateNames                      []Name // KMIP 1.x only
}

// ReCertifyResponse names the new certificate.
type ReCertifyResponse struct{ UniqueIdentifier string }
