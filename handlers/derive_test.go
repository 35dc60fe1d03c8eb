package handlers

import (
	"bytes"
	"encoding/hex"
	"math"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

const maskDerive = int32(kmip14.CryptographicUsageMaskDeriveKey)

// registerBase registers material as an Active object of who: a Raw AES
// key (Symmetric Key) or a Password (Secret Data), with usage mask.
func (h *harness) registerBase(v kmip.Version, who string, t kmip.ObjectType, material []byte, mask int32) string {
	h.t.Helper()
	obj := kmip.Object{Type: t, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: material,
		Algorithm: kmip14.CryptographicAlgorithmAES, Length: int32(8 * len(material))}}
	if t == kmip14.ObjectTypeSecretData {
		obj.SecretDataType = kmip14.SecretDataTypePassword
		obj.KeyBlock = &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: material}
	}
	return h.must(v, who, &kmip.RegisterRequest{ObjectType: t, Object: obj, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicUsageMask, Value: mask},
		{Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)},
	}}).(*kmip.RegisterResponse).UniqueIdentifier
}

// aesAttrs are the attributes of a derived AES key of bits.
func aesAttrs(bits int32) kmip.Attributes {
	return kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: bits},
		{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
	}
}

// secretAttrs are the attributes of a derived Secret Data of bits.
func secretAttrs(bits int32) kmip.Attributes {
	return kmip.Attributes{{Name: kmip.AttrCryptographicLength, Value: bits}}
}

func (h *harness) derive(v kmip.Version, who string, p *kmip.DeriveKeyRequest) (string, error) {
	resp, err := h.do(v, who, p)
	if err != nil {
		return "", err
	}
	return resp.(*kmip.DeriveKeyResponse).UniqueIdentifier, nil
}

