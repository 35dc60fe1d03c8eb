package handlers

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/handlers/audit"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// harness is a Service on a real Badger store and the software crypto
// provider, with a settable clock.
type harness struct {
	t     *testing.T
	svc   *Service
	store *store.Badger
	now   time.Time
}

func newHarness(t *testing.T) *harness { return newHarnessWith(t, nil) }

// newHarnessWith is newHarness with the Config changed by configure.
func newHarnessWith(t *testing.T, configure func(*Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenBadger(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	crypto, err := hsm.NewSoftware(filepath.Join(dir, "kek", "key"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: st, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg := Config{Store: st, Crypto: crypto, Now: func() time.Time { return h.now }}
	if configure != nil {
		configure(&cfg)
	}
	h.svc, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// do serves one item as identity who in version v, with the operation the
// decoder would name for payload's type.
func (h *harness) do(v kmip.Version, who string, payload any) (any, error) {
	op, _ := kmip.OperationOf(payload)
	return h.svc.ServeKMIP(context.Background(), &kmip.Request{
		Version: v, Operation: op, Payload: payload, Peer: &kmip.Peer{Identity: who}, Batch: &kmip.BatchState{},
	})
}

// batch returns a function that serves payloads as the items of one message
// of who, as kmip.Server does: an item that left its Unique Identifier empty
// gets the ID Placeholder (FillID), and a success records the identifier its
// response names (RecordID).
func (h *harness) batch(v kmip.Version, who string, state *kmip.BatchState) func(payload any) (any, error) {
	peer := &kmip.Peer{Identity: who}
	return func(payload any) (any, error) {
		op, _ := kmip.OperationOf(payload)
		state.FillID(payload)
		resp, err := h.svc.ServeKMIP(context.Background(), &kmip.Request{Version: v, Operation: op, Payload: payload, Peer: peer, Batch: state})
		if err == nil {
			state.RecordID(resp)
		}
		return resp, err
	}
}

// audited wraps next in the audit trail log as kmipd does: the operations
// that use a key are those of the routes (UsesKey), the tenants those of
// next when it is a *Service. now is the clock (nil: time.Now).
func audited(next kmip.Handler, log store.AuditLog, now func() time.Time) kmip.Handler {
	cfg := audit.Config{Log: log, Now: now, UsesKey: UsesKey}
	if s, ok := next.(*Service); ok {
		cfg.TenantOf = s.TenantOf
	}
	return audit.Handler(next, cfg)
}

// must serves and fails the test on error.
func (h *harness) must(v kmip.Version, who string, payload any) any {
	h.t.Helper()
	resp, err := h.do(v, who, payload)
	if err != nil {
		h.t.Fatalf("%T: %v", payload, err)
	}
	return resp
}

func (h *harness) createAES(v kmip.Version, who string, bits int32, extra ...kmip.Attribute) string {
	h.t.Helper()
	attrs := append(kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: bits},
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(12)},
	}, extra...)
	resp := h.must(v, who, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs})
	return resp.(*kmip.CreateResponse).UniqueIdentifier
}

func (h *harness) attrs(v kmip.Version, who, id string, names ...string) kmip.Attributes {
	h.t.Helper()
	resp := h.must(v, who, &kmip.GetAttributesRequest{UniqueIdentifier: id, Names: names})
	return resp.(*kmip.GetAttributesResponse).Attributes
}

func (h *harness) state(who, id string) kmip.State {
	h.t.Helper()
	return stateOf(h.attrs(kmip.V2_1, who, id, kmip.AttrState))
}

// wantSentIn checks that err is a *kmip.Error that a response in version v
// carries with reason r: what the client sees.
func wantSentIn(t *testing.T, v kmip.Version, err error, r kmip.ResultReason) {
	t.Helper()
	var ke *kmip.Error
	if !errors.As(err, &ke) {
		t.Fatalf("error %v, want reason %v", err, r)
	}
	if got := ke.ReasonFor(v); got != r {
		t.Fatalf("%v sends reason %v (%s), want %v", v, got, ke.Message, r)
	}
}

// wantSent is wantSentIn with reason r1x in 1.x and r2x in 2.x.
func wantSent(t *testing.T, v kmip.Version, err error, r1x, r2x kmip.ResultReason) {
	t.Helper()
	if v.Is2x() {
		wantSentIn(t, v, err, r2x)
	} else {
		wantSentIn(t, v, err, r1x)
	}
}

// wantReason checks that err is a *kmip.Error with reason r.
func wantReason(t *testing.T, err error, r kmip.ResultReason) {
	t.Helper()
	var ke *kmip.Error
	if !errors.As(err, &ke) {
		t.Fatalf("error %v, want reason %v", err, r)
	}
	if ke.Reason != r {
		t.Fatalf("reason %v (%s), want %v", ke.Reason, ke.Message, r)
	}
}

const alice, bob = "CN=alice", "CN=bob"

func TestCreateSymmetricKeys(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		alg  kmip.CryptographicAlgorithm
		bits int32
		ok   bool
	}{
		{kmip14.CryptographicAlgorithmAES, 128, true},
		{kmip14.CryptographicAlgorithmAES, 192, true},
		{kmip14.CryptographicAlgorithmAES, 256, true},
		{kmip14.CryptographicAlgorithmHMAC_SHA256, 256, true},
		{kmip14.CryptographicAlgorithmHMAC_SHA512, 512, true},
		{kmip14.CryptographicAlgorithmAES, 64, false},
		{kmip14.CryptographicAlgorithmAES, 255, false},
		{kmip14.CryptographicAlgorithmHMAC_SHA1, 100, false},
		{kmip14.CryptographicAlgorithmDES3, 128, false},
	} {
		for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
			resp, err := h.do(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
				{Name: kmip.AttrCryptographicAlgorithm, Value: tc.alg},
				{Name: kmip.AttrCryptographicLength, Value: tc.bits},
			}})
			if !tc.ok {
				wantReason(t, err, kmip.ReasonInvalidField)
				continue
			}
			if err != nil {
				t.Fatalf("%v %d: %v", tc.alg, tc.bits, err)
			}
			id := resp.(*kmip.CreateResponse).UniqueIdentifier
			got := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
			kb := got.Object.KeyBlock
			if kb == nil || len(kb.Material)*8 != int(tc.bits) || kb.Algorithm != tc.alg || kb.Length != tc.bits {
				t.Fatalf("%v %d: got key block %+v", tc.alg, tc.bits, kb)
			}
			if st := h.state(alice, id); st != kmip14.StatePreActive {
				t.Fatalf("state %v", st)
			}
		}
	}
	_, err := h.do(kmip.V1_4, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES}}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	// KMIP 2.x Create makes Secret Data too (TestCreateSecretData), of a
	// Cryptographic Length it must be given; 1.x makes keys only.
	_, err = h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSecretData})
	wantReason(t, err, kmip.ReasonInvalidField)
	_, err = h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeOpaqueObject})
	wantReason(t, err, kmip.ReasonInvalidObjectType)
}

