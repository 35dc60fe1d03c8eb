package kmip

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

var codecTestVersions = []Version{V1_0, V1_2, V1_4, V2_0, V2_1}

// payloadCase is one operation's request and response, as a function of the
// version (fields a version lacks are left out of the expectation).
type payloadCase struct {
	op   Operation
	req  any
	resp any
}

// commonAttributes are defined in every version.
func commonAttributes() Attributes {
	return Attributes{
		{Name: AttrCryptographicAlgorithm, Value: CryptographicAlgorithm(kmip14.CryptographicAlgorithmAES)},
		{Name: AttrCryptographicLength, Value: int32(256)},
		{Name: AttrCryptographicUsageMask, Value: int32(12)},
		{Name: AttrName, Value: Name{Value: "k1", Type: kmip14.NameTypeUninterpretedTextString}},
		{Name: AttrName, Index: 1, Value: Name{Value: "k2", Type: kmip14.NameTypeUninterpretedTextString}},
		{Name: AttrLink, Value: Link{Type: kmip14.LinkTypeParentLink, ID: "p"}},
		{Name: AttrActivationDate, Value: time.Unix(1600000000, 0).UTC()},
		{Name: "x-Product", Value: "vSphere"},
		{Name: "x-Size", Value: int32(3)},
	}
}

