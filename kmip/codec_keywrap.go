package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Key wrapping structures: the Key Wrapping Specification of a Get request,
// the Key Wrapping Data of a wrapped Key Block, and the Key Information they
// share. Their layout is the same in every version, but for Encoding
// Option, which KMIP 1.1 added (1.1 section 2.1.5): a 1.0 answer leaves it
// out.

// decodeKeyWrappingSpecification decodes a Key Wrapping Specification; the
// Wrapping Method is required.
func decodeKeyWrappingSpecification(v Version, f ttlv.TTLV) (*KeyWrappingSpecification, *Error) {
	if err := readStructure(f); err != nil {
		return nil, err
	}
	s := &KeyWrappingSpecification{}
	var err *Error
	var x uint32
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagWrappingMethod:
			x, err = readEnum(c)
			s.WrappingMethod = WrappingMethod(x)
		case kmip14.TagEncryptionKeyInformation:
			s.EncryptionKeyInformation, err = decodeKeyInformation(v, c)
		case kmip14.TagMACSignatureKeyInformation:
			s.MACSignatureKeyInformation, err = decodeKeyInformation(v, c)
		case kmip14.TagAttributeName:
			var name string
			name, err = readText(c)
			s.AttributeNames = append(s.AttributeNames, name)
		case kmip14.TagEncodingOption:
			x, err = readEnum(c)
			s.EncodingOption = EncodingOption(x)
		}
		if err != nil {
			return nil, err
		}
	}
	if s.WrappingMethod == 0 {
		return nil, errMissing(v, "Wrapping Method")
	}
	return s, nil
}

// encodeKeyWrappingSpecification writes s; version v selects the layout of
// the Cryptographic Parameters.
func encodeKeyWrappingSpecification(e *ttlv.Encoder, v Version, s *KeyWrappingSpecification) error {
	return e.EncodeStructure(kmip14.TagKeyWrappingSpecification, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagWrappingMethod, uint32(s.WrappingMethod))
		if err := encodeKeyInformation(e, v, kmip14.TagEncryptionKeyInformation, s.EncryptionKeyInformation); err != nil {
			return err
		}
		if err := encodeKeyInformation(e, v, kmip14.TagMACSignatureKeyInformation, s.MACSignatureKeyInformation); err != nil {
			return err
		}
		for _, name := range s.AttributeNames {
			e.EncodeTextString(kmip14.TagAttributeName, name)
		}
		if s.EncodingOption != 0 && since(v, V1_1) {
			e.EncodeEnumeration(kmip14.TagEncodingOption, uint32(s.EncodingOption))
		}
		return nil
	})
}

// decodeKeyWrappingData decodes the Key Wrapping Data of a key block; the
// Wrapping Method is required.
func decodeKeyWrappingData(v Version, f ttlv.TTLV) (*KeyWrappingData, *Error) {
	if err := readStructure(f); err != nil {
		return nil, err
	}
	d := &KeyWrappingData{}
	var err *Error
	var x uint32
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagWrappingMethod:
			x, err = readEnum(c)
			d.WrappingMethod = WrappingMethod(x)
		case kmip14.TagEncryptionKeyInformation:
			d.EncryptionKeyInformation, err = decodeKeyInformation(v, c)
		case kmip14.TagMACSignatureKeyInformation:
			d.MACSignatureKeyInformation, err = decodeKeyInformation(v, c)
		case kmip14.TagMACSignature:
			d.MACSignature, err = readBytes(c)
		case kmip14.TagIVCounterNonce:
			d.IVCounterNonce, err = readBytes(c)
		case kmip14.TagEncodingOption:
			x, err = readEnum(c)
			d.EncodingOption = EncodingOption(x)
		}
		if err != nil {
			return nil, err
		}
	}
	if d.WrappingMethod == 0 {
		return nil, errMissing(v, "Wrapping Method")
	}
	return d, nil
}

// encodeKeyWrappingData writes d.
func encodeKeyWrappingData(e *ttlv.Encoder, v Version, d *KeyWrappingData) error {
	return e.EncodeStructure(kmip14.TagKeyWrappingData, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagWrappingMethod, uint32(d.WrappingMethod))
		if err := encodeKeyInformation(e, v, kmip14.TagEncryptionKeyInformation, d.EncryptionKeyInformation); err != nil {
			return err
		}
		if err := encodeKeyInformation(e, v, kmip14.TagMACSignatureKeyInformation, d.MACSignatureKeyInformation); err != nil {
			return err
		}
		if d.MACSignature != nil {
			e.EncodeByteString(kmip14.TagMACSignature, d.MACSignature)
		}
		if d.IVCounterNonce != nil {
			e.EncodeByteString(kmip14.TagIVCounterNonce, d.IVCounterNonce)
		}
		if d.EncodingOption != 0 && since(v, V1_1) {
			e.EncodeEnumeration(kmip14.TagEncodingOption, uint32(d.EncodingOption))
		}
		return nil
	})
}

// decodeKeyInformation decodes an Encryption or MAC/Signature Key
// Information; its Unique Identifier (a Text String) is required.
func decodeKeyInformation(v Version, f ttlv.TTLV) (*KeyInformation, *Error) {
	if err := readStructure(f); err != nil {
		return nil, err
	}
	ki := &KeyInformation{}
	var err *Error
	for c := range children(f) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			ki.UniqueIdentifier, err = readText(c)
		case kmip14.TagCryptographicParameters:
			if err = readStructure(c); err == nil {
				var p CryptographicParameters
				p, err = decodeCryptographicParameters(c)
				ki.CryptographicParameters = &p
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if ki.UniqueIdentifier == "" {
		return nil, errMissing(v, "Unique Identifier of the key information")
	}
	return ki, nil
}

// encodeKeyInformation writes ki under tag; nil writes nothing.
func encodeKeyInformation(e *ttlv.Encoder, v Version, tag ttlv.Tag, ki *KeyInformation) error {
	if ki == nil {
		return nil
	}
	return e.EncodeStructure(tag, func(e *ttlv.Encoder) error {
		e.EncodeTextString(kmip14.TagUniqueIdentifier, ki.UniqueIdentifier)
		if ki.CryptographicParameters != nil {
			return encodeCryptographicParameters(e, kmip14.TagCryptographicParameters, v, ki.CryptographicParameters)
		}
		return nil
	})
}
