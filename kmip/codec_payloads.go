package kmip

import (
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// The payload codec: the Request Payload and Response Payload of every
// operation the server implements, in every protocol version, in both
// directions (the server decodes requests and encodes responses, the Client
// the reverse). Each operation lives in a codec_payload_*.go file; this file
// dispatches.

// decodeRequestPayload decodes the validated Request Payload of op in
// version v into a *XxxRequest of payloads.go. An operation the codec does
// not know yields Operation Not Supported; a malformed payload Invalid
// Message (or the more precise reason the version defines).
func decodeRequestPayload(op Operation, v Version, payload ttlv.TTLV) (any, *Error) {
	if err := readStructure(payload); err != nil {
		return nil, err
	}
	switch op {
	case kmip14.OperationDiscoverVersions:
		return result(decodeDiscoverVersionsRequest(v, payload))
	case kmip14.OperationQuery:
		return result(decodeQueryRequest(v, payload))
	case kmip14.OperationCreate:
		return result(decodeCreateRequest(v, payload))
	case kmip14.OperationRegister:
		return result(decodeRegisterRequest(v, payload))
	case kmip14.OperationGet:
		return result(decodeGetRequest(v, payload))
	case kmip14.OperationGetAttributes:
		return result(decodeGetAttributesRequest(v, payload))
	case kmip14.OperationGetAttributeList:
		id, err := decodeUIDOnly(v, payload)
		return result(&GetAttributeListRequest{UniqueIdentifier: id}, err)
	case kmip14.OperationAddAttribute:
		return result(decodeAddAttributeRequest(v, payload))
	case OperationSetAttribute:
		if !v.Is2x() {
			break
		}
		return result(decodeSetAttributeRequest(v, payload))
	case kmip14.OperationModifyAttribute:
		return result(decodeModifyAttributeRequest(v, payload))
	case kmip14.OperationDeleteAttribute:
		return result(decodeDeleteAttributeRequest(v, payload))
	case kmip14.OperationLocate:
		return result(decodeLocateRequest(v, payload))
	case kmip14.OperationActivate:
		id, err := decodeUIDOnly(v, payload)
		return result(&ActivateRequest{UniqueIdentifier: id}, err)
	case kmip14.OperationRevoke:
		return result(decodeRevokeRequest(v, payload))
	case kmip14.OperationDestroy:
		id, err := decodeUIDOnly(v, payload)
		return result(&DestroyRequest{UniqueIdentifier: id}, err)
	case kmip14.OperationCheck:
		return result(decodeCheckRequest(v, payload))
	case kmip14.OperationArchive:
		return result(decodeArchiveRequest(v, payload))
	case kmip14.OperationRecover:
		return result(decodeRecoverRequest(v, payload))
	case kmip14.OperationPoll:
		return result(decodePollRequest(v, payload))
	case kmip14.OperationCancel:
		return result(decodeCancelRequest(v, payload))
	case kmip14.OperationGetUsageAllocation:
		return result(decodeGetUsageAllocationRequest(v, payload))
	case kmip14.OperationObtainLease:
		id, err := decodeUIDOnly(v, payload)
		return result(&ObtainLeaseRequest{UniqueIdentifier: id}, err)
	case kmip14.OperationExport:
		if !v.AtLeast(V1_4) {
			break
		}
		return result(decodeExportRequest(v, payload))
	case kmip14.OperationImport:
		if !v.AtLeast(V1_4) {
			break
		}
		return result(decodeImportRequest(v, payload))
	case OperationAdjustAttribute:
		if !v.Is2x() {
			break
		}
		return result(decodeAdjustAttributeRequest(v, payload))
	case kmip14.OperationCertify:
		return result(decodeCertifyRequest(v, payload))
	case kmip14.OperationReCertify:
		return result(decodeReCertifyRequest(v, payload))
	case OperationVendorBackup:
		return result(decodeBackupRequest(v, payload))
	case OperationLog:
		if !v.Is2x() {
			break
		}
		return result(decodeLogRequest(v, payload))
	case OperationInterop:
		if !v.Is2x() {
			break
		}
		return result(decodeInteropRequest(v, payload))
	case OperationPKCS11:
		if !v.Is2x() {
			break
		}
		return result(decodePKCS11Request(v, payload))
	case kmip14.OperationCreateKeyPair:
		return result(decodeCreateKeyPairRequest(v, payload))
	case kmip14.OperationReKey:
		return result(decodeReKeyRequest(v, payload))
	case kmip14.OperationNotify:
		return result(decodeNotifyRequest(v, payload))
	case kmip14.OperationPut:
		return result(decodePutRequest(v, payload))
	case OperationSetEndpointRole:
		if !v.Is2x() {
			break
		}
		return result(decodeSetEndpointRoleRequest(v, payload))
	case kmip14.OperationReKeyKeyPair:
		if !v.AtLeast(V1_1) {
			break
		}
		return result(decodeReKeyKeyPairRequest(v, payload))
	case kmip14.OperationCreateSplitKey:
		if !v.AtLeast(V1_2) {
			break
		}
		return result(decodeCreateSplitKeyRequest(v, payload))
	case kmip14.OperationJoinSplitKey:
		if !v.AtLeast(V1_2) {
			break
		}
		return result(decodeJoinSplitKeyRequest(v, payload))
	}
	if isCryptoOperation(op) && v.AtLeast(V1_2) {
		return decodeCryptoRequest(op, v, payload)
	}
	return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
}

// encodeResponsePayload writes the Response Payload structure for payload
// (a *XxxResponse, or nil for an empty payload) in version v.
func encodeResponsePayload(e *ttlv.Encoder, op Operation, v Version, payload any) error {
	return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
		switch p := payload.(type) {
		case nil:
			return nil
		case *DiscoverVersionsResponse:
			encodeVersions(e, p.Versions)
		case *QueryResponse:
			return encodeQueryResponse(e, v, p)
		case *CreateResponse:
			return encodeCreateResponse(e, v, p)
		case *RegisterResponse:
			return encodeRegisterResponse(e, v, p)
		case *GetResponse:
			return encodeGetResponse(e, v, p)
		case *GetAttributesResponse:
			return encodeGetAttributesResponse(e, v, p)
		case *GetAttributeListResponse:
			return encodeGetAttributeListResponse(e, v, p)
		case *AddAttributeResponse:
			return encodeAttributeEcho(e, v, p.UniqueIdentifier, &p.Attribute)
		case *SetAttributeResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *ModifyAttributeResponse:
			return encodeAttributeEcho(e, v, p.UniqueIdentifier, &p.Attribute)
		case *DeleteAttributeResponse:
			return encodeAttributeEcho(e, v, p.UniqueIdentifier, &p.Attribute)
		case *LocateResponse:
			encodeLocateResponse(e, v, p)
		case *ActivateResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *RevokeResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *DestroyResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *CheckResponse:
			encodeCheckFields(e, CheckRequest(*p))
		case *ArchiveResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *RecoverResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *PollResponse:
		case *CancelResponse:
			encodeCancelResponse(e, p)
		case *GetUsageAllocationResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *ObtainLeaseResponse:
			encodeObtainLeaseResponse(e, p)
		case *ExportResponse:
			return encodeExportResponse(e, v, p)
		case *ImportResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *AdjustAttributeResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *CertifyResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *ReCertifyResponse:
			encodeUID(e, p.UniqueIdentifier)
		case *BackupResponse:
			encodeBackupResponse(e, p)
		case *PKCS11Response:
			encodePKCS11Response(e, p)
		case *CreateKeyPairResponse:
			encodeKeyPairIDs(e, p.PrivateKeyUniqueIdentifier, p.PublicKeyUniqueIdentifier)
		case *ReKeyResponse:
			e.EncodeTextString(kmip14.TagUniqueIdentifier, p.UniqueIdentifier)
		case *SetEndpointRoleResponse:
			encodeEndpointRole(e, p.Role)
		case *ReKeyKeyPairResponse:
			encodeKeyPairIDs(e, p.PrivateKeyUniqueIdentifier, p.PublicKeyUniqueIdentifier)
		case *CreateSplitKeyResponse:
			encodeCreateSplitKeyResponse(e, p)
		case *JoinSplitKeyResponse:
			e.EncodeTextString(kmip14.TagUniqueIdentifier, p.UniqueIdentifier)
		default:
			if f, ok := cryptoResponseFields(payload); ok {
				return encodeCryptoFields(e, v, &f)
			}
			return fmt.Errorf("kmip: %v: cannot encode response payload %T", op, payload)
		}
		return nil
	})
}