func payloadCases(v Version) []payloadCase {
	attrs := commonAttributes()
	key := sampleObjects()[0]
	secret := sampleObjects()[2]
	var located int32
	if v.AtLeast(V1_3) {
		located = 7
	}
	var offset int32
	var mask StorageStatusMask
	if v.AtLeast(V1_3) {
		offset, mask = 16, kmip14.StorageStatusMaskOnLineStorage
	}
	var implicit Attributes // 1.x only
	if !v.Is2x() {
		implicit = Attributes{{Name: AttrState, Value: State(kmip14.StatePreActive)}}
	}
	cases := []payloadCase{
		{kmip14.OperationDiscoverVersions,
			&DiscoverVersionsRequest{Versions: []Version{V2_0, V1_4}},
			&DiscoverVersionsResponse{Versions: []Version{V1_4}}},
		{kmip14.OperationQuery,
			&QueryRequest{Functions: []QueryFunction{kmip14.QueryFunctionQueryOperations, kmip14.QueryFunctionQueryServerInformation}},
			&QueryResponse{Operations: []Operation{kmip14.OperationCreate, kmip14.OperationGet},
				ObjectTypes:           []ObjectType{kmip14.ObjectTypeSymmetricKey},
				VendorIdentification:  "kmipd",
				ServerInformation:     &ServerInformation{ServerName: "s", ServerVersion: "1", BuildDate: "today"},
				ApplicationNamespaces: []string{"ns"}}},
		{kmip14.OperationCreate,
			&CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs},
			&CreateResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "u1", Attributes: implicit}},
		{kmip14.OperationRegister,
			&RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Attributes: attrs, Object: secret},
			&RegisterResponse{UniqueIdentifier: "u2", Attributes: implicit}},
		{kmip14.OperationGet,
			&GetRequest{UniqueIdentifier: "u1", KeyFormatType: kmip14.KeyFormatTypeRaw, KeyCompressionType: 0},
			&GetResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "u1", Object: key}},
		{kmip14.OperationGetAttributes,
			&GetAttributesRequest{UniqueIdentifier: "u1", Names: []string{AttrState, AttrName, "x-Product"}},
			&GetAttributesResponse{UniqueIdentifier: "u1", Attributes: attrs}},
		{kmip14.OperationGetAttributeList,
			&GetAttributeListRequest{UniqueIdentifier: "u1"},
			&GetAttributeListResponse{UniqueIdentifier: "u1", Names: []string{AttrState, AttrName, "x-Product"}}},
		{kmip14.OperationAddAttribute,
			&AddAttributeRequest{UniqueIdentifier: "u1", Attribute: Attribute{Name: "x-Vendor", Value: "VMware"}},
			&AddAttributeResponse{UniqueIdentifier: "u1", Attribute: echo(v, Attribute{Name: "x-Vendor", Value: "VMware"})}},
		{kmip14.OperationModifyAttribute,
			&ModifyAttributeRequest{UniqueIdentifier: "u1", Attribute: Attribute{Name: AttrObjectGroup, Value: "g2"}},
			&ModifyAttributeResponse{UniqueIdentifier: "u1", Attribute: echo(v, Attribute{Name: AttrObjectGroup, Value: "g2"})}},
		{kmip14.OperationDeleteAttribute,
			&DeleteAttributeRequest{UniqueIdentifier: "u1", Name: "x-Vendor", Index: -1},
			&DeleteAttributeResponse{UniqueIdentifier: "u1", Attribute: echo(v, Attribute{Name: "x-Vendor", Value: "VMware"})}},
		{kmip14.OperationLocate,
			&LocateRequest{MaximumItems: 16, OffsetItems: offset, StorageStatusMask: mask, Attributes: attrs[:4]},
			&LocateResponse{LocatedItems: located, UniqueIdentifiers: []string{"a", "b"}}},
		{kmip14.OperationActivate, &ActivateRequest{UniqueIdentifier: "u1"}, &ActivateResponse{UniqueIdentifier: "u1"}},
		{kmip14.OperationRevoke,
			&RevokeRequest{UniqueIdentifier: "u1", Reason: RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation, Message: "bye"},
				CompromiseOccurrenceDate: time.Unix(1500000000, 0).UTC()},
			&RevokeResponse{UniqueIdentifier: "u1"}},
		{kmip14.OperationDestroy, &DestroyRequest{UniqueIdentifier: "u1"}, &DestroyResponse{UniqueIdentifier: "u1"}},
		{kmip14.OperationRegister,
			&RegisterRequest{ObjectType: kmip14.ObjectTypePrivateKey, Attributes: attrs[:1], Object: sampleObjects()[8]},
			&RegisterResponse{UniqueIdentifier: "u3", Attributes: implicit}},
		{kmip14.OperationGet,
			&GetRequest{UniqueIdentifier: "u4"},
			&GetResponse{ObjectType: kmip14.ObjectTypePublicKey, UniqueIdentifier: "u4", Object: sampleObjects()[9]}},
		{kmip14.OperationCheck,
			&CheckRequest{UniqueIdentifier: "u1", UsageLimitsCount: 5, CryptographicUsageMask: 4, LeaseTime: time.Hour},
			&CheckResponse{UniqueIdentifier: "u1", CryptographicUsageMask: 4}},
	}
	if v.Is2x() {
		current := Attribute{Name: AttrObjectGroup, Value: "g1"}
		cases = append(cases,
			payloadCase{OperationLog, &LogRequest{Message: "BL-M-1-21 done"}, nil},
			payloadCase{OperationInterop, &InteropRequest{Function: InteropBegin, Identifier: "BL-M-1-21"}, nil},
			payloadCase{OperationSetAttribute,
				&SetAttributeRequest{UniqueIdentifier: "u1", Attribute: Attribute{Name: AttrContactInformation, Value: "me"}},
				&SetAttributeResponse{UniqueIdentifier: "u1"}},
			payloadCase{kmip14.OperationModifyAttribute,
				&ModifyAttributeRequest{UniqueIdentifier: "u1", Current: &current, Attribute: Attribute{Name: AttrObjectGroup, Value: "g2"}},
				&ModifyAttributeResponse{UniqueIdentifier: "u1"}},
			payloadCase{kmip14.OperationDeleteAttribute,
				&DeleteAttributeRequest{UniqueIdentifier: "u1", Name: AttrObjectGroup, Index: -1, Current: &current},
				&DeleteAttributeResponse{UniqueIdentifier: "u1"}},
		)
	} else {
		templateNames := []Name{{Value: "tmpl", Type: kmip14.NameTypeUninterpretedTextString}}
		template := Object{Type: kmip14.ObjectTypeTemplate, TemplateAttributes: attrs[:3]}
		cases = append(cases,
			payloadCase{kmip14.OperationCreate,
				&CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs[:1], TemplateNames: templateNames},
				&CreateResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "u1", Attributes: implicit}},
			payloadCase{kmip14.OperationRegister,
				&RegisterRequest{ObjectType: kmip14.ObjectTypeTemplate, Attributes: attrs[3:4], Object: template, TemplateNames: templateNames},
				&RegisterResponse{UniqueIdentifier: "t1", Attributes: implicit}},
			payloadCase{kmip14.OperationGet,
				&GetRequest{UniqueIdentifier: "t1"},
				&GetResponse{ObjectType: kmip14.ObjectTypeTemplate, UniqueIdentifier: "t1", Object: template}},
			payloadCase{kmip14.OperationLocate,
				&LocateRequest{Attributes: attrs[:1], TemplateNames: templateNames},
				&LocateResponse{LocatedItems: located, UniqueIdentifiers: []string{"a"}}},
		)
		cases = append(cases, payloadCase{kmip14.OperationDeleteAttribute,
			&DeleteAttributeRequest{UniqueIdentifier: "u1", Name: AttrName, Index: 1},
			&DeleteAttributeResponse{UniqueIdentifier: "u1", Attribute: attrs[4]}})
	}
	return cases
}

