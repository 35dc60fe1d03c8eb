//go:build !cgo

package hsm

import "go.uber.org/zap"

// pkcs11Supported reports whether this build has the PKCS#11 provider.
const pkcs11Supported = false

// openPKCS11 is Open's PKCS#11 branch; this build has no cgo, which the
// PKCS#11 bindings need.
func openPKCS11(PKCS11Config, bool, *zap.Logger) (Crypto, error) { return nil, errNoPKCS11 }
