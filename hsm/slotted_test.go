package hsm

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// forEachSlotted runs test once per provider, on a Slotted over a fresh
// module and a fresh slot file.
func forEachSlotted(t *testing.T, test func(t *testing.T, s *Slotted, slotsPath string)) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		path := filepath.Join(t.TempDir(), KeySlotsFile)
		s := NewSlotted(c, openTestSlots(t, path))
		test(t, s, path)
	})
}

func TestSlottedForget(t *testing.T) {
	forEachSlotted(t, func(t *testing.T, s *Slotted, path string) {
		secret := bytes.Repeat([]byte{0xC3}, 32)
		sealed, err := s.Seal("obj-1", secret)
		if err != nil {
			t.Fatal(err)
		}
		if !IsSlotSealed(sealed) || bytes.Contains(sealed, secret) {
			t.Fatal("Seal did not seal through a slot")
		}
		if got, err := s.Unseal("obj-1", sealed); err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("Unseal = %x, %v", got, err)
		}
		if _, err := s.Unseal("obj-2", sealed); !errors.Is(err, ErrUnseal) {
			t.Errorf("Unseal for another object: %v, want ErrUnseal", err)
		}
		// Legacy material, sealed by the module itself, still unseals.
		legacy, err := s.Crypto.Seal("obj-0", secret)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Unseal("obj-0", legacy); err != nil || !bytes.Equal(got, secret) {
			t.Errorf("Unseal of module-sealed material = %x, %v", got, err)
		}
		if err := s.Forget("obj-0", legacy); err != nil {
			t.Errorf("Forget of module-sealed material: %v", err)
		}

		copyOfSealed := bytes.Clone(sealed)
		if err := s.Forget("obj-1", sealed); err != nil {
			t.Fatal(err)
		}
		got, err := s.Unseal("obj-1", copyOfSealed)
		if !errors.Is(err, ErrUnseal) || !errors.Is(err, ErrSlotGone) || got != nil {
			t.Fatalf("Unseal after Forget = %x, %v; want ErrUnseal and ErrSlotGone", got, err)
		}
		// A new object under the same id; the old blob still fails.
		next, err := s.Seal("obj-1", []byte("another key of the same id...."))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Unseal("obj-1", copyOfSealed); !errors.Is(err, ErrUnseal) {
			t.Errorf("old blob after reuse: %v, want ErrUnseal", err)
		}
		s.Slots().Close()
		reopened := NewSlotted(s.Crypto, openTestSlots(t, path))
		if _, err := reopened.Unseal("obj-1", copyOfSealed); !errors.Is(err, ErrUnseal) {
			t.Errorf("old blob after reopening: %v, want ErrUnseal", err)
		}
		if got, err := reopened.Unseal("obj-1", next); err != nil || string(got) != "another key of the same id...." {
			t.Errorf("live blob after reopening: %q, %v", got, err)
		}
	})
}

// TestSlottedGenerate: Slotted generates through its module and returns
// the material in the clear; Seal puts it in a slot of its own.
func TestSlottedGenerate(t *testing.T) {
	forEachSlotted(t, func(t *testing.T, s *Slotted, _ string) {
		key, err := s.GenerateKey(256)
		if err != nil || len(key) != 32 {
			t.Fatalf("GenerateKey = %d bytes, %v", len(key), err)
		}
		priv, pub, err := s.GenerateKeyPair(KeyPairSpec{Algorithm: ECDSA, Curve: "P-256"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(priv); err != nil || len(pub) == 0 {
			t.Errorf("GenerateKeyPair: private key %v, %d bytes of public key", err, len(pub))
		}
		for id, plain := range map[string][]byte{"k": key, "priv": priv} {
			sealed, err := s.Seal(id, plain)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.Unseal(id, sealed); err != nil || !bytes.Equal(got, plain) || !IsSlotSealed(sealed) {
				t.Errorf("%s: Seal then Unseal = %d bytes, %v (slot format %t)", id, len(got), err, IsSlotSealed(sealed))
			}
		}
	})
}

// TestSlottedRetire: retiring an epoch re-seals every slot's DEK in place,
// so live material still unseals and a copy of the slot file taken before
// opens with no key the module still holds.
func TestSlottedRetire(t *testing.T) {
	forEachSlotted(t, func(t *testing.T, s *Slotted, path string) {
		sealed, err := s.Seal("obj", []byte("live key material"))
		if err != nil {
			t.Fatal(err)
		}
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		old := s.KeyIDs()
		if _, err := s.Rotate(); err != nil {
			t.Fatal(err)
		}
		for _, id := range old {
			if err := s.Retire(id); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.Unseal("obj", sealed); err != nil || string(got) != "live key material" {
			t.Fatalf("Unseal after Retire = %q, %v", got, err)
		}
		slot, gen := parseSlotBlob(sealed)
		oldDEK := decodeSlot(before[slotOffset(slot) : slotOffset(slot)+slotSize]).sealed
		if _, err := s.Crypto.Unseal(slotBinding(slot, gen), oldDEK); !errors.Is(err, ErrUnseal) {
			t.Errorf("the DEK as sealed before the rotation still unseals: %v", err)
		}
	})
}

// TestSlottedReadySlots: Seals draw on slots made ready ahead, many at a
// time from many goroutines; Close wipes the ready ones left, so a reopened
// file holds only the slots of sealed material.
func TestSlottedReadySlots(t *testing.T) {
	dir := t.TempDir()
	module, err := NewSoftware(filepath.Join(dir, "kek"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeySlotsFile)
	s, err := OpenSlotted(module, path)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 50
	blobs := make([][]byte, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				b, err := s.Seal("obj", []byte{byte(w), byte(i)})
				if err != nil {
					t.Error(err)
					return
				}
				blobs[w*each+i] = b
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, b := range blobs {
		if seen[string(b[1:5])] {
			t.Fatal("two Seals shared a slot")
		}
		seen[string(b[1:5])] = true
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	module, _ = NewSoftware(filepath.Join(dir, "kek"))
	k := openTestSlots(t, path)
	if k.Used() != len(blobs) {
		t.Errorf("after Close: %d slots used, want %d (the ready ones wiped)", k.Used(), len(blobs))
	}
	reopened := NewSlotted(module, k)
	for i, b := range blobs {
		if got, err := reopened.Unseal("obj", b); err != nil || !bytes.Equal(got, []byte{byte(i / each), byte(i % each)}) {
			t.Fatalf("blob %d: %x, %v", i, got, err)
		}
	}
	module.Close()
}
