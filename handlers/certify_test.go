package handlers

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// certifyHarness is a harness whose Service certifies with a real
// certs.Certifier: an ECDSA CA written as PEM files in a temporary
// directory. It returns the CA certificate too.
func certifyHarness(t *testing.T) (*harness, *x509.Certificate) {
	t.Helper()
	return certifyHarnessWith(t, certs.CertifyPolicy{})
}

// certifyHarnessWith is certifyHarness with a Certifier of policy.
func certifyHarnessWith(t *testing.T, policy certs.CertifyPolicy) (*harness, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "handlers test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour * 3650),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	certifier, err := certs.NewCertifier(certFile, keyFile, 0, policy)
	if err != nil {
		t.Fatal(err)
	}
	return newHarnessWith(t, func(c *Config) { c.Certifier = certifier }), certifier.CACertificate()
}

// certificate returns certificate id as Get returns it, parsed.
func (h *harness) certificate(v kmip.Version, id string) *x509.Certificate {
	h.t.Helper()
	resp := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
	if resp.ObjectType != kmip14.ObjectTypeCertificate || resp.Object.CertificateType != kmip14.CertificateTypeX_509 {
		h.t.Fatalf("Get %s: %v of type %v, want an X.509 Certificate", id, resp.ObjectType, resp.Object.CertificateType)
	}
	cert, err := x509.ParseCertificate(resp.Object.CertificateValue)
	if err != nil {
		h.t.Fatal(err)
	}
	return cert
}

// publicKey returns public key id as Get returns it in X.509 format.
func (h *harness) publicKey(v kmip.Version, id string) crypto.PublicKey {
	h.t.Helper()
	kb, err := h.get(v, id, kmip14.KeyFormatTypeX_509)
	if err != nil {
		h.t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(kb.Material)
	if err != nil {
		h.t.Fatal(err)
	}
	return pub
}

// checkIssued checks that ca verifies cert and that cert certifies pub.
func checkIssued(t *testing.T, ca, cert *x509.Certificate, pub crypto.PublicKey) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("the CA does not verify the certificate: %v", err)
	}
	if !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
		t.Error("the certificate does not carry the public key")
	}
}

// links returns the Links of object id, as "type id".
func (h *harness) links(v kmip.Version, id string) []kmip.Link {
	h.t.Helper()
	var out []kmip.Link
	for _, a := range h.attrs(v, alice, id).All(kmip.AttrLink) {
		out = append(out, a.Value.(kmip.Link))
	}
	return out
}

// csrFor returns a PKCS#10 request for cn (none when empty) signed by the private key priv
// that the server holds (Get in PKCS#8).
func (h *harness) csrFor(v kmip.Version, priv, cn string) []byte {
	h.t.Helper()
	kb, err := h.get(v, priv, kmip14.KeyFormatTypePKCS_8)
	if err != nil {
		h.t.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Material)
	if err != nil {
		h.t.Fatal(err)
	}
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn}}
	if cn == "" {
		tmpl = &x509.CertificateRequest{DNSNames: []string{"db.example.test"}}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key.(crypto.Signer))
	if err != nil {
		h.t.Fatal(err)
	}
	return der
}

