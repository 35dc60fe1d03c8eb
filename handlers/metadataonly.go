package handlers

import (
	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// Metadata-only objects (KMIP 1.2 and later). A client may register a key
// whose Key Value stays elsewhere (an HSM, another key manager): the Key
// Block carries the Key Format Type, Cryptographic Algorithm and Length but
// no Key Value (1.4 section 2.1.3), the server sets Key Value Present to
// false (section 3.41; an object with its value has no such attribute) and
// the client may say where the value is with Key Value Location (section
// 3.42). This applies to the objects whose value a key block holds and a
// server need not see: Symmetric Keys, Private Keys, Split Keys and Secret
// Data. Public Keys, Certificates and the other objects still need their
// value.
//
// Such an object is kept as metadata only:
//
//   - Get (and Export) returns its Key Block as registered, without a Key
//     Value (conformance cases TC-MDO-1-20, TC-MDO-3-20); a Get that asks
//     for another Key Format Type or for key wrapping has nothing to
//     convert or wrap and fails with Key Value Not Present;
//   - every operation that needs the value fails with Key Value Not
//     Present: the cryptographic operations and the key-use checks they
//     share (keyuse.go, covering Encrypt, Decrypt, Sign, MAC, Derive Key,
//     and the keys that wrap or unwrap others), Create Split Key and Join
//     Split Key, and Re-key and Re-key Key Pair, whose replacement the
//     server would generate in its own module, away from where the key is
//     kept (the KMIP Usage Guide's section on metadata-only keys excludes
//     them from Re-key and Derive Key);
//   - there is no Digest: the server has no value to digest;
//   - the attribute operations, Locate (Key Value Present false finds
//     them), the lifecycle and Destroy work as for any object.

// metadataOnlyTypes are the object types that may be registered without a
// Key Value (1.4 section 3.41, "Applies to Object Types").
var metadataOnlyTypes = []kmip.ObjectType{
	kmip14.ObjectTypeSymmetricKey,
	kmip14.ObjectTypePrivateKey,
	kmip14.ObjectTypeSplitKey,
	kmip14.ObjectTypeSecretData,
}

// completeMetadataOnly is completeObject for an object registered without
// a Key Value in version v: a type that may be, an algorithm and length
// that agree with the attributes (and, for a Symmetric Key, that the server
// knows), and Key Value Present false.
func completeMetadataOnly(v kmip.Version, obj *kmip.Object, attrs *kmip.Attributes) error {
	kb := obj.KeyBlock
	allowed := false
	for _, t := range metadataOnlyTypes {
		allowed = allowed || obj.Type == t
	}
	if !allowed {
		return kmip.Errorf(kmip.ReasonMissingData, "a %v needs a Key Value", obj.Type)
	}
	if kb.Wrapped {
		return kmip.Errorf(kmip.ReasonMissingData, "a wrapped key block needs its Key Value")
	}
	switch obj.Type {
	case kmip14.ObjectTypeSymmetricKey:
		if kb.FormatType != kmip14.KeyFormatTypeRaw && kb.FormatType != kmip14.KeyFormatTypeTransparentSymmetricKey {
			return kmip.Errorf(kmip.ReasonKeyFormatTypeNotSupported, "symmetric keys are registered as Raw or Transparent Symmetric Key")
		}
		if err := reconcile(kb, attrs); err != nil {
			return err
		}
		if _, _, err := symmetricParams(v, attrs.Get(kmip.AttrCryptographicAlgorithm), attrs.Get(kmip.AttrCryptographicLength)); err != nil {
			return err
		}
	case kmip14.ObjectTypeSplitKey:
		if err := checkSplitKeyParts(obj); err != nil {
			return err
		}
		fallthrough
	default:
		if err := reconcile(kb, attrs); err != nil {
			return err
		}
	}
	setSingle(attrs, kmip.AttrKeyFormatType, kb.FormatType)
	setSingle(attrs, kmip.AttrKeyValuePresent, false)
	return nil
}

// metadataOnly reports whether attrs are those of an object kept without
// its Key Value.
func metadataOnly(attrs kmip.Attributes) bool {
	present, ok := attrs.Get(kmip.AttrKeyValuePresent).(bool)
	return ok && !present
}

// noKeyValue is the refusal of an operation that needs a Key Value the
// server does not have.
func noKeyValue() error {
	return kmip.Errorf(kmip.ReasonKeyValueNotPresent, "the server holds no Key Value for this object")
}

// needValue fails with Key Value Not Present for a metadata-only object.
func needValue(m *managed) error {
	if metadataOnly(m.attrs) {
		return noKeyValue()
	}
	return nil
}

// contentNeedsValue fails with Key Value Not Present for content without a
// Key Value, whatever the attributes say.
func contentNeedsValue(obj *kmip.Object) error {
	if kb := obj.KeyBlock; kb != nil && kb.NoValue {
		return noKeyValue()
	}
	return nil
}

// getMetadataOnly checks a Get of a metadata-only object's key block kb in
// version v: it is returned as registered, so a request to convert or wrap
// it fails (there is no value), and KMIP 1.0 and 1.1, whose Key Block
// requires a Key Value, cannot carry it (Feature Not Supported, as for
// other objects a version cannot carry).
func getMetadataOnly(v kmip.Version, p *kmip.GetRequest, kb *kmip.KeyBlock) error {
	if !v.AtLeast(kmip.V1_2) {
		return &kmip.Error{Reason: kmip.ReasonKeyValueNotPresent, Reason1x: kmip.ReasonFeatureNotSupported, Message: "KMIP " + v.String() + " cannot carry an object without its Key Value"}
	}
	if p.KeyWrappingSpecification != nil || (p.KeyFormatType != 0 && p.KeyFormatType != kb.FormatType) {
		return noKeyValue()
	}
	return nil
}
