package handlers

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

func TestRegisterCertificateDerivesNameAttributes(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "db01", Organization: []string{"Example"}, Country: []string{"DE"}},
		NotBefore:    time.Now(), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	resp := h.must(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeCertificate, Object: kmip.Object{
		Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: der,
	}}).(*kmip.RegisterResponse)
	attrs := h.attrs(kmip.V2_1, alice, resp.UniqueIdentifier)
	for name, want := range map[string]any{
		kmip.AttrCertificateSubjectCN: "db01", kmip.AttrCertificateSubjectO: "Example", kmip.AttrCertificateSubjectC: "DE",
		kmip.AttrCertificateIssuerCN: "db01", kmip.AttrCertificateLength: int32(len(der)),
	} {
		if got := attrs.Get(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if attrs.Has(kmip.AttrCertificateSubjectOU) {
		t.Error("Certificate Subject OU set for a subject without OU")
	}
	// A client may not change what the certificate says.
	_, err = h.do(kmip.V2_1, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: resp.UniqueIdentifier,
		Attribute: kmip.Attribute{Name: kmip.AttrCertificateSubjectCN, Value: "other"}})
	wantReason(t, err, kmip.ReasonAttributeReadOnly)
}

// TestCertificateAttributesFromKey checks the identity and algorithm
// attributes derived from certificates the standard library makes, against
// what the standard library reads from them, and from a certificate whose
// curve (secp256k1) crypto/x509 refuses to parse.
func TestCertificateAttributesFromKey(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x3132333435363738),
		Subject:      pkix.Name{CommonName: "EE", Organization: []string{"Kmip Test"}, Country: []string{"AU"}},
		NotBefore:    time.Now(), NotAfter: time.Now().Add(time.Hour),
	}
	issuer := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "Inter"}}
	rsaDER, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &rsaKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := x509.ParseCertificate(rsaDER)
	if err != nil {
		t.Fatal(err)
	}
	serialDER, _ := asn1.Marshal(parsed.SerialNumber)

	attrs := certificateAttributes(&kmip.Object{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: rsaDER})
	for name, want := range map[string]any{
		kmip.AttrCryptographicAlgorithm:    kmip14.CryptographicAlgorithmRSA,
		kmip.AttrCryptographicLength:       int32(2048),
		kmip.AttrDigitalSignatureAlgorithm: uint32(kmip14.DigitalSignatureAlgorithmECDSAWithSHA256),
		kmip.AttrCertificateIssuerCN:       "Inter",
		kmip.AttrCertificateSubjectO:       "Kmip Test",
	} {
		if got := attrs.Get(name); got != want {
			t.Errorf("%s = %v (%T), want %v", name, got, got, want)
		}
	}
	var id struct {
		IssuerDistinguishedName []byte
		CertificateSerialNumber []byte
	}
	raw, _ := attrs.Get(kmip.AttrX509CertificateIdentifier).(ttlv.TTLV)
	if err := ttlv.Unmarshal(raw, &id); err != nil {
		t.Fatalf("X.509 Certificate Identifier %v: %v", raw, err)
	}
	if !bytes.Equal(id.IssuerDistinguishedName, parsed.RawIssuer) || !bytes.Equal(id.CertificateSerialNumber, serialDER) {
		t.Errorf("X.509 Certificate Identifier = %x / %x, want issuer %x and serial %x", id.IssuerDistinguishedName, id.CertificateSerialNumber, parsed.RawIssuer, serialDER)
	}
	var legacy struct{ Issuer, SerialNumber string }
	raw, _ = attrs.Get(kmip.AttrCertificateIdentifier).(ttlv.TTLV)
	if err := ttlv.Unmarshal(raw, &legacy); err != nil {
		t.Fatalf("Certificate Identifier %v: %v", raw, err)
	}
	if legacy.Issuer != parsed.Issuer.String() || legacy.SerialNumber != parsed.SerialNumber.String() {
		t.Errorf("Certificate Identifier = %+v, want %s / %s", legacy, parsed.Issuer, parsed.SerialNumber)
	}

	// The same certificate with its key on secp256k1 (SEC 2, OID
	// 1.3.132.0.10): crypto/x509 refuses it, its attributes are still read.
	ecDER, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	var cert x509Certificate
	if _, err := asn1.Unmarshal(ecDER, &cert); err != nil {
		t.Fatal(err)
	}
	cert.TBS.PublicKey.Algorithm.Parameters.FullBytes, _ = asn1.Marshal(asn1.ObjectIdentifier{1, 3, 132, 0, 10})
	k1DER, err := asn1.Marshal(cert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParseCertificate(k1DER); err == nil {
		t.Fatal("crypto/x509 parses a secp256k1 certificate: the test no longer shows the point")
	}
	attrs = certificateAttributes(&kmip.Object{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: k1DER})
	if attrs.Get(kmip.AttrCryptographicAlgorithm) != kmip14.CryptographicAlgorithmEC || attrs.Get(kmip.AttrCryptographicLength) != int32(256) ||
		attrs.Get(kmip.AttrCertificateSubjectCN) != "EE" {
		t.Errorf("secp256k1 certificate attributes: %v", attrs)
	}

	// Each version sees its own forms: 1.0 the Certificate Identifier, 2.x
	// the X.509 ones and the name components.
	h := newHarness(t)
	resp := h.must(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeCertificate, Object: kmip.Object{
		Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: rsaDER,
	}}).(*kmip.RegisterResponse)
	for _, tc := range []struct {
		v             kmip.Version
		want, notWant []string
	}{
		{kmip.V1_0, []string{kmip.AttrCertificateIdentifier, kmip.AttrCertificateIssuer}, []string{kmip.AttrX509CertificateIdentifier, kmip.AttrCertificateIssuerCN, kmip.AttrDigitalSignatureAlgorithm}},
		{kmip.V1_4, []string{kmip.AttrX509CertificateIdentifier, kmip.AttrDigitalSignatureAlgorithm}, []string{kmip.AttrCertificateIssuerCN}},
		{kmip.V2_0, []string{kmip.AttrX509CertificateIdentifier, kmip.AttrCertificateIssuerCN, kmip.AttrCryptographicLength}, []string{kmip.AttrCertificateIdentifier, kmip.AttrCertificateIssuer}},
	} {
		all := h.attrs(tc.v, alice, resp.UniqueIdentifier)
		for _, name := range tc.want {
			if !all.Has(name) {
				t.Errorf("%v: all attributes lack %s", tc.v, name)
			}
		}
		for _, name := range tc.notWant {
			if all.Has(name) {
				t.Errorf("%v: all attributes hold %s", tc.v, name)
			}
		}
	}
}

// TestLocateByX509CertificateIdentifier finds a certificate by the
// identifier derived from it, given as a 2.x client gives it (under the
// attribute's own tag; the stored value is under Attribute Value), and
// nothing by another serial number.
func TestLocateByX509CertificateIdentifier(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "tape-1"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	h := newHarness(t)
	id := h.must(kmip.V2_0, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeCertificate, Object: kmip.Object{
		Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: der,
	}}).(*kmip.RegisterResponse).UniqueIdentifier
	for serial, want := range map[int64]int{77: 1, 78: 0} {
		serialDER, _ := asn1.Marshal(big.NewInt(serial))
		filter := structure(kmip14.TagX_509CertificateIdentifier,
			byteString(kmip14.TagIssuerDistinguishedName, cert.RawIssuer),
			byteString(kmip14.TagCertificateSerialNumber, serialDER))
		got := h.must(kmip.V2_0, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrX509CertificateIdentifier, Value: filter}}}).(*kmip.LocateResponse)
		if len(got.UniqueIdentifiers) != want || (want == 1 && got.UniqueIdentifiers[0] != id) {
			t.Errorf("Locate by serial %d: %v, want %d object(s)", serial, got.UniqueIdentifiers, want)
		}
	}
}
