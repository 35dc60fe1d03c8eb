package kmip

import (
	"bytes"
	"math/big"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// customValueCase is one custom attribute value, as gemalto's ttlv.Marshal
// takes it.
type customValueCase struct {
	name  string
	value any
}

// customValueCases returns a value of every TTLV type, including Big
// Integers whose sign extension matters, a Date-Time Extended beyond the
// range of time.Duration and a Structure nesting every type.
func customValueCases() []customValueCase {
	negative, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	highBit, _ := new(big.Int).SetString("80000000000000000001", 16)
	nested := ttlv.Values{
		ttlv.NewValue(kmip14.TagNameValue, "inner"),
		ttlv.NewValue(kmip14.TagNameType, ttlv.EnumValue(kmip14.NameTypeURI)),
		ttlv.NewStruct(kmip14.TagCryptographicParameters,
			ttlv.NewValue(kmip14.TagIVLength, int32(-1)),
			ttlv.NewValue(kmip14.TagUsageLimitsTotal, int64(1)<<50),
			ttlv.NewValue(kmip14.TagDigestValue, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8}),
			ttlv.NewValue(kmip14.TagRandomIV, false),
			ttlv.NewValue(kmip14.TagModulus, highBit),
			ttlv.NewValue(kmip14.TagInitialDate, time.Unix(0, 0)),
			ttlv.NewValue(kmip14.TagLeaseTime, 42*time.Second),
			ttlv.NewValue(kmip14.TagOriginalCreationDate, ttlv.DateTimeExtended{Time: time.Unix(1, 1000)}),
			ttlv.NewStruct(kmip14.TagName),
		),
	}
	return []customValueCase{
		{"Integer", int32(-7)},
		{"Long Integer", int64(-1) << 40},
		{"Big Integer", negative},
		{"Big Integer high bit", highBit},
		{"Enumeration", ttlv.EnumValue(0x80000001)},
		{"Boolean", true},
		{"Text String", "héllo, wörld"},
		{"empty Text String", ""},
		{"Byte String", []byte{0xde, 0xad, 0xbe, 0xef, 0}},
		{"Date-Time", time.Unix(1700000000, 0)},
		{"Date-Time before 1970", time.Unix(-86400, 0)},
		{"Interval", time.Duration(1<<32-1) * time.Second},
		{"Date-Time Extended", ttlv.DateTimeExtended{Time: time.Unix(1700000000, 123456000)}},
		{"Date-Time Extended, far", ttlv.DateTimeExtended{Time: time.Unix(40000000000, 1000)}},
		{"Structure", nested},
		{"empty Structure", ttlv.Values{}},
	}
}

// gemaltoValue returns a custom value as a ttlv.Value under tag.
func gemaltoValue(tag ttlv.Tag, x any) ttlv.Value {
	if vs, ok := x.(ttlv.Values); ok {
		return ttlv.NewStruct(tag, vs...)
	}
	return ttlv.NewValue(tag, x)
}

// gemaltoAttr returns gemalto's encoding of the custom attribute
// (vendor, name) with value x in the form of version v: the 1.x Attribute
// { Attribute Name "vendor-name", Attribute Value } or the 2.x Attribute
// { Vendor Identification, Attribute Name, Attribute Value }.
func gemaltoAttr(t *testing.T, v Version, vendor, name string, x any) []byte {
	t.Helper()
	var fields []ttlv.Value
	if v.Is2x() {
		fields = append(fields, ttlv.NewValue(kmip14.TagVendorIdentification, vendor), ttlv.NewValue(kmip14.TagAttributeName, name))
	} else {
		fields = append(fields, ttlv.NewValue(kmip14.TagAttributeName, vendorName(vendor, name)))
	}
	fields = append(fields, gemaltoValue(kmip14.TagAttributeValue, x))
	b, err := ttlv.Marshal(ttlv.NewStruct(kmip14.TagAttribute, fields...))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(b); err != nil {
		t.Fatalf("gemalto's encoding does not validate: %v", err)
	}
	return b
}

// decodeCustomAttr decodes gemalto's attribute b of version v as a
// request's attribute.
func decodeCustomAttr(v Version, b []byte) (Attribute, *Error) {
	if v.Is2x() {
		return decodeAttr2x(v, b)
	}
	return decodeAttr1x(v, b)
}

// encodeCustomAttr encodes a in the form of version v.
func encodeCustomAttr(t *testing.T, v Version, a Attribute) []byte {
	t.Helper()
	return encodeBytes(t, func(e *ttlv.Encoder) error {
		if v.Is2x() {
			return encodeAttr2x(e, v, &a)
		}
		return encodeAttr1x(e, v, &a)
	})
}

