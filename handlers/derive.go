package handlers

import (
	"bytes"
	"context"
	"crypto"
	"errors"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// Derive Key (KMIP 1.0 to 1.4 section 4.6, 2.1 section 6.1.12) makes a new
// Symmetric Key or Secret Data object from material the server manages:
//
//   - The base objects are the request's Unique Identifiers (the ID
//     Placeholder when there are none): the derivation key first, a
//     Symmetric Key or Secret Data (for PBKDF2, the password). A second
//     one, a Secret Data, gives the Derivation Data instead of the
//     Derivation Parameters ("Derivation Data ... Yes, unless the Unique
//     Identifier of a Secret Data object is provided"); both at once are
//     "ambiguous derivation data", Invalid Message. The Asymmetric Key
//     method takes a Private Key and the other party's Public Key.
//   - Every base object must be the client's (view: another tenant's is
//     Object Not Found), Active, and have the Derive Key bit in its
//     Cryptographic Usage Mask (section 4.6: "The request SHALL only apply
//     to Managed Objects that have the Derive Key bit set"): useKey with
//     useDerive, whose refusals are those of the cryptographic operations
//     (keyuse.go). Its Usage Limits are charged as by those.
//   - The Cryptographic Length of the new object says how much to derive
//     (required); a key also needs its Cryptographic Algorithm, and both
//     must be a key Create could make (symmetricParams). A length the
//     method cannot produce is a Cryptographic Failure, as section 4.6
//     and its error table ask.
//   - The new object gets a Derivation Base Object Link to each base
//     object, and each base object a Derived Key Link to it (section 4.6:
//     "the Link attributes (i.e., Derived Key Link in the objects from
//     which the key is derived, and the Derivation Base Object Link in
//     the derived key) of all objects involved SHALL be set"; Link Types
//     0x00000104 and 0x00000105, KMIP 1.4 section 9.1.3.2.20). It becomes
//     the ID Placeholder. A derived Secret Data is of Secret Data Type
//     Seed (the request has no Secret Data Type).
//
// The derivation runs in the module (hsm.Crypto DeriveKey), on the base
// material unsealed for the call and zeroed after it, as the
// cryptographic operations use keys; the derived material is sealed as
// Create's (setContent) and never logged.
//
// The Derivation Parameters a method takes (a parameter it does not take
// is refused with Invalid Field rather than ignored, so that no client
// gets a key derived without what it asked for):
//
//	PBKDF2 (1.0)         Salt and Iteration Count (required); Cryptographic Parameters:
//	                     Hashing Algorithm, SHA-1 when absent (RFC 8018 section 5.2's
//	                     default PRF, and the OASIS case TC-DERIVEKEY-3's result)
//	HASH (1.0)           Cryptographic Parameters: Hashing Algorithm (required)
//	HMAC (1.0)           Derivation Data; PRF as below, HMAC only
//	ENCRYPT (1.0)        Derivation Data; Initialization Vector for a mode that takes one;
//	                     Cryptographic Parameters as Encrypt's, over the key's own
//	NIST800-108-C/F/DPI  Derivation Data (the Fixed Input Data); feedback mode also an
//	(1.0)                Initialization Vector (K(0), may be absent); PRF as below
//	Asymmetric Key (1.4) Cryptographic Parameters: Cryptographic Algorithm ECDH (or none)
//	HKDF (2.0)           Cryptographic Parameters: Hashing Algorithm (required); Salt and
//	                     Derivation Data (the info) optional
//
// The PRF of HMAC and of the SP 800-108 KDFs is HMAC with the Hashing
// Algorithm of the request's Cryptographic Parameters over the key's own;
// without one, the MAC the Cryptographic Algorithm names (an HMAC-SHA*
// algorithm, or AES for CMAC), the request's or the key's (macParams).
//
// Where the specification leaves the method open, the server does what
// the OASIS test cases and an independent implementation agree on:
//
//   - HMAC is HMAC(key, Derivation Data), truncated: TC-DERIVEKEY-2's
//     result, and RFC 4231's test vectors. (PyKMIP's server runs HKDF for
//     HMAC, which TC-DERIVEKEY-2 contradicts; KMIP 2.0 added HKDF as a
//     method of its own.)
//   - HASH "computes a hash over the derivation key or the derivation
//     data": the server hashes the key (TC-DERIVEKEY-1, whose request has
//     no Derivation Data, and PyKMIP, which refuses both at once). A hash
//     of the Derivation Data alone would not depend on the base key at
//     all, so Derivation Data with HASH is refused.
//   - SP 800-108 names no counter width or position, nor how the KMIP
//     fields map to its inputs: the counter is 32 bits, big-endian, before
//     the Fixed Input Data in counter mode and after the iteration
//     variable in the others, and the Derivation Data is the whole Fixed
//     Input Data (Label || 0x00 || Context || [L]2, which the client
//     assembles): the CAVP KBKDF configurations (CTRLOCATION=BEFORE_FIXED
//     and AFTER_ITER, RLEN=32_BITS), whose vectors the module passes, and
//     OpenSSL's KBKDF without its own label and length (hsm/ops_derive.go).
//   - The Asymmetric Key method's result is the ECDH shared secret Z
//     itself (SP 800-56A section 5.7.1.2), truncated; the specification
//     names no KDF after it. It was added by KMIP 1.4 (its Derivation
//     Method value 8); HKDF by KMIP 2.0.
//
// Bounds: PBKDF2 runs at most hsm.MaxPBKDF2Iterations iterations in all
// (Iteration Count times the output's blocks; a client asking for 2^31
// iterations is refused with Invalid Field before any work); a derived
// key is at most what Create makes (4096 bits for an HMAC key), a Secret
// Data at most hsm.MaxKeyBits.

// useDerive is the use Derive Key makes of its base objects.
var useDerive = keyUse{"Derive Key", kmip14.CryptographicUsageMaskDeriveKey, true, []kmip.ObjectType{
	kmip14.ObjectTypeSymmetricKey, kmip14.ObjectTypeSecretData, kmip14.ObjectTypePrivateKey, kmip14.ObjectTypePublicKey}}

// derivation is a Derivation Method the server implements: the module's
// method, the first version that defines it, and the Derivation
// Parameters it takes.
type derivation struct {
	method hsm.DeriveMethod
	since  kmip.Version
	takes  paramSet
}

// paramSet is a set of the fields of Derivation Parameters.
type paramSet uint8

const (
	takesCryptographicParameters paramSet = 1 << iota
	takesIV
	takesData
	takesSalt
	takesIterationCount
)

// derivations are the Derivation Methods the server implements (KMIP 1.4
// section 9.1.3.2.21, and HKDF of 2.0).
var derivations = map[kmip.DerivationMethod]derivation{
	kmip14.DerivationMethodPBKDF2:          {hsm.DerivePBKDF2, kmip.V1_0, takesCryptographicParameters | takesSalt | takesIterationCount},
	kmip14.DerivationMethodHASH:            {hsm.DeriveHash, kmip.V1_0, takesCryptographicParameters},
	kmip14.DerivationMethodHMAC:            {hsm.DeriveHMAC, kmip.V1_0, takesCryptographicParameters | takesData},
	kmip14.DerivationMethodENCRYPT:         {hsm.DeriveEncrypt, kmip.V1_0, takesCryptographicParameters | takesIV | takesData},
	kmip14.DerivationMethodNIST800_108_C:   {hsm.DeriveCounter, kmip.V1_0, takesCryptographicParameters | takesData},
	kmip14.DerivationMethodNIST800_108_F:   {hsm.DeriveFeedback, kmip.V1_0, takesCryptographicParameters | takesIV | takesData},
	kmip14.DerivationMethodNIST800_108_DPI: {hsm.DeriveDoublePipeline, kmip.V1_0, takesCryptographicParameters | takesData},
	kmip14.DerivationMethodAsymmetricKey:   {hsm.DeriveECDH, kmip.V1_4, takesCryptographicParameters},
	kmip.DerivationMethodHKDF:              {hsm.DeriveHKDF, kmip.V2_0, takesCryptographicParameters | takesData | takesSalt},
}

func (s *Service) deriveKey(ctx context.Context, req *kmip.Request, p *kmip.DeriveKeyRequest) (any, error) {
	v := req.Version
	if p.ObjectType != kmip14.ObjectTypeSymmetricKey && p.ObjectType != kmip14.ObjectTypeSecretData {
		return nil, &kmip.Error{Reason: kmip.ReasonInvalidObjectType, Message: "Derive Key makes Symmetric Keys or Secret Data"}
	}
	d, ok := derivations[p.Method]
	if !ok || v.Less(d.since) {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "unsupported Derivation Method %v", p.Method)
	}
	if err := d.check(p.Parameters); err != nil {
		return nil, err
	}
	attrs, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, attrs); err != nil {
		return nil, err
	}
	size, err := derivedSize(v, p.ObjectType, attrs)
	if err != nil {
		return nil, err
	}
	ids := p.UniqueIdentifiers
	if len(ids) == 0 {
		ids = []string{""} // no ID Placeholder either: resolveID refuses
	}
	if len(ids) > 2 {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "Derive Key takes one or two base objects")
	}
	bases := make([]*usableKey, 0, len(ids))
	defer func() {
		for _, b := range bases {
			b.wipe()
		}
	}()
	for _, id := range ids {
		b, err := s.useKey(ctx, req, id, useDerive, len(p.Parameters.DerivationData))
		if err != nil {
			return nil, err
		}
		bases = append(bases, b)
	}
	key, dp, err := d.inputs(bases, p.Parameters)
	defer clear(dp.Data)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	dp.Length = size
	material, err := s.crypto.DeriveKey(key, dp)
	if err != nil {
		return nil, deriveError(err)
	}
	defer clear(material)
	obj := derivedObject(p.ObjectType, attrs, material)
	if err := completeObject(v, &obj, &attrs); err != nil {
		return nil, err
	}
	m, err := s.newManagedWith(req, p.ObjectType, attrs, &obj)
	if err != nil {
		return nil, err
	}
	for _, b := range bases {
		addLink(&m.attrs, kmip14.LinkTypeDerivationBaseObjectLink, b.id)
	}
	// The creation commits first, with the item's audit record; a base
	// object that can no longer take its link (destroyed or revoked in
	// between) removes the new object again.
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	for _, b := range bases {
		if err := s.linkDerived(ctx, req, b.id, m.id); err != nil {
			s.removeCreated(ctx, []string{m.id})
			return nil, err
		}
	}
	s.log.Debug("derived", zap.String("id", m.id), zap.String("owner", m.owner), zap.Stringer("method", p.Method), zap.Strings("bases", ids))
	return &kmip.DeriveKeyResponse{UniqueIdentifier: m.id}, nil
}

