package kmip

import (
	"slices"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Payloads of the cryptographic operations (KMIP 1.2+): Encrypt, Decrypt,
// Sign, Signature Verify, MAC, MAC Verify, Hash, RNG Retrieve and RNG Seed.
// Their requests and responses draw on one set of fields, always in the
// same relative order, so one decoder and one encoder serve them all; each
// operation maps its payload type to and from cryptoFields.
//
// A nil field is absent, a non-nil one present, even empty. The response
// Data of Encrypt, Decrypt and Hash (and Sign's Signature Data, MAC's MAC
// Data) is required in KMIP 1.2; streaming (1.3) made it optional, since a
// part may have no output yet: "Yes for single-part. No for multi-part"
// (2.1 section 6.1, the Hash, MAC and Sign response tables; Encrypt and
// Decrypt say "No"). The handlers set it accordingly, in every version:
// empty for a one-shot request with no output (CS-BC-M-GCM-2), absent for
// a part without output (TC-STREAM-ENC-1).
//
// Fields by version: the streaming fields (Correlation Value, Init
// Indicator, Final Indicator) are 1.3 additions; Authenticated Encryption
// Additional Data and Tag, and Digested Data, 1.4 additions. A field the
// version lacks is left out when encoding and skipped when decoding (it is
// a 1.x field, which 1.x tolerates). A request field outside its
// operation's list (cryptoRequestTags) is extraField's to judge.

// cryptoFields is the union of the fields of the cryptographic payloads. A
// nil or zero field is absent.
type cryptoFields struct {
	id               string
	validity         ValidityIndicator
	params           *CryptographicParameters
	data             []byte
	digestedData     []byte
	signatureData    []byte
	macData          []byte
	ivCounterNonce   []byte
	correlationValue []byte
	init, final      bool
	additionalData   []byte
	tag              []byte
	dataLength       *int32
}

// The streaming fields of every cryptographic request but RNG Retrieve and
// RNG Seed (KMIP 1.3 and later).
var streamingTags = []ttlv.Tag{kmip14.TagCorrelationValue, kmip14.TagInitIndicator, kmip14.TagFinalIndicator}

// cryptoRequestTags lists the fields of the request payload of each
// cryptographic operation (KMIP 1.4 sections 4.29 to 4.37, and the same
// operations in KMIP 2.1 section 6.1).
var cryptoRequestTags = map[Operation][]ttlv.Tag{
	kmip14.OperationEncrypt: append([]ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCryptographicParameters,
		kmip14.TagData, kmip14.TagIVCounterNonce, kmip14.TagAuthenticatedEncryptionAdditionalData}, streamingTags...),
	kmip14.OperationDecrypt: append([]ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCryptographicParameters,
		kmip14.TagData, kmip14.TagIVCounterNonce, kmip14.TagAuthenticatedEncryptionAdditionalData,
		kmip14.TagAuthenticatedEncryptionTag}, streamingTags...),
	kmip14.OperationSign: append([]ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCryptographicParameters,
		kmip14.TagData, kmip14.TagDigestedData}, streamingTags...),
	kmip14.OperationSignatureVerify: append([]ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCryptographicParameters,
		kmip14.TagData, kmip14.TagDigestedData, kmip14.TagSignatureData}, streamingTags...),
	kmip14.OperationMAC: append([]ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCryptographicParameters,
		kmip14.TagData}, streamingTags...),
	kmip14.OperationMACVerify: append([]ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCryptographicParameters,
		kmip14.TagData, kmip14.TagMACData}, streamingTags...),
	kmip14.OperationHash:        append([]ttlv.Tag{kmip14.TagCryptographicParameters, kmip14.TagData}, streamingTags...),
	kmip14.OperationRNGRetrieve: {kmip14.TagDataLength},
	kmip14.OperationRNGSeed:     {kmip14.TagData},
}

// cryptoSince reports whether KMIP version v defines the field tag of the
// cryptographic payloads.
func cryptoSince(v Version, tag ttlv.Tag) bool {
	switch tag {
	case kmip14.TagCorrelationValue, kmip14.TagInitIndicator, kmip14.TagFinalIndicator:
		return since(v, V1_3)
	case kmip14.TagAuthenticatedEncryptionAdditionalData, kmip14.TagAuthenticatedEncryptionTag,
		kmip14.TagDigestedData:
		return since(v, V1_4)
	}
	return true
}

