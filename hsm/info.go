package hsm

import (
	"fmt"
	"runtime/debug"
)

// ModuleVersion is a version number of a module or of the Cryptoki
// interface, as PKCS#11's CK_VERSION carries it.
type ModuleVersion struct{ Major, Minor uint8 }

// ModuleInfo describes a cryptographic module as PKCS#11's CK_INFO does.
type ModuleInfo struct {
	CryptokiVersion    ModuleVersion // the Cryptoki interface version the module implements
	ManufacturerID     string
	Flags              uint64 // reserved by PKCS#11, zero
	LibraryDescription string
	LibraryVersion     ModuleVersion
}

// ModuleInformer is implemented by the providers that can describe their
// module (both Software and PKCS11 do). It is separate from Crypto so that
// other implementations of Crypto need not provide it; callers type-assert.
type ModuleInformer interface {
	// ModuleInfo returns the module's description. It is safe for
	// concurrent use and fails with ErrClosed after Close.
	ModuleInfo() (ModuleInfo, error)
}

var _ ModuleInformer = (*Software)(nil)

// softwareCryptokiVersion is the Cryptoki interface version the software
// module reports: that of PKCS#11 V2.40, the interface KMIP's PKCS#11
// operation uses by default. The software module is not a PKCS#11 library;
// it is described in those terms for clients of that operation.
var softwareCryptokiVersion = ModuleVersion{2, 40}

// ModuleInfo describes the software module: manufacturer "kmipd",
// description "kmipd software module", and as library version the major and
// minor version of the kmipd build (0.0 for a development build).
func (s *Software) ModuleInfo() (ModuleInfo, error) {
	if err := s.checkOpen(); err != nil {
		return ModuleInfo{}, err
	}
	return ModuleInfo{
		CryptokiVersion:    softwareCryptokiVersion,
		ManufacturerID:     "kmipd",
		LibraryDescription: "kmipd software module",
		LibraryVersion:     buildVersion(),
	}, nil
}

// buildVersion returns the major and minor version of the main module of
// this build ("v1.4.2" gives 1.4); 0.0 when the build has no release
// version ("(devel)") or no build information.
func buildVersion() ModuleVersion {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ModuleVersion{}
	}
	return parseModuleVersion(bi.Main.Version)
}

// parseModuleVersion returns the major and minor numbers of a Go module
// version "vMAJOR.MINOR.PATCH[-pre][+build]"; 0.0 when v is not one or a
// number exceeds a byte.
func parseModuleVersion(v string) ModuleVersion {
	var major, minor, patch int
	if n, _ := fmt.Sscanf(v, "v%d.%d.%d", &major, &minor, &patch); n < 2 {
		return ModuleVersion{}
	}
	if major < 0 || major > 255 || minor < 0 || minor > 255 {
		return ModuleVersion{}
	}
	return ModuleVersion{uint8(major), uint8(minor)}
}