// check refuses the Derivation Parameters fields d does not take, and a
// PBKDF2 Iteration Count above the module's bound before any work.
func (d derivation) check(dp kmip.DerivationParameters) error {
	for _, f := range []struct {
		field   paramSet
		name    string
		present bool
	}{
		{takesCryptographicParameters, "Cryptographic Parameters", dp.CryptographicParameters != nil},
		{takesIV, "Initialization Vector", dp.InitializationVector != nil},
		{takesData, "Derivation Data", dp.DerivationData != nil},
		{takesSalt, "Salt", dp.Salt != nil},
		{takesIterationCount, "Iteration Count", dp.IterationCount != 0},
	} {
		if f.present && d.takes&f.field == 0 {
			return kmip.Errorf(kmip.ReasonInvalidField, "%s is not a parameter of this Derivation Method", f.name)
		}
	}
	if d.method == hsm.DerivePBKDF2 {
		switch {
		case dp.Salt == nil:
			return kmip.Errorf(kmip.ReasonInvalidField, "PBKDF2 needs a Salt")
		case dp.IterationCount <= 0:
			return kmip.Errorf(kmip.ReasonInvalidField, "PBKDF2 needs a positive Iteration Count")
		case dp.IterationCount > hsm.MaxPBKDF2Iterations:
			return kmip.Errorf(kmip.ReasonInvalidField, "Iteration Count above the server's maximum of %d", hsm.MaxPBKDF2Iterations)
		}
	}
	return nil
}

