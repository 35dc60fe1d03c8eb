package kmip

import (
	"bytes"
	"strings"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The two wire shapes of attributes.
//
// KMIP 1.x: Attribute { Attribute Name, Attribute Index?, Attribute Value },
// several of them in a payload or in a Template-Attribute.
//
// KMIP 2.x: Attributes { <tagged value>... }, where a custom attribute is
// Attribute { Vendor Identification, Attribute Name, Attribute Value }.
//
// Encoders leave out the attributes that the version does not define
// (AttrDef.DefinedIn); attributes outside the table that are not custom are
// treated as 2.x-only.

// errAttr is the error for an attribute the version does not accept: Invalid
// Field in 1.x, Invalid Attribute in 2.x.
func errAttr(v Version, format string, args ...any) *Error {
	if v.Is2x() {
		return Errorf(ReasonInvalidAttribute, format, args...)
	}
	return Errorf(ReasonInvalidField, format, args...)
}

// vendorName returns the canonical name of the 2.x vendor attribute N of
// vendor V: "V-N" for the x and y vendors, "V:N" otherwise.
func vendorName(vendor, name string) string {
	if vendor == "x" || vendor == "y" {
		return vendor + "-" + name
	}
	return vendor + ":" + name
}

// splitVendorName is the inverse of vendorName for a custom name.
func splitVendorName(name string) (vendor, attr string) {
	if strings.HasPrefix(name, "x-") || strings.HasPrefix(name, "y-") {
		return name[:1], name[2:]
	}
	vendor, attr, _ = strings.Cut(name, ":")
	return vendor, attr
}

// attrEncodable reports whether an attribute named name may appear in a
// message of version v.
func attrEncodable(name string, v Version) bool {
	if def := LookupAttr(name); def != nil {
		return definedIn(def, v)
	}
	return IsCustomAttr(name) || v.Is2x() || v == storageVersion
}

// decodeAttr1x decodes a 1.x Attribute structure. A name that is neither in
// the table nor custom, or that v does not define, is Invalid Field.
func decodeAttr1x(v Version, f ttlv.TTLV) (Attribute, *Error) {
	if err := readStructure(f); err != nil {
		return Attribute{}, err
	}
	var a Attribute
	var value ttlv.TTLV
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagAttributeName:
			a.Name, err = readText(c)
		case kmip14.TagAttributeIndex:
			var i int32
			i, err = readInt(c)
			if err == nil && i < 0 {
				err = Errorf(ReasonInvalidField, "negative Attribute Index")
			}
			a.Index = int(i)
		case kmip14.TagAttributeValue:
			value = c
		default:
			err = extraField(v, f, c)
		}
		if err != nil {
			return Attribute{}, err
		}
	}
	if a.Name == "" {
		return Attribute{}, errMissing(v, "Attribute Name")
	}
	def := LookupAttr(a.Name)
	switch {
	case def != nil && !definedIn(def, v):
		return Attribute{}, errAttr(v, "attribute %q is not defined in KMIP %s", a.Name, v)
	case def == nil && !IsCustomAttr(a.Name) && !isSpecTagName(a.Name):
		return Attribute{}, errAttr(v, "unknown attribute %q", a.Name)
	}
	if value == nil {
		return Attribute{}, errMissing(v, "Attribute Value")
	}
	if def == nil {
		a.Value, err = decodeOtherAttrValue(a.Name, value)
	} else {
		a.Value, err = decodeAttrValue(def, value)
	}
	if err != nil {
		return Attribute{}, err
	}
	return a, nil
}

// encodeAttr1x writes a as a 1.x Attribute. The caller checks attrEncodable.
// The index is written only when non-zero: KMIP 1.x defaults an absent
// Attribute Index to 0, and the OASIS profile vectors expect it absent.
func encodeAttr1x(e *ttlv.Encoder, v Version, a *Attribute) error {
	def := LookupAttr(a.Name)
	return e.EncodeStructure(kmip14.TagAttribute, func(e *ttlv.Encoder) error {
		e.EncodeTextString(kmip14.TagAttributeName, a.Name)
		if a.Index != 0 {
			e.EncodeInteger(kmip14.TagAttributeIndex, int32(a.Index))
		}
		return encodeAttrValue(e, kmip14.TagAttributeValue, def, v, a.Value)
	})
}

// encodeAttrs1x writes every attribute of as that v defines as 1.x Attributes.
func encodeAttrs1x(e *ttlv.Encoder, v Version, as Attributes) error {
	for i := range as {
		if !attrEncodable(as[i].Name, v) {
			continue
		}
		if err := encodeAttr1x(e, v, &as[i]); err != nil {
			return err
		}
	}
	return nil
}

