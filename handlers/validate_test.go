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

// testChain is a root CA, an intermediate CA and a leaf it issued, valid
// from notBefore for a year.
type testChain struct{ root, inter, leaf *x509.Certificate }

func newTestChain(t *testing.T, notBefore time.Time) testChain {
	t.Helper()
	issue := func(cn string, ca bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0),
			BasicConstraintsValid: true, IsCA: ca,
		}
		if ca {
			tmpl.KeyUsage = x509.KeyUsageCertSign
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, key
	}
	root, rootKey := issue("root", true, nil, nil)
	inter, interKey := issue("intermediate", true, root, rootKey)
	leaf, _ := issue("leaf", false, inter, interKey)
	return testChain{root, inter, leaf}
}

func certObjects(cs ...*x509.Certificate) []kmip.Object {
	out := make([]kmip.Object, len(cs))
	for i, c := range cs {
		out[i] = kmip.Object{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: c.Raw}
	}
	return out
}

func TestValidateChain(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newTestChain(t, start)
	other := newTestChain(t, start)
	anchors := x509.NewCertPool()
	anchors.AddCert(c.root)
	anchored := newHarnessWith(t, func(cfg *Config) { cfg.TrustAnchors = anchors })
	bare := newHarness(t)

	validate := func(h *harness, who string, p *kmip.ValidateRequest) kmip.ValidityIndicator {
		t.Helper()
		return h.must(kmip.V2_1, who, p).(*kmip.ValidateResponse).ValidityIndicator
	}
	later := start.AddDate(2, 0, 0)
	for _, tc := range []struct {
		name  string
		certs []*x509.Certificate
		date  time.Time
		bare  kmip.ValidityIndicator // without trust anchors
		want  kmip.ValidityIndicator // with c.root as the trust anchor
	}{
		{"the whole chain", []*x509.Certificate{c.leaf, c.inter, c.root}, time.Time{}, kmip.Unknown, kmip.Valid},
		{"in any order", []*x509.Certificate{c.root, c.leaf, c.inter}, time.Time{}, kmip.Unknown, kmip.Valid},
		{"without the anchor", []*x509.Certificate{c.leaf, c.inter}, time.Time{}, kmip.Unknown, kmip.Valid},
		{"without the intermediate", []*x509.Certificate{c.leaf, c.root}, time.Time{}, kmip.Invalid, kmip.Invalid},
		{"after the certificates expired", []*x509.Certificate{c.leaf, c.inter, c.root}, later, kmip.Invalid, kmip.Invalid},
		{"under another root", []*x509.Certificate{other.leaf, other.inter, other.root}, time.Time{}, kmip.Unknown, kmip.Unknown},
		{"with a certificate of another chain", []*x509.Certificate{c.leaf, c.inter, other.leaf}, time.Time{}, kmip.Invalid, kmip.Invalid},
		{"the intermediate alone", []*x509.Certificate{c.inter}, time.Time{}, kmip.Unknown, kmip.Valid},
	} {
		p := &kmip.ValidateRequest{Certificates: certObjects(tc.certs...), ValidityDate: tc.date}
		if got := validate(bare, alice, p); got != tc.bare {
			t.Errorf("%s, no trust anchor: %v, want %v", tc.name, got, tc.bare)
		}
		if got := validate(anchored, alice, p); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// The harness clock is 2026-01-02: the chain is valid then.
	bad := certObjects(c.leaf)
	bad[0].CertificateValue = []byte("not a certificate")
	if got := validate(anchored, alice, &kmip.ValidateRequest{Certificates: bad}); got != kmip.Invalid {
		t.Errorf("an unparsable certificate: %v, want Invalid", got)
	}

	// A managed Certificate joins the chain by its identifier, only for
	// the client that may use it.
	reg := anchored.must(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeCertificate, Object: certObjects(c.inter)[0]})
	id := reg.(*kmip.RegisterResponse).UniqueIdentifier
	if got := validate(anchored, alice, &kmip.ValidateRequest{Certificates: certObjects(c.leaf), UniqueIdentifiers: []string{id}}); got != kmip.Valid {
		t.Errorf("the leaf with the registered intermediate: %v, want Valid", got)
	}
	_, err := anchored.do(kmip.V2_1, bob, &kmip.ValidateRequest{Certificates: certObjects(c.leaf), UniqueIdentifiers: []string{id}})
	wantReason(t, err, kmip.ReasonObjectNotFound)
	key := anchored.createAES(kmip.V2_1, alice, 128)
	_, err = anchored.do(kmip.V2_1, alice, &kmip.ValidateRequest{UniqueIdentifiers: []string{key}})
	wantReason(t, err, kmip.ReasonInvalidObjectType)

	long := make([]*x509.Certificate, maxChain+1)
	for i := range long {
		long[i] = c.leaf
	}
	_, err = bare.do(kmip.V2_1, alice, &kmip.ValidateRequest{Certificates: certObjects(long...)})
	wantReason(t, err, kmip.ReasonInvalidField)
}
