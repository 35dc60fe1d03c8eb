package kmip

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The attribute forms of one version family in a request of the other
// (issue 14): a 2.x request with a Template-Attribute, Attribute structures
// or Attribute Names and Indexes, a 1.x request with Attributes, Attribute
// References or New and Current Attributes. Each is refused with Invalid
// Message naming the element (extraField), never skipped.

// requestPayload encodes a Request Payload holding what fields writes.
func requestPayload(t *testing.T, fields ...func(e *ttlv.Encoder)) []byte {
	t.Helper()
	return encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			for _, f := range fields {
				f(e)
			}
			return nil
		})
	})
}

// Fields of the test payloads.
var (
	symmetricKeyType = func(e *ttlv.Encoder) {
		e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSymmetricKey))
	}
	uidField = func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagUniqueIdentifier, "u1") }

	// nameAttr1x is the 1.x Attribute { Name "k1" }.
	nameAttr1x = func(e *ttlv.Encoder) {
		e.EncodeStructure(kmip14.TagAttribute, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagAttributeName, AttrName)
			return encodeAttrValue(e, kmip14.TagAttributeValue, LookupAttr(AttrName), V1_4,
				Name{Value: "k1", Type: kmip14.NameTypeUninterpretedTextString})
		})
	}
	// templateAttr1x is a Template-Attribute holding nameAttr1x.
	templateAttr1x = container(kmip14.TagTemplateAttribute, nameAttr1x)
	// algorithmAttrs2x is the 2.x Attributes { Cryptographic Algorithm AES }.
	algorithmAttrs2x = container(kmip20.TagAttributes, algorithm2x)
	algorithm2x      = func(e *ttlv.Encoder) {
		e.EncodeEnumeration(kmip14.TagCryptographicAlgorithm, uint32(kmip14.CryptographicAlgorithmAES))
	}
)

// container returns a writer of the structure tag holding what fields
// writes.
func container(tag ttlv.Tag, fields ...func(e *ttlv.Encoder)) func(e *ttlv.Encoder) {
	return func(e *ttlv.Encoder) {
		e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
			for _, f := range fields {
				f(e)
			}
			return nil
		})
	}
}

// objectField writes obj as it appears in a Register or Import of v.
func objectField(v Version, obj Object) func(e *ttlv.Encoder) {
	return func(e *ttlv.Encoder) { encodeObject(e, v, &obj) }
}

// wantRefusal checks that err refuses the payload with Invalid Message
// naming the element.
func wantRefusal(t *testing.T, p any, err *Error, element ttlv.Tag) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("decoded %#v, want Invalid Message naming %s", p, tagName(element))
	case p != nil:
		t.Errorf("payload %#v returned with an error", p)
	}
	if err.Reason != ReasonInvalidMessage || !strings.Contains(err.Message, tagName(element)) {
		t.Errorf("refused with %v, want Invalid Message naming %s", err, tagName(element))
	}
}

