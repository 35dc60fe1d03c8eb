package kmip

// The PKCS#11 operation (KMIP 2.0 and 2.1 section 6.1.37) carries one
// PKCS#11 function call and its result between a client and the server's
// cryptographic module. KMIP 1.x does not define it.

// PKCS11Function is a PKCS#11 Function enumeration value: the 1-based
// position of the function in PKCS#11's function list (C_Initialize is 1).
// gemalto's kmip20 registry declares the type but none of its values.
type PKCS11Function uint32

// The PKCS#11 functions the server answers with something other than
// PKCS11FunctionNotSupported.
const (
	PKCS11CInitialize PKCS11Function = 1
	PKCS11CFinalize   PKCS11Function = 2
	PKCS11CGetInfo    PKCS11Function = 3
)

// PKCS11ReturnCode is a PKCS#11 Return Code enumeration value: a CKR_ value
// of PKCS#11 (KMIP names it without the CKR_ prefix). gemalto's kmip20
// registry declares the type but none of its values.
type PKCS11ReturnCode uint32

// The PKCS#11 return codes the server answers with.
const (
	PKCS11OK                         PKCS11ReturnCode = 0x000 // CKR_OK
	PKCS11HostMemory                 PKCS11ReturnCode = 0x002 // CKR_HOST_MEMORY
	PKCS11DeviceError                PKCS11ReturnCode = 0x030 // CKR_DEVICE_ERROR
	PKCS11FunctionNotSupported       PKCS11ReturnCode = 0x054 // CKR_FUNCTION_NOT_SUPPORTED
	PKCS11CryptokiNotInitialized     PKCS11ReturnCode = 0x190 // CKR_CRYPTOKI_NOT_INITIALIZED
	PKCS11CryptokiAlreadyInitialized PKCS11ReturnCode = 0x191 // CKR_CRYPTOKI_ALREADY_INITIALIZED
)

// PKCS11DefaultInterface is the PKCS#11 Interface a request without one
// means (KMIP 2.1 section 6.1.37).
const PKCS11DefaultInterface = "PKCS#11 V2.40"

// PKCS11Request (2.x) asks the server to perform one PKCS#11 function.
// CorrelationValue names the context a previous C_Initialize opened;
// InputParameters are the function's arguments, serialised. Nil byte
// slices are absent fields.
type PKCS11Request struct {
	Interface        string // "" means PKCS11DefaultInterface
	Function         PKCS11Function
	CorrelationValue []byte
	InputParameters  []byte
}

// PKCS11Response (2.x) is the result of a PKCS#11 request: the function's
// return code and serialised output parameters. A failed function is still
// a successful KMIP operation: its failure is in ReturnCode.
type PKCS11Response struct {
	Interface        string
	Function         PKCS11Function
	CorrelationValue []byte
	OutputParameters []byte
	ReturnCode       PKCS11ReturnCode
}
