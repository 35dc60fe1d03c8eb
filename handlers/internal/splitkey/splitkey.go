// Package splitkey is the arithmetic of the KMIP Create Split Key and Join
// Split Key operations: it splits a secret into n shares, any k of which
// rebuild it, by one of four methods.
//
// The shares are numbered 1..n (the KMIP Key Part Identifiers):
//
//	XOR         k == n; shares 1..n-1 random, share n the XOR of the secret
//	            and all of them
//	GF8         Shamir, byte by byte, in GF(2^8) modulo x^8+x^4+x^3+x+1 (the
//	            AES field)
//	GF16        Shamir, 16-bit big-endian word by word, in GF(2^16) modulo
//	            x^16+x^12+x^3+x+1; the secret has an even number of bytes
//	PrimeField  Shamir over the integers modulo a prime p; the secret, read
//	            big-endian, is below p; each share is as many bytes as p
//
// The package knows nothing of KMIP messages or objects; the caller maps the
// Split Key Method enumeration to a [Method].
//
// Concurrency: the functions are pure and safe for concurrent use;
// randomness comes from the reader given.
//
// Errors: parameters or shares the method cannot honour are [ErrInvalid]
// (wrapped or not, test with errors.Is); a failing random reader's error is
// returned as is. Errors never contain secret bytes. The caller owns the
// slices it passes and receives, and zeroes them; the package zeroes its own
// random coefficients.
package splitkey

import (
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"slices"
)

// Method is a way to split a secret. The zero Method is no method: Split and
// Join refuse it.
type Method int

// The methods, after the KMIP Split Key Method values they implement.
const (
	XOR        Method = iota + 1 // KMIP XOR
	GF8                          // KMIP Polynomial Sharing GF (2^8)
	GF16                         // KMIP Polynomial Sharing GF (2^16)
	PrimeField                   // KMIP Polynomial Sharing Prime Field
)

// MaxParts bounds the number of shares: the GF8 method cannot number more,
// and a request for more is a resource abuse in any method.
const MaxParts = 255

// ErrInvalid reports split parameters or shares the method cannot honour.
var ErrInvalid = errors.New("split key: invalid parameters")

// Split splits secret into n shares with threshold k by method m and returns
// them in order: share i (0-based) has Key Part Identifier i+1. prime is the
// field of the PrimeField method and is ignored by the others; rnd supplies
// the random shares or coefficients (crypto/rand.Reader in production).
//
// It returns ErrInvalid unless 2 <= k <= n <= MaxParts and secret is not
// empty, and when the method refuses them: XOR needs k == n, GF16 an even
// length, PrimeField a prime above n and above any secret of len(secret)
// bytes.
func Split(m Method, secret []byte, n, k int, prime *big.Int, rnd io.Reader) ([][]byte, error) {
	if k < 2 || n < k || n > MaxParts || len(secret) == 0 {
		return nil, ErrInvalid
	}
	switch m {
	case XOR:
		if k != n {
			return nil, ErrInvalid
		}
		return splitXOR(secret, n, rnd)
	case GF8:
		return gf8.split(secret, n, k, rnd)
	case GF16:
		if len(secret)%2 != 0 {
			return nil, ErrInvalid
		}
		return gf16.split(secret, n, k, rnd)
	case PrimeField:
		return splitPrime(secret, n, k, prime, rnd)
	}
	return nil, ErrInvalid
}

// Join rebuilds a secret from shares, a map from Key Part Identifier (1..n)
// to share, by method m with threshold k; it uses the k shares of lowest
// identifiers (all n for XOR). size is the length of the secret, which only
// the PrimeField method needs (its shares are as wide as the prime); prime is
// that method's field.
//
// Fewer than k shares, identifiers below 1, shares of different widths or a
// secret that does not fit size bytes are ErrInvalid. Shares that are not of
// one split yield a wrong secret, which nothing can detect.
func Join(m Method, shares map[int][]byte, k, size int, prime *big.Int) ([]byte, error) {
	if k < 1 || len(shares) < k {
		return nil, ErrInvalid
	}
	xs := make([]int, 0, len(shares))
	for x := range shares {
		xs = append(xs, x)
	}
	slices.Sort(xs)
	xs = xs[:k]
	width := len(shares[xs[0]])
	for _, x := range xs {
		if x < 1 || len(shares[x]) != width {
			return nil, ErrInvalid
		}
	}
	switch m {
	case XOR:
		out := make([]byte, width)
		for _, x := range xs {
			for i, b := range shares[x] {
				out[i] ^= b
			}
		}
		return out, nil
	case GF8:
		return gf8.join(shares, xs, width)
	case GF16:
		return gf16.join(shares, xs, width)
	case PrimeField:
		return joinPrime(shares, xs, size, prime)
	}
	return nil, ErrInvalid
}

func splitXOR(secret []byte, n int, rnd io.Reader) ([][]byte, error) {
	shares := make([][]byte, n)
	last := append([]byte(nil), secret...)
	for i := range n - 1 {
		shares[i] = make([]byte, len(secret))
		if _, err := io.ReadFull(rnd, shares[i]); err != nil {
			return nil, err
		}
		for j, b := range shares[i] {
			last[j] ^= b
		}
	}
	shares[n-1] = last
	return shares, nil
}

// binaryField is GF(2^bits) modulo the irreducible polynomial poly (with
// its x^bits term); elements are big-endian words of bits/8 bytes.
type binaryField struct {
	bits uint
	poly uint32
}

