package hsm

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// providerCases are the providers every contract test runs against: the
// software one, and the PKCS#11 one on a fresh SoftHSM2 token.
var providerCases = []struct {
	name string
	open func(testing.TB) Crypto
}{
	{ProviderSoftware, func(t testing.TB) Crypto {
		return openTest(t, Config{KeyFile: filepath.Join(t.TempDir(), "kek")})
	}},
	{ProviderPKCS11, func(t testing.TB) Crypto {
		return openTest(t, Config{Provider: ProviderPKCS11, PKCS11: newSoftHSMToken(t)})
	}},
}

// forEachProvider runs test once per provider, each on a fresh module.
func forEachProvider(t *testing.T, test func(*testing.T, Crypto)) {
	for _, pc := range providerCases {
		t.Run(pc.name, func(t *testing.T) { test(t, pc.open(t)) })
	}
}

func TestProviderRoundTrip(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, n := range []int{0, 1, 16, 32, 4096} {
			plain := bytes.Repeat([]byte{0xA5}, n)
			sealed, err := c.Seal("obj-1", plain)
			if err != nil {
				t.Fatalf("Seal(%d bytes): %v", n, err)
			}
			if got, want := len(sealed), n+SealOverhead; got != want {
				t.Errorf("sealed length = %d, want %d", got, want)
			}
			if n >= 16 && bytes.Contains(sealed, plain) { // shorter runs occur by chance
				t.Errorf("sealed output contains the plaintext")
			}
			got, err := c.Unseal("obj-1", sealed)
			if err != nil {
				t.Fatalf("Unseal(%d bytes): %v", n, err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("Unseal = %x, want %x", got, plain)
			}
		}
		a, _ := c.Seal("id", []byte("same plaintext"))
		b, _ := c.Seal("id", []byte("same plaintext"))
		if bytes.Equal(a[SealHeaderSize:SealHeaderSize+SealNonceSize], b[SealHeaderSize:SealHeaderSize+SealNonceSize]) {
			t.Error("two seals used the same nonce")
		}
		if _, err := c.Seal("id", make([]byte, MaxPlaintext+1)); err == nil {
			t.Error("Seal accepted more than MaxPlaintext bytes")
		}
	})
}

func TestProviderWrongID(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		sealed, err := c.Seal("obj-1", []byte("secret key bytes"))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"obj-2", "", "obj-1 ", "obj-", "OBJ-1"} {
			if _, err := c.Unseal(id, sealed); !errors.Is(err, ErrUnseal) {
				t.Errorf("Unseal(%q) error = %v, want ErrUnseal", id, err)
			}
		}
		// The failures left the module usable.
		if _, err := c.Unseal("obj-1", sealed); err != nil {
			t.Errorf("Unseal with the right id after failures: %v", err)
		}
	})
}

func TestProviderTamperedEveryByte(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		secret := bytes.Repeat([]byte{0x5A}, 32)
		sealed, err := c.Seal("obj-1", secret)
		if err != nil {
			t.Fatal(err)
		}
		for i := range sealed {
			for _, flip := range []byte{0x01, 0x80} {
				tampered := bytes.Clone(sealed)
				tampered[i] ^= flip
				got, err := c.Unseal("obj-1", tampered)
				if !errors.Is(err, ErrUnseal) {
					t.Errorf("byte %d ^ %#x: error = %v, want ErrUnseal", i, flip, err)
				}
				if got != nil {
					t.Errorf("byte %d ^ %#x: returned %d bytes of plaintext", i, flip, len(got))
				}
				if err != nil && bytes.Contains([]byte(err.Error()), []byte(fmt.Sprintf("%x", secret))) {
					t.Errorf("error contains the plaintext")
				}
			}
		}
		for n := range len(sealed) {
			if _, err := c.Unseal("obj-1", sealed[:n]); !errors.Is(err, ErrUnseal) {
				t.Errorf("truncated to %d bytes: error = %v, want ErrUnseal", n, err)
			}
		}
		if _, err := c.Unseal("obj-1", append(bytes.Clone(sealed), 0)); !errors.Is(err, ErrUnseal) {
			t.Errorf("extended by a byte: error = %v, want ErrUnseal", err)
		}
		if got, err := c.Unseal("obj-1", sealed); err != nil || !bytes.Equal(got, secret) {
			t.Errorf("Unseal of the original after tampering = %x, %v", got, err)
		}
	})
}