// TestDeriveKeyMethods derives with each method, in 1.4 and 2.1, over both
// cryptographic modules, and checks the material against the OASIS cases
// TC-DERIVEKEY-1 to -5 and published vectors (RFC 6070, SP 800-38A, the
// CAVP KBKDF counter mode vector, RFC 5869).
func TestDeriveKeyMethods(t *testing.T) {
	sha := func(h kmip.HashingAlgorithm) *kmip.CryptographicParameters {
		return &kmip.CryptographicParameters{HashingAlgorithm: h}
	}
	tcKey := "00112233445566778899aabbccddeeff"
	cases := []struct {
		name   string
		since  kmip.Version
		base   kmip.ObjectType
		key    string
		t      kmip.ObjectType
		method kmip.DerivationMethod
		params kmip.DerivationParameters
		attrs  kmip.Attributes
		want   string
	}{
		{"TC-DERIVEKEY-1 HASH", kmip.V1_0, kmip14.ObjectTypeSymmetricKey, tcKey, kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodHASH,
			kmip.DerivationParameters{CryptographicParameters: sha(kmip14.HashingAlgorithmSHA_256)}, aesAttrs(128),
			"a8faed6abbf35c12a4b26e40f6feb19d"},
		{"TC-DERIVEKEY-2 HMAC", kmip.V1_0, kmip14.ObjectTypeSymmetricKey, tcKey, kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodHMAC,
			kmip.DerivationParameters{CryptographicParameters: sha(kmip14.HashingAlgorithmSHA_256), DerivationData: []byte{1, 2}}, aesAttrs(128),
			"1e15c1f1da233629f770fb0a04a5020e"},
		{"TC-DERIVEKEY-3 PBKDF2 SHA-1 by default", kmip.V1_0, kmip14.ObjectTypeSecretData, hex.EncodeToString([]byte("password")), kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodPBKDF2,
			kmip.DerivationParameters{Salt: []byte("salt"), IterationCount: 1}, aesAttrs(128),
			"0c60c80f961f0e71f3a9b524af601206"},
		{"TC-DERIVEKEY-4 PBKDF2 4096", kmip.V1_0, kmip14.ObjectTypeSecretData, hex.EncodeToString([]byte("password")), kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodPBKDF2,
			kmip.DerivationParameters{Salt: []byte("salt"), IterationCount: 4096}, aesAttrs(128),
			"4b007901b765489abead49d926f721d0"},
		{"TC-DERIVEKEY-5 PBKDF2 SHA-256", kmip.V1_0, kmip14.ObjectTypeSecretData, hex.EncodeToString([]byte("password")), kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodPBKDF2,
			kmip.DerivationParameters{CryptographicParameters: sha(kmip14.HashingAlgorithmSHA_256), Salt: []byte("salt"), IterationCount: 4096}, aesAttrs(256),
			"c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"},
		{"RFC 6070 PBKDF2 into Secret Data", kmip.V1_0, kmip14.ObjectTypeSecretData, hex.EncodeToString([]byte("passwordPASSWORDpassword")), kmip14.ObjectTypeSecretData, kmip14.DerivationMethodPBKDF2,
			kmip.DerivationParameters{Salt: []byte("saltSALTsaltSALTsaltSALTsaltSALTsalt"), IterationCount: 4096}, secretAttrs(200),
			"3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
		{"SP 800-38A ENCRYPT ECB", kmip.V1_0, kmip14.ObjectTypeSymmetricKey, "2b7e151628aed2a6abf7158809cf4f3c", kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodENCRYPT,
			kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeECB}, DerivationData: unhex(t, "6bc1bee22e409f96e93d7e117393172a")}, aesAttrs(128),
			"3ad77bb40d7a3660a89ecaf32466ef97"},
		{"SP 800-38A ENCRYPT CBC", kmip.V1_0, kmip14.ObjectTypeSymmetricKey, "2b7e151628aed2a6abf7158809cf4f3c", kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodENCRYPT,
			kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeCBC},
				InitializationVector: unhex(t, "000102030405060708090a0b0c0d0e0f"), DerivationData: unhex(t, "6bc1bee22e409f96e93d7e117393172a")}, aesAttrs(128),
			"7649abac8119b246cee98e9b12e9197d"},
		{"CAVP KBKDF counter HMAC_SHA256", kmip.V1_0, kmip14.ObjectTypeSecretData, "dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0", kmip14.ObjectTypeSecretData, kmip14.DerivationMethodNIST800_108_C,
			kmip.DerivationParameters{CryptographicParameters: sha(kmip14.HashingAlgorithmSHA_256),
				DerivationData: unhex(t, "01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b864a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac")}, secretAttrs(128),
			"10621342bfb0fd40046c0e29f2cfdbf0"},
		{"CAVP KBKDF counter CMAC_AES128 from the key's algorithm", kmip.V1_0, kmip14.ObjectTypeSymmetricKey, "695f1b1a16c949cea51cdf2554ec9d42", kmip14.ObjectTypeSymmetricKey, kmip14.DerivationMethodNIST800_108_C,
			kmip.DerivationParameters{DerivationData: unhex(t, "4fce5942832a390aa1cbe8a0bf9d202cb799e986c9d6b51f45e4d597a6b57f06a4ebfec6467335d116b7f5f9c5b954062f661820f5db2a5bbb3e0625")}, aesAttrs(256),
			"d34b601ec18c34dfa0f9e0b7523e218bdddb9befe8d08b6c0202d75ace0dba89"},
		{"RFC 5869 HKDF", kmip.V2_0, kmip14.ObjectTypeSecretData, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", kmip14.ObjectTypeSecretData, kmip.DerivationMethodHKDF,
			kmip.DerivationParameters{CryptographicParameters: sha(kmip14.HashingAlgorithmSHA_256), Salt: unhex(t, "000102030405060708090a0b0c"), DerivationData: unhex(t, "f0f1f2f3f4f5f6f7f8f9")}, secretAttrs(336),
			"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
	}
	forEachProvider(t, func(t *testing.T, h *harness) {
		for _, tc := range cases {
			for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
				if v.Less(tc.since) {
					continue
				}
				base := h.registerBase(v, alice, tc.base, unhex(t, tc.key), maskDerive|maskEncDec)
				id, err := h.derive(v, alice, &kmip.DeriveKeyRequest{ObjectType: tc.t, UniqueIdentifiers: []string{base},
					Method: tc.method, Parameters: tc.params, Attributes: tc.attrs})
				if err != nil {
					t.Fatalf("%s in %v: %v", tc.name, v, err)
				}
				resp := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
				if got := hex.EncodeToString(resp.Object.KeyBlock.Material); got != tc.want || resp.ObjectType != tc.t {
					t.Errorf("%s in %v: derived %v %s, want %s", tc.name, v, resp.ObjectType, got, tc.want)
				}
				if tc.t == kmip14.ObjectTypeSecretData && resp.Object.SecretDataType != kmip14.SecretDataTypeSeed {
					t.Errorf("%s: Secret Data Type %v, want Seed", tc.name, resp.Object.SecretDataType)
				}
			}
		}
	})
}