func TestCertifyPublicKey(t *testing.T) {
	h, ca := certifyHarness(t)
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			_, pub := h.createPair(v, kmip14.CryptographicAlgorithmEC, 256)
			resp := h.must(v, alice, &kmip.CertifyRequest{
				UniqueIdentifier: pub,
				Attributes:       kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: "cert-" + v.String(), Type: kmip14.NameTypeUninterpretedTextString}}},
			}).(*kmip.CertifyResponse)
			cert := h.certificate(v, resp.UniqueIdentifier)
			checkIssued(t, ca, cert, h.publicKey(v, pub))
			if want := certs.DerivedSubject(alice, pub); cert.Subject.String() != want.String() {
				t.Errorf("subject %v, want %v: CN the key's Unique Identifier, OU the caller's hash", cert.Subject, want)
			}
			if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageEmailProtection {
				t.Errorf("extended key usage %v, want emailProtection alone", cert.ExtKeyUsage)
			}
			if !slices.Contains(h.links(v, pub), kmip.Link{Type: kmip14.LinkTypeCertificateLink, ID: resp.UniqueIdentifier}) {
				t.Errorf("public key links %v lack the Certificate Link", h.links(v, pub))
			}
			if got := linked(h.attrs(v, alice, resp.UniqueIdentifier), kmip14.LinkTypePublicKeyLink); got != pub {
				t.Errorf("certificate's Public Key Link %q, want %q", got, pub)
			}
			attrs := h.attrs(kmip.V2_1, alice, resp.UniqueIdentifier)
			if u, _ := enumValue(attrs.Get(kmip.AttrCertificateType)); kmip.CertificateType(u) != kmip14.CertificateTypeX_509 {
				t.Errorf("Certificate Type %v", attrs.Get(kmip.AttrCertificateType))
			}
			if cn := attrs.Get(kmip.AttrCertificateSubjectCN); cn != pub {
				t.Errorf("Certificate Subject CN %v, want %s", cn, pub)
			}
			if cn := attrs.Get(kmip.AttrCertificateIssuerCN); cn != ca.Subject.CommonName {
				t.Errorf("Certificate Issuer CN %v, want the CA's", cn)
			}
			if n, _ := attrs.Get(kmip.AttrName).(kmip.Name); n.Value != "cert-"+v.String() {
				t.Errorf("Name %v, want the request's", attrs.Get(kmip.AttrName))
			}
			// The certificate is the caller's only.
			_, err := h.do(v, bob, &kmip.GetRequest{UniqueIdentifier: resp.UniqueIdentifier})
			wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
		})
	}
}

// TestCertifyRequest: under the request subject policy a PKCS#10 request in
// the payload (DER or PEM) or stored as a Certificate Request object (2.x)
// gives the certificate its subject; one for another key, or with a broken
// signature, is refused.
func TestCertifyRequest(t *testing.T) {
	h, ca := certifyHarnessWith(t, certs.CertifyPolicy{Subject: certs.SubjectRequest, AltNames: []string{"dns"}})
	v := kmip.V2_1
	priv, pub := h.createPair(v, kmip14.CryptographicAlgorithmEC, 256)
	csr := h.csrFor(v, priv, "db-1.example.test")
	pemCSR := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})
	stored := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip.ObjectTypeCertificateRequest, Object: kmip.Object{
		Type: kmip.ObjectTypeCertificateRequest, CertificateRequestType: kmip14.CertificateRequestTypePKCS_10, CertificateRequestValue: csr,
	}}).(*kmip.RegisterResponse).UniqueIdentifier
	for name, p := range map[string]*kmip.CertifyRequest{
		"PKCS#10": {UniqueIdentifier: pub, CertificateRequestType: kmip14.CertificateRequestTypePKCS_10, CertificateRequest: csr},
		"PEM":     {UniqueIdentifier: pub, CertificateRequestType: kmip14.CertificateRequestTypePEM, CertificateRequest: pemCSR},
		"stored":  {UniqueIdentifier: pub, CertificateRequestUniqueIdentifier: stored},
	} {
		resp, err := h.do(v, alice, p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		cert := h.certificate(v, resp.(*kmip.CertifyResponse).UniqueIdentifier)
		checkIssued(t, ca, cert, h.publicKey(v, pub))
		if cert.Subject.CommonName != "db-1.example.test" || !slices.Equal(cert.DNSNames, []string{"db-1.example.test"}) {
			t.Errorf("%s: subject %v, names %v; want the request's", name, cert.Subject, cert.DNSNames)
		}
	}

	otherPriv, _ := h.createPair(v, kmip14.CryptographicAlgorithmEC, 256)
	broken := slices.Clone(csr)
	broken[len(broken)-3] ^= 0xff
	for name, bad := range map[string][]byte{"another key's": h.csrFor(v, otherPriv, "x"), "broken signature": broken} {
		for _, ver := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
			t.Run(name+"/"+ver.String(), func(t *testing.T) {
				_, err := h.do(ver, alice, &kmip.CertifyRequest{UniqueIdentifier: pub, CertificateRequestType: kmip14.CertificateRequestTypePKCS_10, CertificateRequest: bad})
				wantSent(t, ver, err, kmip.ReasonInvalidField, kmip.ReasonInvalidCSR)
			})
		}
	}
	_, err := h.do(v, alice, &kmip.CertifyRequest{UniqueIdentifier: pub, CertificateRequestType: kmip14.CertificateRequestTypeCRMF, CertificateRequest: []byte{0x30}})
	wantReason(t, err, kmip.ReasonFeatureNotSupported)
	// A stored request must be a Certificate Request.
	_, err = h.do(v, alice, &kmip.CertifyRequest{UniqueIdentifier: pub, CertificateRequestUniqueIdentifier: priv})
	wantReason(t, err, kmip.ReasonIllegalObjectType)
}

