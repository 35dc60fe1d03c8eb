package kmip

import (
	"bytes"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Custom attribute values.
//
// A custom attribute (x-, y-, vendor) may carry "any data type or
// structure" (KMIP 1.x Custom Attribute; KMIP 2.x Vendor Attribute). The types with a plain Go form in the model decode to
// it (attribute.go); the others, Big Integer, Date-Time Extended and
// Structure, are kept as a copy of the received item (a ttlv.TTLV) whose
// outer tag is Attribute Value, and are written back as they came: the
// bytes re-encode identically in every version, and two values are equal
// exactly when their encodings are, which is what Locate compares.

// Bounds on custom attributes, so that a client cannot make one object
// hold unbounded data.
const (
	// MaxCustomAttrDepth is the deepest nesting of a custom Structure
	// value, the value itself counting as one level. Stored at the depth of
	// an Attribute Value inside a message, it keeps every message within
	// MaxDepth.
	MaxCustomAttrDepth = 8

	// MaxCustomAttrs is the number of custom attribute instances one object
	// may hold.
	MaxCustomAttrs = 256

	// MaxCustomAttrBytes bounds the total encoded size of one object's
	// custom attributes (their 1.x Attribute structures).
	MaxCustomAttrBytes = 64 << 10
)

// ErrCustomLimit returns the failure of a request that exceeds a bound on
// custom attributes: Server Limit Exceeded in 2.x; 1.x, which lacks it,
// gets Permission Denied, its reason for a request the server's policy
// refuses.
func ErrCustomLimit(format string, args ...any) *Error {
	e := Errorf(ReasonServerLimitExceeded, format, args...)
	e.Reason1x = ReasonPermissionDenied
	return e
}

// decodeCustomValue decodes the value f of a custom attribute.
func decodeCustomValue(f ttlv.TTLV) (any, *Error) {
	switch f.Type() {
	case ttlv.TypeStructure:
		if structDepth(f) > MaxCustomAttrDepth {
			return nil, ErrCustomLimit("custom attribute value nests deeper than %d levels", MaxCustomAttrDepth)
		}
		return retag(f, kmip14.TagAttributeValue), nil
	case ttlv.TypeBigInteger, ttlv.TypeDateTimeExtended:
		return retag(f, kmip14.TagAttributeValue), nil
	}
	return decodePrimitive(f)
}

// structDepth returns the nesting depth of the validated item f: 0 for a
// primitive, 1 for a Structure of primitives, and so on. The message
// validation bounds the recursion (MaxDepth).
func structDepth(f ttlv.TTLV) int {
	if f.Type() != ttlv.TypeStructure {
		return 0
	}
	d := 0
	for c := range children(f) {
		d = max(d, structDepth(c))
	}
	return d + 1
}

// retag returns a copy of the item t under tag.
func retag(t ttlv.TTLV, tag ttlv.Tag) ttlv.TTLV {
	c := ttlv.TTLV(bytes.Clone(t))
	c[0], c[1], c[2] = byte(tag>>16), byte(tag>>8), byte(tag)
	return c
}

// CustomAttrSize returns the number of custom attribute instances in as and
// their total encoded size.
func CustomAttrSize(as Attributes) (n, size int, err error) {
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	for i := range as {
		if !IsCustomAttr(as[i].Name) {
			continue
		}
		n++
		if err := encodeAttr1x(e, storageVersion, &as[i]); err != nil {
			return 0, 0, err
		}
		if err := e.Flush(); err != nil {
			return 0, 0, err
		}
		size += buf.Len()
		buf.Reset()
	}
	return n, size, nil
}