// inputs returns the key material and the module's parameters of the
// derivation of d from bases with dp; the caller zeroes the material and
// the parameters' Data, also on error.
func (d derivation) inputs(bases []*usableKey, dp kmip.DerivationParameters) ([]byte, hsm.DeriveParams, error) {
	out := hsm.DeriveParams{Method: d.method, Salt: dp.Salt, IV: dp.InitializationVector, Iterations: int(dp.IterationCount)}
	if d.method == hsm.DeriveECDH {
		return agreementInputs(bases, dp, out)
	}
	base := bases[0]
	if t := objectTypeOf(base.attrs); t != kmip14.ObjectTypeSymmetricKey && t != kmip14.ObjectTypeSecretData {
		return nil, out, &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "this Derivation Method derives from a Symmetric Key or Secret Data"}
	}
	data, err := derivationData(d, bases, dp)
	if err != nil {
		return nil, out, err
	}
	out.Data = data
	cp := mergeParams(base.params(), dp.CryptographicParameters)
	switch d.method {
	case hsm.DerivePBKDF2:
		if cp.HashingAlgorithm == 0 {
			cp.HashingAlgorithm = kmip14.HashingAlgorithmSHA_1
		}
		out.Hash, err = derivationHash(cp)
	case hsm.DeriveHash, hsm.DeriveHKDF:
		out.Hash, err = derivationHash(cp)
	case hsm.DeriveHMAC:
		if out.MAC, err = derivationPRF(base.algorithm(), cp); err == nil && out.MAC.Algorithm != hsm.HMAC {
			err = kmip.Errorf(kmip.ReasonInvalidField, "HMAC derivation needs a Hashing Algorithm")
		}
	case hsm.DeriveCounter, hsm.DeriveFeedback, hsm.DeriveDoublePipeline:
		out.MAC, err = derivationPRF(base.algorithm(), cp)
	case hsm.DeriveEncrypt:
		out.Cipher, err = cipherParams(base.algorithm(), cp, dp.InitializationVector, nil, nil)
	}
	if err != nil {
		return nil, out, err
	}
	key, err := derivationKey(base)
	return key, out, err
}

