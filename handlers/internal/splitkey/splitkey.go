// Package splitkey is the arithmetic of the KMIP Create Split Key and Join
// Split Key operations: it splits a secret into n shares, any k of which
// rebuild it, by one of four methods.
//
// The shares are numbered 1..n (the KMIP Key Part Identifiers):
//
//	XOR         k == n; shares 1..n-1 random, share n the XOR of the secret
//	            and all of them
//	GF8         Shamir, byte by byte, in GF(2^8) = GF(2)[x]/(p), p the
//	            Params.Polynomial (KMIPPolynomial unless the caller names
//	            another irreducible one)
//	GF16        Shamir, 16-bit big-endian piece by piece, in GF(2^16) built
//	            as GF(2^8)[y]/(y^2+y+m), m = x^5+x^4+x^3+x, over the same
//	            GF(2^8); the secret has an even number of bytes
//	PrimeField  Shamir over the integers modulo a prime p; the secret, read
//	            big-endian, is below p; each share is as many bytes as p
//
// The fields are those of the KMIP Split Key object (KMIP 1.2-1.4 section
// 2.2.8, 2.0-2.1 Split Key object), which defines GF(2^16) as that quadratic
// extension of GF(2^8) and GF(2^8) as GF(2)[x]/(x^8+x^4+x^3+x^2+1), with the
// arithmetic of FIPS 197 sections 4.1 and 4.2 in that field. The OASIS KMIP
// 2.0 test cases (TC-SJ-2-20, TC-SJ-3-20) give parts that interpolate in
// that field and no other.
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

// KMIPPolynomial is x^8+x^4+x^3+x^2+1, the GF(2^8) reduction polynomial of
// the KMIP 1.2-2.1 Split Key object ("Polynomial-285" of the KMIP 3.0 Split
// Key Polynomial enumeration, which also offers AESPolynomial).
const KMIPPolynomial = 0x11d

// AESPolynomial is x^8+x^4+x^3+x+1, the GF(2^8) reduction polynomial of
// AES (FIPS 197 section 4.2; KMIP 3.0 "Polynomial-283").
const AESPolynomial = 0x11b

// gf16M is m = x^5+x^4+x^3+x, the constant of the KMIP GF(2^16) extension
// GF(2^8)[y]/(y^2+y+m).
const gf16M = 0x3a

// MaxParts bounds the number of shares: the GF8 method cannot number more,
// and a request for more is a resource abuse in any method.
const MaxParts = 255

// ErrInvalid reports split parameters or shares the method cannot honour.
var ErrInvalid = errors.New("split key: invalid parameters")

// Params are the parameters of a split besides its number of shares and
// threshold; the shares of one split are joined with the same Params.
type Params struct {
	Method Method
	// Polynomial is the reduction polynomial of GF(2^8), with its x^8 term
	// (0x100-0x1ff), for GF8 and for GF16, whose base field it defines;
	// 0 is KMIPPolynomial. A reducible polynomial (and, for GF16, one over
	// which y^2+y+m is reducible) is ErrInvalid. Ignored by the others.
	Polynomial uint16
	// Prime is the field of PrimeField; ignored by the others.
	Prime *big.Int
}

// Split splits secret into n shares with threshold k by p and returns them
// in order: share i (0-based) has Key Part Identifier i+1. rnd supplies the
// random shares or coefficients (crypto/rand.Reader in production).
//
// It returns ErrInvalid unless 2 <= k <= n <= MaxParts and secret is not
// empty, and when the method refuses them: XOR needs k == n, GF16 an even
// length, PrimeField a prime above n and above any secret of len(secret)
// bytes, GF8 and GF16 a field polynomial (see Params).
func Split(p Params, secret []byte, n, k int, rnd io.Reader) ([][]byte, error) {
	if k < 2 || n < k || n > MaxParts || len(secret) == 0 {
		return nil, ErrInvalid
	}
	switch p.Method {
	case XOR:
		if k != n {
			return nil, ErrInvalid
		}
		return splitXOR(secret, n, rnd)
	case GF8, GF16:
		f, err := p.binaryField()
		if err != nil {
			return nil, err
		}
		if len(secret)%f.width != 0 {
			return nil, ErrInvalid
		}
		return f.split(secret, n, k, rnd)
	case PrimeField:
		return splitPrime(secret, n, k, p.Prime, rnd)
	}
	return nil, ErrInvalid
}