// TestCertifyDerivedSubjectPolicy: under the default policy a request for
// another client's subject is Permission Denied in every version, and one
// with an empty subject gets the derived subject without its DNS name.
func TestCertifyDerivedSubjectPolicy(t *testing.T) {
	h, _ := certifyHarness(t)
	for _, v := range []kmip.Version{kmip.V1_2, kmip.V1_4, kmip.V2_1} {
		priv, pub := h.createPair(v, kmip14.CryptographicAlgorithmEC, 256)
		_, err := h.do(v, alice, &kmip.CertifyRequest{UniqueIdentifier: pub, CertificateRequestType: kmip14.CertificateRequestTypePKCS_10,
			CertificateRequest: h.csrFor(v, priv, "bob")})
		wantReason(t, err, kmip.ReasonPermissionDenied)

		resp := h.must(v, alice, &kmip.CertifyRequest{UniqueIdentifier: pub, CertificateRequestType: kmip14.CertificateRequestTypePKCS_10,
			CertificateRequest: h.csrFor(v, priv, "")}).(*kmip.CertifyResponse)
		cert := h.certificate(v, resp.UniqueIdentifier)
		if want := certs.DerivedSubject(alice, pub); cert.Subject.String() != want.String() || len(cert.DNSNames) != 0 {
			t.Errorf("%v: subject %v names %v, want %v and no DNS name", v, cert.Subject, cert.DNSNames, want)
		}
	}
}

// TestCertifyIDPlaceholder: Certify without a Unique Identifier certifies
// the batch's ID Placeholder, and makes the certificate the next one.
func TestCertifyIDPlaceholder(t *testing.T) {
	h, _ := certifyHarness(t)
	v := kmip.V1_4
	_, pub := h.createPair(v, kmip14.CryptographicAlgorithmEC, 256)
	batch := &kmip.BatchState{IDPlaceholder: pub}
	item := h.batch(v, alice, batch)
	serve := func(payload any) any {
		resp, err := item(payload)
		if err != nil {
			t.Fatalf("%T: %v", payload, err)
		}
		return resp
	}
	certID := serve(&kmip.CertifyRequest{}).(*kmip.CertifyResponse).UniqueIdentifier
	got := serve(&kmip.GetRequest{}).(*kmip.GetResponse)
	if got.UniqueIdentifier != certID || got.ObjectType != kmip14.ObjectTypeCertificate {
		t.Errorf("Get with the ID Placeholder returned %s (%v), want certificate %s", got.UniqueIdentifier, got.ObjectType, certID)
	}
}

