package handlers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

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
