package kmip

import (
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// Managed object structures: Symmetric Key, Public Key, Private Key, Split
// Key, PGP Key and Secret Data (with a Key Block), Opaque Object,
// Certificate, the KMIP 2.x Certificate Request and the KMIP 1.x Template
// (a list of Attributes).

// objectTag returns the tag of the structure that carries an object of type t.
func objectTag(t ObjectType) (ttlv.Tag, bool) {
	switch t {
	case kmip14.ObjectTypeSymmetricKey:
		return kmip14.TagSymmetricKey, true
	case kmip14.ObjectTypePublicKey:
		return kmip14.TagPublicKey, true
	case kmip14.ObjectTypePrivateKey:
		return kmip14.TagPrivateKey, true
	case kmip14.ObjectTypeSecretData:
		return kmip14.TagSecretData, true
	case kmip14.ObjectTypeOpaqueObject:
		return kmip14.TagOpaqueObject, true
	case kmip14.ObjectTypeCertificate:
		return kmip14.TagCertificate, true
	case kmip14.ObjectTypeTemplate:
		return kmip14.TagTemplate, true
	case kmip14.ObjectTypeSplitKey:
		return kmip14.TagSplitKey, true
	case kmip14.ObjectTypePGPKey:
		return kmip14.TagPGPKey, true
	case ObjectTypeCertificateRequest:
		return kmip14.TagCertificateRequest, true
	}
	return 0, false
}

// objectTypeOfTag is the inverse of objectTag; ok is false for any other tag.
func objectTypeOfTag(tag ttlv.Tag) (ObjectType, bool) {
	switch tag {
	case kmip14.TagSymmetricKey:
		return kmip14.ObjectTypeSymmetricKey, true
	case kmip14.TagPublicKey:
		return kmip14.ObjectTypePublicKey, true
	case kmip14.TagPrivateKey:
		return kmip14.ObjectTypePrivateKey, true
	case kmip14.TagSecretData:
		return kmip14.ObjectTypeSecretData, true
	case kmip14.TagOpaqueObject:
		return kmip14.ObjectTypeOpaqueObject, true
	case kmip14.TagCertificate:
		return kmip14.ObjectTypeCertificate, true
	case kmip14.TagTemplate:
		return kmip14.ObjectTypeTemplate, true
	case kmip14.TagSplitKey:
		return kmip14.ObjectTypeSplitKey, true
	case kmip14.TagPGPKey:
		return kmip14.ObjectTypePGPKey, true
	case kmip14.TagCertificateRequest:
		return ObjectTypeCertificateRequest, true
	}
	return 0, false
}

// ObjectTypeIn reports whether version v defines objects of type t: PGP
// Key appeared in KMIP 1.2, Certificate Request in 2.0, and 2.x has no
// Template. The storage form holds every type.
func ObjectTypeIn(v Version, t ObjectType) bool {
	if v == storageVersion {
		return true
	}
	switch t {
	case kmip14.ObjectTypeTemplate:
		return !v.Is2x()
	case kmip14.ObjectTypePGPKey:
		return v.AtLeast(V1_2)
	case ObjectTypeCertificateRequest:
		return v.Is2x()
	}
	return true
}

// decodeObject decodes the object structure f, whose tag names its type.
func decodeObject(v Version, f ttlv.TTLV) (Object, *Error) {
	typ, ok := objectTypeOfTag(f.Tag())
	if !ok || (!ObjectTypeIn(v, typ) && typ != kmip14.ObjectTypeTemplate) {
		return Object{}, Errorf(ReasonFeatureNotSupported, "object %s is not supported", tagName(f.Tag()))
	}
	if err := readStructure(f); err != nil {
		return Object{}, err
	}
	if typ == kmip14.ObjectTypeTemplate {
		return decodeTemplate(v, f)
	}
	obj := Object{Type: typ}
	var err *Error
	var x uint32
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagKeyBlock:
			var kb KeyBlock
			kb, err = decodeKeyBlock(v, c)
			obj.KeyBlock = &kb
		case kmip14.TagSecretDataType:
			x, err = readEnum(c)
			obj.SecretDataType = SecretDataType(x)
		case kmip14.TagOpaqueDataType:
			x, err = readEnum(c)
			obj.OpaqueDataType = OpaqueDataType(x)
		case kmip14.TagOpaqueDataValue:
			obj.OpaqueValue, err = readBytes(c)
		case kmip14.TagCertificateType:
			x, err = readEnum(c)
			obj.CertificateType = CertificateType(x)
		case kmip14.TagCertificateValue:
			obj.CertificateValue, err = readBytes(c)
		default:
			err = decodeObjectField(c, &obj)
		}
		if err != nil {
			return Object{}, err
		}
	}
	switch typ {
	case kmip14.ObjectTypeOpaqueObject:
		if obj.OpaqueDataType == 0 || obj.OpaqueValue == nil {
			return Object{}, errMissing(v, "Opaque Data Type or Opaque Data Value")
		}
	case kmip14.ObjectTypeCertificate:
		if obj.CertificateType == 0 || obj.CertificateValue == nil {
			return Object{}, errMissing(v, "Certificate Type or Certificate Value")
		}
	case ObjectTypeCertificateRequest:
		if obj.CertificateRequestType == 0 || obj.CertificateRequestValue == nil {
			return Object{}, errMissing(v, "Certificate Request Type or Certificate Request Value")
		}
	default:
		if obj.KeyBlock == nil {
			return Object{}, errMissing(v, "Key Block")
		}
		if typ == kmip14.ObjectTypeSecretData && obj.SecretDataType == 0 {
			return Object{}, errMissing(v, "Secret Data Type")
		}
		if err := checkSplitKeyFields(v, &obj); err != nil {
			return Object{}, err
		}
		if typ == kmip14.ObjectTypePGPKey && obj.PGPKeyVersion == 0 {
			return Object{}, errMissing(v, "PGP Key Version")
		}
	}
	return obj, nil
}

