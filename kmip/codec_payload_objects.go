package kmip

import (
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// Create, Register, Get, Locate and Revoke payloads.

// decodeAttrs decodes c when it is a field that carries attributes in the
// shape of version v: a 1.x Template-Attribute or Attribute, or a 2.x
// Attributes; it appends them to into. ok is false when c is none of
// these. Template names of a Template-Attribute are appended to *names, or
// refused when names is nil.
func decodeAttrs(v Version, c ttlv.TTLV, into Attributes, names *[]Name) (_ Attributes, ok bool, _ *Error) {
	switch {
	case v.Is2x() && c.Tag() == kmip20.TagAttributes:
		as, err := decodeAttrs2x(v, c, into)
		return as, true, err
	case !v.Is2x() && c.Tag() == kmip14.TagTemplateAttribute:
		as, err := decodeTemplateAttribute(v, c, into, names)
		return as, true, err
	case !v.Is2x() && c.Tag() == kmip14.TagAttribute:
		a, err := decodeAttr1x(v, c)
		return append(into, a), true, err
	}
	return into, false, nil
}

// decodeAttrsField decodes c, a field of payload p, as decodeAttrs does;
// any other field is extraField's to judge, so that the 1.x shapes in a 2.x
// payload and the 2.x shape in a 1.x one are refused.
func decodeAttrsField(v Version, p, c ttlv.TTLV, into Attributes, names *[]Name) (Attributes, *Error) {
	as, ok, err := decodeAttrs(v, c, into, names)
	if !ok {
		err = extraField(v, p, c)
	}
	return as, err
}

// encodeRequestAttrs writes template names and as in the shape of a Create
// or Register request: a Template-Attribute in 1.x, Attributes in 2.x
// (which has no templates).
func encodeRequestAttrs(e *ttlv.Encoder, v Version, names []Name, as Attributes) error {
	if v.Is2x() {
		if len(names) > 0 {
			return fmt.Errorf("kmip: templates do not exist in KMIP %s", v)
		}
		return encodeAttrs2x(e, kmip20.TagAttributes, v, as)
	}
	return encodeTemplateAttribute(e, v, names, as)
}

func decodeCreateRequest(v Version, p ttlv.TTLV) (*CreateRequest, *Error) {
	req := &CreateRequest{}
	var err *Error
	for c := range children(p) {
		if c.Tag() == kmip14.TagObjectType {
			var x uint32
			if x, err = readEnum(c); err != nil {
				return nil, err
			}
			req.ObjectType = ObjectType(x)
			continue
		}
		if c.Tag() == kmip20.TagProtectionStorageMasks {
			return nil, unsupportedField(v, p, c)
		}
		if req.Attributes, err = decodeAttrsField(v, p, c, req.Attributes, &req.TemplateNames); err != nil {
			return nil, err
		}
	}
	if req.ObjectType == 0 {
		return nil, errMissing(v, "Object Type")
	}
	return req, nil
}

func encodeCreateRequest(e *ttlv.Encoder, v Version, r *CreateRequest) error {
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	return encodeRequestAttrs(e, v, r.TemplateNames, r.Attributes)
}

func encodeCreateResponse(e *ttlv.Encoder, v Version, r *CreateResponse) error {
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	return encodeImplicitAttrs(e, v, r.Attributes)
}

// encodeImplicitAttrs writes the attributes the server set implicitly: a
// Template-Attribute in 1.x when there are any, nothing in 2.x.
func encodeImplicitAttrs(e *ttlv.Encoder, v Version, as Attributes) error {
	if v.Is2x() || len(as) == 0 {
		return nil
	}
	return encodeTemplateAttribute(e, v, nil, as)
}

func decodeCreateResponse(v Version, p ttlv.TTLV) (*CreateResponse, *Error) {
	r := &CreateResponse{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagObjectType:
			var x uint32
			x, err = readEnum(c)
			r.ObjectType = ObjectType(x)
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagTemplateAttribute:
			r.Attributes, err = decodeTemplateAttribute(v, c, r.Attributes, nil)
		}
		if err != nil {
			return nil, err
		}
	}
	if r.UniqueIdentifier == "" {
		return nil, errMissing(v, "Unique Identifier")
	}
	return r, nil
}

