package hsm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func openTestSlots(t *testing.T, path string) *KeySlots {
	t.Helper()
	k, err := OpenKeySlots(path)
	if err != nil {
		t.Fatalf("OpenKeySlots: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// putTest stores sealed in a new slot and returns its place.
func putTest(t *testing.T, k *KeySlots, sealed []byte) (uint32, uint64) {
	t.Helper()
	slot, gen, err := k.Reserve()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.put(slot, gen, sealed); err != nil {
		t.Fatal(err)
	}
	return slot, gen
}

func TestKeySlotsAllocWipeReuse(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeySlotsFile)
	k := openTestSlots(t, path)
	var slots [3]uint32
	var gens [3]uint64
	for i := range slots {
		slots[i], gens[i] = putTest(t, k, []byte{byte(i), 0xEE})
	}
	if slots != [3]uint32{0, 1, 2} {
		t.Fatalf("slots = %v, want the lowest first", slots)
	}
	if got, err := k.Get(slots[1], gens[1]); err != nil || !bytes.Equal(got, []byte{1, 0xEE}) {
		t.Fatalf("get = %x, %v", got, err)
	}
	if _, err := k.Get(slots[1], gens[1]+1); !errors.Is(err, ErrSlotGone) {
		t.Errorf("get with another generation: %v, want ErrSlotGone", err)
	}
	if err := k.Wipe(slots[1], gens[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(slots[1], gens[1]); !errors.Is(err, ErrSlotGone) {
		t.Errorf("get after Wipe: %v, want ErrSlotGone", err)
	}
	if err := k.Wipe(slots[1], gens[1]); err != nil {
		t.Errorf("second Wipe: %v", err)
	}
	// The wiped slot is reused, under a new generation; a wipe of the old
	// one (a repair after a crash) leaves the new tenant alone.
	again, gen := putTest(t, k, []byte("new tenant"))
	if again != slots[1] || gen == gens[1] {
		t.Fatalf("reuse: slot %d gen %x, want slot %d and a new generation", again, gen, slots[1])
	}
	if err := k.Wipe(slots[1], gens[1]); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Get(again, gen); err != nil || string(got) != "new tenant" {
		t.Fatalf("the new tenant after a stale Wipe: %q, %v", got, err)
	}
	if k.Used() != 3 {
		t.Errorf("Used = %d, want 3", k.Used())
	}

	// Nothing of the wiped key is left in the file, and a reopened file
	// knows which slots are used.
	if err := k.Wipe(slots[2], gens[2]); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte{2, 0xEE}) {
		t.Error("the wiped key's bytes are still in the file")
	}
	k.Close()
	k2 := openTestSlots(t, path)
	if k2.Used() != 2 {
		t.Errorf("reopened: Used = %d, want 2", k2.Used())
	}
	if got, err := k2.Get(again, gen); err != nil || string(got) != "new tenant" {
		t.Errorf("reopened: get = %q, %v", got, err)
	}
	if s, _ := putTest(t, k2, []byte("x")); s != slots[2] {
		t.Errorf("reopened: new slot %d, want the free slot %d", s, slots[2])
	}
}

func TestKeySlotsTornSlotIsFree(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeySlotsFile)
	k := openTestSlots(t, path)
	slot, _ := putTest(t, k, []byte("key"))
	k.Close()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xFF}, slotOffset(slot)+20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	k2 := openTestSlots(t, path)
	if k2.Used() != 0 {
		t.Errorf("a slot with a bad CRC counts as used")
	}
}

func TestKeySlotsRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	k := openTestSlots(t, open)
	k.Close()
	os.Chmod(open, 0o644)
	if _, err := OpenKeySlots(open); err == nil {
		t.Error("a key slot file readable by others was opened")
	}
	other := filepath.Join(dir, "other")
	os.WriteFile(other, make([]byte, 4096), 0o600)
	if _, err := OpenKeySlots(other); err == nil {
		t.Error("a file without the header was opened")
	}
}

func TestKeySlotsConcurrent(t *testing.T) {
	k := openTestSlots(t, filepath.Join(t.TempDir(), KeySlotsFile))
	const workers, rounds = 8, 100
	var mu sync.Mutex
	held := map[uint32]uint64{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				slot, gen, err := k.Reserve()
				if err == nil {
					err = k.put(slot, gen, []byte{byte(w), byte(i)})
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if _, dup := held[slot]; dup {
					t.Errorf("slot %d given twice", slot)
				}
				held[slot] = gen
				mu.Unlock()
				if got, err := k.Get(slot, gen); err != nil || !bytes.Equal(got, []byte{byte(w), byte(i)}) {
					t.Errorf("get = %x, %v", got, err)
				}
				if i%2 == 0 {
					mu.Lock()
					delete(held, slot)
					mu.Unlock()
					if err := k.Wipe(slot, gen); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if k.Used() != len(held) || k.Used() != workers*rounds/2 {
		t.Errorf("Used = %d, %d held, want %d", k.Used(), len(held), workers*rounds/2)
	}
}

// TestKeySlotsBackupRestore: the used slots (ready ones too) travel in a
// backup and restore into a new file where the live material unseals; a
// wiped slot is not in the backup.
func TestKeySlotsBackupRestore(t *testing.T) {
	forEachSlotted(t, func(t *testing.T, s *Slotted, _ string) {
		live, err := s.Seal("live", []byte("live material"))
		if err != nil {
			t.Fatal(err)
		}
		gone, err := s.Seal("gone", []byte("destroyed material"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Forget("gone", gone); err != nil {
			t.Fatal(err)
		}
		var backup bytes.Buffer
		if err := BackupAttachment(s).WriteBackup(&backup); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), KeySlotsFile)
		commit, err := StageKeySlots(path, &backup)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("the slot file is in place before commit")
		}
		if err := commit(); err != nil {
			t.Fatal(err)
		}
		restored := NewSlotted(s.Crypto, openTestSlots(t, path))
		if got, err := restored.Unseal("live", live); err != nil || string(got) != "live material" {
			t.Errorf("live material from the restored slots: %q, %v", got, err)
		}
		if _, err := restored.Unseal("gone", gone); !errors.Is(err, ErrSlotGone) {
			t.Errorf("destroyed material from the restored slots: %v, want ErrSlotGone", err)
		}
		if _, err := StageKeySlots(path, bytes.NewReader(make([]byte, 4+slotSize))); err == nil {
			t.Error("a free slot entry was staged")
		}
	})
}
