//go:build !cgo

package pkcs11

import (
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/hsm"
)

// supported reports whether this build has the PKCS#11 provider.
const supported = false

// open is the Opener registered for ProviderPKCS11; this build has no cgo,
// which the PKCS#11 bindings need.
func open(hsm.Config, *zap.Logger) (hsm.Crypto, error) { return nil, errNoCgo }
