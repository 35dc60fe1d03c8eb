package handlers

import (
	"bytes"
	"crypto/sha256"
	"math/bits"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

func TestDigestIsSHA256OfTheMaterial(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		id := h.createAES(v, alice, 256)
		got := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
		want := sha256.Sum256(got.Object.KeyBlock.Material)
		d, ok := h.attrs(v, alice, id, kmip.AttrDigest).Get(kmip.AttrDigest).(kmip.Digest)
		if !ok || d.HashingAlgorithm != kmip14.HashingAlgorithmSHA_256 || !bytes.Equal(d.Value, want[:]) || d.KeyFormatType != kmip14.KeyFormatTypeRaw {
			t.Fatalf("%v: Digest %+v, want SHA-256 %x of the Raw material", v, d, want)
		}
	}

	// A registered Opaque Object: the digest of its value, no Key Format Type.
	value := []byte("opaque value")
	resp := h.must(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeOpaqueObject, Object: kmip.Object{
		Type: kmip14.ObjectTypeOpaqueObject, OpaqueDataType: 0x80000000, OpaqueValue: value,
	}}).(*kmip.RegisterResponse)
	want := sha256.Sum256(value)
	d, _ := h.attrs(kmip.V2_1, alice, resp.UniqueIdentifier, kmip.AttrDigest).Get(kmip.AttrDigest).(kmip.Digest)
	if !bytes.Equal(d.Value, want[:]) || d.KeyFormatType != 0 {
		t.Fatalf("opaque Digest %+v, want %x", d, want)
	}
}

func TestServerSetAttributes(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_1, alice, 128)
	attrs := h.attrs(kmip.V2_1, alice, id)
	want := sha256.Sum256([]byte(id))
	if got, _ := attrs.Get(kmip.AttrShortUniqueIdentifier).([]byte); !bytes.Equal(got, want[:]) {
		t.Fatalf("Short Unique Identifier %x, want %x", got, want)
	}
	for name, want := range map[string]bool{
		kmip.AttrSensitive: false, kmip.AttrAlwaysSensitive: false,
		kmip.AttrExtractable: true, kmip.AttrNeverExtractable: false,
	} {
		if got, ok := attrs.Get(name).(bool); !ok || got != want {
			t.Fatalf("%s = %v (set %v), want %v", name, got, ok, want)
		}
	}
	// KMIP 1.x has no Short Unique Identifier.
	if h.attrs(kmip.V1_4, alice, id).Has(kmip.AttrShortUniqueIdentifier) {
		t.Fatal("1.4 GetAttributes returned Short Unique Identifier")
	}
}

func TestSensitiveKeysStayInside(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_1, alice, 128, kmip.Attribute{Name: kmip.AttrSensitive, Value: true})
	if got := h.attrs(kmip.V2_1, alice, id).Get(kmip.AttrAlwaysSensitive); got != true {
		t.Fatalf("Always Sensitive %v, want true", got)
	}
	_, err := h.do(kmip.V2_1, alice, &kmip.GetRequest{UniqueIdentifier: id})
	wantReason(t, err, kmip.ReasonSensitive)

	// Once no longer Sensitive, the key was not always so.
	h.must(kmip.V2_1, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrSensitive, Value: false}})
	if got := h.attrs(kmip.V2_1, alice, id).Get(kmip.AttrAlwaysSensitive); got != false {
		t.Fatalf("Always Sensitive %v after clearing Sensitive, want false", got)
	}
	h.must(kmip.V2_1, alice, &kmip.GetRequest{UniqueIdentifier: id})

	id = h.createAES(kmip.V1_4, alice, 128, kmip.Attribute{Name: kmip.AttrExtractable, Value: false})
	if got := h.attrs(kmip.V1_4, alice, id).Get(kmip.AttrNeverExtractable); got != true {
		t.Fatalf("Never Extractable %v, want true", got)
	}
	_, err = h.do(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonNotExtractable)
}

