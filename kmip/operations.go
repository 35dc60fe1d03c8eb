package kmip

import (
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// opDef describes one operation the codec implements: the protocol versions
// that define it and the codecs of its Request and Response Payloads. The
// table is spec data in the way the AttrDef table is: the codec refuses a
// payload in a version outside the window, the handlers ask Defines.
type opDef struct {
	op    Operation
	since Version // first version that defines it
	until Version // first version that no longer defines it; zero when still defined

	request, response payloadCodec
}

// definedIn reports whether version v defines the operation.
func (d *opDef) definedIn(v Version) bool {
	if v.Less(d.since) {
		return false
	}
	return d.until == (Version{}) || v.Less(d.until)
}

// payloadCodec decodes and encodes one payload type. encode receives a
// non-nil payload; a payload of another type is an error. holds reports
// whether a payload is of the type; it is nil for an empty payload.
type payloadCodec struct {
	decode func(Version, ttlv.TTLV) (any, *Error)
	encode func(*ttlv.Encoder, Version, any) error
	holds  func(any) bool
}

// opDefs is the operation table, in the order of the KMIP 1.4 section 4
// and KMIP 2.1 section 6.1 operation lists. Section numbers name the
// version that introduced the operation.
var opDefs = []opDef{
	// KMIP 1.0 section 4.
	{op: kmip14.OperationCreate, since: V1_0,
		request:  codec(decodeCreateRequest, encodeCreateRequest),
		response: codec(decodeCreateResponse, encodeCreateResponse)},
	{op: kmip14.OperationCreateKeyPair, since: V1_0,
		request:  codec(decodeCreateKeyPairRequest, encodeCreateKeyPairRequest),
		response: codec(decodeCreateKeyPairResponse, encodeKeyPairIDsOf[CreateKeyPairResponse])},
	{op: kmip14.OperationRegister, since: V1_0,
		request:  codec(decodeRegisterRequest, encodeRegisterRequest),
		response: codec(decodeRegisterResponse, encodeRegisterResponse)},
	{op: kmip14.OperationReKey, since: V1_0,
		request:  codec(decodeReKeyRequest, encodeReKeyRequest),
		response: codec(decodeUIDOf[ReKeyResponse], encodeRequiredUIDOf[ReKeyResponse])},
	// KMIP 1.1 section 4.5 (Re-key Key Pair).
	{op: kmip14.OperationReKeyKeyPair, since: V1_1,
		request:  codec(decodeReKeyKeyPairRequest, encodeReKeyKeyPairRequest),
		response: codec(decodeReKeyKeyPairResponse, encodeKeyPairIDsOf[ReKeyKeyPairResponse])},
	{op: kmip14.OperationDeriveKey, since: V1_0,
		request:  codec(decodeDeriveKeyRequest, encodeDeriveKeyRequest),
		response: codec(decodeUIDOf[DeriveKeyResponse], encodeRequiredUIDOf[DeriveKeyResponse])},
	{op: kmip14.OperationCertify, since: V1_0,
		request:  codec(decodeCertifyRequest, encodeCertifyRequest),
		response: codec(decodeCertifyResponse, encodeUIDOf[CertifyResponse])},
	{op: kmip14.OperationReCertify, since: V1_0,
		request:  codec(decodeReCertifyRequest, encodeReCertifyRequest),
		response: codec(decodeReCertifyResponse, encodeUIDOf[ReCertifyResponse])},
	{op: kmip14.OperationLocate, since: V1_0,
		request:  codec(decodeLocateRequest, encodeLocateRequest),
		response: codec(decodeLocateResponse, encodeLocateResponse)},
	{op: kmip14.OperationCheck, since: V1_0,
		request:  codec(decodeCheckRequest, encodeCheckRequest),
		response: codec(decodeCheckResponse, encodeCheckResponse)},
	{op: kmip14.OperationGet, since: V1_0,
		request:  codec(decodeGetRequest, encodeGetRequest),
		response: codec(decodeGetResponse, encodeGetResponse)},
	{op: kmip14.OperationGetAttributes, since: V1_0,
		request:  codec(decodeGetAttributesRequest, encodeGetAttributesRequest),
		response: codec(decodeGetAttributesResponse, encodeGetAttributesResponse)},
	{op: kmip14.OperationGetAttributeList, since: V1_0,
		request:  codec(decodeUIDOf[GetAttributeListRequest], encodeUIDOf[GetAttributeListRequest]),
		response: codec(decodeGetAttributeListResponse, encodeGetAttributeListResponse)},
	{op: kmip14.OperationAddAttribute, since: V1_0,
		request:  codec(decodeAddAttributeRequest, encodeAttributeChangeOf[AddAttributeRequest]),
		response: codec(decodeAttributeEchoOf[AddAttributeResponse], encodeAttributeEchoOf[AddAttributeResponse])},
	{op: kmip14.OperationModifyAttribute, since: V1_0,
		request:  codec(decodeModifyAttributeRequest, encodeModifyAttributeRequest),
		response: codec(decodeAttributeEchoOf[ModifyAttributeResponse], encodeAttributeEchoOf[ModifyAttributeResponse])},
	{op: kmip14.OperationDeleteAttribute, since: V1_0,
		request:  codec(decodeDeleteAttributeRequest, encodeDeleteAttributeRequest),
		response: codec(decodeAttributeEchoOf[DeleteAttributeResponse], encodeAttributeEchoOf[DeleteAttributeResponse])},
	{op: kmip14.OperationObtainLease, since: V1_0,
		request:  codec(decodeUIDOf[ObtainLeaseRequest], encodeUIDOf[ObtainLeaseRequest]),
		response: codec(decodeObtainLeaseResponse, noVersion(encodeObtainLeaseResponse))},
	{op: kmip14.OperationGetUsageAllocation, since: V1_0,
		request:  codec(decodeGetUsageAllocationRequest, noVersion(encodeGetUsageAllocationRequest)),
		response: codec(decodeUIDOf[GetUsageAllocationResponse], encodeUIDOf[GetUsageAllocationResponse])},
	{op: kmip14.OperationActivate, since: V1_0,
		request:  codec(decodeUIDOf[ActivateRequest], encodeUIDOf[ActivateRequest]),
		response: codec(decodeUIDOf[ActivateResponse], encodeUIDOf[ActivateResponse])},
	{op: kmip14.OperationRevoke, since: V1_0,
		request:  codec(decodeRevokeRequest, encodeRevokeRequestIn),
		response: codec(decodeUIDOf[RevokeResponse], encodeUIDOf[RevokeResponse])},
	{op: kmip14.OperationDestroy, since: V1_0,
		request:  codec(decodeUIDOf[DestroyRequest], encodeUIDOf[DestroyRequest]),
		response: codec(decodeUIDOf[DestroyResponse], encodeUIDOf[DestroyResponse])},
	{op: kmip14.OperationArchive, since: V1_0,
		request:  codec(decodeArchiveRequest, encodeUIDOf[ArchiveRequest]),
		response: codec(decodeArchiveResponse, encodeUIDOf[ArchiveResponse])},
	{op: kmip14.OperationRecover, since: V1_0,
		request:  codec(decodeRecoverRequest, encodeUIDOf[RecoverRequest]),
		response: codec(decodeRecoverResponse, encodeUIDOf[RecoverResponse])},
	{op: kmip14.OperationValidate, since: V1_0,
		request:  codec(decodeValidateRequest, encodeValidateRequest),
		response: codec(decodeValidateResponse, noVersion(encodeValidateResponse))},
	{op: kmip14.OperationQuery, since: V1_0,
		request:  codec(decodeQueryRequest, encodeQueryRequest),
		response: codec(decodeQueryResponse, encodeQueryResponse)},
	{op: kmip14.OperationCancel, since: V1_0,
		request:  codec(decodeCancelRequest, encodeCancelRequest),
		response: codec(decodeCancelResponse, noVersion(encodeCancelResponse))},
	{op: kmip14.OperationPoll, since: V1_0,
		request:  codec(decodePollRequest, encodePollRequest),
		response: codec(decodePollResponse, encodePollResponse)},
	{op: kmip14.OperationNotify, since: V1_0,
		request:  codec(decodeNotifyRequest, encodeNotifyRequest),
		response: emptyPayload},
	{op: kmip14.OperationPut, since: V1_0,
		request:  codec(decodePutRequest, encodePutRequest),
		response: emptyPayload},
	// KMIP 1.1 section 4.26 (Discover Versions).
	{op: kmip14.OperationDiscoverVersions, since: V1_1,
		request:  codec(decodeDiscoverVersionsRequest, encodeDiscoverVersionsRequest),
		response: codec(decodeDiscoverVersionsResponse, encodeDiscoverVersionsResponse)},
	// KMIP 1.2 sections 4.29 to 4.37: the cryptographic operations. Hash
	// is one of them (1.2 section 4.37, Operation 0x27 in 1.2 section
	// 9.1.3.2.27); Query listed it from 1.4 only, the codec from 1.2.
	cryptoOp[EncryptRequest](kmip14.OperationEncrypt),
	cryptoOp[DecryptRequest](kmip14.OperationDecrypt),
	cryptoOp[SignRequest](kmip14.OperationSign),
	cryptoOp[SignatureVerifyRequest](kmip14.OperationSignatureVerify),
	cryptoOp[MACRequest](kmip14.OperationMAC),
	cryptoOp[MACVerifyRequest](kmip14.OperationMACVerify),
	cryptoOp[RNGRetrieveRequest](kmip14.OperationRNGRetrieve),
	cryptoOp[RNGSeedRequest](kmip14.OperationRNGSeed),
	cryptoOp[HashRequest](kmip14.OperationHash),
	// KMIP 1.2 sections 4.38 and 4.39.
	{op: kmip14.OperationCreateSplitKey, since: V1_2,
		request:  codec(decodeCreateSplitKeyRequest, encodeCreateSplitKeyRequest),
		response: codec(decodeCreateSplitKeyResponse, noVersion(encodeCreateSplitKeyResponse))},
	{op: kmip14.OperationJoinSplitKey, since: V1_2,
		request:  codec(decodeJoinSplitKeyRequest, encodeJoinSplitKeyRequest),
		response: codec(decodeJoinSplitKeyResponse, encodeRequiredUIDOf[JoinSplitKeyResponse])},
	// KMIP 1.4 sections 4.40 and 4.41.
	{op: kmip14.OperationExport, since: V1_4,
		request:  codec(decodeExportRequest, encodeExportRequest),
		response: codec(decodeExportResponse, encodeExportResponse)},
	{op: kmip14.OperationImport, since: V1_4,
		request:  codec(decodeImportRequest, encodeImportRequest),
		response: codec(decodeImportResponse, encodeUIDOf[ImportResponse])},
	// KMIP 2.0 section 6.1.
	{op: OperationLog, since: V2_0,
		request:  codec(decodeLogRequest, noVersion(encodeLogRequest)),
		response: emptyPayload},
	{op: OperationAdjustAttribute, since: V2_0,
		request:  codec(decodeAdjustAttributeRequest, encodeAdjustAttributeRequest),
		response: codec(decodeUIDOf[AdjustAttributeResponse], encodeUIDOf[AdjustAttributeResponse])},
	{op: OperationSetAttribute, since: V2_0,
		request:  codec(decodeSetAttributeRequest, encodeAttributeChangeOf[SetAttributeRequest]),
		response: codec(decodeUIDOf[SetAttributeResponse], encodeUIDOf[SetAttributeResponse])},
	{op: OperationSetEndpointRole, since: V2_0,
		request:  codec(decodeSetEndpointRoleRequest, encodeSetEndpointRoleRequest),
		response: codec(decodeSetEndpointRoleResponse, encodeSetEndpointRoleResponse)},
	{op: OperationPKCS11, since: V2_0,
		request:  codec(decodePKCS11Request, noVersion(encodePKCS11Request)),
		response: codec(decodePKCS11Response, noVersion(encodePKCS11Response))},
	{op: OperationLogin, since: V2_0,
		request:  codec(decodeLoginRequest, noVersion(encodeLoginRequest)),
		response: codec(decodeLoginResponse, noVersion(encodeLoginResponse))},
	{op: OperationLogout, since: V2_0,
		request:  codec(decodeLogoutRequest, noVersion(encodeLogoutRequest)),
		response: emptyPayload},
	{op: OperationDelegatedLogin, since: V2_0,
		request:  codec(decodeDelegatedLoginRequest, noVersion(encodeDelegatedLoginRequest)),
		response: codec(decodeLoginResponse, noVersion(encodeLoginResponse))},
	{op: OperationInterop, since: V2_0,
		request:  codec(decodeInteropRequest, noVersion(encodeInteropRequest)),
		response: emptyPayload},
	// The vendor extension of vendor_backup.go, in every version.
	{op: OperationVendorBackup, since: V1_0,
		request:  codec(decodeBackupRequest, noVersion(encodeBackupRequest)),
		response: codec(decodeBackupResponse, noVersion(encodeBackupResponse))},
}

// opIndex finds the row of a standard operation by its value; the few
// extension operations (0x8xxxxxxx) are found by a scan of opDefs.
var opIndex = func() (idx [64]*opDef) {
	for i := range opDefs {
		if d := &opDefs[i]; d.op < Operation(len(idx)) {
			if idx[d.op] != nil {
				panic(fmt.Sprintf("kmip: operation %v has two rows", d.op))
			}
			idx[d.op] = d
		}
	}
	return idx
}()

// lookupOp returns the row of op, or nil when the codec does not implement it.
func lookupOp(op Operation) *opDef {
	if op < Operation(len(opIndex)) {
		return opIndex[op]
	}
	for i := range opDefs {
		if opDefs[i].op == op {
			return &opDefs[i]
		}
	}
	return nil
}

// Defines reports whether protocol version v defines op and the codec
// implements it: the codec decodes a Request Payload of op in v exactly
// when Defines(v, op). A server lists in Query and serves only those.
func Defines(v Version, op Operation) bool {
	d := lookupOp(op)
	return d != nil && d.definedIn(v)
}

// OperationOf returns the operation whose Request Payload type payload
// is (*GetRequest is Get), as the decoder would name it; false when no
// operation of the table has that type.
func OperationOf(payload any) (Operation, bool) {
	for i := range opDefs {
		if holds := opDefs[i].request.holds; holds != nil && holds(payload) {
			return opDefs[i].op, true
		}
	}
	return 0, false
}

// errOperationNotSupported is the refusal of an operation the version does
// not define or the codec does not implement.
func errOperationNotSupported(op Operation) *Error {
	return Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
}

// codec adapts a typed decoder and encoder of payload type T to a
// payloadCodec. The decoder's nil *T never escapes as a typed nil.
func codec[T any](dec func(Version, ttlv.TTLV) (*T, *Error), enc func(*ttlv.Encoder, Version, *T) error) payloadCodec {
	return payloadCodec{
		decode: func(v Version, p ttlv.TTLV) (any, *Error) { return result(dec(v, p)) },
		encode: func(e *ttlv.Encoder, v Version, p any) error {
			t, ok := p.(*T)
			if !ok {
				return fmt.Errorf("kmip: cannot encode %T as a %T payload", p, t)
			}
			return enc(e, v, t)
		},
		holds: isPayload[T],
	}
}

// isPayload reports whether p is a *T.
func isPayload[T any](p any) bool {
	_, ok := p.(*T)
	return ok
}

// noVersion adapts an encoder whose output no version changes and that
// cannot fail.
func noVersion[T any](enc func(*ttlv.Encoder, *T)) func(*ttlv.Encoder, Version, *T) error {
	return func(e *ttlv.Encoder, _ Version, p *T) error {
		enc(e, p)
		return nil
	}
}

// emptyPayload is the codec of a payload without fields: it decodes to nil
// and encodes nothing but a nil payload.
var emptyPayload = payloadCodec{
	decode: func(Version, ttlv.TTLV) (any, *Error) { return nil, nil },
	encode: func(_ *ttlv.Encoder, _ Version, p any) error {
		return fmt.Errorf("kmip: cannot encode %T as an empty payload", p)
	},
}

// cryptoOp is the row of a cryptographic operation (codec_payload_crypto.go),
// which KMIP 1.2 introduced, whose Request Payload is a *Req.
func cryptoOp[Req any](op Operation) opDef {
	return opDef{op: op, since: V1_2,
		request: payloadCodec{
			decode: func(v Version, p ttlv.TTLV) (any, *Error) { return decodeCryptoRequest(op, v, p) },
			encode: func(e *ttlv.Encoder, v Version, p any) error {
				f, ok := cryptoRequestFields(p)
				if !ok {
					return fmt.Errorf("kmip: %v: cannot encode request payload %T", op, p)
				}
				return encodeCryptoFields(e, v, &f)
			},
			holds: isPayload[Req],
		},
		response: payloadCodec{
			decode: func(v Version, p ttlv.TTLV) (any, *Error) { return decodeCryptoResponse(op, v, p) },
			encode: func(e *ttlv.Encoder, v Version, p any) error {
				f, ok := cryptoResponseFields(p)
				if !ok {
					return fmt.Errorf("kmip: %v: cannot encode response payload %T", op, p)
				}
				return encodeCryptoFields(e, v, &f)
			},
		},
	}
}

// The payload shapes several operations share, as type sets: a payload
// type of the shape converts to it, so one generic codec serves them all.
type (
	uidPayload interface {
		~struct{ UniqueIdentifier string }
	}

	attributePayload interface {
		~struct {
			UniqueIdentifier string
			Attribute        Attribute
		}
	}

	keyPairIDsPayload interface {
		~struct {
			PrivateKeyUniqueIdentifier string
			PublicKeyUniqueIdentifier  string
		}
	}
)

// decodeUIDOf decodes a payload whose only field is a Unique Identifier.
func decodeUIDOf[T uidPayload](v Version, p ttlv.TTLV) (*T, *Error) {
	id, err := decodeUIDOnly(v, p)
	if err != nil {
		return nil, err
	}
	t := T(struct{ UniqueIdentifier string }{id})
	return &t, nil
}

// encodeUIDOf writes the Unique Identifier of p, when not empty.
func encodeUIDOf[T uidPayload](e *ttlv.Encoder, _ Version, p *T) error {
	encodeUID(e, struct{ UniqueIdentifier string }(*p).UniqueIdentifier)
	return nil
}

// encodeRequiredUIDOf writes the Unique Identifier of p, even when empty:
// the payload requires it.
func encodeRequiredUIDOf[T uidPayload](e *ttlv.Encoder, _ Version, p *T) error {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, struct{ UniqueIdentifier string }(*p).UniqueIdentifier)
	return nil
}

