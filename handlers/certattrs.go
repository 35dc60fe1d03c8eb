package handlers

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

// Attributes the server derives from a registered X.509 certificate.
//
// The certificate is read with a parser of its own, not x509.ParseCertificate:
// the standard library refuses a whole certificate whose public key it cannot
// use (secp256k1, Brainpool), and the names, serial number and algorithms of
// such a certificate are still the attributes the client expects (the KMIP
// 2.0 Test Case TC-ECC-3 registers a secp256k1 certificate).

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

// x509Certificate is the part of an X.509 certificate (RFC 5280 section
// 4.1) the attributes come from.
type x509Certificate struct {
	TBS struct {
		Version            int `asn1:"optional,explicit,default:0,tag:0"`
		SerialNumber       asn1.RawValue
		SignatureAlgorithm pkix.AlgorithmIdentifier
		Issuer             asn1.RawValue
		Validity           asn1.RawValue
		Subject            asn1.RawValue
		PublicKey          struct {
			Algorithm pkix.AlgorithmIdentifier
			Key       asn1.BitString
		}
		IssuerUniqueID  asn1.BitString   `asn1:"optional,tag:1"`
		SubjectUniqueID asn1.BitString   `asn1:"optional,tag:2"`
		Extensions      []pkix.Extension `asn1:"optional,explicit,tag:3"`
	}
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

var (
	oidRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidDSA     = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidECPublc = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
)

// curveBits gives the size of the named curves (RFC 5480, SEC 2, RFC 5639)
// a certificate's EC public key may name.
var curveBits = map[string]int32{
	"1.2.840.10045.3.1.1":   192, // P-192
	"1.3.132.0.33":          224, // P-224
	"1.2.840.10045.3.1.7":   256, // P-256
	"1.3.132.0.34":          384, // P-384
	"1.3.132.0.35":          521, // P-521
	"1.3.132.0.10":          256, // secp256k1
	"1.3.36.3.3.2.8.1.1.7":  256, // brainpoolP256r1
	"1.3.36.3.3.2.8.1.1.11": 384, // brainpoolP384r1
	"1.3.36.3.3.2.8.1.1.13": 512, // brainpoolP512r1
}

// certSignatureAlgorithms maps a certificate's signature algorithm to the
// Digital Signature Algorithm enumeration (KMIP 1.4 section 9.1.3.2.7).
var certSignatureAlgorithms = map[string]kmip14.DigitalSignatureAlgorithm{
	"1.2.840.113549.1.1.2":    kmip14.DigitalSignatureAlgorithmMD2WithRSAEncryption,
	"1.2.840.113549.1.1.4":    kmip14.DigitalSignatureAlgorithmMD5WithRSAEncryption,
	"1.2.840.113549.1.1.5":    kmip14.DigitalSignatureAlgorithmSHA_1WithRSAEncryption,
	"1.2.840.113549.1.1.14":   kmip14.DigitalSignatureAlgorithmSHA_224WithRSAEncryption,
	"1.2.840.113549.1.1.11":   kmip14.DigitalSignatureAlgorithmSHA_256WithRSAEncryption,
	"1.2.840.113549.1.1.12":   kmip14.DigitalSignatureAlgorithmSHA_384WithRSAEncryption,
	"1.2.840.113549.1.1.13":   kmip14.DigitalSignatureAlgorithmSHA_512WithRSAEncryption,
	"1.2.840.113549.1.1.10":   kmip14.DigitalSignatureAlgorithmRSASSA_PSS,
	"1.2.840.10040.4.3":       kmip14.DigitalSignatureAlgorithmDSAWithSHA_1,
	"2.16.840.1.101.3.4.3.1":  kmip14.DigitalSignatureAlgorithmDSAWithSHA224,
	"2.16.840.1.101.3.4.3.2":  kmip14.DigitalSignatureAlgorithmDSAWithSHA256,
	"1.2.840.10045.4.1":       kmip14.DigitalSignatureAlgorithmECDSAWithSHA_1,
	"1.2.840.10045.4.3.1":     kmip14.DigitalSignatureAlgorithmECDSAWithSHA224,
	"1.2.840.10045.4.3.2":     kmip14.DigitalSignatureAlgorithmECDSAWithSHA256,
	"1.2.840.10045.4.3.3":     kmip14.DigitalSignatureAlgorithmECDSAWithSHA384,
	"1.2.840.10045.4.3.4":     kmip14.DigitalSignatureAlgorithmECDSAWithSHA512,
	"2.16.840.1.101.3.4.3.14": kmip14.DigitalSignatureAlgorithmSHA3_256WithRSAEncryption,
	"2.16.840.1.101.3.4.3.15": kmip14.DigitalSignatureAlgorithmSHA3_384WithRSAEncryption,
	"2.16.840.1.101.3.4.3.16": kmip14.DigitalSignatureAlgorithmSHA3_512WithRSAEncryption,
}

// certificateAttributes returns the attributes the server derives from an
// X.509 certificate:
//   - the X.509 Certificate Identifier, Subject and Issuer (KMIP 1.1 on;
//     KMIP 2.0 keeps them), and in KMIP 1.0 form the Certificate
//     Identifier, Subject and Issuer (deprecated in 1.1, removed in 2.0);
//   - the components of its subject and issuer names (KMIP 2.x Certificate
//     Subject CN, Certificate Issuer O...; the first value of each, as the
//     attributes take one);
//   - the Digital Signature Algorithm it is signed with, and the
//     Cryptographic Algorithm and Length of its public key.
//
// A certificate that does not parse as X.509, or of another type, yields
// none: it is kept as given.
func certificateAttributes(obj *kmip.Object) kmip.Attributes {
	if obj.CertificateType != kmip14.CertificateTypeX_509 {
		return nil
	}
	var cert x509Certificate
	if rest, err := asn1.Unmarshal(obj.CertificateValue, &cert); err != nil || len(rest) != 0 {
		return nil
	}
	var issuer, subject pkix.RDNSequence
	if _, err := asn1.Unmarshal(cert.TBS.Issuer.FullBytes, &issuer); err != nil {
		return nil
	}
	if _, err := asn1.Unmarshal(cert.TBS.Subject.FullBytes, &subject); err != nil {
		return nil
	}
	var issuerName, subjectName pkix.Name
	issuerName.FillFromRDNSequence(&issuer)
	subjectName.FillFromRDNSequence(&subject)

	out := x509IdentityAttributes(&cert, issuerName, subjectName)
	for _, c := range dnAttributes {
		if v, ok := dnValue(subjectName.Names, c.oid); ok {
			out = append(out, kmip.Attribute{Name: c.subject, Value: v})
		}
		if v, ok := dnValue(issuerName.Names, c.oid); ok {
			out = append(out, kmip.Attribute{Name: c.issuer, Value: v})
		}
	}
	if alg, ok := certSignatureAlgorithms[cert.SignatureAlgorithm.Algorithm.String()]; ok {
		out = append(out, kmip.Attribute{Name: kmip.AttrDigitalSignatureAlgorithm, Value: uint32(alg)})
	}
	if alg, bits, ok := publicKeyAlgorithm(&cert); ok {
		out = append(out,
			kmip.Attribute{Name: kmip.AttrCryptographicAlgorithm, Value: alg},
			kmip.Attribute{Name: kmip.AttrCryptographicLength, Value: bits})
	}
	return out
}

// x509IdentityAttributes returns the X.509 Certificate Identifier, Subject
// and Issuer structures and their KMIP 1.0 forms.
//
// The Certificate Serial Number is the DER encoding of the serial number
// INTEGER, tag and length included. KMIP 1.4 section 3.13 only says "Byte
// String"; the OASIS cases (TC-CERTATTR-1-20, TC-ECC-3-20) show the DER
// form, so that is what is returned. The 1.0 Certificate Identifier takes
// the serial number as text: its decimal form.
func x509IdentityAttributes(cert *x509Certificate, issuer, subject pkix.Name) kmip.Attributes {
	issuerDN, subjectDN := cert.TBS.Issuer.FullBytes, cert.TBS.Subject.FullBytes
	serialDER := cert.TBS.SerialNumber.FullBytes
	var serialText string
	var serial *big.Int
	if _, err := asn1.Unmarshal(serialDER, &serial); err == nil {
		serialText = serial.String()
	}
	out := kmip.Attributes{
		{Name: kmip.AttrX509CertificateIdentifier, Value: structure(kmip14.TagX_509CertificateIdentifier,
			byteString(kmip14.TagIssuerDistinguishedName, issuerDN),
			byteString(kmip14.TagCertificateSerialNumber, serialDER))},
		{Name: kmip.AttrX509CertificateSubject, Value: structure(kmip14.TagX_509CertificateSubject,
			byteString(kmip14.TagSubjectDistinguishedName, subjectDN))},
		{Name: kmip.AttrX509CertificateIssuer, Value: structure(kmip14.TagX_509CertificateIssuer,
			byteString(kmip14.TagIssuerDistinguishedName, issuerDN))},
		{Name: kmip.AttrCertificateSubject, Value: structure(kmip14.TagCertificateSubject,
			textString(kmip14.TagCertificateSubjectDistinguishedName, subject.String()))},
		{Name: kmip.AttrCertificateIssuer, Value: structure(kmip14.TagCertificateIssuer,
			textString(kmip14.TagCertificateIssuerDistinguishedName, issuer.String()))},
	}
	if serialText != "" {
		out = append(out, kmip.Attribute{Name: kmip.AttrCertificateIdentifier, Value: structure(kmip14.TagCertificateIdentifier,
			textString(kmip14.TagIssuer, issuer.String()),
			textString(kmip14.TagSerialNumber, serialText))})
	}
	return out
}

// publicKeyAlgorithm returns the Cryptographic Algorithm and Length of a
// certificate's public key: RSA by its modulus, EC by its named curve.
func publicKeyAlgorithm(cert *x509Certificate) (kmip.CryptographicAlgorithm, int32, bool) {
	spki := cert.TBS.PublicKey
	switch alg := spki.Algorithm.Algorithm; {
	case alg.Equal(oidRSA):
		pub, err := x509.ParsePKCS1PublicKey(spki.Key.RightAlign())
		if err != nil {
			return 0, 0, false
		}
		return kmip14.CryptographicAlgorithmRSA, int32(pub.N.BitLen()), true
	case alg.Equal(oidECPublc):
		var curve asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(spki.Algorithm.Parameters.FullBytes, &curve); err != nil {
			return 0, 0, false
		}
		bits, ok := curveBits[curve.String()]
		return kmip14.CryptographicAlgorithmEC, bits, ok
	case alg.Equal(oidDSA):
		return kmip14.CryptographicAlgorithmDSA, 0, false
	}
	return 0, 0, false
}

// structure encodes a Structure of the given fields as a TTLV value, the
// form the attribute codec keeps for structures it has no Go type for.
func structure(tag ttlv.Tag, fields ...func(*ttlv.Encoder)) ttlv.TTLV {
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	_ = e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		for _, f := range fields {
			f(e)
		}
		return nil
	})
	_ = e.Flush()
	return ttlv.TTLV(buf.Bytes())
}

func byteString(tag ttlv.Tag, b []byte) func(*ttlv.Encoder) {
	return func(e *ttlv.Encoder) { e.EncodeByteString(tag, b) }
}

func textString(tag ttlv.Tag, s string) func(*ttlv.Encoder) {
	return func(e *ttlv.Encoder) { e.EncodeTextString(tag, s) }
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
