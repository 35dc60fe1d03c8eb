package handlers

import (
	"context"
	"crypto/rand"
	"math/big"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers/internal/splitkey"
	"github.com/kmipd/kmipd/kmip"
)

// Create Split Key and Join Split Key (KMIP 1.4 sections 4.38 and 4.39, 2.1
// sections 6.1.12 and 6.1.30); the arithmetic is package
// handlers/internal/splitkey.
//
// Create Split Key splits the key the request's Unique Identifier names, or
// a Symmetric Key the module generates from the request's attributes (which
// is then never stored), into Split Key Parts objects. The request's Object
// Type is the type of the objects created, Split Key ("Determines the type
// of object to be created", KMIP 1.4 section 4.38, 2.1 section 6.1.12; the
// OASIS KMIP 2.0 test cases TC-SJ-1-20 to -4-20 send it). kmipd once read
// it as the type of the key to split, and still accepts Symmetric Key or
// Secret Data in that sense, checked against the key named.
//
// Each part is a Split Key owned by the caller, with Key Part Identifier
// 1..N, the split's parts, threshold, method and prime, the base key's
// Cryptographic Algorithm and Length, the request's attributes, and Links:
// Previous Link to the part before it, Next Link to the part after it and,
// when an existing key was split, Parent Link to that key.
//
// Join Split Key reads at least Threshold parts of one split (same method,
// parts, threshold, prime, algorithm and length; distinct Key Part
// Identifiers), rebuilds the key, and registers it as a new Symmetric Key or
// Secret Data with the request's attributes.
//
// Parameters and parts that do not fit are Invalid Field, each with its
// reason; fewer parts than the Split Key Threshold is Cryptographic Failure,
// as the OASIS test cases expect (TC-SJ-1-20 step 3); a part that is no
// Split Key is Invalid Field (1.x) or Invalid Object Type (2.x); a destroyed
// part is Item Not Found (1.x) or Object Destroyed (2.x), and another
// owner's part Object Not Found (1.x Item Not Found), as in Get.
//
// Polynomial Sharing GF(2^8) and GF(2^16) work in the fields the Split Key
// object defines (KMIP 1.2-1.4 section 2.2.8, 2.0-2.1 Split Key object):
// GF(2^8) modulo x^8+x^4+x^3+x^2+1, the only field in those versions, which
// carry no field naming another (KMIP 3.0 adds the Split Key Polynomial
// attribute for that). splitParams is the one place a part's field is
// chosen, in Create and in Join.

// splitMethods maps the Split Key Methods kmipd implements to their
// arithmetic; any other method is the zero splitkey.Method, which Split and
// Join refuse.
var splitMethods = map[kmip.SplitKeyMethod]splitkey.Method{
	kmip14.SplitKeyMethodXOR:                         splitkey.XOR,
	kmip14.SplitKeyMethodPolynomialSharingGF2_8:      splitkey.GF8,
	kmip14.SplitKeyMethodPolynomialSharingGF2_16:     splitkey.GF16,
	kmip14.SplitKeyMethodPolynomialSharingPrimeField: splitkey.PrimeField,
}

// splitParams returns the arithmetic of a split by method with prime (the
// Prime Field Size, nil for the other methods), in the field KMIP 1.2-2.1
// define for the GF methods (the zero Polynomial, splitkey.KMIPPolynomial).
func splitParams(method kmip.SplitKeyMethod, prime *big.Int) splitkey.Params {
	return splitkey.Params{Method: splitMethods[method], Prime: primeOf(method, prime)}
}