// TestDeriveKeyObject: the derived object's attributes and the Links
// between it and its base objects, both ways (KMIP 1.4 section 4.6).
func TestDeriveKeyObject(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		base := h.registerBase(v, alice, kmip14.ObjectTypeSymmetricKey, bytes.Repeat([]byte{7}, 32), maskDerive)
		salt := h.registerBase(v, alice, kmip14.ObjectTypeSecretData, []byte("fixed input"), maskDerive)
		name := kmip.Name{Value: "derived-" + v.String(), Type: kmip14.NameTypeUninterpretedTextString}
		id, err := h.derive(v, alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{base, salt},
			Method:     kmip14.DerivationMethodNIST800_108_F,
			Parameters: kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_512}},
			Attributes: append(aesAttrs(256), kmip.Attribute{Name: kmip.AttrName, Value: name})})
		if err != nil {
			t.Fatal(err)
		}
		attrs := h.attrs(v, alice, id)
		alg, _ := enumValue(attrs.Get(kmip.AttrCryptographicAlgorithm))
		length, _ := intValue(attrs.Get(kmip.AttrCryptographicLength))
		mask, _ := intValue(attrs.Get(kmip.AttrCryptographicUsageMask))
		if kmip.CryptographicAlgorithm(alg) != kmip14.CryptographicAlgorithmAES || length != 256 || mask != int64(maskEncDec) ||
			attrs.Get(kmip.AttrName) != name || stateOf(attrs) != kmip14.StatePreActive || objectTypeOf(attrs) != kmip14.ObjectTypeSymmetricKey {
			t.Errorf("%v: derived attributes %v", v, attrs)
		}
		want := map[kmip.Link]bool{{Type: kmip14.LinkTypeDerivationBaseObjectLink, ID: base}: true, {Type: kmip14.LinkTypeDerivationBaseObjectLink, ID: salt}: true}
		for _, l := range h.links(v, id) {
			if !want[l] {
				t.Errorf("%v: derived object has link %v", v, l)
			}
			delete(want, l)
		}
		if len(want) != 0 {
			t.Errorf("%v: derived object lacks links %v", v, want)
		}
		for _, b := range []string{base, salt} {
			if l := h.links(v, b); len(l) != 1 || l[0] != (kmip.Link{Type: kmip14.LinkTypeDerivedKeyLink, ID: id}) {
				t.Errorf("%v: base %s has links %v", v, b, l)
			}
		}
		// The Secret Data gave the Derivation Data: the same derivation
		// with it as Derivation Data gives the same key.
		again, err := h.derive(v, alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{base},
			Method: kmip14.DerivationMethodNIST800_108_F,
			Parameters: kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_512},
				DerivationData: []byte("fixed input")},
			Attributes: aesAttrs(256)})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(h.material(v, again), h.material(v, id)) {
			t.Errorf("%v: a Secret Data's Derivation Data derived another key", v)
		}
	}
}

