package handlers

import (
	"context"
	"math/bits"
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
	attrs, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, attrs); err != nil {
		return nil, err
	}
	alg, bits, err := symmetricParams(v, attrs.Get(kmip.AttrCryptographicAlgorithm), attrs.Get(kmip.AttrCryptographicLength))
	if err != nil {
		return nil, err
	}
	if isTrue(attrs, kmip.AttrQuantumSafe) && !quantumSafe(alg, bits) {
		// Conformance case QS-M-2 expects General Failure.
		return nil, kmip.Errorf(kmip.ReasonGeneralFailure, "a %d-bit %v key is not quantum safe", bits, alg)
	}
	m, err := s.newManaged(req, p.ObjectType, attrs)
	if err != nil {
		return nil, err
	}
	key, err := s.generate(m.id, alg, bits)
	if err != nil {
		return nil, err
	}
	defer clear(key.KeyBlock.Material)
	if err := s.setContent(m, key); err != nil {
		return nil, err
	}
	setSingle(&m.attrs, kmip.AttrKeyFormatType, kmip14.KeyFormatTypeRaw)
	if s.rng.RNGAlgorithm != 0 {
		setSingle(&m.attrs, kmip.AttrRandomNumberGenerator, s.rng)
	}
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	s.log.Debug("created", zap.String("id", m.id), zap.String("owner", m.owner), zap.Stringer("algorithm", alg), zap.Int("bits", bits))
	return &kmip.CreateResponse{ObjectType: p.ObjectType, UniqueIdentifier: m.id}, nil
}

// symmetricParams validates a symmetric key's Cryptographic Algorithm and
// Length: AES with 128, 192 or 256 bits, Triple DES with 112, 168 or 192,
// or HMAC-SHA1/224/256/384/512 with a
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
	case kmip14.CryptographicAlgorithmDES3:
		// Two-key (112 effective bits) or three-key (168) Triple DES; 192
		// counts the parity bits of a three-key one.
		if n != 112 && n != 168 && n != 192 {
			return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "Triple DES keys are 112, 168 or 192 bits")
		}
	case algChaCha20, algChaCha20Poly1305:
		if !v.Is2x() || n != 256 {
			return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "ChaCha20 keys are 256 bits (KMIP 2.x)")
		}
	default:
		return 0, 0, kmip.Errorf(kmip.ReasonInvalidField, "unsupported Cryptographic Algorithm")
	}
	return alg, int(n), nil
}

// quantumSafe reports whether a symmetric key keeps at least 128 bits of
// security against Grover's algorithm: 256 bits or more, never Triple DES.
func quantumSafe(alg kmip.CryptographicAlgorithm, bits int) bool {
	return alg != kmip14.CryptographicAlgorithmDES3 && bits >= 256
}

// generate generates a key of bits bits in the module and returns it as a
// Raw key block; the caller zeroes the material after use. Triple DES keys
// are generated as 192 bits with the parity bit of each byte set, whatever
// Cryptographic Length (112 or 168 effective bits) the key block records.
func (s *Service) generate(id string, alg kmip.CryptographicAlgorithm, bits int) (*kmip.Object, error) {
	size := bits
	if alg == kmip14.CryptographicAlgorithmDES3 {
		size = 192
	}
	generated, err := s.crypto.GenerateKey(id, size)
	if err != nil {
		return nil, err
	}
	raw, err := s.crypto.Unseal(id, generated)
	if err != nil {
		return nil, err
	}
	if alg == kmip14.CryptographicAlgorithmDES3 {
		setDESParity(raw)
	}
	return &kmip.Object{
		Type:     kmip14.ObjectTypeSymmetricKey,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: raw, Algorithm: alg, Length: int32(bits)},
	}, nil
}

// setDESParity sets the low bit of each byte of a DES key so that the byte
// has odd parity.
func setDESParity(key []byte) {
	for i, b := range key {
		b &^= 1
		if bits.OnesCount8(b)%2 == 0 {
			b |= 1
		}
		key[i] = b
	}
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
// Object Type, State, Initial Date, Last Change Date, Original Creation Date,
// Fresh, Short Unique Identifier, Lease Time (under a lease policy) and the
// protection attributes (setProtectionDefaults). All are kept whatever the request's version; the codec leaves
// out what a version lacks. State is Pre-Active, or what the client's
// Activation and Deactivation Dates make it.
func (s *Service) newManaged(req *kmip.Request, t kmip.ObjectType, clientAttrs kmip.Attributes) (*managed, error) {
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
	m.attrs = append(m.attrs, kmip.Attribute{Name: kmip.AttrShortUniqueIdentifier, Value: shortUniqueIdentifier(m.id)})
	if s.lease > 0 {
		m.attrs = append(m.attrs, kmip.Attribute{Name: kmip.AttrLeaseTime, Value: s.lease})
	}
	setProtectionDefaults(&m.attrs)
	if err := s.setProtectionStorage(req.Version, &m.attrs); err != nil {
		return nil, err
	}
	applyDue(&m.attrs, now)
	return m, nil
}