// checkSplitCounts refuses, each with its reason, Split Key Parts and
// Threshold no split can have. The threshold is the number of parts needed
// to rebuild the key (KMIP 1.4 section 2.2.8), so it cannot exceed the
// parts, and an XOR split needs them all (same section: Split Key Parts
// "identical to Split Key Threshold"); kmipd also refuses a threshold of 1,
// which would make every part the key itself, and more than
// splitkey.MaxParts parts, the most GF(2^8) can number and a bound on what
// one request stores.
func checkSplitCounts(method kmip.SplitKeyMethod, n, k int) error {
	switch {
	case n < 2 || n > splitkey.MaxParts:
		return kmip.Errorf(kmip.ReasonInvalidField, "Split Key Parts %d is not between 2 and %d", n, splitkey.MaxParts)
	case k < 2:
		return kmip.Errorf(kmip.ReasonInvalidField, "Split Key Threshold %d is below 2: every part would be the key", k)
	case k > n:
		return kmip.Errorf(kmip.ReasonInvalidField, "Split Key Threshold %d exceeds Split Key Parts %d", k, n)
	case splitMethods[method] == 0:
		return kmip.Errorf(kmip.ReasonInvalidField, "Split Key Method %v is not supported", method)
	case method == kmip14.SplitKeyMethodXOR && k != n:
		return kmip.Errorf(kmip.ReasonInvalidField, "an XOR split needs every part: Split Key Threshold %d differs from Split Key Parts %d", k, n)
	}
	return nil
}

// invalidSplit is the error for split parameters or parts that do not fit.
func invalidSplit(msg string) error { return kmip.Errorf(kmip.ReasonInvalidField, "%s", msg) }

func (s *Service) createSplitKey(ctx context.Context, req *kmip.Request, p *kmip.CreateSplitKeyRequest) (any, error) {
	v := req.Version
	n, k := int(p.SplitKeyParts), int(p.SplitKeyThreshold)
	if err := checkSplitCounts(p.SplitKeyMethod, n, k); err != nil {
		return nil, err
	}
	attrs, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, attrs); err != nil {
		return nil, err
	}
	base, baseID, err := s.keyToSplit(ctx, req, p, attrs)
	if err != nil {
		return nil, err
	}
	defer clear(base.Material)
	if p.SplitKeyMethod == kmip14.SplitKeyMethodPolynomialSharingPrimeField && len(base.Material) != keyBytes(base) {
		return nil, invalidSplit("the key's length does not allow the Prime Field method")
	}
	shares, err := splitkey.Split(splitParams(p.SplitKeyMethod, p.PrimeFieldSize), base.Material, n, k, rand.Reader)
	if err != nil {
		return nil, invalidSplit("the Split Key Method or Prime Field Size does not fit the key")
	}
	defer func() {
		for _, sh := range shares {
			clear(sh)
		}
	}()
	parts := make([]*managed, n)
	for i := range parts {
		partAttrs := append(kmip.Attributes(nil), attrs...)
		if base.Algorithm != 0 {
			setSingle(&partAttrs, kmip.AttrCryptographicAlgorithm, base.Algorithm)
		}
		setSingle(&partAttrs, kmip.AttrCryptographicLength, base.Length)
		if parts[i], err = s.newManaged(req, kmip14.ObjectTypeSplitKey, partAttrs); err != nil {
			return nil, err
		}
	}
	ids := make([]string, n)
	for i, m := range parts {
		ids[i] = m.id
		part := &kmip.Object{
			Type:              kmip14.ObjectTypeSplitKey,
			SplitKeyParts:     p.SplitKeyParts,
			KeyPartIdentifier: int32(i + 1),
			SplitKeyThreshold: p.SplitKeyThreshold,
			SplitKeyMethod:    p.SplitKeyMethod,
			PrimeFieldSize:    primeOf(p.SplitKeyMethod, p.PrimeFieldSize),
			KeyBlock: &kmip.KeyBlock{
				FormatType: kmip14.KeyFormatTypeRaw, Material: shares[i],
				Algorithm: base.Algorithm, Length: base.Length,
			},
		}
		if err := s.setContent(m, part); err != nil {
			return nil, err
		}
		setSingle(&m.attrs, kmip.AttrKeyFormatType, kmip14.KeyFormatTypeRaw)
		if i > 0 {
			addLink(&m.attrs, kmip14.LinkTypePreviousLink, parts[i-1].id)
		}
		if i < n-1 {
			addLink(&m.attrs, kmip14.LinkTypeNextLink, parts[i+1].id)
		}
		if baseID != "" {
			addLink(&m.attrs, kmip14.LinkTypeParentLink, baseID)
		}
	}
	for i, m := range parts {
		if err := s.insert(ctx, req, m); err != nil {
			s.removeCreated(ctx, ids[:i])
			return nil, err
		}
	}
	s.log.Debug("split key", zap.String("owner", owner(req)), zap.Stringer("method", p.SplitKeyMethod), zap.Int("parts", n), zap.Int("threshold", k))
	return &kmip.CreateSplitKeyResponse{UniqueIdentifiers: ids}, nil
}

