package kmip

import (
	"bytes"
	"errors"

	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// Storage encoding. Attributes and objects are stored as TTLV in a
// version-independent form: the KMIP 1.x Attribute structures (for every
// attribute, 2.x-only ones included) inside one Attributes structure, and
// the object's own structure with every field the model holds. The functions
// are safe for concurrent use.

// errStorageForm reports bytes that are not what the storage codec wrote.
var errStorageForm = errors.New("kmip: stored bytes are not in the expected form")

// MarshalAttributes encodes attrs in a version-independent TTLV form for
// storage. UnmarshalAttributes(MarshalAttributes(a)) equals a. It fails only
// for a value of a Go type the attribute model does not allow.
func MarshalAttributes(attrs Attributes) ([]byte, error) {
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	err := e.EncodeStructure(kmip20.TagAttributes, func(e *ttlv.Encoder) error {
		for i := range attrs {
			if err := encodeAttr1x(e, storageVersion, &attrs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalAttributes decodes what MarshalAttributes wrote. Malformed input
// is an error, never a panic.
func UnmarshalAttributes(b []byte) (Attributes, error) {
	if err := validate(b); err != nil {
		return nil, err
	}
	t := ttlv.TTLV(b)
	if t.Tag() != kmip20.TagAttributes || t.Type() != ttlv.TypeStructure {
		return nil, errStorageForm
	}
	var attrs Attributes
	for c := range children(t) {
		a, err := decodeAttr1x(storageVersion, c)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, a)
	}
	return attrs, nil
}

// MarshalObject encodes obj (its key block, secret data, opaque data,
// certificate, split key part, PGP key or certificate request, in its own
// format) in a version-independent TTLV form for sealing and storage: every
// object type, whatever the protocol versions that define it. Key block
// attributes and the Wrapped flag are kept.
func MarshalObject(obj *Object) ([]byte, error) {
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	if err := encodeObject(e, storageVersion, obj); err != nil {
		return nil, err
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalObject decodes what MarshalObject wrote. The result does not
// alias b, which the caller may zero.
func UnmarshalObject(b []byte) (*Object, error) {
	if err := validate(b); err != nil {
		return nil, err
	}
	obj, err := decodeObject(storageVersion, ttlv.TTLV(b))
	if err != nil {
		return nil, err
	}
	return &obj, nil
}
