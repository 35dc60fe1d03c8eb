package handlers

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// splitKey splits key id (or a new AES-256 key when id is "") as alice,
// with Object Type Split Key, the type of the parts.
func (h *harness) splitKey(v kmip.Version, id string, method kmip.SplitKeyMethod, n, k int32, prime *big.Int) []string {
	h.t.Helper()
	req := &kmip.CreateSplitKeyRequest{
		ObjectType: kmip14.ObjectTypeSplitKey, UniqueIdentifier: id,
		SplitKeyParts: n, SplitKeyThreshold: k, SplitKeyMethod: method, PrimeFieldSize: prime,
	}
	if id == "" {
		req.Attributes = kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(256)},
			{Name: kmip.AttrCryptographicUsageMask, Value: int32(12)},
		}
	}
	ids := h.must(v, alice, req).(*kmip.CreateSplitKeyResponse).UniqueIdentifiers
	if len(ids) != int(n) {
		h.t.Fatalf("%d parts, want %d", len(ids), n)
	}
	return ids
}

func (h *harness) joinKey(v kmip.Version, who string, ids ...string) (string, error) {
	resp, err := h.do(v, who, &kmip.JoinSplitKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: ids})
	if err != nil {
		return "", err
	}
	return resp.(*kmip.JoinSplitKeyResponse).UniqueIdentifier, nil
}

func TestSplitAndJoinRecoverTheKey(t *testing.T) {
	prime, _ := new(big.Int).SetString("115792089237316195423570985008687907853269984665640564039457584007913129640233", 10) // 2^256 + 297
	for _, tc := range []struct {
		name   string
		v      kmip.Version
		method kmip.SplitKeyMethod
		n, k   int32
		prime  *big.Int
		join   []int // part numbers joined
	}{
		{"xor 1.2", kmip.V1_2, kmip14.SplitKeyMethodXOR, 3, 3, nil, []int{3, 1, 2}},
		{"gf8 1.4", kmip.V1_4, kmip14.SplitKeyMethodPolynomialSharingGF2_8, 5, 3, nil, []int{5, 2, 4}},
		{"gf16 2.0", kmip.V2_0, kmip14.SplitKeyMethodPolynomialSharingGF2_16, 4, 2, nil, []int{4, 3}},
		{"prime 2.1", kmip.V2_1, kmip14.SplitKeyMethodPolynomialSharingPrimeField, 4, 3, prime, []int{1, 2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			base := h.createAES(tc.v, alice, 256)
			parts := h.splitKey(tc.v, base, tc.method, tc.n, tc.k, tc.prime)
			var chosen []string
			for _, x := range tc.join {
				chosen = append(chosen, parts[x-1])
			}
			joined, err := h.joinKey(tc.v, alice, chosen...)
			if err != nil {
				t.Fatal(err)
			}
			want, got := h.material(tc.v, base), h.material(tc.v, joined)
			if len(want) != 32 || !bytes.Equal(got, want) {
				t.Fatalf("joined key differs from the split one")
			}
			if objectTypeOf(h.attrs(tc.v, alice, joined)) != kmip14.ObjectTypeSymmetricKey {
				t.Error("joined object is not a Symmetric Key")
			}

			// Each part is a Split Key with its number, linked to its
			// neighbours and to the key it was split from.
			for i, id := range parts {
				resp := h.must(tc.v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
				o := resp.Object
				if resp.ObjectType != kmip14.ObjectTypeSplitKey || o.KeyPartIdentifier != int32(i+1) ||
					o.SplitKeyParts != tc.n || o.SplitKeyThreshold != tc.k || o.SplitKeyMethod != tc.method {
					t.Fatalf("part %d: %+v", i+1, o)
				}
				if (tc.prime != nil) != (o.PrimeFieldSize != nil) || (tc.prime != nil && o.PrimeFieldSize.Cmp(tc.prime) != 0) {
					t.Errorf("part %d: Prime Field Size %v", i+1, o.PrimeFieldSize)
				}
				links := map[kmip.LinkType]string{}
				for _, a := range h.attrs(tc.v, alice, id, kmip.AttrLink) {
					l := a.Value.(kmip.Link)
					links[l.Type] = l.ID
				}
				if links[kmip14.LinkTypeParentLink] != base ||
					(i > 0 && links[kmip14.LinkTypePreviousLink] != parts[i-1]) ||
					(i < len(parts)-1 && links[kmip14.LinkTypeNextLink] != parts[i+1]) {
					t.Errorf("part %d: links %v", i+1, links)
				}
			}
			// Locate by Object Type finds the parts.
			found := h.locate(tc.v, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrObjectType, Value: kmip14.ObjectTypeSplitKey}}}).UniqueIdentifiers
			slices.Sort(found)
			sorted := slices.Sorted(slices.Values(parts))
			if !slices.Equal(found, sorted) {
				t.Errorf("Locate Split Key: %v, want %v", found, sorted)
			}
		})
	}
}

