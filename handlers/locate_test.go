package handlers

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

func (h *harness) locate(v kmip.Version, who string, req *kmip.LocateRequest) *kmip.LocateResponse {
	h.t.Helper()
	return h.must(v, who, req).(*kmip.LocateResponse)
}

func TestLocateFilters(t *testing.T) {
	h := newHarness(t)
	name := func(s string) kmip.Attribute {
		return kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: s, Type: kmip14.NameTypeUninterpretedTextString}}
	}
	a := h.createAES(kmip.V1_4, alice, 128, name("a"), kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "g1"},
		kmip.Attribute{Name: "x-Product", Value: "vSphere"},
		kmip.Attribute{Name: kmip.AttrApplicationSpecificInformation, Value: kmip.ApplicationSpecificInformation{Namespace: "ns", Data: "d1"}})
	h.now = h.now.Add(time.Hour)
	b := h.createAES(kmip.V1_4, alice, 256, name("b"), kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "g1"})
	h.must(kmip.V1_4, alice, &kmip.ActivateRequest{UniqueIdentifier: b})
	hmac := h.must(kmip.V1_4, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmHMAC_SHA256},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskMACGenerate | kmip14.CryptographicUsageMaskMACVerify)},
		{Name: kmip.AttrLink, Value: kmip.Link{Type: kmip14.LinkTypeParentLink, ID: a}},
	}}).(*kmip.CreateResponse).UniqueIdentifier
	secret := h.must(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Object: kmip.Object{
		Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("pw")}}}).(*kmip.RegisterResponse).UniqueIdentifier
	destroyed := h.createAES(kmip.V1_4, alice, 128, name("gone"))
	h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: destroyed})
	h.createAES(kmip.V1_4, bob, 128, name("a")) // another owner's

	// Locate answers the most recently created object first (KMIP 1.4
	// section 4.9, 2.1 section 6.1.27): newestFirst takes them in the order
	// they were created.
	newestFirst := func(ids ...string) []string { slices.Reverse(ids); return ids }
	for _, tc := range []struct {
		what    string
		filters kmip.Attributes
		want    []string
	}{
		{"nothing", nil, newestFirst(a, b, hmac, secret)},
		{"object type", kmip.Attributes{{Name: kmip.AttrObjectType, Value: kmip14.ObjectTypeSecretData}}, []string{secret}},
		{"name", kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: "a"}}}, []string{a}},
		{"name and type", kmip.Attributes{name("b")}, []string{b}},
		{"state", kmip.Attributes{{Name: kmip.AttrState, Value: kmip14.StateActive}}, []string{b}},
		{"destroyed state", kmip.Attributes{{Name: kmip.AttrState, Value: kmip14.StateDestroyed}}, []string{destroyed}},
		{"destroyed by name", kmip.Attributes{name("gone")}, nil},
		{"algorithm", kmip.Attributes{{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmHMAC_SHA256}}, []string{hmac}},
		{"length", kmip.Attributes{{Name: kmip.AttrCryptographicLength, Value: int32(128)}}, []string{a}},
		{"group", kmip.Attributes{{Name: kmip.AttrObjectGroup, Value: "g1"}}, newestFirst(a, b)},
		{"group and length", kmip.Attributes{{Name: kmip.AttrObjectGroup, Value: "g1"}, {Name: kmip.AttrCryptographicLength, Value: int32(256)}}, []string{b}},
		{"usage mask bits", kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskMACVerify)}}, []string{hmac}},
		{"usage mask encrypt", kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskEncrypt)}}, newestFirst(a, b)},
		{"custom", kmip.Attributes{{Name: "x-Product", Value: "vSphere"}}, []string{a}},
		{"custom other value", kmip.Attributes{{Name: "x-Product", Value: "other"}}, nil},
		{"asi namespace", kmip.Attributes{{Name: kmip.AttrApplicationSpecificInformation, Value: kmip.ApplicationSpecificInformation{Namespace: "ns"}}}, []string{a}},
		{"asi data", kmip.Attributes{{Name: kmip.AttrApplicationSpecificInformation, Value: kmip.ApplicationSpecificInformation{Namespace: "ns", Data: "other"}}}, nil},
		{"link", kmip.Attributes{{Name: kmip.AttrLink, Value: kmip.Link{ID: a}}}, []string{hmac}},
		{"unique identifier", kmip.Attributes{{Name: kmip.AttrUniqueIdentifier, Value: b}}, []string{b}},
		{"unique identifier destroyed", kmip.Attributes{{Name: kmip.AttrUniqueIdentifier, Value: destroyed}}, nil},
		{"initial date range", kmip.Attributes{
			{Name: kmip.AttrInitialDate, Value: h.now.Add(-time.Minute)},
			{Name: kmip.AttrInitialDate, Index: 1, Value: h.now.Add(time.Minute)}}, newestFirst(b, hmac, secret)},
		{"initial date exact", kmip.Attributes{{Name: kmip.AttrInitialDate, Value: h.now.Add(-time.Hour)}}, []string{a}},
	} {
		got := h.locate(kmip.V1_4, alice, &kmip.LocateRequest{Attributes: tc.filters})
		if !slices.Equal(got.UniqueIdentifiers, tc.want) || int(got.LocatedItems) != len(tc.want) {
			t.Errorf("%s: got %v (%d located), want %v", tc.what, got.UniqueIdentifiers, got.LocatedItems, tc.want)
		}
	}
	// Fresh members of a group.
	h.must(kmip.V1_4, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: a, Attribute: kmip.Attribute{Name: kmip.AttrFresh, Value: false}})
	got := h.locate(kmip.V1_4, alice, &kmip.LocateRequest{ObjectGroupMember: kmip14.ObjectGroupMemberGroupMemberFresh, Attributes: kmip.Attributes{{Name: kmip.AttrObjectGroup, Value: "g1"}}})
	if !slices.Equal(got.UniqueIdentifiers, []string{b}) {
		t.Errorf("fresh: %v", got.UniqueIdentifiers)
	}
	// Archived objects: none yet.
	got = h.locate(kmip.V1_4, alice, &kmip.LocateRequest{StorageStatusMask: kmip14.StorageStatusMaskArchivalStorage})
	if len(got.UniqueIdentifiers) != 0 {
		t.Errorf("archive: %v", got.UniqueIdentifiers)
	}
}