// derivationData returns a copy of the Derivation Data of a derivation,
// for the caller to zero: the request's, or the content of the second base
// object, a Secret Data.
func derivationData(d derivation, bases []*usableKey, dp kmip.DerivationParameters) ([]byte, error) {
	if len(bases) == 1 {
		if dp.DerivationData == nil && d.takes&takesData != 0 && d.method != hsm.DeriveHKDF {
			return nil, kmip.Errorf(kmip.ReasonInvalidField, "this Derivation Method needs Derivation Data")
		}
		return bytes.Clone(dp.DerivationData), nil
	}
	second := bases[1]
	switch {
	case d.takes&takesData == 0:
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "this Derivation Method takes one base object")
	case objectTypeOf(second.attrs) != kmip14.ObjectTypeSecretData:
		return nil, &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "the second base object gives the Derivation Data: a Secret Data"}
	case dp.DerivationData != nil:
		return nil, kmip.Errorf(kmip.ReasonInvalidMessage, "ambiguous derivation data: both Derivation Data and a Secret Data object")
	}
	return derivationKey(second)
}

// agreementInputs returns the inputs of the Asymmetric Key method: the
// Private Key (PKCS#8) as the key, the Public Key (PKIX) as the other
// party's, in either order.
func agreementInputs(bases []*usableKey, dp kmip.DerivationParameters, out hsm.DeriveParams) ([]byte, hsm.DeriveParams, error) {
	if cp := dp.CryptographicParameters; cp != nil && cp.CryptographicAlgorithm != 0 && cp.CryptographicAlgorithm != kmip14.CryptographicAlgorithmECDH {
		return nil, out, unsupported("the Asymmetric Key method derives by ECDH")
	}
	var priv, pub *usableKey
	for _, b := range bases {
		switch objectTypeOf(b.attrs) {
		case kmip14.ObjectTypePrivateKey:
			priv = b
		case kmip14.ObjectTypePublicKey:
			pub = b
		}
	}
	if len(bases) != 2 || priv == nil || pub == nil {
		return nil, out, &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "the Asymmetric Key method takes a Private Key and a Public Key"}
	}
	pubKey, err := moduleKey(pub)
	if err != nil {
		return nil, out, err
	}
	out.PublicKey = pubKey
	key, err := moduleKey(priv)
	return key, out, err
}

// derivationKey returns a copy of the raw bytes of a Symmetric Key or
// Secret Data in the clear; the caller zeroes it.
func derivationKey(k *usableKey) ([]byte, error) {
	kb := k.obj.KeyBlock
	if kb == nil || kb.Wrapped {
		return nil, unsupported("the object's material is not in a usable format")
	}
	if k.obj.Type == kmip14.ObjectTypeSecretData {
		return append([]byte(nil), kb.Material...), nil
	}
	return moduleKey(k)
}

// derivationHash returns the hash of the Hashing Algorithm of cp, which
// the method requires.
func derivationHash(cp kmip.CryptographicParameters) (crypto.Hash, error) {
	if cp.HashingAlgorithm == 0 {
		return 0, kmip.Errorf(kmip.ReasonInvalidField, "this Derivation Method needs a Hashing Algorithm")
	}
	return optionalHash(cp.HashingAlgorithm)
}