func TestCreateRefusesServerAttributes(t *testing.T) {
	h := newHarness(t)
	base := kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
	}
	for _, a := range []kmip.Attribute{
		{Name: kmip.AttrUniqueIdentifier, Value: "mine"},
		{Name: kmip.AttrState, Value: kmip14.StateActive},
		{Name: kmip.AttrInitialDate, Value: h.now},
		{Name: kmip.AttrObjectType, Value: kmip14.ObjectTypeSymmetricKey},
	} {
		_, err := h.do(kmip.V1_4, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: append(base[:2:2], a)})
		wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
		_, err = h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: append(base[:2:2], a)})
		wantReason(t, err, kmip.ReasonAttributeReadOnly)
	}
	// Defined only in 2.x, or single-valued twice.
	_, err := h.do(kmip.V1_4, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: append(base[:2:2], kmip.Attribute{Name: kmip.AttrQuantumSafe, Value: true})})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	_, err = h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: append(base[:2:2], kmip.Attribute{Name: kmip.AttrContactInformation, Value: "a"}, kmip.Attribute{Name: kmip.AttrContactInformation, Value: "b"})})
	wantReason(t, err, kmip.ReasonAttributeSingleValued)
	// Custom attributes are accepted and returned.
	id := h.createAES(kmip.V1_1, alice, 256, kmip.Attribute{Name: "x-Product", Value: "vSphere"})
	if got := h.attrs(kmip.V1_1, alice, id, "x-Product").Get("x-Product"); got != "vSphere" {
		t.Fatalf("x-Product = %v", got)
	}
}

