package handlers

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/kmipd/kmipd/kmip"
)

// pkcs12Fixture is what TC-PKCS12-1-20 registers: a password, a private
// key linked to it and to its certificate, and the certificate linked to
// its issuer's.
type pkcs12Fixture struct {
	password, key, leaf, ca string
	leafDER, caDER          []byte
	keyDER                  []byte // PKCS#8
}

// registerPassword registers password as who's Secret Data of type
// Password, Active when active.
func (h *harness) registerPassword(v kmip.Version, who, password string, active bool) string {
	h.t.Helper()
	attrs := kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskDeriveKey)}}
	if active {
		attrs = append(attrs, kmip.Attribute{Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)})
	}
	return h.must(v, who, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Attributes: attrs, Object: kmip.Object{
		Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte(password)},
	}}).(*kmip.RegisterResponse).UniqueIdentifier
}

func (h *harness) registerCertificate(v kmip.Version, who string, der []byte, extra ...kmip.Attribute) string {
	h.t.Helper()
	return h.must(v, who, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeCertificate, Attributes: extra, Object: kmip.Object{
		Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: der,
	}}).(*kmip.RegisterResponse).UniqueIdentifier
}

// newPKCS12Fixture registers, as who, a P-256 key certified by a CA, the
// chain linked as TC-PKCS12-1-20 links it, protected by password.
func newPKCS12Fixture(t *testing.T, h *harness, v kmip.Version, who, password string) pkcs12Fixture {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CA"}, NotBefore: h.now.Add(-time.Hour), NotAfter: h.now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "EE"}, NotBefore: h.now.Add(-time.Hour), NotAfter: h.now.Add(time.Hour)}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	f := pkcs12Fixture{leafDER: leafDER, caDER: caDER, keyDER: keyDER}
	f.password = h.registerPassword(v, who, password, true)
	f.ca = h.registerCertificate(v, who, caDER)
	f.leaf = h.registerCertificate(v, who, leafDER, link(kmip14.LinkTypePKCS_12CertificateLink, f.ca))
	f.key = h.must(v, who, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypePrivateKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskSign)},
		link(kmip14.LinkTypePKCS_12PasswordLink, f.password),
		link(kmip14.LinkTypePKCS_12CertificateLink, f.leaf),
	}, Object: kmip.Object{Type: kmip14.ObjectTypePrivateKey, KeyBlock: &kmip.KeyBlock{
		FormatType: kmip14.KeyFormatTypePKCS_8, Material: keyDER, Algorithm: kmip14.CryptographicAlgorithmECDSA, Length: 256,
	}}}).(*kmip.RegisterResponse).UniqueIdentifier
	return f
}

func (h *harness) getPKCS12(v kmip.Version, who, id string) (*kmip.KeyBlock, error) {
	resp, err := h.do(v, who, &kmip.GetRequest{UniqueIdentifier: id, KeyFormatType: kmip14.KeyFormatTypePKCS_12})
	if err != nil {
		return nil, err
	}
	return resp.(*kmip.GetResponse).Object.KeyBlock, nil
}

// TestGetPKCS12 follows TC-PKCS12-1-20: Get of a Private Key as PKCS#12
// returns a file that go-pkcs12 and OpenSSL open with the linked password,
// holding the key and the linked chain, with both crypto modules.
func TestGetPKCS12(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_0
		f := newPKCS12Fixture(t, h, v, alice, "pass word")
		kb, err := h.getPKCS12(v, alice, f.key)
		if err != nil {
			t.Fatal(err)
		}
		if kb.FormatType != kmip14.KeyFormatTypePKCS_12 || kb.Algorithm != 0 || kb.Length != 0 {
			t.Fatalf("key block %v, algorithm %v, length %d", kb.FormatType, kb.Algorithm, kb.Length)
		}
		key, leaf, cas, err := gopkcs12.DecodeChain(kb.Material, "pass word")
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		if !bytes.Equal(der, f.keyDER) || !bytes.Equal(leaf.Raw, f.leafDER) || len(cas) != 1 || !bytes.Equal(cas[0].Raw, f.caDER) {
			t.Fatalf("PKCS#12 holds another key or chain (%d CA certificates)", len(cas))
		}
		if _, _, err := gopkcs12.Decode(kb.Material, "wrong"); err == nil {
			t.Fatal("the file opens with another password")
		}
		if _, err := exec.LookPath("openssl"); err == nil {
			path := filepath.Join(t.TempDir(), "k.p12")
			if err := os.WriteFile(path, kb.Material, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("openssl", "pkcs12", "-in", path, "-passin", "pass:pass word", "-nodes").CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("PRIVATE KEY")) || bytes.Count(out, []byte("BEGIN CERTIFICATE")) != 2 {
				t.Fatalf("openssl pkcs12: %v\n%s", err, out)
			}
		}
	})
}