var (
	gf8  = binaryField{bits: 8, poly: 0x11b}
	gf16 = binaryField{bits: 16, poly: 0x1100b}
)

func (f binaryField) mul(a, b uint32) uint32 {
	var p uint32
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			p ^= a
		}
		a <<= 1
		if a&(1<<f.bits) != 0 {
			a ^= f.poly
		}
	}
	return p
}

// inv returns a^(2^bits - 2), the inverse of a non-zero a.
func (f binaryField) inv(a uint32) uint32 {
	r := uint32(1)
	for e := uint32(1)<<f.bits - 2; e != 0; e >>= 1 {
		if e&1 != 0 {
			r = f.mul(r, a)
		}
		a = f.mul(a, a)
	}
	return r
}

func (f binaryField) width() int { return int(f.bits / 8) }

func (f binaryField) get(b []byte, i int) uint32 {
	if f.bits == 8 {
		return uint32(b[i])
	}
	return uint32(b[2*i])<<8 | uint32(b[2*i+1])
}

func (f binaryField) put(b []byte, i int, v uint32) {
	if f.bits == 8 {
		b[i] = byte(v)
		return
	}
	b[2*i], b[2*i+1] = byte(v>>8), byte(v)
}

// split evaluates, for every word of secret, a random polynomial of degree
// k-1 whose constant term is the word at x = 1..n.
func (f binaryField) split(secret []byte, n, k int, rnd io.Reader) ([][]byte, error) {
	words := len(secret) / f.width()
	coeffs := make([]byte, (k-1)*len(secret))
	if _, err := io.ReadFull(rnd, coeffs); err != nil {
		return nil, err
	}
	defer clear(coeffs)
	shares := make([][]byte, n)
	for s := range shares {
		x := uint32(s + 1)
		shares[s] = make([]byte, len(secret))
		for w := range words {
			// Horner, highest coefficient first.
			var y uint32
			for c := k - 2; c >= 0; c-- {
				y = f.mul(y, x) ^ f.get(coeffs[c*len(secret):], w)
			}
			y = f.mul(y, x) ^ f.get(secret, w)
			f.put(shares[s], w, y)
		}
	}
	return shares, nil
}

// join interpolates at x = 0 from the shares at xs.
func (f binaryField) join(shares map[int][]byte, xs []int, width int) ([]byte, error) {
	if width%f.width() != 0 || xs[len(xs)-1] >= 1<<f.bits {
		return nil, ErrInvalid
	}
	// Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); minus is XOR.
	basis := make([]uint32, len(xs))
	for i, xi := range xs {
		l := uint32(1)
		for j, xj := range xs {
			if i != j {
				l = f.mul(l, f.mul(uint32(xj), f.inv(uint32(xj^xi))))
			}
		}
		basis[i] = l
	}
	out := make([]byte, width)
	for w := range width / f.width() {
		var y uint32
		for i, x := range xs {
			y ^= f.mul(basis[i], f.get(shares[x], w))
		}
		f.put(out, w, y)
	}
	return out, nil
}

// checkPrime checks a Prime Field Size: a prime greater than the number of
// parts and than any secret of size bytes.
func checkPrime(prime *big.Int, n, size int) error {
	if prime == nil || prime.Sign() <= 0 || !prime.ProbablyPrime(32) {
		return ErrInvalid
	}
	if prime.Cmp(big.NewInt(int64(n))) <= 0 || prime.BitLen() <= 8*size {
		return ErrInvalid
	}
	return nil
}

func splitPrime(secret []byte, n, k int, prime *big.Int, rnd io.Reader) ([][]byte, error) {
	if err := checkPrime(prime, n, len(secret)); err != nil {
		return nil, err
	}
	coeffs := make([]*big.Int, k)
	coeffs[0] = new(big.Int).SetBytes(secret)
	for i := 1; i < k; i++ {
		c, err := rand.Int(rnd, prime)
		if err != nil {
			return nil, err
		}
		coeffs[i] = c
	}
	width := (prime.BitLen() + 7) / 8
	shares := make([][]byte, n)
	y := new(big.Int)
	for s := range shares {
		x := big.NewInt(int64(s + 1))
		y.SetInt64(0)
		for c := k - 1; c >= 0; c-- {
			y.Mul(y, x).Add(y, coeffs[c]).Mod(y, prime)
		}
		shares[s] = y.FillBytes(make([]byte, width))
	}
	return shares, nil
}

func joinPrime(shares map[int][]byte, xs []int, size int, prime *big.Int) ([]byte, error) {
	if prime == nil || prime.Sign() <= 0 {
		return nil, ErrInvalid
	}
	secret := new(big.Int)
	for i, xi := range xs {
		num, den := big.NewInt(1), big.NewInt(1)
		for j, xj := range xs {
			if i != j {
				num.Mul(num, big.NewInt(int64(xj))).Mod(num, prime)
				den.Mul(den, big.NewInt(int64(xj-xi))).Mod(den, prime)
			}
		}
		if den.ModInverse(den, prime) == nil {
			return nil, ErrInvalid
		}
		term := new(big.Int).SetBytes(shares[xi])
		term.Mul(term, num).Mul(term, den)
		secret.Add(secret, term).Mod(secret, prime)
	}
	if (secret.BitLen()+7)/8 > size {
		return nil, ErrInvalid
	}
	return secret.FillBytes(make([]byte, size)), nil
}
