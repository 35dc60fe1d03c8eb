package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// domainParams encodes a Cryptographic Domain Parameters attribute value
// with gemalto/kmip-go's encoder; zero fields are left out.
func domainParams(t *testing.T, curve kmip14.RecommendedCurve, qlength int32) ttlv.TTLV {
	t.Helper()
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	err := e.EncodeStructure(kmip14.TagCryptographicDomainParameters, func(e *ttlv.Encoder) error {
		if qlength != 0 {
			e.EncodeInteger(kmip14.TagQlength, qlength)
		}
		if curve != 0 {
			e.EncodeEnumeration(kmip14.TagRecommendedCurve, uint32(curve))
		}
		return nil
	})
	if err != nil || e.Flush() != nil {
		t.Fatal(err)
	}
	return ttlv.TTLV(buf.Bytes())
}

// ecPairRequest asks for an EC pair with the given common attributes and
// Sign/Verify masks.
func ecPairRequest(common ...kmip.Attribute) *kmip.CreateKeyPairRequest {
	return &kmip.CreateKeyPairRequest{
		CommonAttributes:     append(kmip.Attributes{{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmEC}}, common...),
		PrivateKeyAttributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskSign | kmip14.CryptographicUsageMaskDeriveKey)}},
		PublicKeyAttributes:  kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskVerify | kmip14.CryptographicUsageMaskDeriveKey)}},
	}
}

// wantMessage fails unless err's message contains want.
func wantMessage(t *testing.T, err error, want string) {
	t.Helper()
	var ke *kmip.Error
	if !errors.As(err, &ke) || !strings.Contains(ke.Message, want) {
		t.Fatalf("error %v, want a message naming %q", err, want)
	}
}

