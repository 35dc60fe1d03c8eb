package kmip

import (
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// keyPairPayloadCases are CreateKeyPair, ReKey and ReKeyKeyPair requests
// and responses with every field set, as version v carries them (template
// names only in 1.x).
func keyPairPayloadCases(v Version) []payloadCase {
	common := Attributes{
		{Name: AttrCryptographicAlgorithm, Value: CryptographicAlgorithm(kmip14.CryptographicAlgorithmRSA)},
		{Name: AttrCryptographicLength, Value: int32(2048)},
	}
	private := Attributes{
		{Name: AttrName, Value: Name{Value: "priv", Type: kmip14.NameTypeUninterpretedTextString}},
		{Name: AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskSign)},
	}
	public := Attributes{
		{Name: AttrName, Value: Name{Value: "pub", Type: kmip14.NameTypeUninterpretedTextString}},
		{Name: AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskVerify)},
	}
	names := func(s string) []Name {
		if v.Is2x() {
			return nil
		}
		return []Name{{Value: s, Type: kmip14.NameTypeUninterpretedTextString}}
	}
	offset := 3 * time.Hour
	return []payloadCase{
		{kmip14.OperationCreateKeyPair,
			&CreateKeyPairRequest{CommonAttributes: common, PrivateKeyAttributes: private, PublicKeyAttributes: public,
				CommonTemplateNames: names("t-common"), PrivateKeyTemplateNames: names("t-private"),
				PublicKeyTemplateNames: names("t-public")},
			&CreateKeyPairResponse{PrivateKeyUniqueIdentifier: "priv-1", PublicKeyUniqueIdentifier: "pub-1"}},
		{kmip14.OperationReKey,
			&ReKeyRequest{UniqueIdentifier: "k", Offset: &offset, Attributes: common, TemplateNames: names("t")},
			&ReKeyResponse{UniqueIdentifier: "k2"}},
		{kmip14.OperationReKeyKeyPair,
			&ReKeyKeyPairRequest{PrivateKeyUniqueIdentifier: "priv-1", Offset: &offset,
				CommonAttributes: common, PrivateKeyAttributes: private, PublicKeyAttributes: public},
			&ReKeyKeyPairResponse{PrivateKeyUniqueIdentifier: "priv-2", PublicKeyUniqueIdentifier: "pub-2"}},
	}
}

func TestKeyPairPayloadRoundTrip(t *testing.T) {
	for _, v := range cryptoTestVersions {
		for _, c := range keyPairPayloadCases(v) {
			t.Run(v.String()+"/"+c.op.String(), func(t *testing.T) { roundTripCase(t, v, c) })
		}
	}
}

// TestCreateKeyPairShapes: 1.x writes Template-Attributes, 2.x Attributes,
// and a part without attributes is left out.
func TestCreateKeyPairShapes(t *testing.T) {
	req := &CreateKeyPairRequest{CommonAttributes: Attributes{{Name: AttrCryptographicLength, Value: int32(256)}}}
	for _, tc := range []struct {
		v    Version
		want ttlv.Tag
	}{{V1_4, kmip14.TagCommonTemplateAttribute}, {V2_1, kmip20.TagCommonAttributes}} {
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationCreateKeyPair, tc.v, req) })
		var tags []ttlv.Tag
		for c := range children(b) {
			tags = append(tags, c.Tag())
		}
		if !reflect.DeepEqual(tags, []ttlv.Tag{tc.want}) {
			t.Errorf("%v: payload holds %v, want only %v", tc.v, tags, tc.want)
		}
	}
	withNames := &CreateKeyPairRequest{CommonTemplateNames: []Name{{Value: "t"}}}
	err := encodeRequestPayload(ttlv.NewEncoder(io.Discard), kmip14.OperationCreateKeyPair, V2_0, withNames)
	if err == nil {
		t.Error("template names encoded in 2.0")
	}
}

// TestReKeyKeyPairRefusesTemplateNames: ReKeyKeyPair has no field for
// template names, so a 1.x request naming templates is refused rather than
// half-applied.
func TestReKeyKeyPairRefusesTemplateNames(t *testing.T) {
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			return encodeTemplateAttributeAs(e, kmip14.TagCommonTemplateAttribute, V1_4,
				[]Name{{Value: "t", Type: kmip14.NameTypeUninterpretedTextString}}, nil)
		})
	})
	p, err := decodeRequestPayload(kmip14.OperationReKeyKeyPair, V1_4, b)
	if err == nil || p != nil || err.Reason != ReasonFeatureNotSupported {
		t.Fatalf("decoded %#v, %v; want Feature Not Supported", p, err)
	}
}