func TestActivationDateAtCreate(t *testing.T) {
	h := newHarness(t)
	past := h.createAES(kmip.V1_4, alice, 128, kmip.Attribute{Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)})
	if st := h.state(alice, past); st != kmip14.StateActive {
		t.Fatalf("past activation date: state %v", st)
	}
	future := h.createAES(kmip.V1_4, alice, 128, kmip.Attribute{Name: kmip.AttrActivationDate, Value: h.now.Add(time.Hour)})
	if st := h.state(alice, future); st != kmip14.StatePreActive {
		t.Fatalf("future activation date: state %v", st)
	}
	locateActive := func() []string {
		resp := h.must(kmip.V1_4, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrState, Value: kmip14.StateActive}}})
		return resp.(*kmip.LocateResponse).UniqueIdentifiers
	}
	if got := locateActive(); len(got) != 1 {
		t.Fatalf("active before sweep: %v", got)
	}
	h.now = h.now.Add(2 * time.Hour)
	if err := h.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Read the stored object directly: the sweep persisted the change.
	obj, err := h.store.Get(context.Background(), future)
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := kmip.UnmarshalAttributes(obj.Attributes)
	if err != nil {
		t.Fatal(err)
	}
	if st := stateOf(attrs); st != kmip14.StateActive {
		t.Fatalf("after sweep: stored state %v", st)
	}
	if got := locateActive(); len(got) != 2 {
		t.Fatalf("active after sweep: %v", got)
	}
}

func TestRegisterAndGetBack(t *testing.T) {
	h := newHarness(t)
	key := bytes.Repeat([]byte{0xA5}, 32)
	for _, tc := range []struct {
		name string
		req  *kmip.RegisterRequest
	}{
		{"raw AES, algorithm in key block", &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{
			Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256}}}},
		{"transparent AES, algorithm in attributes", &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
			Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES}, {Name: kmip.AttrCryptographicLength, Value: int32(256)}},
			Object:     kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeTransparentSymmetricKey, Material: key}}}},
		{"secret data", &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Object: kmip.Object{
			Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: key}}}},
		{"opaque", &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeOpaqueObject, Object: kmip.Object{
			Type: kmip14.ObjectTypeOpaqueObject, OpaqueDataType: 0x80000001, OpaqueValue: key}}},
	} {
		for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_1} {
			id := h.must(v, alice, tc.req).(*kmip.RegisterResponse).UniqueIdentifier
			got := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
			if got.ObjectType != tc.req.ObjectType {
				t.Fatalf("%s: type %v", tc.name, got.ObjectType)
			}
			material := got.Object.OpaqueValue
			if kb := got.Object.KeyBlock; kb != nil {
				material = kb.Material
				if kb.FormatType != tc.req.Object.KeyBlock.FormatType {
					t.Fatalf("%s: format %v", tc.name, kb.FormatType)
				}
			}
			if !bytes.Equal(material, key) {
				t.Fatalf("%s: material differs", tc.name)
			}
		}
	}
	// Raw <-> Transparent conversion, and unsupported formats.
	id := h.must(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{
		Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256}}}).(*kmip.RegisterResponse).UniqueIdentifier
	got := h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyFormatType: kmip14.KeyFormatTypeTransparentSymmetricKey}).(*kmip.GetResponse)
	if kb := got.Object.KeyBlock; kb.FormatType != kmip14.KeyFormatTypeTransparentSymmetricKey || !bytes.Equal(kb.Material, key) {
		t.Fatalf("transparent: %+v", kb)
	}
	_, err := h.do(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyFormatType: kmip14.KeyFormatTypePKCS_8})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonKeyFormatTypeNotSupported)
	_, err = h.do(kmip.V2_1, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapping: true})
	wantReason(t, err, kmip.ReasonKeyWrapTypeNotSupported)
	// Length must match the material.
	_, err = h.do(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{
		Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128}}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	// Attributes inside a 1.x Key Value become object attributes.
	id = h.must(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{
		Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256,
			Attributes: []kmip.Attribute{{Name: "x-inside", Value: "yes"}}}}}).(*kmip.RegisterResponse).UniqueIdentifier
	if h.attrs(kmip.V1_4, alice, id, "x-inside").Get("x-inside") != "yes" {
		t.Fatal("key value attribute not merged")
	}
	if kb := h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse).Object.KeyBlock; len(kb.Attributes) != 0 {
		t.Fatal("attributes returned inside the key value")
	}
}

func TestMaterialNeverInStoreInClear(t *testing.T) {
	h := newHarness(t)
	key := []byte("0123456789abcdef0123456789ABCDEF")
	id := h.must(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{
		Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256}}}).(*kmip.RegisterResponse).UniqueIdentifier
	created := h.createAES(kmip.V1_4, alice, 256)
	generated := h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: created}).(*kmip.GetResponse).Object.KeyBlock.Material
	for _, c := range []struct {
		id  string
		key []byte
	}{{id, key}, {created, generated}} {
		obj, err := h.store.Get(context.Background(), c.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(obj.Material) == 0 || bytes.Contains(obj.Material, c.key) || bytes.Contains(obj.Attributes, c.key) {
			t.Fatal("key material stored in the clear")
		}
		for _, term := range obj.Terms {
			if bytes.Contains(term.Value, c.key) {
				t.Fatal("key material in an index term")
			}
		}
	}
}