// Join rebuilds a secret from shares, a map from Key Part Identifier (1..n)
// to share, by p with threshold k; it uses the k shares of lowest
// identifiers (all n for XOR). size is the length of the secret, which only
// the PrimeField method needs (its shares are as wide as the prime).
//
// Fewer than k shares is [ErrTooFewShares]; identifiers below 1, shares of
// different widths, a secret that does not fit size bytes or parameters
// Split would refuse are ErrInvalid. Shares that are not of one split yield
// a wrong secret, which nothing can detect.
func Join(p Params, shares map[int][]byte, k, size int) ([]byte, error) {
	if k < 1 {
		return nil, ErrInvalid
	}
	if len(shares) < k {
		return nil, ErrTooFewShares
	}
	xs := make([]int, 0, len(shares))
	for x := range shares {
		xs = append(xs, x)
	}
	slices.Sort(xs)
	xs = xs[:k]
	width := len(shares[xs[0]])
	for _, x := range xs {
		if x < 1 || x > MaxParts || len(shares[x]) != width {
			return nil, ErrInvalid
		}
	}
	switch p.Method {
	case XOR:
		out := make([]byte, width)
		for _, x := range xs {
			for i, b := range shares[x] {
				out[i] ^= b
			}
		}
		return out, nil
	case GF8, GF16:
		f, err := p.binaryField()
		if err != nil {
			return nil, err
		}
		return f.join(shares, xs, width)
	case PrimeField:
		return joinPrime(shares, xs, size, p.Prime)
	}
	return nil, ErrInvalid
}

// ErrTooFewShares reports a Join given fewer shares than the threshold. It
// wraps ErrInvalid.
var ErrTooFewShares = tooFew{}

type tooFew struct{}

func (tooFew) Error() string        { return "split key: fewer shares than the threshold" }
func (tooFew) Is(target error) bool { return target == ErrInvalid }

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

// GF8Field is GF(2^8) modulo an irreducible polynomial: elements are bytes,
// addition is XOR.
type GF8Field struct {
	poly uint16
}

// NewGF8 returns GF(2^8) modulo poly, a polynomial over GF(2) of degree 8
// written with its x^8 term (bit i is the coefficient of x^i). A polynomial
// of another degree or a reducible one, which makes no field, is
// ErrInvalid.
func NewGF8(poly uint16) (GF8Field, error) {
	if poly>>8 != 1 || !irreducible(uint32(poly), 8) {
		return GF8Field{}, ErrInvalid
	}
	return GF8Field{poly: poly}, nil
}

// irreducible reports whether the polynomial p of degree deg over GF(2) has
// no factor of degree 1 to deg/2.
func irreducible(p uint32, deg int) bool {
	for d := uint32(2); d < 1<<(deg/2+1); d++ {
		if polyMod(p, d) == 0 {
			return false
		}
	}
	return true
}

// polyMod returns a modulo b, polynomials over GF(2); b is not zero.
func polyMod(a, b uint32) uint32 {
	db := bitLen(b)
	for da := bitLen(a); da >= db; da = bitLen(a) {
		a ^= b << (da - db)
	}
	return a
}

func bitLen(a uint32) int {
	n := 0
	for ; a != 0; a >>= 1 {
		n++
	}
	return n
}

// Mul returns a·b.
func (f GF8Field) Mul(a, b byte) byte {
	var p byte
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			p ^= a
		}
		carry := a & 0x80
		a <<= 1
		if carry != 0 {
			a ^= byte(f.poly)
		}
	}
	return p
}

// Inv returns the inverse of a non-zero a, a^254; Inv(0) is 0.
func (f GF8Field) Inv(a byte) byte {
	r := byte(1)
	for e := 254; e != 0; e >>= 1 {
		if e&1 != 0 {
			r = f.Mul(r, a)
		}
		a = f.Mul(a, a)
	}
	return r
}

// elem is an element of GF(2^8) (hi 0) or of GF(2^16) (hi·y + lo).
type elem struct{ hi, lo byte }

// binaryField is GF(2^8) (width 1) or its KMIP quadratic extension
// GF(2^16) (width 2); words of the secret are big-endian elements, the
// high byte the coefficient of y.
type binaryField struct {
	gf8   GF8Field
	width int
}