// keyToSplit returns the key block to split (Material in the clear, for the
// caller to zero) and the identifier of the stored key it comes from, ""
// for a key generated for the split.
func (s *Service) keyToSplit(ctx context.Context, req *kmip.Request, p *kmip.CreateSplitKeyRequest, attrs kmip.Attributes) (*kmip.KeyBlock, string, error) {
	v := req.Version
	switch p.ObjectType {
	case kmip14.ObjectTypeSplitKey: // the type of the parts (sections 4.38, 6.1.12)
	case kmip14.ObjectTypeSymmetricKey, kmip14.ObjectTypeSecretData: // the key's, as kmipd once read it
	default:
		return nil, "", &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Message: "Create Split Key creates Split Keys"}
	}
	if p.UniqueIdentifier == "" {
		if p.ObjectType == kmip14.ObjectTypeSecretData {
			return nil, "", invalidSplit("the key the server generates to split is a Symmetric Key")
		}
		alg, bits, err := symmetricParams(v, attrs.Get(kmip.AttrCryptographicAlgorithm), attrs.Get(kmip.AttrCryptographicLength))
		if err != nil {
			return nil, "", err
		}
		key, err := s.generate(alg, bits)
		if err != nil {
			return nil, "", err
		}
		return key.KeyBlock, "", nil
	}
	m, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, "", err
	}
	switch t := objectTypeOf(m.attrs); {
	case t != kmip14.ObjectTypeSymmetricKey && t != kmip14.ObjectTypeSecretData:
		return nil, "", &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Message: "only Symmetric Keys and Secret Data are split"}
	case p.ObjectType != kmip14.ObjectTypeSplitKey && p.ObjectType != t:
		return nil, "", &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Message: "Object Type differs from the key's"}
	}
	if err := liveContent(m); err != nil {
		return nil, "", err
	}
	obj, err := s.unseal(m)
	if err != nil {
		return nil, "", err
	}
	kb := obj.KeyBlock
	if kb == nil || kb.Transparent != nil || kb.Wrapped || len(kb.Material) == 0 {
		return nil, "", kmip.Errorf(kmip.ReasonKeyFormatTypeNotSupported, "the key's format cannot be split")
	}
	if kb.Length == 0 {
		kb.Length = int32(8 * len(kb.Material))
	}
	return kb, m.id, nil
}

// liveContent refuses an object whose material is destroyed, with the
// reason Get gives, and a metadata-only one (metadataonly.go).
func liveContent(m *managed) error {
	if isDestroyed(stateOf(m.attrs)) || m.sealed == nil {
		return &kmip.Error{Reason: kmip.ReasonObjectDestroyed, Message: "object destroyed"}
	}
	return needValue(m)
}

// primeOf returns the prime a part records: the prime of the Prime Field
// method, nil for the others.
func primeOf(method kmip.SplitKeyMethod, prime *big.Int) *big.Int {
	if method != kmip14.SplitKeyMethodPolynomialSharingPrimeField {
		return nil
	}
	return prime
}

// addLink appends a Link of type t to id.
func addLink(attrs *kmip.Attributes, t kmip.LinkType, id string) {
	*attrs = append(*attrs, kmip.Attribute{Name: kmip.AttrLink, Value: kmip.Link{Type: t, ID: id}, Index: nextIndex(*attrs, kmip.AttrLink)})
}

// removeCreated deletes the objects a failed request had stored: the parts
// of a Create Split Key, the object of a Derive Key.
func (s *Service) removeCreated(ctx context.Context, ids []string) {
	for _, id := range ids {
		if err := s.deleteForgetting(ctx, id); err != nil {
			s.log.Warn("removing an object created by a failed request", zap.String("id", id), zap.Error(err))
		}
	}
}

