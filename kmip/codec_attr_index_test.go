package kmip

import (
	"fmt"
	"slices"
	"testing"

	gemalto "github.com/gemalto/kmip-go"
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// TestResponseAttributeIndex pins the Attribute Index of the 1.x responses
// that return attribute instances (Get Attributes, Add Attribute, Modify
// Attribute, the Template-Attribute of Create): written for an instance
// other than the first, left out for instance 0 (as the OASIS 1.4 profile
// test cases show it), and read back as each instance's index by gemalto's
// kmip.Attribute decoder, which follows KMIP 1.x section 2.1.1: "When an
// Attribute structure is used to specify or return a particular instance of
// an Attribute and the Attribute Index is not specified it SHALL be assumed
// to be 0". PyKMIP 0.10 decodes it the same way (pykmip_interop.py,
// register_two_names).
func TestResponseAttributeIndex(t *testing.T) {
	name := func(s string) Name { return Name{Value: s, Type: kmip14.NameTypeUninterpretedTextString} }
	attrs := Attributes{
		{Name: AttrName, Index: 0, Value: name("a")},
		{Name: AttrName, Index: 1, Value: name("b")},
		{Name: AttrObjectGroup, Index: 3, Value: "g"}, // indices stay after a deletion
		{Name: AttrState, Value: kmip14.StateActive},
		{Name: "x-Vendor", Index: 1, Value: "v2"},
	}
	want := func(as ...Attribute) []string {
		var out []string
		for _, a := range as {
			out = append(out, fmt.Sprintf("%s[%d]", a.Name, a.Index))
		}
		return out
	}
	for _, tc := range []struct {
		op      Operation
		payload any
		want    []string
	}{
		{kmip14.OperationGetAttributes, &GetAttributesResponse{UniqueIdentifier: "u", Attributes: attrs}, want(attrs...)},
		{kmip14.OperationAddAttribute, &AddAttributeResponse{UniqueIdentifier: "u", Attribute: attrs[2]}, want(attrs[2])},
		{kmip14.OperationModifyAttribute, &ModifyAttributeResponse{UniqueIdentifier: "u", Attribute: attrs[1]}, want(attrs[1])},
		{kmip14.OperationModifyAttribute, &ModifyAttributeResponse{UniqueIdentifier: "u", Attribute: attrs[3]}, want(attrs[3])},
		{kmip14.OperationCreate, &CreateResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "u", Attributes: attrs}, want(attrs...)},
	} {
		for _, v := range []Version{V1_0, V1_2, V1_4} {
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, tc.op, v, tc.payload) })
			var got []string
			var walk func(s ttlv.TTLV)
			walk = func(s ttlv.TTLV) {
				for c := range children(s) {
					if c.Tag() != kmip14.TagAttribute {
						if c.Type() == ttlv.TypeStructure {
							walk(c)
						}
						continue
					}
					var a gemalto.Attribute
					if err := ttlv.Unmarshal(c, &a); err != nil {
						t.Fatalf("%v %v: gemalto cannot decode %s: %v", v, tc.op, c, err)
					}
					hasIndex := slices.ContainsFunc(slices.Collect(children(c)), func(f ttlv.TTLV) bool { return f.Tag() == kmip14.TagAttributeIndex })
					if hasIndex != (a.AttributeIndex != 0) {
						t.Errorf("%v %v: %s[%d] written with Attribute Index %v", v, tc.op, a.AttributeName, a.AttributeIndex, hasIndex)
					}
					got = append(got, fmt.Sprintf("%s[%d]", a.AttributeName, a.AttributeIndex))
				}
			}
			walk(ttlv.TTLV(b))
			if !slices.Equal(got, tc.want) {
				t.Errorf("%v %v: gemalto reads %v, want %v", v, tc.op, got, tc.want)
			}
		}
	}
}
