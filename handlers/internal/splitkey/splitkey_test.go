package splitkey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"
)

// subsets calls fn with every subset of {1..n}.
func subsets(n int, fn func(xs []int)) {
	for mask := 1; mask < 1<<n; mask++ {
		var xs []int
		for i := range n {
			if mask&(1<<i) != 0 {
				xs = append(xs, i+1)
			}
		}
		fn(xs)
	}
}

func TestSplitJoinEverySubset(t *testing.T) {
	// 2^255 + 95 is prime; it exceeds any 31-byte secret.
	p255, _ := new(big.Int).SetString("57896044618658097711785492504343953926634992332820282019728792003956564820063", 10)
	p257 := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(297)) // 2^256 + 297, prime
	for _, tc := range []struct {
		name   string
		method Method
		n, k   int
		size   int
		prime  *big.Int
	}{
		{"xor 2/2", XOR, 2, 2, 16, nil},
		{"xor 4/4", XOR, 4, 4, 32, nil},
		{"gf8 3/5", GF8, 5, 3, 32, nil},
		{"gf8 2/2", GF8, 2, 2, 16, nil},
		{"gf8 5/5", GF8, 5, 5, 24, nil},
		{"gf16 3/6", GF16, 6, 3, 32, nil},
		{"prime 3/5", PrimeField, 5, 3, 32, p257},
		{"prime 2/4 small key", PrimeField, 4, 2, 16, p255},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := make([]byte, tc.size)
			rand.Read(secret)
			shares, err := Split(tc.method, secret, tc.n, tc.k, tc.prime, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if len(shares) != tc.n {
				t.Fatalf("%d shares, want %d", len(shares), tc.n)
			}
			subsets(tc.n, func(xs []int) {
				set := map[int][]byte{}
				for _, x := range xs {
					set[x] = shares[x-1]
				}
				got, err := Join(tc.method, set, tc.k, tc.size, tc.prime)
				if len(xs) < tc.k {
					if err == nil {
						t.Errorf("parts %v below threshold %d: joined", xs, tc.k)
					}
					// With k-1 shares the secret is undetermined: the
					// interpolation through them alone is not the secret.
					if len(xs) == tc.k-1 && len(xs) > 0 {
						if guess, err := Join(tc.method, set, len(xs), tc.size, tc.prime); err == nil && bytes.Equal(guess, secret) {
							t.Errorf("parts %v below threshold recovered the secret", xs)
						}
					}
					return
				}
				if err != nil {
					t.Fatalf("parts %v: %v", xs, err)
				}
				if !bytes.Equal(got, secret) {
					t.Errorf("parts %v: wrong secret", xs)
				}
			})
		})
	}
}

func TestSplitRefusals(t *testing.T) {
	secret := make([]byte, 16)
	small := big.NewInt(257) // prime, but not above a 16-byte secret
	for _, tc := range []struct {
		name   string
		method Method
		n, k   int
		secret []byte
		prime  *big.Int
	}{
		{"xor threshold below parts", XOR, 3, 2, secret, nil},
		{"threshold above parts", GF8, 2, 3, secret, nil},
		{"threshold one", GF8, 3, 1, secret, nil},
		{"too many parts", GF8, 256, 2, secret, nil},
		{"gf16 odd length", GF16, 3, 2, make([]byte, 15), nil},
		{"prime missing", PrimeField, 3, 2, secret, nil},
		{"prime too small", PrimeField, 3, 2, secret, small},
		{"not prime", PrimeField, 3, 2, secret, new(big.Int).Lsh(big.NewInt(1), 200)},
		{"unknown method", Method(9), 3, 2, secret, nil},
		{"no method", 0, 3, 2, secret, nil},
	} {
		if _, err := Split(tc.method, tc.secret, tc.n, tc.k, tc.prime, rand.Reader); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: split: %v, want ErrInvalid", tc.name, err)
		}
	}
}

func TestBinaryFieldInverses(t *testing.T) {
	for _, f := range []binaryField{gf8, gf16} {
		for a := uint32(1); a < 1<<f.bits; a++ {
			if f.mul(a, f.inv(a)) != 1 {
				t.Fatalf("GF(2^%d): %#x has no inverse: the modulus is not irreducible", f.bits, a)
			}
		}
	}
}