// encodeRequestPayload writes the Request Payload structure for payload (a
// *XxxRequest) in version v. Used by Client.
func encodeRequestPayload(e *ttlv.Encoder, op Operation, v Version, payload any) error {
	return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
		switch p := payload.(type) {
		case nil:
			return nil
		case *DiscoverVersionsRequest:
			encodeVersions(e, p.Versions)
		case *QueryRequest:
			for _, f := range p.Functions {
				e.EncodeEnumeration(kmip14.TagQueryFunction, uint32(f))
			}
		case *CreateRequest:
			return encodeCreateRequest(e, v, p)
		case *RegisterRequest:
			return encodeRegisterRequest(e, v, p)
		case *GetRequest:
			return encodeGetRequest(e, v, p)
		case *GetAttributesRequest:
			return encodeGetAttributesRequest(e, v, p)
		case *GetAttributeListRequest:
			encodeUID(e, p.UniqueIdentifier)
		case *AddAttributeRequest:
			return encodeAttributeChange(e, v, p.UniqueIdentifier, nil, &p.Attribute)
		case *SetAttributeRequest:
			return encodeAttributeChange(e, v, p.UniqueIdentifier, nil, &p.Attribute)
		case *ModifyAttributeRequest:
			return encodeAttributeChange(e, v, p.UniqueIdentifier, p.Current, &p.Attribute)
		case *DeleteAttributeRequest:
			return encodeDeleteAttributeRequest(e, v, p)
		case *LocateRequest:
			return encodeLocateRequest(e, v, p)
		case *ActivateRequest:
			encodeUID(e, p.UniqueIdentifier)
		case *RevokeRequest:
			return encodeRevokeRequest(e, p)
		case *DestroyRequest:
			encodeUID(e, p.UniqueIdentifier)
		case *CheckRequest:
			encodeCheckFields(e, *p)
		case *ArchiveRequest:
			encodeUID(e, p.UniqueIdentifier)
		case *RecoverRequest:
			encodeUID(e, p.UniqueIdentifier)
		case *PollRequest:
			encodeCorrelationValue(e, p.AsynchronousCorrelationValue)
		case *CancelRequest:
			encodeCorrelationValue(e, p.AsynchronousCorrelationValue)
		case *GetUsageAllocationRequest:
			encodeGetUsageAllocationRequest(e, p)
		case *ObtainLeaseRequest:
			encodeUID(e, p.UniqueIdentifier)
		case *ExportRequest:
			return encodeExportRequest(e, v, p)
		case *ImportRequest:
			return encodeImportRequest(e, v, p)
		case *AdjustAttributeRequest:
			return encodeAdjustAttributeRequest(e, v, p)
		case *CertifyRequest:
			return encodeCertifyRequest(e, v, p)
		case *ReCertifyRequest:
			return encodeReCertifyRequest(e, v, p)
		case *BackupRequest:
			encodeBackupRequest(e, p)
		case *LogRequest:
			encodeLogRequest(e, p)
		case *InteropRequest:
			encodeInteropRequest(e, p)
		case *PKCS11Request:
			encodePKCS11Request(e, p)
		case *CreateKeyPairRequest:
			return encodeCreateKeyPairRequest(e, v, p)
		case *ReKeyRequest:
			return encodeReKeyRequest(e, v, p)
		case *NotifyRequest:
			return encodeNotifyRequest(e, v, p)
		case *PutRequest:
			return encodePutRequest(e, v, p)
		case *SetEndpointRoleRequest:
			encodeEndpointRole(e, p.Role)
		case *ReKeyKeyPairRequest:
			return encodeReKeyKeyPairRequest(e, v, p)
		case *CreateSplitKeyRequest:
			return encodeCreateSplitKeyRequest(e, v, p)
		case *JoinSplitKeyRequest:
			return encodeJoinSplitKeyRequest(e, v, p)
		default:
			if f, ok := cryptoRequestFields(payload); ok {
				return encodeCryptoFields(e, v, &f)
			}
			return fmt.Errorf("kmip: %v: cannot encode request payload %T", op, payload)
		}
		return nil
	})
}

