package hsm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"
)

// hmacDRBG is HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1, section
// 10.1.2) whose entropy input comes from crypto/rand, the operating
// system's generator (itself an SP 800-90A DRBG in Go's FIPS 140-3 mode).
//
// Every Generate also takes drbgEntropySize fresh bytes of crypto/rand as
// additional input, so its output is never less unpredictable than
// crypto/rand's even to someone who knows every seed given to Reseed: a
// client's seed is mixed in, never substituted for the module's entropy.
//
// The zero value is ready: it instantiates itself on first use. It is safe
// for concurrent use.
type hmacDRBG struct {
	mu      sync.Mutex
	k, v    []byte // the working state; nil before instantiation and after zero
	counter uint64 // reseed_counter

	// source reads entropy input; nil means crypto/rand. Tests set it.
	source func(b []byte) (int, error)
}

const (
	// drbgEntropySize is the entropy input of instantiation and reseeding,
	// and the fresh additional input of every Generate: 256 bits, the
	// security strength of HMAC_DRBG with SHA-256.
	drbgEntropySize = 32
	// drbgNonceSize is the instantiation nonce: half the security strength.
	drbgNonceSize = 16
	// drbgReseedInterval is the reseed_interval: far below SP 800-90A's
	// maximum of 2^48 requests.
	drbgReseedInterval = 1 << 20
	// drbgMaxRequest is SP 800-90A's largest request, 2^19 bits.
	drbgMaxRequest = 1 << 16
)

// drbgPersonalization distinguishes this instantiation's purpose.
var drbgPersonalization = []byte("kmipd software module random bit generator")

func (d *hmacDRBG) mac(parts ...[]byte) []byte {
	var h hash.Hash = hmac.New(sha256.New, d.k)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// update is HMAC_DRBG_Update (10.1.2.2).
func (d *hmacDRBG) update(provided ...[]byte) {
	empty := true
	for _, p := range provided {
		empty = empty && len(p) == 0
	}
	for i, round := range []byte{0x00, 0x01} {
		if i == 1 && empty {
			return
		}
		parts := append([][]byte{d.v, {round}}, provided...)
		d.k = d.mac(parts...)
		d.v = d.mac(d.v)
	}
}

// entropy returns n bytes of the entropy source.
func (d *hmacDRBG) entropy(n int) ([]byte, error) {
	read := d.source
	if read == nil {
		read = rand.Read
	}
	b := make([]byte, n)
	if _, err := read(b); err != nil {
		return nil, fmt.Errorf("hsm: random: entropy source: %w", err)
	}
	return b, nil
}

// instantiate is HMAC_DRBG_Instantiate (10.1.2.3); d.mu is held.
func (d *hmacDRBG) instantiate() error {
	seed, err := d.entropy(drbgEntropySize + drbgNonceSize)
	if err != nil {
		return err
	}
	defer clear(seed)
	d.k = make([]byte, sha256.Size)
	d.v = make([]byte, sha256.Size)
	for i := range d.v {
		d.v[i] = 0x01
	}
	d.update(seed, drbgPersonalization)
	d.counter = 1
	return nil
}

// reseed is HMAC_DRBG_Reseed (10.1.2.4) with fresh entropy input and
// additional input extra; d.mu is held and d is instantiated.
func (d *hmacDRBG) reseed(extra []byte) error {
	e, err := d.entropy(drbgEntropySize)
	if err != nil {
		return err
	}
	defer clear(e)
	d.update(e, extra)
	d.counter = 1
	return nil
}

// ready instantiates d, or reseeds it at the end of its interval; d.mu is
// held.
func (d *hmacDRBG) ready() error {
	if d.k == nil {
		return d.instantiate()
	}
	if d.counter > drbgReseedInterval {
		return d.reseed(nil)
	}
	return nil
}

// Reseed reseeds the generator with fresh entropy and extra as additional
// input.
func (d *hmacDRBG) Reseed(extra []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.ready(); err != nil {
		return err
	}
	return d.reseed(extra)
}

// Generate returns n bytes, 1 <= n <= drbgMaxRequest (HMAC_DRBG_Generate,
// 10.1.2.5, with fresh entropy as additional input).
func (d *hmacDRBG) Generate(n int) ([]byte, error) {
	if n <= 0 || n > drbgMaxRequest {
		return nil, fmt.Errorf("hsm: random length %d: want 1 to %d bytes", n, drbgMaxRequest)
	}
	extra, err := d.entropy(drbgEntropySize)
	if err != nil {
		return nil, err
	}
	defer clear(extra)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.ready(); err != nil {
		return nil, err
	}
	d.update(extra)
	out := make([]byte, 0, n+sha256.Size)
	for len(out) < n {
		d.v = d.mac(d.v)
		out = append(out, d.v...)
	}
	clear(out[n:cap(out)])
	d.update(extra)
	d.counter++
	return out[:n], nil
}

// zero wipes the state; the next use instantiates afresh.
func (d *hmacDRBG) zero() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.k)
	clear(d.v)
	d.k, d.v = nil, nil
}
