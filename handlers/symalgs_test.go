package handlers

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"

	"github.com/kmipd/kmipd/kmip"
)

// symmetricCases lists every symmetric Cryptographic Algorithm of KMIP
// 1.0-2.1 with lengths its definition allows, one it does not, the size of
// the material of the first valid length, the version that added it, and
// the words the refusal of the invalid length names. Written from the
// algorithms' standards, not from symmetricAlgorithms.
var symmetricCases = []struct {
	alg      kmip.CryptographicAlgorithm
	valid    []int32
	invalid  int32
	bytes    int
	since    kmip.Version
	describe string
}{
	{kmip14.CryptographicAlgorithmDES, []int32{56, 64}, 128, 8, kmip.V1_0, "56 or 64 bits"},
	{kmip14.CryptographicAlgorithmDES3, []int32{112, 168, 192}, 128, 16, kmip.V1_0, "112, 168 or 192 bits"},
	{kmip14.CryptographicAlgorithmAES, []int32{128, 192, 256}, 512, 16, kmip.V1_0, "128, 192 or 256 bits"},
	{kmip14.CryptographicAlgorithmHMAC_SHA1, []int32{160, 4096}, 120, 20, kmip.V1_0, "from 128 to 4096"},
	{kmip14.CryptographicAlgorithmHMAC_SHA224, []int32{224}, 4104, 28, kmip.V1_0, "from 128 to 4096"},
	{kmip14.CryptographicAlgorithmHMAC_SHA256, []int32{256}, 260, 32, kmip.V1_0, "from 128 to 4096"},
	{kmip14.CryptographicAlgorithmHMAC_SHA384, []int32{384}, 64, 48, kmip.V1_0, "from 128 to 4096"},
	{kmip14.CryptographicAlgorithmHMAC_SHA512, []int32{512}, 8192, 64, kmip.V1_0, "from 128 to 4096"},
	{kmip14.CryptographicAlgorithmHMAC_MD5, []int32{128}, 100, 16, kmip.V1_0, "from 128 to 4096"},
	{kmip14.CryptographicAlgorithmBlowfish, []int32{32, 128, 448}, 456, 4, kmip.V1_0, "from 32 to 448"},
	{kmip14.CryptographicAlgorithmCamellia, []int32{128, 192, 256}, 160, 16, kmip.V1_0, "128, 192 or 256 bits"},
	{kmip14.CryptographicAlgorithmCAST5, []int32{40, 128}, 136, 5, kmip.V1_0, "from 40 to 128"},
	{kmip14.CryptographicAlgorithmIDEA, []int32{128}, 256, 16, kmip.V1_0, "128 bits"},
	{kmip14.CryptographicAlgorithmMARS, []int32{128, 256, 448}, 136, 16, kmip.V1_0, "multiple of 32 bits from 128 to 448"},
	{kmip14.CryptographicAlgorithmRC2, []int32{8, 1024}, 1032, 1, kmip.V1_0, "from 8 to 1024"},
	{kmip14.CryptographicAlgorithmRC4, []int32{40, 2048}, 2056, 5, kmip.V1_0, "from 8 to 2048"},
	{kmip14.CryptographicAlgorithmRC5, []int32{128, 2040}, 2048, 16, kmip.V1_0, "from 8 to 2040"},
	{kmip14.CryptographicAlgorithmSKIPJACK, []int32{80}, 64, 10, kmip.V1_0, "80 bits"},
	{kmip14.CryptographicAlgorithmTwofish, []int32{128, 192, 256}, 64, 16, kmip.V1_0, "128, 192 or 256 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmOneTimePad), []int32{8, 8192}, 8200, 1, kmip.V1_3, "from 8 to 8192"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmChaCha20), []int32{256}, 128, 32, kmip.V1_4, "256 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmPoly1305), []int32{256}, 128, 32, kmip.V1_4, "256 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmChaCha20Poly1305), []int32{256}, 512, 32, kmip.V1_4, "256 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmHMAC_SHA3_224), []int32{224}, 96, 28, kmip.V1_4, "from 128 to 4096"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmHMAC_SHA3_256), []int32{256}, 4112, 32, kmip.V1_4, "from 128 to 4096"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmHMAC_SHA3_384), []int32{384}, 380, 48, kmip.V1_4, "from 128 to 4096"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmHMAC_SHA3_512), []int32{512}, 8, 64, kmip.V1_4, "from 128 to 4096"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmARIA), []int32{128, 192, 256}, 64, 16, kmip.V2_0, "128, 192 or 256 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmSEED), []int32{128}, 256, 16, kmip.V2_0, "128 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmSM4), []int32{128}, 192, 16, kmip.V2_0, "128 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmGOSTR34_13_2015), []int32{256}, 128, 32, kmip.V2_0, "256 bits"},
	{kmip.CryptographicAlgorithm(kmip20.CryptographicAlgorithmGOST28147_89), []int32{256}, 128, 32, kmip.V2_0, "256 bits"},
}

