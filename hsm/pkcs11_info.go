//go:build cgo

package hsm

import "fmt"

var _ ModuleInformer = (*PKCS11)(nil)

// ModuleInfo returns what the PKCS#11 library reports of itself
// (C_GetInfo): its manufacturer, description and versions.
func (p *PKCS11) ModuleInfo() (ModuleInfo, error) {
	if err := p.checkOpen(); err != nil {
		return ModuleInfo{}, err
	}
	info, err := p.mod.ctx.GetInfo()
	if err != nil {
		return ModuleInfo{}, fmt.Errorf("hsm: pkcs11: C_GetInfo: %w", err)
	}
	return ModuleInfo{
		CryptokiVersion:    ModuleVersion{info.CryptokiVersion.Major, info.CryptokiVersion.Minor},
		ManufacturerID:     info.ManufacturerID,
		Flags:              uint64(info.Flags),
		LibraryDescription: info.LibraryDescription,
		LibraryVersion:     ModuleVersion{info.LibraryVersion.Major, info.LibraryVersion.Minor},
	}, nil
}
