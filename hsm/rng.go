package hsm

// MaxSeed is the most bytes of one seed a provider's Seed mixes into its
// generator; the rest of a longer seed is not used. It bounds the work one
// KMIP RNG Seed request causes.
const MaxSeed = 1024

// Seeder is implemented by the providers whose random bit generator takes
// seed material from outside (both Software and the PKCS#11 provider do).
// It is separate from Crypto so that other implementations need not provide
// it; callers type-assert.
//
// Seed material is additional input, never a replacement of the module's
// own entropy: after Seed the generator's output is as unpredictable as
// before to whoever chose the seed.
type Seeder interface {
	// Seed mixes up to MaxSeed bytes of data into the generator and returns
	// how many it used: 0 when the module takes no seed. It is safe for
	// concurrent use and fails with ErrClosed after Close.
	Seed(data []byte) (used int, err error)
}
