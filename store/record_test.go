package store

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, obj := range []*Object{
		{ID: "a", Owner: "o"},
		{ID: "b", Owner: "", Attributes: []byte{1, 2}, Material: []byte{}, Terms: []Term{{Name: "", Value: nil}}},
		{ID: "c", Owner: "owner", Attributes: bytes.Repeat([]byte{7}, 300), Material: []byte("sealed"),
			Terms: []Term{term("Name", "k"), term("State", "\x00\x01")}},
	} {
		got, err := decodeRecord(obj.ID, encodeRecord(obj))
		if err != nil {
			t.Fatalf("%s: %v", obj.ID, err)
		}
		want := *obj
		for i := range want.Terms {
			if len(want.Terms[i].Value) == 0 {
				want.Terms[i].Value = nil
			}
		}
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("round trip of %+v gave %+v", obj, got)
		}
	}
}

// TestRecordCorrupt checks every truncation and a few mutations of a record
// give an error, not a panic or a huge allocation.
func TestRecordCorrupt(t *testing.T) {
	rec := encodeRecord(&Object{ID: "x", Owner: "o", Attributes: []byte("attrs"), Material: []byte("m"),
		Terms: []Term{term("Name", "n")}})
	for n := range len(rec) {
		if _, err := decodeRecord("x", rec[:n]); err == nil {
			t.Errorf("truncation to %d bytes decoded", n)
		}
	}
	if _, err := decodeRecord("x", append(bytes.Clone(rec), 0)); !errors.Is(err, errCorrupt) {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := decodeRecord("x", []byte{9}); err == nil {
		t.Error("unknown version decoded")
	}
	// A term count of 2^63 must be refused before allocating.
	huge := []byte{recordVersion1, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}
	if _, err := decodeRecord("x", huge); !errors.Is(err, errCorrupt) {
		t.Errorf("huge term count: %v", err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(&Object{ID: "x", Owner: "o", Material: []byte("m"), Terms: []Term{term("a", "b")}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		obj, err := decodeRecord("x", b)
		if err != nil {
			return
		}
		if again, err := decodeRecord("x", encodeRecord(obj)); err != nil || !reflect.DeepEqual(again, obj) {
			t.Fatalf("re-encoding changed the object: %+v vs %+v (%v)", obj, again, err)
		}
	})
}

func TestKeyPrefixesDoNotCollide(t *testing.T) {
	// Distinct (owner, name, value) must give prefixes none of which is a
	// prefix of another's keys.
	tuples := [][3]string{
		{"a", "b", "c"}, {"a", "bc", ""}, {"ab", "c", ""}, {"a", "", "bc"}, {"a\x01", "b", "c"},
		{"a", "b\x01c", ""}, {"", "ab", "c"}, {"a", "b", "c\x01"},
	}
	for i, x := range tuples {
		px := termPrefix(x[0], term(x[1], x[2]))
		for j, y := range tuples {
			if i == j {
				continue
			}
			ky := termKey(y[0], term(y[1], y[2]), "\x01id")
			if bytes.HasPrefix(ky, px) {
				t.Errorf("key of %q starts with prefix of %q", y, x)
			}
		}
	}
	if bytes.HasPrefix(ownerKey("ab", "c"), ownerPrefix("a")) {
		t.Error("owner index of ab falls under owner a")
	}
}
