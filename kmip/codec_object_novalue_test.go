package kmip

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// TestKeyBlockWithoutValue: a metadata-only object's Key Block (no Key
// Value, KMIP 1.2 and later) decodes with NoValue, encodes without a Key
// Value and survives the storage codec; 1.0 and 1.1, whose Key Block
// requires a Key Value, refuse it both ways. A Key Value that is present
// but empty is still missing data.
func TestKeyBlockWithoutValue(t *testing.T) {
	obj := Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{
		FormatType: kmip14.KeyFormatTypeRaw, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128, NoValue: true,
	}}
	b, err := MarshalObject(&obj)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := UnmarshalObject(b)
	if err != nil || !reflect.DeepEqual(*stored, obj) {
		t.Fatalf("storage round trip: %+v, %v", stored, err)
	}
	// The wire form: a Key Block of Key Format Type, Algorithm and Length.
	raw := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagSymmetricKey, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagKeyBlock, func(e *ttlv.Encoder) error {
				e.EncodeEnumeration(kmip14.TagKeyFormatType, uint32(kmip14.KeyFormatTypeRaw))
				e.EncodeEnumeration(kmip14.TagCryptographicAlgorithm, uint32(kmip14.CryptographicAlgorithmAES))
				e.EncodeInteger(kmip14.TagCryptographicLength, 128)
				return nil
			})
		})
	})
	for _, v := range everyVersion {
		got, kerr := decodeObject(v, ttlv.TTLV(raw))
		var buf bytes.Buffer
		encErr := encodeObject(ttlv.NewEncoder(&buf), v, &obj)
		if v.Less(V1_2) {
			if kerr == nil || encErr == nil {
				t.Errorf("KMIP %s: decode error %v, encode error %v; want both refused", v, kerr, encErr)
			}
			continue
		}
		if kerr != nil || !reflect.DeepEqual(got, obj) {
			t.Errorf("KMIP %s: decoded %+v, %v", v, got.KeyBlock, kerr)
		}
		again := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeObject(e, v, &obj) })
		if !bytes.Equal(again, raw) {
			t.Errorf("KMIP %s: encoded %x, want %x", v, again, raw)
		}
	}
	empty := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagSymmetricKey, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagKeyBlock, func(e *ttlv.Encoder) error {
				e.EncodeEnumeration(kmip14.TagKeyFormatType, uint32(kmip14.KeyFormatTypeRaw))
				return e.EncodeStructure(kmip14.TagKeyValue, func(*ttlv.Encoder) error { return nil })
			})
		})
	})
	if _, kerr := decodeObject(V2_0, ttlv.TTLV(empty)); kerr == nil || kerr.Reason != ReasonMissingData {
		t.Errorf("an empty Key Value: %v, want Missing Data", kerr)
	}
}
