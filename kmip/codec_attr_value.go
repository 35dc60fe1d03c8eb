package kmip

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Attribute values.
//
// Go types of decoded values follow the table in attribute.go, with one rule
// for Enumerations: the standard attributes whose enumeration has a named
// type in types.go decode to that type (Object Type -> ObjectType,
// Cryptographic Algorithm -> CryptographicAlgorithm, State -> State,
// Certificate Type -> CertificateType, Key Format Type -> KeyFormatType);
// every other Enumeration (Digital Signature Algorithm, NIST Key Type,
// Protection Level, custom attributes) decodes to uint32. The Cryptographic
// Usage Mask decodes to int32. The encoder accepts any of these types, and
// CryptographicUsageMask and int besides.
//
// Standard Structure attributes that the model has no Go type for
// (Cryptographic Domain Parameters, Key Value Location, the 1.x certificate
// identifier, subject and issuer structures) decode to a
// ttlv.TTLV copy of the item and encode back from it.

// storageVersion is the version the storage codec passes: the 1.x shapes,
// every attribute and every structure field defined (see definedIn, since).
var storageVersion = Version{}

// definedIn reports whether version v defines def; the storage version
// defines everything.
func definedIn(def *AttrDef, v Version) bool {
	return v == storageVersion || def.DefinedIn(v)
}

// since reports whether v defines a field that w introduced.
func since(v, w Version) bool { return v == storageVersion || v.AtLeast(w) }

// typedEnum returns the Go value of Enumeration value x of attribute name.
func typedEnum(name string, x uint32) any {
	switch name {
	case AttrObjectType:
		return ObjectType(x)
	case AttrCryptographicAlgorithm:
		return CryptographicAlgorithm(x)
	case AttrState:
		return State(x)
	case AttrCertificateType:
		return CertificateType(x)
	case AttrKeyFormatType:
		return KeyFormatType(x)
	}
	return x
}

// decodeAttrValue decodes f, the value of the attribute def (nil for custom
// and other attributes outside the table, which carry a primitive value).
func decodeAttrValue(def *AttrDef, f ttlv.TTLV) (any, *Error) {
	if def == nil {
		return decodePrimitive(f)
	}
	if f.Type() != def.Type && !(def.Type == ttlv.TypeDateTime && f.Type() == ttlv.TypeDateTimeExtended) {
		return nil, errWrongType(f)
	}
	switch def.Type {
	case ttlv.TypeEnumeration:
		return typedEnum(def.Name, uint32(f.ValueEnumeration())), nil
	case ttlv.TypeStructure:
		return decodeAttrStructure(def.Name, f)
	}
	return decodePrimitive(f)
}

// decodePrimitive decodes a value of any primitive type to its Go type.
func decodePrimitive(f ttlv.TTLV) (any, *Error) {
	switch f.Type() {
	case ttlv.TypeTextString:
		return f.ValueTextString(), nil
	case ttlv.TypeInteger:
		return f.ValueInteger(), nil
	case ttlv.TypeLongInteger:
		return f.ValueLongInteger(), nil
	case ttlv.TypeEnumeration:
		return uint32(f.ValueEnumeration()), nil
	case ttlv.TypeBoolean:
		return f.ValueBoolean(), nil
	case ttlv.TypeByteString:
		return bytes.Clone(f.ValueByteString()), nil
	case ttlv.TypeDateTime, ttlv.TypeDateTimeExtended:
		return readTime(f)
	case ttlv.TypeInterval:
		return f.ValueInterval(), nil
	}
	return nil, Errorf(ReasonInvalidField, "%s: unsupported attribute value type %s", tagName(f.Tag()), f.Type())
}

