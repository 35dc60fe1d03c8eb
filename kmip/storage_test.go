package kmip

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// sampleAttributes holds one attribute of every value shape, 2.x-only and
// custom ones included.
func sampleAttributes() Attributes {
	count := int64(3)
	iv := true
	salt := int32(20)
	now := time.Unix(1700000000, 0).UTC()
	return Attributes{
		{Name: AttrUniqueIdentifier, Value: "uid-1"},
		{Name: AttrName, Value: Name{Value: "key one", Type: kmip14.NameTypeUninterpretedTextString}},
		{Name: AttrName, Index: 1, Value: Name{Value: "urn:key", Type: kmip14.NameTypeURI}},
		{Name: AttrObjectType, Value: ObjectType(kmip14.ObjectTypeSymmetricKey)},
		{Name: AttrCryptographicAlgorithm, Value: CryptographicAlgorithm(kmip14.CryptographicAlgorithmAES)},
		{Name: AttrCryptographicLength, Value: int32(256)},
		{Name: AttrCryptographicUsageMask, Value: int32(12)},
		{Name: AttrCryptographicParameters, Value: CryptographicParameters{
			BlockCipherMode: kmip14.BlockCipherModeGCM, RandomIV: &iv, TagLength: 16, SaltLength: &salt, PSource: []byte{1}}},
		{Name: AttrDigest, Value: Digest{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256, Value: []byte{9, 9}, KeyFormatType: kmip14.KeyFormatTypeRaw}},
		{Name: AttrOperationPolicyName, Value: "default"},
		{Name: AttrUsageLimits, Value: UsageLimits{Total: 10, Count: &count, Unit: 1}},
		{Name: AttrState, Value: State(kmip14.StatePreActive)},
		{Name: AttrInitialDate, Value: now},
		{Name: AttrLeaseTime, Value: time.Hour},
		{Name: AttrRevocationReason, Value: RevocationReason{Code: kmip14.RevocationReasonCodeKeyCompromise, Message: "lost"}},
		{Name: AttrObjectGroup, Value: "g"},
		{Name: AttrFresh, Value: true},
		{Name: AttrLink, Value: Link{Type: kmip14.LinkTypePublicKeyLink, ID: "uid-2"}},
		{Name: AttrApplicationSpecificInformation, Value: ApplicationSpecificInformation{Namespace: "ns", Data: "d"}},
		{Name: AttrDescription, Value: "desc"},
		{Name: AttrSensitive, Value: false},
		{Name: AttrShortUniqueIdentifier, Value: []byte{1, 2, 3}},
		{Name: AttrQuantumSafe, Value: true},
		{Name: AttrKeyFormatType, Value: KeyFormatType(kmip14.KeyFormatTypeRaw)},
		{Name: AttrNISTKeyType, Value: uint32(1)},
		{Name: AttrProtectionPeriod, Value: 2 * time.Hour},
		{Name: AttrRandomNumberGenerator, Value: RNGParameters{RNGAlgorithm: uint32(kmip14.RNGAlgorithmDRBG),
			DRBGAlgorithm: uint32(kmip14.DRBGAlgorithmHash), HashingAlgorithm: kmip14.HashingAlgorithmSHA_256, PredictionResistance: &iv}},
		{Name: AttrAlternativeName, Value: AlternativeName{Value: "tape-1", Type: uint32(kmip14.AlternativeNameTypeUninterpretedTextString)}},
		{Name: AttrAlternativeName, Index: 1, Value: AlternativeName{Value: "10.0.0.1", Type: uint32(kmip14.AlternativeNameTypeIPAddress)}},
		{Name: AttrKeyValueLocation, Value: rawStructure()},
		{Name: AttrProtectionStorageMask, Value: int32(kmip20.ProtectionStorageMaskSoftware)},
		{Name: AttrCertificateSubjectCN, Value: "CN"},
		{Name: AttrX509CertificateIssuer, Value: rawStructure()},
		{Name: AttrCertificateIssuer, Value: rawStructure()},
		{Name: "x-Product", Value: "vSphere"},
		{Name: "x-Count", Value: int64(7)},
		{Name: "y-Flag", Value: true},
		{Name: "ACME:Tier", Value: uint32(2)},
	}
}

func TestStorageAttributesRoundTrip(t *testing.T) {
	want := sampleAttributes()
	b, err := MarshalAttributes(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalAttributes(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, want)
	}
}

