//go:build cgo

package pkcs11

import (
	"fmt"

	"github.com/kmipd/kmipd/hsm"
)

var _ hsm.ModuleInformer = (*Provider)(nil)

// ModuleInfo returns what the PKCS#11 library reports of itself
// (C_GetInfo): its manufacturer, description and versions.
func (p *Provider) ModuleInfo() (hsm.ModuleInfo, error) {
	if err := p.checkOpen(); err != nil {
		return hsm.ModuleInfo{}, err
	}
	info, err := p.mod.ctx.GetInfo()
	if err != nil {
		return hsm.ModuleInfo{}, fmt.Errorf("hsm: pkcs11: C_GetInfo: %w", err)
	}
	return hsm.ModuleInfo{
		CryptokiVersion:    hsm.ModuleVersion{Major: info.CryptokiVersion.Major, Minor: info.CryptokiVersion.Minor},
		ManufacturerID:     info.ManufacturerID,
		Flags:              uint64(info.Flags),
		LibraryDescription: info.LibraryDescription,
		LibraryVersion:     hsm.ModuleVersion{Major: info.LibraryVersion.Major, Minor: info.LibraryVersion.Minor},
	}, nil
}