func TestCreateTripleDES(t *testing.T) {
	h := newHarness(t)
	for _, length := range []int32{112, 168, 192} {
		for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
			resp := h.must(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
				{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmDES3},
				{Name: kmip.AttrCryptographicLength, Value: length},
			}}).(*kmip.CreateResponse)
			kb := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: resp.UniqueIdentifier}).(*kmip.GetResponse).Object.KeyBlock
			// Two-key Triple DES (112 bits) is 16 bytes, three-key 24
			// (SP 800-67 keying options 2 and 1), as Register takes them.
			want := 24
			if length == 112 {
				want = 16
			}
			if len(kb.Material) != want || kb.Length != length || kb.Algorithm != kmip14.CryptographicAlgorithmDES3 {
				t.Fatalf("%v %d: %d bytes, length %d, algorithm %v", v, length, len(kb.Material), kb.Length, kb.Algorithm)
			}
			for i, b := range kb.Material {
				if bits.OnesCount8(b)%2 != 1 {
					t.Fatalf("byte %d (%08b) has even parity", i, b)
				}
			}
			if got := h.attrs(v, alice, resp.UniqueIdentifier, kmip.AttrCryptographicLength).Get(kmip.AttrCryptographicLength); got != length {
				t.Fatalf("Cryptographic Length attribute %v, want %d", got, length)
			}
		}
	}
}

func TestSetDESParity(t *testing.T) {
	key := []byte{0x00, 0x01, 0xfe, 0xff, 0x80, 0x81}
	setDESParity(key)
	want := []byte{0x01, 0x01, 0xfe, 0xfe, 0x80, 0x80}
	if !bytes.Equal(key, want) {
		t.Fatalf("got %x, want %x", key, want)
	}
}

func TestRandomNumberGenerator(t *testing.T) {
	rng := kmip.RNGParameters{
		RNGAlgorithm:           uint32(kmip14.RNGAlgorithmDRBG),
		DRBGAlgorithm:          uint32(kmip14.DRBGAlgorithmCTR),
		CryptographicAlgorithm: kmip14.CryptographicAlgorithmAES,
		CryptographicLength:    256,
	}
	h := newHarnessWith(t, func(c *Config) { c.RNG = rng })
	id := h.createAES(kmip.V1_4, alice, 128)
	if got := h.attrs(kmip.V1_4, alice, id, kmip.AttrRandomNumberGenerator).Get(kmip.AttrRandomNumberGenerator); got != rng {
		t.Fatalf("Random Number Generator %+v, want %+v", got, rng)
	}
	// A registered key was not generated here: no Random Number Generator.
	resp := h.must(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{
		Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: make([]byte, 16), Algorithm: kmip14.CryptographicAlgorithmAES},
	}}).(*kmip.RegisterResponse)
	if h.attrs(kmip.V2_1, alice, resp.UniqueIdentifier).Has(kmip.AttrRandomNumberGenerator) {
		t.Fatal("registered key has a Random Number Generator")
	}
}

func TestFreshUntilServed(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_1, alice, 128)
	if got := h.attrs(kmip.V2_1, alice, id).Get(kmip.AttrFresh); got != true {
		t.Fatalf("Fresh %v before Get, want true", got)
	}
	h.must(kmip.V2_1, alice, &kmip.GetRequest{UniqueIdentifier: id})
	if got := h.attrs(kmip.V2_1, alice, id).Get(kmip.AttrFresh); got != false {
		t.Fatalf("Fresh %v after Get, want false", got)
	}
}

func TestProtectionStorageMask(t *testing.T) {
	software := int32(1) // Protection Storage Mask Software
	h := newHarnessWith(t, func(c *Config) { c.ProtectionStorageMask = software })
	id := h.createAES(kmip.V2_1, alice, 128)
	if got := h.attrs(kmip.V2_1, alice, id).Get(kmip.AttrProtectionStorageMask); got != software {
		t.Fatalf("Protection Storage Mask %v, want %d", got, software)
	}
	// Asking for Hardware only cannot be met.
	_, err := h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(128)},
		{Name: kmip.AttrProtectionStorageMask, Value: int32(2)},
	}})
	wantReason(t, err, kmip.ReasonProtectionStorageUnavailable)
}

func TestRegisterCertificateWithItsType(t *testing.T) {
	h := newHarness(t)
	cert := kmip.Object{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}
	resp := h.must(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: cert.Type, Object: cert,
		Attributes: kmip.Attributes{{Name: kmip.AttrCertificateType, Value: kmip14.CertificateTypeX_509}}}).(*kmip.RegisterResponse)
	if got := h.attrs(kmip.V2_1, alice, resp.UniqueIdentifier).All(kmip.AttrCertificateType); len(got) != 1 {
		t.Fatalf("Certificate Type instances %v, want one", got)
	}
	_, err := h.do(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: cert.Type, Object: cert,
		Attributes: kmip.Attributes{{Name: kmip.AttrCertificateType, Value: kmip14.CertificateTypePGP}}})
	wantReason(t, err, kmip.ReasonInvalidAttributeValue)
}