func TestLocatePaging(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 7 {
		ids = append(ids, h.createAES(kmip.V1_4, alice, 128, kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "g"}))
	}
	slices.Reverse(ids) // the most recently created first
	for _, tc := range []struct {
		filters kmip.Attributes
	}{
		{kmip.Attributes{{Name: kmip.AttrObjectGroup, Value: "g"}}},                                                    // indexed only: paged by the store
		{kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskEncrypt)}}}, // post-filtered: paged here
	} {
		var all []string
		for offset := int32(0); offset < 10; offset += 3 {
			got := h.locate(kmip.V1_4, alice, &kmip.LocateRequest{MaximumItems: 3, OffsetItems: offset, Attributes: tc.filters})
			if got.LocatedItems != 7 {
				t.Fatalf("located items %d", got.LocatedItems)
			}
			all = append(all, got.UniqueIdentifiers...)
		}
		if !slices.Equal(all, ids) {
			t.Fatalf("pages %v, want %v", all, ids)
		}
	}
}

func TestOwnerIsolation(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V1_4, alice, 256)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		for _, p := range []any{
			&kmip.GetRequest{UniqueIdentifier: id},
			&kmip.GetAttributesRequest{UniqueIdentifier: id},
			&kmip.ActivateRequest{UniqueIdentifier: id},
			&kmip.DestroyRequest{UniqueIdentifier: id},
			&kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-a", Value: "b"}},
		} {
			_, err := h.do(v, bob, p)
			wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
			_, err = h.do(v, bob, &kmip.GetRequest{UniqueIdentifier: "no-such-id"})
			wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
		}
	}
	if got := h.locate(kmip.V1_4, bob, &kmip.LocateRequest{}); len(got.UniqueIdentifiers) != 0 || got.LocatedItems != 0 {
		t.Fatalf("bob locates %v", got.UniqueIdentifiers)
	}
	if st := h.state(alice, id); st != kmip14.StatePreActive {
		t.Fatalf("bob changed alice's key: %v", st)
	}
}

