package handlers

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// unhex decodes a hexadecimal test value.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// registerAES registers key as an active raw AES key of alice's for
// Encrypt and Decrypt.
func (h *harness) registerAES(v kmip.Version, key []byte) string {
	h.t.Helper()
	id := h.must(v, alice, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeSymmetricKey,
		Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}},
		Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw,
			Material: key, Algorithm: kmip14.CryptographicAlgorithmAES, Length: int32(len(key) * 8)}},
	}).(*kmip.RegisterResponse).UniqueIdentifier
	h.must(v, alice, &kmip.ActivateRequest{UniqueIdentifier: id})
	return id
}

// cipherStep is one part of an Encrypt or Decrypt stream: its input, the
// Data its response carries (nil: none) and whether it is the last.
type cipherStep struct {
	in, out string
	final   bool
}

// runCipherStream runs steps as one Encrypt (or Decrypt) stream on key id
// with params and iv, and checks each response's Data and Correlation
// Value.
func (h *harness) runCipherStream(t *testing.T, v kmip.Version, decrypt bool, id string, params *kmip.CryptographicParameters, iv []byte, steps []cipherStep) {
	t.Helper()
	var corr []byte
	for i, s := range steps {
		sf := kmip.Streaming{CorrelationValue: corr, InitIndicator: i == 0, FinalIndicator: s.final}
		var data, gotCorr []byte
		if decrypt {
			r := h.must(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: params, IVCounterNonce: iv, Data: unhex(t, s.in), Streaming: sf}).(*kmip.DecryptResponse)
			data, gotCorr = r.Data, r.CorrelationValue
		} else {
			r := h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: params, IVCounterNonce: iv, Data: unhex(t, s.in), Streaming: sf}).(*kmip.EncryptResponse)
			data, gotCorr = r.Data, r.CorrelationValue
		}
		if s.out == "" && data != nil {
			t.Errorf("part %d answers Data %x, want none", i, data)
		} else if s.out != "" && !bytes.Equal(data, unhex(t, s.out)) {
			t.Errorf("part %d answers Data %x, want %s", i, data, s.out)
		}
		switch {
		case s.final && gotCorr != nil:
			t.Errorf("final part %d answers a Correlation Value", i)
		case !s.final && i > 0 && !bytes.Equal(gotCorr, corr):
			t.Errorf("part %d answers Correlation Value %x, want the stream's %x", i, gotCorr, corr)
		case !s.final && len(gotCorr) == 0:
			t.Fatalf("part %d answers no Correlation Value", i)
		}
		params, iv, corr = nil, nil, gotCorr
	}
}