// TestGetPKCS12Refusals: the password must be an Active Password of the
// client's own; the chain the client's own certificates; another tenant
// reaches nothing through PKCS#12, and the key's own protection holds.
func TestGetPKCS12Refusals(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_0
	f := newPKCS12Fixture(t, h, v, alice, "password")
	addLink := func(id string, l kmip.Attribute) {
		h.must(v, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: l})
	}
	registerKey := func(who string, links ...kmip.Attribute) string {
		return h.must(v, who, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypePrivateKey, Attributes: append(kmip.Attributes{
			{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskSign)},
		}, links...), Object: kmip.Object{Type: kmip14.ObjectTypePrivateKey, KeyBlock: &kmip.KeyBlock{
			FormatType: kmip14.KeyFormatTypePKCS_8, Material: f.keyDER, Algorithm: kmip14.CryptographicAlgorithmECDSA, Length: 256,
		}}}).(*kmip.RegisterResponse).UniqueIdentifier
	}

	// Another client gets nothing of alice's key, as PKCS#12 or not.
	_, err := h.getPKCS12(v, bob, f.key)
	wantReason(t, err, kmip.ReasonObjectNotFound)
	// Bob's key linked to alice's password and chain: not bob's to use.
	bobs := registerKey(bob, link(kmip14.LinkTypePKCS_12PasswordLink, f.password), link(kmip14.LinkTypePKCS_12CertificateLink, f.leaf))
	_, err = h.getPKCS12(v, bob, bobs)
	wantReason(t, err, kmip.ReasonObjectNotFound)
	bobsPassword := h.registerPassword(v, bob, "password", true)
	bobs = registerKey(bob, link(kmip14.LinkTypePKCS_12PasswordLink, bobsPassword), link(kmip14.LinkTypePKCS_12CertificateLink, f.leaf))
	_, err = h.getPKCS12(v, bob, bobs)
	wantReason(t, err, kmip.ReasonObjectNotFound)

	// A Pre-Active password (TC-PKCS12-2-20), none, or no password at all.
	pre := registerKey(alice, link(kmip14.LinkTypePKCS_12PasswordLink, h.registerPassword(v, alice, "password", false)), link(kmip14.LinkTypePKCS_12CertificateLink, f.leaf))
	_, err = h.getPKCS12(v, alice, pre)
	wantReason(t, err, kmip.ReasonWrongKeyLifecycleState)
	_, err = h.getPKCS12(v, alice, registerKey(alice, link(kmip14.LinkTypePKCS_12CertificateLink, f.leaf)))
	wantReason(t, err, kmip.ReasonInvalidField)
	_, err = h.getPKCS12(v, alice, registerKey(alice, link(kmip14.LinkTypePKCS_12PasswordLink, f.leaf), link(kmip14.LinkTypePKCS_12CertificateLink, f.leaf)))
	wantReason(t, err, kmip.ReasonIllegalObjectType)
	// No certificate, or the certificate of another key.
	_, err = h.getPKCS12(v, alice, registerKey(alice, link(kmip14.LinkTypePKCS_12PasswordLink, f.password)))
	wantReason(t, err, kmip.ReasonInvalidField)
	_, err = h.getPKCS12(v, alice, registerKey(alice, link(kmip14.LinkTypePKCS_12PasswordLink, f.password), link(kmip14.LinkTypePKCS_12CertificateLink, f.ca)))
	wantReason(t, err, kmip.ReasonInvalidField)
	// A chain that loops ends at the loop.
	addLink(f.ca, link(kmip14.LinkTypePKCS_12CertificateLink, f.leaf))
	kb, err := h.getPKCS12(v, alice, f.key)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, cas, err := gopkcs12.DecodeChain(kb.Material, "password"); err != nil || len(cas) != 1 {
		t.Fatalf("looping chain: %d CA certificates, %v", len(cas), err)
	}
	// A Sensitive key leaves only wrapped, PKCS#12 or not.
	h.must(v, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: f.key, Attribute: kmip.Attribute{Name: kmip.AttrSensitive, Value: true}})
	_, err = h.getPKCS12(v, alice, f.key)
	wantReason(t, err, kmip.ReasonSensitive)
	// Only private keys are PKCS#12 files.
	_, err = h.getPKCS12(v, alice, f.leaf)
	wantReason(t, err, kmip.ReasonKeyFormatTypeNotSupported)
}

