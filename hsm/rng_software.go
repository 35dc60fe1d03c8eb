package hsm

import "fmt"

var _ Seeder = (*Software)(nil)

// Random returns n bytes, 1 <= n <= MaxRandom, from the module's HMAC_DRBG
// (rng_drbg.go), which draws fresh entropy from crypto/rand for every call.
func (s *Software) Random(n int) ([]byte, error) {
	if n <= 0 || n > MaxRandom {
		return nil, fmt.Errorf("hsm: random length %d: want 1 to %d bytes", n, MaxRandom)
	}
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	return s.rng.Generate(n)
}

// Seed reseeds the module's HMAC_DRBG with fresh entropy from crypto/rand
// and up to MaxSeed bytes of data as additional input (SP 800-90A
// Reseed), and returns how many bytes of data it used.
func (s *Software) Seed(data []byte) (int, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	used := min(len(data), MaxSeed)
	if err := s.rng.Reseed(data[:used]); err != nil {
		return 0, err
	}
	return used, nil
}
