//go:build cgo

package hsm

var _ boundModule = (*PKCS11)(nil)

// identity names the module, the token and the KEK's first epoch.
func (p *PKCS11) identity() ModuleIdentity { return p.token }

// followRotation makes Rotate call f with each new epoch; see boundModule.
func (p *PKCS11) followRotation(f func(newID uint32) error) { p.afterRotate = f }