// decodeCryptoFields reads the fields of payload p. A request's fields are
// limited to tags, its operation's list; a response's are not (nil).
func decodeCryptoFields(v Version, p ttlv.TTLV, tags []ttlv.Tag) (cryptoFields, *Error) {
	var f cryptoFields
	var err *Error
	for c := range children(p) {
		if !cryptoSince(v, c.Tag()) {
			continue
		}
		if tags != nil && !slices.Contains(tags, c.Tag()) {
			if err := extraField(v, p, c); err != nil {
				return cryptoFields{}, err
			}
			continue
		}
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			f.id, err = readUID(v, c)
		case kmip14.TagValidityIndicator:
			var x uint32
			x, err = readEnum(c)
			f.validity = ValidityIndicator(x)
		case kmip14.TagCryptographicParameters:
			if err = readStructure(c); err == nil {
				var cp CryptographicParameters
				cp, err = decodeCryptographicParameters(c)
				f.params = &cp
			}
		case kmip14.TagData:
			f.data, err = readBytes(c)
		case kmip14.TagDigestedData:
			f.digestedData, err = readBytes(c)
		case kmip14.TagSignatureData:
			f.signatureData, err = readBytes(c)
		case kmip14.TagMACData:
			f.macData, err = readBytes(c)
		case kmip14.TagIVCounterNonce:
			f.ivCounterNonce, err = readBytes(c)
		case kmip14.TagCorrelationValue:
			f.correlationValue, err = readBytes(c)
		case kmip14.TagInitIndicator:
			f.init, err = readBool(c)
		case kmip14.TagFinalIndicator:
			f.final, err = readBool(c)
		case kmip14.TagAuthenticatedEncryptionAdditionalData:
			f.additionalData, err = readBytes(c)
		case kmip14.TagAuthenticatedEncryptionTag:
			f.tag, err = readBytes(c)
		case kmip14.TagDataLength:
			var n int32
			if n, err = readInt(c); err == nil && n < 0 {
				err = Errorf(ReasonInvalidField, "negative Data Length")
			}
			f.dataLength = &n
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return cryptoFields{}, err
		}
	}
	return f, nil
}

// encodeCryptoFields writes the fields of f that are present and that v
// defines, in the order of the specification's payload tables.
func encodeCryptoFields(e *ttlv.Encoder, v Version, f *cryptoFields) error {
	bytes := func(tag ttlv.Tag, b []byte) {
		if b != nil && cryptoSince(v, tag) {
			e.EncodeByteString(tag, b)
		}
	}
	flag := func(tag ttlv.Tag, b bool) {
		if b && cryptoSince(v, tag) {
			e.EncodeBoolean(tag, true)
		}
	}
	encodeUID(e, f.id)
	if f.validity != 0 {
		e.EncodeEnumeration(kmip14.TagValidityIndicator, uint32(f.validity))
	}
	if f.params != nil {
		if err := encodeCryptographicParameters(e, kmip14.TagCryptographicParameters, v, f.params); err != nil {
			return err
		}
	}
	bytes(kmip14.TagData, f.data)
	bytes(kmip14.TagDigestedData, f.digestedData)
	bytes(kmip14.TagSignatureData, f.signatureData)
	bytes(kmip14.TagMACData, f.macData)
	bytes(kmip14.TagIVCounterNonce, f.ivCounterNonce)
	bytes(kmip14.TagCorrelationValue, f.correlationValue)
	flag(kmip14.TagInitIndicator, f.init)
	flag(kmip14.TagFinalIndicator, f.final)
	bytes(kmip14.TagAuthenticatedEncryptionAdditionalData, f.additionalData)
	bytes(kmip14.TagAuthenticatedEncryptionTag, f.tag)
	if f.dataLength != nil {
		e.EncodeInteger(kmip14.TagDataLength, *f.dataLength)
	}
	return nil
}

