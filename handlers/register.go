package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// register stores a client-supplied object: a Symmetric Key (Raw or
// Transparent Symmetric Key), Secret Data or an Opaque Object; Public and
// Private Keys and Certificates are kept as given. Attributes inside a 1.x
// Key Value are merged into the object's attributes and never kept in it.
// A wrapped key block is kept unwrapped (wrapregistered.go).
func (s *Service) register(ctx context.Context, req *kmip.Request, p *kmip.RegisterRequest) (any, error) {
	v := req.Version
	obj := p.Object // a copy: the request is not modified
	if obj.Type == 0 {
		obj.Type = p.ObjectType
	}
	if p.ObjectType != 0 && obj.Type != p.ObjectType {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "Object Type does not match the object")
	}
	attrs, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if kb := obj.KeyBlock; kb != nil {
		if kb.Wrapped {
			if kb, attrs, err = s.unwrapRegistered(ctx, req, kb, attrs); err != nil {
				return nil, err // wrapregistered.go
			}
			defer clear(kb.Material)
		}
		if kb.CompressionType != 0 {
			return nil, kmip.Errorf(kmip.ReasonKeyCompressionTypeNotSupported, "key compression is not supported")
		}
		block := *kb
		block.Attributes = nil
		attrs = append(attrs, kb.Attributes...)
		obj.KeyBlock = &block
	}
	attrs, err = withoutDerived(&obj, attrs)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, attrs); err != nil {
		return nil, err
	}
	if err := completeObject(v, &obj, &attrs); err != nil {
		return nil, err
	}
	m, err := s.newManaged(req, obj.Type, attrs)
	if err != nil {
		return nil, err
	}
	if err := s.setContent(m, &obj); err != nil {
		return nil, err
	}
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	return &kmip.RegisterResponse{UniqueIdentifier: m.id}, nil
}

// completeObject checks a registered object's content against its type and
// attributes, and makes the two agree: Cryptographic Algorithm and Length
// come from the key block or the attributes and are recorded in both.
func completeObject(v kmip.Version, obj *kmip.Object, attrs *kmip.Attributes) error {
	switch obj.Type {
	case kmip14.ObjectTypeSymmetricKey:
		kb := obj.KeyBlock
		if kb == nil || len(kb.Material) == 0 {
			return kmip.Errorf(kmip.ReasonInvalidField, "Symmetric Key needs key material")
		}
		if kb.FormatType != kmip14.KeyFormatTypeRaw && kb.FormatType != kmip14.KeyFormatTypeTransparentSymmetricKey {
			return kmip.Errorf(kmip.ReasonKeyFormatTypeNotSupported, "symmetric keys are registered as Raw or Transparent Symmetric Key")
		}
		if err := reconcile(kb, attrs); err != nil {
			return err
		}
		if !lengthMatches(kb) {
			return kmip.Errorf(kmip.ReasonInvalidField, "Cryptographic Length does not match the key material")
		}
		if _, _, err := symmetricParams(v, kb.Algorithm, kb.Length); err != nil {
			return err
		}
		setSingle(attrs, kmip.AttrKeyFormatType, kb.FormatType)
	case kmip14.ObjectTypeSecretData, kmip14.ObjectTypePublicKey, kmip14.ObjectTypePrivateKey:
		kb := obj.KeyBlock
		if kb == nil || (obj.Type == kmip14.ObjectTypeSecretData && obj.SecretDataType == 0) {
			return kmip.Errorf(kmip.ReasonInvalidField, "%v needs a key block", obj.Type)
		}
		if err := reconcile(kb, attrs); err != nil {
			return err
		}
		setSingle(attrs, kmip.AttrKeyFormatType, kb.FormatType)
	case kmip14.ObjectTypeTemplate:
		return checkTemplate(v, obj)
	case kmip14.ObjectTypeOpaqueObject:
		if obj.OpaqueValue == nil || obj.OpaqueDataType == 0 {
			return kmip.Errorf(kmip.ReasonInvalidField, "Opaque Object needs a type and a value")
		}
	case kmip14.ObjectTypeSplitKey:
		return completeSplitKey(obj, attrs)
	case kmip14.ObjectTypePGPKey:
		if obj.KeyBlock == nil {
			return kmip.Errorf(kmip.ReasonInvalidField, "PGP Key needs a key block")
		}
		if err := reconcile(obj.KeyBlock, attrs); err != nil {
			return err
		}
		setSingle(attrs, kmip.AttrKeyFormatType, obj.KeyBlock.FormatType)
	case kmip.ObjectTypeCertificateRequest:
		if len(obj.CertificateRequestValue) == 0 {
			return kmip.Errorf(kmip.ReasonInvalidField, "Certificate Request needs a value")
		}
	case kmip14.ObjectTypeCertificate:
		if len(obj.CertificateValue) == 0 {
			return kmip.Errorf(kmip.ReasonInvalidField, "Certificate needs a value")
		}
		setSingle(attrs, kmip.AttrCertificateType, obj.CertificateType)
		setSingle(attrs, kmip.AttrCertificateLength, int32(len(obj.CertificateValue)))
		*attrs = append(*attrs, certificateAttributes(obj)...)
	default:
		return &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Message: "object type not supported"}
	}
	return nil
}