// TestSymmetricAlgorithms creates and registers a key of every symmetric
// algorithm at each listed valid length, over both modules, in the version
// that added the algorithm and in 2.1; the invalid length is Invalid Field
// naming the allowed lengths, and a version before the algorithm's refuses
// it.
func TestSymmetricAlgorithms(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		for _, tc := range symmetricCases {
			for _, v := range []kmip.Version{tc.since, kmip.V2_1} {
				for i, n := range tc.valid {
					attrs := kmip.Attributes{
						{Name: kmip.AttrCryptographicAlgorithm, Value: tc.alg},
						{Name: kmip.AttrCryptographicLength, Value: n},
					}
					resp, err := h.do(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs})
					if err != nil {
						t.Fatalf("%v Create %#x %d: %v", v, uint32(tc.alg), n, err)
					}
					id := resp.(*kmip.CreateResponse).UniqueIdentifier
					kb := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse).Object.KeyBlock
					if kb.Algorithm != tc.alg || kb.Length != n || kb.FormatType != kmip14.KeyFormatTypeRaw {
						t.Fatalf("%v Create %#x %d: key block %v %d %v", v, uint32(tc.alg), n, kb.Algorithm, kb.Length, kb.FormatType)
					}
					if i == 0 && len(kb.Material) != tc.bytes {
						t.Fatalf("%v Create %#x %d: %d bytes, want %d", v, uint32(tc.alg), n, len(kb.Material), tc.bytes)
					}
					// All-zero material from a working generator has odds of
					// 2^-64 or less at 8 bytes and more; shorter keys (a 1-byte
					// One Time Pad) are zero by chance too often to check.
					if len(kb.Material) >= 8 && bytes.Equal(kb.Material, make([]byte, len(kb.Material))) {
						t.Fatalf("%v Create %#x %d: all-zero material", v, uint32(tc.alg), n)
					}
					// The key Create made registers back as it is.
					reg := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: kb}}).(*kmip.RegisterResponse)
					back := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: reg.UniqueIdentifier}).(*kmip.GetResponse).Object.KeyBlock
					if !bytes.Equal(back.Material, kb.Material) || back.Algorithm != tc.alg || back.Length != n {
						t.Fatalf("%v Register %#x %d: got back %v %d", v, uint32(tc.alg), n, back.Algorithm, back.Length)
					}
				}
				_, err := h.do(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
					{Name: kmip.AttrCryptographicAlgorithm, Value: tc.alg},
					{Name: kmip.AttrCryptographicLength, Value: tc.invalid},
				}})
				wantLengthRefused(t, v, err, tc.describe)
				material := make([]byte, max(tc.invalid/8, 1))
				material[0] = 1
				_, err = h.do(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey,
					KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: material, Algorithm: tc.alg, Length: tc.invalid}}})
				wantLengthRefused(t, v, err, tc.describe)
			}
			if before, ok := previousVersion(tc.since); ok {
				_, err := h.do(before, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
					{Name: kmip.AttrCryptographicAlgorithm, Value: tc.alg},
					{Name: kmip.AttrCryptographicLength, Value: tc.valid[0]},
				}})
				wantSentIn(t, before, err, kmip.ReasonInvalidField)
			}
		}
		// Asymmetric and hash algorithms are no symmetric keys.
		for _, alg := range []kmip.CryptographicAlgorithm{kmip14.CryptographicAlgorithmRSA, kmip14.CryptographicAlgorithmSHA3_256, kmip14.CryptographicAlgorithmEC} {
			_, err := h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
				{Name: kmip.AttrCryptographicAlgorithm, Value: alg},
				{Name: kmip.AttrCryptographicLength, Value: int32(256)},
			}})
			wantSentIn(t, kmip.V2_1, err, kmip.ReasonInvalidField)
		}
	})
}

