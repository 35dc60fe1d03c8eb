package kmip

import (
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Export and Import payloads, which KMIP 1.4 introduced. Attributes
// travel as 1.x Attribute structures in 1.4 and in an Attributes structure
// in 2.x; the object as in Get and Register. The dispatch in
// codec_payloads.go refuses both operations before 1.4.

// definesImportExport refuses to encode Export and Import payloads in a
// version before 1.4, which lacks them.
func definesImportExport(v Version) error {
	if !v.AtLeast(V1_4) {
		return fmt.Errorf("kmip: Export and Import do not exist in KMIP %s", v)
	}
	return nil
}

// decodeExportRequest decodes an Export request, whose fields are those
// of Get.
func decodeExportRequest(v Version, p ttlv.TTLV) (*ExportRequest, *Error) {
	get, err := decodeGetRequest(v, p)
	if err != nil {
		return nil, err
	}
	return &ExportRequest{
		UniqueIdentifier:         get.UniqueIdentifier,
		KeyFormatType:            get.KeyFormatType,
		KeyWrapType:              get.KeyWrapType,
		KeyCompressionType:       get.KeyCompressionType,
		KeyWrapping:              get.KeyWrapping,
		KeyWrappingSpecification: get.KeyWrappingSpecification,
	}, nil
}

// encodeExportRequest writes r's fields in the specification's order.
func encodeExportRequest(e *ttlv.Encoder, v Version, r *ExportRequest) error {
	if err := definesImportExport(v); err != nil {
		return err
	}
	encodeUID(e, r.UniqueIdentifier)
	if r.KeyFormatType != 0 {
		e.EncodeEnumeration(kmip14.TagKeyFormatType, uint32(r.KeyFormatType))
	}
	if r.KeyWrapType != 0 {
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

// encodeObjectAttrs writes the attributes of an Export response or Import
// request: 1.x Attribute structures, or a 2.x Attributes structure.
func encodeObjectAttrs(e *ttlv.Encoder, v Version, as Attributes) error {
	if v.Is2x() {
		return encodeAttrs2x(e, kmip20.TagAttributes, v, as)
	}
	return encodeAttrs1x(e, v, as)
}

func encodeExportResponse(e *ttlv.Encoder, v Version, r *ExportResponse) error {
	if err := definesImportExport(v); err != nil {
		return err
	}
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	if err := encodeObjectAttrs(e, v, r.Attributes); err != nil {
		return err
	}
	return encodeObject(e, v, &r.Object)
}

func decodeExportResponse(v Version, p ttlv.TTLV) (*ExportResponse, *Error) {
	get, err := decodeGetResponse(v, p)
	if err != nil {
		return nil, err
	}
	r := &ExportResponse{ObjectType: get.ObjectType, UniqueIdentifier: get.UniqueIdentifier, Object: get.Object}
	for c := range children(p) {
		if r.Attributes, err = decodeAttrsField(v, p, c, r.Attributes, nil); err != nil {
			return nil, err
		}
	}
	if r.UniqueIdentifier == "" {
		return nil, errMissing(v, "Unique Identifier")
	}
	return r, nil
}

func decodeImportRequest(v Version, p ttlv.TTLV) (*ImportRequest, *Error) {
	req := &ImportRequest{}
	var err *Error
	var haveObject bool
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			req.UniqueIdentifier, err = readText(c) // no ID Placeholder: the client names the object
		case kmip14.TagObjectType:
			var x uint32
			x, err = readEnum(c)
			req.ObjectType = ObjectType(x)
		case kmip14.TagReplaceExisting:
			req.ReplaceExisting, err = readBool(c)
		case kmip14.TagKeyWrapType:
			var x uint32
			x, err = readEnum(c)
			req.KeyWrapType = KeyWrapType(x)
		default:
			if _, isObject := objectTypeOfTag(c.Tag()); isObject {
				req.Object, err = decodeObject(v, c)
				haveObject = true
			} else {
				req.Attributes, err = decodeAttrsField(v, p, c, req.Attributes, nil)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case req.UniqueIdentifier == "":
		return nil, errMissing(v, "Unique Identifier")
	case req.ObjectType == 0:
		return nil, errMissing(v, "Object Type")
	case !haveObject:
		return nil, errMissing(v, "object")
	case req.Object.Type != req.ObjectType:
		return nil, Errorf(ReasonInvalidField, "Object Type %v does not match the object %v", req.ObjectType, req.Object.Type)
	}
	return req, nil
}

// encodeImportRequest writes r's fields in the specification's order.
func encodeImportRequest(e *ttlv.Encoder, v Version, r *ImportRequest) error {
	if err := definesImportExport(v); err != nil {
		return err
	}
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	if r.ReplaceExisting {
		e.EncodeBoolean(kmip14.TagReplaceExisting, true)
	}
	if r.KeyWrapType != 0 {
		e.EncodeEnumeration(kmip14.TagKeyWrapType, uint32(r.KeyWrapType))
	}
	if err := encodeObjectAttrs(e, v, r.Attributes); err != nil {
		return err
	}
	return encodeObject(e, v, &r.Object)
}

func decodeImportResponse(v Version, p ttlv.TTLV) (*ImportResponse, *Error) {
	id, err := decodeUIDOnly(v, p)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, errMissing(v, "Unique Identifier")
	}
	return &ImportResponse{UniqueIdentifier: id}, nil
}
