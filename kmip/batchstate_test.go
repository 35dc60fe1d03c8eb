package kmip

import (
	"context"
	"sync/atomic"
	"testing"
)

// TestBatchStateMemo: the items of one message share what Memo computed
// for a key, and the next message (on the same connection) computes again.
func TestBatchStateMemo(t *testing.T) {
	type memoKey struct{}
	var computed atomic.Int32
	ts := startServer(t, func(_ context.Context, req *Request) (any, error) {
		n := req.Batch.Memo(memoKey{}, func() any { return computed.Add(1) })
		if n != computed.Load() {
			t.Errorf("item saw memo %v, computed %d times", n, computed.Load())
		}
		return nil, nil
	}, Limits{})
	c := ts.dial(t)
	for message := range 2 {
		if _, err := c.DoBatch(context.Background(), items(dv, dv, dv)); err != nil {
			t.Fatal(err)
		}
		if n := computed.Load(); n != int32(message+1) {
			t.Fatalf("after %d messages of 3 items: computed %d times", message+1, n)
		}
	}

	var nilState *BatchState
	calls := 0
	for range 2 {
		nilState.Memo(memoKey{}, func() any { calls++; return nil })
	}
	if calls != 2 {
		t.Errorf("a nil BatchState remembered: computed %d times for 2 calls", calls)
	}
}

// TestBatchStateFillID: the ID Placeholder fills an empty Unique Identifier
// of a request that stands for it, never a given one, nor the identifier
// of Import (which must name its object) or Create Split Key (where none
// means a new key); RecordID takes a created object's identifier and
// ignores a response that names several.
func TestBatchStateFillID(t *testing.T) {
	b := &BatchState{}
	get := &GetRequest{}
	b.FillID(get)
	if get.UniqueIdentifier != "" {
		t.Fatalf("filled %q before any item produced an identifier", get.UniqueIdentifier)
	}
	b.RecordID(&CreateResponse{UniqueIdentifier: "new"})
	b.RecordID(&LocateResponse{UniqueIdentifiers: []string{"a", "b"}})
	b.FillID(get)
	given := &ActivateRequest{UniqueIdentifier: "given"}
	b.FillID(given)
	imp := &ImportRequest{}
	b.FillID(imp)
	split := &CreateSplitKeyRequest{}
	b.FillID(split)
	if get.UniqueIdentifier != "new" || given.UniqueIdentifier != "given" || imp.UniqueIdentifier != "" || split.UniqueIdentifier != "" {
		t.Fatalf("Get %q, Activate %q, Import %q, Create Split Key %q; want new, given, empty, empty",
			get.UniqueIdentifier, given.UniqueIdentifier, imp.UniqueIdentifier, split.UniqueIdentifier)
	}
	b.RecordID(&CreateKeyPairResponse{PrivateKeyUniqueIdentifier: "priv", PublicKeyUniqueIdentifier: "pub"})
	if b.IDPlaceholder != "priv" {
		t.Fatalf("after Create Key Pair the placeholder is %q, want the private key", b.IDPlaceholder)
	}
}
