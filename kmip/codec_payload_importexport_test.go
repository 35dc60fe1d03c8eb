package kmip

import (
	"math/big"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

func TestExportImportPayloadRoundTrip(t *testing.T) {
	attrs := commonAttributes()
	key := sampleObjects()[0]
	spec := &KeyWrappingSpecification{
		WrappingMethod:           kmip14.WrappingMethodEncrypt,
		EncryptionKeyInformation: &KeyInformation{UniqueIdentifier: "kek"},
	}
	for _, v := range []Version{V1_4, V2_0, V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			roundTrip(t, kmip14.OperationExport, v,
				&ExportRequest{UniqueIdentifier: "u1", KeyFormatType: kmip14.KeyFormatTypeRaw,
					KeyWrapType: kmip14.KeyWrapTypeNotWrapped, KeyWrapping: true, KeyWrappingSpecification: spec},
				&ExportResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "u1", Attributes: attrs, Object: key})
			roundTrip(t, kmip14.OperationExport, v, // ID Placeholder, nothing else
				&ExportRequest{},
				&ExportResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "u1", Object: key})
			roundTrip(t, kmip14.OperationImport, v,
				&ImportRequest{UniqueIdentifier: "u1", ObjectType: kmip14.ObjectTypeSymmetricKey, ReplaceExisting: true,
					KeyWrapType: kmip14.KeyWrapTypeAsRegistered, Attributes: attrs, Object: key},
				&ImportResponse{UniqueIdentifier: "u1"})
			roundTrip(t, kmip14.OperationImport, v,
				&ImportRequest{UniqueIdentifier: "u2", ObjectType: kmip14.ObjectTypeSymmetricKey, Object: key},
				&ImportResponse{UniqueIdentifier: "u2"})
		})
	}
}

func TestAdjustAttributePayloadRoundTrip(t *testing.T) {
	for _, v := range []Version{V2_0, V2_1} {
		for _, req := range []*AdjustAttributeRequest{
			{UniqueIdentifier: "u1", AttributeName: AttrActivationDate, AdjustmentType: AdjustIncrement, Value: 90 * time.Second},
			{UniqueIdentifier: "u1", AttributeName: "x-Count", AdjustmentType: AdjustDecrement, Value: int32(-3)},
			{AttributeName: "x-Big", AdjustmentType: AdjustIncrement, Value: int64(1) << 40},
			{AttributeName: "x-Big", AdjustmentType: AdjustIncrement, Value: big.NewInt(1 << 50)},
			{UniqueIdentifier: "u1", AttributeName: AttrProtectionStorageMask, AdjustmentType: AdjustNegate},
		} {
			t.Run(v.String()+"/"+req.AttributeName, func(t *testing.T) {
				roundTrip(t, OperationAdjustAttribute, v, req, &AdjustAttributeResponse{UniqueIdentifier: "u1"})
			})
		}
	}
}

// TestImportExportAdjustRefusedInOlderVersions checks that a version that
// does not define an operation refuses it with Operation Not Supported, in
// both directions, and that the codec encodes none of it.
func TestImportExportAdjustRefusedInOlderVersions(t *testing.T) {
	empty := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(*ttlv.Encoder) error { return nil })
	})
	cases := []struct {
		op    Operation
		older []Version
		req   any
	}{
		{kmip14.OperationExport, []Version{V1_0, V1_2, V1_3}, &ExportRequest{UniqueIdentifier: "u"}},
		{kmip14.OperationImport, []Version{V1_0, V1_2, V1_3}, &ImportRequest{UniqueIdentifier: "u", ObjectType: kmip14.ObjectTypeSymmetricKey, Object: sampleObjects()[0]}},
		{OperationAdjustAttribute, []Version{V1_0, V1_3, V1_4}, &AdjustAttributeRequest{AttributeName: "x-n", AdjustmentType: AdjustNegate}},
	}
	for _, c := range cases {
		for _, v := range c.older {
			if _, err := decodeRequestPayload(c.op, v, empty); err == nil || err.Reason != ReasonOperationNotSupported {
				t.Errorf("%v request in %v: error %v, want Operation Not Supported", c.op, v, err)
			}
			if _, err := decodeResponsePayload(c.op, v, empty); AsError(err).Reason != ReasonOperationNotSupported {
				t.Errorf("%v response in %v: error %v, want Operation Not Supported", c.op, v, err)
			}
			var buf = new(ttlvBuffer)
			if err := encodeRequestPayload(ttlv.NewEncoder(buf), c.op, v, c.req); err == nil {
				t.Errorf("%v request encoded in %v", c.op, v)
			}
		}
	}
}

