//go:build cgo

package pkcs11

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/kmipd/kmipd/hsm"
)

// TestPKCS11EpochLifecycle seals under epoch 1, rotates, retires epoch 1
// and reopens the provider, checking the token at each step.
func TestPKCS11EpochLifecycle(t *testing.T) {
	cfg := newSoftHSMToken(t)
	p, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := p.KeyID()
	if first != pkcs11KeyID(hsm.DefaultKEKID) {
		t.Fatalf("epoch 1 key id %d, want that of %q", first, hsm.DefaultKEKID)
	}
	old, err := p.Seal("obj-1", []byte("sealed under epoch 1"))
	if err != nil {
		t.Fatal(err)
	}

	second, err := p.Rotate()
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if second != pkcs11KeyID("kmipd-kek-2") || p.KeyID() != second {
		t.Fatalf("Rotate returned %d, KeyID %d; want the key id of kmipd-kek-2", second, p.KeyID())
	}
	if got := p.KeyIDs(); !slices.Equal(got, []uint32{first, second}) {
		t.Fatalf("KeyIDs = %v, want [%d %d]", got, first, second)
	}
	fresh, err := p.Seal("obj-2", []byte("sealed under epoch 2"))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := hsm.SealedKeyID(fresh); id != second {
		t.Errorf("new blob names epoch %d, want %d", id, second)
	}
	if got, err := p.Unseal("obj-1", old); err != nil || string(got) != "sealed under epoch 1" {
		t.Fatalf("Unseal of an epoch 1 blob after Rotate = %q, %v", got, err)
	}
	resealed, err := p.Seal("obj-1", []byte("sealed under epoch 1"))
	if err != nil {
		t.Fatal(err)
	}

	if err := p.Retire(second); !errors.Is(err, hsm.ErrCurrentEpoch) {
		t.Errorf("Retire(current) = %v, want ErrCurrentEpoch", err)
	}
	if err := p.Retire(12345); !errors.Is(err, hsm.ErrNoEpoch) {
		t.Errorf("Retire(unknown) = %v, want ErrNoEpoch", err)
	}
	if err := p.Retire(first); err != nil {
		t.Fatalf("Retire(epoch 1): %v", err)
	}
	if _, err := p.Unseal("obj-1", old); !errors.Is(err, hsm.ErrUnseal) {
		t.Errorf("Unseal of an epoch 1 blob after Retire: %v, want ErrUnseal", err)
	}
	if err := p.Retire(first); !errors.Is(err, hsm.ErrNoEpoch) {
		t.Errorf("Retire of a retired epoch = %v, want ErrNoEpoch", err)
	}
	if got := p.KeyIDs(); !slices.Equal(got, []uint32{second}) {
		t.Errorf("KeyIDs after Retire = %v, want [%d]", got, second)
	}
	s, err := p.sessions.get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	gone, err := p.mod.findKEKs(s, hsm.DefaultKEKID)
	kept, err2 := p.mod.findKEKs(s, "kmipd-kek-2")
	p.sessions.put(s)
	if err != nil || err2 != nil || len(gone) != 0 || len(kept) != 1 {
		t.Errorf("token holds %d objects kmipd-kek-1 (%v) and %d kmipd-kek-2 (%v); want 0 and 1", len(gone), err, len(kept), err2)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Rotate(); !errors.Is(err, hsm.ErrClosed) {
		t.Errorf("Rotate after Close: %v, want ErrClosed", err)
	}

	// Reopened with the same configuration, naming kmipd-kek-1: the newest
	// epoch present is current, and epoch 1 is not created again.
	p2 := newTestProvider(t, cfg)
	if p2.KeyID() != second || !slices.Equal(p2.KeyIDs(), []uint32{second}) {
		t.Fatalf("after reopen KeyID %d, KeyIDs %v; want epoch 2 (%d) alone", p2.KeyID(), p2.KeyIDs(), second)
	}
	if got, err := p2.Unseal("obj-2", fresh); err != nil || string(got) != "sealed under epoch 2" {
		t.Errorf("Unseal of an epoch 2 blob after reopen = %q, %v", got, err)
	}
	if got, err := p2.Unseal("obj-1", resealed); err != nil || string(got) != "sealed under epoch 1" {
		t.Errorf("Unseal of a re-sealed blob after reopen = %q, %v", got, err)
	}
	if _, err := p2.Unseal("obj-1", old); !errors.Is(err, hsm.ErrUnseal) {
		t.Errorf("Unseal of an epoch 1 blob after reopen: %v, want ErrUnseal", err)
	}
	third, err := p2.Rotate()
	if err != nil || third != pkcs11KeyID("kmipd-kek-3") {
		t.Errorf("Rotate after reopen = %d, %v; want the key id of kmipd-kek-3", third, err)
	}
}

func TestKEKNaming(t *testing.T) {
	cases := []struct {
		first  string
		n      uint32
		id     string
		number map[string]uint32 // absent: not an epoch of the naming
	}{
		{"kmipd-kek-1", 2, "kmipd-kek-2", map[string]uint32{"kmipd-kek-1": 1, "kmipd-kek-17": 17, "kmipd-kek-01": 0, "kmipd-kek-": 0, "kmipd-kek-x": 0, "other-2": 0, "kmipd-kek-99999999999": 0}},
		{"planted", 1, "planted", map[string]uint32{"planted": 1, "planted-2": 2, "planted-1": 0}},
		{"hsm-kek-5", 4, "hsm-kek-4", map[string]uint32{"hsm-kek-5": 5, "hsm-kek-4": 4}},
	}
	for _, c := range cases {
		k := newKEKNaming(c.first)
		if got := k.id(c.n); got != c.id {
			t.Errorf("%s: id(%d) = %q, want %q", c.first, c.n, got, c.id)
		}
		for id, want := range c.number {
			got, ok := k.number(id)
			if ok != (want != 0) || got != want {
				t.Errorf("%s: number(%q) = %d, %v; want %d", c.first, id, got, ok, want)
			}
		}
	}
}

// TestPKCS11RotateUnderLoad rotates while other goroutines seal and unseal:
// every blob sealed unseals, whichever epoch sealed it.
func TestPKCS11RotateUnderLoad(t *testing.T) {
	cfg := newSoftHSMToken(t)
	cfg.Sessions = 4
	p := newTestProvider(t, cfg)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				sealed, err := p.Seal("obj", []byte("under load"))
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := p.Unseal("obj", sealed); err != nil || string(got) != "under load" {
					t.Errorf("Unseal during rotation = %q, %v", got, err)
					return
				}
			}
		})
	}
	for range 3 {
		if _, err := p.Rotate(); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if n := len(p.KeyIDs()); n != 4 {
		t.Errorf("%d epochs after 3 rotations, want 4", n)
	}
}