// completeSplitKey checks a registered Split Key: a part number within the
// parts, a threshold that the parts can meet, and a key block whose
// algorithm and length agree with the attributes.
func completeSplitKey(obj *kmip.Object, attrs *kmip.Attributes) error {
	kb := obj.KeyBlock
	if kb == nil || len(kb.Material) == 0 {
		return kmip.Errorf(kmip.ReasonInvalidField, "Split Key needs key material")
	}
	if obj.SplitKeyThreshold < 1 || obj.SplitKeyParts < obj.SplitKeyThreshold ||
		obj.KeyPartIdentifier < 1 || obj.KeyPartIdentifier > obj.SplitKeyParts {
		return kmip.Errorf(kmip.ReasonInvalidField, "Split Key Parts, Threshold and Key Part Identifier do not fit")
	}
	if err := reconcile(kb, attrs); err != nil {
		return err
	}
	setSingle(attrs, kmip.AttrKeyFormatType, kb.FormatType)
	return nil
}

// reconcile makes a key block's algorithm and length agree with the
// attributes: a value on one side only is copied to the other, different
// values are refused. A missing length is the material's.
func reconcile(kb *kmip.KeyBlock, attrs *kmip.Attributes) error {
	if u, ok := enumValue(attrs.Get(kmip.AttrCryptographicAlgorithm)); ok {
		if kb.Algorithm != 0 && kb.Algorithm != kmip.CryptographicAlgorithm(u) {
			return kmip.Errorf(kmip.ReasonInvalidField, "Cryptographic Algorithm differs from the key block's")
		}
		kb.Algorithm = kmip.CryptographicAlgorithm(u)
	} else if kb.Algorithm != 0 {
		setSingle(attrs, kmip.AttrCryptographicAlgorithm, kb.Algorithm)
	}
	if n, ok := intValue(attrs.Get(kmip.AttrCryptographicLength)); ok {
		if kb.Length != 0 && int64(kb.Length) != n {
			return kmip.Errorf(kmip.ReasonInvalidField, "Cryptographic Length differs from the key block's")
		}
		if n <= 0 || n > 1<<20 {
			return kmip.Errorf(kmip.ReasonInvalidField, "invalid Cryptographic Length")
		}
		kb.Length = int32(n)
	} else {
		if kb.Length == 0 && kb.Algorithm != 0 {
			kb.Length = int32(8 * len(kb.Material))
		}
		if kb.Length != 0 {
			setSingle(attrs, kmip.AttrCryptographicLength, kb.Length)
		}
	}
	return nil
}

// lengthMatches reports whether a symmetric key block's Cryptographic Length
// fits its material: 8 bits a byte, except for Triple DES, whose 16- or
// 24-byte keys carry a parity bit in each byte (112 or 168 effective bits,
// 168 or 192 counting parity for a three-key one).
func lengthMatches(kb *kmip.KeyBlock) bool {
	n := len(kb.Material)
	if kb.Algorithm == kmip14.CryptographicAlgorithmDES3 {
		return (n == 16 && kb.Length == 112) || (n == 24 && (kb.Length == 168 || kb.Length == 192))
	}
	return int(kb.Length) == 8*n
}

// withoutDerived returns attrs without the server-set attributes whose value
// the object itself determines, when the client gave them the object's value
// (conformance case BL-M-10 gives a Certificate's Certificate Type as an
// attribute too); another value is refused.
func withoutDerived(obj *kmip.Object, attrs kmip.Attributes) (kmip.Attributes, error) {
	if obj.Type != kmip14.ObjectTypeCertificate || !attrs.Has(kmip.AttrCertificateType) {
		return attrs, nil
	}
	for _, a := range attrs.All(kmip.AttrCertificateType) {
		if u, ok := enumValue(a.Value); !ok || kmip.CertificateType(u) != obj.CertificateType {
			return nil, invalidValue(kmip.AttrCertificateType)
		}
	}
	return removeAll(append(kmip.Attributes(nil), attrs...), kmip.AttrCertificateType), nil
}