// TestStreamCipherParts replays streams whose parts and outputs are
// published elsewhere: the CBC stream of OASIS TC-STREAM-ENCDEC-1-20 (a
// part returns complete blocks; Decrypt withholds the last one, which may
// hold the padding), and NIST SP 800-38A's ECB-AES128 (F.1.1) and
// CTR-AES128 (F.5.1) examples split in parts.
func TestStreamCipherParts(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		for _, v := range []kmip.Version{kmip.V1_3, kmip.V1_4, kmip.V2_0, kmip.V2_1} {
			// TC-STREAM-ENCDEC-1-20 steps 3 to 8.
			tc := h.registerAES(v, unhex(t, "0123456789abcdef0123456789abcdef"))
			cbc := &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeCBC, PaddingMethod: kmip14.PaddingMethodPKCS5}
			tcIV := unhex(t, "01020304050607080910111213141516")
			h.runCipherStream(t, v, false, tc, cbc, tcIV, []cipherStep{
				{in: "0102030405060708"},
				{in: "0910111213141516", out: "79abc5c23868ad84d388ce61110a6274"},
				{in: "0102030405060708091011121314151601", out: "2bda19d694bbcb757dd06617c0d80fb1df2e71864ad9633d7d797e30860df00d", final: true},
			})
			h.runCipherStream(t, v, true, tc, cbc, tcIV, []cipherStep{
				{in: "79abc5c23868ad84d388ce61110a6274"},
				{in: "2bda19d694bbcb757dd06617c0d80fb1", out: "01020304050607080910111213141516"},
				{in: "df2e71864ad9633d7d797e30860df00d", out: "0102030405060708091011121314151601", final: true},
			})

			nist := h.registerAES(v, unhex(t, "2b7e151628aed2a6abf7158809cf4f3c"))
			// ECB without padding: every complete block, also on Decrypt;
			// a final part without output has no Data.
			ecb := &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeECB}
			h.runCipherStream(t, v, false, nist, ecb, nil, []cipherStep{
				{in: "6bc1bee22e409f96e93d7e11"},
				{in: "7393172a", out: "3ad77bb40d7a3660a89ecaf32466ef97"},
				{in: "", final: true},
			})
			h.runCipherStream(t, v, true, nist, ecb, nil, []cipherStep{
				{in: "3ad77bb40d7a3660a89ecaf32466ef97", out: "6bc1bee22e409f96e93d7e117393172a"},
				{in: "", final: true},
			})
			// CTR: every byte as it arrives, both ways.
			ctr := &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeCTR}
			counter := unhex(t, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
			h.runCipherStream(t, v, false, nist, ctr, counter, []cipherStep{
				{in: "6bc1bee22e", out: "874d6191b6"},
				{in: "409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", out: "20e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff", final: true},
			})
			h.runCipherStream(t, v, true, nist, ctr, counter, []cipherStep{
				{in: "874d6191b620e3261bef6864990db6ce98", out: "6bc1bee22e409f96e93d7e117393172aae"},
				{in: "06f66b7970fdff8617187bb9fffdff", out: "2d8a571e03ac9c9eb76fac45af8e51", final: true},
			})
			if h.svc.streams.bytes != 0 {
				t.Fatalf("%v: %d bytes still counted after the streams ended", v, h.svc.streams.bytes)
			}
		}
	})
}

// TestStreamDecryptAEAD: a GCM Decrypt stream releases no plaintext before
// the final part has checked the tag, and none at all when the tag is
// wrong.
func TestStreamDecryptAEAD(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_1
		id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
		plain := bytes.Repeat([]byte("streamed"), 8)
		iv := make([]byte, 12)
		enc := h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain, IVCounterNonce: iv}).(*kmip.EncryptResponse)
		for _, tagOK := range []bool{true, false} {
			tag := append([]byte(nil), enc.Tag...)
			if !tagOK {
				tag[0] ^= 1
			}
			first := h.must(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: gcm(16), IVCounterNonce: iv, Data: enc.Data[:40], Streaming: kmip.Streaming{InitIndicator: true}}).(*kmip.DecryptResponse)
			if first.Data != nil {
				t.Fatalf("first GCM part releases %d bytes before the tag is checked", len(first.Data))
			}
			last, err := h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Data: enc.Data[40:], Tag: tag, Streaming: kmip.Streaming{CorrelationValue: first.CorrelationValue, FinalIndicator: true}})
			if !tagOK {
				wantReason(t, err, kmip.ReasonCryptographicFailure)
				continue
			}
			if err != nil || !bytes.Equal(last.(*kmip.DecryptResponse).Data, plain) {
				t.Fatalf("streamed GCM Decrypt: %v", err)
			}
		}
	})
}

