package conformance

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	_ "github.com/gemalto/kmip-go/kmip20" // registers the KMIP 2.0 tags and enums
	"github.com/gemalto/kmip-go/ttlv"
)

// Value is one primitive TTLV value: Integer, Enumeration, Interval,
// LongInteger, DateTime, DateTimeExtended and Boolean are held in Int
// (DateTime as Unix seconds), ByteString and BigInteger in Bytes (the
// BigInteger as its padded two's-complement encoding), TextString in Text.
type Value struct {
	Type  ttlv.Type
	Int   int64
	Bytes []byte
	Text  string
}

// Equal reports whether v and w are the same typed value.
// Big Integers compare as numbers: a value padded with more sign bytes
// than it needs (the vectors pad some DSA parameters) is the same number.
func (v Value) Equal(w Value) bool {
	if v.Type == ttlv.TypeBigInteger && w.Type == ttlv.TypeBigInteger {
		return twosComplement(v.Bytes).Cmp(twosComplement(w.Bytes)) == 0
	}
	return v.Type == w.Type && v.Int == w.Int && bytes.Equal(v.Bytes, w.Bytes) && v.Text == w.Text
}

// twosComplement reads a big-endian two's-complement Big Integer encoding.
func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// Format renders v for messages, naming enumerations and masks through the
// registry entry of tag. Byte strings longer than 16 bytes are shortened:
// key material never appears whole in a report.
func (v Value) Format(tag ttlv.Tag) string {
	switch v.Type {
	case ttlv.TypeEnumeration:
		return ttlv.DefaultRegistry.FormatEnum(tag, uint32(v.Int))
	case ttlv.TypeInteger:
		if ttlv.DefaultRegistry.IsBitmask(tag) {
			return ttlv.DefaultRegistry.FormatInt(tag, int32(v.Int))
		}
		return strconv.FormatInt(v.Int, 10)
	case ttlv.TypeBoolean:
		return strconv.FormatBool(v.Int != 0)
	case ttlv.TypeDateTime:
		return time.Unix(v.Int, 0).UTC().Format(time.RFC3339)
	case ttlv.TypeByteString, ttlv.TypeBigInteger:
		if len(v.Bytes) > 16 {
			return fmt.Sprintf("%x...(%d bytes)", v.Bytes[:8], len(v.Bytes))
		}
		return hex.EncodeToString(v.Bytes)
	case ttlv.TypeTextString:
		return strconv.Quote(v.Text)
	default:
		return strconv.FormatInt(v.Int, 10)
	}
}

// tagOf resolves an element name (normalized tag name or hex) to a tag.
func tagOf(name string) (ttlv.Tag, error) {
	t, err := ttlv.DefaultRegistry.ParseTag(name)
	if err != nil {
		return 0, fmt.Errorf("unknown tag %q", name)
	}
	return t, nil
}

// parseValue converts a raw XML value of the given type. Enumeration
// names and mask names resolve through enumTag's registry entry.
func parseValue(enumTag ttlv.Tag, typ ttlv.Type, raw string) (Value, error) {
	v := Value{Type: typ}
	var err error
	switch typ {
	case ttlv.TypeInteger:
		var i int32
		i, err = ttlv.DefaultRegistry.ParseInt(enumTag, raw)
		v.Int = int64(i)
	case ttlv.TypeEnumeration:
		var u uint32
		u, err = parseEnum(enumTag, raw)
		v.Int = int64(u)
	case ttlv.TypeInterval:
		var u uint64
		u, err = strconv.ParseUint(raw, 10, 32)
		v.Int = int64(u)
	case ttlv.TypeLongInteger, ttlv.TypeDateTimeExtended:
		v.Int, err = strconv.ParseInt(raw, 0, 64)
	case ttlv.TypeBoolean:
		var b bool
		b, err = strconv.ParseBool(raw)
		if b {
			v.Int = 1
		}
	case ttlv.TypeTextString:
		v.Text = raw
	case ttlv.TypeByteString:
		v.Bytes, err = hex.DecodeString(raw)
		if v.Bytes == nil {
			v.Bytes = []byte{}
		}
	case ttlv.TypeBigInteger:
		v.Bytes, err = parseBigInteger(raw)
	case ttlv.TypeDateTime:
		var t time.Time
		t, err = time.Parse(time.RFC3339Nano, raw)
		v.Int = t.Unix()
	default:
		err = fmt.Errorf("type %v has no value", typ)
	}
	if err != nil {
		return Value{}, fmt.Errorf("%v value %q: %w", typ, raw, err)
	}
	return v, nil
}

