package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Values of the Alternative Name and Random Number Generator attributes.

func decodeAlternativeName(f ttlv.TTLV) (AlternativeName, *Error) {
	var a AlternativeName
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagAlternativeNameValue:
			a.Value, err = readText(c)
		case kmip14.TagAlternativeNameType:
			a.Type, err = readEnum(c)
		}
		if err != nil {
			return AlternativeName{}, err
		}
	}
	if a.Type == 0 {
		return AlternativeName{}, Errorf(ReasonInvalidField, "Alternative Name without an Alternative Name Type")
	}
	return a, nil
}

func decodeRNGParameters(f ttlv.TTLV) (RNGParameters, *Error) {
	var p RNGParameters
	var err *Error
	var x uint32
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagRNGAlgorithm:
			p.RNGAlgorithm, err = readEnum(c)
		case kmip14.TagCryptographicAlgorithm:
			x, err = readEnum(c)
			p.CryptographicAlgorithm = CryptographicAlgorithm(x)
		case kmip14.TagCryptographicLength:
			p.CryptographicLength, err = readInt(c)
		case kmip14.TagHashingAlgorithm:
			x, err = readEnum(c)
			p.HashingAlgorithm = HashingAlgorithm(x)
		case kmip14.TagDRBGAlgorithm:
			p.DRBGAlgorithm, err = readEnum(c)
		case kmip14.TagRecommendedCurve:
			p.RecommendedCurve, err = readEnum(c)
		case kmip14.TagFIPS186Variation:
			p.FIPS186Variation, err = readEnum(c)
		case kmip14.TagPredictionResistance:
			var b bool
			b, err = readBool(c)
			p.PredictionResistance = &b
		}
		if err != nil {
			return RNGParameters{}, err
		}
	}
	if p.RNGAlgorithm == 0 {
		return RNGParameters{}, Errorf(ReasonInvalidField, "RNG Parameters without an RNG Algorithm")
	}
	return p, nil
}

// encodeRNGParameters writes p; zero fields are left out.
func encodeRNGParameters(e *ttlv.Encoder, tag ttlv.Tag, p *RNGParameters) error {
	return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		enum := func(t ttlv.Tag, x uint32) {
			if x != 0 {
				e.EncodeEnumeration(t, x)
			}
		}
		e.EncodeEnumeration(kmip14.TagRNGAlgorithm, p.RNGAlgorithm)
		enum(kmip14.TagCryptographicAlgorithm, uint32(p.CryptographicAlgorithm))
		if p.CryptographicLength != 0 {
			e.EncodeInteger(kmip14.TagCryptographicLength, p.CryptographicLength)
		}
		enum(kmip14.TagHashingAlgorithm, uint32(p.HashingAlgorithm))
		enum(kmip14.TagDRBGAlgorithm, p.DRBGAlgorithm)
		enum(kmip14.TagRecommendedCurve, p.RecommendedCurve)
		enum(kmip14.TagFIPS186Variation, p.FIPS186Variation)
		if p.PredictionResistance != nil {
			e.EncodeBoolean(kmip14.TagPredictionResistance, *p.PredictionResistance)
		}
		return nil
	})
}