// A secp256k1 pair from a Recommended Curve: generated, usable for ECDSA
// on data and on digested data, convertible to every EC format and back,
// and both halves agree on ECDH.
func TestSecp256k1KeyPair(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_0
		activate := kmip.Attribute{Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)}
		dp := kmip.Attribute{Name: kmip.AttrCryptographicDomainParameters, Value: domainParams(t, kmip14.RecommendedCurveSECP256K1, 256)}
		resp := h.must(v, alice, ecPairRequest(dp, activate)).(*kmip.CreateKeyPairResponse)
		priv, pub := resp.PrivateKeyUniqueIdentifier, resp.PublicKeyUniqueIdentifier
		if n, _ := intValue(h.attrs(v, alice, priv).Get(kmip.AttrCryptographicLength)); n != 256 {
			t.Errorf("Cryptographic Length %d, want 256", n)
		}

		data := []byte("to be signed")
		digest := sha256.Sum256(data)
		for _, c := range []struct {
			name   string
			sign   *kmip.SignRequest
			verify *kmip.SignatureVerifyRequest
		}{
			{"data", &kmip.SignRequest{Data: data}, &kmip.SignatureVerifyRequest{Data: data}},
			{"digested data", &kmip.SignRequest{DigestedData: digest[:]}, &kmip.SignatureVerifyRequest{Data: data}},
			{"digested data, no hash", &kmip.SignRequest{DigestedData: digest[:16]}, &kmip.SignatureVerifyRequest{DigestedData: digest[:16]}},
		} {
			c.sign.UniqueIdentifier, c.verify.UniqueIdentifier = priv, pub
			c.verify.SignatureData = h.must(v, alice, c.sign).(*kmip.SignResponse).SignatureData
			if got := h.must(v, alice, c.verify).(*kmip.SignatureVerifyResponse).ValidityIndicator; got != kmip.Valid {
				t.Errorf("%s: %v, want Valid", c.name, got)
			}
			c.verify.Parameters = &kmip.CryptographicParameters{CryptographicAlgorithm: kmip14.CryptographicAlgorithmRSA, PaddingMethod: kmip14.PaddingMethodPSS, HashingAlgorithm: kmip14.HashingAlgorithmSHA_1}
			if got := h.must(v, alice, c.verify).(*kmip.SignatureVerifyResponse).ValidityIndicator; got != kmip.Invalid {
				t.Errorf("%s, verified as RSA-PSS: %v, want Invalid", c.name, got)
			}
		}

		for _, f := range []kmip.KeyFormatType{kmip14.KeyFormatTypeECPrivateKey, kmip14.KeyFormatTypePKCS_8, kmip14.KeyFormatTypeTransparentECPrivateKey} {
			kb, err := h.get(v, priv, f)
			if err != nil {
				t.Fatalf("Get private as %v: %v", f, err)
			}
			if f == kmip14.KeyFormatTypeTransparentECPrivateKey && kb.Transparent.RecommendedCurve != uint32(kmip14.RecommendedCurveSECP256K1) {
				t.Errorf("transparent private key on curve %v", kb.Transparent.RecommendedCurve)
			}
		}
		for _, f := range []kmip.KeyFormatType{kmip14.KeyFormatTypeX_509, kmip14.KeyFormatTypeTransparentECPublicKey, kmip14.KeyFormatTypeRaw} {
			if _, err := h.get(v, pub, f); err != nil {
				t.Fatalf("Get public as %v: %v", f, err)
			}
		}

		// The other party's pair, registered as SEC 1 and X.509.
		sec1, _ := h.get(v, priv, kmip14.KeyFormatTypeECPrivateKey)
		spki, _ := h.get(v, pub, kmip14.KeyFormatTypeX_509)
		other := h.must(v, alice, ecPairRequest(dp, activate)).(*kmip.CreateKeyPairResponse)
		derive := func(privID, pubID string) []byte {
			id := h.must(v, alice, &kmip.DeriveKeyRequest{
				ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{privID, pubID},
				Method: kmip14.DerivationMethodAsymmetricKey, Attributes: aesAttrs(256),
			}).(*kmip.DeriveKeyResponse).UniqueIdentifier
			kb, err := h.get(v, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			return kb.Material
		}
		if ab, ba := derive(priv, other.PublicKeyUniqueIdentifier), derive(other.PrivateKeyUniqueIdentifier, pub); !bytes.Equal(ab, ba) {
			t.Errorf("ECDH differs: %x, %x", ab, ba)
		}
		regPriv := h.registerKey(v, kmip14.ObjectTypePrivateKey, kmip14.KeyFormatTypeECPrivateKey, sec1.Material)
		regPub := h.registerKey(v, kmip14.ObjectTypePublicKey, kmip14.KeyFormatTypeX_509, spki.Material)
		sig := h.must(v, alice, &kmip.SignRequest{UniqueIdentifier: regPriv, Data: data}).(*kmip.SignResponse).SignatureData
		if got := h.must(v, alice, &kmip.SignatureVerifyRequest{UniqueIdentifier: pub, Data: data, SignatureData: sig}).(*kmip.SignatureVerifyResponse).ValidityIndicator; got != kmip.Valid {
			t.Errorf("signature of the registered SEC 1 key under the generated public key: %v", got)
		}
		if got := h.must(v, alice, &kmip.SignatureVerifyRequest{UniqueIdentifier: regPub, Data: data, SignatureData: sig}).(*kmip.SignatureVerifyResponse).ValidityIndicator; got != kmip.Valid {
			t.Errorf("signature under the registered X.509 key: %v", got)
		}
	})
}

// registerKey registers an active EC Private or Public Key of material in
// format f for Sign or Verify.
func (h *harness) registerKey(v kmip.Version, ot kmip.ObjectType, f kmip.KeyFormatType, material []byte) string {
	h.t.Helper()
	resp, err := h.registerKeyErr(v, ot, f, material)
	if err != nil {
		h.t.Fatalf("Register %v: %v", f, err)
	}
	return resp
}

