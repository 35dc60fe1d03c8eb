package kmip

import (
	"encoding/binary"
	"fmt"
	"iter"

	"github.com/gemalto/kmip-go/ttlv"
)

// MaxDepth is the deepest nesting of Structures accepted in a message. Real
// messages nest about 8 levels; the bound keeps validation linear and stack
// use small.
const MaxDepth = 16

// validate checks that b is exactly one well-formed TTLV item: every header
// complete, every length consistent with its type and within its parent,
// padding present and zero, nesting at most MaxDepth. It walks the bytes once
// (linear time) and allocates nothing. Only validated bytes may be read with
// gemalto's accessors.
func validate(b []byte) error {
	n, err := validateItem(b, 0)
	if err != nil {
		return err
	}
	if n != len(b) {
		return fmt.Errorf("ttlv: %d trailing bytes", len(b)-n)
	}
	return nil
}

// validateItem validates the item at the start of b and returns its full
// length including padding.
func validateItem(b []byte, depth int) (int, error) {
	if len(b) < 8 {
		return 0, fmt.Errorf("ttlv: header truncated")
	}
	if b[0] != 0x42 && b[0] != 0x54 {
		return 0, fmt.Errorf("ttlv: invalid tag %02x%02x%02x", b[0], b[1], b[2])
	}
	typ := ttlv.Type(b[3])
	l := int(binary.BigEndian.Uint32(b[4:8]))
	full := 0
	switch typ {
	case ttlv.TypeInteger, ttlv.TypeEnumeration, ttlv.TypeInterval:
		if l != 4 {
			return 0, fmt.Errorf("ttlv: %s of length %d", typ, l)
		}
		full = 16
	case ttlv.TypeLongInteger, ttlv.TypeDateTime, ttlv.TypeDateTimeExtended, ttlv.TypeBoolean:
		if l != 8 {
			return 0, fmt.Errorf("ttlv: %s of length %d", typ, l)
		}
		full = 16
	case ttlv.TypeTextString, ttlv.TypeByteString:
		full = 8 + l + (8-l%8)%8
	case ttlv.TypeBigInteger:
		if l%8 != 0 {
			return 0, fmt.Errorf("ttlv: Big Integer of length %d", l)
		}
		full = 8 + l
	case ttlv.TypeStructure:
		if l%8 != 0 {
			return 0, fmt.Errorf("ttlv: Structure of length %d", l)
		}
		full = 8 + l
	default:
		return 0, fmt.Errorf("ttlv: invalid type %02x", byte(typ))
	}
	if l > len(b)-8 || full > len(b) {
		return 0, fmt.Errorf("ttlv: value truncated")
	}
	for _, p := range b[8+l : full] {
		if p != 0 {
			// The padding to the next 8-byte boundary is zero bytes; any
			// other byte would smuggle data the decoder never reads.
			return 0, fmt.Errorf("ttlv: %s padding not zero", typ)
		}
	}
	if typ == ttlv.TypeBoolean {
		if v := binary.BigEndian.Uint64(b[8:16]); v > 1 {
			return 0, fmt.Errorf("ttlv: Boolean value %d", v)
		}
	}
	if typ == ttlv.TypeStructure {
		if depth >= MaxDepth {
			return 0, fmt.Errorf("ttlv: nesting deeper than %d", MaxDepth)
		}
		body := b[8 : 8+l]
		for len(body) > 0 {
			n, err := validateItem(body, depth+1)
			if err != nil {
				return 0, err
			}
			body = body[n:]
		}
	}
	return full, nil
}

// children iterates over the items of the validated Structure s.
func children(s ttlv.TTLV) iter.Seq[ttlv.TTLV] {
	return func(yield func(ttlv.TTLV) bool) {
		body := s.ValueStructure()
		for len(body) >= 8 {
			n := body.FullLen()
			if n > len(body) {
				return
			}
			if !yield(body[:n]) {
				return
			}
			body = body[n:]
		}
	}
}
