package handlers

import (
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

func TestGetAttributes(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V1_4, alice, 256, kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "k1", Type: kmip14.NameTypeUninterpretedTextString}})
	all := h.attrs(kmip.V1_4, alice, id)
	for _, name := range []string{kmip.AttrUniqueIdentifier, kmip.AttrObjectType, kmip.AttrState, kmip.AttrInitialDate,
		kmip.AttrLastChangeDate, kmip.AttrFresh, kmip.AttrName, kmip.AttrCryptographicAlgorithm} {
		if !all.Has(name) {
			t.Errorf("all attributes lack %s", name)
		}
	}
	if all.Has(kmip.AttrKeyFormatType) {
		t.Error("1.4 response holds the 2.x Key Format Type attribute")
	}
	// Named, one of them missing: success with the present one only.
	named := h.attrs(kmip.V1_4, alice, id, kmip.AttrState, kmip.AttrContactInformation)
	if len(named) != 1 || named[0].Name != kmip.AttrState {
		t.Fatalf("named: %+v", named)
	}
	list := h.must(kmip.V1_0, alice, &kmip.GetAttributeListRequest{UniqueIdentifier: id}).(*kmip.GetAttributeListResponse).Names
	if !slices.Contains(list, kmip.AttrState) || slices.Contains(list, kmip.AttrFresh) {
		t.Fatalf("1.0 attribute list: %v", list)
	}
}

func TestAttributeChanges(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_1, alice, 256)
	h.must(kmip.V2_1, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrDescription, Value: "one"}})
	// BL-M-5: a second Description.
	_, err := h.do(kmip.V2_1, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrDescription, Value: "two"}})
	wantReason(t, err, kmip.ReasonAttributeSingleValued)
	// BL-M-7 / BL-M-10: server-only attributes.
	for _, a := range []kmip.Attribute{{Name: kmip.AttrState, Value: kmip14.StateCompromised}, {Name: kmip.AttrInitialDate, Value: h.now}} {
		_, err = h.do(kmip.V2_1, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: a})
		wantReason(t, err, kmip.ReasonAttributeReadOnly)
		_, err = h.do(kmip.V1_4, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: a})
		wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)
	}
	_, err = h.do(kmip.V2_1, alice, &kmip.SetAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrCryptographicLength, Value: int32(128)}})
	wantReason(t, err, kmip.ReasonAttributeReadOnly)
	// Modify and delete.
	h.now = h.now.Add(5e9)
	resp := h.must(kmip.V1_4, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrDescription, Value: "changed"}})
	if resp.(*kmip.ModifyAttributeResponse).Attribute.Value != "changed" {
		t.Fatal("ModifyAttribute does not echo the new value")
	}
	attrs := h.attrs(kmip.V2_1, alice, id)
	if attrs.Get(kmip.AttrDescription) != "changed" || attrs.Time(kmip.AttrLastChangeDate) != h.now {
		t.Fatalf("after modify: %v, last change %v", attrs.Get(kmip.AttrDescription), attrs.Time(kmip.AttrLastChangeDate))
	}
	_, err = h.do(kmip.V1_4, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrContactInformation, Value: "x"}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonItemNotFound)
	_, err = h.do(kmip.V2_1, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrContactInformation, Value: "x"}})
	wantReason(t, err, kmip.ReasonAttributeNotFound)
	h.must(kmip.V1_4, alice, &kmip.DeleteAttributeRequest{UniqueIdentifier: id, Name: kmip.AttrDescription, Index: -1})
	if h.attrs(kmip.V2_1, alice, id).Has(kmip.AttrDescription) {
		t.Fatal("Description not deleted")
	}
	_, err = h.do(kmip.V1_4, alice, &kmip.DeleteAttributeRequest{UniqueIdentifier: id, Name: kmip.AttrState, Index: -1})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)
	// Custom attributes: several instances, addressed by index.
	for _, v := range []string{"a", "b"} {
		h.must(kmip.V1_1, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-Tag", Value: v}})
	}
	h.must(kmip.V1_1, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-Tag", Index: 1, Value: "B"}})
	h.must(kmip.V1_1, alice, &kmip.DeleteAttributeRequest{UniqueIdentifier: id, Name: "x-Tag", Index: 0})
	tags := h.attrs(kmip.V1_1, alice, id, "x-Tag")
	if len(tags) != 1 || tags[0].Value != "B" || tags[0].Index != 1 {
		t.Fatalf("x-Tag instances: %+v", tags)
	}
	// SetAttribute is a 2.x operation.
	_, err = h.do(kmip.V1_4, alice, &kmip.SetAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrComment, Value: "c"}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonOperationNotSupported)
	h.must(kmip.V2_1, alice, &kmip.SetAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrComment, Value: "c"}})
}

