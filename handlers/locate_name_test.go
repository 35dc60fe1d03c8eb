package handlers

import (
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestLocateByNameIsExact: Locate by Name returns exactly the caller's live
// objects holding that Name, whatever else resembles it: prefixes and
// extensions of it, other letter case, a trailing space, the same text under
// another Name Type (when the filter names a type), other tenants' objects
// of the same name, destroyed ones. Clients key one name to one key
// (INTEROP.md quirks 12 and 30: pg_tde fails on two hits, FortiGate and
// Seagate read the first).
func TestLocateByNameIsExact(t *testing.T) {
	h := newHarness(t)
	named := func(who, value string, typ kmip.NameType) string {
		t.Helper()
		return h.createAES(kmip.V1_4, who, 128, kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: value, Type: typ}})
	}
	text, uri := kmip14.NameTypeUninterpretedTextString, kmip14.NameTypeURI
	key := named(alice, "vol/key", text)
	others := map[string]string{
		"vol/ke":   named(alice, "vol/ke", text),
		"vol/key1": named(alice, "vol/key1", text),
		"vol/keyX": named(alice, "vol/key/x", text),
		"Vol/Key":  named(alice, "Vol/Key", text),
		"VOL/KEY":  named(alice, "VOL/KEY", text),
		"space":    named(alice, "vol/key ", text),
		"uri":      named(alice, "urn:vol/key", uri),
	}
	sameTextURI := named(alice, "vol/key", uri)
	bobs := named(bob, "vol/key", text)
	// A destroyed object of the name, and one whose second Name it is.
	gone := named(alice, "vol/key", text)
	h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: gone})
	second := h.createAES(kmip.V1_4, alice, 128)
	h.must(kmip.V1_4, alice, &kmip.AddAttributeRequest{UniqueIdentifier: second, Attribute: kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "vol/other", Type: text}}})
	h.must(kmip.V1_4, alice, &kmip.AddAttributeRequest{UniqueIdentifier: second, Attribute: kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "vol/second", Type: text}}})

	for _, tc := range []struct {
		who    string
		filter kmip.Name
		want   []string
	}{
		{alice, kmip.Name{Value: "vol/key", Type: text}, []string{key}},
		{alice, kmip.Name{Value: "vol/key", Type: uri}, []string{sameTextURI}},
		{alice, kmip.Name{Value: "vol/key"}, []string{key, sameTextURI}}, // no Name Type: any type (2.x clients may leave it out)
		{alice, kmip.Name{Value: "Vol/Key", Type: text}, []string{others["Vol/Key"]}},
		{alice, kmip.Name{Value: "vol/ke", Type: text}, []string{others["vol/ke"]}},
		{alice, kmip.Name{Value: "vol/key ", Type: text}, []string{others["space"]}},
		{alice, kmip.Name{Value: "vol/", Type: text}, nil},
		{alice, kmip.Name{Value: "vol/second", Type: text}, []string{second}},
		{alice, kmip.Name{Value: "", Type: text}, nil},
		{bob, kmip.Name{Value: "vol/key", Type: text}, []string{bobs}},
		{bob, kmip.Name{Value: "vol/key", Type: uri}, nil},
	} {
		for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_1} {
			got := h.locate(v, tc.who, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrName, Value: tc.filter}}})
			if !sameIDs(got.UniqueIdentifiers, tc.want) {
				t.Errorf("%v %s Locate Name %q type %v = %v, want %v", v, tc.who, tc.filter.Value, tc.filter.Type, got.UniqueIdentifiers, tc.want)
			}
			if slices.Contains(got.UniqueIdentifiers, gone) {
				t.Errorf("%v Locate Name %q found the destroyed object", v, tc.filter.Value)
			}
		}
	}
	// The destroyed object is found only by asking for destroyed objects.
	got := h.locate(kmip.V1_4, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{
		{Name: kmip.AttrName, Value: kmip.Name{Value: "vol/key", Type: text}},
		{Name: kmip.AttrState, Value: kmip14.StateDestroyed}}})
	if !sameIDs(got.UniqueIdentifiers, []string{gone}) {
		t.Errorf("Locate Name and State Destroyed = %v, want %v", got.UniqueIdentifiers, []string{gone})
	}
}