// decodeTemplateAttribute decodes a 1.x Template-Attribute (or Common /
// Private / Public Template-Attribute). The Names of templates it references
// are appended to *names; with names nil they are refused as not supported.
func decodeTemplateAttribute(v Version, f ttlv.TTLV, into Attributes, names *[]Name) (Attributes, *Error) {
	if err := readStructure(f); err != nil {
		return nil, err
	}
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagName:
			if names == nil {
				return nil, Errorf(ReasonFeatureNotSupported, "template names are not supported here")
			}
			if err := readStructure(c); err != nil {
				return nil, err
			}
			n, err := decodeName(c)
			if err != nil {
				return nil, err
			}
			*names = append(*names, n)
		case kmip14.TagAttribute:
			a, err := decodeAttr1x(v, c)
			if err != nil {
				return nil, err
			}
			into = append(into, a)
		default:
			if err := extraField(v, f, c); err != nil {
				return nil, err
			}
		}
	}
	return into, nil
}

// encodeTemplateAttribute writes the template names and as in a
// Template-Attribute.
func encodeTemplateAttribute(e *ttlv.Encoder, v Version, names []Name, as Attributes) error {
	return encodeTemplateAttributeAs(e, kmip14.TagTemplateAttribute, v, names, as)
}

// encodeTemplateAttributeAs writes the template names and as in a structure
// of the Template-Attribute shape under tag (Common, Private Key or Public
// Key Template-Attribute).
func encodeTemplateAttributeAs(e *ttlv.Encoder, tag ttlv.Tag, v Version, names []Name, as Attributes) error {
	return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		for _, n := range names {
			if err := encodeAttrValue(e, kmip14.TagName, nil, v, n); err != nil {
				return err
			}
		}
		return encodeAttrs1x(e, v, as)
	})
}

// decodeAttrs2x decodes the items of a 2.x Attributes structure (or of New
// Attribute / Current Attribute) and appends them to into. Instances of an
// attribute are indexed in order of appearance.
func decodeAttrs2x(v Version, f ttlv.TTLV, into Attributes) (Attributes, *Error) {
	if err := readStructure(f); err != nil {
		return nil, err
	}
	for c := range children(f) {
		a, err := decodeAttr2x(v, c)
		if err != nil {
			return nil, err
		}
		for _, b := range into {
			if b.Name == a.Name {
				a.Index++
			}
		}
		into = append(into, a)
	}
	return into, nil
}

// decodeAttr2x decodes one tagged attribute (index 0). An attribute that
// the table lacks but KMIP 2.0 names, with a primitive value, decodes under
// its specification name; an unknown tag is Invalid Attribute.
func decodeAttr2x(v Version, c ttlv.TTLV) (Attribute, *Error) {
	if c.Tag() == kmip14.TagAttribute {
		return decodeVendorAttr(v, c)
	}
	def := LookupAttrTag(c.Tag())
	if def != nil {
		if !definedIn(def, v) {
			return Attribute{}, errAttr(v, "attribute %s is not defined in KMIP %s", def.Name, v)
		}
		x, err := decodeAttrValue(def, c)
		return Attribute{Name: def.Name, Value: x}, err
	}
	name, known := ttlv.DefaultRegistry.Tags().CanonicalName(uint32(c.Tag()))
	if !known {
		return Attribute{}, errAttr(v, "unknown attribute tag %s", c.Tag())
	}
	x, err := decodeOtherAttrValue(name, c)
	return Attribute{Name: name, Value: x}, err
}

// isSpecTagName reports whether name is the specification name of a tag of
// KMIP 1.4 or 2.0: a standard attribute that the table lacks ("Alternative
// Name", "Protection Storage Mask", ...).
func isSpecTagName(name string) bool {
	_, ok := ttlv.DefaultRegistry.Tags().Value(name)
	return ok
}

// decodeOtherAttrValue decodes the value of an attribute outside the table:
// a custom attribute carries a value of any type (codec_attr_custom.go); a
// standard attribute the table lacks may also be a Structure, kept as a
// ttlv.TTLV copy.
func decodeOtherAttrValue(name string, f ttlv.TTLV) (any, *Error) {
	if IsCustomAttr(name) {
		return decodeCustomValue(f)
	}
	if f.Type() == ttlv.TypeStructure {
		return ttlv.TTLV(bytes.Clone(f)), nil
	}
	return decodePrimitive(f)
}

