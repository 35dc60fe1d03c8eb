package handlers

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// createPair creates an active key pair with alg and bits.
func (h *harness) createPair(v kmip.Version, alg kmip.CryptographicAlgorithm, bits int32) (priv, pub string) {
	h.t.Helper()
	resp := h.must(v, alice, &kmip.CreateKeyPairRequest{
		CommonAttributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: alg},
			{Name: kmip.AttrCryptographicLength, Value: bits},
		},
		PrivateKeyAttributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskSign)},
			{Name: kmip.AttrName, Value: kmip.Name{Value: "pair-private", Type: kmip14.NameTypeUninterpretedTextString}},
		},
		PublicKeyAttributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskVerify)}},
	}).(*kmip.CreateKeyPairResponse)
	h.must(v, alice, &kmip.ActivateRequest{UniqueIdentifier: resp.PrivateKeyUniqueIdentifier})
	h.must(v, alice, &kmip.ActivateRequest{UniqueIdentifier: resp.PublicKeyUniqueIdentifier})
	return resp.PrivateKeyUniqueIdentifier, resp.PublicKeyUniqueIdentifier
}

// get returns object id's key block in format f (0: as stored).
func (h *harness) get(v kmip.Version, id string, f kmip.KeyFormatType) (*kmip.KeyBlock, error) {
	resp, err := h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyFormatType: f})
	if err != nil {
		return nil, err
	}
	return resp.(*kmip.GetResponse).Object.KeyBlock, nil
}

func TestKeyPairs(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_1
		for _, c := range []struct {
			alg          kmip.CryptographicAlgorithm
			bits         int32
			privF, pubF  kmip.KeyFormatType
			transparentF [2]kmip.KeyFormatType
		}{
			{kmip14.CryptographicAlgorithmRSA, 2048, kmip14.KeyFormatTypePKCS_1, kmip14.KeyFormatTypePKCS_1, [2]kmip.KeyFormatType{kmip14.KeyFormatTypeTransparentRSAPrivateKey, kmip14.KeyFormatTypeTransparentRSAPublicKey}},
			{kmip14.CryptographicAlgorithmEC, 256, kmip14.KeyFormatTypePKCS_8, kmip14.KeyFormatTypeX_509, [2]kmip.KeyFormatType{kmip14.KeyFormatTypeTransparentECPrivateKey, kmip14.KeyFormatTypeTransparentECPublicKey}},
		} {
			priv, pub := h.createPair(v, c.alg, c.bits)
			if l := linked(h.attrs(v, alice, priv), kmip14.LinkTypePublicKeyLink); l != pub {
				t.Fatalf("%v: Public Key Link %q, want %q", c.alg, l, pub)
			}
			if l := linked(h.attrs(v, alice, pub), kmip14.LinkTypePrivateKeyLink); l != priv {
				t.Fatalf("%v: Private Key Link %q, want %q", c.alg, l, priv)
			}

			// Stored formats, and conversions both ways.
			kb, err := h.get(v, priv, 0)
			if err != nil || kb.FormatType != c.privF {
				t.Fatalf("%v private: %v, %v", c.alg, kb.FormatType, err)
			}
			pkcs8, err := h.get(v, priv, kmip14.KeyFormatTypePKCS_8)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := x509.ParsePKCS8PrivateKey(pkcs8.Material)
			if err != nil {
				t.Fatal(err)
			}
			spki, err := h.get(v, pub, kmip14.KeyFormatTypeX_509)
			if err != nil {
				t.Fatal(err)
			}
			pk, err := x509.ParsePKIXPublicKey(spki.Material)
			if err != nil {
				t.Fatal(err)
			}
			switch k := parsed.(type) {
			case *rsa.PrivateKey:
				if !k.PublicKey.Equal(pk) || k.N.BitLen() != 2048 {
					t.Fatal("RSA public key does not match the private one")
				}
			case *ecdsa.PrivateKey:
				if !k.PublicKey.Equal(pk) {
					t.Fatal("EC public key does not match the private one")
				}
			}
			tp, err := h.get(v, priv, c.transparentF[0])
			if err != nil || tp.Transparent == nil {
				t.Fatalf("%v transparent private: %v", c.alg, err)
			}
			tpub, err := h.get(v, pub, c.transparentF[1])
			if err != nil || tpub.Transparent == nil {
				t.Fatalf("%v transparent public: %v", c.alg, err)
			}
			_, err = h.get(v, pub, kmip14.KeyFormatTypeTransparentDSAPublicKey)
			wantReason(t, err, kmip.ReasonKeyFormatTypeNotSupported)

			// Sign and verify, also with the digest given.
			data := []byte("to be signed")
			sig := h.must(v, alice, &kmip.SignRequest{UniqueIdentifier: priv, Data: data}).(*kmip.SignResponse)
			ok := h.must(v, alice, &kmip.SignatureVerifyRequest{UniqueIdentifier: pub, Data: data, SignatureData: sig.SignatureData}).(*kmip.SignatureVerifyResponse)
			bad := h.must(v, alice, &kmip.SignatureVerifyRequest{UniqueIdentifier: pub, Data: []byte("other"), SignatureData: sig.SignatureData}).(*kmip.SignatureVerifyResponse)
			if ok.ValidityIndicator != kmip.Valid || bad.ValidityIndicator != kmip.Invalid {
				t.Fatalf("%v verify: %v, %v", c.alg, ok.ValidityIndicator, bad.ValidityIndicator)
			}
			// The public key cannot sign, the private key cannot verify.
			_, err = h.do(v, alice, &kmip.SignRequest{UniqueIdentifier: pub, Data: data})
			wantReason(t, err, kmip.ReasonIllegalObjectType)
			_, err = h.do(kmip.V1_4, alice, &kmip.SignatureVerifyRequest{UniqueIdentifier: priv, Data: data, SignatureData: sig.SignatureData})
			wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
		}
		_, err := h.do(v, alice, &kmip.CreateKeyPairRequest{CommonAttributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmRSA},
			{Name: kmip.AttrCryptographicLength, Value: int32(1024)},
		}})
		wantReason(t, err, kmip.ReasonInvalidField)
	})
}