func (h *harness) registerKeyErr(v kmip.Version, ot kmip.ObjectType, f kmip.KeyFormatType, material []byte) (string, error) {
	mask := int32(kmip14.CryptographicUsageMaskSign)
	if ot == kmip14.ObjectTypePublicKey {
		mask = int32(kmip14.CryptographicUsageMaskVerify)
	}
	resp, err := h.do(v, alice, &kmip.RegisterRequest{ObjectType: ot,
		Object: kmip.Object{Type: ot, KeyBlock: &kmip.KeyBlock{FormatType: f, Material: material, Algorithm: kmip14.CryptographicAlgorithmEC, Length: 256}},
		Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicUsageMask, Value: mask},
			{Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)},
		}})
	if err != nil {
		return "", err
	}
	return resp.(*kmip.RegisterResponse).UniqueIdentifier, nil
}

// Curves the module lacks are refused when the key enters: CreateKeyPair
// and Register answer Invalid Field naming the curve, in 1.x as in 2.x.
func TestUnsupportedCurvesRefusedAtEntry(t *testing.T) {
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// brainpoolP256r1 keys made by OpenSSL 3.0.
	bpPKCS8 := unhex("308188020100301406072a8648ce3d020106092b2403030208010107046d306b0201010420a34f336bb1605c66ba5fe533226a4ef7b4e61070dea52b6c5872bff6b31874c2a144034200044b36a00bc6600915bee2c04bdc5712b12e716c89a9ccd3f4342dd80762ce080a4b7dc2ac0102308ca63efaeb2575327e78f7f5336d96f423e20c97d9f5aa98ae")
	bpSEC1 := unhex("30780201010420a34f336bb1605c66ba5fe533226a4ef7b4e61070dea52b6c5872bff6b31874c2a00b06092b2403030208010107a144034200044b36a00bc6600915bee2c04bdc5712b12e716c89a9ccd3f4342dd80762ce080a4b7dc2ac0102308ca63efaeb2575327e78f7f5336d96f423e20c97d9f5aa98ae")
	bpPub := unhex("305a301406072a8648ce3d020106092b2403030208010107034200044b36a00bc6600915bee2c04bdc5712b12e716c89a9ccd3f4342dd80762ce080a4b7dc2ac0102308ca63efaeb2575327e78f7f5336d96f423e20c97d9f5aa98ae")
	forEachProvider(t, func(t *testing.T, h *harness) {
		for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_0} {
			for _, c := range []struct {
				curve kmip14.RecommendedCurve
				name  string
			}{
				{kmip14.RecommendedCurveBRAINPOOLP256R1, "BRAINPOOLP256R1"},
				{kmip14.RecommendedCurveK_283, "K_283"},
				{kmip14.RecommendedCurveSECT239K1, "SECT239K1"},
				{kmip14.RecommendedCurveP_224, "P_224"},
			} {
				_, err := h.do(v, alice, ecPairRequest(kmip.Attribute{Name: kmip.AttrCryptographicDomainParameters, Value: domainParams(t, c.curve, 0)}))
				wantSentIn(t, v, err, kmip.ReasonInvalidField)
				wantMessage(t, err, c.name)
			}
			_, err := h.do(v, alice, ecPairRequest(
				kmip.Attribute{Name: kmip.AttrCryptographicDomainParameters, Value: domainParams(t, kmip14.RecommendedCurveSECP256K1, 0)},
				kmip.Attribute{Name: kmip.AttrCryptographicLength, Value: int32(384)}))
			wantSentIn(t, v, err, kmip.ReasonInvalidField)
			wantMessage(t, err, "SECP256K1 keys are 256 bits")
			_, err = h.do(v, alice, ecPairRequest(kmip.Attribute{Name: kmip.AttrCryptographicLength, Value: int32(283)}))
			wantSentIn(t, v, err, kmip.ReasonInvalidField)

			for _, c := range []struct {
				ot       kmip.ObjectType
				f        kmip.KeyFormatType
				material []byte
			}{
				{kmip14.ObjectTypePrivateKey, kmip14.KeyFormatTypePKCS_8, bpPKCS8},
				{kmip14.ObjectTypePrivateKey, kmip14.KeyFormatTypeECPrivateKey, bpSEC1},
				{kmip14.ObjectTypePublicKey, kmip14.KeyFormatTypeX_509, bpPub},
			} {
				_, err := h.registerKeyErr(v, c.ot, c.f, c.material)
				wantSentIn(t, v, err, kmip.ReasonInvalidField)
				wantMessage(t, err, "brainpoolP256r1")
			}
			_, err = h.do(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypePublicKey,
				Object: kmip.Object{Type: kmip14.ObjectTypePublicKey, KeyBlock: &kmip.KeyBlock{
					FormatType:  kmip14.KeyFormatTypeTransparentECPublicKey,
					Transparent: &kmip.TransparentKey{RecommendedCurve: uint32(kmip14.RecommendedCurveBRAINPOOLP256R1), QString: bpPub[len(bpPub)-65:]},
					Algorithm:   kmip14.CryptographicAlgorithmEC, Length: 256,
				}}})
			wantSentIn(t, v, err, kmip.ReasonInvalidField)
			wantMessage(t, err, "BRAINPOOLP256R1")
		}
	})
}