// decodeAttrStructure decodes the Structure value of the standard attribute name.
func decodeAttrStructure(name string, f ttlv.TTLV) (any, *Error) {
	switch name {
	case AttrName:
		return decodeName(f)
	case AttrLink:
		return decodeLink(f)
	case AttrRevocationReason:
		return decodeRevocationReason(f)
	case AttrApplicationSpecificInformation:
		return decodeApplicationSpecificInformation(f)
	case AttrCryptographicParameters:
		return decodeCryptographicParameters(f)
	case AttrDigest:
		return decodeDigest(f)
	case AttrUsageLimits:
		return decodeUsageLimits(f)
	case AttrAlternativeName:
		return decodeAlternativeName(f)
	case AttrRandomNumberGenerator:
		return decodeRNGParameters(f)
	}
	// Kept under the Attribute Value tag whatever tag it came under (its
	// own in 2.x, Attribute Value in 1.x and in storage), so that equal
	// values are equal bytes: Locate compares them (TC-PKCS12-2-20 locates
	// by X.509 Certificate Identifier).
	return retag(f, kmip14.TagAttributeValue), nil
}

func decodeName(f ttlv.TTLV) (Name, *Error) {
	var n Name
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagNameValue:
			n.Value, err = readText(c)
		case kmip14.TagNameType:
			var x uint32
			x, err = readEnum(c)
			n.Type = NameType(x)
		}
		if err != nil {
			return Name{}, err
		}
	}
	if n.Type == 0 {
		n.Type = kmip14.NameTypeUninterpretedTextString
	}
	return n, nil
}

func decodeLink(f ttlv.TTLV) (Link, *Error) {
	var l Link
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagLinkType:
			var x uint32
			x, err = readEnum(c)
			l.Type = LinkType(x)
		case kmip14.TagLinkedObjectIdentifier:
			l.ID, err = readUID(V2_0, c)
		}
		if err != nil {
			return Link{}, err
		}
	}
	return l, nil
}

func decodeRevocationReason(f ttlv.TTLV) (RevocationReason, *Error) {
	var r RevocationReason
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagRevocationReasonCode:
			var x uint32
			x, err = readEnum(c)
			r.Code = RevocationReasonCode(x)
		case kmip14.TagRevocationMessage:
			r.Message, err = readText(c)
		}
		if err != nil {
			return RevocationReason{}, err
		}
	}
	return r, nil
}

func decodeApplicationSpecificInformation(f ttlv.TTLV) (ApplicationSpecificInformation, *Error) {
	var a ApplicationSpecificInformation
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagApplicationNamespace:
			a.Namespace, err = readText(c)
		case kmip14.TagApplicationData:
			a.Data, err = readText(c)
		}
		if err != nil {
			return ApplicationSpecificInformation{}, err
		}
	}
	return a, nil
}

func decodeDigest(f ttlv.TTLV) (Digest, *Error) {
	var d Digest
	var err *Error
	var x uint32
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagHashingAlgorithm:
			x, err = readEnum(c)
			d.HashingAlgorithm = HashingAlgorithm(x)
		case kmip14.TagDigestValue:
			d.Value, err = readBytes(c)
		case kmip14.TagKeyFormatType:
			x, err = readEnum(c)
			d.KeyFormatType = KeyFormatType(x)
		}
		if err != nil {
			return Digest{}, err
		}
	}
	return d, nil
}

func decodeUsageLimits(f ttlv.TTLV) (UsageLimits, *Error) {
	var u UsageLimits
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagUsageLimitsTotal:
			u.Total, err = readLong(c)
		case kmip14.TagUsageLimitsCount:
			var n int64
			n, err = readLong(c)
			u.Count = &n
		case kmip14.TagUsageLimitsUnit:
			u.Unit, err = readEnum(c)
		}
		if err != nil {
			return UsageLimits{}, err
		}
	}
	return u, nil
}