func TestDecodeRefusesOtherVersionForms(t *testing.T) {
	key := sampleObjects()[0]
	tests := []struct {
		name    string
		op      Operation
		v       Version
		fields  []func(e *ttlv.Encoder)
		element ttlv.Tag // the element the refusal names
	}{
		// 1.x forms in 2.x requests.
		{"2.x Register with a Template-Attribute", kmip14.OperationRegister, V2_1,
			[]func(*ttlv.Encoder){symmetricKeyType, templateAttr1x, objectField(V2_1, key)}, kmip14.TagTemplateAttribute},
		{"2.x Register with a Template-Attribute beside Attributes", kmip14.OperationRegister, V2_0,
			[]func(*ttlv.Encoder){symmetricKeyType, algorithmAttrs2x, templateAttr1x, objectField(V2_0, key)}, kmip14.TagTemplateAttribute},
		{"2.x Create with a Template-Attribute", kmip14.OperationCreate, V2_0,
			[]func(*ttlv.Encoder){symmetricKeyType, templateAttr1x}, kmip14.TagTemplateAttribute},
		{"2.x Create with an Attribute", kmip14.OperationCreate, V2_1,
			[]func(*ttlv.Encoder){symmetricKeyType, nameAttr1x}, kmip14.TagAttribute},
		{"2.x Create Key Pair with a Common Template-Attribute", kmip14.OperationCreateKeyPair, V2_1,
			[]func(*ttlv.Encoder){container(kmip14.TagCommonTemplateAttribute, nameAttr1x)}, kmip14.TagCommonTemplateAttribute},
		{"2.x Re-key Key Pair with a Public Key Template-Attribute", kmip14.OperationReKeyKeyPair, V2_1,
			[]func(*ttlv.Encoder){container(kmip14.TagPublicKeyTemplateAttribute, nameAttr1x)}, kmip14.TagPublicKeyTemplateAttribute},
		{"2.x Re-key with a Template-Attribute", kmip14.OperationReKey, V2_1,
			[]func(*ttlv.Encoder){uidField, templateAttr1x}, kmip14.TagTemplateAttribute},
		{"2.x Locate with an Attribute filter", kmip14.OperationLocate, V2_1,
			[]func(*ttlv.Encoder){nameAttr1x}, kmip14.TagAttribute},
		{"2.x Locate with a Template-Attribute filter", kmip14.OperationLocate, V2_0,
			[]func(*ttlv.Encoder){templateAttr1x}, kmip14.TagTemplateAttribute},
		{"2.x Locate with a filter outside Attributes", kmip14.OperationLocate, V2_1,
			[]func(*ttlv.Encoder){symmetricKeyType}, kmip14.TagObjectType},
		{"2.x Certify with a Template-Attribute", kmip14.OperationCertify, V2_1,
			[]func(*ttlv.Encoder){uidField, templateAttr1x}, kmip14.TagTemplateAttribute},
		{"2.x Create Split Key with a Template-Attribute", kmip14.OperationCreateSplitKey, V2_1,
			[]func(*ttlv.Encoder){templateAttr1x}, kmip14.TagTemplateAttribute},
		{"2.x Import with an Attribute", kmip14.OperationImport, V2_1,
			[]func(*ttlv.Encoder){uidField, symmetricKeyType, nameAttr1x, objectField(V2_1, key)}, kmip14.TagAttribute},
		{"2.x Add Attribute with an Attribute", kmip14.OperationAddAttribute, V2_1,
			[]func(*ttlv.Encoder){uidField, nameAttr1x}, kmip14.TagAttribute},
		{"2.x Modify Attribute with an Attribute", kmip14.OperationModifyAttribute, V2_0,
			[]func(*ttlv.Encoder){uidField, nameAttr1x}, kmip14.TagAttribute},
		{"2.x Set Attribute with an Attribute", OperationSetAttribute, V2_1,
			[]func(*ttlv.Encoder){uidField, nameAttr1x}, kmip14.TagAttribute},
		{"2.x Delete Attribute by Attribute Name", kmip14.OperationDeleteAttribute, V2_1,
			[]func(*ttlv.Encoder){uidField, func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagAttributeName, AttrName) }},
			kmip14.TagAttributeName},
		{"2.x Delete Attribute with an Attribute Index", kmip14.OperationDeleteAttribute, V2_1,
			[]func(*ttlv.Encoder){uidField, func(e *ttlv.Encoder) {
				e.EncodeEnumeration(kmip20.TagAttributeReference, uint32(kmip14.TagName))
				e.EncodeInteger(kmip14.TagAttributeIndex, 1)
			}}, kmip14.TagAttributeIndex},
		{"2.x Get Attributes by Attribute Name", kmip14.OperationGetAttributes, V2_1,
			[]func(*ttlv.Encoder){uidField, func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagAttributeName, AttrState) }},
			kmip14.TagAttributeName},
		{"2.x vendor Attribute with an Attribute Index", kmip14.OperationCreate, V2_1,
			[]func(*ttlv.Encoder){symmetricKeyType, container(kmip20.TagAttributes, container(kmip14.TagAttribute,
				func(e *ttlv.Encoder) {
					e.EncodeTextString(kmip14.TagVendorIdentification, "x")
					e.EncodeTextString(kmip14.TagAttributeName, "Product")
					e.EncodeInteger(kmip14.TagAttributeIndex, 0)
					e.EncodeTextString(kmip14.TagAttributeValue, "vSphere")
				}))}, kmip14.TagAttributeIndex},
		{"2.x Encrypt with a field of Signature Verify", kmip14.OperationEncrypt, V2_1,
			[]func(*ttlv.Encoder){uidField, func(e *ttlv.Encoder) { e.EncodeByteString(kmip14.TagSignatureData, []byte{1}) }},
			kmip14.TagSignatureData},

		// 2.x forms in 1.x requests.
		{"1.x Locate with Attributes", kmip14.OperationLocate, V1_4,
			[]func(*ttlv.Encoder){algorithmAttrs2x}, kmip20.TagAttributes},
		{"1.x Locate with Attributes in a Template-Attribute", kmip14.OperationLocate, V1_2,
			[]func(*ttlv.Encoder){container(kmip14.TagTemplateAttribute, algorithmAttrs2x)}, kmip20.TagAttributes},
		{"1.x Register with Attributes", kmip14.OperationRegister, V1_4,
			[]func(*ttlv.Encoder){symmetricKeyType, algorithmAttrs2x, objectField(V1_4, key)}, kmip20.TagAttributes},
		{"1.x Create with Attributes", kmip14.OperationCreate, V1_0,
			[]func(*ttlv.Encoder){symmetricKeyType, algorithmAttrs2x}, kmip20.TagAttributes},
		{"1.x Create Key Pair with Common Attributes", kmip14.OperationCreateKeyPair, V1_4,
			[]func(*ttlv.Encoder){container(kmip20.TagCommonAttributes, algorithm2x)}, kmip20.TagCommonAttributes},
		{"1.x Get Attributes by Attribute Reference", kmip14.OperationGetAttributes, V1_4,
			[]func(*ttlv.Encoder){uidField, func(e *ttlv.Encoder) {
				e.EncodeEnumeration(kmip20.TagAttributeReference, uint32(kmip14.TagState))
			}}, kmip20.TagAttributeReference},
		{"1.x Add Attribute with a New Attribute", kmip14.OperationAddAttribute, V1_1,
			[]func(*ttlv.Encoder){uidField, container(kmip20.TagNewAttribute, algorithm2x)}, kmip20.TagNewAttribute},
		{"1.x Modify Attribute with a Current Attribute", kmip14.OperationModifyAttribute, V1_4,
			[]func(*ttlv.Encoder){uidField, nameAttr1x, container(kmip20.TagCurrentAttribute, algorithm2x)}, kmip20.TagCurrentAttribute},
		{"1.x Delete Attribute with a Current Attribute", kmip14.OperationDeleteAttribute, V1_4,
			[]func(*ttlv.Encoder){uidField, container(kmip20.TagCurrentAttribute, algorithm2x),
				func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagAttributeName, AttrName) }}, kmip20.TagCurrentAttribute},
		{"1.x Create Key Pair with a bare Template-Attribute", kmip14.OperationCreateKeyPair, V1_4,
			[]func(*ttlv.Encoder){templateAttr1x}, kmip14.TagTemplateAttribute},
		{"1.x Get with a Template-Attribute", kmip14.OperationGet, V1_4,
			[]func(*ttlv.Encoder){uidField, templateAttr1x}, kmip14.TagTemplateAttribute},

		// A 1.x field that 1.x tolerates elsewhere (a stray Object Type in
		// Get), but not in a Locate, where it would be a filter dropped.
		{"1.x Locate with a filter outside an Attribute", kmip14.OperationLocate, V1_2,
			[]func(*ttlv.Encoder){symmetricKeyType}, kmip14.TagObjectType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodeRequestPayload(tt.op, tt.v, requestPayload(t, tt.fields...))
			wantRefusal(t, p, err, tt.element)
		})
	}
}