// TestOperationPolicyName: an object whose creator named no operation
// policy gets the Operation Policy Name "default" (KMIP 1.x section 3.18.1),
// which 1.x clients read back and Locate by; a name the client set is
// kept; 2.x, which removed the attribute, never sees it.
func TestOperationPolicyName(t *testing.T) {
	h := newHarness(t)
	policyOf := func(v kmip.Version, id string) any {
		t.Helper()
		return h.attrs(v, alice, id, kmip.AttrOperationPolicyName).Get(kmip.AttrOperationPolicyName)
	}
	var defaults []string
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_2, kmip.V1_4, kmip.V2_1} {
		defaults = append(defaults, h.createAES(v, alice, 128))
	}
	defaults = append(defaults, h.must(kmip.V1_0, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Object: kmip.Object{
		Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("password")}}}).(*kmip.RegisterResponse).UniqueIdentifier)
	custom := h.createAES(kmip.V1_2, alice, 128, kmip.Attribute{Name: kmip.AttrOperationPolicyName, Value: "custom"})
	for _, id := range defaults {
		for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_3, kmip.V1_4} {
			if got := policyOf(v, id); got != "default" {
				t.Errorf("%v: Operation Policy Name of %s = %v, want default", v, id, got)
			}
		}
	}
	if got := policyOf(kmip.V1_4, custom); got != "custom" {
		t.Errorf("client-set Operation Policy Name = %v, want custom", got)
	}
	// A 1.x client may change it.
	modified := h.createAES(kmip.V1_4, alice, 128)
	h.must(kmip.V1_1, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: modified, Attribute: kmip.Attribute{Name: kmip.AttrOperationPolicyName, Value: "changed"}})
	if got := policyOf(kmip.V1_3, modified); got != "changed" {
		t.Errorf("modified Operation Policy Name = %v, want changed", got)
	}
	// All attributes, as a 1.2 client decodes them from the wire.
	msg := wireResponse(t, kmip.V1_2, kmip14.OperationGetAttributes, h.must(kmip.V1_2, alice, &kmip.GetAttributesRequest{UniqueIdentifier: defaults[0]}))
	decoded, err := kmip.DecodeResponse(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got := decoded.Items[0].Payload.(*kmip.GetAttributesResponse).Attributes.Get(kmip.AttrOperationPolicyName); got != "default" {
		t.Errorf("1.2 Get Attributes on the wire: Operation Policy Name = %v, want default", got)
	}
	for _, v := range []kmip.Version{kmip.V2_0, kmip.V2_1} {
		for _, id := range []string{defaults[0], custom} {
			resp := h.must(v, alice, &kmip.GetAttributesRequest{UniqueIdentifier: id})
			if hasTag(wireResponse(t, v, kmip14.OperationGetAttributes, resp), kmip14.TagOperationPolicyName) {
				t.Errorf("%v Get Attributes of %s holds the Operation Policy Name tag", v, id)
			}
		}
	}
	// Locate matches it, alone and with another filter.
	for _, tc := range []struct {
		policy string
		want   []string
	}{{"default", defaults[:4]}, {"custom", []string{custom}}, {"Default", nil}, {"none", nil}} {
		got := h.locate(kmip.V1_4, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{
			{Name: kmip.AttrOperationPolicyName, Value: tc.policy},
			{Name: kmip.AttrObjectType, Value: kmip14.ObjectTypeSymmetricKey}}})
		if !sameIDs(got.UniqueIdentifiers, tc.want) {
			t.Errorf("Locate Operation Policy Name %q = %v, want %v", tc.policy, got.UniqueIdentifiers, tc.want)
		}
	}
	if got := h.locate(kmip.V1_0, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{
		{Name: kmip.AttrOperationPolicyName, Value: "default"}}}); len(got.UniqueIdentifiers) != len(defaults) {
		t.Errorf("Locate Operation Policy Name default alone = %v, want %v", got.UniqueIdentifiers, defaults)
	}
}
