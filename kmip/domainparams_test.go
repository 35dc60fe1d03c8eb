package kmip

import (
	"bytes"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Cryptographic Domain Parameters encoded by gemalto/kmip-go's encoder read
// back; a field of the wrong type or a value that is no structure does not.
func TestReadDomainParameters(t *testing.T) {
	encode := func(fields func(e *ttlv.Encoder)) ttlv.TTLV {
		var buf bytes.Buffer
		e := ttlv.NewEncoder(&buf)
		if err := e.EncodeStructure(kmip14.TagCryptographicDomainParameters, func(e *ttlv.Encoder) error { fields(e); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		return ttlv.TTLV(buf.Bytes())
	}
	v := encode(func(e *ttlv.Encoder) {
		e.EncodeInteger(kmip14.TagQlength, 256)
		e.EncodeEnumeration(kmip14.TagRecommendedCurve, uint32(kmip14.RecommendedCurveSECP256K1))
	})
	p, ok := ReadDomainParameters(v)
	if !ok || p != (DomainParameters{Qlength: 256, RecommendedCurve: uint32(kmip14.RecommendedCurveSECP256K1)}) {
		t.Errorf("ReadDomainParameters = %+v, %v", p, ok)
	}
	wrong := encode(func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagRecommendedCurve, "P-256") })
	if _, ok := ReadDomainParameters(wrong); ok {
		t.Error("accepted a Recommended Curve that is a Text String")
	}
	for _, bad := range []any{nil, "P-256", ttlv.TTLV{1, 2}} {
		if _, ok := ReadDomainParameters(bad); ok {
			t.Errorf("accepted %#v", bad)
		}
	}
}