func TestReCertify(t *testing.T) {
	h, ca := certifyHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			_, pub := h.createPair(v, kmip14.CryptographicAlgorithmEC, 256)
			old := h.must(v, alice, &kmip.CertifyRequest{
				UniqueIdentifier: pub,
				Attributes:       kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: "web-" + v.String(), Type: kmip14.NameTypeUninterpretedTextString}}},
			}).(*kmip.CertifyResponse).UniqueIdentifier
			offset := time.Hour
			renewed := h.must(v, alice, &kmip.ReCertifyRequest{UniqueIdentifier: old, Offset: &offset}).(*kmip.ReCertifyResponse).UniqueIdentifier

			oldCert, newCert := h.certificate(v, old), h.certificate(v, renewed)
			checkIssued(t, ca, newCert, h.publicKey(v, pub))
			if newCert.Subject.String() != oldCert.Subject.String() || newCert.SerialNumber.Cmp(oldCert.SerialNumber) == 0 {
				t.Errorf("renewed certificate: subject %v serial %v; old %v %v", newCert.Subject, newCert.SerialNumber, oldCert.Subject, oldCert.SerialNumber)
			}
			if got := linked(h.attrs(v, alice, old), kmip14.LinkTypeReplacementObjectLink); got != renewed {
				t.Errorf("old certificate's Replacement Object Link %q, want %q", got, renewed)
			}
			newAttrs := h.attrs(v, alice, renewed)
			if got := linked(newAttrs, kmip14.LinkTypeReplacedObjectLink); got != old {
				t.Errorf("new certificate's Replaced Object Link %q, want %q", got, old)
			}
			if got := linked(newAttrs, kmip14.LinkTypePublicKeyLink); got != pub {
				t.Errorf("new certificate's Public Key Link %q, want %q", got, pub)
			}
			var certLinks []string
			for _, l := range h.links(v, pub) {
				if l.Type == kmip14.LinkTypeCertificateLink {
					certLinks = append(certLinks, l.ID)
				}
			}
			if !slices.Equal(certLinks, []string{renewed}) {
				t.Errorf("public key's Certificate Links %v, want only the new certificate %s", certLinks, renewed)
			}
			if n, _ := newAttrs.Get(kmip.AttrName).(kmip.Name); n.Value != "web-"+v.String() || h.attrs(v, alice, old).Has(kmip.AttrName) {
				t.Error("the Name did not move to the new certificate")
			}
			if got, want := newAttrs.Time(kmip.AttrActivationDate), newAttrs.Time(kmip.AttrInitialDate).Add(offset); !got.Equal(want) {
				t.Errorf("Activation Date %v, want Initial Date + Offset %v", got, want)
			}
		})
	}
}

func TestCertifyRefusals(t *testing.T) {
	h, _ := certifyHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		priv, pub := h.createPair(v, kmip14.CryptographicAlgorithmEC, 256)

		_, err := h.do(v, bob, &kmip.CertifyRequest{UniqueIdentifier: pub})
		wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)

		for _, id := range []string{h.createAES(v, alice, 256), priv} {
			_, err = h.do(v, alice, &kmip.CertifyRequest{UniqueIdentifier: id})
			wantSent(t, v, err, kmip.ReasonInvalidField, kmip.ReasonIllegalObjectType)
		}
		_, err = h.do(v, alice, &kmip.ReCertifyRequest{UniqueIdentifier: pub})
		wantSent(t, v, err, kmip.ReasonInvalidField, kmip.ReasonIllegalObjectType)

		cert := h.must(v, alice, &kmip.CertifyRequest{UniqueIdentifier: pub}).(*kmip.CertifyResponse).UniqueIdentifier
		_, err = h.do(v, bob, &kmip.ReCertifyRequest{UniqueIdentifier: cert})
		wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)

		h.must(v, alice, &kmip.RevokeRequest{UniqueIdentifier: pub, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeKeyCompromise}})
		for _, p := range []any{&kmip.CertifyRequest{UniqueIdentifier: pub}, &kmip.ReCertifyRequest{UniqueIdentifier: cert}} {
			_, err = h.do(v, alice, p)
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
		}
	}
}