// TestStreamVerifyValueAnyPart: the Signature Data or MAC Data to verify
// may come with any part (TC-STREAM-SIGNVFY-1 and TC-STREAM-MAC-1 give it
// with the first), once; a stream that never gets it is Missing Data.
func TestStreamVerifyValueAnyPart(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_1
		key := h.activeKey(v, kmip14.CryptographicAlgorithmHMAC_SHA256, 256, maskMAC)
		data := []byte("0123456789abcdef")
		mac := h.must(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data}).(*kmip.MACResponse).MACData
		other := append([]byte(nil), mac...)
		other[0] ^= 1

		for _, c := range []struct {
			name  string
			given [3][]byte
			want  kmip.ValidityIndicator
		}{
			{"first part", [3][]byte{mac, nil, nil}, kmip.Valid},
			{"middle part", [3][]byte{nil, mac, nil}, kmip.Valid},
			{"last part", [3][]byte{nil, nil, mac}, kmip.Valid},
			{"repeated", [3][]byte{mac, mac, mac}, kmip.Valid},
			{"wrong", [3][]byte{other, nil, nil}, kmip.Invalid},
		} {
			got, err := h.macVerifyStream(v, key, data, c.given)
			if err != nil || got != c.want {
				t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
			}
		}
		_, err := h.macVerifyStream(v, key, data, [3][]byte{mac, other, nil})
		wantReason(t, err, kmip.ReasonInvalidField)
		_, err = h.macVerifyStream(v, key, data, [3][]byte{})
		wantReason(t, err, kmip.ReasonMissingData)
		_, err = h.do(v, alice, &kmip.MACVerifyRequest{UniqueIdentifier: key, Data: data})
		wantReason(t, err, kmip.ReasonMissingData)

		// Signature Verify, Signature Data with the first part.
		priv, pub := h.createPair(v, kmip14.CryptographicAlgorithmRSA, 2048)
		pss := &kmip.CryptographicParameters{PaddingMethod: kmip14.PaddingMethodPSS, HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}
		sig := h.must(v, alice, &kmip.SignRequest{UniqueIdentifier: priv, Parameters: pss, Data: data}).(*kmip.SignResponse).SignatureData
		first := h.must(v, alice, &kmip.SignatureVerifyRequest{UniqueIdentifier: pub, Parameters: pss, Data: data[:3], SignatureData: sig, Streaming: kmip.Streaming{InitIndicator: true}}).(*kmip.SignatureVerifyResponse)
		last := h.must(v, alice, &kmip.SignatureVerifyRequest{UniqueIdentifier: pub, Data: data[3:], Streaming: kmip.Streaming{CorrelationValue: first.CorrelationValue, FinalIndicator: true}}).(*kmip.SignatureVerifyResponse)
		if first.ValidityIndicator != 0 || last.ValidityIndicator != kmip.Valid {
			t.Fatalf("streamed Signature Verify: %v, then %v", first.ValidityIndicator, last.ValidityIndicator)
		}
	})
}

// macVerifyStream runs a three-part MAC Verify stream of data on key, the
// parts carrying the MAC Data given, and returns the final answer.
func (h *harness) macVerifyStream(v kmip.Version, key string, data []byte, given [3][]byte) (kmip.ValidityIndicator, error) {
	h.t.Helper()
	var corr []byte
	third := len(data) / 3
	for i := range 3 {
		part := data[i*third:]
		if i < 2 {
			part = part[:third]
		}
		resp, err := h.do(v, alice, &kmip.MACVerifyRequest{UniqueIdentifier: key, Data: part, MACData: given[i],
			Streaming: kmip.Streaming{CorrelationValue: corr, InitIndicator: i == 0, FinalIndicator: i == 2}})
		if err != nil {
			return 0, err
		}
		r := resp.(*kmip.MACVerifyResponse)
		if i == 2 {
			return r.ValidityIndicator, nil
		}
		if r.ValidityIndicator != 0 {
			h.t.Fatalf("part %d answers a Validity Indicator", i)
		}
		corr = r.CorrelationValue
	}
	return 0, nil
}

