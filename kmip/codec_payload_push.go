package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Notify and Put request payloads, in every version (their response
// payloads are empty). The changed attributes are 1.x Attributes or a 2.x
// Attributes structure; a deleted attribute is a 1.x Attribute without an
// Attribute Value, or a 2.x Attribute Reference.

func encodeNotifyRequest(e *ttlv.Encoder, v Version, r *NotifyRequest) error {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	if v.Is2x() {
		if err := encodeAttrs2x(e, kmip20.TagAttributes, v, r.Attributes); err != nil {
			return err
		}
		for _, name := range r.Deleted {
			if err := encodeAttrRef(e, v, name); err != nil {
				return err
			}
		}
		return nil
	}
	if err := encodeAttrs1x(e, v, r.Attributes); err != nil {
		return err
	}
	for _, name := range r.Deleted {
		if !attrEncodable(name, v) {
			continue
		}
		e.EncodeStructure(kmip14.TagAttribute, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagAttributeName, name)
			return nil
		})
	}
	return nil
}

func decodeNotifyRequest(v Version, p ttlv.TTLV) (*NotifyRequest, *Error) {
	r := &NotifyRequest{}
	var err *Error
	for c := range children(p) {
		switch {
		case c.Tag() == kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case v.Is2x() && c.Tag() == kmip20.TagAttributes:
			r.Attributes, err = decodeAttrs2x(v, c, r.Attributes)
		case v.Is2x() && c.Tag() == kmip20.TagAttributeReference:
			var name string
			name, err = decodeAttrRef(v, c)
			r.Deleted = append(r.Deleted, name)
		case !v.Is2x() && c.Tag() == kmip14.TagAttribute:
			err = decodeNotifiedAttr1x(v, c, r)
		default:
			err = extraField(v, p, c)
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

// decodeNotifiedAttr1x adds a 1.x Attribute of a Notify to r: to Deleted
// when it has no Attribute Value, to Attributes otherwise.
func decodeNotifiedAttr1x(v Version, f ttlv.TTLV, r *NotifyRequest) *Error {
	if err := readStructure(f); err != nil {
		return err
	}
	var name string
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagAttributeValue:
			a, err := decodeAttr1x(v, f)
			r.Attributes = append(r.Attributes, a)
			return err
		case kmip14.TagAttributeName:
			var err *Error
			if name, err = readText(c); err != nil {
				return err
			}
		default:
			if err := extraField(v, f, c); err != nil {
				return err
			}
		}
	}
	if name == "" {
		return errMissing(v, "Attribute Name")
	}
	r.Deleted = append(r.Deleted, name)
	return nil
}

func encodePutRequest(e *ttlv.Encoder, v Version, r *PutRequest) error {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	e.EncodeEnumeration(kmip14.TagPutFunction, uint32(r.PutFunction))
	if r.ReplacedUniqueIdentifier != "" {
		e.EncodeTextString(kmip14.TagReplacedUniqueIdentifier, r.ReplacedUniqueIdentifier)
	}
	if err := encodeObject(e, v, &r.Object); err != nil {
		return err
	}
	if v.Is2x() {
		if len(r.Attributes) == 0 {
			return nil
		}
		return encodeAttrs2x(e, kmip20.TagAttributes, v, r.Attributes)
	}
	return encodeAttrs1x(e, v, r.Attributes)
}

func decodePutRequest(v Version, p ttlv.TTLV) (*PutRequest, *Error) {
	r := &PutRequest{}
	var err *Error
	var haveObject bool
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagPutFunction:
			var x uint32
			x, err = readEnum(c)
			r.PutFunction = PutFunction(x)
		case kmip14.TagReplacedUniqueIdentifier:
			r.ReplacedUniqueIdentifier, err = readText(c)
		default:
			if _, isObject := objectTypeOfTag(c.Tag()); isObject {
				r.Object, err = decodeObject(v, c)
				haveObject = true
				break
			}
			r.Attributes, err = decodeAttrsField(v, p, c, r.Attributes, nil)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case r.UniqueIdentifier == "":
		return nil, errMissing(v, "Unique Identifier")
	case r.PutFunction != kmip14.PutFunctionNew && r.PutFunction != kmip14.PutFunctionReplace:
		return nil, Errorf(ReasonInvalidField, "Put Function %v", r.PutFunction)
	case r.PutFunction == kmip14.PutFunctionReplace && r.ReplacedUniqueIdentifier == "":
		return nil, errMissing(v, "Replaced Unique Identifier")
	case !haveObject:
		return nil, errMissing(v, "object")
	}
	return r, nil
}
