package kmip

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/conformance/corpus"
)

// TestDeriveKeyPayloadRoundTrip: every field of the Derive Key payloads
// survives encoding and decoding in every version, the attributes in a
// Template-Attribute (with template names) in 1.x and in Attributes in 2.x.
func TestDeriveKeyPayloadRoundTrip(t *testing.T) {
	attrs := Attributes{
		{Name: AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: AttrCryptographicLength, Value: int32(256)},
		{Name: AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskEncrypt | kmip14.CryptographicUsageMaskDecrypt)},
	}
	full := DerivationParameters{
		CryptographicParameters: &CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256},
		InitializationVector:    []byte{1, 2},
		DerivationData:          []byte{3},
		Salt:                    []byte("salt"),
		IterationCount:          4096,
	}
	for _, v := range everyVersion {
		reqs := []*DeriveKeyRequest{
			{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{"base"},
				Method: kmip14.DerivationMethodPBKDF2, Parameters: full, Attributes: attrs},
			{ObjectType: kmip14.ObjectTypeSecretData, UniqueIdentifiers: []string{"k", "data"},
				Method: kmip14.DerivationMethodHMAC, Parameters: DerivationParameters{DerivationData: []byte{}}, Attributes: attrs[1:2]},
			{ObjectType: kmip14.ObjectTypeSymmetricKey, Method: kmip14.DerivationMethodHASH, Attributes: attrs}, // the ID Placeholder
		}
		if !v.Is2x() {
			reqs = append(reqs, &DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{"b"},
				Method: kmip14.DerivationMethodNIST800_108_C, Attributes: attrs,
				TemplateNames: []Name{{Value: "t", Type: kmip14.NameTypeUninterpretedTextString}}})
		}
		for _, req := range reqs {
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationDeriveKey, v, req) })
			got, err := decodeRequestPayload(kmip14.OperationDeriveKey, v, b)
			if err != nil {
				t.Fatalf("%v: decode %+v: %v", v, req, err)
			}
			if !reflect.DeepEqual(got, req) {
				t.Errorf("%v: decoded %+v, want %+v", v, got, req)
			}
		}
		resp := &DeriveKeyResponse{UniqueIdentifier: "derived"}
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, kmip14.OperationDeriveKey, v, resp) })
		got, err := decodeResponsePayload(kmip14.OperationDeriveKey, v, b)
		if err != nil || !reflect.DeepEqual(got, resp) {
			t.Errorf("%v: response %+v, %v", v, got, err)
		}
	}
}

// TestDeriveKeyRequestRefusals: the required fields, and what the strict
// codec refuses in a Derivation Parameters structure.
func TestDeriveKeyRequestRefusals(t *testing.T) {
	method := func(e *ttlv.Encoder) {
		e.EncodeEnumeration(kmip14.TagDerivationMethod, uint32(kmip14.DerivationMethodHASH))
	}
	params := func(fields ...func(e *ttlv.Encoder)) func(e *ttlv.Encoder) {
		return container(kmip14.TagDerivationParameters, fields...)
	}
	for _, tc := range []struct {
		name   string
		v      Version
		fields []func(e *ttlv.Encoder)
		reason ResultReason
		names  string
	}{
		{"no Object Type", V2_1, []func(*ttlv.Encoder){uidField, method, params()}, ReasonMissingData, "Object Type"},
		{"no Derivation Method", V2_1, []func(*ttlv.Encoder){symmetricKeyType, uidField, params()}, ReasonMissingData, "Derivation Method"},
		{"no Derivation Parameters", V1_4, []func(*ttlv.Encoder){symmetricKeyType, uidField, method}, ReasonInvalidMessage, "Derivation Parameters"},
		{"a Data in the Derivation Parameters", V2_0, []func(*ttlv.Encoder){symmetricKeyType, uidField, method,
			params(func(e *ttlv.Encoder) { e.EncodeByteString(kmip14.TagData, []byte{1}) })}, ReasonInvalidMessage, "Data"},
		{"Attributes in the Derivation Parameters", V2_1, []func(*ttlv.Encoder){symmetricKeyType, uidField, method,
			params(algorithmAttrs2x)}, ReasonInvalidMessage, "Attributes"},
		{"a Salt of the wrong type", V1_2, []func(*ttlv.Encoder){symmetricKeyType, uidField, method,
			params(func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagSalt, "salt") })}, ReasonInvalidMessage, "Salt"},
		{"Derivation Parameters of the wrong type", V2_1, []func(*ttlv.Encoder){symmetricKeyType, uidField, method,
			func(e *ttlv.Encoder) { e.EncodeByteString(kmip14.TagDerivationParameters, []byte{1}) }}, ReasonInvalidMessage, "Derivation Parameters"},
		{"Protection Storage Masks", V2_1, []func(*ttlv.Encoder){symmetricKeyType, uidField, method, params(),
			container(kmip20.TagProtectionStorageMasks)}, ReasonFeatureNotSupported, "Protection Storage Masks"},
		{"a Template-Attribute in 2.x", V2_0, []func(*ttlv.Encoder){symmetricKeyType, uidField, method, params(), templateAttr1x},
			ReasonInvalidMessage, "Template-Attribute"},
		{"Attributes in 1.x", V1_3, []func(*ttlv.Encoder){symmetricKeyType, uidField, method, params(), algorithmAttrs2x},
			ReasonInvalidMessage, "Attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeRequestPayload(kmip14.OperationDeriveKey, tc.v, requestPayload(t, tc.fields...))
			if err == nil || err.Reason != tc.reason || !strings.Contains(err.Message, tc.names) {
				t.Errorf("decoded %+v, %v; want %v naming %s", p, err, tc.reason, tc.names)
			}
		})
	}
}

// TestDecodeDeriveKeyVectors decodes the Derive Key requests of the OASIS
// test cases TC-DERIVEKEY-1 to -6 of KMIP Test Cases 2.0.
func TestDecodeDeriveKeyVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus.Require(t, "v2.0-tc"), "v2.0-tc", "TC-DERIVEKEY-*.xml"))
	if err != nil || len(files) != 6 {
		t.Fatalf("TC-DERIVEKEY files: %v, %v", files, err)
	}
	for _, file := range files {
		n := 0
		for _, r := range loadVectorRequests(t, file) {
			if r.op != kmip14.OperationDeriveKey {
				continue
			}
			n++
			p, err := decodeRequestPayload(r.op, r.version, r.payload)
			if err != nil {
				t.Errorf("%s: %v", r.file, err)
				continue
			}
			d := p.(*DeriveKeyRequest)
			if d.ObjectType != kmip14.ObjectTypeSymmetricKey || len(d.UniqueIdentifiers) == 0 || d.Method == 0 || !d.Attributes.Has(AttrCryptographicLength) {
				t.Errorf("%s: decoded %+v", r.file, d)
			}
		}
		if n == 0 {
			t.Errorf("%s: no Derive Key request", filepath.Base(file))
		}
	}
}