// TestStreamBinding: a stream goes on only for the identity that started
// it, with its operation and key; any other request naming its Correlation
// Value is refused and leaves the stream as it was.
func TestStreamBinding(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	key := h.activeKey(v, kmip14.CryptographicAlgorithmHMAC_SHA256, 256, maskMAC)
	otherKey := h.activeKey(v, kmip14.CryptographicAlgorithmHMAC_SHA256, 256, maskMAC)
	data := []byte("abcdef")
	first := h.must(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data[:2], Streaming: kmip.Streaming{InitIndicator: true}}).(*kmip.MACResponse)
	corr := first.CorrelationValue
	if len(corr) != 16 || first.MACData != nil {
		t.Fatalf("first part: %+v", first)
	}
	cont := kmip.Streaming{CorrelationValue: corr}
	final := kmip.Streaming{CorrelationValue: corr, FinalIndicator: true}

	// Another client, even naming the key, cannot continue or end it.
	_, err := h.do(v, bob, &kmip.MACRequest{Data: []byte("xx"), Streaming: final})
	wantReason(t, err, kmip.ReasonInvalidCorrelationValue)
	_, err = h.do(kmip.V1_4, bob, &kmip.MACRequest{UniqueIdentifier: key, Data: []byte("xx"), Streaming: final})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	// Another operation, another key, an Init Indicator with the value, a
	// value that names no stream.
	_, err = h.do(v, alice, &kmip.HashRequest{Parameters: &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}, Data: data, Streaming: final})
	wantReason(t, err, kmip.ReasonInvalidCorrelationValue)
	_, err = h.do(v, alice, &kmip.MACVerifyRequest{UniqueIdentifier: key, Data: data, Streaming: final})
	wantReason(t, err, kmip.ReasonInvalidCorrelationValue)
	_, err = h.do(v, alice, &kmip.MACRequest{UniqueIdentifier: otherKey, Data: data, Streaming: cont})
	wantReason(t, err, kmip.ReasonInvalidField)
	_, err = h.do(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data, Streaming: kmip.Streaming{CorrelationValue: corr, InitIndicator: true}})
	wantReason(t, err, kmip.ReasonInvalidField)
	_, err = h.do(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data, Streaming: kmip.Streaming{CorrelationValue: make([]byte, 16)}})
	wantReason(t, err, kmip.ReasonInvalidCorrelationValue)

	// The stream is intact: its MAC is the one-shot MAC of its own parts.
	mid := h.must(v, alice, &kmip.MACRequest{Data: data[2:4], Streaming: cont}).(*kmip.MACResponse)
	if !bytes.Equal(mid.CorrelationValue, corr) {
		t.Fatal("a continuation answers another Correlation Value")
	}
	last := h.must(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data[4:], Streaming: final}).(*kmip.MACResponse)
	whole := h.must(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data}).(*kmip.MACResponse)
	if !bytes.Equal(last.MACData, whole.MACData) || last.CorrelationValue != nil {
		t.Fatalf("streamed MAC %x, want %x", last.MACData, whole.MACData)
	}
	// Ended: its value names nothing any more.
	_, err = h.do(v, alice, &kmip.MACRequest{Data: data, Streaming: final})
	wantReason(t, err, kmip.ReasonInvalidCorrelationValue)

	// Two Init parts open two streams with their own values.
	a := h.must(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data, Streaming: kmip.Streaming{InitIndicator: true}}).(*kmip.MACResponse)
	b := h.must(v, alice, &kmip.MACRequest{UniqueIdentifier: key, Data: data, Streaming: kmip.Streaming{InitIndicator: true}}).(*kmip.MACResponse)
	if bytes.Equal(a.CorrelationValue, b.CorrelationValue) {
		t.Fatal("two streams share a Correlation Value")
	}
}