// TestDeriveKeyECDH: the Asymmetric Key method agrees one secret from
// either side (the exchange of TC-DERIVEKEY-6, on P-256), over both
// modules.
func TestDeriveKeyECDH(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_0
		pair := func() (priv, pub string) {
			resp := h.must(v, alice, &kmip.CreateKeyPairRequest{
				CommonAttributes: kmip.Attributes{
					{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmEC},
					{Name: kmip.AttrCryptographicLength, Value: int32(256)},
					{Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)},
				},
				PrivateKeyAttributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskDerive | int32(kmip14.CryptographicUsageMaskSign)}},
				PublicKeyAttributes:  kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskDerive | int32(kmip14.CryptographicUsageMaskVerify)}},
			}).(*kmip.CreateKeyPairResponse)
			return resp.PrivateKeyUniqueIdentifier, resp.PublicKeyUniqueIdentifier
		}
		priv1, pub1 := pair()
		priv2, pub2 := pair()
		ecdh := &kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{CryptographicAlgorithm: kmip14.CryptographicAlgorithmECDH}}
		a, err := h.derive(v, alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{priv1, pub2},
			Method: kmip14.DerivationMethodAsymmetricKey, Parameters: *ecdh, Attributes: aesAttrs(256)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := h.derive(v, alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{pub1, priv2},
			Method: kmip14.DerivationMethodAsymmetricKey, Parameters: *ecdh, Attributes: aesAttrs(256)})
		if err != nil {
			t.Fatal(err)
		}
		if ka, kb := h.material(v, a), h.material(v, b); len(ka) != 32 || !bytes.Equal(ka, kb) {
			t.Errorf("the two sides agreed %x and %x", ka, kb)
		}
		_, err = h.derive(v, alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{priv1, priv2},
			Method: kmip14.DerivationMethodAsymmetricKey, Parameters: *ecdh, Attributes: aesAttrs(256)})
		wantReason(t, err, kmip.ReasonIllegalObjectType)
		_, err = h.derive(kmip.V1_3, alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{priv1, pub2},
			Method: kmip14.DerivationMethodAsymmetricKey, Parameters: *ecdh, Attributes: aesAttrs(256)})
		wantSentIn(t, kmip.V1_3, err, kmip.ReasonInvalidField)
	})
}

// TestDeriveKeyIDPlaceholder: a Derive Key without Unique Identifier
// derives from the ID Placeholder, and its object becomes the next one.
func TestDeriveKeyIDPlaceholder(t *testing.T) {
	h := newHarness(t)
	v := kmip.V1_4
	serve := h.batch(v, alice, &kmip.BatchState{})
	if _, err := serve(&kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData,
		Object: kmip.Object{Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
			KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("password")}},
		Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskDerive}, {Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Minute)}},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err := serve(&kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Method: kmip14.DerivationMethodPBKDF2,
		Parameters: kmip.DerivationParameters{Salt: []byte("salt"), IterationCount: 1}, Attributes: aesAttrs(128)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := serve(&kmip.GetRequest{})
	if err != nil {
		t.Fatal(err)
	}
	g := got.(*kmip.GetResponse)
	if g.UniqueIdentifier != resp.(*kmip.DeriveKeyResponse).UniqueIdentifier || hex.EncodeToString(g.Object.KeyBlock.Material) != "0c60c80f961f0e71f3a9b524af601206" {
		t.Errorf("Get of the ID Placeholder: %s %x", g.UniqueIdentifier, g.Object.KeyBlock.Material)
	}
	// Without an ID Placeholder, the missing identifier is Missing Data.
	_, err = h.derive(kmip.V2_1, alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Method: kmip14.DerivationMethodPBKDF2,
		Parameters: kmip.DerivationParameters{Salt: []byte("salt"), IterationCount: 1}, Attributes: aesAttrs(128)})
	wantReason(t, err, kmip.ReasonMissingData)
}