func decodeCryptographicParameters(f ttlv.TTLV) (CryptographicParameters, *Error) {
	var p CryptographicParameters
	var err *Error
	var x uint32
	optInt := func(c ttlv.TTLV) (*int32, *Error) {
		n, err := readInt(c)
		return &n, err
	}
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagBlockCipherMode:
			x, err = readEnum(c)
			p.BlockCipherMode = BlockCipherMode(x)
		case kmip14.TagPaddingMethod:
			x, err = readEnum(c)
			p.PaddingMethod = PaddingMethod(x)
		case kmip14.TagHashingAlgorithm:
			x, err = readEnum(c)
			p.HashingAlgorithm = HashingAlgorithm(x)
		case kmip14.TagKeyRoleType:
			p.KeyRoleType, err = readEnum(c)
		case kmip14.TagDigitalSignatureAlgorithm:
			p.DigitalSignatureAlgorithm, err = readEnum(c)
		case kmip14.TagCryptographicAlgorithm:
			x, err = readEnum(c)
			p.CryptographicAlgorithm = CryptographicAlgorithm(x)
		case kmip14.TagRandomIV:
			var b bool
			b, err = readBool(c)
			p.RandomIV = &b
		case kmip14.TagIVLength:
			p.IVLength, err = readInt(c)
		case kmip14.TagTagLength:
			p.TagLength, err = readInt(c)
		case kmip14.TagFixedFieldLength:
			p.FixedFieldLength, err = readInt(c)
		case kmip14.TagInvocationFieldLength:
			p.InvocationFieldLength, err = readInt(c)
		case kmip14.TagCounterLength:
			p.CounterLength, err = readInt(c)
		case kmip14.TagInitialCounterValue:
			p.InitialCounterValue, err = optInt(c)
		case kmip14.TagSaltLength:
			p.SaltLength, err = optInt(c)
		case kmip14.TagMaskGenerator:
			p.MaskGenerator, err = readEnum(c)
		case kmip14.TagMaskGeneratorHashingAlgorithm:
			x, err = readEnum(c)
			p.MaskGeneratorHashingAlgorithm = HashingAlgorithm(x)
		case kmip14.TagPSource:
			p.PSource, err = readBytes(c)
		case kmip14.TagTrailerField:
			p.TrailerField, err = optInt(c)
		}
		if err != nil {
			return CryptographicParameters{}, err
		}
	}
	return p, nil
}

// enumValue returns the value of x when it is one of the enumeration types
// attribute values use.
func enumValue(x any) (uint32, bool) {
	switch x := x.(type) {
	case uint32:
		return x, true
	case ObjectType:
		return uint32(x), true
	case CryptographicAlgorithm:
		return uint32(x), true
	case State:
		return uint32(x), true
	case CertificateType:
		return uint32(x), true
	case KeyFormatType:
		return uint32(x), true
	case NameType:
		return uint32(x), true
	case LinkType:
		return uint32(x), true
	case HashingAlgorithm:
		return uint32(x), true
	}
	return 0, false
}

// encodeAttrValue writes val, the value of an attribute, with tag. def is
// the attribute's definition, or nil outside the table; v gates the fields
// of structures.
func encodeAttrValue(e *ttlv.Encoder, tag ttlv.Tag, def *AttrDef, v Version, val any) error {
	if x, ok := enumValue(val); ok {
		e.EncodeEnumeration(tag, x)
		return nil
	}
	switch x := val.(type) {
	case string:
		e.EncodeTextString(tag, x)
	case int32:
		e.EncodeInteger(tag, x)
	case CryptographicUsageMask:
		e.EncodeInteger(tag, int32(x))
	case int:
		if def != nil && def.Type == ttlv.TypeLongInteger {
			e.EncodeLongInteger(tag, int64(x))
		} else {
			e.EncodeInteger(tag, int32(x))
		}
	case int64:
		e.EncodeLongInteger(tag, x)
	case bool:
		e.EncodeBoolean(tag, x)
	case []byte:
		e.EncodeByteString(tag, x)
	case time.Time:
		e.EncodeDateTime(tag, x)
	case time.Duration:
		e.EncodeInterval(tag, x)
	case Name:
		return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagNameValue, x.Value)
			typ := x.Type
			if typ == 0 {
				typ = kmip14.NameTypeUninterpretedTextString
			}
			e.EncodeEnumeration(kmip14.TagNameType, uint32(typ))
			return nil
		})
	case Link:
		return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagLinkType, uint32(x.Type))
			e.EncodeTextString(kmip14.TagLinkedObjectIdentifier, x.ID)
			return nil
		})
	case RevocationReason:
		return encodeRevocationReason(e, tag, x)
	case ApplicationSpecificInformation:
		return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagApplicationNamespace, x.Namespace)
			e.EncodeTextString(kmip14.TagApplicationData, x.Data)
			return nil
		})
	case CryptographicParameters:
		return encodeCryptographicParameters(e, tag, v, &x)
	case Digest:
		return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagHashingAlgorithm, uint32(x.HashingAlgorithm))
			e.EncodeByteString(kmip14.TagDigestValue, x.Value)
			if x.KeyFormatType != 0 && since(v, V1_1) {
				e.EncodeEnumeration(kmip14.TagKeyFormatType, uint32(x.KeyFormatType))
			}
			return nil
		})
	case UsageLimits:
		return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
			e.EncodeLongInteger(kmip14.TagUsageLimitsTotal, x.Total)
			if x.Count != nil {
				e.EncodeLongInteger(kmip14.TagUsageLimitsCount, *x.Count)
			}
			e.EncodeEnumeration(kmip14.TagUsageLimitsUnit, x.Unit)
			return nil
		})
	case AlternativeName:
		return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagAlternativeNameValue, x.Value)
			e.EncodeEnumeration(kmip14.TagAlternativeNameType, x.Type)
			return nil
		})
	case RNGParameters:
		return encodeRNGParameters(e, tag, &x)
	case ttlv.TTLV:
		return encodeRaw(e, tag, x)
	default:
		return fmt.Errorf("kmip: attribute value of unsupported type %T", val)
	}
	return nil
}