// derivationPRF returns the PRF of the HMAC and SP 800-108 methods for a
// key of algorithm alg: HMAC with cp's Hashing Algorithm, else the MAC cp
// or alg names.
func derivationPRF(alg kmip.CryptographicAlgorithm, cp kmip.CryptographicParameters) (hsm.MACParams, error) {
	if cp.HashingAlgorithm == 0 {
		return macParams(alg, cp)
	}
	h, err := optionalHash(cp.HashingAlgorithm)
	return hsm.MACParams{Algorithm: hsm.HMAC, Hash: h}, err
}

// derivedSize returns the bytes to derive for a new object of type t with
// attrs: a Symmetric Key Create could make, or a Secret Data of a
// Cryptographic Length in whole bytes up to hsm.MaxKeyBits.
func derivedSize(v kmip.Version, t kmip.ObjectType, attrs kmip.Attributes) (int, error) {
	if t == kmip14.ObjectTypeSymmetricKey {
		alg, bits, err := symmetricParams(v, attrs.Get(kmip.AttrCryptographicAlgorithm), attrs.Get(kmip.AttrCryptographicLength))
		if err != nil {
			return 0, err
		}
		if alg == kmip14.CryptographicAlgorithmDES3 {
			return keyBytes(&kmip.KeyBlock{Algorithm: alg, Length: int32(bits)}), nil
		}
		return bits / 8, nil
	}
	n, ok := intValue(attrs.Get(kmip.AttrCryptographicLength))
	switch {
	case !ok:
		return 0, kmip.Errorf(kmip.ReasonInvalidField, "Cryptographic Length is required")
	case n <= 0 || n%8 != 0 || n > hsm.MaxKeyBits:
		return 0, kmip.Errorf(kmip.ReasonInvalidField, "a derived Secret Data is a whole number of bytes up to %d bits", hsm.MaxKeyBits)
	}
	return int(n / 8), nil
}

// derivedObject returns the object of type t that material makes (shared
// with it), as attrs describe: a Raw Symmetric Key (DES and Triple DES with
// their parity bits set), or an Opaque Secret Data of type Seed.
func derivedObject(t kmip.ObjectType, attrs kmip.Attributes, material []byte) kmip.Object {
	obj := kmip.Object{Type: t, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: material}}
	if t == kmip14.ObjectTypeSecretData {
		obj.SecretDataType = kmip14.SecretDataTypeSeed
		obj.KeyBlock.FormatType = kmip14.KeyFormatTypeOpaque
		return obj
	}
	if u, _ := enumValue(attrs.Get(kmip.AttrCryptographicAlgorithm)); hasDESParity(kmip.CryptographicAlgorithm(u)) {
		setDESParity(material)
	}
	return obj
}

// linkDerived gives base object id a Derived Key Link to the derived
// object, checking again, in the transaction, that it may be used.
func (s *Service) linkDerived(ctx context.Context, req *kmip.Request, id, derivedID string) error {
	_, err := s.update(ctx, req, id, func(m *managed) error {
		if err := s.checkUse(m, useDerive); err != nil {
			return err
		}
		addLink(&m.attrs, kmip14.LinkTypeDerivedKeyLink, derivedID)
		touch(&m.attrs, s.now())
		return nil
	})
	return err
}

// deriveError maps the module's refusals of a derivation to their reasons:
// a length the method cannot produce is a Cryptographic Failure (KMIP 1.4
// section 4.6 error table), too much PBKDF2 work an Invalid Field, a
// missing IV Missing Initialization Vector (1.x: Invalid Field).
func deriveError(err error) error {
	switch {
	case errors.Is(err, hsm.ErrDerivedLength):
		return kmip.Errorf(kmip.ReasonCryptographicFailure, "the Cryptographic Length exceeds the output of the derivation method")
	case errors.Is(err, hsm.ErrDeriveWork):
		return kmip.Errorf(kmip.ReasonInvalidField, "the derivation needs more than the server's %d PBKDF2 iterations", hsm.MaxPBKDF2Iterations)
	case errors.Is(err, hsm.ErrMissingIV):
		return kmip.Errorf(kmip.ReasonMissingInitializationVector, "the Block Cipher Mode needs an Initialization Vector")
	}
	return moduleError(err)
}