func TestStorageObjectRoundTrip(t *testing.T) {
	for _, obj := range sampleObjects() {
		b, err := MarshalObject(&obj)
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnmarshalObject(b)
		if err != nil {
			t.Fatalf("%v: %v", obj.Type, err)
		}
		if !reflect.DeepEqual(*got, obj) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", *got, obj)
		}
	}
}

func TestStorageRejectsGarbage(t *testing.T) {
	b, _ := MarshalAttributes(sampleAttributes())
	for _, bad := range [][]byte{nil, {0x42}, b[:len(b)-8], append([]byte{}, b[8:]...)} {
		if _, err := UnmarshalAttributes(bad); err == nil {
			t.Errorf("UnmarshalAttributes(% x...) succeeded", bad[:min(len(bad), 8)])
		}
		if _, err := UnmarshalObject(bad); err == nil {
			t.Errorf("UnmarshalObject(% x...) succeeded", bad[:min(len(bad), 8)])
		}
	}
}

// sampleObjects holds one object of every supported type.
func sampleObjects() []Object {
	key := []byte("0123456789abcdef0123456789abcdef")
	return []Object{
		{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key,
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256}},
		{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeTransparentSymmetricKey, Material: key}},
		{Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
			KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("pw")}},
		{Type: kmip14.ObjectTypeOpaqueObject, OpaqueDataType: OpaqueDataType(0x80000001), OpaqueValue: []byte("blob")},
		{Type: kmip14.ObjectTypePublicKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeX_509, Material: []byte{0x30},
			Algorithm: kmip14.CryptographicAlgorithmRSA, Length: 2048}},
		{Type: kmip14.ObjectTypePrivateKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_8, Material: []byte{0x30, 1}}},
		{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key, Wrapped: true,
			Attributes: []Attribute{{Name: AttrCryptographicLength, Value: int32(256)}}}},
		{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: []byte{0x30, 2}},
		{Type: kmip14.ObjectTypePrivateKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeTransparentRSAPrivateKey,
			Transparent: transparentRSAPrivateKey(), Algorithm: kmip14.CryptographicAlgorithmRSA, Length: 1024}},
		{Type: kmip14.ObjectTypePublicKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeTransparentDSAPublicKey,
			Transparent: &TransparentKey{P: big.NewInt(23), Q: big.NewInt(11), G: big.NewInt(4), Y: big.NewInt(8)},
			Algorithm:   kmip14.CryptographicAlgorithmDSA, Length: 512}},
		{Type: kmip14.ObjectTypePrivateKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeTransparentECPrivateKey,
			Transparent: &TransparentKey{RecommendedCurve: uint32(kmip14.RecommendedCurveP_256), D: big.NewInt(7)}}},
		{Type: kmip14.ObjectTypePublicKey, KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeTransparentECPublicKey,
			Transparent: &TransparentKey{RecommendedCurve: uint32(kmip14.RecommendedCurveP_256), QString: []byte{4, 1, 2}}}},
		{Type: kmip14.ObjectTypeTemplate, TemplateAttributes: Attributes{
			{Name: AttrCryptographicAlgorithm, Value: CryptographicAlgorithm(kmip14.CryptographicAlgorithmAES)},
			{Name: AttrObjectGroup, Value: "g"}}},
	}
}

// transparentRSAPrivateKey is a toy RSA key (p=61, q=53) with every field,
// the modulus larger than 64 bits so that it spans several words.
func transparentRSAPrivateKey() *TransparentKey {
	n, _ := new(big.Int).SetString("00c3a1b2d4e5f60718293a4b5c6d7e8f9102030405060708090a0b0c0d0e0f1011", 16)
	return &TransparentKey{Modulus: n, PrivateExponent: big.NewInt(2753), PublicExponent: big.NewInt(65537),
		P: big.NewInt(61), Q: big.NewInt(53), PrimeExponentP: big.NewInt(53), PrimeExponentQ: big.NewInt(49),
		CRTCoefficient: big.NewInt(38)}
}

// rawStructure is a structure value the attribute model has no Go type for.
func rawStructure() ttlv.TTLV {
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	_ = e.EncodeStructure(kmip14.TagAttributeValue, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagRNGAlgorithm, 1)
		e.EncodeTextString(kmip14.TagDescription, "drbg")
		return nil
	})
	_ = e.Flush()
	return buf.Bytes()
}