func TestSplitGeneratedKey(t *testing.T) {
	h := newHarness(t)
	parts := h.splitKey(kmip.V1_4, "", kmip14.SplitKeyMethodPolynomialSharingGF2_8, 3, 2, nil)
	a, err := h.joinKey(kmip.V1_4, alice, parts[0], parts[1])
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.joinKey(kmip.V1_4, alice, parts[2], parts[0])
	if err != nil {
		t.Fatal(err)
	}
	ka, kb := h.material(kmip.V1_4, a), h.material(kmip.V1_4, b)
	if len(ka) != 32 || !bytes.Equal(ka, kb) {
		t.Fatal("two pairs of parts rebuild different keys")
	}
	attrs := h.attrs(kmip.V1_4, alice, a)
	if u, _ := enumValue(attrs.Get(kmip.AttrCryptographicAlgorithm)); kmip.CryptographicAlgorithm(u) != kmip14.CryptographicAlgorithmAES {
		t.Errorf("joined key algorithm %v", attrs.Get(kmip.AttrCryptographicAlgorithm))
	}
	for _, id := range parts {
		if n, _ := intValue(h.attrs(kmip.V1_4, alice, id).Get(kmip.AttrCryptographicLength)); n != 256 {
			t.Errorf("part Cryptographic Length %d", n)
		}
	}
}

func TestJoinSplitKeyRefusals(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	parts := h.splitKey(v, "", kmip14.SplitKeyMethodPolynomialSharingGF2_8, 4, 3, nil)
	xor := h.splitKey(v, "", kmip14.SplitKeyMethodXOR, 3, 3, nil)
	other := h.splitKey(v, "", kmip14.SplitKeyMethodPolynomialSharingGF2_8, 4, 3, nil)
	key := h.createAES(v, alice, 128)

	_, err := h.joinKey(v, alice, parts[0], parts[1])
	wantReason(t, err, kmip.ReasonCryptographicFailure) // below the threshold (TC-SJ-1-20 step 3)
	_, err = h.joinKey(v, alice, parts[0], parts[1], parts[1])
	wantReason(t, err, kmip.ReasonInvalidField) // a part twice
	_, err = h.joinKey(v, alice, parts[0], parts[1], xor[2])
	wantReason(t, err, kmip.ReasonInvalidField) // another method
	_, err = h.joinKey(v, alice, xor[0], xor[1])
	wantReason(t, err, kmip.ReasonCryptographicFailure) // XOR needs every part
	_, err = h.joinKey(v, alice, parts[0], parts[1], key)
	wantReason(t, err, kmip.ReasonInvalidObjectType) // not a Split Key
	_, err = h.joinKey(v, bob, parts[0], parts[1], parts[2])
	wantReason(t, err, kmip.ReasonObjectNotFound) // another owner's parts
	_, err = h.joinKey(kmip.V1_4, bob, parts[0], parts[1], parts[2])
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonItemNotFound)

	// Parts of two different splits with the same parameters join into a
	// key, but not the split one: nothing can tell them apart.
	mixed, err := h.joinKey(v, alice, parts[0], parts[1], other[2])
	if err != nil {
		t.Fatal(err)
	}
	good, err := h.joinKey(v, alice, parts[0], parts[1], parts[2])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(h.material(v, mixed), h.material(v, good)) {
		t.Error("parts of two splits rebuilt the key")
	}

	h.must(v, alice, &kmip.DestroyRequest{UniqueIdentifier: parts[3]})
	_, err = h.joinKey(v, alice, parts[0], parts[1], parts[3])
	wantReason(t, err, kmip.ReasonObjectDestroyed)
	_, err = h.joinKey(kmip.V1_4, alice, parts[0], parts[1], parts[3])
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonItemNotFound)
}

