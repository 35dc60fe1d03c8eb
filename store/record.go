package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// An object record is the value stored under objectKey(id). The ID is the key
// and is not repeated. Version 1 is:
//
//	0x01                       format version
//	lp(owner)
//	lp(attributes)
//	0x00 | 0x01 lp(material)   material absent (nil) or present
//	uvarint(n) then n times lp(term name) lp(term value)
//
// lp(x) is uvarint(len(x)) followed by x. The terms are kept in the record so
// that Update and Delete can remove exactly the index entries they wrote.
const recordVersion1 byte = 1

// errCorrupt reports a record that cannot be decoded. It never includes the
// record's bytes, which hold sealed material.
var errCorrupt = errors.New("store: corrupt object record")

// encodeRecord returns the record of obj.
func encodeRecord(obj *Object) []byte {
	size := 2 + 4*binary.MaxVarintLen64 + len(obj.Owner) + len(obj.Attributes) + len(obj.Material)
	for _, t := range obj.Terms {
		size += 2*binary.MaxVarintLen64 + len(t.Name) + len(t.Value)
	}
	b := make([]byte, 0, size)
	b = append(b, recordVersion1)
	b = appendLengthPrefixed(b, []byte(obj.Owner))
	b = appendLengthPrefixed(b, obj.Attributes)
	if obj.Material == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendLengthPrefixed(b, obj.Material)
	}
	b = binary.AppendUvarint(b, uint64(len(obj.Terms)))
	for _, t := range obj.Terms {
		b = appendLengthPrefixed(b, []byte(t.Name))
		b = appendLengthPrefixed(b, t.Value)
	}
	return b
}

// decodeRecord decodes the record of object id. The result does not alias b.
func decodeRecord(id string, b []byte) (*Object, error) {
	d := recordDecoder{b: b}
	if v := d.byte(); v != recordVersion1 {
		if d.err != nil {
			return nil, d.err
		}
		return nil, fmt.Errorf("store: object record version %d not supported", v)
	}
	obj := &Object{ID: id}
	obj.Owner = string(d.field())
	obj.Attributes = cloneBytes(d.field())
	switch d.byte() {
	case 0:
	case 1:
		obj.Material = cloneBytes(d.field())
		if obj.Material == nil {
			obj.Material = []byte{}
		}
	default:
		d.fail()
	}
	n := d.uvarint()
	// Each term takes at least two bytes: a bound that keeps a corrupt count
	// from allocating more than the record's size.
	if n > uint64(len(d.b))/2 {
		d.fail()
	}
	if d.err == nil && n > 0 {
		obj.Terms = make([]Term, 0, n)
		for range n {
			name := string(d.field())
			value := cloneBytes(d.field())
			obj.Terms = append(obj.Terms, Term{Name: name, Value: value})
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, d.err
	}
	return obj, nil
}

// recordDecoder reads the parts of a record; after the first error every
// read returns zero values and err stays set.
type recordDecoder struct {
	b   []byte
	err error
}

func (d *recordDecoder) fail() {
	d.err = errCorrupt
	d.b = nil
}

func (d *recordDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *recordDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// field reads lp(x) and returns x, aliasing the record.
func (d *recordDecoder) field() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	f := d.b[:n]
	d.b = d.b[n:]
	return f
}

// cloneBytes copies b; an empty or nil b gives nil.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