// TestEveryRequestDecoderRefusesOtherForms runs the refusal through the
// decoder of every operation of the table: a 2.x request holding a
// Template-Attribute or an Attribute Index, and a 1.x request holding
// Attributes, are refused naming them, whatever the operation.
func TestEveryRequestDecoderRefusesOtherForms(t *testing.T) {
	cases := []struct {
		v       Version
		element ttlv.Tag
		field   func(e *ttlv.Encoder)
	}{
		{V2_1, kmip14.TagTemplateAttribute, templateAttr1x},
		{V2_0, kmip14.TagAttributeIndex, func(e *ttlv.Encoder) { e.EncodeInteger(kmip14.TagAttributeIndex, 0) }},
		{V2_1, ttlv.Tag(0x4201ff), func(e *ttlv.Encoder) { e.EncodeInteger(ttlv.Tag(0x4201ff), 0) }}, // no KMIP tag
		{V1_4, kmip20.TagAttributes, algorithmAttrs2x},
		{V1_0, kmip20.TagAttributeReference, func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip20.TagAttributeReference, uint32(kmip14.TagState))
		}},
	}
	for _, c := range cases {
		payload := requestPayload(t, c.field)
		for _, d := range opDefs {
			if !d.definedIn(c.v) {
				continue
			}
			p, err := decodeRequestPayload(d.op, c.v, payload)
			if err == nil || err.Reason != ReasonInvalidMessage || !strings.Contains(err.Message, tagName(c.element)) {
				t.Errorf("%v %v request with %s: %#v, %v; want Invalid Message naming it", c.v, d.op, tagName(c.element), p, err)
			}
		}
	}
}