// binaryField returns the field of p's GF8 or GF16 method.
func (p Params) binaryField() (binaryField, error) {
	poly := p.Polynomial
	if poly == 0 {
		poly = KMIPPolynomial
	}
	gf8, err := NewGF8(poly)
	if err != nil {
		return binaryField{}, err
	}
	if p.Method == GF8 {
		return binaryField{gf8: gf8, width: 1}, nil
	}
	// y^2+y+m is irreducible over GF(2^8) iff no t has t^2+t = m.
	for t := range 256 {
		if gf8.Mul(byte(t), byte(t))^byte(t) == gf16M {
			return binaryField{}, ErrInvalid
		}
	}
	return binaryField{gf8: gf8, width: 2}, nil
}

func (f binaryField) add(a, b elem) elem { return elem{a.hi ^ b.hi, a.lo ^ b.lo} }

// mul multiplies in GF(2^8) or, with y^2 = y + m,
// (ry+s)(uy+v) = (ru+rv+su)y + (rum+sv).
func (f binaryField) mul(a, b elem) elem {
	g := f.gf8
	if f.width == 1 {
		return elem{lo: g.Mul(a.lo, b.lo)}
	}
	ru := g.Mul(a.hi, b.hi)
	return elem{
		hi: ru ^ g.Mul(a.hi, b.lo) ^ g.Mul(a.lo, b.hi),
		lo: g.Mul(ru, gf16M) ^ g.Mul(a.lo, b.lo),
	}
}

// inv inverts a non-zero element: in GF(2^16), (uy+v)^-1 = u·d^-1·y +
// (u+v)·d^-1 with d = (u+v)v + m·u^2, as the KMIP Split Key object gives it.
func (f binaryField) inv(a elem) elem {
	g := f.gf8
	if f.width == 1 {
		return elem{lo: g.Inv(a.lo)}
	}
	d := g.Inv(g.Mul(a.hi^a.lo, a.lo) ^ g.Mul(gf16M, g.Mul(a.hi, a.hi)))
	return elem{hi: g.Mul(a.hi, d), lo: g.Mul(a.hi^a.lo, d)}
}

// point is the field element of Key Part Identifier x.
func (f binaryField) point(x int) elem {
	if f.width == 1 {
		return elem{lo: byte(x)}
	}
	return elem{hi: byte(x >> 8), lo: byte(x)}
}

func (f binaryField) get(b []byte, w int) elem {
	if f.width == 1 {
		return elem{lo: b[w]}
	}
	return elem{hi: b[2*w], lo: b[2*w+1]}
}

func (f binaryField) put(b []byte, w int, e elem) {
	if f.width == 1 {
		b[w] = e.lo
		return
	}
	b[2*w], b[2*w+1] = e.hi, e.lo
}

// split evaluates, for every word of secret, a random polynomial of degree
// k-1 whose constant term is the word at x = 1..n.
func (f binaryField) split(secret []byte, n, k int, rnd io.Reader) ([][]byte, error) {
	words := len(secret) / f.width
	coeffs := make([]byte, (k-1)*len(secret))
	if _, err := io.ReadFull(rnd, coeffs); err != nil {
		return nil, err
	}
	defer clear(coeffs)
	shares := make([][]byte, n)
	for s := range shares {
		x := f.point(s + 1)
		shares[s] = make([]byte, len(secret))
		for w := range words {
			// Horner, highest coefficient first.
			var y elem
			for c := k - 2; c >= 0; c-- {
				y = f.add(f.mul(y, x), f.get(coeffs[c*len(secret):], w))
			}
			y = f.add(f.mul(y, x), f.get(secret, w))
			f.put(shares[s], w, y)
		}
	}
	return shares, nil
}

// join interpolates at x = 0 from the shares at xs (distinct, 1..MaxParts).
func (f binaryField) join(shares map[int][]byte, xs []int, width int) ([]byte, error) {
	if width%f.width != 0 {
		return nil, ErrInvalid
	}
	// Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); minus is XOR.
	basis := make([]elem, len(xs))
	for i, xi := range xs {
		l := elem{lo: 1}
		for j, xj := range xs {
			if i != j {
				pj := f.point(xj)
				l = f.mul(l, f.mul(pj, f.inv(f.add(pj, f.point(xi)))))
			}
		}
		basis[i] = l
	}
	out := make([]byte, width)
	for w := range width / f.width {
		var y elem
		for i, x := range xs {
			y = f.add(y, f.mul(basis[i], f.get(shares[x], w)))
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
