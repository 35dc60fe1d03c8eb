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