// Digested Data with RSA: without a Hashing Algorithm the input is signed
// as given; with one, it is that hash's digest, so a signature of the
// digest verifies over the data.
func TestRSASignDigestedData(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_0
		priv, pub := h.createPair(v, kmip14.CryptographicAlgorithmRSA, 2048)
		in := []byte("0123456789abcdef")
		sig := h.must(v, alice, &kmip.SignRequest{UniqueIdentifier: priv, DigestedData: in}).(*kmip.SignResponse).SignatureData
		verify := func(r *kmip.SignatureVerifyRequest) kmip.ValidityIndicator {
			r.UniqueIdentifier = pub
			return h.must(v, alice, r).(*kmip.SignatureVerifyResponse).ValidityIndicator
		}
		if got := verify(&kmip.SignatureVerifyRequest{DigestedData: in, SignatureData: sig}); got != kmip.Valid {
			t.Errorf("digested data without hash: %v, want Valid", got)
		}
		pss := &kmip.CryptographicParameters{PaddingMethod: kmip14.PaddingMethodPSS, HashingAlgorithm: kmip14.HashingAlgorithmSHA_1}
		if got := verify(&kmip.SignatureVerifyRequest{Parameters: pss, Data: in, SignatureData: sig}); got != kmip.Invalid {
			t.Errorf("verified as PSS over data: %v, want Invalid", got)
		}

		data := []byte("to be signed")
		digest := sha256.Sum256(data)
		sha := &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}
		sig = h.must(v, alice, &kmip.SignRequest{UniqueIdentifier: priv, Parameters: sha, DigestedData: digest[:]}).(*kmip.SignResponse).SignatureData
		if got := verify(&kmip.SignatureVerifyRequest{Parameters: sha, Data: data, SignatureData: sig}); got != kmip.Valid {
			t.Errorf("SHA-256 digested data verified over the data: %v, want Valid", got)
		}
		sig = h.must(v, alice, &kmip.SignRequest{UniqueIdentifier: priv, Parameters: &kmip.CryptographicParameters{PaddingMethod: kmip14.PaddingMethodPSS}, DigestedData: digest[:]}).(*kmip.SignResponse).SignatureData
		if got := verify(&kmip.SignatureVerifyRequest{Parameters: &kmip.CryptographicParameters{PaddingMethod: kmip14.PaddingMethodPSS}, Data: data, SignatureData: sig}); got != kmip.Valid {
			t.Errorf("PSS digested data (SHA-256 default) verified over the data: %v, want Valid", got)
		}

		_, err := h.do(v, alice, &kmip.SignRequest{UniqueIdentifier: priv, Parameters: sha, DigestedData: in})
		wantReason(t, err, kmip.ReasonUnsupportedCryptographicParameters)
	})
}

// The hsm's secp256k1 curve name is the one keyCurves gives the module.
func TestKeyCurvesAreTheModules(t *testing.T) {
	for _, c := range keyCurves {
		if err := hsm.CheckKeyPairSpec(hsm.KeyPairSpec{Algorithm: hsm.ECDSA, Curve: c.name}); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
