package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// DomainParameters are the fields of a Cryptographic Domain Parameters
// attribute (KMIP 1.0-2.1; 2.1 section 4.14) that key pair generation
// reads. The attribute itself is kept as its TTLV structure; zero fields
// are absent.
type DomainParameters struct {
	Qlength          int32
	RecommendedCurve uint32 // Recommended Curve enumeration
}

// ReadDomainParameters returns the fields of a Cryptographic Domain
// Parameters attribute value (as Attributes.Get returns it); ok is false
// when v is not one or a field has the wrong type.
func ReadDomainParameters(v any) (p DomainParameters, ok bool) {
	f, isTTLV := v.(ttlv.TTLV)
	if !isTTLV || len(f) < 8 || f.Type() != ttlv.TypeStructure {
		return DomainParameters{}, false
	}
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagQlength:
			p.Qlength, err = readInt(c)
		case kmip14.TagRecommendedCurve:
			p.RecommendedCurve, err = readEnum(c)
		}
		if err != nil {
			return DomainParameters{}, false
		}
	}
	return p, true
}