// parseBigInteger reads hex (with or without 0x) and returns its TTLV
// encoding: big-endian two's complement padded to a multiple of 8 bytes.
func parseBigInteger(raw string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(raw, "0x"), "0X")
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, err
	}
	pad := byte(0)
	if len(b) > 0 && b[0]&0x80 != 0 && strings.HasPrefix(raw, "-") {
		pad = 0xff
	}
	for len(b)%8 != 0 || len(b) == 0 {
		b = append([]byte{pad}, b...)
	}
	return b, nil
}

// typeOf resolves a type attribute.
func typeOf(name string) (ttlv.Type, error) {
	t, err := ttlv.DefaultRegistry.ParseType(name)
	if err != nil {
		return 0, fmt.Errorf("unknown type %q", name)
	}
	return t, nil
}

// resolver supplies the value of a placeholder ($UNIQUE_IDENTIFIER_0,
// $NOW-3600, ...) of the given type in a request.
type resolver func(placeholder string, typ ttlv.Type) (Value, error)

// encodeRequest converts a request tree to TTLV bytes, resolving
// placeholders with resolve.
func encodeRequest(n *Node, resolve resolver) ([]byte, error) {
	return appendNode(nil, n, 0, resolve)
}

func appendNode(b []byte, n *Node, enumTag ttlv.Tag, resolve resolver) ([]byte, error) {
	tag, err := tagOf(n.Name)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	typ, err := typeOf(n.Type)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	if typ == ttlv.TypeStructure {
		b = appendHeader(b, tag, typ, 0)
		start := len(b)
		valueEnum := attributeValueEnum(n)
		for _, c := range n.Children {
			et := ttlv.Tag(0)
			if c.Name == "AttributeValue" {
				et = valueEnum
			}
			if b, err = appendNode(b, c, et, resolve); err != nil {
				return nil, err
			}
		}
		binary.BigEndian.PutUint32(b[start-4:start], uint32(len(b)-start))
		return b, nil
	}
	if enumTag == 0 {
		enumTag = tag
	}
	var v Value
	if isPlaceholder(n.Value) {
		v, err = resolve(n.Value, typ)
	} else {
		v, err = parseValue(enumTag, typ, n.Value)
	}
	if err != nil {
		return nil, fmt.Errorf("line %d: %s: %w", n.Line, n.Name, err)
	}
	if v.Type != typ {
		return nil, fmt.Errorf("line %d: %s: placeholder %s bound to a %v, not a %v", n.Line, n.Name, n.Value, v.Type, typ)
	}
	return appendValue(b, tag, v), nil
}

// attributeValueEnum is, for a KMIP 1.x Attribute structure, the tag named
// by its AttributeName ("Cryptographic Usage Mask"), through which the
// names in its AttributeValue resolve; 0 otherwise.
func attributeValueEnum(n *Node) ttlv.Tag {
	name := n.Child("AttributeName")
	if n.Name != "Attribute" || name == nil {
		return 0
	}
	t, err := tagOf(ttlv.NormalizeName(name.Value))
	if err != nil {
		return 0
	}
	return t
}

func appendHeader(b []byte, tag ttlv.Tag, typ ttlv.Type, length int) []byte {
	b = append(b, byte(tag>>16), byte(tag>>8), byte(tag), byte(typ))
	return binary.BigEndian.AppendUint32(b, uint32(length))
}