func TestCreateSplitKeyRefusals(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	key := h.createAES(v, alice, 128)
	part := h.splitKey(v, key, kmip14.SplitKeyMethodXOR, 2, 2, nil)[0]
	odd := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Object: kmip.Object{
		Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("odd")}}}).(*kmip.RegisterResponse).UniqueIdentifier
	for _, tc := range []struct {
		name string
		req  kmip.CreateSplitKeyRequest
		want kmip.ResultReason
	}{
		{"xor threshold below parts", kmip.CreateSplitKeyRequest{UniqueIdentifier: key, SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodXOR}, kmip.ReasonInvalidField},
		{"threshold above parts", kmip.CreateSplitKeyRequest{UniqueIdentifier: key, SplitKeyParts: 2, SplitKeyThreshold: 3, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8}, kmip.ReasonInvalidField},
		{"prime missing", kmip.CreateSplitKeyRequest{UniqueIdentifier: key, SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingPrimeField}, kmip.ReasonInvalidField},
		{"another owner's key", kmip.CreateSplitKeyRequest{UniqueIdentifier: h.createAES(v, bob, 128), SplitKeyParts: 3, SplitKeyThreshold: 3, SplitKeyMethod: kmip14.SplitKeyMethodXOR}, kmip.ReasonObjectNotFound},
		{"object type", kmip.CreateSplitKeyRequest{ObjectType: kmip14.ObjectTypePrivateKey, SplitKeyParts: 3, SplitKeyThreshold: 3, SplitKeyMethod: kmip14.SplitKeyMethodXOR}, kmip.ReasonInvalidObjectType},
		{"256 parts", kmip.CreateSplitKeyRequest{UniqueIdentifier: key, SplitKeyParts: 256, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8}, kmip.ReasonInvalidField},
		{"negative parts", kmip.CreateSplitKeyRequest{UniqueIdentifier: key, SplitKeyParts: -3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8}, kmip.ReasonInvalidField},
		{"threshold one", kmip.CreateSplitKeyRequest{UniqueIdentifier: key, SplitKeyParts: 3, SplitKeyThreshold: 1, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8}, kmip.ReasonInvalidField},
		{"unknown method", kmip.CreateSplitKeyRequest{UniqueIdentifier: key, SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: 0x80000001}, kmip.ReasonInvalidField},
		{"gf16 odd key", kmip.CreateSplitKeyRequest{UniqueIdentifier: odd, SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_16}, kmip.ReasonInvalidField},
		{"a part split again", kmip.CreateSplitKeyRequest{UniqueIdentifier: part, SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8}, kmip.ReasonInvalidObjectType},
		{"legacy object type not the key's", kmip.CreateSplitKeyRequest{ObjectType: kmip14.ObjectTypeSecretData, UniqueIdentifier: key, SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8}, kmip.ReasonInvalidObjectType},
	} {
		req := tc.req
		if req.ObjectType == 0 {
			req.ObjectType = kmip14.ObjectTypeSplitKey
		}
		_, err := h.do(v, alice, &req)
		if err == nil {
			t.Errorf("%s: split", tc.name)
			continue
		}
		wantReason(t, err, tc.want)
	}
	// Nothing was stored by the refused requests: only the XOR split's
	// two parts exist.
	found := h.locate(v, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrObjectType, Value: kmip14.ObjectTypeSplitKey}}})
	if len(found.UniqueIdentifiers) != 2 {
		t.Errorf("refused splits left parts: %v", found.UniqueIdentifiers)
	}
}

