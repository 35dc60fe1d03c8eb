package kmip

import (
	"fmt"
	"math/big"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Adjust Attribute payloads, which KMIP 2.0 introduced: the request
// names the object (or the ID Placeholder), the attribute by an Attribute
// Reference, the Adjustment Type and, for Increment and Decrement, the
// Adjustment Value; the response names the object. The dispatch in
// codec_payloads.go refuses the operation in 1.x.

func decodeAdjustAttributeRequest(v Version, p ttlv.TTLV) (*AdjustAttributeRequest, *Error) {
	req := &AdjustAttributeRequest{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			req.UniqueIdentifier, err = readUID(v, c)
		case kmip20.TagAttributeReference:
			req.AttributeName, err = decodeAttrRef(v, c)
		case kmip20.TagAdjustmentType:
			var x uint32
			x, err = readEnum(c)
			req.AdjustmentType = AdjustmentType(x)
		case kmip20.TagAdjustmentValue:
			req.Value, err = readAdjustmentValue(c)
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case req.AttributeName == "":
		return nil, errMissing(v, "Attribute Reference")
	case req.AdjustmentType == 0:
		return nil, errMissing(v, "Adjustment Type")
	}
	return req, nil
}

// readAdjustmentValue reads an Adjustment Value: an Integer, Long Integer,
// Big Integer or Interval.
func readAdjustmentValue(f ttlv.TTLV) (any, *Error) {
	switch f.Type() {
	case ttlv.TypeInteger:
		return f.ValueInteger(), nil
	case ttlv.TypeLongInteger:
		return f.ValueLongInteger(), nil
	case ttlv.TypeBigInteger:
		return f.ValueBigInteger(), nil
	case ttlv.TypeInterval:
		return f.ValueInterval(), nil
	}
	return nil, errWrongType(f)
}

func encodeAdjustAttributeRequest(e *ttlv.Encoder, v Version, r *AdjustAttributeRequest) error {
	if !v.Is2x() {
		return fmt.Errorf("kmip: Adjust Attribute does not exist in KMIP %s", v)
	}
	encodeUID(e, r.UniqueIdentifier)
	if err := encodeAttrRef(e, v, r.AttributeName); err != nil {
		return err
	}
	e.EncodeEnumeration(kmip20.TagAdjustmentType, uint32(r.AdjustmentType))
	switch x := r.Value.(type) {
	case nil:
	case int32:
		e.EncodeInteger(kmip20.TagAdjustmentValue, x)
	case int64:
		e.EncodeLongInteger(kmip20.TagAdjustmentValue, x)
	case *big.Int:
		e.EncodeBigInteger(kmip20.TagAdjustmentValue, x)
	case time.Duration:
		e.EncodeInterval(kmip20.TagAdjustmentValue, x)
	default:
		return fmt.Errorf("kmip: cannot encode an Adjustment Value of type %T", r.Value)
	}
	return nil
}