// echo is the attribute a response echoes: 1.x only.
func echo(v Version, a Attribute) Attribute {
	if v.Is2x() {
		return Attribute{}
	}
	return a
}

// encodeBytes runs an encoder function and returns the validated bytes.
func encodeBytes(t testing.TB, f func(e *ttlv.Encoder) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	if err := f(e); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := validate(buf.Bytes()); err != nil {
		t.Fatalf("encoded bytes do not validate: %v", err)
	}
	return buf.Bytes()
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, v := range codecTestVersions {
		for _, c := range payloadCases(v) {
			if !Defines(v, c.op) {
				continue // TestOperationTableAgreesWithCodec
			}
			t.Run(v.String()+"/"+c.op.String(), func(t *testing.T) {
				b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, c.op, v, c.req) })
				got, kerr := decodeRequestPayload(c.op, v, b)
				if kerr != nil {
					t.Fatalf("decode request: %v", kerr)
				}
				if !reflect.DeepEqual(got, c.req) {
					t.Errorf("request:\n got %#v\nwant %#v", got, c.req)
				}
				b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, c.op, v, c.resp) })
				resp, err := decodeResponsePayload(c.op, v, b)
				if err != nil {
					t.Fatalf("decode response: %v", err)
				}
				if !reflect.DeepEqual(resp, c.resp) {
					t.Errorf("response:\n got %#v\nwant %#v", resp, c.resp)
				}
			})
		}
	}
}

// getAttributesResponseNames encodes every sample attribute in a
// GetAttributes response of v and returns the names the client decodes.
func getAttributesResponseNames(t *testing.T, v Version) []string {
	in := &GetAttributesResponse{UniqueIdentifier: "u", Attributes: sampleAttributes()}
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return encodeResponsePayload(e, kmip14.OperationGetAttributes, v, in)
	})
	out, err := decodeResponsePayload(kmip14.OperationGetAttributes, v, b)
	if err != nil {
		t.Fatalf("%v: %v", v, err)
	}
	var names []string
	for _, a := range out.(*GetAttributesResponse).Attributes {
		names = append(names, a.Name)
	}
	return names
}