func TestRegisterGetLocatePGPKeyAndCertificateRequest(t *testing.T) {
	h := newHarness(t)
	pgp := kmip.Object{Type: kmip14.ObjectTypePGPKey, PGPKeyVersion: 4,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("pgp key bytes")}}
	csr := kmip.Object{Type: kmip.ObjectTypeCertificateRequest, CertificateRequestType: kmip14.CertificateRequestTypePKCS_10,
		CertificateRequestValue: []byte("csr der")}
	for _, tc := range []struct {
		v   kmip.Version
		obj kmip.Object
	}{{kmip.V1_2, pgp}, {kmip.V2_1, pgp}, {kmip.V2_0, csr}, {kmip.V2_1, csr}} {
		id := h.must(tc.v, alice, &kmip.RegisterRequest{ObjectType: tc.obj.Type, Object: tc.obj}).(*kmip.RegisterResponse).UniqueIdentifier
		got := h.must(tc.v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
		if got.ObjectType != tc.obj.Type || got.Object.PGPKeyVersion != tc.obj.PGPKeyVersion ||
			got.Object.CertificateRequestType != tc.obj.CertificateRequestType ||
			!bytes.Equal(got.Object.CertificateRequestValue, tc.obj.CertificateRequestValue) {
			t.Fatalf("%v %v: got %+v", tc.v, tc.obj.Type, got.Object)
		}
		if tc.obj.KeyBlock != nil && !bytes.Equal(got.Object.KeyBlock.Material, tc.obj.KeyBlock.Material) {
			t.Fatalf("%v %v: key block differs", tc.v, tc.obj.Type)
		}
		found := h.locate(tc.v, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrObjectType, Value: tc.obj.Type}}})
		if !slices.Contains(found.UniqueIdentifiers, id) {
			t.Errorf("%v: Locate %v: %v", tc.v, tc.obj.Type, found.UniqueIdentifiers)
		}
		if _, err := h.do(tc.v, bob, &kmip.GetRequest{UniqueIdentifier: id}); err == nil {
			t.Errorf("%v: another owner got the %v", tc.v, tc.obj.Type)
		}
	}
}

func TestQueryListsSplitKeyTypesAndOperations(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		v             kmip.Version
		ops, pgp, csr bool
	}{{kmip.V1_1, false, false, false}, {kmip.V1_2, true, true, false}, {kmip.V1_4, true, true, false}, {kmip.V2_0, true, true, true}} {
		q := h.must(tc.v, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations, kmip14.QueryFunctionQueryObjects}}).(*kmip.QueryResponse)
		if slices.Contains(q.Operations, kmip14.OperationCreateSplitKey) != tc.ops || slices.Contains(q.Operations, kmip14.OperationJoinSplitKey) != tc.ops ||
			!slices.Contains(q.ObjectTypes, kmip14.ObjectTypeSplitKey) ||
			slices.Contains(q.ObjectTypes, kmip14.ObjectTypePGPKey) != tc.pgp ||
			slices.Contains(q.ObjectTypes, kmip.ObjectTypeCertificateRequest) != tc.csr {
			t.Errorf("%v: operations %v, objects %v", tc.v, q.Operations, q.ObjectTypes)
		}
	}
}

