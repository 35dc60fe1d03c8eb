package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// get returns an object's content. Pre-Active, Active, Deactivated and
// Compromised objects may be read (vCenter and pg_tde Get before Activate);
// a destroyed one fails with Object Destroyed (2.x, conformance case BL-M-8)
// or Item Not Found (1.x, which has no better reason and whose clients take
// it as "absent").
func (s *Service) get(ctx context.Context, req *kmip.Request, p *kmip.GetRequest) (any, error) {
	v := req.Version
	m, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, err
	}
	if st := stateOf(m.attrs); isDestroyed(st) || m.sealed == nil {
		return nil, &kmip.Error{Reason: kmip.ReasonObjectDestroyed, Message: "object destroyed"}
	}
	if t := objectTypeOf(m.attrs); !kmip.ObjectTypeIn(v, t) {
		// A PGP Key in 1.0 or 1.1, a Certificate Request in 1.x, a
		// Template in 2.x: the version has no structure to carry it. In
		// 1.x that is Feature Not Supported, not the Invalid Field that
		// Reason1x gives an Invalid Object Type: the request is valid,
		// the version cannot answer it.
		return nil, &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Reason1x: kmip.ReasonFeatureNotSupported, Message: "KMIP " + v.String() + " has no " + t.String() + " objects"}
	}
	// A Sensitive object's material leaves the server only wrapped (see
	// wrap.go); that of an object the client made not Extractable never.
	wrapping := p.KeyWrappingSpecification
	if wrapping == nil && p.KeyWrapType == kmip14.KeyWrapTypeAsRegistered {
		if wrapping, err = asRegistered(m.attrs); err != nil {
			return nil, err // wrapregistered.go
		}
	}
	if isTrue(m.attrs, kmip.AttrSensitive) && wrapping == nil {
		return nil, kmip.Errorf(kmip.ReasonSensitive, "object is Sensitive")
	}
	if m.attrs.Has(kmip.AttrExtractable) && !isTrue(m.attrs, kmip.AttrExtractable) {
		return nil, kmip.Errorf(kmip.ReasonNotExtractable, "object is not Extractable")
	}
	if p.KeyWrapping && wrapping == nil {
		return nil, keyWrapTypeNotSupported("key wrapping without a Key Wrapping Specification")
	}
	switch p.KeyWrapType {
	case 0, kmip14.KeyWrapTypeNotWrapped, kmip14.KeyWrapTypeAsRegistered:
		// The server keeps keys in the clear (sealed): as registered is
		// not wrapped, unless the key was registered wrapped
		// (wrapregistered.go) or the Key Wrapping Specification asks.
	default:
		return nil, keyWrapTypeNotSupported("unknown Key Wrap Type")
	}
	if p.KeyCompressionType != 0 {
		return nil, kmip.Errorf(kmip.ReasonKeyCompressionTypeNotSupported, "key compression is not supported")
	}
	obj, err := s.unseal(m)
	if err != nil {
		return nil, err
	}
	if err := convertFormat(obj, p.KeyFormatType); err != nil {
		return nil, err
	}
	if kb := obj.KeyBlock; kb != nil {
		kb.Attributes = nil
		if u, ok := enumValue(m.attrs.Get(kmip.AttrCryptographicAlgorithm)); ok && kb.Algorithm == 0 {
			kb.Algorithm = kmip.CryptographicAlgorithm(u)
		}
		if n, ok := intValue(m.attrs.Get(kmip.AttrCryptographicLength)); ok && kb.Length == 0 {
			kb.Length = int32(n)
		}
	}
	if wrapping != nil {
		if err := s.wrapKeyBlock(ctx, req, obj, wrapping); err != nil {
			if kb := obj.KeyBlock; kb != nil {
				clear(kb.Material)
			}
			return nil, err
		}
	}
	if isTrue(m.attrs, kmip.AttrFresh) {
		// The object has now been served to a client (conformance case
		// BL-M-13): it is no longer Fresh.
		if _, err := s.update(ctx, req, m.id, func(m *managed) error {
			setSingle(&m.attrs, kmip.AttrFresh, false)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return &kmip.GetResponse{ObjectType: obj.Type, UniqueIdentifier: m.id, Object: *obj}, nil
}

// unseal returns the content of m. The plaintext encoding is zeroed; the
// returned object holds the material itself.
func (s *Service) unseal(m *managed) (*kmip.Object, error) {
	plain, err := s.crypto.Unseal(m.id, m.sealed)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return kmip.UnmarshalObject(plain)
}

// convertFormat converts obj's key block to the Key Format Type asked for
// (0: as stored). Symmetric keys convert between Raw and Transparent
// Symmetric Key, whose Key is the raw bytes; Public and Private Keys between
// the formats of keyformat.go; anything else is Key Format Type Not
// Supported.
func convertFormat(obj *kmip.Object, want kmip.KeyFormatType) error {
	kb := obj.KeyBlock
	if want == 0 || (kb != nil && kb.FormatType == want) {
		return nil
	}
	symmetric := func(f kmip.KeyFormatType) bool {
		return f == kmip14.KeyFormatTypeRaw || f == kmip14.KeyFormatTypeTransparentSymmetricKey
	}
	if kb != nil && (obj.Type == kmip14.ObjectTypePublicKey || obj.Type == kmip14.ObjectTypePrivateKey) {
		return convertAsymmetric(obj, want)
	}
	if kb == nil || obj.Type != kmip14.ObjectTypeSymmetricKey || !symmetric(kb.FormatType) || !symmetric(want) {
		return kmip.Errorf(kmip.ReasonKeyFormatTypeNotSupported, "cannot return the object as %v", want)
	}
	kb.FormatType = want
	return nil
}