// decodeCryptoRequest decodes the request payload of the cryptographic
// operation op. Hash requires its Cryptographic Parameters, RNG Retrieve its
// Data Length and RNG Seed its Data; the other fields are the handlers' to
// judge.
func decodeCryptoRequest(op Operation, v Version, p ttlv.TTLV) (any, *Error) {
	f, err := decodeCryptoFields(v, p, cryptoRequestTags[op])
	if err != nil {
		return nil, err
	}
	stream := Streaming{CorrelationValue: f.correlationValue, InitIndicator: f.init, FinalIndicator: f.final}
	switch op {
	case kmip14.OperationEncrypt:
		return &EncryptRequest{UniqueIdentifier: f.id, Parameters: f.params, Data: f.data,
			IVCounterNonce: f.ivCounterNonce, AdditionalData: f.additionalData, Streaming: stream}, nil
	case kmip14.OperationDecrypt:
		return &DecryptRequest{UniqueIdentifier: f.id, Parameters: f.params, Data: f.data,
			IVCounterNonce: f.ivCounterNonce, AdditionalData: f.additionalData, Tag: f.tag, Streaming: stream}, nil
	case kmip14.OperationSign:
		return &SignRequest{UniqueIdentifier: f.id, Parameters: f.params, Data: f.data,
			DigestedData: f.digestedData, Streaming: stream}, nil
	case kmip14.OperationSignatureVerify:
		return &SignatureVerifyRequest{UniqueIdentifier: f.id, Parameters: f.params, Data: f.data,
			DigestedData: f.digestedData, SignatureData: f.signatureData, Streaming: stream}, nil
	case kmip14.OperationMAC:
		return &MACRequest{UniqueIdentifier: f.id, Parameters: f.params, Data: f.data, Streaming: stream}, nil
	case kmip14.OperationMACVerify:
		return &MACVerifyRequest{UniqueIdentifier: f.id, Parameters: f.params, Data: f.data,
			MACData: f.macData, Streaming: stream}, nil
	case kmip14.OperationHash:
		if f.params == nil {
			return nil, errMissing(v, "Cryptographic Parameters")
		}
		return &HashRequest{Parameters: f.params, Data: f.data, Streaming: stream}, nil
	case kmip14.OperationRNGRetrieve:
		if f.dataLength == nil {
			return nil, errMissing(v, "Data Length")
		}
		return &RNGRetrieveRequest{DataLength: *f.dataLength}, nil
	case kmip14.OperationRNGSeed:
		if f.data == nil {
			return nil, errMissing(v, "Data")
		}
		return &RNGSeedRequest{Data: f.data}, nil
	}
	return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
}

// cryptoRequestFields returns the fields of r, a request of a cryptographic
// operation; ok is false for any other payload.
func cryptoRequestFields(r any) (f cryptoFields, ok bool) {
	stream := func(s Streaming) {
		f.correlationValue, f.init, f.final = s.CorrelationValue, s.InitIndicator, s.FinalIndicator
	}
	switch r := r.(type) {
	case *EncryptRequest:
		f = cryptoFields{id: r.UniqueIdentifier, params: r.Parameters, data: r.Data,
			ivCounterNonce: r.IVCounterNonce, additionalData: r.AdditionalData}
		stream(r.Streaming)
	case *DecryptRequest:
		f = cryptoFields{id: r.UniqueIdentifier, params: r.Parameters, data: r.Data,
			ivCounterNonce: r.IVCounterNonce, additionalData: r.AdditionalData, tag: r.Tag}
		stream(r.Streaming)
	case *SignRequest:
		f = cryptoFields{id: r.UniqueIdentifier, params: r.Parameters, data: r.Data, digestedData: r.DigestedData}
		stream(r.Streaming)
	case *SignatureVerifyRequest:
		f = cryptoFields{id: r.UniqueIdentifier, params: r.Parameters, data: r.Data,
			digestedData: r.DigestedData, signatureData: r.SignatureData}
		stream(r.Streaming)
	case *MACRequest:
		f = cryptoFields{id: r.UniqueIdentifier, params: r.Parameters, data: r.Data}
		stream(r.Streaming)
	case *MACVerifyRequest:
		f = cryptoFields{id: r.UniqueIdentifier, params: r.Parameters, data: r.Data, macData: r.MACData}
		stream(r.Streaming)
	case *HashRequest:
		f = cryptoFields{params: r.Parameters, data: r.Data}
		stream(r.Streaming)
	case *RNGRetrieveRequest:
		f = cryptoFields{dataLength: &r.DataLength}
	case *RNGSeedRequest:
		f = cryptoFields{data: r.Data}
	default:
		return cryptoFields{}, false
	}
	return f, true
}

