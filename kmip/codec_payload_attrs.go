package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// GetAttributes, GetAttributeList, AddAttribute, SetAttribute,
// ModifyAttribute and DeleteAttribute payloads.

// decodeGetAttributesRequest decodes a GetAttributes request, whose
// fields are also those of a GetAttributeList response: the names are 1.x
// Attribute Names or 2.x Attribute References.
func decodeGetAttributesRequest(v Version, p ttlv.TTLV) (*GetAttributesRequest, *Error) {
	req := &GetAttributesRequest{}
	var err *Error
	for c := range children(p) {
		var name string
		switch {
		case c.Tag() == kmip14.TagUniqueIdentifier:
			req.UniqueIdentifier, err = readUID(v, c)
		case c.Tag() == kmip14.TagAttributeName && !v.Is2x():
			name, err = readText(c)
		case c.Tag() == kmip20.TagAttributeReference && v.Is2x():
			name, err = decodeAttrRef(v, c)
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
		if name != "" {
			req.Names = append(req.Names, name)
		}
	}
	return req, nil
}

func encodeGetAttributesRequest(e *ttlv.Encoder, v Version, r *GetAttributesRequest) error {
	encodeUID(e, r.UniqueIdentifier)
	if v.Is2x() {
		return encodeAttrNames(e, v, r.Names)
	}
	// A 1.x Attribute Name asked for is only text: every name is sent as
	// given, as the server's decoder reads it; one the server does not
	// define matches nothing there.
	for _, name := range r.Names {
		e.EncodeTextString(kmip14.TagAttributeName, name)
	}
	return nil
}

// encodeAttrNames writes names as 1.x Attribute Names or 2.x Attribute
// References, leaving out those that v does not define.
func encodeAttrNames(e *ttlv.Encoder, v Version, names []string) error {
	for _, name := range names {
		switch {
		case v.Is2x():
			if err := encodeAttrRef(e, v, name); err != nil {
				return err
			}
		case attrEncodable(name, v):
			e.EncodeTextString(kmip14.TagAttributeName, name)
		}
	}
	return nil
}

func encodeGetAttributesResponse(e *ttlv.Encoder, v Version, r *GetAttributesResponse) error {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	if v.Is2x() {
		return encodeAttrs2x(e, kmip20.TagAttributes, v, r.Attributes)
	}
	return encodeAttrs1x(e, v, r.Attributes)
}

func decodeGetAttributesResponse(v Version, p ttlv.TTLV) (*GetAttributesResponse, *Error) {
	r := &GetAttributesResponse{}
	var err *Error
	for c := range children(p) {
		if c.Tag() == kmip14.TagUniqueIdentifier {
			if r.UniqueIdentifier, err = readUID(v, c); err != nil {
				return nil, err
			}
			continue
		}
		if r.Attributes, err = decodeAttrsField(v, p, c, r.Attributes, nil); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func encodeGetAttributeListResponse(e *ttlv.Encoder, v Version, r *GetAttributeListResponse) error {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	return encodeAttrNames(e, v, r.Names)
}

func decodeGetAttributeListResponse(v Version, p ttlv.TTLV) (*GetAttributeListResponse, *Error) {
	req, err := decodeGetAttributesRequest(v, p)
	if err != nil {
		return nil, err
	}
	return &GetAttributeListResponse{UniqueIdentifier: req.UniqueIdentifier, Names: req.Names}, nil
}

// decodeSingleAttr2x decodes a 2.x New Attribute or Current Attribute: a
// structure holding exactly one tagged attribute.
func decodeSingleAttr2x(v Version, f ttlv.TTLV) (Attribute, *Error) {
	as, err := decodeAttrs2x(v, f, nil)
	if err != nil {
		return Attribute{}, err
	}
	if len(as) != 1 {
		return Attribute{}, Errorf(ReasonInvalidMessage, "%s holds %d attributes, not one", tagName(f.Tag()), len(as))
	}
	return as[0], nil
}

// attributeChange is the content shared by the AddAttribute, SetAttribute
// and ModifyAttribute requests.
type attributeChange struct {
	id        string
	current   *Attribute // 2.x Current Attribute
	attribute Attribute  // 1.x Attribute or 2.x New Attribute
	found     bool       // attribute was present
}

func decodeAttributeChange(v Version, p ttlv.TTLV) (attributeChange, *Error) {
	var ch attributeChange
	var err *Error
	for c := range children(p) {
		switch {
		case c.Tag() == kmip14.TagUniqueIdentifier:
			ch.id, err = readUID(v, c)
		case c.Tag() == kmip14.TagAttribute && !v.Is2x():
			ch.attribute, err = decodeAttr1x(v, c)
			ch.found = true
		case c.Tag() == kmip20.TagNewAttribute && v.Is2x():
			ch.attribute, err = decodeSingleAttr2x(v, c)
			ch.found = true
		case c.Tag() == kmip20.TagCurrentAttribute && v.Is2x():
			var a Attribute
			a, err = decodeSingleAttr2x(v, c)
			ch.current = &a
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return attributeChange{}, err
		}
	}
	if !ch.found {
		if v.Is2x() {
			return attributeChange{}, errMissing(v, "New Attribute")
		}
		return attributeChange{}, errMissing(v, "Attribute")
	}
	return ch, nil
}

func decodeAddAttributeRequest(v Version, p ttlv.TTLV) (*AddAttributeRequest, *Error) {
	ch, err := decodeAttributeChange(v, p)
	if err != nil {
		return nil, err
	}
	return &AddAttributeRequest{UniqueIdentifier: ch.id, Attribute: ch.attribute}, nil
}

func decodeSetAttributeRequest(v Version, p ttlv.TTLV) (*SetAttributeRequest, *Error) {
	ch, err := decodeAttributeChange(v, p)
	if err != nil {
		return nil, err
	}
	return &SetAttributeRequest{UniqueIdentifier: ch.id, Attribute: ch.attribute}, nil
}

func decodeModifyAttributeRequest(v Version, p ttlv.TTLV) (*ModifyAttributeRequest, *Error) {
	ch, err := decodeAttributeChange(v, p)
	if err != nil {
		return nil, err
	}
	return &ModifyAttributeRequest{UniqueIdentifier: ch.id, Current: ch.current, Attribute: ch.attribute}, nil
}

// encodeAttributeChange writes an AddAttribute, SetAttribute or
// ModifyAttribute request: the 1.x Attribute, or the 2.x Current Attribute
// (when current is set) and New Attribute.
func encodeAttributeChange(e *ttlv.Encoder, v Version, id string, current, a *Attribute) error {
	encodeUID(e, id)
	if !v.Is2x() {
		return encodeAttr1x(e, v, a)
	}
	if current != nil {
		if err := encodeAttrs2x(e, kmip20.TagCurrentAttribute, v, Attributes{*current}); err != nil {
			return err
		}
	}
	return encodeAttrs2x(e, kmip20.TagNewAttribute, v, Attributes{*a})
}

func decodeDeleteAttributeRequest(v Version, p ttlv.TTLV) (*DeleteAttributeRequest, *Error) {
	req := &DeleteAttributeRequest{Index: -1}
	var err *Error
	for c := range children(p) {
		switch {
		case c.Tag() == kmip14.TagUniqueIdentifier:
			req.UniqueIdentifier, err = readUID(v, c)
		case c.Tag() == kmip14.TagAttributeName && !v.Is2x():
			req.Name, err = readText(c)
		case c.Tag() == kmip14.TagAttributeIndex && !v.Is2x():
			var i int32
			i, err = readInt(c)
			if err == nil && i < 0 {
				err = Errorf(ReasonInvalidField, "negative Attribute Index")
			}
			req.Index = int(i)
		case c.Tag() == kmip20.TagCurrentAttribute && v.Is2x():
			var a Attribute
			a, err = decodeSingleAttr2x(v, c)
			req.Current = &a
			req.Name = a.Name
		case c.Tag() == kmip20.TagAttributeReference && v.Is2x():
			req.Name, err = decodeAttrRef(v, c)
		default:
			// The 1.x Attribute Name and Index in 2.x first of all: 2.x
			// deletes by value (Current Attribute) or every instance
			// (Attribute Reference), never by index.
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if req.Name == "" {
		if v.Is2x() {
			return nil, errMissing(v, "Current Attribute or Attribute Reference")
		}
		return nil, errMissing(v, "Attribute Name")
	}
	return req, nil
}

func encodeDeleteAttributeRequest(e *ttlv.Encoder, v Version, r *DeleteAttributeRequest) error {
	encodeUID(e, r.UniqueIdentifier)
	switch {
	case !v.Is2x():
		e.EncodeTextString(kmip14.TagAttributeName, r.Name)
		if r.Index >= 0 {
			e.EncodeInteger(kmip14.TagAttributeIndex, int32(r.Index))
		}
	case r.Current != nil:
		return encodeAttrs2x(e, kmip20.TagCurrentAttribute, v, Attributes{*r.Current})
	default:
		return encodeAttrRef(e, v, r.Name)
	}
	return nil
}

// encodeAttributeEcho writes the response of AddAttribute, ModifyAttribute
// and DeleteAttribute: the Unique Identifier and, in 1.x, the attribute.
func encodeAttributeEcho(e *ttlv.Encoder, v Version, id string, a *Attribute) error {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
	if v.Is2x() || a.Name == "" || !attrEncodable(a.Name, v) {
		return nil
	}
	return encodeAttr1x(e, v, a)
}

func decodeAttributeEcho(v Version, p ttlv.TTLV) (string, Attribute, *Error) {
	var id string
	var a Attribute
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			id, err = readUID(v, c)
		case kmip14.TagAttribute:
			if !v.Is2x() {
				a, err = decodeAttr1x(v, c)
			}
		}
		if err != nil {
			return "", Attribute{}, err
		}
	}
	return id, a, nil
}