// TestStreamLimits: the open streams per client and in all, the input of a
// stream and of all, and a stream's age are bounded; a stream beyond a
// bound ends, and what it held is uncounted.
func TestStreamLimits(t *testing.T) {
	h := newHarness(t)
	sha := &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}
	open := func(v kmip.Version, who string, data []byte) ([]byte, error) {
		resp, err := h.do(v, who, &kmip.HashRequest{Parameters: sha, Data: data, Streaming: kmip.Streaming{InitIndicator: true}})
		if err != nil {
			return nil, err
		}
		return resp.(*kmip.HashResponse).CorrelationValue, nil
	}
	var corrs [][]byte
	for range maxStreamsPerOwner {
		c, err := open(kmip.V2_1, alice, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		corrs = append(corrs, c)
	}
	_, err := open(kmip.V2_1, alice, []byte("x"))
	wantSentIn(t, kmip.V2_1, err, kmip.ReasonServerLimitExceeded)
	_, err = open(kmip.V1_4, alice, []byte("x"))
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)
	if _, err := open(kmip.V2_1, bob, []byte("x")); err != nil {
		t.Fatalf("another client is refused by alice's streams: %v", err)
	}
	h.must(kmip.V2_1, alice, &kmip.HashRequest{Parameters: sha, Streaming: kmip.Streaming{CorrelationValue: corrs[0], FinalIndicator: true}})
	if _, err := open(kmip.V2_1, alice, []byte("x")); err != nil {
		t.Fatalf("no stream once one has ended: %v", err)
	}

	// Age: every stream ends maxStreamAge after it started.
	h.now = h.now.Add(maxStreamAge + time.Second)
	_, err = h.do(kmip.V2_1, alice, &kmip.HashRequest{Parameters: sha, Streaming: kmip.Streaming{CorrelationValue: corrs[1], FinalIndicator: true}})
	wantReason(t, err, kmip.ReasonInvalidCorrelationValue)
	if n, b := len(h.svc.streams.m), h.svc.streams.bytes; n != 0 || b != 0 {
		t.Fatalf("%d streams of %d bytes left after they expired", n, b)
	}

	// Input: maxStreamInput bytes per stream, the first part's included.
	_, err = open(kmip.V2_1, alice, make([]byte, maxStreamInput+1))
	wantReason(t, err, kmip.ReasonServerLimitExceeded)
	c, err := open(kmip.V2_1, alice, make([]byte, maxStreamInput-1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.do(kmip.V2_1, alice, &kmip.HashRequest{Parameters: sha, Data: []byte("xy"), Streaming: kmip.Streaming{CorrelationValue: c}})
	wantReason(t, err, kmip.ReasonServerLimitExceeded)
	_, err = h.do(kmip.V2_1, alice, &kmip.HashRequest{Parameters: sha, Streaming: kmip.Streaming{CorrelationValue: c, FinalIndicator: true}})
	wantReason(t, err, kmip.ReasonInvalidCorrelationValue)
	if b := h.svc.streams.bytes; b != 0 {
		t.Fatalf("%d bytes counted after the streams ended", b)
	}

	// In all: maxStreams streams, maxStreamBytes of input.
	var ss streams
	now := h.now
	for i := range maxStreams {
		st := &stream{owner: string(rune('a' + i/maxStreamsPerOwner))}
		c, err := ss.start(st, now)
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		ss.put(c, st)
	}
	if _, err := ss.start(&stream{owner: "another"}, now); err == nil {
		t.Fatalf("stream %d opened", maxStreams+1)
	}
	if err := ss.reserve(maxStreamBytes); err != nil {
		t.Fatal(err)
	}
	wantReason(t, ss.reserve(1), kmip.ReasonServerLimitExceeded)
}

// TestAEADNeeds14: KMIP 1.2 and 1.3 have no Authenticated Encryption Tag
// field, so GCM, asked for or set on the key, is refused there (Feature Not
// Supported) rather than answered with a ciphertext whose tag is lost.
func TestAEADNeeds14(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		plain := []byte("sixteen bytes!!!")
		iv := make([]byte, 12)
		for _, v := range []kmip.Version{kmip.V1_2, kmip.V1_3} {
			id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
			_, err := h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain, IVCounterNonce: iv})
			wantSentIn(t, v, err, kmip.ReasonFeatureNotSupported)
			_, err = h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain, IVCounterNonce: iv})
			wantSentIn(t, v, err, kmip.ReasonFeatureNotSupported)
			keyGCM := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec,
				kmip.Attribute{Name: kmip.AttrCryptographicParameters, Value: *gcm(16)})
			_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: keyGCM, Data: plain, IVCounterNonce: iv})
			wantSentIn(t, v, err, kmip.ReasonFeatureNotSupported)
			// The stream of a refused first part is not opened.
			_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain, IVCounterNonce: iv, Streaming: kmip.Streaming{InitIndicator: true}})
			wantSentIn(t, v, err, kmip.ReasonFeatureNotSupported)
			if n := len(h.svc.streams.m); n != 0 {
				t.Fatalf("%v: %d streams open after a refused first part", v, n)
			}
			// Other modes still work.
			ecb := &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeECB}
			h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: ecb, Data: plain})
		}
		id := h.activeKey(kmip.V1_4, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
		enc := h.must(kmip.V1_4, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain, IVCounterNonce: iv}).(*kmip.EncryptResponse)
		if len(enc.Tag) != 16 {
			t.Fatalf("1.4 GCM tag %x", enc.Tag)
		}
	})
}
