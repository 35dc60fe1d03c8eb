// Package hsm is the cryptographic module: key generation from the module's
// random bit generator and the sealing of all key material kept at rest.
// The software provider (software.go) uses Go's crypto; the PKCS#11
// provider, package hsm/pkcs11, follows behind the same interface and is
// the only part using cgo. Open and OpenBound choose the provider from a
// Config; a provider outside this package registers itself with
// RegisterProvider when its package is imported, so that hsm never imports
// it (programs that open tokens import hsm/pkcs11 for that effect).
package hsm

import "errors"

// ErrUnseal reports sealed material that fails authentication: it was
// altered, or sealed under another key or for another object.
var ErrUnseal = errors.New("hsm: sealed material fails authentication")

// Crypto is a cryptographic module.
//
// Sealing binds the material to the object's Unique Identifier (as AES-GCM
// associated data or equivalent): material sealed for one object never
// unseals for another.
//
// All methods are safe for concurrent use. Errors never contain key material.
type Crypto interface {
	// Operations are the cryptographic operations with keys given in the
	// clear for one call (ops.go).
	Operations

	// GenerateKey returns a secret key of bits bits drawn from the module's
	// random bit generator. The key is in the clear for one call: the caller
	// seals it (with the rest of the object, through Seal) and zeroes it.
	// bits must be a positive multiple of 8 up to MaxKeyBits; any other
	// length, a failure of the generator or a closed module (ErrClosed) is
	// an error, and no key is returned with an error.
	GenerateKey(bits int) (key []byte, err error)

	// Seal seals plaintext for object id. The caller should zero plaintext
	// after the call.
	Seal(id string, plaintext []byte) (sealed []byte, err error)

	// Unseal returns the plaintext of material sealed for object id, or
	// ErrUnseal. The caller should zero it after use.
	Unseal(id string, sealed []byte) (plaintext []byte, err error)

	// Random returns n bytes from the module's random bit generator.
	Random(n int) ([]byte, error)

	// Close releases the module. Other methods fail afterwards.
	Close() error
}