// TestCertifyWithoutCertifier: a server without a CA neither lists nor
// performs Certify and ReCertify; one with a CA lists both in every version.
func TestCertifyWithoutCertifier(t *testing.T) {
	plain := newHarness(t)
	_, pub := plain.createPair(kmip.V2_1, kmip14.CryptographicAlgorithmEC, 256)
	_, err := plain.do(kmip.V2_1, alice, &kmip.CertifyRequest{UniqueIdentifier: pub})
	wantReason(t, err, kmip.ReasonOperationNotSupported)
	_, err = plain.do(kmip.V1_4, alice, &kmip.ReCertifyRequest{UniqueIdentifier: pub})
	wantReason(t, err, kmip.ReasonOperationNotSupported)

	certifying, _ := certifyHarness(t)
	query := &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_1} {
		ops := plain.must(v, alice, query).(*kmip.QueryResponse).Operations
		if slices.Contains(ops, kmip14.OperationCertify) || slices.Contains(ops, kmip14.OperationReCertify) {
			t.Errorf("%v: a server without a CA lists Certify or ReCertify", v)
		}
		ops = certifying.must(v, alice, query).(*kmip.QueryResponse).Operations
		if !slices.Contains(ops, kmip14.OperationCertify) || !slices.Contains(ops, kmip14.OperationReCertify) {
			t.Errorf("%v: a server with a CA does not list Certify and ReCertify", v)
		}
	}
}

// TestCertifyOverTLS: a kmip.Client certifies a key pair's public key over
// loopback mutual TLS, then renews the certificate and Gets the renewal
// through the ID Placeholder in the same batch: the codec carries Certify
// and ReCertify both ways in 1.x and 2.x.
func TestCertifyOverTLS(t *testing.T) {
	h, ca := certifyHarness(t)
	addr, cfg := serveTLS(t, h)
	ctx := context.Background()
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			c, err := kmip.Dial(ctx, addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Version = v
			pair, err := c.Do(ctx, kmip14.OperationCreateKeyPair, &kmip.CreateKeyPairRequest{CommonAttributes: kmip.Attributes{
				{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmEC},
				{Name: kmip.AttrCryptographicLength, Value: int32(256)},
			}})
			if err != nil {
				t.Fatal(err)
			}
			pub := pair.(*kmip.CreateKeyPairResponse).PublicKeyUniqueIdentifier
			name := kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: "tls-" + v.String(), Type: kmip14.NameTypeUninterpretedTextString}}}
			certified, err := c.Do(ctx, kmip14.OperationCertify, &kmip.CertifyRequest{UniqueIdentifier: pub, Attributes: name})
			if err != nil {
				t.Fatal(err)
			}
			old := certified.(*kmip.CertifyResponse).UniqueIdentifier
			resp, err := c.DoBatch(ctx, []kmip.RequestItem{
				{Operation: kmip14.OperationReCertify, Payload: &kmip.ReCertifyRequest{UniqueIdentifier: old}},
				{Operation: kmip14.OperationGet, Payload: &kmip.GetRequest{}},
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range resp.Items {
				if it.Status != kmip14.ResultStatusSuccess {
					t.Fatalf("%v: %v %s", it.Operation, it.Reason, it.Message)
				}
			}
			renewed := resp.Items[0].Payload.(*kmip.ReCertifyResponse).UniqueIdentifier
			got := resp.Items[1].Payload.(*kmip.GetResponse)
			if renewed == old || got.UniqueIdentifier != renewed {
				t.Fatalf("ReCertify gave %s (old %s), Get returned %s", renewed, old, got.UniqueIdentifier)
			}
			cert, err := x509.ParseCertificate(got.Object.CertificateValue)
			if err != nil {
				t.Fatal(err)
			}
			key, err := c.Do(ctx, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: pub, KeyFormatType: kmip14.KeyFormatTypeX_509})
			if err != nil {
				t.Fatal(err)
			}
			pk, err := x509.ParsePKIXPublicKey(key.(*kmip.GetResponse).Object.KeyBlock.Material)
			if err != nil {
				t.Fatal(err)
			}
			checkIssued(t, ca, cert, pk)
		})
	}
}
