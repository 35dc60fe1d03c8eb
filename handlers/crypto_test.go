package handlers

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

const (
	maskEncDec = int32(kmip14.CryptographicUsageMaskEncrypt | kmip14.CryptographicUsageMaskDecrypt)
	maskMAC    = int32(kmip14.CryptographicUsageMaskMACGenerate | kmip14.CryptographicUsageMaskMACVerify)
)

// activeKey creates and activates a symmetric key.
func (h *harness) activeKey(v kmip.Version, alg kmip.CryptographicAlgorithm, bits, mask int32, extra ...kmip.Attribute) string {
	h.t.Helper()
	attrs := append(kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: alg},
		{Name: kmip.AttrCryptographicLength, Value: bits},
		{Name: kmip.AttrCryptographicUsageMask, Value: mask},
	}, extra...)
	id := h.must(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs}).(*kmip.CreateResponse).UniqueIdentifier
	h.must(v, alice, &kmip.ActivateRequest{UniqueIdentifier: id})
	return id
}

func gcm(tagLength int32) *kmip.CryptographicParameters {
	return &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeGCM, TagLength: tagLength}
}

func TestEncryptDecrypt(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_1
		id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec)
		plain := bytes.Repeat([]byte("kmip"), 100)

		// GCM with a server-chosen IV, returned with the tag.
		enc := h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain, AdditionalData: []byte("aad")}).(*kmip.EncryptResponse)
		if len(enc.IVCounterNonce) == 0 || len(enc.Tag) != 16 || bytes.Equal(enc.Data, plain) {
			t.Fatalf("encrypt: IV %x, tag %x", enc.IVCounterNonce, enc.Tag)
		}
		dec := h.must(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: enc.Data, IVCounterNonce: enc.IVCounterNonce, AdditionalData: []byte("aad"), Tag: enc.Tag}).(*kmip.DecryptResponse)
		if !bytes.Equal(dec.Data, plain) {
			t.Fatal("GCM round trip differs")
		}
		badTag := append([]byte(nil), enc.Tag...)
		badTag[0] ^= 1
		_, err := h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: enc.Data, IVCounterNonce: enc.IVCounterNonce, AdditionalData: []byte("aad"), Tag: badTag})
		wantReason(t, err, kmip.ReasonCryptographicFailure)
		_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(1), Data: plain, IVCounterNonce: make([]byte, 12)})
		wantReason(t, err, kmip.ReasonGeneralFailure)

		// CBC with PKCS#5 padding: a client IV is used, not returned; a
		// Decrypt without IV is Invalid Message; bad padding fails.
		cbc := &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeCBC, PaddingMethod: kmip14.PaddingMethodPKCS5}
		iv := bytes.Repeat([]byte{7}, 16)
		enc = h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: cbc, Data: plain[:33], IVCounterNonce: iv}).(*kmip.EncryptResponse)
		if len(enc.Data) != 48 || enc.IVCounterNonce != nil {
			t.Fatalf("CBC: %d bytes, IV %x", len(enc.Data), enc.IVCounterNonce)
		}
		dec = h.must(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: cbc, Data: enc.Data, IVCounterNonce: iv}).(*kmip.DecryptResponse)
		if !bytes.Equal(dec.Data, plain[:33]) {
			t.Fatal("CBC round trip differs")
		}
		_, err = h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: cbc, Data: enc.Data})
		wantReason(t, err, kmip.ReasonInvalidMessage)
		_, err = h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: id, Parameters: cbc, Data: enc.Data[:32], IVCounterNonce: iv})
		wantReason(t, err, kmip.ReasonCryptographicFailure)

		// No Block Cipher Mode anywhere, or one the server lacks.
		_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Data: plain})
		wantReason(t, err, kmip.ReasonUnsupportedCryptographicParameters)
		_, err = h.do(kmip.V1_4, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeXTS}, Data: plain})
		wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	})
}

