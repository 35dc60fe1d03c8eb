package kmip

import (
	"time"

	"github.com/gemalto/kmip-go/kmip14"
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