func TestNameUniqueness(t *testing.T) {
	h := newHarness(t)
	name := kmip.Name{Value: "BL-M-8", Type: kmip14.NameTypeUninterpretedTextString}
	id := h.createAES(kmip.V2_1, alice, 256, kmip.Attribute{Name: kmip.AttrName, Value: name})
	other := h.createAES(kmip.V2_1, alice, 256)
	for _, target := range []string{id, other} {
		_, err := h.do(kmip.V2_1, alice, &kmip.AddAttributeRequest{UniqueIdentifier: target, Attribute: kmip.Attribute{Name: kmip.AttrName, Value: name}})
		wantReason(t, err, kmip.ReasonNonUniqueNameAttribute)
	}
	// Another owner may use the same name.
	bobs := h.createAES(kmip.V2_1, bob, 256)
	h.must(kmip.V2_1, bob, &kmip.AddAttributeRequest{UniqueIdentifier: bobs, Attribute: kmip.Attribute{Name: kmip.AttrName, Value: name}})
	// A renamed object frees its name (Synology's ModifyAttribute(Name)).
	h.must(kmip.V1_2, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "renamed", Type: kmip14.NameTypeUninterpretedTextString}}})
	h.must(kmip.V2_1, alice, &kmip.AddAttributeRequest{UniqueIdentifier: other, Attribute: kmip.Attribute{Name: kmip.AttrName, Value: name}})
}

func TestAllAttributesPerVersion(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_1, alice, 128)
	for _, tc := range []struct {
		v    kmip.Version
		want bool
	}{{kmip.V1_2, false}, {kmip.V1_4, true}, {kmip.V2_0, true}, {kmip.V2_1, true}} {
		all := h.attrs(tc.v, alice, id)
		if got := all.Has(kmip.AttrOriginalCreationDate); got != tc.want {
			t.Errorf("%v: Original Creation Date in all attributes = %v, want %v", tc.v, got, tc.want)
		}
		if tc.v.Is2x() {
			for _, name := range []string{kmip.AttrKeyFormatType, kmip.AttrShortUniqueIdentifier, kmip.AttrExtractable} {
				if all.Has(name) != tc.want {
					t.Errorf("%v: %s in all attributes = %v, want %v", tc.v, name, !tc.want, tc.want)
				}
			}
		}
		if !h.attrs(tc.v, alice, id, kmip.AttrOriginalCreationDate).Has(kmip.AttrOriginalCreationDate) {
			t.Errorf("%v: Original Creation Date missing when named", tc.v)
		}
	}
}

// TestPyKMIPAttributes checks the interop setting for PyKMIP 0.10 in KMIP
// 2.0: the bookkeeping attributes leave 2.0's "all attributes" only, and
// still come when named.
func TestPyKMIPAttributes(t *testing.T) {
	h := newHarnessWith(t, func(c *Config) { c.PyKMIPAttributes = true })
	id := h.createAES(kmip.V2_1, alice, 128)
	for _, tc := range []struct {
		v    kmip.Version
		want bool
	}{{kmip.V2_0, false}, {kmip.V2_1, true}} {
		all := h.attrs(tc.v, alice, id)
		for _, name := range []string{kmip.AttrKeyFormatType, kmip.AttrShortUniqueIdentifier, kmip.AttrExtractable} {
			if all.Has(name) != tc.want {
				t.Errorf("%v: %s in all attributes = %v, want %v", tc.v, name, !tc.want, tc.want)
			}
		}
	}
	if !h.attrs(kmip.V2_0, alice, id, kmip.AttrShortUniqueIdentifier).Has(kmip.AttrShortUniqueIdentifier) {
		t.Error("2.0: Short Unique Identifier missing when named")
	}
}