// TestRegisterPKCS12 follows TC-PKCS12-2-20: a Private Key registered as a
// PKCS#12 file is opened with the Active password its PKCS#12 Password
// Link names and stored as PKCS#8, its certificates as Certificate objects
// linked from it; Get as PKCS#12 gives the same key and chain back.
func TestRegisterPKCS12(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_0
	f := newPKCS12Fixture(t, h, v, alice, "password")
	key, _ := x509.ParsePKCS8PrivateKey(f.keyDER)
	leaf, _ := x509.ParseCertificate(f.leafDER)
	ca, _ := x509.ParseCertificate(f.caDER)
	pfx, err := gopkcs12.Modern2023.Encode(key, leaf, []*x509.Certificate{ca}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	register := func(who, password string) (string, error) {
		resp, err := h.do(v, who, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypePrivateKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskSign)},
			{Name: kmip.AttrPKCS12FriendlyName, Value: "alias"},
			link(kmip14.LinkTypePKCS_12PasswordLink, password),
		}, Object: kmip.Object{Type: kmip14.ObjectTypePrivateKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_12, Material: pfx}}})
		if err != nil {
			return "", err
		}
		return resp.(*kmip.RegisterResponse).UniqueIdentifier, nil
	}
	_, err = register(alice, h.registerPassword(v, alice, "secret", false))
	wantReason(t, err, kmip.ReasonWrongKeyLifecycleState)
	_, err = register(alice, h.registerPassword(v, alice, "wrong", true))
	wantReason(t, err, kmip.ReasonBadPassword)
	mine := h.registerPassword(v, alice, "secret", true)
	_, err = register(bob, mine)
	wantReason(t, err, kmip.ReasonObjectNotFound)

	id, err := register(alice, mine)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := h.get(v, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if kb.FormatType != kmip14.KeyFormatTypePKCS_8 || !bytes.Equal(kb.Material, f.keyDER) || kb.Algorithm != kmip14.CryptographicAlgorithmECDSA || kb.Length != 256 {
		t.Fatalf("stored key %v %v %d", kb.FormatType, kb.Algorithm, kb.Length)
	}
	certID := linked(h.attrs(v, alice, id), kmip14.LinkTypePKCS_12CertificateLink)
	cert := h.attrs(v, alice, certID)
	if objectTypeOf(cert) != kmip14.ObjectTypeCertificate || cert.Get(kmip.AttrPKCS12FriendlyName) != "alias" {
		t.Fatalf("certificate %s: %v, friendly name %v", certID, objectTypeOf(cert), cert.Get(kmip.AttrPKCS12FriendlyName))
	}
	if linked(cert, kmip14.LinkTypePKCS_12CertificateLink) == "" {
		t.Fatal("the key's certificate is not linked to its issuer's")
	}
	kb, err = h.getPKCS12(v, alice, id)
	if err != nil {
		t.Fatal(err)
	}
	_, gotLeaf, gotCAs, err := gopkcs12.DecodeChain(kb.Material, "secret")
	if err != nil || !bytes.Equal(gotLeaf.Raw, f.leafDER) || len(gotCAs) != 1 || !bytes.Equal(gotCAs[0].Raw, f.caDER) {
		t.Fatalf("Get as PKCS#12 after Register: %v", err)
	}
	// A file that is no PKCS#12.
	resp, err := h.do(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypePrivateKey, Attributes: kmip.Attributes{link(kmip14.LinkTypePKCS_12PasswordLink, mine)},
		Object: kmip.Object{Type: kmip14.ObjectTypePrivateKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_12, Material: []byte("not a pfx")}}})
	if err == nil {
		t.Fatalf("registered %v", resp)
	}
	wantReason(t, err, kmip.ReasonInvalidField)
}