// TestDeriveKeyRefusals: what Derive Key refuses, and with which reason in
// 1.4 and in 2.1. Nothing is created by a refused request.
func TestDeriveKeyRefusals(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		key := h.registerBase(v, alice, kmip14.ObjectTypeSymmetricKey, bytes.Repeat([]byte{1}, 16), maskDerive)
		password := h.registerBase(v, alice, kmip14.ObjectTypeSecretData, []byte("password"), maskDerive)
		noDerive := h.registerBase(v, alice, kmip14.ObjectTypeSymmetricKey, bytes.Repeat([]byte{2}, 16), maskEncDec)
		preActive := h.createKey(v, alice, maskDerive)
		bobs := h.registerBase(v, bob, kmip14.ObjectTypeSymmetricKey, bytes.Repeat([]byte{3}, 16), maskDerive)
		hash := kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}}
		pbkdf2 := func(n int32) kmip.DerivationParameters {
			return kmip.DerivationParameters{Salt: []byte("salt"), IterationCount: n}
		}
		req := func(ids []string, m kmip.DerivationMethod, dp kmip.DerivationParameters, attrs kmip.Attributes) *kmip.DeriveKeyRequest {
			return &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: ids, Method: m, Parameters: dp, Attributes: attrs}
		}
		for _, tc := range []struct {
			name     string
			who      string
			req      *kmip.DeriveKeyRequest
			r1x, r2x kmip.ResultReason
		}{
			{"another tenant's key", alice, req([]string{bobs}, kmip14.DerivationMethodHASH, hash, aesAttrs(128)),
				kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound},
			{"from another tenant", bob, req([]string{key}, kmip14.DerivationMethodHASH, hash, aesAttrs(128)),
				kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound},
			{"no Derive Key in the usage mask", alice, req([]string{noDerive}, kmip14.DerivationMethodHASH, hash, aesAttrs(128)),
				kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask},
			{"a Secret Data without Derive Key as Derivation Data", alice, req([]string{key, h.registerBase(v, alice, kmip14.ObjectTypeSecretData, []byte("d"), maskEncDec)},
				kmip14.DerivationMethodHMAC, hash, aesAttrs(128)),
				kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask},
			{"a Pre-Active base", alice, req([]string{preActive}, kmip14.DerivationMethodHASH, hash, aesAttrs(128)),
				kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState},
			{"2^31-1 iterations", alice, req([]string{password}, kmip14.DerivationMethodPBKDF2, pbkdf2(math.MaxInt32), aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"iterations over the bound by the output's blocks", alice, req([]string{password}, kmip14.DerivationMethodPBKDF2, pbkdf2(600_000), aesAttrs(256)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"no iterations", alice, req([]string{password}, kmip14.DerivationMethodPBKDF2, kmip.DerivationParameters{Salt: []byte("s")}, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"no salt", alice, req([]string{password}, kmip14.DerivationMethodPBKDF2, kmip.DerivationParameters{IterationCount: 1}, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"a parameter the method does not take", alice, req([]string{key}, kmip14.DerivationMethodHMAC,
				kmip.DerivationParameters{DerivationData: []byte{1}, Salt: []byte("s")}, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"HASH with Derivation Data", alice, req([]string{key}, kmip14.DerivationMethodHASH,
				kmip.DerivationParameters{CryptographicParameters: hash.CryptographicParameters, DerivationData: []byte{1}}, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"HASH without a Hashing Algorithm", alice, req([]string{key}, kmip14.DerivationMethodHASH, kmip.DerivationParameters{}, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"HMAC without Derivation Data", alice, req([]string{key}, kmip14.DerivationMethodHMAC, hash, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"HMAC without a hash from an AES key", alice, req([]string{key}, kmip14.DerivationMethodHMAC, kmip.DerivationParameters{DerivationData: []byte{1}}, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"ambiguous Derivation Data", alice, req([]string{key, password}, kmip14.DerivationMethodHMAC,
				kmip.DerivationParameters{CryptographicParameters: hash.CryptographicParameters, DerivationData: []byte{1}}, aesAttrs(128)),
				kmip.ReasonInvalidMessage, kmip.ReasonInvalidMessage},
			{"a second base object to PBKDF2", alice, req([]string{password, key}, kmip14.DerivationMethodPBKDF2, pbkdf2(1), aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"three base objects", alice, req([]string{key, password, password}, kmip14.DerivationMethodHMAC, hash, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"ENCRYPT in CBC without an IV", alice, req([]string{key}, kmip14.DerivationMethodENCRYPT,
				kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeCBC}, DerivationData: make([]byte, 16)}, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonMissingInitializationVector},
			{"longer than the hash", alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSecretData, UniqueIdentifiers: []string{key},
				Method: kmip14.DerivationMethodHASH, Parameters: hash, Attributes: secretAttrs(512)},
				kmip.ReasonCryptographicFailure, kmip.ReasonCryptographicFailure},
			{"a Secret Data over the bound", alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSecretData, UniqueIdentifiers: []string{key},
				Method: kmip14.DerivationMethodNIST800_108_C, Parameters: kmip.DerivationParameters{DerivationData: []byte{1}}, Attributes: secretAttrs(8200)},
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"a Secret Data of part of a byte", alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSecretData, UniqueIdentifiers: []string{key},
				Method: kmip14.DerivationMethodHASH, Parameters: hash, Attributes: secretAttrs(100)},
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"no Cryptographic Length", alice, req([]string{key}, kmip14.DerivationMethodHASH, hash, aesAttrs(128)[:1]),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"an AES key of 100 bits", alice, req([]string{key}, kmip14.DerivationMethodHASH, hash, aesAttrs(100)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"a Private Key to make", alice, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypePrivateKey, UniqueIdentifiers: []string{key},
				Method: kmip14.DerivationMethodHASH, Parameters: hash, Attributes: aesAttrs(128)},
				kmip.ReasonInvalidField, kmip.ReasonInvalidObjectType},
			{"an unknown Derivation Method", alice, req([]string{key}, kmip.DerivationMethod(0x77), hash, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"AWS Signature Version 4", alice, req([]string{key}, kmip.DerivationMethodAWSSignatureVersion4, hash, aesAttrs(128)),
				kmip.ReasonInvalidField, kmip.ReasonInvalidField},
			{"a server-only attribute", alice, req([]string{key}, kmip14.DerivationMethodHASH, hash,
				append(aesAttrs(128), kmip.Attribute{Name: kmip.AttrState, Value: kmip14.StateActive})),
				kmip.ReasonInvalidField, kmip.ReasonAttributeReadOnly},
		} {
			start := time.Now()
			before := h.count(v, alice)
			_, err := h.derive(v, tc.who, tc.req)
			if err == nil {
				t.Errorf("%v %s: derived", v, tc.name)
				continue
			}
			t.Run(v.String()+" "+tc.name, func(t *testing.T) { wantSent(t, v, err, tc.r1x, tc.r2x) })
			if d := time.Since(start); d > time.Second {
				t.Errorf("%v %s: refused after %v", v, tc.name, d)
			}
			if after := h.count(v, alice); after != before {
				t.Errorf("%v %s: %d objects before, %d after", v, tc.name, before, after)
			}
		}
		// HKDF is a method of KMIP 2.0.
		if !v.Is2x() {
			_, err := h.derive(v, alice, req([]string{key}, kmip.DerivationMethodHKDF, hash, aesAttrs(128)))
			wantSentIn(t, v, err, kmip.ReasonInvalidField)
		}
	}
}

// count returns how many objects who has.
func (h *harness) count(v kmip.Version, who string) int32 {
	h.t.Helper()
	return h.locate(v, who, &kmip.LocateRequest{}).LocatedItems
}

// TestDeriveKeyAudited: the item's audit record is written with the new
// object, and names it; a refusal is recorded too.
func TestDeriveKeyAudited(t *testing.T) {
	h := newAuditedHarness(t)
	v := kmip.V1_4
	key := h.registerBase(v, auditPeer.Identity, kmip14.ObjectTypeSymmetricKey, bytes.Repeat([]byte{9}, 16), maskDerive)
	resp, err, rec := h.serveRecorded(kmip14.OperationDeriveKey, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
		UniqueIdentifiers: []string{key}, Method: kmip14.DerivationMethodHASH,
		Parameters: kmip.DerivationParameters{CryptographicParameters: &kmip.CryptographicParameters{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256}},
		Attributes: aesAttrs(128)})
	if err != nil {
		t.Fatal(err)
	}
	wantRecord(t, rec, kmip14.OperationDeriveKey, key, nil)
	derived := resp.(*kmip.DeriveKeyResponse).UniqueIdentifier
	if derived == "" || derived == key {
		t.Fatalf("derived %q", derived)
	}
	_, err, rec = h.serveRecorded(kmip14.OperationDeriveKey, &kmip.DeriveKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
		UniqueIdentifiers: []string{key}, Method: kmip14.DerivationMethodPBKDF2,
		Parameters: kmip.DerivationParameters{Salt: []byte("s"), IterationCount: math.MaxInt32}, Attributes: aesAttrs(128)})
	wantRecord(t, rec, kmip14.OperationDeriveKey, key, err)
}