func decodeRegisterRequest(v Version, p ttlv.TTLV) (*RegisterRequest, *Error) {
	req := &RegisterRequest{}
	var err *Error
	var haveObject bool
	for c := range children(p) {
		if c.Tag() == kmip14.TagObjectType {
			var x uint32
			if x, err = readEnum(c); err != nil {
				return nil, err
			}
			req.ObjectType = ObjectType(x)
			continue
		}
		if _, isObject := objectTypeOfTag(c.Tag()); isObject {
			if req.Object, err = decodeObject(v, c); err != nil {
				return nil, err
			}
			haveObject = true
			continue
		}
		if c.Tag() == kmip20.TagProtectionStorageMasks {
			return nil, unsupportedField(v, p, c)
		}
		if req.Attributes, err = decodeAttrsField(v, p, c, req.Attributes, &req.TemplateNames); err != nil {
			return nil, err
		}
	}
	switch {
	case req.ObjectType == 0:
		return nil, errMissing(v, "Object Type")
	case !haveObject:
		return nil, errMissing(v, "object")
	case req.Object.Type != req.ObjectType:
		return nil, Errorf(ReasonInvalidField, "Object Type %v does not match the object %v", req.ObjectType, req.Object.Type)
	}
	return req, nil
}

func encodeRegisterRequest(e *ttlv.Encoder, v Version, r *RegisterRequest) error {
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	if err := encodeRequestAttrs(e, v, r.TemplateNames, r.Attributes); err != nil {
		return err
	}
	return encodeObject(e, v, &r.Object)
}

func encodeRegisterResponse(e *ttlv.Encoder, v Version, r *RegisterResponse) error {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	return encodeImplicitAttrs(e, v, r.Attributes)
}

func decodeRegisterResponse(v Version, p ttlv.TTLV) (*RegisterResponse, *Error) {
	c, err := decodeCreateResponse(v, p)
	if err != nil {
		return nil, err
	}
	return &RegisterResponse{UniqueIdentifier: c.UniqueIdentifier, Attributes: c.Attributes}, nil
}

// decodeGetRequest decodes a Get request, whose fields are also those of
// an Export request.
func decodeGetRequest(v Version, p ttlv.TTLV) (*GetRequest, *Error) {
	req := &GetRequest{}
	var err *Error
	var x uint32
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			req.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagKeyFormatType:
			x, err = readEnum(c)
			req.KeyFormatType = KeyFormatType(x)
		case kmip14.TagKeyWrapType:
			x, err = readEnum(c)
			req.KeyWrapType = KeyWrapType(x)
		case kmip14.TagKeyCompressionType:
			req.KeyCompressionType, err = readEnum(c)
		case kmip14.TagKeyWrappingSpecification:
			req.KeyWrappingSpecification, err = decodeKeyWrappingSpecification(v, c)
			req.KeyWrapping = true
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	return req, nil
}

// encodeGetRequest writes r, with its Key Wrapping Specification when it
// has one. Key Wrap Type is a 1.4 addition (KMIP 1.4 section 4.11).
func encodeGetRequest(e *ttlv.Encoder, v Version, r *GetRequest) error {
	encodeUID(e, r.UniqueIdentifier)
	if r.KeyFormatType != 0 {
		e.EncodeEnumeration(kmip14.TagKeyFormatType, uint32(r.KeyFormatType))
	}
	if r.KeyWrapType != 0 && v.AtLeast(V1_4) {
		e.EncodeEnumeration(kmip14.TagKeyWrapType, uint32(r.KeyWrapType))
	}
	if r.KeyCompressionType != 0 {
		e.EncodeEnumeration(kmip14.TagKeyCompressionType, r.KeyCompressionType)
	}
	if r.KeyWrappingSpecification != nil {
		return encodeKeyWrappingSpecification(e, v, r.KeyWrappingSpecification)
	}
	return nil
}

func encodeGetResponse(e *ttlv.Encoder, v Version, r *GetResponse) error {
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	return encodeObject(e, v, &r.Object)
}

