package hsm

import (
	"bytes"
	"errors"
	"testing"
)

// TestProviderSeed seeds both providers' generators: the PKCS#11 provider
// through C_SeedRandom on SoftHSM2, which accepts seeds, so all of a seed
// up to MaxSeed is reported used; the generator goes on producing output.
func TestProviderSeed(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		sd, ok := c.(Seeder)
		if !ok {
			t.Fatalf("%T is not a Seeder", c)
		}
		seed := bytes.Repeat([]byte{0x33}, 32)
		for _, tc := range []struct {
			data []byte
			want int
		}{{nil, 0}, {seed, 32}, {make([]byte, MaxSeed+100), MaxSeed}} {
			used, err := sd.Seed(tc.data)
			if err != nil || used != tc.want {
				t.Errorf("Seed(%d bytes) = %d, %v; want %d", len(tc.data), used, err, tc.want)
			}
		}
		a, _ := c.Random(32)
		sd.Seed(seed)
		b, err := c.Random(32)
		if err != nil || bytes.Equal(a, b) {
			t.Errorf("Random after Seed: %x then %x, %v", a, b, err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := sd.Seed(seed); !errors.Is(err, ErrClosed) {
			t.Errorf("Seed after Close: %v, want ErrClosed", err)
		}
	})
}

// TestSoftwareSeedUnpredictable seeds two software modules alike: their
// outputs still differ, since the client's seed is additional input to
// the DRBG, never its only entropy.
func TestSoftwareSeedUnpredictable(t *testing.T) {
	a, _ := newTestSoftware(t)
	b, _ := newTestSoftware(t)
	seed := bytes.Repeat([]byte{0x5A}, MaxSeed)
	for _, s := range []*Software{a, b} {
		if used, err := s.Seed(seed); err != nil || used != MaxSeed {
			t.Fatalf("Seed = %d, %v", used, err)
		}
	}
	x, _ := a.Random(64)
	y, _ := b.Random(64)
	if bytes.Equal(x, y) {
		t.Fatal("two modules seeded alike produced the same output")
	}
}

// fixedSource is an entropy source that returns the same bytes each time.
func fixedSource(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(i)
	}
	return len(b), nil
}

// TestDRBGSeedChangesOutput fixes the entropy source: the output then
// depends only on the seeds, so it changes with the seed (the seed is
// mixed in) and repeats with the same seed (nothing else varies).
func TestDRBGSeedChangesOutput(t *testing.T) {
	out := func(seed []byte) []byte {
		d := &hmacDRBG{source: fixedSource}
		if err := d.Reseed(seed); err != nil {
			t.Fatal(err)
		}
		b, err := d.Generate(48)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	s1, s2 := []byte("seed one"), []byte("seed two")
	if !bytes.Equal(out(s1), out(s1)) {
		t.Error("same entropy and seed gave different outputs")
	}
	if bytes.Equal(out(s1), out(s2)) {
		t.Error("the seed does not change the output")
	}
	if bytes.Equal(out(nil), out(s1)) {
		t.Error("seeding does not change the output")
	}
}

// TestDRBGEntropyFailure: a failing entropy source fails Generate and
// Reseed instead of producing output from the seed alone.
func TestDRBGEntropyFailure(t *testing.T) {
	d := &hmacDRBG{source: func([]byte) (int, error) { return 0, errors.New("no entropy") }}
	if b, err := d.Generate(16); err == nil {
		t.Errorf("Generate = %x with no entropy", b)
	}
	if err := d.Reseed([]byte("seed")); err == nil {
		t.Error("Reseed succeeded with no entropy")
	}
}

// TestDRBGLimits: requests outside 1 to 2^16 bytes fail, and output is as
// long as asked.
func TestDRBGLimits(t *testing.T) {
	var d hmacDRBG
	for _, n := range []int{1, 31, 32, 33, drbgMaxRequest} {
		if b, err := d.Generate(n); err != nil || len(b) != n {
			t.Errorf("Generate(%d) = %d bytes, %v", n, len(b), err)
		}
	}
	for _, n := range []int{0, -1, drbgMaxRequest + 1} {
		if _, err := d.Generate(n); err == nil {
			t.Errorf("Generate(%d) succeeded", n)
		}
	}
}
