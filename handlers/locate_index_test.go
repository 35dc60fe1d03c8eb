package handlers

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// countingStore counts the objects read.
type countingStore struct {
	store.Store
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, id string) (*store.Object, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, id)
}

// TestLocateByNameReadsOnlyMatches checks that a Locate by Name (with its
// Name Type, as clients send it) is answered through the Name index: it
// reads the matching object, not every object of the owner.
func TestLocateByNameReadsOnlyMatches(t *testing.T) {
	var counting *countingStore
	h := newHarnessWith(t, func(c *Config) {
		counting = &countingStore{Store: c.Store}
		c.Store = counting
	})
	for i := range 50 {
		h.createAES(kmip.V1_4, alice, 128, kmip.Attribute{Name: kmip.AttrName,
			Value: kmip.Name{Value: fmt.Sprintf("key-%d", i), Type: kmip14.NameTypeUninterpretedTextString}})
	}
	counting.gets.Store(0)
	resp := h.locate(kmip.V1_4, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrName,
		Value: kmip.Name{Value: "key-7", Type: kmip14.NameTypeUninterpretedTextString}}}})
	if len(resp.UniqueIdentifiers) != 1 {
		t.Fatalf("Locate by Name found %v, want one object", resp.UniqueIdentifiers)
	}
	if n := counting.gets.Load(); n > 1 {
		t.Fatalf("Locate by Name read %d objects, want at most the one that matches", n)
	}
}