// decodeVendorAttr decodes a 2.x Attribute { Vendor Identification,
// Attribute Name, Attribute Value }.
func decodeVendorAttr(v Version, f ttlv.TTLV) (Attribute, *Error) {
	if err := readStructure(f); err != nil {
		return Attribute{}, err
	}
	var vendor, name string
	var value ttlv.TTLV
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagVendorIdentification:
			vendor, err = readText(c)
		case kmip14.TagAttributeName:
			name, err = readText(c)
		case kmip14.TagAttributeValue:
			value = c
		default:
			// The Attribute Index of the 1.x form, first of all.
			err = extraField(v, f, c)
		}
		if err != nil {
			return Attribute{}, err
		}
	}
	if vendor == "" || name == "" || value == nil {
		return Attribute{}, errMissing(v, "Vendor Identification, Attribute Name or Attribute Value")
	}
	x, err := decodeCustomValue(value)
	if err != nil {
		return Attribute{}, err
	}
	return Attribute{Name: vendorName(vendor, name), Value: x}, nil
}

// encodeAttr2x writes a as a tagged 2.x attribute, or as a vendor Attribute
// when custom. It writes nothing when a has no 2.x tag.
func encodeAttr2x(e *ttlv.Encoder, v Version, a *Attribute) error {
	if def := LookupAttr(a.Name); def != nil {
		return encodeAttrValue(e, def.Tag, def, v, a.Value)
	}
	if IsCustomAttr(a.Name) {
		vendor, name := splitVendorName(a.Name)
		return e.EncodeStructure(kmip14.TagAttribute, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagVendorIdentification, vendor)
			e.EncodeTextString(kmip14.TagAttributeName, name)
			return encodeAttrValue(e, kmip14.TagAttributeValue, nil, v, a.Value)
		})
	}
	if tag, ok := ttlv.DefaultRegistry.Tags().Value(a.Name); ok {
		return encodeAttrValue(e, ttlv.Tag(tag), nil, v, a.Value)
	}
	return nil
}

// encodeAttrs2x writes the structure tag (Attributes, Current Attribute, New
// Attribute) holding every attribute of as that v defines.
func encodeAttrs2x(e *ttlv.Encoder, tag ttlv.Tag, v Version, as Attributes) error {
	return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		for i := range as {
			if !attrEncodable(as[i].Name, v) {
				continue
			}
			if err := encodeAttr2x(e, v, &as[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// decodeAttrRef decodes a 2.x Attribute Reference: an Enumeration of the
// attribute's tag or a structure { Vendor Identification, Attribute Name }.
func decodeAttrRef(v Version, f ttlv.TTLV) (string, *Error) {
	switch f.Type() {
	case ttlv.TypeEnumeration:
		tag := ttlv.Tag(f.ValueEnumeration())
		if def := LookupAttrTag(tag); def != nil {
			return def.Name, nil
		}
		if name, ok := ttlv.DefaultRegistry.Tags().CanonicalName(uint32(tag)); ok {
			return name, nil
		}
		return "", errAttr(v, "unknown attribute tag %s", tag)
	case ttlv.TypeStructure:
		var vendor, name string
		var err *Error
		for c := range children(f) {
			switch c.Tag() {
			case kmip14.TagVendorIdentification:
				vendor, err = readText(c)
			case kmip14.TagAttributeName:
				name, err = readText(c)
			default:
				err = extraField(v, f, c)
			}
			if err != nil {
				return "", err
			}
		}
		switch {
		case name == "":
			return "", errMissing(v, "Attribute Name")
		case vendor == "":
			// PyKMIP 0.10 names standard attributes this way, by 1.x name.
			return name, nil
		}
		return vendorName(vendor, name), nil
	}
	return "", errWrongType(f)
}

// encodeAttrRef writes the Attribute Reference of name; nothing when name
// has no 2.x form.
func encodeAttrRef(e *ttlv.Encoder, v Version, name string) error {
	if def := LookupAttr(name); def != nil {
		if definedIn(def, v) {
			e.EncodeEnumeration(kmip20.TagAttributeReference, uint32(def.Tag))
		}
		return nil
	}
	if IsCustomAttr(name) {
		vendor, attr := splitVendorName(name)
		return e.EncodeStructure(kmip20.TagAttributeReference, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagVendorIdentification, vendor)
			e.EncodeTextString(kmip14.TagAttributeName, attr)
			return nil
		})
	}
	if tag, ok := ttlv.DefaultRegistry.Tags().Value(name); ok {
		e.EncodeEnumeration(kmip20.TagAttributeReference, tag)
		return nil
	}
	// A name the server does not know travels as it came: a vendorless
	// Attribute Reference structure holding the Attribute Name (PyKMIP's
	// form), so that re-encoding never drops it.
	return e.EncodeStructure(kmip20.TagAttributeReference, func(e *ttlv.Encoder) error {
		e.EncodeTextString(kmip14.TagAttributeName, name)
		return nil
	})
}