// decodeObjectField decodes c into the Split Key, PGP Key or Certificate
// Request field of obj it is; other fields are ignored.
func decodeObjectField(c ttlv.TTLV, obj *Object) *Error {
	var err *Error
	var x uint32
	switch c.Tag() {
	case kmip14.TagSplitKeyParts:
		obj.SplitKeyParts, err = readInt(c)
	case kmip14.TagKeyPartIdentifier:
		obj.KeyPartIdentifier, err = readInt(c)
	case kmip14.TagSplitKeyThreshold:
		obj.SplitKeyThreshold, err = readInt(c)
	case kmip14.TagSplitKeyMethod:
		x, err = readEnum(c)
		obj.SplitKeyMethod = SplitKeyMethod(x)
	case kmip14.TagPrimeFieldSize:
		obj.PrimeFieldSize, err = readBigInt(c)
	case kmip14.TagPGPKeyVersion:
		obj.PGPKeyVersion, err = readInt(c)
	case kmip14.TagCertificateRequestType:
		x, err = readEnum(c)
		obj.CertificateRequestType = CertificateRequestType(x)
	case kmip20.TagCertificateRequestValue:
		obj.CertificateRequestValue, err = readBytes(c)
	}
	return err
}

// checkSplitKeyFields checks the fields a Split Key requires: the part
// counts and method, and the prime of the Prime Field method.
func checkSplitKeyFields(v Version, obj *Object) *Error {
	if obj.Type != kmip14.ObjectTypeSplitKey {
		return nil
	}
	if obj.SplitKeyParts == 0 || obj.KeyPartIdentifier == 0 || obj.SplitKeyThreshold == 0 || obj.SplitKeyMethod == 0 {
		return errMissing(v, "Split Key Parts, Key Part Identifier, Split Key Threshold or Split Key Method")
	}
	if obj.SplitKeyMethod == kmip14.SplitKeyMethodPolynomialSharingPrimeField && obj.PrimeFieldSize == nil {
		return errMissing(v, "Prime Field Size")
	}
	return nil
}

// decodeTemplate decodes a KMIP 1.x Template: its Attributes. KMIP 2.x has
// no templates.
func decodeTemplate(v Version, f ttlv.TTLV) (Object, *Error) {
	if v.Is2x() {
		return Object{}, Errorf(ReasonFeatureNotSupported, "templates do not exist in KMIP %s", v)
	}
	obj := Object{Type: kmip14.ObjectTypeTemplate}
	for c := range children(f) {
		if c.Tag() != kmip14.TagAttribute {
			continue
		}
		a, err := decodeAttr1x(v, c)
		if err != nil {
			return Object{}, err
		}
		obj.TemplateAttributes = append(obj.TemplateAttributes, a)
	}
	return obj, nil
}

