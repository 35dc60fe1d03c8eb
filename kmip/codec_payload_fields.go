package kmip

import (
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// Typed readers for the fields of validated payloads. Each checks the item's
// TTLV type before reading it: a known tag with the wrong type is an Invalid
// Message, never a panic.

// errWrongType reports item f, a known field, carrying the wrong TTLV type.
func errWrongType(f ttlv.TTLV) *Error {
	return Errorf(ReasonInvalidMessage, "%s: unexpected type %s", tagName(f.Tag()), f.Type())
}

// errMissing reports a required field that is absent. KMIP 1.x answers
// Invalid Message; 2.x has the more precise Missing Data.
func errMissing(v Version, field string) *Error {
	if v.Is2x() {
		return Errorf(ReasonMissingData, "missing %s", field)
	}
	return Errorf(ReasonInvalidMessage, "missing %s", field)
}

// extraField is the codec's one rule for a field f of structure s that
// s's decoder does not read: every decoder of a request payload, and of the
// attribute structures in one, passes such a field here instead of skipping
// it. A nil result skips f; otherwise the payload is refused.
//
//   - Fields of a Response Payload are skipped: the Client reads what it
//     knows of a server's answer (strict clients that fail on one extra
//     field break against real servers).
//   - Vendor extensions (tags 0x54xxxx) are skipped, as in the Batch Item.
//   - In KMIP 1.x, the other tags of KMIP 1.x are skipped, so that 1.x
//     clients keep working with fields of a later minor version or in odd
//     places; but not an attribute container (Template-Attribute,
//     Attribute), whose attributes would silently be lost, nor a field of
//     a Locate (extraFilter).
//   - Everything else is refused with Invalid Message naming f: in a 1.x
//     message the 2.x forms (Attributes, Attribute Reference, ...); in a
//     2.x message whatever 2.x does not define there, the 1.x forms first.
//     KMIP 2.0 removed the Template-Attribute (Attributes replace it) and
//     the Attribute Name of requests (the Attribute Reference replaces it),
//     and its tag table reserves the Attribute Index: a 2.x message that
//     carries them is not one the version defines, and ignoring them would
//     store objects without the attributes asked for, or answer a Locate
//     whose filters were dropped with every object of the caller.
func extraField(v Version, s, f ttlv.TTLV) *Error {
	if tag := f.Tag(); !v.Is2x() && isTag1x(tag) && !isAttrContainer1x(tag) {
		return nil
	}
	return extraFilter(v, s, f)
}

// extraFilter is extraField for the fields of a Locate request, where a
// field skipped is a filter dropped, which widens the search to every
// object of the caller (the FortiGate and Seagate failures of other
// servers): in KMIP 1.x too, only vendor extensions are skipped.
func extraFilter(v Version, s, f ttlv.TTLV) *Error {
	tag := f.Tag()
	if s.Tag() == kmip14.TagResponsePayload || isExtensionTag(tag) {
		return nil
	}
	msg := fmt.Sprintf("%s is not a field of the %s in KMIP %s", tagName(tag), tagName(s.Tag()), v)
	if other, ok := counterpart(tag); ok {
		msg += fmt.Sprintf(" (KMIP %d.x has %s instead)", v.Major, tagName(other))
	}
	return Errorf(ReasonInvalidMessage, "%s", msg)
}

// isTag1x reports whether KMIP 1.x defines tag: the KMIP 1.4 tag table
// (section 9.1.3.1) runs from 0x420001 to 0x420124, and 2.0 continues from
// 0x420125 (Attributes).
func isTag1x(tag ttlv.Tag) bool {
	return tag >= kmip14.TagActivationDate && tag <= kmip14.TagReplaceExisting
}

// isAttrContainer1x reports whether tag is a 1.x structure that carries
// attributes.
func isAttrContainer1x(tag ttlv.Tag) bool {
	switch tag {
	case kmip14.TagAttribute, kmip14.TagTemplateAttribute, kmip14.TagCommonTemplateAttribute,
		kmip14.TagPrivateKeyTemplateAttribute, kmip14.TagPublicKeyTemplateAttribute:
		return true
	}
	return false
}

// formPairs are the request fields of KMIP 1.x and what KMIP 2.0 replaced
// them by, named in the refusal of one in the other's version.
var formPairs = [...][2]ttlv.Tag{
	{kmip14.TagTemplateAttribute, kmip20.TagAttributes},
	{kmip14.TagCommonTemplateAttribute, kmip20.TagCommonAttributes},
	{kmip14.TagPrivateKeyTemplateAttribute, kmip20.TagPrivateKeyAttributes},
	{kmip14.TagPublicKeyTemplateAttribute, kmip20.TagPublicKeyAttributes},
	{kmip14.TagAttributeName, kmip20.TagAttributeReference},
	{kmip14.TagCertificateRequest, kmip20.TagCertificateRequestValue},
}

// counterpart returns the other version family's form of tag, if any.
func counterpart(tag ttlv.Tag) (ttlv.Tag, bool) {
	for _, p := range formPairs {
		switch tag {
		case p[0]:
			return p[1], true
		case p[1]:
			return p[0], true
		}
	}
	return 0, false
}

// unsupportedField refuses f, a field of payload p that KMIP 2.x defines
// and the server does not implement (the Protection Storage Masks of the
// requests that create objects): Feature Not Supported rather than
// silence, for a client whose request f constrains. In 1.x, f is a 2.x
// form, which extraField refuses.
func unsupportedField(v Version, p, f ttlv.TTLV) *Error {
	if !v.Is2x() {
		return extraField(v, p, f)
	}
	return Errorf(ReasonFeatureNotSupported, "%s is not supported", tagName(f.Tag()))
}

// tagName returns the specification name of tag ("Unique Identifier"), or
// its hex form when neither KMIP 1.4 nor 2.0 defines it.
func tagName(tag ttlv.Tag) string {
	if name, ok := ttlv.DefaultRegistry.Tags().CanonicalName(uint32(tag)); ok {
		return name
	}
	return tag.String()
}

func readText(f ttlv.TTLV) (string, *Error) {
	if f.Type() != ttlv.TypeTextString {
		return "", errWrongType(f)
	}
	return f.ValueTextString(), nil
}

// readBytes returns a copy of the Byte String f: the result never aliases
// the message buffer, which the connection reuses. An empty Byte String
// reads as an empty, non-nil slice, so that a present field stays distinct
// from an absent (nil) one.
func readBytes(f ttlv.TTLV) ([]byte, *Error) {
	if f.Type() != ttlv.TypeByteString {
		return nil, errWrongType(f)
	}
	return append([]byte{}, f.ValueByteString()...), nil
}

func readInt(f ttlv.TTLV) (int32, *Error) {
	if f.Type() != ttlv.TypeInteger {
		return 0, errWrongType(f)
	}
	return f.ValueInteger(), nil
}

func readLong(f ttlv.TTLV) (int64, *Error) {
	if f.Type() != ttlv.TypeLongInteger {
		return 0, errWrongType(f)
	}
	return f.ValueLongInteger(), nil
}

func readEnum(f ttlv.TTLV) (uint32, *Error) {
	if f.Type() != ttlv.TypeEnumeration {
		return 0, errWrongType(f)
	}
	return uint32(f.ValueEnumeration()), nil
}

func readBool(f ttlv.TTLV) (bool, *Error) {
	if f.Type() != ttlv.TypeBoolean {
		return false, errWrongType(f)
	}
	return f.ValueBoolean(), nil
}

// readTime accepts Date-Time and Date-Time Extended (truncated to seconds).
func readTime(f ttlv.TTLV) (time.Time, *Error) {
	switch f.Type() {
	case ttlv.TypeDateTime:
		return f.ValueDateTime(), nil
	case ttlv.TypeDateTimeExtended:
		return f.ValueDateTime().Truncate(time.Second), nil
	}
	return time.Time{}, errWrongType(f)
}

func readInterval(f ttlv.TTLV) (time.Duration, *Error) {
	if f.Type() != ttlv.TypeInterval {
		return 0, errWrongType(f)
	}
	return f.ValueInterval(), nil
}

func readStructure(f ttlv.TTLV) *Error {
	if f.Type() != ttlv.TypeStructure {
		return errWrongType(f)
	}
	return nil
}

// readUID reads a Unique Identifier. KMIP 2.x lets it be an Enumeration (ID
// Placeholder, ...) or an Integer (an index into the batch's identifiers);
// both read as "" (use the ID Placeholder). 1.x accepts only Text String.
func readUID(v Version, f ttlv.TTLV) (string, *Error) {
	switch f.Type() {
	case ttlv.TypeTextString:
		return f.ValueTextString(), nil
	case ttlv.TypeEnumeration, ttlv.TypeInteger:
		if v.Is2x() {
			return "", nil
		}
	}
	return "", errWrongType(f)
}

// encodeUID writes a Unique Identifier unless it is empty (the ID
// Placeholder is implied by its absence).
func encodeUID(e *ttlv.Encoder, id string) {
	if id != "" {
		e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
	}
}