// wantLengthRefused checks that err is an Invalid Field whose message names
// the allowed lengths.
func wantLengthRefused(t *testing.T, v kmip.Version, err error, describe string) {
	t.Helper()
	wantSentIn(t, v, err, kmip.ReasonInvalidField)
	var ke *kmip.Error
	if errors.As(err, &ke) && !strings.Contains(ke.Message, describe) {
		t.Fatalf("%v: message %q does not name the allowed lengths (%q)", v, ke.Message, describe)
	}
}

// previousVersion returns the KMIP version before v, if any.
func previousVersion(v kmip.Version) (kmip.Version, bool) {
	all := []kmip.Version{kmip.V1_0, kmip.V1_1, kmip.V1_2, kmip.V1_3, kmip.V1_4, kmip.V2_0, kmip.V2_1}
	for i, w := range all {
		if w == v && i > 0 {
			return all[i-1], true
		}
	}
	return kmip.Version{}, false
}

// TestOperationWithUnimplementedAlgorithm checks that Encrypt and MAC with
// a key of an algorithm the module stores but has no cipher or MAC for
// answer Cryptographic Failure naming the algorithm, in 1.x and 2.x.
func TestOperationWithUnimplementedAlgorithm(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		for _, v := range []kmip.Version{kmip.V1_2, kmip.V1_4, kmip.V2_1} { // Encrypt and MAC are 1.2's
			create := func(alg kmip.CryptographicAlgorithm, n int32, mask int32) string {
				return h.must(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
					{Name: kmip.AttrCryptographicAlgorithm, Value: alg},
					{Name: kmip.AttrCryptographicLength, Value: n},
					{Name: kmip.AttrCryptographicUsageMask, Value: mask},
					{Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)},
				}}).(*kmip.CreateResponse).UniqueIdentifier
			}
			idea := create(kmip14.CryptographicAlgorithmIDEA, 128, int32(kmip14.CryptographicUsageMaskEncrypt|kmip14.CryptographicUsageMaskDecrypt))
			_, err := h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: idea, Data: []byte("0123456789abcdef"),
				Parameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeCBC}})
			wantNotImplemented(t, v, err, "IDEA")
			_, err = h.do(v, alice, &kmip.DecryptRequest{UniqueIdentifier: idea, Data: []byte("0123456789abcdef"), IVCounterNonce: make([]byte, 8),
				Parameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeCBC}})
			wantNotImplemented(t, v, err, "IDEA")
			md5 := create(kmip14.CryptographicAlgorithmHMAC_MD5, 128, int32(kmip14.CryptographicUsageMaskMACGenerate))
			_, err = h.do(v, alice, &kmip.MACRequest{UniqueIdentifier: md5, Data: []byte("data")})
			wantNotImplemented(t, v, err, "HMAC-MD5")
		}
	})
}

// wantNotImplemented checks that err is a Cryptographic Failure naming alg.
func wantNotImplemented(t *testing.T, v kmip.Version, err error, alg string) {
	t.Helper()
	wantSentIn(t, v, err, kmip.ReasonCryptographicFailure)
	var ke *kmip.Error
	if errors.As(err, &ke) && !strings.Contains(ke.Message, alg) {
		t.Fatalf("%v: message %q does not name %s", v, ke.Message, alg)
	}
}