func TestIDPlaceholder(t *testing.T) {
	h := newHarness(t)
	batch := &kmip.BatchState{}
	item := h.batch(kmip.V1_4, alice, batch)
	serve := func(p any) any {
		resp, err := item(p)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	created := serve(&kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
	}}).(*kmip.CreateResponse)
	activated := serve(&kmip.ActivateRequest{}).(*kmip.ActivateResponse)
	if activated.UniqueIdentifier != created.UniqueIdentifier || batch.IDPlaceholder != created.UniqueIdentifier {
		t.Fatalf("placeholder: created %s, activated %s", created.UniqueIdentifier, activated.UniqueIdentifier)
	}
	if st := h.state(alice, created.UniqueIdentifier); st != kmip14.StateActive {
		t.Fatalf("state %v", st)
	}
	_, err := h.do(kmip.V1_4, alice, &kmip.ActivateRequest{})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonMissingData)
}

func TestDiscoverAndQuery(t *testing.T) {
	h := newHarness(t)
	got := h.must(kmip.V1_4, alice, &kmip.DiscoverVersionsRequest{Versions: []kmip.Version{{Major: 3}, kmip.V1_2, kmip.V2_1}}).(*kmip.DiscoverVersionsResponse)
	if !slices.Equal(got.Versions, []kmip.Version{kmip.V1_2, kmip.V2_1}) {
		t.Fatalf("discover: %v", got.Versions)
	}
	got = h.must(kmip.V1_4, alice, &kmip.DiscoverVersionsRequest{}).(*kmip.DiscoverVersionsResponse)
	if !slices.Equal(got.Versions, kmip.SupportedVersions) {
		t.Fatalf("discover all: %v", got.Versions)
	}
	q := h.must(kmip.V1_4, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations, kmip14.QueryFunctionQueryObjects}}).(*kmip.QueryResponse)
	if slices.Contains(q.Operations, kmip.OperationSetAttribute) || !slices.Contains(q.Operations, kmip14.OperationLocate) ||
		!slices.Contains(q.Operations, kmip14.OperationHash) || !slices.Contains(q.ObjectTypes, kmip14.ObjectTypePrivateKey) || len(q.ObjectTypes) != 9 {
		t.Fatalf("query 1.4: %+v", q)
	}
	// Hash came with the other cryptographic operations in 1.2 (1.2
	// section 4.37), Export and Import in 1.4.
	q = h.must(kmip.V1_2, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse)
	if !slices.Contains(q.Operations, kmip14.OperationHash) || !slices.Contains(q.Operations, kmip14.OperationEncrypt) ||
		slices.Contains(q.Operations, kmip14.OperationExport) {
		t.Fatalf("query 1.2: %v", q.Operations)
	}
	q = h.must(kmip.V1_1, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse)
	if slices.Contains(q.Operations, kmip14.OperationHash) || slices.Contains(q.Operations, kmip14.OperationEncrypt) {
		t.Fatalf("query 1.1: %v", q.Operations)
	}
	q = h.must(kmip.V2_1, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse)
	if !slices.Contains(q.Operations, kmip.OperationSetAttribute) {
		t.Fatal("query 2.1 lacks SetAttribute")
	}
	_, err := h.do(kmip.V1_4, alice, &kmip.RevokeRequest{})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonMissingData)
	_, err = h.svc.ServeKMIP(context.Background(), &kmip.Request{Version: kmip.V1_4, Operation: kmip14.OperationReKey, Peer: &kmip.Peer{Identity: alice}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonOperationNotSupported)
}
