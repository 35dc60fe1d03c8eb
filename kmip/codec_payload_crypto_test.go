package kmip

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// cryptoTestVersions are the versions the cryptographic payloads are
// round-tripped in: before and after the 1.3 and 1.4 additions, and 2.x.
var cryptoTestVersions = []Version{V1_2, V1_4, V2_0, V2_1}

// fullCryptographicParameters sets every field of Cryptographic Parameters.
func fullCryptographicParameters() *CryptographicParameters {
	yes := true
	icv, salt, trailer := int32(1), int32(32), int32(1)
	return &CryptographicParameters{
		BlockCipherMode:               kmip14.BlockCipherModeGCM,
		PaddingMethod:                 kmip14.PaddingMethodOAEP,
		HashingAlgorithm:              kmip14.HashingAlgorithmSHA_256,
		KeyRoleType:                   uint32(kmip14.KeyRoleTypeDEK),
		DigitalSignatureAlgorithm:     uint32(kmip14.DigitalSignatureAlgorithmSHA_256WithRSAEncryption),
		CryptographicAlgorithm:        kmip14.CryptographicAlgorithmAES,
		RandomIV:                      &yes,
		IVLength:                      96,
		TagLength:                     16,
		FixedFieldLength:              32,
		InvocationFieldLength:         64,
		CounterLength:                 32,
		InitialCounterValue:           &icv,
		SaltLength:                    &salt,
		MaskGenerator:                 uint32(kmip14.MaskGeneratorMGF1),
		MaskGeneratorHashingAlgorithm: kmip14.HashingAlgorithmSHA_1,
		PSource:                       []byte{1, 2, 3},
		TrailerField:                  &trailer,
	}
}

// parametersIn is p as version v carries it: the 1.4 additions dropped
// before 1.4 (every case here is 1.2 or later).
func parametersIn(v Version, p *CryptographicParameters) *CryptographicParameters {
	q := *p
	if !v.AtLeast(V1_4) {
		q.SaltLength, q.MaskGenerator, q.MaskGeneratorHashingAlgorithm, q.PSource, q.TrailerField = nil, 0, 0, nil, nil
	}
	return &q
}

// cryptoPayloadCases are requests and responses of the cryptographic
// operations with every field set, as version v carries them.
func cryptoPayloadCases(v Version) []payloadCase {
	params := parametersIn(v, fullCryptographicParameters())
	b := func(s string) []byte { return []byte(s) }
	since := func(w Version, x []byte) []byte {
		if v.AtLeast(w) {
			return x
		}
		return nil
	}
	stream := Streaming{}
	if v.AtLeast(V1_3) {
		stream = Streaming{CorrelationValue: b("corr"), InitIndicator: true, FinalIndicator: true}
	}
	corr := stream.CorrelationValue
	return []payloadCase{
		{kmip14.OperationEncrypt,
			&EncryptRequest{UniqueIdentifier: "k", Parameters: params, Data: b("plain"), IVCounterNonce: b("iv"),
				AdditionalData: since(V1_4, b("aad")), Streaming: stream},
			&EncryptResponse{UniqueIdentifier: "k", Data: b("cipher"), IVCounterNonce: b("iv"),
				Tag: since(V1_4, b("tag")), CorrelationValue: corr}},
		{kmip14.OperationDecrypt,
			&DecryptRequest{UniqueIdentifier: "k", Parameters: params, Data: b("cipher"), IVCounterNonce: b("iv"),
				AdditionalData: since(V1_4, b("aad")), Tag: since(V1_4, b("tag")), Streaming: stream},
			&DecryptResponse{UniqueIdentifier: "k", Data: b("plain"), CorrelationValue: corr}},
		{kmip14.OperationSign,
			&SignRequest{UniqueIdentifier: "k", Parameters: params, Data: b("msg"),
				DigestedData: since(V1_4, b("digest")), Streaming: stream},
			&SignResponse{UniqueIdentifier: "k", SignatureData: b("sig"), CorrelationValue: corr}},
		{kmip14.OperationSignatureVerify,
			&SignatureVerifyRequest{UniqueIdentifier: "k", Parameters: params, Data: b("msg"),
				DigestedData: since(V1_4, b("digest")), SignatureData: b("sig"), Streaming: stream},
			&SignatureVerifyResponse{UniqueIdentifier: "k", ValidityIndicator: Invalid, CorrelationValue: corr}},
		{kmip14.OperationMAC,
			&MACRequest{UniqueIdentifier: "k", Parameters: params, Data: b("msg"), Streaming: stream},
			&MACResponse{UniqueIdentifier: "k", MACData: b("mac"), CorrelationValue: corr}},
		{kmip14.OperationMACVerify,
			&MACVerifyRequest{UniqueIdentifier: "k", Parameters: params, Data: b("msg"), MACData: b("mac"), Streaming: stream},
			&MACVerifyResponse{UniqueIdentifier: "k", ValidityIndicator: Valid, CorrelationValue: corr}},
		{kmip14.OperationHash,
			&HashRequest{Parameters: params, Data: b("msg"), Streaming: stream},
			&HashResponse{Data: b("digest"), CorrelationValue: corr}},
		{kmip14.OperationRNGRetrieve, &RNGRetrieveRequest{DataLength: 32}, &RNGRetrieveResponse{Data: b("random")}},
		{kmip14.OperationRNGSeed, &RNGSeedRequest{Data: b("seed")}, &RNGSeedResponse{DataLength: 4}},
	}
}

