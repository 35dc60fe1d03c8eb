//go:build !cgo

package hsm

// pkcs11Supported reports whether this build has the PKCS#11 provider.
const pkcs11Supported = false
