package handlers

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// dnAttributes maps X.509 distinguished name components, by attribute type,
// to the KMIP 2.x Certificate Subject and Certificate Issuer attributes.
var dnAttributes = []struct {
	oid             asn1.ObjectIdentifier
	subject, issuer string
}{
	{asn1.ObjectIdentifier{2, 5, 4, 3}, kmip.AttrCertificateSubjectCN, kmip.AttrCertificateIssuerCN},
	{asn1.ObjectIdentifier{2, 5, 4, 10}, kmip.AttrCertificateSubjectO, kmip.AttrCertificateIssuerO},
	{asn1.ObjectIdentifier{2, 5, 4, 11}, kmip.AttrCertificateSubjectOU, kmip.AttrCertificateIssuerOU},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, kmip.AttrCertificateSubjectEmail, kmip.AttrCertificateIssuerEmail},
	{asn1.ObjectIdentifier{2, 5, 4, 6}, kmip.AttrCertificateSubjectC, kmip.AttrCertificateIssuerC},
	{asn1.ObjectIdentifier{2, 5, 4, 8}, kmip.AttrCertificateSubjectST, kmip.AttrCertificateIssuerST},
	{asn1.ObjectIdentifier{2, 5, 4, 7}, kmip.AttrCertificateSubjectL, kmip.AttrCertificateIssuerL},
	{asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}, kmip.AttrCertificateSubjectUID, kmip.AttrCertificateIssuerUID},
	{asn1.ObjectIdentifier{2, 5, 4, 5}, kmip.AttrCertificateSubjectSerialNumber, kmip.AttrCertificateIssuerSerialNumber},
	{asn1.ObjectIdentifier{2, 5, 4, 12}, kmip.AttrCertificateSubjectTitle, kmip.AttrCertificateIssuerTitle},
	{asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, kmip.AttrCertificateSubjectDC, kmip.AttrCertificateIssuerDC},
	{asn1.ObjectIdentifier{2, 5, 4, 46}, kmip.AttrCertificateSubjectDNQualifier, kmip.AttrCertificateIssuerDNQualifier},
}

// certificateAttributes returns the attributes the server derives from an
// X.509 certificate: the components of its subject and issuer names (the
// first value of each, as the attributes take one). A certificate that does
// not parse as X.509, or of another type, yields none: it is kept as given.
func certificateAttributes(obj *kmip.Object) kmip.Attributes {
	if obj.CertificateType != kmip14.CertificateTypeX_509 {
		return nil
	}
	cert, err := x509.ParseCertificate(obj.CertificateValue)
	if err != nil {
		return nil
	}
	var out kmip.Attributes
	for _, c := range dnAttributes {
		if v, ok := dnValue(cert.Subject.Names, c.oid); ok {
			out = append(out, kmip.Attribute{Name: c.subject, Value: v})
		}
		if v, ok := dnValue(cert.Issuer.Names, c.oid); ok {
			out = append(out, kmip.Attribute{Name: c.issuer, Value: v})
		}
	}
	return out
}

// dnValue returns the first value of type oid among a name's components.
func dnValue(names []pkix.AttributeTypeAndValue, oid asn1.ObjectIdentifier) (string, bool) {
	for _, n := range names {
		if n.Type.Equal(oid) {
			return fmt.Sprint(n.Value), true
		}
	}
	return "", false
}
