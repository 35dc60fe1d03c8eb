package handlers

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

// wireResponse encodes payload as the one Batch Item of a successful
// Response Message of version v to op, as kmip.Server sends it.
func wireResponse(t *testing.T, v kmip.Version, op kmip.Operation, payload any) ttlv.TTLV {
	t.Helper()
	b, err := kmip.EncodeResponse(&kmip.ResponseMessage{
		Header: kmip.ResponseHeader{Version: v},
		Items:  []kmip.ResponseItem{{Operation: op, Status: kmip14.ResultStatusSuccess, Payload: payload}},
	})
	if err != nil {
		t.Fatalf("encode %v response in %v: %v", op, v, err)
	}
	return ttlv.TTLV(b)
}

// ttlvChildren returns the fields of structure s.
func ttlvChildren(s ttlv.TTLV) []ttlv.TTLV {
	var out []ttlv.TTLV
	for body := s.ValueStructure(); len(body) >= 8 && body.FullLen() <= len(body); body = body[body.FullLen():] {
		out = append(out, body[:body.FullLen()])
	}
	return out
}

// hasTag reports whether s or a field nested in it has tag.
func hasTag(s ttlv.TTLV, tag ttlv.Tag) bool {
	if s.Tag() == tag {
		return true
	}
	return s.Type() == ttlv.TypeStructure && slices.ContainsFunc(ttlvChildren(s), func(c ttlv.TTLV) bool { return hasTag(c, tag) })
}

// childText returns the Text String field tag of structure s, if any.
func childText(s ttlv.TTLV, tag ttlv.Tag) (string, bool) {
	for _, c := range ttlvChildren(s) {
		if c.Tag() == tag && c.Type() == ttlv.TypeTextString {
			return c.ValueTextString(), true
		}
	}
	return "", false
}

// wireAttrFaults walks the encoded message msg of version v and returns
// what a client of v must not receive: an attribute (by 1.x Attribute Name,
// 2.x tag inside Attributes, Attribute Name of Get Attribute List, or 2.x
// Attribute Reference) that v does not define according to the AttrDef
// table (Since/Until), and any Attribute inside a Key Value.
func wireAttrFaults(v kmip.Version, msg ttlv.TTLV) []string {
	var faults []string
	undefined := func(where string, def *kmip.AttrDef) {
		if def != nil && !def.DefinedIn(v) {
			faults = append(faults, fmt.Sprintf("%s: %s, which KMIP %s does not define", where, def.Name, v))
		}
	}
	var walk func(parent ttlv.Tag, s ttlv.TTLV)
	walk = func(parent ttlv.Tag, s ttlv.TTLV) {
		switch {
		case s.Tag() == kmip14.TagAttribute && parent == kmip14.TagKeyValue:
			faults = append(faults, "Attribute inside a Key Value")
		case s.Tag() == kmip14.TagAttribute:
			name, _ := childText(s, kmip14.TagAttributeName)
			if _, vendor := childText(s, kmip14.TagVendorIdentification); !vendor {
				if def := kmip.LookupAttr(name); def != nil {
					undefined("Attribute", def)
				} else if !kmip.IsCustomAttr(name) {
					faults = append(faults, fmt.Sprintf("Attribute %q outside the table and not custom", name))
				}
			}
		case parent == kmip20.TagAttributes || parent == kmip20.TagCurrentAttribute || parent == kmip20.TagNewAttribute:
			undefined("2.x Attributes", kmip.LookupAttrTag(s.Tag()))
		case s.Tag() == kmip14.TagAttributeName && parent == kmip14.TagResponsePayload:
			undefined("Attribute Name", kmip.LookupAttr(s.ValueTextString()))
		case s.Tag() == kmip20.TagAttributeReference && s.Type() == ttlv.TypeEnumeration:
			undefined("Attribute Reference", kmip.LookupAttrTag(ttlv.Tag(s.ValueEnumeration())))
		}
		if s.Type() == ttlv.TypeStructure {
			for _, c := range ttlvChildren(s) {
				walk(s.Tag(), c)
			}
		}
	}
	walk(0, msg)
	return faults
}

