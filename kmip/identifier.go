package kmip

// UniqueIdentifierOf returns the Unique Identifier a request or response
// payload (a pointer to one of the types of payloads.go) names, or "" when
// it names none: the object an item acts on or produced. For a key pair it
// is the private key's; for a Locate response, the one match when there is
// exactly one. A request's empty identifier (the ID Placeholder) is returned
// as "". The response's identifier becomes the batch's ID Placeholder.
func UniqueIdentifierOf(payload any) string {
	switch p := payload.(type) {
	case *CreateResponse:
		return p.UniqueIdentifier
	case *RegisterResponse:
		return p.UniqueIdentifier
	case *GetRequest:
		return p.UniqueIdentifier
	case *GetResponse:
		return p.UniqueIdentifier
	case *GetAttributesRequest:
		return p.UniqueIdentifier
	case *GetAttributesResponse:
		return p.UniqueIdentifier
	case *GetAttributeListRequest:
		return p.UniqueIdentifier
	case *GetAttributeListResponse:
		return p.UniqueIdentifier
	case *AddAttributeRequest:
		return p.UniqueIdentifier
	case *AddAttributeResponse:
		return p.UniqueIdentifier
	case *SetAttributeRequest:
		return p.UniqueIdentifier
	case *SetAttributeResponse:
		return p.UniqueIdentifier
	case *ModifyAttributeRequest:
		return p.UniqueIdentifier
	case *ModifyAttributeResponse:
		return p.UniqueIdentifier
	case *DeleteAttributeRequest:
		return p.UniqueIdentifier
	case *DeleteAttributeResponse:
		return p.UniqueIdentifier
	case *LocateResponse:
		if len(p.UniqueIdentifiers) == 1 {
			return p.UniqueIdentifiers[0]
		}
	case *ActivateRequest:
		return p.UniqueIdentifier
	case *ActivateResponse:
		return p.UniqueIdentifier
	case *RevokeRequest:
		return p.UniqueIdentifier
	case *RevokeResponse:
		return p.UniqueIdentifier
	case *DestroyRequest:
		return p.UniqueIdentifier
	case *DestroyResponse:
		return p.UniqueIdentifier
	case *ArchiveRequest:
		return p.UniqueIdentifier
	case *ArchiveResponse:
		return p.UniqueIdentifier
	case *RecoverRequest:
		return p.UniqueIdentifier
	case *RecoverResponse:
		return p.UniqueIdentifier
	case *CheckRequest:
		return p.UniqueIdentifier
	case *CheckResponse:
		return p.UniqueIdentifier
	case *CreateKeyPairResponse:
		return p.PrivateKeyUniqueIdentifier
	case *ReKeyRequest:
		return p.UniqueIdentifier
	case *ReKeyResponse:
		return p.UniqueIdentifier
	case *ReKeyKeyPairRequest:
		return p.PrivateKeyUniqueIdentifier
	case *ReKeyKeyPairResponse:
		return p.PrivateKeyUniqueIdentifier
	case *EncryptRequest:
		return p.UniqueIdentifier
	case *EncryptResponse:
		return p.UniqueIdentifier
	case *DecryptRequest:
		return p.UniqueIdentifier
	case *DecryptResponse:
		return p.UniqueIdentifier
	case *SignRequest:
		return p.UniqueIdentifier
	case *SignResponse:
		return p.UniqueIdentifier
	case *SignatureVerifyRequest:
		return p.UniqueIdentifier
	case *SignatureVerifyResponse:
		return p.UniqueIdentifier
	case *MACRequest:
		return p.UniqueIdentifier
	case *MACResponse:
		return p.UniqueIdentifier
	case *MACVerifyRequest:
		return p.UniqueIdentifier
	case *MACVerifyResponse:
		return p.UniqueIdentifier
	case *CertifyRequest:
		return p.UniqueIdentifier
	case *CertifyResponse:
		return p.UniqueIdentifier
	case *ReCertifyRequest:
		return p.UniqueIdentifier
	case *ReCertifyResponse:
		return p.UniqueIdentifier
	case *CreateSplitKeyRequest:
		return p.UniqueIdentifier
	case *CreateSplitKeyResponse:
		if len(p.UniqueIdentifiers) == 1 {
			return p.UniqueIdentifiers[0]
		}
	case *JoinSplitKeyResponse:
		return p.UniqueIdentifier
	case *ExportRequest:
		return p.UniqueIdentifier
	case *ExportResponse:
		return p.UniqueIdentifier
	case *ImportRequest:
		return p.UniqueIdentifier
	case *ImportResponse:
		return p.UniqueIdentifier
	case *AdjustAttributeRequest:
		return p.UniqueIdentifier
	case *AdjustAttributeResponse:
		return p.UniqueIdentifier
	case *GetUsageAllocationRequest:
		return p.UniqueIdentifier
	case *GetUsageAllocationResponse:
		return p.UniqueIdentifier
	case *ObtainLeaseRequest:
		return p.UniqueIdentifier
	case *ObtainLeaseResponse:
		return p.UniqueIdentifier
	case *NotifyRequest:
		return p.UniqueIdentifier
	case *PutRequest:
		return p.UniqueIdentifier
	}
	return ""
}
