package hsm

import (
	"bytes"
	"crypto/fips140"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func newTestSoftware(t testing.TB) (*Software, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys", "kek")
	s, err := NewSoftware(path)
	if err != nil {
		t.Fatalf("NewSoftware: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestSealRoundTrip(t *testing.T) {
	s, _ := newTestSoftware(t)
	for _, n := range []int{0, 1, 16, 32, 4096} {
		plain := bytes.Repeat([]byte{0xA5}, n)
		sealed, err := s.Seal("obj-1", plain)
		if err != nil {
			t.Fatalf("Seal(%d bytes): %v", n, err)
		}
		if got, want := len(sealed), n+SealOverhead; got != want {
			t.Errorf("sealed length = %d, want %d", got, want)
		}
		// Short plaintexts occur in random ciphertext by chance; 16 bytes
		// cannot.
		if n >= 16 && bytes.Contains(sealed, plain) {
			t.Errorf("sealed output contains the plaintext")
		}
		got, err := s.Unseal("obj-1", sealed)
		if err != nil {
			t.Fatalf("Unseal(%d bytes): %v", n, err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Unseal = %x, want %x", got, plain)
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	s, _ := newTestSoftware(t)
	a, _ := s.Seal("id", []byte("same plaintext"))
	b, _ := s.Seal("id", []byte("same plaintext"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are equal: nonce not random")
	}
}

func TestUnsealWrongID(t *testing.T) {
	s, _ := newTestSoftware(t)
	sealed, err := s.Seal("obj-1", []byte("secret key bytes"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"obj-2", "", "obj-1 ", "obj-"} {
		if _, err := s.Unseal(id, sealed); !errors.Is(err, ErrUnseal) {
			t.Errorf("Unseal(%q) error = %v, want ErrUnseal", id, err)
		}
	}
}

func TestUnsealTamperedEveryByte(t *testing.T) {
	s, _ := newTestSoftware(t)
	sealed, err := s.Seal("obj-1", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		if _, err := s.Unseal("obj-1", tampered); !errors.Is(err, ErrUnseal) {
			t.Errorf("byte %d flipped: error = %v, want ErrUnseal", i, err)
		}
	}
	for n := range len(sealed) {
		if _, err := s.Unseal("obj-1", sealed[:n]); !errors.Is(err, ErrUnseal) {
			t.Errorf("truncated to %d bytes: error = %v, want ErrUnseal", n, err)
		}
	}
	if _, err := s.Unseal("obj-1", append(bytes.Clone(sealed), 0)); !errors.Is(err, ErrUnseal) {
		t.Errorf("extended by a byte: error = %v, want ErrUnseal", err)
	}
}

func TestUnsealAnotherKEK(t *testing.T) {
	s1, _ := newTestSoftware(t)
	s2, _ := newTestSoftware(t)
	sealed, err := s1.Seal("obj-1", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Unseal("obj-1", sealed); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Unseal under another KEK: error = %v, want ErrUnseal", err)
	}
	// Same key id, other key: the header check passes and GCM must refuse.
	forged := bytes.Clone(sealed)
	copy(forged[1:5], s2.header[1:5])
	if _, err := s2.Unseal("obj-1", forged); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Unseal with forged key id: error = %v, want ErrUnseal", err)
	}
}

func TestKeyFilePersists(t *testing.T) {
	s1, path := newTestSoftware(t)
	sealed, err := s1.Seal("obj-1", []byte("survives restart"))
	if err != nil {
		t.Fatal(err)
	}
	s1.Close()
	s2, err := NewSoftware(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if s2.KeyID() != s1.KeyID() {
		t.Errorf("key id changed on reopen: %d -> %d", s1.KeyID(), s2.KeyID())
	}
	got, err := s2.Unseal("obj-1", sealed)
	if err != nil || string(got) != "survives restart" {
		t.Fatalf("Unseal after reopen = %q, %v", got, err)
	}
}

func TestKeyFileModes(t *testing.T) {
	_, path := newTestSoftware(t)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	if info.Size() != int64(keyFileSize) {
		t.Errorf("key file size = %d, want %d", info.Size(), keyFileSize)
	}
	dinfo, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := dinfo.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory mode = %04o, want 0700", perm)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file", len(entries))
	}

	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := NewSoftware(path); err == nil {
			t.Errorf("NewSoftware accepted a key file with mode %04o", mode)
		}
	}
}

func TestKeyFileRefusesBadContent(t *testing.T) {
	_, good := newTestSoftware(t)
	valid, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	badVersion := bytes.Clone(valid)
	badVersion[len(keyFileMagic)] = 99
	cases := map[string][]byte{
		"empty":       {},
		"raw 32 byte": make([]byte, 32),
		"truncated":   valid[:len(valid)-1],
		"extended":    append(bytes.Clone(valid), 0),
		"bad magic":   append([]byte("XXXXXXXX"), valid[8:]...),
		"bad version": badVersion,
	}
	for name, content := range cases {
		path := filepath.Join(t.TempDir(), "kek")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := NewSoftware(path)
		if err == nil {
			s.Close()
			t.Errorf("%s: NewSoftware accepted the key file", name)
			continue
		}
		if strings.Contains(err.Error(), fmt.Sprintf("%x", valid[13:])) {
			t.Errorf("%s: error contains key material", name)
		}
	}
	if _, err := NewSoftware(t.TempDir()); err == nil {
		t.Error("NewSoftware accepted a directory as key file")
	}
}

func TestGenerateKey(t *testing.T) {
	s, _ := newTestSoftware(t)
	for _, bits := range []int{128, 192, 256, 8} {
		key, err := s.GenerateKey(bits)
		if err != nil {
			t.Fatalf("GenerateKey(%d): %v", bits, err)
		}
		if len(key) != bits/8 {
			t.Errorf("GenerateKey(%d) key length = %d bytes", bits, len(key))
		}
	}
	a, _ := s.GenerateKey(256)
	b, _ := s.GenerateKey(256)
	if bytes.Equal(a, b) {
		t.Error("two generated keys are equal")
	}
	for _, bits := range []int{0, -8, 7, 129, MaxKeyBits + 8} {
		if _, err := s.GenerateKey(bits); err == nil {
			t.Errorf("GenerateKey(%d) succeeded", bits)
		}
	}
}

func TestRandom(t *testing.T) {
	s, _ := newTestSoftware(t)
	b, err := s.Random(32)
	if err != nil || len(b) != 32 {
		t.Fatalf("Random(32) = %d bytes, %v", len(b), err)
	}
	if bytes.Equal(b, make([]byte, 32)) {
		t.Error("Random(32) returned zeros")
	}
	if _, err := s.Random(MaxRandom); err != nil {
		t.Errorf("Random(MaxRandom): %v", err)
	}
	for _, n := range []int{0, -1, MaxRandom + 1} {
		if _, err := s.Random(n); err == nil {
			t.Errorf("Random(%d) succeeded", n)
		}
	}
}

func TestSealTooLarge(t *testing.T) {
	s, _ := newTestSoftware(t)
	if _, err := s.Seal("id", make([]byte, MaxPlaintext+1)); err == nil {
		t.Fatal("Seal accepted more than MaxPlaintext bytes")
	}
}

func TestClose(t *testing.T) {
	s, _ := newTestSoftware(t)
	sealed, _ := s.Seal("id", []byte("x"))
	kek := s.kek
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kek, make([]byte, kekSize)) {
		t.Error("Close left the KEK in memory")
	}
	if _, err := s.Seal("id", []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Seal after Close: %v", err)
	}
	if _, err := s.Unseal("id", sealed); !errors.Is(err, ErrClosed) {
		t.Errorf("Unseal after Close: %v", err)
	}
	if _, err := s.GenerateKey(256); !errors.Is(err, ErrClosed) {
		t.Errorf("GenerateKey after Close: %v", err)
	}
	if _, err := s.Random(8); !errors.Is(err, ErrClosed) {
		t.Errorf("Random after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, _ := newTestSoftware(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprintf("g%d-%d", g, i)
				key, err := s.GenerateKey(256)
				if err != nil {
					errs <- err
					return
				}
				sealed, err := s.Seal(id, key)
				if err != nil {
					errs <- err
					return
				}
				if got, err := s.Unseal(id, sealed); err != nil || !bytes.Equal(got, key) {
					errs <- fmt.Errorf("Unseal %s: %x, %v; want the generated key", id, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConcurrentCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	ids := make([]uint32, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := NewSoftware(path)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = s.KeyID()
			s.Close()
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent NewSoftware saw different KEKs: %v", ids)
		}
	}
}

// TestFIPS140 re-runs the provider's work in a child test process under
// Go's FIPS 140-3 mode, both "on" and the strict "only" that refuses any
// non-approved algorithm or use.
func TestFIPS140(t *testing.T) {
	if os.Getenv("KMIPD_FIPS_CHILD") == "1" {
		fipsChild(t)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	for _, mode := range []string{"on", "only"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFIPS140$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "GODEBUG=fips140="+mode, "KMIPD_FIPS_CHILD=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child under fips140=%s: %v\n%s", mode, err, out)
			}
			if !strings.Contains(string(out), "fips140 enabled") {
				t.Fatalf("child did not run in FIPS mode:\n%s", out)
			}
		})
	}
}

func fipsChild(t *testing.T) {
	if !fips140.Enabled() {
		t.Fatal("GODEBUG=fips140 set but crypto/fips140.Enabled() is false")
	}
	t.Log("fips140 enabled")
	s, _ := newTestSoftware(t)
	key, err := s.GenerateKey(256)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	sealed, err := s.Seal("obj", key)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if got, err := s.Unseal("obj", sealed); err != nil || !bytes.Equal(got, key) {
		t.Fatalf("Unseal = %x, %v; want the generated key", got, err)
	}
	if _, err := s.Unseal("other", sealed); !errors.Is(err, ErrUnseal) {
		t.Fatalf("Unseal wrong id: %v", err)
	}
	if _, err := s.Random(64); err != nil {
		t.Fatalf("Random: %v", err)
	}
}

func BenchmarkSealUnseal32(b *testing.B) {
	s, _ := newTestSoftware(b)
	key := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		sealed, err := s.Seal("0f6b8a2e-1c52-4b8e-9a3f-5d7c1e2b4a60", key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Unseal("0f6b8a2e-1c52-4b8e-9a3f-5d7c1e2b4a60", sealed); err != nil {
			b.Fatal(err)
		}
	}
}