func TestKeyUseChecks(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		ecb := &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeECB}
		block := make([]byte, 16)
		for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
			// Pre-Active: no use at all.
			pre := h.createAES(v, alice, 128)
			_, err := h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: pre, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
			_, err = h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: pre, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)

			// Mask without Decrypt.
			encOnly := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, int32(kmip14.CryptographicUsageMaskEncrypt))
			h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: encOnly, Parameters: ecb, Data: block})
			_, err = h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: encOnly, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)

			// Deactivated: decrypts, no longer encrypts.
			old := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
			enc := h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: old, Parameters: ecb, Data: block}).(*kmip.EncryptResponse)
			h.must(v, alice, &kmip.RevokeRequest{UniqueIdentifier: old, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}})
			_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: old, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
			dec := h.must(v, alice, &kmip.DecryptRequest{UniqueIdentifier: old, Parameters: ecb, Data: enc.Data}).(*kmip.DecryptResponse)
			if !bytes.Equal(dec.Data, block) {
				t.Fatal("decrypt with a Deactivated key differs")
			}

			// Protect Stop Date passed, Process Start Date to come.
			dated := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec,
				kmip.Attribute{Name: kmip.AttrProtectStopDate, Value: h.now.Add(-time.Hour)},
				kmip.Attribute{Name: kmip.AttrProcessStartDate, Value: h.now.Add(time.Hour)})
			_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: dated, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
			_, err = h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: dated, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)

			// Usage Limits of 16 bytes: one block, then Permission Denied.
			limited := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec,
				kmip.Attribute{Name: kmip.AttrUsageLimits, Value: kmip.UsageLimits{Total: 16, Unit: uint32(kmip14.UsageLimitsUnitByte)}})
			h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: limited, Parameters: ecb, Data: block})
			_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: limited, Parameters: ecb, Data: block})
			wantReason(t, err, kmip.ReasonPermissionDenied)

			// Another owner's key does not exist for bob; a MAC key cannot encrypt.
			_, err = h.do(v, bob, &kmip.EncryptRequest{UniqueIdentifier: old, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
			hmacKey := h.activeKey(v, kmip14.CryptographicAlgorithmHMAC_SHA256, 256, maskMAC)
			_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: hmacKey, Parameters: ecb, Data: block})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)
		}
	})
}

func TestMACAndHash(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_1
		id := h.activeKey(v, kmip14.CryptographicAlgorithmHMAC_SHA256, 256, maskMAC)
		data := []byte("message")
		mac := h.must(v, alice, &kmip.MACRequest{UniqueIdentifier: id, Data: data}).(*kmip.MACResponse)
		if len(mac.MACData) != 32 {
			t.Fatalf("MAC of %d bytes", len(mac.MACData))
		}
		ok := h.must(v, alice, &kmip.MACVerifyRequest{UniqueIdentifier: id, Data: data, MACData: mac.MACData}).(*kmip.MACVerifyResponse)
		bad := h.must(v, alice, &kmip.MACVerifyRequest{UniqueIdentifier: id, Data: []byte("other"), MACData: mac.MACData}).(*kmip.MACVerifyResponse)
		if ok.ValidityIndicator != kmip.Valid || bad.ValidityIndicator != kmip.Invalid {
			t.Fatalf("MAC Verify: %v, %v", ok.ValidityIndicator, bad.ValidityIndicator)
		}

		sum := sha256.Sum256(data)
		sha := &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}
		got := h.must(v, alice, &kmip.HashRequest{Parameters: sha, Data: data}).(*kmip.HashResponse)
		if !bytes.Equal(got.Data, sum[:]) {
			t.Fatal("Hash differs from SHA-256")
		}
		// Hash is a KMIP 1.2 operation (1.2 section 4.37): 1.1 lacks it.
		_, err := h.do(kmip.V1_1, alice, &kmip.HashRequest{Parameters: sha, Data: data})
		wantSentIn(t, kmip.V1_1, err, kmip.ReasonOperationNotSupported)
		_, err = h.do(v, alice, &kmip.HashRequest{Data: data})
		wantReason(t, err, kmip.ReasonInvalidField)

		// Streaming: three parts give the one-shot digest.
		first := h.must(v, alice, &kmip.HashRequest{Parameters: sha, Data: data[:2], Streaming: kmip.Streaming{InitIndicator: true}}).(*kmip.HashResponse)
		if len(first.CorrelationValue) != 16 || first.Data != nil {
			t.Fatalf("first part: %+v", first)
		}
		h.must(v, alice, &kmip.HashRequest{Parameters: sha, Data: data[2:4], Streaming: kmip.Streaming{CorrelationValue: first.CorrelationValue}})
		_, err = h.do(v, bob, &kmip.HashRequest{Parameters: sha, Data: data[4:], Streaming: kmip.Streaming{CorrelationValue: first.CorrelationValue, FinalIndicator: true}})
		wantReason(t, err, kmip.ReasonInvalidCorrelationValue)
		last := h.must(v, alice, &kmip.HashRequest{Parameters: sha, Data: data[4:], Streaming: kmip.Streaming{CorrelationValue: first.CorrelationValue, FinalIndicator: true}}).(*kmip.HashResponse)
		if !bytes.Equal(last.Data, sum[:]) {
			t.Fatal("streamed Hash differs")
		}
		_, err = h.do(v, alice, &kmip.HashRequest{Parameters: sha, Data: data, Streaming: kmip.Streaming{CorrelationValue: first.CorrelationValue}})
		wantReason(t, err, kmip.ReasonInvalidCorrelationValue)
	})
}