// roundTripCase encodes and decodes c's request and response in v and
// checks that both survive.
func roundTripCase(t *testing.T, v Version, c payloadCase) {
	t.Helper()
	b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, c.op, v, c.req) })
	got, kerr := decodeRequestPayload(c.op, v, b)
	if kerr != nil {
		t.Fatalf("decode request: %v", kerr)
	}
	if !reflect.DeepEqual(got, c.req) {
		t.Errorf("request:\n got %#v\nwant %#v", got, c.req)
	}
	b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, c.op, v, c.resp) })
	resp, err := decodeResponsePayload(c.op, v, b)
	if err != nil {
		t.Fatalf("decode response: %v", err)
	}
	if !reflect.DeepEqual(resp, c.resp) {
		t.Errorf("response:\n got %#v\nwant %#v", resp, c.resp)
	}
}

func TestCryptoPayloadRoundTrip(t *testing.T) {
	for _, v := range cryptoTestVersions {
		for _, c := range cryptoPayloadCases(v) {
			t.Run(v.String()+"/"+c.op.String(), func(t *testing.T) { roundTripCase(t, v, c) })
		}
	}
}

// TestCryptoFieldsLeftOutByVersion: a field a version lacks is not written,
// even when the payload carries it.
func TestCryptoFieldsLeftOutByVersion(t *testing.T) {
	req := &DecryptRequest{UniqueIdentifier: "k", Data: []byte("c"), AdditionalData: []byte("aad"), Tag: []byte("t"),
		Streaming: Streaming{CorrelationValue: []byte("corr"), InitIndicator: true}}
	for _, tc := range []struct {
		v    Version
		want *DecryptRequest
	}{
		{V1_2, &DecryptRequest{UniqueIdentifier: "k", Data: []byte("c")}},
		{V1_3, &DecryptRequest{UniqueIdentifier: "k", Data: []byte("c"), Streaming: req.Streaming}},
		{V1_4, req},
	} {
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationDecrypt, tc.v, req) })
		got, err := decodeRequestPayload(kmip14.OperationDecrypt, tc.v, b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v:\n got %#v\nwant %#v", tc.v, got, tc.want)
		}
	}
}

func TestCryptoDecodeRejects(t *testing.T) {
	payload := func(fields func(e *ttlv.Encoder)) []byte {
		return encodeBytes(t, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error { fields(e); return nil })
		})
	}
	for _, tc := range []struct {
		name   string
		op     Operation
		v      Version
		b      []byte
		reason ResultReason
	}{
		{"rng retrieve without length", kmip14.OperationRNGRetrieve, V2_1, payload(func(*ttlv.Encoder) {}), ReasonMissingData},
		{"negative data length", kmip14.OperationRNGRetrieve, V1_4, payload(func(e *ttlv.Encoder) {
			e.EncodeInteger(kmip14.TagDataLength, -1)
		}), ReasonInvalidField},
		{"rng seed without data", kmip14.OperationRNGSeed, V1_4, payload(func(*ttlv.Encoder) {}), ReasonInvalidMessage},
		{"hash without parameters", kmip14.OperationHash, V2_0, payload(func(e *ttlv.Encoder) {
			e.EncodeByteString(kmip14.TagData, []byte("x"))
		}), ReasonMissingData},
		{"data as text", kmip14.OperationEncrypt, V1_4, payload(func(e *ttlv.Encoder) {
			e.EncodeTextString(kmip14.TagData, "x")
		}), ReasonInvalidMessage},
		{"parameters not a structure", kmip14.OperationSign, V2_1, payload(func(e *ttlv.Encoder) {
			e.EncodeInteger(kmip14.TagCryptographicParameters, 1)
		}), ReasonInvalidMessage},
		{"hash in 1.1", kmip14.OperationHash, V1_1, payload(func(*ttlv.Encoder) {}), ReasonOperationNotSupported},
		{"offset as integer", kmip14.OperationReKey, V1_4, payload(func(e *ttlv.Encoder) {
			e.EncodeInteger(kmip14.TagOffset, 1)
		}), ReasonInvalidMessage},
		{"rekey key pair in 1.0", kmip14.OperationReKeyKeyPair, V1_0, payload(func(*ttlv.Encoder) {}), ReasonOperationNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeRequestPayload(tc.op, tc.v, tc.b)
			if err == nil || p != nil {
				t.Fatalf("decoded %#v, %v; want %v", p, err, tc.reason)
			}
			if err.Reason != tc.reason {
				t.Errorf("reason %v (%v), want %v", err.Reason, err, tc.reason)
			}
		})
	}
}