// TestResponsesHoldOnlyTheVersionsAttributes creates objects in every
// version, reads each of them in every version (Get Attributes of all, Get
// Attribute List, Get, Locate, Add Attribute) and checks every encoded
// response against the attribute table: a 1.0 client must not receive
// Fresh (1.1), Original Creation Date or Key Value Present (1.2), Sensitive
// (1.4), Short Unique Identifier (2.0); a 2.x client no Operation Policy
// Name or 1.x certificate attributes. No response carries an Attribute
// inside a Key Value (INTEROP.md quirk 4).
func TestResponsesHoldOnlyTheVersionsAttributes(t *testing.T) {
	h := newHarness(t)
	name := func(s string) kmip.Attribute {
		return kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: s, Type: kmip14.NameTypeUninterpretedTextString}}
	}
	check := func(v kmip.Version, what string, op kmip.Operation, payload any) ttlv.TTLV {
		t.Helper()
		msg := wireResponse(t, v, op, payload)
		for _, f := range wireAttrFaults(v, msg) {
			t.Errorf("KMIP %s %s: %s", v, what, f)
		}
		return msg
	}
	var ids []string
	for _, v := range kmip.SupportedVersions {
		created := h.must(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(256)},
			{Name: kmip.AttrCryptographicUsageMask, Value: int32(12)},
			name("wire-" + v.String()), {Name: kmip.AttrObjectGroup, Value: "wire"}}}).(*kmip.CreateResponse)
		check(v, "Create", kmip14.OperationCreate, created)
		ids = append(ids, created.UniqueIdentifier)
		secret := &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Object: kmip.Object{
			Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
			KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: bytes.Repeat([]byte{7}, 16)}},
			Attributes: kmip.Attributes{{Name: kmip.AttrObjectGroup, Value: "wire"}, {Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskVerify)}}}
		if !v.Is2x() {
			// A 1.x client may put attributes inside the Key Value; the
			// server keeps them as object attributes.
			secret.Object.KeyBlock.Attributes = kmip.Attributes{{Name: "x-in-key-value", Value: "yes"}}
		}
		registered := h.must(v, alice, secret).(*kmip.RegisterResponse)
		check(v, "Register", kmip14.OperationRegister, registered)
		ids = append(ids, registered.UniqueIdentifier)
	}
	for _, v := range kmip.SupportedVersions {
		for _, id := range ids {
			all := h.must(v, alice, &kmip.GetAttributesRequest{UniqueIdentifier: id})
			msg := check(v, "Get Attributes "+id, kmip14.OperationGetAttributes, all)
			// Decoding as a client of v: a strict decoder refuses names v lacks.
			if _, err := kmip.DecodeResponse(msg); err != nil {
				t.Errorf("KMIP %s Get Attributes %s: the response does not decode: %v", v, id, err)
			}
			check(v, "Get Attribute List "+id, kmip14.OperationGetAttributeList,
				h.must(v, alice, &kmip.GetAttributeListRequest{UniqueIdentifier: id}))
			check(v, "Get "+id, kmip14.OperationGet, h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}))
			check(v, "Add Attribute "+id, kmip14.OperationAddAttribute, h.must(v, alice,
				&kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "wire-" + v.String()}}))
		}
		check(v, "Locate", kmip14.OperationLocate, h.must(v, alice, &kmip.LocateRequest{
			Attributes: kmip.Attributes{{Name: kmip.AttrObjectGroup, Value: "wire"}}}))
	}
	// A Key Block holding attributes, as a 1.x client may send it, goes out
	// without them in every version.
	get := &kmip.GetResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "u", Object: kmip.Object{
		Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: make([]byte, 16),
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128, Attributes: kmip.Attributes{{Name: "x-a", Value: "b"}}}}}
	for _, v := range kmip.SupportedVersions {
		check(v, "Get of a Key Block with attributes", kmip14.OperationGet, get)
	}
	// The table-driven check finds what it is meant to find.
	sample := wireResponse(t, kmip.V1_0, kmip14.OperationGetAttributes, &kmip.GetAttributesResponse{UniqueIdentifier: "u",
		Attributes: kmip.Attributes{{Name: kmip.AttrState, Value: kmip14.StateActive}}})
	if f := wireAttrFaults(kmip.V1_0, sample); len(f) != 0 {
		t.Fatalf("faults in a plain 1.0 response: %v", f)
	}
	if f := wireAttrFaults(kmip.V1_0, wireResponse(t, kmip.V1_1, kmip14.OperationGetAttributes, &kmip.GetAttributesResponse{UniqueIdentifier: "u",
		Attributes: kmip.Attributes{{Name: kmip.AttrFresh, Value: true}}})); len(f) != 1 {
		t.Fatalf("Fresh checked as 1.0: faults %v, want one", f)
	}
}