// ttlvBuffer is an io.Writer that keeps nothing.
type ttlvBuffer struct{}

func (*ttlvBuffer) Write(p []byte) (int, error) { return len(p), nil }

// TestImportRequestWire checks the 2.1 bytes against a payload built by
// hand with the specification's fields and order.
func TestImportRequestWire(t *testing.T) {
	key := sampleObjects()[0]
	attrs := Attributes{{Name: AttrObjectGroup, Value: "g"}}
	want := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k-9")
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSymmetricKey))
			e.EncodeBoolean(kmip14.TagReplaceExisting, true)
			e.EncodeEnumeration(kmip14.TagKeyWrapType, uint32(kmip14.KeyWrapTypeNotWrapped))
			if err := e.EncodeStructure(kmip20.TagAttributes, func(e *ttlv.Encoder) error {
				e.EncodeTextString(kmip14.TagObjectGroup, "g")
				return nil
			}); err != nil {
				return err
			}
			return encodeObject(e, V2_1, &key)
		})
	})
	got := encodeBytes(t, func(e *ttlv.Encoder) error {
		return encodeRequestPayload(e, kmip14.OperationImport, V2_1, &ImportRequest{UniqueIdentifier: "k-9",
			ObjectType: kmip14.ObjectTypeSymmetricKey, ReplaceExisting: true, KeyWrapType: kmip14.KeyWrapTypeNotWrapped,
			Attributes: attrs, Object: key})
	})
	if string(got) != string(want) {
		t.Errorf("Import request payload = %x, want %x", got, want)
	}
}

// TestImportRequestRefusals checks the fields Import requires and the
// types it checks.
func TestImportRequestRefusals(t *testing.T) {
	key := sampleObjects()[0]
	payload := func(fields func(e *ttlv.Encoder)) []byte {
		return encodeBytes(t, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				fields(e)
				return nil
			})
		})
	}
	cases := map[string]struct {
		b      []byte
		reason ResultReason
	}{
		"no Unique Identifier": {payload(func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSymmetricKey))
			encodeObject(e, V2_1, &key)
		}), ReasonMissingData},
		"ID Placeholder enumeration": {payload(func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip14.TagUniqueIdentifier, 1)
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSymmetricKey))
			encodeObject(e, V2_1, &key)
		}), ReasonInvalidMessage},
		"no object": {payload(func(e *ttlv.Encoder) {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "u")
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSymmetricKey))
		}), ReasonMissingData},
		"type mismatch": {payload(func(e *ttlv.Encoder) {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "u")
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSecretData))
			encodeObject(e, V2_1, &key)
		}), ReasonInvalidField},
		"Replace Existing not a Boolean": {payload(func(e *ttlv.Encoder) {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "u")
			e.EncodeInteger(kmip14.TagReplaceExisting, 1)
		}), ReasonInvalidMessage},
	}
	for name, c := range cases {
		_, err := decodeRequestPayload(kmip14.OperationImport, V2_1, c.b)
		if err == nil || err.Reason != c.reason {
			t.Errorf("%s: error %v, want %v", name, err, c.reason)
		}
	}
}

func TestAdjustAttributeRequestRefusals(t *testing.T) {
	payload := func(fields func(e *ttlv.Encoder)) []byte {
		return encodeBytes(t, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
				fields(e)
				return nil
			})
		})
	}
	cases := map[string]struct {
		b      []byte
		reason ResultReason
	}{
		"no Attribute Reference": {payload(func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip20.TagAdjustmentType, uint32(AdjustNegate))
		}), ReasonMissingData},
		"no Adjustment Type": {payload(func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip20.TagAttributeReference, uint32(kmip14.TagActivationDate))
		}), ReasonMissingData},
		"Text String value": {payload(func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip20.TagAttributeReference, uint32(kmip14.TagActivationDate))
			e.EncodeEnumeration(kmip20.TagAdjustmentType, uint32(AdjustIncrement))
			e.EncodeTextString(kmip20.TagAdjustmentValue, "1")
		}), ReasonInvalidMessage},
	}
	for name, c := range cases {
		_, err := decodeRequestPayload(OperationAdjustAttribute, V2_1, c.b)
		if err == nil || err.Reason != c.reason {
			t.Errorf("%s: error %v, want %v", name, err, c.reason)
		}
	}
}