func decodeGetResponse(v Version, p ttlv.TTLV) (*GetResponse, *Error) {
	r := &GetResponse{}
	var err *Error
	var haveObject bool
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagObjectType:
			var x uint32
			x, err = readEnum(c)
			r.ObjectType = ObjectType(x)
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		default:
			if _, isObject := objectTypeOfTag(c.Tag()); isObject {
				r.Object, err = decodeObject(v, c)
				haveObject = true
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if !haveObject {
		return nil, errMissing(v, "object")
	}
	return r, nil
}

func decodeLocateRequest(v Version, p ttlv.TTLV) (*LocateRequest, *Error) {
	req := &LocateRequest{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagMaximumItems:
			req.MaximumItems, err = readInt(c)
		case kmip14.TagOffsetItems:
			req.OffsetItems, err = readInt(c)
		case kmip14.TagStorageStatusMask:
			var n int32
			n, err = readInt(c)
			req.StorageStatusMask = StorageStatusMask(n)
		case kmip14.TagObjectGroupMember:
			var x uint32
			x, err = readEnum(c)
			req.ObjectGroupMember = ObjectGroupMember(x)
		default:
			// FortiGate wraps the 1.x filters in a Template-Attribute,
			// which 1.x accepts.
			var ok bool
			if req.Attributes, ok, err = decodeAttrs(v, c, req.Attributes, &req.TemplateNames); !ok {
				err = extraFilter(v, p, c)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if req.MaximumItems < 0 || req.OffsetItems < 0 {
		return nil, Errorf(ReasonInvalidField, "negative Maximum Items or Offset Items")
	}
	return req, nil
}

func encodeLocateRequest(e *ttlv.Encoder, v Version, r *LocateRequest) error {
	if r.MaximumItems != 0 {
		e.EncodeInteger(kmip14.TagMaximumItems, r.MaximumItems)
	}
	if v.AtLeast(V1_3) {
		if r.OffsetItems != 0 {
			e.EncodeInteger(kmip14.TagOffsetItems, r.OffsetItems)
		}
		if r.StorageStatusMask != 0 {
			e.EncodeInteger(kmip14.TagStorageStatusMask, int32(r.StorageStatusMask))
		}
		if r.ObjectGroupMember != 0 {
			e.EncodeEnumeration(kmip14.TagObjectGroupMember, uint32(r.ObjectGroupMember))
		}
	}
	if v.Is2x() {
		return encodeAttrs2x(e, kmip20.TagAttributes, v, r.Attributes)
	}
	if len(r.TemplateNames) > 0 {
		if err := encodeTemplateAttribute(e, v, r.TemplateNames, nil); err != nil {
			return err
		}
	}
	return encodeAttrs1x(e, v, r.Attributes)
}

func encodeLocateResponse(e *ttlv.Encoder, v Version, r *LocateResponse) error {
	if v.AtLeast(V1_3) {
		e.EncodeInteger(kmip14.TagLocatedItems, r.LocatedItems)
	}
	for _, id := range r.UniqueIdentifiers {
		e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
	}
	return nil
}

func decodeLocateResponse(v Version, p ttlv.TTLV) (*LocateResponse, *Error) {
	r := &LocateResponse{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagLocatedItems:
			r.LocatedItems, err = readInt(c)
		case kmip14.TagUniqueIdentifier:
			var id string
			id, err = readUID(v, c)
			r.UniqueIdentifiers = append(r.UniqueIdentifiers, id)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

func decodeRevokeRequest(v Version, p ttlv.TTLV) (*RevokeRequest, *Error) {
	req := &RevokeRequest{}
	var err *Error
	var haveReason bool
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			req.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagRevocationReason:
			if err = readStructure(c); err == nil {
				req.Reason, err = decodeRevocationReason(c)
				haveReason = true
			}
		case kmip14.TagCompromiseOccurrenceDate:
			req.CompromiseOccurrenceDate, err = readTime(c)
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if !haveReason || req.Reason.Code == 0 {
		return nil, errMissing(v, "Revocation Reason")
	}
	return req, nil
}

func encodeRevokeRequest(e *ttlv.Encoder, r *RevokeRequest) error {
	encodeUID(e, r.UniqueIdentifier)
	if err := encodeRevocationReason(e, kmip14.TagRevocationReason, r.Reason); err != nil {
		return err
	}
	if !r.CompromiseOccurrenceDate.IsZero() {
		e.EncodeDateTime(kmip14.TagCompromiseOccurrenceDate, r.CompromiseOccurrenceDate)
	}
	return nil
}
