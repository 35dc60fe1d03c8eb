package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The PKCS#11 payloads (KMIP 2.1 section 6.1.37), 2.x only: the dispatch in
// codec_payloads.go refuses them in 1.x. Request: PKCS#11 Interface
// (optional), PKCS#11 Function (required), Correlation Value and PKCS#11
// Input Parameters (optional). Response: the same with PKCS#11 Output
// Parameters instead of the input ones, then the PKCS#11 Return Code
// (required).

// pkcs11Fields are the fields of either PKCS#11 payload.
type pkcs11Fields struct {
	iface       string
	function    PKCS11Function
	correlation []byte
	params      []byte // Input Parameters (request) or Output Parameters (response)
	returnCode  PKCS11ReturnCode
	hasFunction bool
	hasReturn   bool
}

// decodePKCS11Fields reads p's fields; paramsTag is the tag of the
// parameters the direction carries, and only a response (Output
// Parameters) carries a Return Code.
func decodePKCS11Fields(v Version, p ttlv.TTLV, paramsTag ttlv.Tag) (*pkcs11Fields, *Error) {
	f := &pkcs11Fields{}
	for c := range children(p) {
		var err *Error
		switch {
		case c.Tag() == kmip20.TagPKCS_11Interface:
			f.iface, err = readText(c)
		case c.Tag() == kmip20.TagPKCS_11Function:
			var x uint32
			x, err = readEnum(c)
			f.function, f.hasFunction = PKCS11Function(x), true
		case c.Tag() == kmip14.TagCorrelationValue:
			f.correlation, err = readBytes(c)
		case c.Tag() == paramsTag:
			f.params, err = readBytes(c)
		case c.Tag() == kmip20.TagPKCS_11ReturnCode && paramsTag == kmip20.TagPKCS_11OutputParameters:
			var x uint32
			x, err = readEnum(c)
			f.returnCode, f.hasReturn = PKCS11ReturnCode(x), true
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

func decodePKCS11Request(v Version, p ttlv.TTLV) (*PKCS11Request, *Error) {
	f, err := decodePKCS11Fields(v, p, kmip20.TagPKCS_11InputParameters)
	if err != nil {
		return nil, err
	}
	if !f.hasFunction {
		return nil, errMissing(v, "PKCS#11 Function")
	}
	return &PKCS11Request{Interface: f.iface, Function: f.function, CorrelationValue: f.correlation, InputParameters: f.params}, nil
}

func decodePKCS11Response(v Version, p ttlv.TTLV) (*PKCS11Response, *Error) {
	f, err := decodePKCS11Fields(v, p, kmip20.TagPKCS_11OutputParameters)
	if err != nil {
		return nil, err
	}
	if !f.hasFunction {
		return nil, errMissing(v, "PKCS#11 Function")
	}
	if !f.hasReturn {
		return nil, errMissing(v, "PKCS#11 Return Code")
	}
	return &PKCS11Response{Interface: f.iface, Function: f.function, CorrelationValue: f.correlation,
		OutputParameters: f.params, ReturnCode: f.returnCode}, nil
}

func encodePKCS11Request(e *ttlv.Encoder, r *PKCS11Request) {
	if r.Interface != "" {
		e.EncodeTextString(kmip20.TagPKCS_11Interface, r.Interface)
	}
	e.EncodeEnumeration(kmip20.TagPKCS_11Function, uint32(r.Function))
	if r.CorrelationValue != nil {
		e.EncodeByteString(kmip14.TagCorrelationValue, r.CorrelationValue)
	}
	if r.InputParameters != nil {
		e.EncodeByteString(kmip20.TagPKCS_11InputParameters, r.InputParameters)
	}
}

func encodePKCS11Response(e *ttlv.Encoder, r *PKCS11Response) {
	if r.Interface != "" {
		e.EncodeTextString(kmip20.TagPKCS_11Interface, r.Interface)
	}
	e.EncodeEnumeration(kmip20.TagPKCS_11Function, uint32(r.Function))
	if r.CorrelationValue != nil {
		e.EncodeByteString(kmip14.TagCorrelationValue, r.CorrelationValue)
	}
	if r.OutputParameters != nil {
		e.EncodeByteString(kmip20.TagPKCS_11OutputParameters, r.OutputParameters)
	}
	e.EncodeEnumeration(kmip20.TagPKCS_11ReturnCode, uint32(r.ReturnCode))
}