func TestReKey(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	name := kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "k", Type: kmip14.NameTypeUninterpretedTextString}}
	old := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec, name,
		kmip.Attribute{Name: kmip.AttrDeactivationDate, Value: h.now.Add(48 * time.Hour)})
	offset := 24 * time.Hour
	resp := h.must(v, alice, &kmip.ReKeyRequest{UniqueIdentifier: old, Offset: &offset}).(*kmip.ReKeyResponse)
	got := h.attrs(v, alice, resp.UniqueIdentifier)
	if resp.UniqueIdentifier == old || linked(got, kmip14.LinkTypeReplacedObjectLink) != old {
		t.Fatalf("replacement %s not linked to %s", resp.UniqueIdentifier, old)
	}
	if n, _ := got.Get(kmip.AttrName).(kmip.Name); n.Value != "k" {
		t.Fatalf("Name did not move: %v", got.Get(kmip.AttrName))
	}
	if m, _ := intValue(got.Get(kmip.AttrCryptographicUsageMask)); int32(m) != maskEncDec {
		t.Fatalf("usage mask %d", m)
	}
	if a := got.Time(kmip.AttrActivationDate); !a.Equal(h.now.Add(offset)) {
		t.Fatalf("Activation Date %v", a)
	}
	// Deactivation keeps its distance (48h) from the activation.
	if d := got.Time(kmip.AttrDeactivationDate); !d.Equal(h.now.Add(offset + 48*time.Hour)) {
		t.Fatalf("Deactivation Date %v", d)
	}
	if stateOf(got) != kmip14.StatePreActive {
		t.Fatalf("replacement state %v", stateOf(got))
	}
	was := h.attrs(v, alice, old)
	if linked(was, kmip14.LinkTypeReplacementObjectLink) != resp.UniqueIdentifier || was.Has(kmip.AttrName) || stateOf(was) != kmip14.StateActive {
		t.Fatalf("old key after ReKey: %+v", was)
	}
	oldKey, _ := h.get(v, old, 0)
	newKey, _ := h.get(v, resp.UniqueIdentifier, 0)
	if string(oldKey.Material) == string(newKey.Material) {
		t.Fatal("replacement has the old key material")
	}

	// Key pairs.
	priv, pub := h.createPair(v, kmip14.CryptographicAlgorithmRSA, 2048)
	pair := h.must(v, alice, &kmip.ReKeyKeyPairRequest{PrivateKeyUniqueIdentifier: priv}).(*kmip.ReKeyKeyPairResponse)
	if l := linked(h.attrs(v, alice, pair.PrivateKeyUniqueIdentifier), kmip14.LinkTypeReplacedObjectLink); l != priv {
		t.Fatalf("new private key replaces %q", l)
	}
	if l := linked(h.attrs(v, alice, pub), kmip14.LinkTypeReplacementObjectLink); l != pair.PublicKeyUniqueIdentifier {
		t.Fatalf("old public key replaced by %q", l)
	}
	if l := linked(h.attrs(v, alice, pair.PrivateKeyUniqueIdentifier), kmip14.LinkTypePublicKeyLink); l != pair.PublicKeyUniqueIdentifier {
		t.Fatalf("new pair not linked: %q", l)
	}
	_, err := h.do(v, alice, &kmip.ReKeyRequest{UniqueIdentifier: priv})
	wantReason(t, err, kmip.ReasonIllegalObjectType)
}

// TestReKeyKeepsNamesAndDates follows TC-REKEY-1-20: without an Offset the
// replacement takes the existing key's dates (KMIP 1.4 section 4.4), so the
// replacement of an Active key is Active, and each Re-key that names the
// replacement adds its Name to those moved from the existing key.
func TestReKeyKeepsNamesAndDates(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_0
	named := func(s string) kmip.Attribute {
		return kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: s, Type: kmip14.NameTypeUninterpretedTextString}}
	}
	id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec, named("original"))
	want := []string{"original"}
	for _, n := range []string{"first", "second"} {
		prev := id
		id = h.must(v, alice, &kmip.ReKeyRequest{UniqueIdentifier: prev, Attributes: kmip.Attributes{named(n)}}).(*kmip.ReKeyResponse).UniqueIdentifier
		want = append(want, n)
		got := h.attrs(v, alice, id)
		var names []string
		for _, a := range got.All(kmip.AttrName) {
			names = append(names, a.Value.(kmip.Name).Value)
		}
		if !slices.Equal(names, want) {
			t.Fatalf("replacement Names %v, want %v", names, want)
		}
		if st := stateOf(got); st != kmip14.StateActive {
			t.Fatalf("replacement of an Active key is %v", st)
		}
		if was := h.attrs(v, alice, prev); was.Has(kmip.AttrName) {
			t.Fatalf("existing key kept its Names: %v", was.All(kmip.AttrName))
		}
	}
	// Re-key of a Pre-Active key without dates stays Pre-Active.
	pre := h.must(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(128)},
		{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
	}}).(*kmip.CreateResponse).UniqueIdentifier
	next := h.must(v, alice, &kmip.ReKeyRequest{UniqueIdentifier: pre}).(*kmip.ReKeyResponse).UniqueIdentifier
	if st := stateOf(h.attrs(v, alice, next)); st != kmip14.StatePreActive {
		t.Fatalf("replacement of a Pre-Active key is %v", st)
	}
}