// profileVectorFiles are the OASIS test cases of the cryptographic and
// asymmetric profiles, and the streaming ones of the 2.0 test cases.
func profileVectorFiles(t *testing.T) []string {
	var files []string
	for _, pattern := range []string{"CS-*", "AKLC-*", "AX-*", "QS-*", "SUITEB_*"} {
		files = append(files, vectorGlob(t, "v*", "*", pattern+".xml")...)
	}
	// The streaming test cases, whose parts without output have no Data.
	return append(files, vectorGlob(t, "v2.0-tc", "TC-STREAM-*.xml")...)
}

// newPayloadOps are the operations of codec_payload_crypto.go and
// codec_payload_keypair.go.
func isNewPayloadOp(op Operation) bool {
	switch op {
	case kmip14.OperationCreateKeyPair, kmip14.OperationReKey, kmip14.OperationReKeyKeyPair,
		kmip14.OperationEncrypt, kmip14.OperationDecrypt, kmip14.OperationSign,
		kmip14.OperationSignatureVerify, kmip14.OperationMAC, kmip14.OperationMACVerify,
		kmip14.OperationHash, kmip14.OperationRNGRetrieve, kmip14.OperationRNGSeed:
		return true
	}
	return false
}

// TestProfileVectors decodes every request and response payload of the
// cryptographic and asymmetric profile test cases, re-encodes it and checks
// that the bytes are the vector's own: every field of every vector
// survives, in the specification's order.
func TestProfileVectors(t *testing.T) {
	counts := map[string]int{}
	for _, file := range profileVectorFiles(t) {
		for _, element := range []string{"RequestMessage", "ResponseMessage"} {
			for _, r := range loadVectorItems(t, file, element) {
				if r.payload == nil || !isNewPayloadOp(r.op) {
					continue
				}
				var p any
				var err error
				var encode func(e *ttlv.Encoder) error
				if element == "RequestMessage" {
					var kerr *Error
					if p, kerr = decodeRequestPayload(r.op, r.version, r.payload); kerr != nil {
						err = kerr
					}
					encode = func(e *ttlv.Encoder) error { return encodeRequestPayload(e, r.op, r.version, p) }
				} else {
					p, err = decodeResponsePayload(r.op, r.version, r.payload)
					encode = func(e *ttlv.Encoder) error { return encodeResponsePayload(e, r.op, r.version, p) }
				}
				if err != nil {
					t.Errorf("%s %v %v %s: %v", r.file, r.version, r.op, element, err)
					continue
				}
				b := encodeBytes(t, encode)
				if !bytes.Equal(b, r.payload) {
					t.Errorf("%s %v %v %s: re-encoded payload differs\n got %s\nwant %s",
						r.file, r.version, r.op, element, ttlv.TTLV(b), r.payload)
				}
				counts[r.op.String()+" "+strings.TrimSuffix(element, "Message")]++
			}
		}
	}
	t.Logf("payloads round-tripped byte for byte: %v", counts)
}

// TestResponseDataPresence: the Data of an Encrypt, Decrypt or Hash
// response is written when set, even empty (a one-shot request with no
// output, CS-BC-M-GCM-2), and left out when nil (a stream part with no
// output, TC-STREAM-ENC-1), in every version that defines the operation.
func TestResponseDataPresence(t *testing.T) {
	responses := func(data []byte) map[Operation]any {
		return map[Operation]any{
			kmip14.OperationEncrypt: &EncryptResponse{UniqueIdentifier: "k", Data: data},
			kmip14.OperationDecrypt: &DecryptResponse{UniqueIdentifier: "k", Data: data},
			kmip14.OperationHash:    &HashResponse{Data: data},
		}
	}
	for _, v := range []Version{V1_2, V1_3, V1_4, V2_0, V2_1} {
		for _, c := range []struct {
			data []byte
			want bool
		}{{[]byte{}, true}, {nil, false}} {
			for op, resp := range responses(c.data) {
				b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, op, v, resp) })
				found := false
				for f := range children(b) {
					found = found || (f.Tag() == kmip14.TagData && len(f.ValueByteString()) == 0)
				}
				if found != c.want {
					t.Errorf("%v %v, Data %#v: Data written %v, want %v: %s", v, op, c.data, found, c.want, ttlv.TTLV(b))
				}
				got, err := decodeResponsePayload(op, v, b)
				if err != nil {
					t.Fatalf("%v %v: %v", v, op, err)
				}
				if !reflect.DeepEqual(got, resp) {
					t.Errorf("%v %v: decoded %+v, want %+v", v, op, got, resp)
				}
			}
		}
	}
}