// decodeCryptoResponse decodes the response payload of the cryptographic
// operation op.
func decodeCryptoResponse(op Operation, v Version, p ttlv.TTLV) (any, *Error) {
	f, err := decodeCryptoFields(v, p, nil)
	if err != nil {
		return nil, err
	}
	switch op {
	case kmip14.OperationEncrypt:
		return &EncryptResponse{UniqueIdentifier: f.id, Data: f.data, IVCounterNonce: f.ivCounterNonce,
			Tag: f.tag, CorrelationValue: f.correlationValue}, nil
	case kmip14.OperationDecrypt:
		return &DecryptResponse{UniqueIdentifier: f.id, Data: f.data, CorrelationValue: f.correlationValue}, nil
	case kmip14.OperationSign:
		return &SignResponse{UniqueIdentifier: f.id, SignatureData: f.signatureData, CorrelationValue: f.correlationValue}, nil
	case kmip14.OperationSignatureVerify:
		return &SignatureVerifyResponse{UniqueIdentifier: f.id, ValidityIndicator: f.validity,
			CorrelationValue: f.correlationValue}, nil
	case kmip14.OperationMAC:
		return &MACResponse{UniqueIdentifier: f.id, MACData: f.macData, CorrelationValue: f.correlationValue}, nil
	case kmip14.OperationMACVerify:
		return &MACVerifyResponse{UniqueIdentifier: f.id, ValidityIndicator: f.validity,
			CorrelationValue: f.correlationValue}, nil
	case kmip14.OperationHash:
		return &HashResponse{Data: f.data, CorrelationValue: f.correlationValue}, nil
	case kmip14.OperationRNGRetrieve:
		return &RNGRetrieveResponse{Data: f.data}, nil
	case kmip14.OperationRNGSeed:
		if f.dataLength == nil {
			return nil, errMissing(v, "Data Length")
		}
		return &RNGSeedResponse{DataLength: *f.dataLength}, nil
	}
	return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
}

// cryptoResponseFields returns the fields of r, a response of a
// cryptographic operation; ok is false for any other payload.
func cryptoResponseFields(r any) (cryptoFields, bool) {
	switch r := r.(type) {
	case *EncryptResponse:
		return cryptoFields{id: r.UniqueIdentifier, data: r.Data, ivCounterNonce: r.IVCounterNonce,
			tag: r.Tag, correlationValue: r.CorrelationValue}, true
	case *DecryptResponse:
		return cryptoFields{id: r.UniqueIdentifier, data: r.Data, correlationValue: r.CorrelationValue}, true
	case *SignResponse:
		return cryptoFields{id: r.UniqueIdentifier, signatureData: r.SignatureData, correlationValue: r.CorrelationValue}, true
	case *SignatureVerifyResponse:
		return cryptoFields{id: r.UniqueIdentifier, validity: r.ValidityIndicator, correlationValue: r.CorrelationValue}, true
	case *MACResponse:
		return cryptoFields{id: r.UniqueIdentifier, macData: r.MACData, correlationValue: r.CorrelationValue}, true
	case *MACVerifyResponse:
		return cryptoFields{id: r.UniqueIdentifier, validity: r.ValidityIndicator, correlationValue: r.CorrelationValue}, true
	case *HashResponse:
		return cryptoFields{data: r.Data, correlationValue: r.CorrelationValue}, true
	case *RNGRetrieveResponse:
		return cryptoFields{data: r.Data}, true
	case *RNGSeedResponse:
		return cryptoFields{dataLength: &r.DataLength}, true
	}
	return cryptoFields{}, false
}