// decodeAttributeEchoOf decodes the response of Add, Modify and Delete
// Attribute.
func decodeAttributeEchoOf[T attributePayload](v Version, p ttlv.TTLV) (*T, *Error) {
	id, a, err := decodeAttributeEcho(v, p)
	if err != nil {
		return nil, err
	}
	t := T(struct {
		UniqueIdentifier string
		Attribute        Attribute
	}{id, a})
	return &t, nil
}

// encodeAttributeEchoOf encodes the response of Add, Modify and Delete
// Attribute.
func encodeAttributeEchoOf[T attributePayload](e *ttlv.Encoder, v Version, p *T) error {
	r := struct {
		UniqueIdentifier string
		Attribute        Attribute
	}(*p)
	return encodeAttributeEcho(e, v, r.UniqueIdentifier, &r.Attribute)
}

// encodeAttributeChangeOf encodes the request of Add and Set Attribute.
func encodeAttributeChangeOf[T attributePayload](e *ttlv.Encoder, v Version, p *T) error {
	r := struct {
		UniqueIdentifier string
		Attribute        Attribute
	}(*p)
	return encodeAttributeChange(e, v, r.UniqueIdentifier, nil, &r.Attribute)
}

// encodeKeyPairIDsOf encodes the response of Create Key Pair and Re-key Key
// Pair.
func encodeKeyPairIDsOf[T keyPairIDsPayload](e *ttlv.Encoder, _ Version, p *T) error {
	r := struct {
		PrivateKeyUniqueIdentifier string
		PublicKeyUniqueIdentifier  string
	}(*p)
	encodeKeyPairIDs(e, r.PrivateKeyUniqueIdentifier, r.PublicKeyUniqueIdentifier)
	return nil
}