// TestRefusalNamesTheCounterpart: the message of a refused form names the
// form the version has instead.
func TestRefusalNamesTheCounterpart(t *testing.T) {
	_, err := decodeRequestPayload(kmip14.OperationLocate, V2_1, requestPayload(t, templateAttr1x))
	if err == nil || !strings.Contains(err.Message, "Template-Attribute") || !strings.Contains(err.Message, "Attributes") {
		t.Errorf("2.1 Locate with a Template-Attribute: %v", err)
	}
	_, err = decodeRequestPayload(kmip14.OperationGetAttributes, V1_4, requestPayload(t, uidField, func(e *ttlv.Encoder) {
		e.EncodeEnumeration(kmip20.TagAttributeReference, uint32(kmip14.TagState))
	}))
	if err == nil || !strings.Contains(err.Message, "Attribute Reference") || !strings.Contains(err.Message, "Attribute Name") {
		t.Errorf("1.4 Get Attributes with an Attribute Reference: %v", err)
	}
}

// TestDecodeKeepsToleratedFields: what the strict decoding still accepts.
// Vendor extensions in every version; in 1.x, fields of KMIP 1.x outside
// their place (a 1.3 field in 1.0, a stray Object Type in Get); the
// FortiGate Template-Attribute around 1.x Locate filters; any extra field
// of a response, which the Client reads liberally.
func TestDecodeKeepsToleratedFields(t *testing.T) {
	extension := func(e *ttlv.Encoder) { e.EncodeTextString(ttlv.Tag(0x54ffff), "vendor") }
	for _, tc := range []struct {
		name   string
		op     Operation
		v      Version
		fields []func(e *ttlv.Encoder)
		want   any
	}{
		{"2.x Get with a vendor extension", kmip14.OperationGet, V2_1,
			[]func(*ttlv.Encoder){uidField, extension}, &GetRequest{UniqueIdentifier: "u1"}},
		{"2.x Locate with a vendor extension", kmip14.OperationLocate, V2_0,
			[]func(*ttlv.Encoder){algorithmAttrs2x, extension},
			&LocateRequest{Attributes: Attributes{{Name: AttrCryptographicAlgorithm, Value: CryptographicAlgorithm(kmip14.CryptographicAlgorithmAES)}}}},
		{"1.x Get with a vendor extension and a stray Object Type", kmip14.OperationGet, V1_2,
			[]func(*ttlv.Encoder){uidField, extension, symmetricKeyType}, &GetRequest{UniqueIdentifier: "u1"}},
		{"1.0 Locate with Offset Items and a Template-Attribute", kmip14.OperationLocate, V1_0,
			[]func(*ttlv.Encoder){func(e *ttlv.Encoder) { e.EncodeInteger(kmip14.TagOffsetItems, 16) }, templateAttr1x},
			&LocateRequest{OffsetItems: 16, Attributes: Attributes{{Name: AttrName, Value: Name{Value: "k1", Type: kmip14.NameTypeUninterpretedTextString}}}}},
		{"2.x Get with a Key Wrap Type", kmip14.OperationGet, V2_1,
			[]func(*ttlv.Encoder){uidField, func(e *ttlv.Encoder) {
				e.EncodeEnumeration(kmip14.TagKeyWrapType, uint32(kmip14.KeyWrapTypeAsRegistered))
			}}, &GetRequest{UniqueIdentifier: "u1", KeyWrapType: kmip14.KeyWrapTypeAsRegistered}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeRequestPayload(tc.op, tc.v, requestPayload(t, tc.fields...))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Errorf("decoded %#v, want %#v", p, tc.want)
			}
		})
	}

	resp := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
			uidField(e)
			templateAttr1x(e) // not a 2.x field: a server's extra, skipped
			e.EncodeTextString(ttlv.Tag(0x4201ff), "?")
			return nil
		})
	})
	p, err := decodeResponsePayload(kmip14.OperationActivate, V2_1, resp)
	if err != nil || p.(*ActivateResponse).UniqueIdentifier != "u1" {
		t.Errorf("2.1 Activate response with extra fields: %#v, %v", p, err)
	}
}

