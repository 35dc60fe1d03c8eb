package handlers

import (
	"context"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// pkcs11 (2.x PKCS#11) is a deliberately restricted pass-through to the
// server's cryptographic module. The module holds the key-encryption key of
// every stored object, so network clients never drive its sessions: only
// the functions that reveal nothing and change nothing are answered.
//
//   - C_Initialize opens a pass-through context for the client
//     (pkcs11_contexts.go) and returns its Correlation Value; a Correlation
//     Value naming an open context of the client gives
//     CKR_CRYPTOKI_ALREADY_INITIALIZED, too many open contexts
//     CKR_HOST_MEMORY.
//   - C_GetInfo returns the module's CK_INFO (hsm.ModuleInformer): the
//     PKCS#11 library's own for the PKCS#11 provider, kmipd's for the
//     software one.
//   - C_Finalize closes the context.
//
// C_GetInfo and C_Finalize without an open context of the client answer
// CKR_CRYPTOKI_NOT_INITIALIZED. Every other function answers
// CKR_FUNCTION_NOT_SUPPORTED and has no effect. A PKCS#11 failure is a
// successful KMIP operation whose PKCS#11 Return Code says it; only an
// Interface other than PKCS#11 V2.40 fails the operation (PKCS#11 Invalid
// Interface).
func (s *Service) pkcs11(_ context.Context, req *kmip.Request, p *kmip.PKCS11Request) (any, error) {
	if p.Interface != "" && p.Interface != kmip.PKCS11DefaultInterface {
		return nil, kmip.Errorf(kmip.ReasonPKCS11InvalidInterface, "PKCS#11 Interface %q is not supported", p.Interface)
	}
	resp := &kmip.PKCS11Response{Interface: p.Interface, Function: p.Function}
	identity := identityOf(req)
	now := s.clock()
	switch p.Function {
	case kmip.PKCS11CInitialize:
		if p.CorrelationValue != nil && s.pkcs11Contexts.use(p.CorrelationValue, identity, now) {
			resp.ReturnCode = kmip.PKCS11CryptokiAlreadyInitialized
			return resp, nil
		}
		corr, ok, err := s.pkcs11Contexts.open(identity, now)
		switch {
		case err != nil:
			return nil, err
		case !ok:
			resp.ReturnCode = kmip.PKCS11HostMemory
		default:
			resp.CorrelationValue = corr
			resp.ReturnCode = kmip.PKCS11OK
		}
	case kmip.PKCS11CGetInfo:
		if !s.pkcs11Contexts.use(p.CorrelationValue, identity, now) {
			resp.ReturnCode = kmip.PKCS11CryptokiNotInitialized
			return resp, nil
		}
		resp.OutputParameters, resp.ReturnCode = s.moduleInfo()
	case kmip.PKCS11CFinalize:
		if !s.pkcs11Contexts.close(p.CorrelationValue, identity, now) {
			resp.ReturnCode = kmip.PKCS11CryptokiNotInitialized
			return resp, nil
		}
		resp.ReturnCode = kmip.PKCS11OK
	default:
		resp.ReturnCode = kmip.PKCS11FunctionNotSupported
	}
	return resp, nil
}

// moduleInfo returns the serialised CK_INFO of the Service's module and
// the PKCS#11 return code of C_GetInfo.
func (s *Service) moduleInfo() ([]byte, kmip.PKCS11ReturnCode) {
	mi, ok := s.crypto.(hsm.ModuleInformer)
	if !ok {
		return nil, kmip.PKCS11FunctionNotSupported
	}
	info, err := mi.ModuleInfo()
	if err != nil {
		s.log.Warn("pkcs11: module information", zap.Error(err))
		return nil, kmip.PKCS11DeviceError
	}
	b, _ := kmip.PKCS11Info{
		CryptokiVersion:    kmip.PKCS11Version{Major: info.CryptokiVersion.Major, Minor: info.CryptokiVersion.Minor},
		ManufacturerID:     info.ManufacturerID,
		Flags:              info.Flags,
		LibraryDescription: info.LibraryDescription,
		LibraryVersion:     kmip.PKCS11Version{Major: info.LibraryVersion.Major, Minor: info.LibraryVersion.Minor},
	}.MarshalBinary()
	return b, kmip.PKCS11OK
}