func TestProviderGenerateKey(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, bits := range []int{8, 128, 192, 256, MaxKeyBits} {
			key, err := c.GenerateKey(bits)
			if err != nil {
				t.Fatalf("GenerateKey(%d): %v", bits, err)
			}
			if len(key) != bits/8 {
				t.Errorf("GenerateKey(%d) key length = %d bytes", bits, len(key))
			}
		}
		a, _ := c.GenerateKey(256)
		b, _ := c.GenerateKey(256)
		if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
			t.Error("generated keys are equal or zero")
		}
		for _, bits := range []int{0, -8, 7, 129, MaxKeyBits + 8} {
			if key, err := c.GenerateKey(bits); err == nil || key != nil {
				t.Errorf("GenerateKey(%d) = %d bytes, %v; want an error and no key", bits, len(key), err)
			}
		}
	})
}

func TestProviderRandom(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		a, err := c.Random(32)
		if err != nil || len(a) != 32 {
			t.Fatalf("Random(32) = %d bytes, %v", len(a), err)
		}
		b, _ := c.Random(32)
		if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
			t.Error("Random(32) repeated itself or returned zeros")
		}
		if b, err := c.Random(MaxRandom); err != nil || len(b) != MaxRandom {
			t.Errorf("Random(MaxRandom) = %d bytes, %v", len(b), err)
		}
		for _, n := range []int{0, -1, MaxRandom + 1} {
			if _, err := c.Random(n); err == nil {
				t.Errorf("Random(%d) succeeded", n)
			}
		}
	})
}

func TestProviderConcurrentUse(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		const goroutines, rounds = 16, 50
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := range goroutines {
			wg.Go(func() {
				for i := range rounds {
					id := fmt.Sprintf("g%d-%d", g, i)
					key, err := c.GenerateKey(256)
					if err != nil {
						errs <- err
						return
					}
					sealed, err := c.Seal(id, key)
					if err != nil {
						errs <- err
						return
					}
					if got, err := c.Unseal(id, sealed); err != nil || !bytes.Equal(got, key) {
						errs <- fmt.Errorf("Unseal %s: %x, %v; want the generated key", id, got, err)
						return
					}
					if _, err := c.Unseal(id+"x", sealed); !errors.Is(err, ErrUnseal) {
						errs <- fmt.Errorf("Unseal for another id: %v", err)
						return
					}
					if _, err := c.Random(16); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestProviderClose(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		sealed, err := c.Seal("id", []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Seal("id", []byte("x")); !errors.Is(err, ErrClosed) {
			t.Errorf("Seal after Close: %v", err)
		}
		if _, err := c.Unseal("id", sealed); !errors.Is(err, ErrClosed) {
			t.Errorf("Unseal after Close: %v", err)
		}
		if _, err := c.Unseal("id", []byte("short")); !errors.Is(err, ErrClosed) {
			t.Errorf("Unseal of garbage after Close: %v", err)
		}
		if _, err := c.GenerateKey(256); !errors.Is(err, ErrClosed) {
			t.Errorf("GenerateKey after Close: %v", err)
		}
		if _, err := c.Random(8); !errors.Is(err, ErrClosed) {
			t.Errorf("Random after Close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// BenchmarkProvider measures each provider: Seal+Unseal of a 32-byte key
// (one op is both), GenerateKey of an AES-256 key, Seal of 1 KiB, and
// Seal+Unseal from parallel goroutines.
func BenchmarkProvider(b *testing.B) {
	const id = "0f6b8a2e-1c52-4b8e-9a3f-5d7c1e2b4a60"
	opsPerSecond := func(b *testing.B, n int) {
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
	}
	for _, pc := range providerCases {
		b.Run(pc.name+"/SealUnseal32", func(b *testing.B) {
			c := pc.open(b)
			key := make([]byte, 32)
			n := 0
			for b.Loop() {
				sealed, err := c.Seal(id, key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Unseal(id, sealed); err != nil {
					b.Fatal(err)
				}
				n++
			}
			opsPerSecond(b, n)
		})
		b.Run(pc.name+"/GenerateKeyAES256", func(b *testing.B) {
			c := pc.open(b)
			n := 0
			for b.Loop() {
				if _, err := c.GenerateKey(256); err != nil {
					b.Fatal(err)
				}
				n++
			}
			opsPerSecond(b, n)
		})
		b.Run(pc.name+"/Seal1KiB", func(b *testing.B) {
			c := pc.open(b)
			data := make([]byte, 1024)
			b.SetBytes(int64(len(data)))
			n := 0
			for b.Loop() {
				if _, err := c.Seal(id, data); err != nil {
					b.Fatal(err)
				}
				n++
			}
			opsPerSecond(b, n)
		})
		b.Run(pc.name+"/SealUnseal32Parallel", func(b *testing.B) {
			c := pc.open(b)
			b.RunParallel(func(pb *testing.PB) {
				key := make([]byte, 32)
				for pb.Next() {
					sealed, err := c.Seal(id, key)
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := c.Unseal(id, sealed); err != nil {
						b.Error(err)
						return
					}
				}
			})
			opsPerSecond(b, b.N)
		})
	}
}
