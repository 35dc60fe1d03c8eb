package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Derive Key payloads (KMIP 1.0 section 4.6 to 2.1 section 6.1.12).
// The request carries the new object's attributes in a Template-Attribute
// in 1.x, in Attributes in 2.x; the response is the Unique Identifier
// alone (decodeUIDOf, encodeRequiredUIDOf).

func decodeDeriveKeyRequest(v Version, p ttlv.TTLV) (*DeriveKeyRequest, *Error) {
	r := &DeriveKeyRequest{}
	var err *Error
	var x uint32
	params := false
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagObjectType:
			x, err = readEnum(c)
			r.ObjectType = ObjectType(x)
		case kmip14.TagUniqueIdentifier:
			var id string
			if id, err = readUID(v, c); err == nil {
				r.UniqueIdentifiers = append(r.UniqueIdentifiers, id)
			}
		case kmip14.TagDerivationMethod:
			x, err = readEnum(c)
			r.Method = DerivationMethod(x)
		case kmip14.TagDerivationParameters:
			params = true
			r.Parameters, err = decodeDerivationParameters(v, c)
		case kmip20.TagProtectionStorageMasks:
			err = unsupportedField(v, p, c)
		default:
			r.Attributes, err = decodeAttrsField(v, p, c, r.Attributes, &r.TemplateNames)
		}
		if err != nil {
			return nil, err
		}
	}
	if r.ObjectType == 0 || r.Method == 0 || !params {
		return nil, errMissing(v, "Object Type, Derivation Method or Derivation Parameters")
	}
	return r, nil
}

// decodeDerivationParameters reads a Derivation Parameters structure s;
// a field it does not define is refused (extraField).
func decodeDerivationParameters(v Version, s ttlv.TTLV) (DerivationParameters, *Error) {
	var d DerivationParameters
	if err := readStructure(s); err != nil {
		return d, err
	}
	var err *Error
	for c := range children(s) {
		switch c.Tag() {
		case kmip14.TagCryptographicParameters:
			if err = readStructure(c); err == nil {
				var cp CryptographicParameters
				cp, err = decodeCryptographicParameters(c)
				d.CryptographicParameters = &cp
			}
		case kmip14.TagInitializationVector:
			d.InitializationVector, err = readBytes(c)
		case kmip14.TagDerivationData:
			d.DerivationData, err = readBytes(c)
		case kmip14.TagSalt:
			d.Salt, err = readBytes(c)
		case kmip14.TagIterationCount:
			d.IterationCount, err = readInt(c)
		default:
			err = extraField(v, s, c)
		}
		if err != nil {
			return DerivationParameters{}, err
		}
	}
	return d, nil
}

func encodeDeriveKeyRequest(e *ttlv.Encoder, v Version, r *DeriveKeyRequest) error {
	e.EncodeEnumeration(kmip14.TagObjectType, uint32(r.ObjectType))
	for _, id := range r.UniqueIdentifiers {
		e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
	}
	e.EncodeEnumeration(kmip14.TagDerivationMethod, uint32(r.Method))
	err := e.EncodeStructure(kmip14.TagDerivationParameters, func(e *ttlv.Encoder) error {
		d := &r.Parameters
		if d.CryptographicParameters != nil {
			if err := encodeCryptographicParameters(e, kmip14.TagCryptographicParameters, v, d.CryptographicParameters); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			tag ttlv.Tag
			b   []byte
		}{
			{kmip14.TagInitializationVector, d.InitializationVector},
			{kmip14.TagDerivationData, d.DerivationData},
			{kmip14.TagSalt, d.Salt},
		} {
			if f.b != nil {
				e.EncodeByteString(f.tag, f.b)
			}
		}
		if d.IterationCount != 0 {
			e.EncodeInteger(kmip14.TagIterationCount, d.IterationCount)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return encodeRequestAttrs(e, v, r.TemplateNames, r.Attributes)
}