// TestCustomAttrRoundTrip decodes a custom attribute of every TTLV type in
// the form of each version and checks that it re-encodes, in that version
// and in every other, and after a trip through storage, byte for byte as
// gemalto's ttlv.Marshal encodes the same value.
func TestCustomAttrRoundTrip(t *testing.T) {
	for _, c := range customValueCases() {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range codecTestVersions {
				a, err := decodeCustomAttr(v, gemaltoAttr(t, v, "x", "Custom", c.value))
				if err != nil {
					t.Fatalf("%v: decode: %v", v, err)
				}
				if a.Name != "x-Custom" {
					t.Fatalf("%v: decoded name %q", v, a.Name)
				}
				stored, serr := MarshalAttributes(Attributes{a})
				if serr != nil {
					t.Fatalf("%v: storage: %v", v, serr)
				}
				back, serr := UnmarshalAttributes(stored)
				if serr != nil || len(back) != 1 {
					t.Fatalf("%v: storage decode: %v %v", v, back, serr)
				}
				for _, w := range codecTestVersions {
					want := gemaltoAttr(t, w, "x", "Custom", c.value)
					if got := encodeCustomAttr(t, w, a); !bytes.Equal(got, want) {
						t.Errorf("decoded in %v, encoded in %v:\n got %x\nwant %x", v, w, got, want)
					}
					if got := encodeCustomAttr(t, w, back[0]); !bytes.Equal(got, want) {
						t.Errorf("stored, encoded in %v:\n got %x\nwant %x", w, got, want)
					}
				}
			}
		})
	}
}

// TestCustomAttrValuesCompare checks that the decoded values of equal
// custom attributes compare equal whatever the form they came in, and
// those of different values not: Locate and Modify/Delete Attribute compare
// decoded values.
func TestCustomAttrValuesCompare(t *testing.T) {
	cases := customValueCases()
	for i, c := range cases {
		a1, err := decodeCustomAttr(V1_4, gemaltoAttr(t, V1_4, "y", "T", c.value))
		if err != nil {
			t.Fatal(err)
		}
		a2, err := decodeCustomAttr(V2_1, gemaltoAttr(t, V2_1, "y", "T", c.value))
		if err != nil {
			t.Fatal(err)
		}
		if !valuesEqual(a1.Value, a2.Value) {
			t.Errorf("%s: 1.4 value %#v, 2.1 value %#v", c.name, a1.Value, a2.Value)
		}
		other := cases[(i+1)%len(cases)]
		a3, err := decodeCustomAttr(V2_1, gemaltoAttr(t, V2_1, "y", "T", other.value))
		if err != nil {
			t.Fatal(err)
		}
		if valuesEqual(a1.Value, a3.Value) {
			t.Errorf("%s equals %s", c.name, other.name)
		}
	}
}

// valuesEqual compares two decoded values by their encoding.
func valuesEqual(x, y any) bool {
	enc := func(x any) []byte {
		var buf bytes.Buffer
		e := ttlv.NewEncoder(&buf)
		if err := encodeAttrValue(e, kmip14.TagAttributeValue, nil, storageVersion, x); err != nil {
			return nil
		}
		e.Flush()
		return buf.Bytes()
	}
	return bytes.Equal(enc(x), enc(y))
}

// nestedValue returns a Structure nesting depth levels (a Text String at
// the bottom).
func nestedValue(depth int) ttlv.Values {
	v := ttlv.Values{ttlv.NewValue(kmip14.TagNameValue, "bottom")}
	for range depth - 1 {
		v = ttlv.Values{ttlv.NewStruct(kmip14.TagName, v...)}
	}
	return v
}

// TestCustomAttrDepthBound accepts a Structure value of MaxCustomAttrDepth
// levels and refuses a deeper one with Server Limit Exceeded (Permission
// Denied in 1.x), in a whole 2.x Locate request too.
func TestCustomAttrDepthBound(t *testing.T) {
	for _, v := range []Version{V1_0, V1_4, V2_0, V2_1} {
		if _, err := decodeCustomAttr(v, gemaltoAttr(t, v, "x", "Deep", nestedValue(MaxCustomAttrDepth))); err != nil {
			t.Fatalf("%v: %d levels refused: %v", v, MaxCustomAttrDepth, err)
		}
		_, err := decodeCustomAttr(v, gemaltoAttr(t, v, "x", "Deep", nestedValue(MaxCustomAttrDepth+1)))
		if err == nil {
			t.Fatalf("%v: %d levels accepted", v, MaxCustomAttrDepth+1)
		}
		want := ReasonServerLimitExceeded
		if !v.Is2x() {
			want = ReasonPermissionDenied
		}
		if got := err.ReasonFor(v); got != want {
			t.Errorf("%v: reason %v, want %v", v, got, want)
		}
	}
	deep := gemaltoAttr(t, V2_0, "x", "Deep", nestedValue(MaxCustomAttrDepth+1))
	payload := requestPayload(t, func(e *ttlv.Encoder) {
		e.EncodeStructure(kmip20.TagAttributes, func(e *ttlv.Encoder) error {
			return e.EncodeValue(ttlv.TagNone, ttlv.TTLV(deep))
		})
	})
	if _, err := decodeRequestPayload(kmip14.OperationLocate, V2_0, payload); err == nil || err.Reason != ReasonServerLimitExceeded {
		t.Fatalf("Locate with a deep custom value: %v", err)
	}
}

// TestCustomAttrSize counts custom instances and their encoded bytes only.
func TestCustomAttrSize(t *testing.T) {
	as := Attributes{
		{Name: AttrObjectGroup, Value: "not custom"},
		{Name: "x-A", Value: "12345678"},
		{Name: "vendor:B", Value: int32(1)},
	}
	n, size, err := CustomAttrSize(as)
	if err != nil {
		t.Fatal(err)
	}
	// x-A: Attribute (8) + Name "x-A" (8+8) + Value (8+8) = 40;
	// vendor:B: Attribute (8) + Name "vendor:B" (8+8) + Integer (16) = 40.
	if n != 2 || size != 80 {
		t.Fatalf("n %d, size %d, want 2, 80", n, size)
	}
}