func TestStreamingGCM(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_1
		id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
		plain := bytes.Repeat([]byte{1, 2, 3}, 20)
		iv := make([]byte, 12)
		whole := h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain, IVCounterNonce: iv}).(*kmip.EncryptResponse)
		first := h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: plain[:25], IVCounterNonce: iv, Streaming: kmip.Streaming{InitIndicator: true}}).(*kmip.EncryptResponse)
		last := h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Data: plain[25:], Streaming: kmip.Streaming{CorrelationValue: first.CorrelationValue, FinalIndicator: true}}).(*kmip.EncryptResponse)
		if got := append(append([]byte(nil), first.Data...), last.Data...); !bytes.Equal(got, whole.Data) || !bytes.Equal(last.Tag, whole.Tag) || first.Tag != nil {
			t.Fatalf("streamed GCM differs: %d+%d bytes", len(first.Data), len(last.Data))
		}
		if last.CorrelationValue != nil {
			t.Fatal("final part answers a Correlation Value")
		}
	})
}

func TestRNG(t *testing.T) {
	h := newHarness(t)
	got := h.must(kmip.V1_4, alice, &kmip.RNGRetrieveRequest{DataLength: 32}).(*kmip.RNGRetrieveResponse)
	if len(got.Data) != 32 || bytes.Equal(got.Data, make([]byte, 32)) {
		t.Fatalf("RNG Retrieve: %x", got.Data)
	}
	for _, n := range []int32{0, -1, maxRNGRetrieve + 1} {
		_, err := h.do(kmip.V1_4, alice, &kmip.RNGRetrieveRequest{DataLength: n})
		wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	}
	seed := h.must(kmip.V1_4, alice, &kmip.RNGSeedRequest{Data: make([]byte, 32)}).(*kmip.RNGSeedResponse)
	if seed.DataLength != 0 {
		t.Fatalf("RNG Seed used %d bytes under the zero policy", seed.DataLength)
	}
}

// TestRNGSeedPolicy: RNG Seed uses as much of the seed as the policy and
// the module take, or is refused, in every version that defines it.
func TestRNGSeedPolicy(t *testing.T) {
	seed := make([]byte, 32)
	for _, tc := range []struct {
		policy RNGSeedPolicy
		data   []byte
		want   int32
	}{
		{RNGSeedPolicy{MaxBytes: 16}, seed, 16},
		{RNGSeedPolicy{MaxBytes: 64}, seed, 32},
		{RNGSeedPolicy{MaxBytes: 4 * hsm.MaxSeed}, make([]byte, 2*hsm.MaxSeed), hsm.MaxSeed},
		{RNGSeedPolicy{MaxBytes: 64}, nil, 0},
		{RNGSeedPolicy{Refuse: true, MaxBytes: 64}, seed, -1},
	} {
		h := newHarnessWith(t, func(c *Config) { c.RNGSeed = tc.policy })
		for _, v := range []kmip.Version{kmip.V1_3, kmip.V1_4, kmip.V2_0, kmip.V2_1} {
			got, err := h.do(v, alice, &kmip.RNGSeedRequest{Data: tc.data})
			if tc.want < 0 {
				wantReason(t, err, kmip.ReasonPermissionDenied)
				continue
			}
			if err != nil || got.(*kmip.RNGSeedResponse).DataLength != tc.want {
				t.Errorf("%+v %v: RNG Seed of %d bytes = %+v, %v; want %d used", tc.policy, v, len(tc.data), got, err, tc.want)
			}
		}
	}
}

func TestQuantumSafeCreate(t *testing.T) {
	h := newHarness(t)
	for bits, ok := range map[int32]bool{128: false, 256: true} {
		_, err := h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: bits},
			{Name: kmip.AttrQuantumSafe, Value: true},
		}})
		if ok && err != nil {
			t.Fatalf("AES-%d: %v", bits, err)
		}
		if !ok {
			wantReason(t, err, kmip.ReasonGeneralFailure)
		}
	}
}
