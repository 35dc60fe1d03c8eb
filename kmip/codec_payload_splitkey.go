package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Create Split Key and Join Split Key payloads (KMIP 1.2 and later).
// 1.x carries the attributes of the new key in a Template-Attribute, 2.x in
// Attributes; the responses list Unique Identifiers only (the optional 1.x
// Template-Attribute of implicitly set attributes is never sent).

func decodeCreateSplitKeyRequest(v Version, p ttlv.TTLV) (*CreateSplitKeyRequest, *Error) {
	r := &CreateSplitKeyRequest{}
	var err *Error
	var x uint32
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagObjectType:
			x, err = readEnum(c)
			r.ObjectType = ObjectType(x)
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagSplitKeyParts:
			r.SplitKeyParts, err = readInt(c)
		case kmip14.TagSplitKeyThreshold:
			r.SplitKeyThreshold, err = readInt(c)
		case kmip14.TagSplitKeyMethod:
			x, err = readEnum(c)
			r.SplitKeyMethod = SplitKeyMethod(x)
		case kmip14.TagPrimeFieldSize:
			r.PrimeFieldSize, err = readBigInt(c)
		case kmip20.TagProtectionStorageMasks:
			err = unsupportedField(v, p, c)
		default:
			r.Attributes, err = decodeAttrsField(v, p, c, r.Attributes, &r.TemplateNames)
		}
		if err != nil {
			return nil, err
		}
	}
	if r.ObjectType == 0 || r.SplitKeyParts == 0 || r.SplitKeyThreshold == 0 || r.SplitKeyMethod == 0 {
		return nil, errMissing(v, "Object Type, Split Key Parts, Split Key Threshold or Split Key Method")
	}
	return r, nil
}

func encodeCreateSplitKeyRequest(e *ttlv.Encoder, v Version, r *CreateSplitKeyRequest) error {
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	encodeUID(e, r.UniqueIdentifier)
	e.EncodeInteger(kmip14.TagSplitKeyParts, r.SplitKeyParts)
	e.EncodeInteger(kmip14.TagSplitKeyThreshold, r.SplitKeyThreshold)
	e.EncodeEnumeration(kmip14.TagSplitKeyMethod, uint32(r.SplitKeyMethod))
	if r.PrimeFieldSize != nil {
		e.EncodeBigInteger(kmip14.TagPrimeFieldSize, r.PrimeFieldSize)
	}
	return encodeRequestAttrs(e, v, r.TemplateNames, r.Attributes)
}

func encodeCreateSplitKeyResponse(e *ttlv.Encoder, r *CreateSplitKeyResponse) {
	for _, id := range r.UniqueIdentifiers {
		e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
	}
}

func decodeCreateSplitKeyResponse(v Version, p ttlv.TTLV) (*CreateSplitKeyResponse, *Error) {
	r := &CreateSplitKeyResponse{}
	for c := range children(p) {
		if c.Tag() != kmip14.TagUniqueIdentifier {
			continue
		}
		id, err := readUID(v, c)
		if err != nil {
			return nil, err
		}
		r.UniqueIdentifiers = append(r.UniqueIdentifiers, id)
	}
	if len(r.UniqueIdentifiers) == 0 {
		return nil, errMissing(v, "Unique Identifier")
	}
	return r, nil
}

func decodeJoinSplitKeyRequest(v Version, p ttlv.TTLV) (*JoinSplitKeyRequest, *Error) {
	r := &JoinSplitKeyRequest{}
	var err *Error
	var x uint32
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagObjectType:
			x, err = readEnum(c)
			r.ObjectType = ObjectType(x)
		case kmip14.TagUniqueIdentifier:
			var id string
			if id, err = readUID(v, c); err == nil {
				r.UniqueIdentifiers = append(r.UniqueIdentifiers, id)
			}
		case kmip14.TagSecretDataType:
			x, err = readEnum(c)
			r.SecretDataType = SecretDataType(x)
		case kmip20.TagProtectionStorageMasks:
			err = unsupportedField(v, p, c)
		default:
			r.Attributes, err = decodeAttrsField(v, p, c, r.Attributes, &r.TemplateNames)
		}
		if err != nil {
			return nil, err
		}
	}
	if r.ObjectType == 0 || len(r.UniqueIdentifiers) == 0 {
		return nil, errMissing(v, "Object Type or Unique Identifier")
	}
	return r, nil
}

func encodeJoinSplitKeyRequest(e *ttlv.Encoder, v Version, r *JoinSplitKeyRequest) error {
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	for _, id := range r.UniqueIdentifiers {
		e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
	}
	if r.SecretDataType != 0 {
		e.EncodeEnumeration(kmip14.TagSecretDataType, uint32(r.SecretDataType))
	}
	if len(r.TemplateNames) == 0 && len(r.Attributes) == 0 {
		return nil
	}
	return encodeRequestAttrs(e, v, r.TemplateNames, r.Attributes)
}

func decodeJoinSplitKeyResponse(v Version, p ttlv.TTLV) (*JoinSplitKeyResponse, *Error) {
	id, err := decodeUIDOnly(v, p)
	if err == nil && id == "" {
		err = errMissing(v, "Unique Identifier")
	}
	if err != nil {
		return nil, err
	}
	return &JoinSplitKeyResponse{UniqueIdentifier: id}, nil
}
