package handlers

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kmipd/kmipd/kmip"
)

// Concurrent changes of one object never lose an update.
func TestConcurrentAddAttribute(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V1_4, alice, 256)
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.do(kmip.V1_4, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-n", Value: fmt.Sprint(i)}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := h.attrs(kmip.V1_4, alice, id, "x-n")
	seen := map[int]bool{}
	for _, a := range got {
		seen[a.Index] = true
	}
	if len(got) != n || len(seen) != n {
		t.Fatalf("%d instances with %d distinct indexes, want %d", len(got), len(seen), n)
	}
}