// The encoders of the payloads that had none of their own.

func encodeDiscoverVersionsRequest(e *ttlv.Encoder, _ Version, r *DiscoverVersionsRequest) error {
	encodeVersions(e, r.Versions)
	return nil
}

func encodeDiscoverVersionsResponse(e *ttlv.Encoder, _ Version, r *DiscoverVersionsResponse) error {
	encodeVersions(e, r.Versions)
	return nil
}

func encodeQueryRequest(e *ttlv.Encoder, _ Version, r *QueryRequest) error {
	for _, f := range r.Functions {
		e.EncodeEnumeration(kmip14.TagQueryFunction, uint32(f))
	}
	return nil
}

func encodeModifyAttributeRequest(e *ttlv.Encoder, v Version, r *ModifyAttributeRequest) error {
	return encodeAttributeChange(e, v, r.UniqueIdentifier, r.Current, &r.Attribute)
}

func encodeRevokeRequestIn(e *ttlv.Encoder, _ Version, r *RevokeRequest) error {
	return encodeRevokeRequest(e, r)
}

func encodeCheckRequest(e *ttlv.Encoder, _ Version, r *CheckRequest) error {
	encodeCheckFields(e, *r)
	return nil
}

func encodeCheckResponse(e *ttlv.Encoder, _ Version, r *CheckResponse) error {
	encodeCheckFields(e, CheckRequest(*r))
	return nil
}

func encodePollRequest(e *ttlv.Encoder, _ Version, r *PollRequest) error {
	encodeCorrelationValue(e, r.AsynchronousCorrelationValue)
	return nil
}

func encodePollResponse(*ttlv.Encoder, Version, *PollResponse) error { return nil }

func encodeCancelRequest(e *ttlv.Encoder, _ Version, r *CancelRequest) error {
	encodeCorrelationValue(e, r.AsynchronousCorrelationValue)
	return nil
}

func encodeSetEndpointRoleRequest(e *ttlv.Encoder, _ Version, r *SetEndpointRoleRequest) error {
	encodeEndpointRole(e, r.Role)
	return nil
}

func encodeSetEndpointRoleResponse(e *ttlv.Encoder, _ Version, r *SetEndpointRoleResponse) error {
	encodeEndpointRole(e, r.Role)
	return nil
}