func encodeRevocationReason(e *ttlv.Encoder, tag ttlv.Tag, r RevocationReason) error {
	return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagRevocationReasonCode, uint32(r.Code))
		if r.Message != "" {
			e.EncodeTextString(kmip14.TagRevocationMessage, r.Message)
		}
		return nil
	})
}

// encodeCryptographicParameters writes p; fields that version v lacks (1.2
// and 1.4 additions) and zero fields are left out.
func encodeCryptographicParameters(e *ttlv.Encoder, tag ttlv.Tag, v Version, p *CryptographicParameters) error {
	return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		enum := func(t ttlv.Tag, x uint32) {
			if x != 0 {
				e.EncodeEnumeration(t, x)
			}
		}
		integer := func(t ttlv.Tag, x int32) {
			if x != 0 {
				e.EncodeInteger(t, x)
			}
		}
		enum(kmip14.TagBlockCipherMode, uint32(p.BlockCipherMode))
		enum(kmip14.TagPaddingMethod, uint32(p.PaddingMethod))
		enum(kmip14.TagHashingAlgorithm, uint32(p.HashingAlgorithm))
		enum(kmip14.TagKeyRoleType, p.KeyRoleType)
		if since(v, V1_2) {
			enum(kmip14.TagDigitalSignatureAlgorithm, p.DigitalSignatureAlgorithm)
			enum(kmip14.TagCryptographicAlgorithm, uint32(p.CryptographicAlgorithm))
			if p.RandomIV != nil {
				e.EncodeBoolean(kmip14.TagRandomIV, *p.RandomIV)
			}
			integer(kmip14.TagIVLength, p.IVLength)
			integer(kmip14.TagTagLength, p.TagLength)
			integer(kmip14.TagFixedFieldLength, p.FixedFieldLength)
			integer(kmip14.TagInvocationFieldLength, p.InvocationFieldLength)
			integer(kmip14.TagCounterLength, p.CounterLength)
			if p.InitialCounterValue != nil {
				e.EncodeInteger(kmip14.TagInitialCounterValue, *p.InitialCounterValue)
			}
		}
		if since(v, V1_4) {
			if p.SaltLength != nil {
				e.EncodeInteger(kmip14.TagSaltLength, *p.SaltLength)
			}
			enum(kmip14.TagMaskGenerator, p.MaskGenerator)
			enum(kmip14.TagMaskGeneratorHashingAlgorithm, uint32(p.MaskGeneratorHashingAlgorithm))
			if p.PSource != nil {
				e.EncodeByteString(kmip14.TagPSource, p.PSource)
			}
			if p.TrailerField != nil {
				e.EncodeInteger(kmip14.TagTrailerField, *p.TrailerField)
			}
		}
		return nil
	})
}

// encodeRaw writes the validated item t under tag, byte for byte.
func encodeRaw(e *ttlv.Encoder, tag ttlv.Tag, t ttlv.TTLV) error {
	if t.Tag() != tag {
		t = retag(t, tag)
	}
	// gemalto's encoder copies a ttlv.TTLV into its buffer as it is.
	return e.EncodeValue(ttlv.TagNone, t)
}