func TestVersionGating(t *testing.T) {
	names12 := getAttributesResponseNames(t, V1_2)
	for _, absent := range []string{AttrDescription, AttrSensitive, AttrShortUniqueIdentifier, AttrQuantumSafe,
		AttrKeyFormatType, AttrNISTKeyType, AttrProtectionPeriod} {
		if slices.Contains(names12, absent) {
			t.Errorf("1.2 GetAttributes response holds %s", absent)
		}
	}
	for _, present := range []string{AttrOperationPolicyName, AttrName, AttrState, "x-Product", AttrFresh} {
		if !slices.Contains(names12, present) {
			t.Errorf("1.2 GetAttributes response lacks %s", present)
		}
	}
	names10 := getAttributesResponseNames(t, V1_0)
	if slices.Contains(names10, AttrFresh) {
		t.Error("1.0 GetAttributes response holds Fresh")
	}
	names20 := getAttributesResponseNames(t, V2_0)
	if slices.Contains(names20, AttrOperationPolicyName) {
		t.Error("2.0 GetAttributes response holds Operation Policy Name")
	}
	for _, present := range []string{AttrDescription, AttrShortUniqueIdentifier, AttrQuantumSafe, "x-Product", "ACME:Tier"} {
		if !slices.Contains(names20, present) {
			t.Errorf("2.0 GetAttributes response lacks %s", present)
		}
	}
	names14 := getAttributesResponseNames(t, V1_4)
	for _, present := range []string{AttrAlternativeName, AttrRandomNumberGenerator, AttrKeyValueLocation, AttrX509CertificateIssuer} {
		if !slices.Contains(names14, present) {
			t.Errorf("1.4 GetAttributes response lacks %s", present)
		}
	}
	for _, absent := range []string{AttrProtectionStorageMask, AttrCertificateSubjectCN} {
		if slices.Contains(names14, absent) {
			t.Errorf("1.4 GetAttributes response holds %s", absent)
		}
	}
	if slices.Contains(names12, AttrRandomNumberGenerator) || slices.Contains(names10, AttrAlternativeName) {
		t.Error("Random Number Generator in 1.2 or Alternative Name in 1.0")
	}
	for _, present := range []string{AttrAlternativeName, AttrRandomNumberGenerator, AttrProtectionStorageMask, AttrCertificateSubjectCN} {
		if !slices.Contains(names20, present) {
			t.Errorf("2.0 GetAttributes response lacks %s", present)
		}
	}
	// KMIP 2.0 keeps the X.509 certificate structures (the 2.0 Test Cases
	// TC-CERTATTR-1 and TC-ECC-3 return them) and drops the 1.0 forms.
	if !slices.Contains(names20, AttrX509CertificateIssuer) {
		t.Error("2.0 GetAttributes response lacks X.509 Certificate Issuer")
	}
	if slices.Contains(names20, AttrCertificateIssuer) {
		t.Error("2.0 GetAttributes response holds Certificate Issuer")
	}
	// GetAttributeList gates names the same way.
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return encodeResponsePayload(e, kmip14.OperationGetAttributeList, V1_2,
			&GetAttributeListResponse{UniqueIdentifier: "u", Names: []string{AttrDescription, AttrState, AttrQuantumSafe}})
	})
	out, err := decodeResponsePayload(kmip14.OperationGetAttributeList, V1_2, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(*GetAttributeListResponse).Names; !slices.Equal(got, []string{AttrState}) {
		t.Errorf("1.2 GetAttributeList names = %q", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	attr1x := func(name string, value func(e *ttlv.Encoder)) func(e *ttlv.Encoder) error {
		return func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				return e.EncodeStructure(kmip14.TagTemplateAttribute, func(e *ttlv.Encoder) error {
					return e.EncodeStructure(kmip14.TagAttribute, func(e *ttlv.Encoder) error {
						e.EncodeTextString(kmip14.TagAttributeName, name)
						value(e)
						return nil
					})
				})
			})
		}
	}
	textValue := func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagAttributeValue, "v") }
	tests := []struct {
		name   string
		op     Operation
		v      Version
		build  func(e *ttlv.Encoder) error
		reason ResultReason
	}{
		{"unknown operation", OperationReProvision, V2_1, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(*ttlv.Encoder) error { return nil })
		}, ReasonOperationNotSupported},
		{"encrypt before 1.2", kmip14.OperationEncrypt, V1_1, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(*ttlv.Encoder) error { return nil })
		}, ReasonOperationNotSupported},
		{"create without object type", kmip14.OperationCreate, V1_2, attr1x("x-A", textValue), ReasonInvalidMessage},
		{"unknown 1.x attribute name", kmip14.OperationLocate, V1_2, attr1x("Frobnication", textValue), ReasonInvalidField},
		{"attribute newer than version", kmip14.OperationLocate, V1_2, attr1x(AttrDescription, textValue), ReasonInvalidField},
		{"wrong value type", kmip14.OperationLocate, V1_4, attr1x(AttrCryptographicLength, textValue), ReasonInvalidMessage},
		{"template object in 2.x", kmip14.OperationRegister, V2_0, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeTemplate))
				return e.EncodeStructure(kmip14.TagTemplate, func(*ttlv.Encoder) error { return nil })
			})
		}, ReasonFeatureNotSupported},
		{"unknown 2.x tag", kmip14.OperationLocate, V2_0, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				return e.EncodeStructure(kmip20.TagAttributes, func(e *ttlv.Encoder) error {
					e.EncodeTextString(ttlv.Tag(0x54ffff), "v")
					return nil
				})
			})
		}, ReasonInvalidAttribute},
		{"1.x-only attribute in 2.x", kmip14.OperationLocate, V2_1, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				return e.EncodeStructure(kmip20.TagAttributes, func(e *ttlv.Encoder) error {
					e.EncodeTextString(kmip14.TagOperationPolicyName, "default")
					return nil
				})
			})
		}, ReasonInvalidAttribute},
		{"revoke without reason", kmip14.OperationRevoke, V2_0, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				e.EncodeTextString(kmip14.TagUniqueIdentifier, "u")
				return nil
			})
		}, ReasonMissingData},
		{"uid as integer in 1.x", kmip14.OperationGet, V1_4, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				e.EncodeInteger(kmip14.TagUniqueIdentifier, 1)
				return nil
			})
		}, ReasonInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encodeBytes(t, tt.build)
			p, err := decodeRequestPayload(tt.op, tt.v, b)
			if err == nil {
				t.Fatalf("decoded %#v, want %v", p, tt.reason)
			}
			if p != nil {
				t.Errorf("payload %#v returned with an error", p)
			}
			if err.Reason != tt.reason {
				t.Errorf("reason %v (%v), want %v", err.Reason, err, tt.reason)
			}
		})
	}
}