// decodeKeyBlock decodes a Key Block. Key Material is a Byte String, or a
// Transparent Symmetric Key structure whose Key is taken.
func decodeKeyBlock(v Version, f ttlv.TTLV) (KeyBlock, *Error) {
	if err := readStructure(f); err != nil {
		return KeyBlock{}, err
	}
	var kb KeyBlock
	var err *Error
	var x uint32
	hasValue := false
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagKeyFormatType:
			x, err = readEnum(c)
			kb.FormatType = KeyFormatType(x)
		case kmip14.TagKeyCompressionType:
			kb.CompressionType, err = readEnum(c)
		case kmip14.TagKeyValue:
			hasValue = true
			err = decodeKeyValue(v, c, &kb)
		case kmip14.TagCryptographicAlgorithm:
			x, err = readEnum(c)
			kb.Algorithm = CryptographicAlgorithm(x)
		case kmip14.TagCryptographicLength:
			kb.Length, err = readInt(c)
		case kmip14.TagKeyWrappingData:
			kb.Wrapped = true
			if v == storageVersion && readStructure(c) == nil && len(c.ValueStructure()) == 0 {
				break // the storage marker of a Wrapped block without data
			}
			kb.WrappingData, err = decodeKeyWrappingData(v, c)
		}
		if err != nil {
			return KeyBlock{}, err
		}
	}
	if kb.FormatType == 0 {
		return KeyBlock{}, errMissing(v, "Key Format Type")
	}
	if !hasValue && !kb.Wrapped && since(v, V1_2) {
		kb.NoValue = true // a metadata-only object's (see KeyBlock.NoValue)
	} else if kb.Material == nil && kb.Transparent == nil {
		return KeyBlock{}, errMissing(v, "Key Value")
	}
	return kb, nil
}

// decodeKeyValue decodes a Key Value into kb. A wrapped key's Key Value is
// a Byte String; a plain one a structure with Key Material and, in 1.x,
// Attributes.
func decodeKeyValue(v Version, f ttlv.TTLV, kb *KeyBlock) *Error {
	if f.Type() == ttlv.TypeByteString {
		var err *Error
		kb.Material, err = readBytes(f)
		return err
	}
	if err := readStructure(f); err != nil {
		return err
	}
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagKeyMaterial:
			if err := decodeKeyMaterial(c, kb); err != nil {
				return err
			}
		case kmip14.TagAttribute:
			if v.Is2x() {
				continue
			}
			a, err := decodeAttr1x(v, c)
			if err != nil {
				return err
			}
			kb.Attributes = append(kb.Attributes, a)
		}
	}
	return nil
}

// decodeKeyMaterial decodes a Key Material into kb: a Byte String into
// Material, the Key of a Transparent Symmetric Key structure into Material,
// any other transparent structure into Transparent.
func decodeKeyMaterial(f ttlv.TTLV, kb *KeyBlock) *Error {
	var err *Error
	if f.Type() == ttlv.TypeByteString {
		kb.Material, err = readBytes(f)
		return err
	}
	if err := readStructure(f); err != nil {
		return err
	}
	for c := range children(f) {
		if c.Tag() == kmip14.TagKey {
			kb.Material, err = readBytes(c)
			return err
		}
	}
	kb.Transparent, err = decodeTransparentKey(f)
	return err
}

// encodeObject writes obj in its own structure. Attributes of the key block
// and the Key Wrapping Data marker are written only for storage.
func encodeObject(e *ttlv.Encoder, v Version, obj *Object) error {
	tag, ok := objectTag(obj.Type)
	if !ok {
		return fmt.Errorf("kmip: cannot encode object type %v", obj.Type)
	}
	if obj.Type == kmip14.ObjectTypeTemplate && v.Is2x() {
		return fmt.Errorf("kmip: templates do not exist in KMIP %s", v)
	}
	if !ObjectTypeIn(v, obj.Type) {
		return fmt.Errorf("kmip: %v objects do not exist in KMIP %s", obj.Type, v)
	}
	return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		switch obj.Type {
		case kmip14.ObjectTypeTemplate:
			return encodeAttrs1x(e, v, obj.TemplateAttributes)
		case kmip14.ObjectTypeOpaqueObject:
			e.EncodeEnumeration(kmip14.TagOpaqueDataType, uint32(obj.OpaqueDataType))
			e.EncodeByteString(kmip14.TagOpaqueDataValue, obj.OpaqueValue)
			return nil
		case kmip14.ObjectTypeCertificate:
			e.EncodeEnumeration(kmip14.TagCertificateType, uint32(obj.CertificateType))
			e.EncodeByteString(kmip14.TagCertificateValue, obj.CertificateValue)
			return nil
		case ObjectTypeCertificateRequest:
			e.EncodeEnumeration(kmip14.TagCertificateRequestType, uint32(obj.CertificateRequestType))
			e.EncodeByteString(kmip20.TagCertificateRequestValue, obj.CertificateRequestValue)
			return nil
		case kmip14.ObjectTypeSecretData:
			e.EncodeEnumeration(kmip14.TagSecretDataType, uint32(obj.SecretDataType))
		case kmip14.ObjectTypeSplitKey:
			encodeSplitKeyFields(e, obj)
		case kmip14.ObjectTypePGPKey:
			e.EncodeInteger(kmip14.TagPGPKeyVersion, obj.PGPKeyVersion)
		}
		if obj.KeyBlock == nil {
			return fmt.Errorf("kmip: %v without a key block", obj.Type)
		}
		return encodeKeyBlock(e, v, obj.KeyBlock)
	})
}