func TestGetRefusesObjectTypesTheVersionLacks(t *testing.T) {
	h := newHarness(t)
	pgp := h.must(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypePGPKey, Object: kmip.Object{
		Type: kmip14.ObjectTypePGPKey, PGPKeyVersion: 4,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("pgp")}}}).(*kmip.RegisterResponse).UniqueIdentifier
	csr := h.must(kmip.V2_0, alice, &kmip.RegisterRequest{ObjectType: kmip.ObjectTypeCertificateRequest, Object: kmip.Object{
		Type: kmip.ObjectTypeCertificateRequest, CertificateRequestType: kmip14.CertificateRequestTypePEM,
		CertificateRequestValue: []byte("pem")}}).(*kmip.RegisterResponse).UniqueIdentifier
	_, err := h.do(kmip.V1_1, alice, &kmip.GetRequest{UniqueIdentifier: pgp})
	wantSentIn(t, kmip.V1_1, err, kmip.ReasonFeatureNotSupported)
	_, err = h.do(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: csr})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonFeatureNotSupported)
}

// TestCreateSplitKeyLegacyObjectType: a request whose Object Type names the
// type of the key to split, as kmipd once read it, still splits the key.
func TestCreateSplitKeyLegacyObjectType(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_2, kmip.V2_1} {
		key := h.createAES(v, alice, 128)
		resp := h.must(v, alice, &kmip.CreateSplitKeyRequest{
			ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: key,
			SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8,
		}).(*kmip.CreateSplitKeyResponse)
		joined, err := h.joinKey(v, alice, resp.UniqueIdentifiers[2], resp.UniqueIdentifiers[0])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(h.material(v, joined), h.material(v, key)) {
			t.Errorf("%v: joined key differs from the split one", v)
		}
	}
}

// TestJoinRegisteredOASISParts registers the parts of the OASIS KMIP 2.0
// test case TC-SJ-3-20 (a 2-of-4 GF(2^8) split of 0102…10 made by the
// reference implementation; their Key Blocks carry no algorithm) and joins
// every pair into that key, in 1.4 and 2.0. Another owner cannot join them,
// alone or with its own parts.
func TestJoinRegisteredOASISParts(t *testing.T) {
	shares := []string{"66C46A7754F94DE420C7B1A7FFF5EC56", "CF93D1E2A7E593CD5B8D6247F4E5D49C",
		"A855B891F61AD9217240D8EC061E37DA", "803DBAD55CDD329FAD19D99AE2C5A415"}
	want, _ := hex.DecodeString("0102030405060708090A0B0C0D0E0F10")
	h := newHarness(t)
	register := func(v kmip.Version, who string, i int) string {
		material, _ := hex.DecodeString(shares[i])
		obj := kmip.Object{Type: kmip14.ObjectTypeSplitKey, SplitKeyParts: 4, KeyPartIdentifier: int32(i + 1),
			SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8,
			KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: material}}
		return h.must(v, who, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSplitKey, Object: obj}).(*kmip.RegisterResponse).UniqueIdentifier
	}
	aes128 := kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(128)},
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(12)},
	}
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_0} {
		var ids []string
		for i := range shares {
			ids = append(ids, register(v, alice, i))
		}
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				resp, err := h.do(v, alice, &kmip.JoinSplitKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
					UniqueIdentifiers: []string{ids[i], ids[j]}, Attributes: aes128})
				if err != nil {
					t.Fatalf("%v: parts %d, %d: %v", v, i+1, j+1, err)
				}
				if got := h.material(v, resp.(*kmip.JoinSplitKeyResponse).UniqueIdentifier); !bytes.Equal(got, want) {
					t.Errorf("%v: parts %d, %d rebuild %x", v, i+1, j+1, got)
				}
			}
		}
		_, err := h.joinKey(v, bob, ids[0], ids[2])
		wantReason(t, err, kmip.ReasonObjectNotFound) // 1.x Item Not Found
		_, err = h.joinKey(v, bob, register(v, bob, 1), ids[2])
		wantReason(t, err, kmip.ReasonObjectNotFound)
	}
}
