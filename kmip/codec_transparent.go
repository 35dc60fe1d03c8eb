package kmip

import (
	"math/big"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Key Material of the transparent asymmetric key formats.

// transparentInts lists the Big Integer fields of a TransparentKey in the
// order the specification's structures give them; every transparent
// structure is a subsequence of it.
func transparentInts(k *TransparentKey) []struct {
	tag ttlv.Tag
	ptr **big.Int
} {
	return []struct {
		tag ttlv.Tag
		ptr **big.Int
	}{
		{kmip14.TagModulus, &k.Modulus},
		{kmip14.TagPrivateExponent, &k.PrivateExponent},
		{kmip14.TagPublicExponent, &k.PublicExponent},
		{kmip14.TagP, &k.P},
		{kmip14.TagQ, &k.Q},
		{kmip14.TagG, &k.G},
		{kmip14.TagJ, &k.J},
		{kmip14.TagPrimeExponentP, &k.PrimeExponentP},
		{kmip14.TagPrimeExponentQ, &k.PrimeExponentQ},
		{kmip14.TagCRTCoefficient, &k.CRTCoefficient},
		{kmip14.TagX, &k.X},
		{kmip14.TagY, &k.Y},
	}
}

func readBigInt(f ttlv.TTLV) (*big.Int, *Error) {
	if f.Type() != ttlv.TypeBigInteger {
		return nil, errWrongType(f)
	}
	return f.ValueBigInteger(), nil // a new big.Int, not aliasing f
}

// decodeTransparentKey decodes the Key Material structure f of a
// transparent asymmetric key. A structure with none of the fields is an
// unsupported key format.
func decodeTransparentKey(f ttlv.TTLV) (*TransparentKey, *Error) {
	k := &TransparentKey{}
	ints := transparentInts(k)
	var found bool
	for c := range children(f) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagRecommendedCurve:
			k.RecommendedCurve, err = readEnum(c)
		case kmip14.TagQString:
			k.QString, err = readBytes(c)
		case kmip14.TagD:
			k.D, err = readBigInt(c)
		default:
			matched := false
			for _, field := range ints {
				if c.Tag() == field.tag {
					*field.ptr, err = readBigInt(c)
					matched = true
					break
				}
			}
			if !matched {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		found = true
	}
	if !found {
		return nil, Errorf(ReasonKeyFormatTypeNotSupported, "unsupported transparent Key Material structure")
	}
	return k, nil
}

// encodeTransparentKey writes k as a Key Material structure.
func encodeTransparentKey(e *ttlv.Encoder, k *TransparentKey) error {
	return e.EncodeStructure(kmip14.TagKeyMaterial, func(e *ttlv.Encoder) error {
		for _, field := range transparentInts(k) {
			if *field.ptr != nil {
				e.EncodeBigInteger(field.tag, *field.ptr)
			}
		}
		if k.RecommendedCurve != 0 {
			e.EncodeEnumeration(kmip14.TagRecommendedCurve, k.RecommendedCurve)
		}
		if k.QString != nil {
			e.EncodeByteString(kmip14.TagQString, k.QString)
		}
		if k.D != nil {
			e.EncodeBigInteger(kmip14.TagD, k.D)
		}
		return nil
	})
}