// TestProtectionStorageMasksNotSupported: the 2.x Protection Storage Masks
// of the requests that create objects ask for a storage the server does
// not choose by them; they are refused as not supported rather than
// ignored.
func TestProtectionStorageMasksNotSupported(t *testing.T) {
	masks := func(tag ttlv.Tag) func(e *ttlv.Encoder) {
		return container(tag, func(e *ttlv.Encoder) {
			e.EncodeInteger(kmip20.TagProtectionStorageMask, int32(kmip20.ProtectionStorageMaskHardware))
		})
	}
	key := sampleObjects()[0]
	for _, tc := range []struct {
		op     Operation
		fields []func(e *ttlv.Encoder)
		tag    ttlv.Tag
	}{
		{kmip14.OperationCreate, []func(*ttlv.Encoder){symmetricKeyType, algorithmAttrs2x}, kmip20.TagProtectionStorageMasks},
		{kmip14.OperationRegister, []func(*ttlv.Encoder){symmetricKeyType, algorithmAttrs2x, objectField(V2_1, key)}, kmip20.TagProtectionStorageMasks},
		{kmip14.OperationReKey, []func(*ttlv.Encoder){uidField}, kmip20.TagProtectionStorageMasks},
		{kmip14.OperationCertify, []func(*ttlv.Encoder){uidField}, kmip20.TagProtectionStorageMasks},
		{kmip14.OperationCreateSplitKey, nil, kmip20.TagProtectionStorageMasks},
		{kmip14.OperationJoinSplitKey, nil, kmip20.TagProtectionStorageMasks},
		{kmip14.OperationCreateKeyPair, nil, kmip20.TagCommonProtectionStorageMasks},
		{kmip14.OperationReKeyKeyPair, nil, kmip20.TagPrivateProtectionStorageMasks},
	} {
		p, err := decodeRequestPayload(tc.op, V2_1, requestPayload(t, append(tc.fields, masks(tc.tag))...))
		if err == nil || err.Reason != ReasonFeatureNotSupported || !strings.Contains(err.Message, tagName(tc.tag)) {
			t.Errorf("2.1 %v with %s: %#v, %v; want Feature Not Supported naming it", tc.op, tagName(tc.tag), p, err)
		}
	}
}
