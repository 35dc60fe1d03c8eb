package handlers

import (
	"context"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/kmip"
)

// create generates a Symmetric Key inside the cryptographic module.
func (s *Service) create(ctx context.Context, req *kmip.Request, p *kmip.CreateRequest) (any, error) {
	v := req.Version
	if p.ObjectType != kmip14.ObjectTypeSymmetricKey {
		return nil, &kmip.Error{Reason: byVersion(v, kmip.ReasonInvalidField, kmip.ReasonInvalidObjectType), Message: "Create makes Symmetric Keys only"}
	}
	if err := checkCreationAttrs(v, p.Attributes); err != nil {
		return nil, err
	}
	alg, bits, err := symmetricParams(v, p.Attributes.Get(kmip.AttrCryptographicAlgorithm), p.Attributes.Get(kmip.AttrCryptographicLength))
	if err != nil {
		return nil, err
	}
	m := s.newManaged(req, p.ObjectType, p.Attributes)
	sealed, err := s.generate(m.id, alg, bits)
	if err != nil {
		return nil, err
	}
	m.sealed = sealed
	setSingle(&m.attrs, kmip.AttrKeyFormatType, kmip14.KeyFormatTypeRaw)
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	s.log.Debug("created", zap.String("id", m.id), zap.String("owner", m.owner), zap.Stringer("algorithm", alg), zap.Int("bits", bits))
	return &kmip.CreateResponse{ObjectType: p.ObjectType, UniqueIdentifier: m.id}, nil
}

// symmetricParams validates a symmetric key's Cryptographic Algorithm and
// Length: AES with 128, 192 or 256 bits, or HMAC-SHA1/224/256/384/512 with a
// multiple of 8 bits from 128 to 4096.
func symmetricParams(v kmip.Version, algValue, lengthValue any) (kmip.CryptographicAlgorithm, int, error) {
	u, ok := enumValue(algValue)
	if !ok {
		return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "Cryptographic Algorithm is required")
	}
	n, ok := intValue(lengthValue)
	if !ok {
		return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "Cryptographic Length is required")
	}
	alg := kmip.CryptographicAlgorithm(u)
	switch alg {
	case kmip14.CryptographicAlgorithmAES:
		if n != 128 && n != 192 && n != 256 {
			return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "AES keys are 128, 192 or 256 bits")
		}
	case kmip14.CryptographicAlgorithmHMAC_SHA1, kmip14.CryptographicAlgorithmHMAC_SHA224,
		kmip14.CryptographicAlgorithmHMAC_SHA256, kmip14.CryptographicAlgorithmHMAC_SHA384,
		kmip14.CryptographicAlgorithmHMAC_SHA512:
		if n < 128 || n > 4096 || n%8 != 0 {
			return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "HMAC keys are a multiple of 8 bits from 128 to 4096")
		}
	default:
		return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "unsupported Cryptographic Algorithm")
	}
	return alg, int(n), nil
}

// generate generates a key of bits bits in the module and returns its
// content (a Raw key block) sealed for object id.
func (s *Service) generate(id string, alg kmip.CryptographicAlgorithm, bits int) ([]byte, error) {
	generated, err := s.crypto.GenerateKey(id, bits)
	if err != nil {
		return nil, err
	}
	raw, err := s.crypto.Unseal(id, generated)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	return s.seal(id, &kmip.Object{
		Type:     kmip14.ObjectTypeSymmetricKey,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: raw, Algorithm: alg, Length: int32(bits)},
	})
}

// seal encodes obj and seals it for object id; the plaintext encoding is
// zeroed.
func (s *Service) seal(id string, obj *kmip.Object) ([]byte, error) {
	plain, err := kmip.MarshalObject(obj)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return s.crypto.Seal(id, plain)
}

// newManaged returns a new object of req's peer with the client's attributes
// (already validated) and the ones the server sets: Unique Identifier,
// Object Type, State, Initial Date, Last Change Date, Original Creation Date
// and Fresh. All are kept whatever the request's version; the codec leaves
// out what a version lacks. State is Pre-Active, or what the client's
// Activation and Deactivation Dates make it.
func (s *Service) newManaged(req *kmip.Request, t kmip.ObjectType, clientAttrs kmip.Attributes) *managed {
	now := s.now()
	m := &managed{id: newID(), owner: owner(req)}
	m.attrs = kmip.Attributes{
		{Name: kmip.AttrUniqueIdentifier, Value: m.id},
		{Name: kmip.AttrObjectType, Value: t},
		{Name: kmip.AttrState, Value: kmip14.StatePreActive},
		{Name: kmip.AttrInitialDate, Value: now},
		{Name: kmip.AttrLastChangeDate, Value: now},
		{Name: kmip.AttrOriginalCreationDate, Value: now},
	}
	counts := map[string]int{}
	for _, a := range clientAttrs {
		if t, ok := a.Value.(time.Time); ok {
			a.Value = t.UTC().Truncate(time.Second)
		}
		a.Index = counts[a.Name]
		counts[a.Name]++
		m.attrs = append(m.attrs, a)
	}
	if !m.attrs.Has(kmip.AttrFresh) {
		m.attrs = append(m.attrs, kmip.Attribute{Name: kmip.AttrFresh, Value: true})
	}
	applyDue(&m.attrs, now)
	return m
}
