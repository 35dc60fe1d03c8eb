package handlers

import (
	"crypto/sha256"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// Attributes the server sets on every new object and keeps true afterwards.
//
//   - Digest: SHA-256 of the object's content as stored (the Key Material in
//     its Key Format Type, the Certificate Value, the Opaque Data Value),
//     computed once when the content arrives; objects without content have
//     none.
//   - Short Unique Identifier (2.x): SHA-256 of the Unique Identifier.
//   - Sensitive, Always Sensitive, Extractable, Never Extractable (1.4+):
//     Get returns the material of a key unless the client marked it
//     Sensitive or not Extractable, so by default Extractable is true and
//     Sensitive false. Always Sensitive and Never Extractable record whether
//     that was so since creation (trackSensitivity).
//   - Protection Storage Mask (2.x): where the module keeps the material
//     (Config.ProtectionStorageMask).
//   - Fresh: true until the object's content is first returned by Get.
//   - Operation Policy Name (1.x): "default" unless the client named a
//     policy (setOperationPolicyDefault).

// digestOf returns the Digest of obj's content and whether it has content
// to digest.
func digestOf(obj *kmip.Object) (kmip.Digest, bool) {
	var content []byte
	var format kmip.KeyFormatType
	switch {
	case obj.KeyBlock != nil:
		content, format = obj.KeyBlock.Material, obj.KeyBlock.FormatType
	case obj.Type == kmip14.ObjectTypeCertificate:
		// A certificate's digest is of its Raw form: the OASIS cases
		// (TC-CERTATTR-1-20, TC-IMPEXP-5-20) show Key Format Type Raw in
		// it, where KMIP 2.0 section 4.17 (Digest) leaves it optional for
		// objects other than keys.
		content, format = obj.CertificateValue, kmip14.KeyFormatTypeRaw
	case obj.Type == kmip14.ObjectTypeOpaqueObject:
		content = obj.OpaqueValue
	}
	if len(content) == 0 {
		return kmip.Digest{}, false
	}
	sum := sha256.Sum256(content)
	return kmip.Digest{HashingAlgorithm: kmip14.HashingAlgorithmSHA_256, Value: sum[:], KeyFormatType: format}, true
}

// shortUniqueIdentifier returns the Short Unique Identifier of object id.
func shortUniqueIdentifier(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// setContent seals obj as m's content and records its Digest.
func (s *Service) setContent(m *managed, obj *kmip.Object) error {
	sealed, err := s.seal(m.id, obj)
	if err != nil {
		return err
	}
	m.sealed = sealed
	m.attrs = removeAll(m.attrs, kmip.AttrDigest)
	if d, ok := digestOf(obj); ok {
		m.attrs = append(m.attrs, kmip.Attribute{Name: kmip.AttrDigest, Value: d})
	}
	return nil
}

// setProtectionDefaults gives a new object Sensitive (false) and Extractable
// (true) unless the client set them, and Always Sensitive and Never
// Extractable to match.
func setProtectionDefaults(attrs *kmip.Attributes) {
	if !attrs.Has(kmip.AttrSensitive) {
		*attrs = append(*attrs, kmip.Attribute{Name: kmip.AttrSensitive, Value: false})
	}
	if !attrs.Has(kmip.AttrExtractable) {
		*attrs = append(*attrs, kmip.Attribute{Name: kmip.AttrExtractable, Value: true})
	}
	setSingle(attrs, kmip.AttrAlwaysSensitive, isTrue(*attrs, kmip.AttrSensitive))
	setSingle(attrs, kmip.AttrNeverExtractable, !isTrue(*attrs, kmip.AttrExtractable))
}

// defaultOperationPolicy is the name of the server's one operation policy.
// KMIP 1.0-1.4 section 3.18.1 (Default Operation Policy): the server SHALL
// have at least one named operation policy, used for objects whose Create
// or Register (or the templates it names) did not set the Operation Policy
// Name, and "This policy is named default".
const defaultOperationPolicy = "default"

// setOperationPolicyDefault gives a new object the Operation Policy Name
// defaultOperationPolicy unless the client set one. It is kept whatever the
// request's version: KMIP 2.0 removed the attribute, and the codec leaves it
// out of 2.x messages, while a 1.x client reading the object later sees it.
// Access is decided by the server's authorization rules (authz), not by
// the name.
func setOperationPolicyDefault(attrs *kmip.Attributes) {
	if !attrs.Has(kmip.AttrOperationPolicyName) {
		*attrs = append(*attrs, kmip.Attribute{Name: kmip.AttrOperationPolicyName, Value: defaultOperationPolicy})
	}
}

// trackSensitivity updates Always Sensitive and Never Extractable after a
// client changed Sensitive or Extractable: once an object was not
// Sensitive, it was not always so; once it was Extractable, it was not
// never so.
func trackSensitivity(attrs *kmip.Attributes) {
	if attrs.Has(kmip.AttrSensitive) && !isTrue(*attrs, kmip.AttrSensitive) {
		setSingle(attrs, kmip.AttrAlwaysSensitive, false)
	}
	if isTrue(*attrs, kmip.AttrExtractable) {
		setSingle(attrs, kmip.AttrNeverExtractable, false)
	}
}

// isTrue reports whether the Boolean attribute name is set and true.
func isTrue(attrs kmip.Attributes, name string) bool {
	b, _ := attrs.Get(name).(bool)
	return b
}

// setProtectionStorage records where the object's material is kept as its
// Protection Storage Mask, after checking that a mask the client asked for
// allows that storage.
func (s *Service) setProtectionStorage(attrs *kmip.Attributes) error {
	if s.psm == 0 {
		return nil
	}
	if asked, ok := intValue(attrs.Get(kmip.AttrProtectionStorageMask)); ok && asked&int64(s.psm) == 0 {
		return &kmip.Error{Reason: kmip.ReasonProtectionStorageUnavailable, Message: "the server cannot keep the object in the Protection Storage asked for"}
	}
	setSingle(attrs, kmip.AttrProtectionStorageMask, s.psm)
	return nil
}
