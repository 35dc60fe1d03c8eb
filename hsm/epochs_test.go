package hsm

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"
)

func TestRotateSealsUnderNewEpochAndUnsealsOld(t *testing.T) {
	s, path := newTestSoftware(t)
	first := s.KeyID()
	old, err := s.Seal("obj-1", []byte("before rotation"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Rotate()
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if second == first || s.KeyID() != second {
		t.Fatalf("after Rotate KeyID = %d (first %d, new %d)", s.KeyID(), first, second)
	}
	if got := s.KeyIDs(); !slices.Equal(got, []uint32{first, second}) {
		t.Fatalf("KeyIDs = %v, want [%d %d]", got, first, second)
	}
	fresh, err := s.Seal("obj-1", []byte("after rotation"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sealed []byte
		want   string
	}{{old, "before rotation"}, {fresh, "after rotation"}} {
		got, err := s.Unseal("obj-1", c.sealed)
		if err != nil || string(got) != c.want {
			t.Fatalf("Unseal = %q, %v; want %q", got, err, c.want)
		}
	}

	// The epochs survive a restart.
	s.Close()
	s2, err := NewSoftware(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if got := s2.KeyIDs(); !slices.Equal(got, []uint32{first, second}) {
		t.Fatalf("KeyIDs after reopen = %v", got)
	}
	if got, err := s2.Unseal("obj-1", old); err != nil || string(got) != "before rotation" {
		t.Fatalf("Unseal old after reopen = %q, %v", got, err)
	}
}

func TestRetireDestroysEpochForGood(t *testing.T) {
	s, path := newTestSoftware(t)
	first := s.KeyID()
	retiredKey := bytes.Clone(s.kek)
	old, err := s.Seal("obj-1", []byte("doomed"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Retire(first); !errors.Is(err, ErrCurrentEpoch) {
		t.Fatalf("Retire(current) = %v, want ErrCurrentEpoch", err)
	}
	if _, err := s.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := s.Retire(12345); !errors.Is(err, ErrNoEpoch) {
		t.Fatalf("Retire(absent) = %v, want ErrNoEpoch", err)
	}
	if err := s.Retire(first); err != nil {
		t.Fatalf("Retire: %v", err)
	}
	if _, err := s.Unseal("obj-1", old); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Unseal under a retired epoch = %v, want ErrUnseal", err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, retiredKey) {
		t.Fatal("the key file still holds the retired key")
	}
	s.Close()
	s2, err := NewSoftware(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Unseal("obj-1", old); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Unseal after reopen under a retired epoch = %v, want ErrUnseal", err)
	}
	if len(s2.KeyIDs()) != 1 {
		t.Fatalf("KeyIDs after retire = %v", s2.KeyIDs())
	}
}

func TestEpochFileRefusesBadInput(t *testing.T) {
	ks := []kek{{id: 1, key: make([]byte, kekSize)}, {id: 1, key: make([]byte, kekSize)}}
	b := encodeEpochs(ks)
	if _, err := decodeEpochs("f", b[len(keyFileMagic)+1:]); err == nil {
		t.Fatal("duplicate key ids accepted")
	}
	if _, err := decodeEpochs("f", b[len(keyFileMagic)+1:len(b)-1]); err == nil {
		t.Fatal("truncated file accepted")
	}
	if _, err := decodeEpochs("f", []byte{0, 0}); err == nil {
		t.Fatal("zero epochs accepted")
	}
}