// encodeSplitKeyFields writes the fields of a Split Key that precede its
// Key Block; Prime Field Size only for the Prime Field method.
func encodeSplitKeyFields(e *ttlv.Encoder, obj *Object) {
	e.EncodeInteger(kmip14.TagSplitKeyParts, obj.SplitKeyParts)
	e.EncodeInteger(kmip14.TagKeyPartIdentifier, obj.KeyPartIdentifier)
	e.EncodeInteger(kmip14.TagSplitKeyThreshold, obj.SplitKeyThreshold)
	e.EncodeEnumeration(kmip14.TagSplitKeyMethod, uint32(obj.SplitKeyMethod))
	if obj.SplitKeyMethod == kmip14.SplitKeyMethodPolynomialSharingPrimeField && obj.PrimeFieldSize != nil {
		e.EncodeBigInteger(kmip14.TagPrimeFieldSize, obj.PrimeFieldSize)
	}
}

// encodeKeyBlock writes kb. A key block with WrappingData is written
// wrapped: its Material as the Key Value Byte String, then the Key Wrapping
// Data.
func encodeKeyBlock(e *ttlv.Encoder, v Version, kb *KeyBlock) error {
	return e.EncodeStructure(kmip14.TagKeyBlock, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagKeyFormatType, uint32(kb.FormatType))
		if kb.CompressionType != 0 {
			e.EncodeEnumeration(kmip14.TagKeyCompressionType, kb.CompressionType)
		}
		if kb.WrappingData != nil {
			// A wrapped key's Key Value is the wrapped bytes.
			e.EncodeByteString(kmip14.TagKeyValue, kb.Material)
			encodeKeyBlockTail(e, kb)
			return encodeKeyWrappingData(e, v, kb.WrappingData)
		}
		if kb.NoValue {
			if !since(v, V1_2) {
				return fmt.Errorf("kmip: KMIP %s key blocks need a Key Value", v)
			}
			encodeKeyBlockTail(e, kb)
			return nil
		}
		err := e.EncodeStructure(kmip14.TagKeyValue, func(e *ttlv.Encoder) error {
			if kb.Transparent != nil {
				if err := encodeTransparentKey(e, kb.Transparent); err != nil {
					return err
				}
			} else if kb.FormatType == kmip14.KeyFormatTypeTransparentSymmetricKey {
				_ = e.EncodeStructure(kmip14.TagKeyMaterial, func(e *ttlv.Encoder) error {
					e.EncodeByteString(kmip14.TagKey, kb.Material)
					return nil
				})
			} else {
				e.EncodeByteString(kmip14.TagKeyMaterial, kb.Material)
			}
			if v == storageVersion {
				return encodeAttrs1x(e, v, kb.Attributes)
			}
			return nil
		})
		if err != nil {
			return err
		}
		encodeKeyBlockTail(e, kb)
		if kb.Wrapped && v == storageVersion {
			return e.EncodeStructure(kmip14.TagKeyWrappingData, func(*ttlv.Encoder) error { return nil })
		}
		return nil
	})
}

// encodeKeyBlockTail writes the Cryptographic Algorithm and Length of kb,
// which follow the Key Value.
func encodeKeyBlockTail(e *ttlv.Encoder, kb *KeyBlock) {
	if kb.Algorithm != 0 {
		e.EncodeEnumeration(kmip14.TagCryptographicAlgorithm, uint32(kb.Algorithm))
	}
	if kb.Length != 0 {
		e.EncodeInteger(kmip14.TagCryptographicLength, kb.Length)
	}
}