func appendValue(b []byte, tag ttlv.Tag, v Value) []byte {
	switch v.Type {
	case ttlv.TypeInteger, ttlv.TypeEnumeration, ttlv.TypeInterval:
		b = appendHeader(b, tag, v.Type, 4)
		b = binary.BigEndian.AppendUint32(b, uint32(v.Int))
		return append(b, 0, 0, 0, 0)
	case ttlv.TypeLongInteger, ttlv.TypeDateTime, ttlv.TypeDateTimeExtended, ttlv.TypeBoolean:
		b = appendHeader(b, tag, v.Type, 8)
		return binary.BigEndian.AppendUint64(b, uint64(v.Int))
	case ttlv.TypeTextString:
		b = appendHeader(b, tag, v.Type, len(v.Text))
		b = append(b, v.Text...)
		return append(b, make([]byte, (8-len(v.Text)%8)%8)...)
	default: // ByteString, BigInteger
		b = appendHeader(b, tag, v.Type, len(v.Bytes))
		b = append(b, v.Bytes...)
		return append(b, make([]byte, (8-len(v.Bytes)%8)%8)...)
	}
}

// Item is one decoded TTLV element of a server response.
type Item struct {
	Tag      ttlv.Tag
	Value    Value // Type is TypeStructure for structures
	Children []*Item
}

// maxItemDepth bounds the nesting of decoded responses.
const maxItemDepth = 32

// decodeTTLV decodes exactly one TTLV item. It rejects malformed input
// with an error; it never panics.
func decodeTTLV(b []byte) (*Item, error) {
	it, n, err := decodeItem(b, 0)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, fmt.Errorf("ttlv: %d trailing bytes", len(b)-n)
	}
	return it, nil
}

func decodeItem(b []byte, depth int) (*Item, int, error) {
	if len(b) < 8 {
		return nil, 0, errors.New("ttlv: header truncated")
	}
	it := &Item{Tag: ttlv.Tag(uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]))}
	typ := ttlv.Type(b[3])
	l := int(binary.BigEndian.Uint32(b[4:8]))
	if l > len(b)-8 {
		return nil, 0, errors.New("ttlv: value truncated")
	}
	val := b[8 : 8+l]
	full := 8 + l + (8-l%8)%8
	if full > len(b) {
		return nil, 0, errors.New("ttlv: padding truncated")
	}
	it.Value.Type = typ
	fixed := func(n int) error {
		if l != n {
			return fmt.Errorf("ttlv: %v of length %d", typ, l)
		}
		return nil
	}
	var err error
	switch typ {
	case ttlv.TypeStructure:
		if depth >= maxItemDepth {
			return nil, 0, errors.New("ttlv: nested too deep")
		}
		for off := 0; off < l; {
			c, n, err := decodeItem(val[off:], depth+1)
			if err != nil {
				return nil, 0, err
			}
			it.Children = append(it.Children, c)
			off += n
		}
	case ttlv.TypeInteger:
		if err = fixed(4); err == nil {
			it.Value.Int = int64(int32(binary.BigEndian.Uint32(val)))
		}
	case ttlv.TypeEnumeration, ttlv.TypeInterval:
		if err = fixed(4); err == nil {
			it.Value.Int = int64(binary.BigEndian.Uint32(val))
		}
	case ttlv.TypeLongInteger, ttlv.TypeDateTime, ttlv.TypeDateTimeExtended, ttlv.TypeBoolean:
		if err = fixed(8); err == nil {
			it.Value.Int = int64(binary.BigEndian.Uint64(val))
		}
	case ttlv.TypeTextString:
		it.Value.Text = string(val)
	case ttlv.TypeByteString, ttlv.TypeBigInteger:
		it.Value.Bytes = append([]byte{}, val...)
	default:
		err = fmt.Errorf("ttlv: invalid type %#02x", byte(typ))
	}
	if err != nil {
		return nil, 0, err
	}
	return it, full, nil
}

// child returns the first child of it with tag t, or nil.
func (it *Item) child(t ttlv.Tag) *Item {
	if it == nil {
		return nil
	}
	for _, c := range it.Children {
		if c.Tag == t {
			return c
		}
	}
	return nil
}

var _ = kmip14.TagAttribute // kmip14 registers the KMIP 1.4 tags and enums
