//go:build cgo

package pkcs11

import "github.com/kmipd/kmipd/hsm"

var _ hsm.Bindable = (*Provider)(nil)

// Identity names the module, the token and the KEK's first epoch.
func (p *Provider) Identity() hsm.ModuleIdentity { return p.token }

// FollowRotation makes Rotate call f with each new epoch; see hsm.Bindable.
func (p *Provider) FollowRotation(f func(newID uint32) error) { p.afterRotate = f }