// decodeResponsePayload decodes the validated Response Payload of op in
// version v into a *XxxResponse. Used by Client.
func decodeResponsePayload(op Operation, v Version, payload ttlv.TTLV) (any, error) {
	if err := readStructure(payload); err != nil {
		return nil, err
	}
	var p any
	var err *Error
	switch op {
	case kmip14.OperationDiscoverVersions:
		p, err = result(decodeDiscoverVersionsResponse(v, payload))
	case kmip14.OperationQuery:
		p, err = result(decodeQueryResponse(v, payload))
	case kmip14.OperationCreate:
		p, err = result(decodeCreateResponse(v, payload))
	case kmip14.OperationRegister:
		p, err = result(decodeRegisterResponse(v, payload))
	case kmip14.OperationGet:
		p, err = result(decodeGetResponse(v, payload))
	case kmip14.OperationGetAttributes:
		p, err = result(decodeGetAttributesResponse(v, payload))
	case kmip14.OperationGetAttributeList:
		p, err = result(decodeGetAttributeListResponse(v, payload))
	case kmip14.OperationAddAttribute:
		id, a, e := decodeAttributeEcho(v, payload)
		p, err = result(&AddAttributeResponse{UniqueIdentifier: id, Attribute: a}, e)
	case OperationSetAttribute:
		id, e := decodeUIDOnly(v, payload)
		p, err = result(&SetAttributeResponse{UniqueIdentifier: id}, e)
	case kmip14.OperationModifyAttribute:
		id, a, e := decodeAttributeEcho(v, payload)
		p, err = result(&ModifyAttributeResponse{UniqueIdentifier: id, Attribute: a}, e)
	case kmip14.OperationDeleteAttribute:
		id, a, e := decodeAttributeEcho(v, payload)
		p, err = result(&DeleteAttributeResponse{UniqueIdentifier: id, Attribute: a}, e)
	case kmip14.OperationLocate:
		p, err = result(decodeLocateResponse(v, payload))
	case kmip14.OperationActivate:
		id, e := decodeUIDOnly(v, payload)
		p, err = result(&ActivateResponse{UniqueIdentifier: id}, e)
	case kmip14.OperationRevoke:
		id, e := decodeUIDOnly(v, payload)
		p, err = result(&RevokeResponse{UniqueIdentifier: id}, e)
	case kmip14.OperationDestroy:
		id, e := decodeUIDOnly(v, payload)
		p, err = result(&DestroyResponse{UniqueIdentifier: id}, e)
	case kmip14.OperationCheck:
		p, err = result(decodeCheckResponse(v, payload))
	case kmip14.OperationArchive:
		p, err = result(decodeArchiveResponse(v, payload))
	case kmip14.OperationRecover:
		p, err = result(decodeRecoverResponse(v, payload))
	case kmip14.OperationPoll:
		p, err = result(decodePollResponse(v, payload))
	case kmip14.OperationCancel:
		p, err = result(decodeCancelResponse(v, payload))
	case kmip14.OperationGetUsageAllocation:
		id, e := decodeUIDOnly(v, payload)
		p, err = result(&GetUsageAllocationResponse{UniqueIdentifier: id}, e)
	case kmip14.OperationObtainLease:
		p, err = result(decodeObtainLeaseResponse(v, payload))
	case kmip14.OperationExport, kmip14.OperationImport:
		if !v.AtLeast(V1_4) {
			return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
		}
		if op == kmip14.OperationExport {
			p, err = result(decodeExportResponse(v, payload))
		} else {
			p, err = result(decodeImportResponse(v, payload))
		}
	case OperationAdjustAttribute:
		if !v.Is2x() {
			return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
		}
		id, e := decodeUIDOnly(v, payload)
		p, err = result(&AdjustAttributeResponse{UniqueIdentifier: id}, e)
	case kmip14.OperationCertify:
		p, err = result(decodeCertifyResponse(v, payload))
	case kmip14.OperationReCertify:
		p, err = result(decodeReCertifyResponse(v, payload))
	case OperationVendorBackup:
		p, err = result(decodeBackupResponse(v, payload))
	case OperationLog, OperationInterop:
		if !v.Is2x() {
			return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
		}
		return nil, nil // empty response payload
	case OperationPKCS11:
		if !v.Is2x() {
			return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
		}
		p, err = result(decodePKCS11Response(v, payload))
	case kmip14.OperationCreateKeyPair:
		p, err = result(decodeCreateKeyPairResponse(v, payload))
	case kmip14.OperationReKey:
		id, e := decodeUIDOnly(v, payload)
		p, err = result(&ReKeyResponse{UniqueIdentifier: id}, e)
	case kmip14.OperationNotify, kmip14.OperationPut:
		return nil, nil // empty response payload
	case OperationSetEndpointRole:
		if !v.Is2x() {
			return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
		}
		p, err = result(decodeSetEndpointRoleResponse(v, payload))
	case kmip14.OperationReKeyKeyPair:
		p, err = result(decodeReKeyKeyPairResponse(v, payload))
	case kmip14.OperationCreateSplitKey:
		p, err = result(decodeCreateSplitKeyResponse(v, payload))
	case kmip14.OperationJoinSplitKey:
		p, err = result(decodeJoinSplitKeyResponse(v, payload))
	case kmip14.OperationEncrypt, kmip14.OperationDecrypt, kmip14.OperationSign,
		kmip14.OperationSignatureVerify, kmip14.OperationMAC, kmip14.OperationMACVerify,
		kmip14.OperationHash, kmip14.OperationRNGRetrieve, kmip14.OperationRNGSeed:
		p, err = decodeCryptoResponse(op, v, payload)
	default:
		return nil, Errorf(ReasonOperationNotSupported, "operation %v is not supported", op)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// result converts a decoder's typed result to the dispatchers' (any,
// *Error), so that a failed decode never yields a typed nil payload.
func result[T any](p *T, err *Error) (any, *Error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decodeUIDOnly decodes a payload whose only field is a Unique Identifier.
func decodeUIDOnly(v Version, p ttlv.TTLV) (string, *Error) {
	var id string
	for c := range children(p) {
		if c.Tag() == kmip14.TagUniqueIdentifier {
			var err *Error
			if id, err = readUID(v, c); err != nil {
				return "", err
			}
		}
	}
	return id, nil
}