func (s *Service) joinSplitKey(ctx context.Context, req *kmip.Request, p *kmip.JoinSplitKeyRequest) (any, error) {
	v := req.Version
	switch p.ObjectType {
	case kmip14.ObjectTypeSymmetricKey:
	case kmip14.ObjectTypeSecretData:
		if p.SecretDataType == 0 {
			return nil, kmip.Errorf(kmip.ReasonInvalidField, "joining into Secret Data needs a Secret Data Type")
		}
	default:
		return nil, &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Message: "split keys are joined into Symmetric Keys or Secret Data"}
	}
	attrs, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, attrs); err != nil {
		return nil, err
	}
	first, shares, err := s.readParts(ctx, req, p.UniqueIdentifiers)
	defer func() {
		for _, sh := range shares {
			clear(sh)
		}
	}()
	if err != nil {
		return nil, err
	}
	kb := first.KeyBlock
	material, err := splitkey.Join(splitParams(first.SplitKeyMethod, first.PrimeFieldSize), shares, int(first.SplitKeyThreshold), keyBytes(kb))
	if err != nil {
		return nil, invalidSplit("the parts do not rebuild a key")
	}
	defer clear(material)
	obj := kmip.Object{
		Type:           p.ObjectType,
		SecretDataType: p.SecretDataType,
		KeyBlock:       &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: material, Algorithm: kb.Algorithm, Length: kb.Length},
	}
	if p.ObjectType == kmip14.ObjectTypeSecretData {
		obj.KeyBlock.FormatType = kmip14.KeyFormatTypeOpaque
	}
	if err := completeObject(v, &obj, &attrs); err != nil {
		return nil, err
	}
	m, err := s.newManagedWith(req, p.ObjectType, attrs, &obj)
	if err != nil {
		return nil, err
	}
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	return &kmip.JoinSplitKeyResponse{UniqueIdentifier: m.id}, nil
}

// readParts reads the split key parts ids name, checks that they belong to
// one split and that there are enough of them, and returns the first part
// (without material) and the shares by Key Part Identifier; the caller
// zeroes the shares, also on error.
func (s *Service) readParts(ctx context.Context, req *kmip.Request, ids []string) (*kmip.Object, map[int][]byte, error) {
	shares := map[int][]byte{}
	var first *kmip.Object
	for _, id := range ids {
		m, err := s.view(ctx, req, id)
		if err != nil {
			return nil, shares, err
		}
		if objectTypeOf(m.attrs) != kmip14.ObjectTypeSplitKey {
			return nil, shares, &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Message: "not a Split Key"}
		}
		if err := liveContent(m); err != nil {
			return nil, shares, err
		}
		part, err := s.unseal(m)
		if err != nil {
			return nil, shares, err
		}
		kb := part.KeyBlock
		if _, dup := shares[int(part.KeyPartIdentifier)]; dup {
			clear(kb.Material)
			return nil, shares, invalidSplit("two parts have the same Key Part Identifier")
		}
		shares[int(part.KeyPartIdentifier)] = kb.Material
		if first == nil {
			first = part
			continue
		}
		if !sameSplit(first, part) {
			return nil, shares, invalidSplit("the parts are not of one split")
		}
	}
	if first == nil {
		return nil, shares, invalidSplit("no parts to join")
	}
	if len(shares) < int(first.SplitKeyThreshold) {
		return nil, shares, kmip.Errorf(kmip.ReasonCryptographicFailure, "%d parts given, fewer than the Split Key Threshold %d", len(shares), first.SplitKeyThreshold)
	}
	return first, shares, nil
}

// sameSplit reports whether parts a and b can come from one split.
func sameSplit(a, b *kmip.Object) bool {
	samePrime := (a.PrimeFieldSize == nil) == (b.PrimeFieldSize == nil) &&
		(a.PrimeFieldSize == nil || a.PrimeFieldSize.Cmp(b.PrimeFieldSize) == 0)
	return a.SplitKeyMethod == b.SplitKeyMethod && a.SplitKeyParts == b.SplitKeyParts &&
		a.SplitKeyThreshold == b.SplitKeyThreshold && samePrime &&
		a.KeyBlock.Algorithm == b.KeyBlock.Algorithm && a.KeyBlock.Length == b.KeyBlock.Length
}

// keyBytes returns the size in bytes of the key a part's key block was
// split from: its Cryptographic Length in bytes, DES and Triple DES keys
// counting their parity bits (keyMaterialBytes).
func keyBytes(kb *kmip.KeyBlock) int {
	if hasDESParity(kb.Algorithm) {
		return keyMaterialBytes(kb.Algorithm, int(kb.Length))
	}
	return int(kb.Length+7) / 8
}