func TestDecodeAcceptsPeerQuirks(t *testing.T) {
	// MySQL sends an explicit Attribute Index 0; FortiGate wraps Locate
	// filters in a Template-Attribute; 2.x Unique Identifiers may be
	// Enumerations (ID Placeholder).
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagTemplateAttribute, func(e *ttlv.Encoder) error {
				return e.EncodeStructure(kmip14.TagAttribute, func(e *ttlv.Encoder) error {
					e.EncodeTextString(kmip14.TagAttributeName, AttrCryptographicAlgorithm)
					e.EncodeInteger(kmip14.TagAttributeIndex, 0)
					e.EncodeEnumeration(kmip14.TagAttributeValue, uint32(kmip14.CryptographicAlgorithmAES))
					return nil
				})
			})
		})
	})
	p, err := decodeRequestPayload(kmip14.OperationLocate, V1_1, b)
	if err != nil {
		t.Fatal(err)
	}
	want := Attributes{{Name: AttrCryptographicAlgorithm, Value: CryptographicAlgorithm(kmip14.CryptographicAlgorithmAES)}}
	if got := p.(*LocateRequest).Attributes; !reflect.DeepEqual(got, want) {
		t.Errorf("Locate attributes = %#v", got)
	}

	b = encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagUniqueIdentifier, 1)
			return nil
		})
	})
	p, err = decodeRequestPayload(kmip14.OperationActivate, V2_0, b)
	if err != nil || p.(*ActivateRequest).UniqueIdentifier != "" {
		t.Errorf("Activate with enumerated Unique Identifier: %#v, %v", p, err)
	}
}

func BenchmarkDecodeGetRequest(b *testing.B) {
	payload := encodeBytes(b, func(e *ttlv.Encoder) error {
		return encodeRequestPayload(e, kmip14.OperationGet, V1_4,
			&GetRequest{UniqueIdentifier: "4b1ad3ac-9c47-4e0b-9d0e-5d1c0fd3b8a1", KeyFormatType: kmip14.KeyFormatTypeRaw})
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeRequestPayload(kmip14.OperationGet, V1_4, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeGetResponse(b *testing.B) {
	resp := &GetResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "4b1ad3ac-9c47-4e0b-9d0e-5d1c0fd3b8a1",
		Object: sampleObjects()[0]}
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := encodeResponsePayload(e, kmip14.OperationGet, V1_4, resp); err != nil {
			b.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodeAttributeReferenceWithoutVendor(t *testing.T) {
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "u")
			return e.EncodeStructure(kmip20.TagAttributeReference, func(e *ttlv.Encoder) error {
				e.EncodeTextString(kmip14.TagVendorIdentification, "")
				e.EncodeTextString(kmip14.TagAttributeName, AttrContactInformation)
				return nil
			})
		})
	})
	p, err := decodeRequestPayload(kmip14.OperationDeleteAttribute, V2_0, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.(*DeleteAttributeRequest); got.Name != AttrContactInformation || got.Index != -1 {
		t.Errorf("DeleteAttribute = %#v", got)
	}
}
