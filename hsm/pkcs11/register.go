// Package pkcs11 is the PKCS#11 provider of the cryptographic module: an
// hsm.Crypto on a PKCS#11 library and token (Provider), sealing under a
// non-extractable key-encryption key inside the token. It is the only part
// of kmipd that uses cgo (through github.com/miekg/pkcs11).
//
// Importing the package registers the provider with hsm under
// hsm.ProviderPKCS11, so that hsm.Open and hsm.OpenBound open it from a
// configuration; a program that may run on a token imports it for that
// effect alone, as kmipd does:
//
//	import _ "github.com/kmipd/kmipd/hsm/pkcs11"
//
// In a build without cgo the package holds no provider: opening one fails
// with an error saying so.
package pkcs11

import (
	"errors"

	"github.com/kmipd/kmipd/hsm"
)

func init() { hsm.RegisterProvider(hsm.ProviderPKCS11, open) }

// errNoCgo is returned by open in a build without cgo.
var errNoCgo = errors.New("hsm: PKCS#11 support requires a build with cgo (CGO_ENABLED=1)")
