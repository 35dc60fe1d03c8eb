package splitkey

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
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
		name string
		p    Params
		n, k int
		size int
	}{
		{"xor 2/2", Params{Method: XOR}, 2, 2, 16},
		{"xor 4/4", Params{Method: XOR}, 4, 4, 32},
		{"gf8 3/5", Params{Method: GF8}, 5, 3, 32},
		{"gf8 2/2", Params{Method: GF8}, 2, 2, 16},
		{"gf8 5/5", Params{Method: GF8}, 5, 5, 24},
		{"gf8 aes 3/4", Params{Method: GF8, Polynomial: AESPolynomial}, 4, 3, 16},
		{"gf8 x^8+x^6+x^5+x+1 2/3", Params{Method: GF8, Polynomial: 0x163}, 3, 2, 16},
		{"gf16 3/6", Params{Method: GF16}, 6, 3, 32},
		{"gf16 aes base 2/3", Params{Method: GF16, Polynomial: AESPolynomial}, 3, 2, 16},
		{"prime 3/5", Params{Method: PrimeField, Prime: p257}, 5, 3, 32},
		{"prime 2/4 small key", Params{Method: PrimeField, Prime: p255}, 4, 2, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := make([]byte, tc.size)
			rand.Read(secret)
			shares, err := Split(tc.p, secret, tc.n, tc.k, rand.Reader)
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
				got, err := Join(tc.p, set, tc.k, tc.size)
				if len(xs) < tc.k {
					if !errors.Is(err, ErrTooFewShares) || !errors.Is(err, ErrInvalid) {
						t.Errorf("parts %v below threshold %d: %v", xs, tc.k, err)
					}
					// With k-1 shares the secret is undetermined: the
					// interpolation through them alone is not the secret.
					if len(xs) == tc.k-1 && len(xs) > 0 {
						if guess, err := Join(tc.p, set, len(xs), tc.size); err == nil && bytes.Equal(guess, secret) {
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

// TestJoinOASISParts joins the parts of a 2-of-4 Polynomial Sharing
// GF(2^8) split made by the OASIS reference implementation: the KMIP Test
// Cases 2.0 TC-SJ-2-20 (Get of the four parts of key
// 0102030405060708090A0B0C0D0E0F10) and TC-SJ-3-20 (Register of the same
// parts, Join of parts 1 and 3). Every pair rebuilds the key in the KMIP
// field, and not in the AES one.
func TestJoinOASISParts(t *testing.T) {
	parts := map[int]string{
		1: "66C46A7754F94DE420C7B1A7FFF5EC56",
		2: "CF93D1E2A7E593CD5B8D6247F4E5D49C",
		3: "A855B891F61AD9217240D8EC061E37DA",
		4: "803DBAD55CDD329FAD19D99AE2C5A415",
	}
	want, _ := hex.DecodeString("0102030405060708090A0B0C0D0E0F10")
	for i := 1; i <= 4; i++ {
		for j := i + 1; j <= 4; j++ {
			a, _ := hex.DecodeString(parts[i])
			b, _ := hex.DecodeString(parts[j])
			set := map[int][]byte{i: a, j: b}
			for _, p := range []Params{{Method: GF8}, {Method: GF8, Polynomial: KMIPPolynomial}} {
				got, err := Join(p, set, 2, 16)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("parts %d, %d (polynomial %#x): %x, %v", i, j, p.Polynomial, got, err)
				}
			}
			if got, _ := Join(Params{Method: GF8, Polynomial: AESPolynomial}, set, 2, 16); bytes.Equal(got, want) {
				t.Errorf("parts %d, %d also join in the AES field", i, j)
			}
		}
	}
	// TC-SJ-4-20: a 4-of-4 XOR split of the same key.
	xor := map[int][]byte{}
	for i, s := range []string{"d4b92c299199298e30dee13b967e6dda", "35ea4f615686230c7b11538693674e89",
		"3478ddd2e1f89f2005011d26d9fff37c", "d429bd9e23e192aa47c4a497d1e8df3f"} {
		xor[i+1], _ = hex.DecodeString(s)
	}
	if got, err := Join(Params{Method: XOR}, xor, 4, 16); err != nil || !bytes.Equal(got, want) {
		t.Errorf("XOR parts: %x, %v", got, err)
	}
}

// TestGF8PublishedProducts checks the field arithmetic against published
// values: FIPS 197 section 4.2 ({57}·{83} = {c1}) and 4.2.1 ({57}·{13} =
// {fe}) in the AES field, and the first powers of x in GF(2)[x]/(x^8+x^4+
// x^3+x^2+1), the antilog table of the QR code's Reed-Solomon field
// (ISO/IEC 18004), where x^8 = {1d} and x^25 = {03}.
func TestGF8PublishedProducts(t *testing.T) {
	aes, err := NewGF8(AESPolynomial)
	if err != nil {
		t.Fatal(err)
	}
	if got := aes.Mul(0x57, 0x83); got != 0xc1 {
		t.Errorf("AES {57}·{83} = %#x, want 0xc1", got)
	}
	if got := aes.Mul(0x57, 0x13); got != 0xfe {
		t.Errorf("AES {57}·{13} = %#x, want 0xfe", got)
	}
	kmip, err := NewGF8(KMIPPolynomial)
	if err != nil {
		t.Fatal(err)
	}
	antilog := []byte{1, 2, 4, 8, 16, 32, 64, 128, 29, 58, 116, 232, 205, 135, 19, 38, 76, 152, 45, 90, 180, 117, 234, 201, 143, 3}
	x := byte(1)
	for i, want := range antilog {
		if x != want {
			t.Fatalf("x^%d = %#x, want %#x", i, x, want)
		}
		x = kmip.Mul(x, 2)
	}
}

// TestNewGF8RefusesReduciblePolynomials counts the polynomials of degree 8
// NewGF8 accepts: GF(2) has 30 irreducible ones (OEIS A001037), among them
// the AES and KMIP polynomials; x^8+1 = (x+1)^8 and x^8+x^4+x^3+x^2 (no
// constant term) are refused, as are other degrees.
func TestNewGF8RefusesReduciblePolynomials(t *testing.T) {
	n := 0
	for p := uint16(0x100); p < 0x200; p++ {
		f, err := NewGF8(p)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%#x: %v", p, err)
			}
			continue
		}
		n++
		for a := 1; a < 256; a++ {
			if f.Mul(byte(a), f.Inv(byte(a))) != 1 {
				t.Fatalf("%#x accepted, but %#x has no inverse", p, a)
			}
		}
	}
	if n != 30 {
		t.Errorf("%d irreducible polynomials of degree 8, want 30", n)
	}
	for _, p := range []uint16{0x101, 0x11c, 0x11, 0x21d, 0} {
		if _, err := NewGF8(p); !errors.Is(err, ErrInvalid) {
			t.Errorf("%#x: %v, want ErrInvalid", p, err)
		}
		if _, err := Split(Params{Method: GF8, Polynomial: p}, make([]byte, 16), 3, 2, rand.Reader); p != 0 && !errors.Is(err, ErrInvalid) {
			t.Errorf("split with %#x: %v, want ErrInvalid", p, err)
		}
	}
}

// TestGF16IsAField checks the KMIP GF(2^16) = GF(2^8)[y]/(y^2+y+m): every
// non-zero element has the inverse the KMIP formula gives, and y^2 = y + m.
func TestGF16IsAField(t *testing.T) {
	f, err := Params{Method: GF16}.binaryField()
	if err != nil {
		t.Fatal(err)
	}
	one := elem{lo: 1}
	for a := 1; a < 1<<16; a++ {
		e := elem{hi: byte(a >> 8), lo: byte(a)}
		if f.mul(e, f.inv(e)) != one {
			t.Fatalf("%#x has no inverse", a)
		}
	}
	y := elem{hi: 1}
	if got := f.mul(y, y); got != (elem{hi: 1, lo: gf16M}) {
		t.Errorf("y^2 = %v, want y + m", got)
	}
}

func TestSplitRefusals(t *testing.T) {
	secret := make([]byte, 16)
	small := big.NewInt(257) // prime, but not above a 16-byte secret
	for _, tc := range []struct {
		name   string
		p      Params
		n, k   int
		secret []byte
	}{
		{"xor threshold below parts", Params{Method: XOR}, 3, 2, secret},
		{"threshold above parts", Params{Method: GF8}, 2, 3, secret},
		{"threshold one", Params{Method: GF8}, 3, 1, secret},
		{"too many parts", Params{Method: GF8}, 256, 2, secret},
		{"gf16 odd length", Params{Method: GF16}, 3, 2, make([]byte, 15)},
		{"reducible polynomial", Params{Method: GF8, Polynomial: 0x101}, 3, 2, secret},
		{"prime missing", Params{Method: PrimeField}, 3, 2, secret},
		{"prime too small", Params{Method: PrimeField, Prime: small}, 3, 2, secret},
		{"not prime", Params{Method: PrimeField, Prime: new(big.Int).Lsh(big.NewInt(1), 200)}, 3, 2, secret},
		{"unknown method", Params{Method: Method(9)}, 3, 2, secret},
		{"no method", Params{}, 3, 2, secret},
	} {
		if _, err := Split(tc.p, tc.secret, tc.n, tc.k, rand.Reader); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: split: %v, want ErrInvalid", tc.name, err)
		}
	}
}
