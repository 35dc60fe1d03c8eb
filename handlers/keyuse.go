package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// The checks every cryptographic operation makes before it uses a key
// (KMIP 1.4 sections 3.22 and 4.29-4.36, 2.1 sections 4.57 and 6.1):
//
//   - the object exists, belongs to the client and is not destroyed;
//   - it is of a type the use takes (a Symmetric Key, a Public Key to
//     encrypt or verify, a Private Key to decrypt or sign);
//   - its State allows the use: protecting (Encrypt, Sign, MAC) needs
//     Active; processing (Decrypt, Signature Verify, MAC Verify) also
//     accepts Deactivated and Compromised, which may still process data
//     protected before;
//   - its Protect Stop Date has not passed (protecting) and its Process
//     Start Date has come (processing);
//   - its Cryptographic Usage Mask has the use's bit;
//   - its Usage Limits, when it has any, are not used up;
//   - the server holds its Key Value (not a metadata-only object,
//     metadataonly.go: Key Value Not Present).
//
// Reasons, per version (conformance cases CS-BC-M-7, CS-BC-M-14, CS-AC-M-8):
//
//	state or date refuses the use      1.x Permission Denied  2.x Wrong Key Lifecycle State
//	usage mask lacks the bit           1.x Permission Denied  2.x Incompatible Cryptographic Usage Mask
//	Usage Limits used up               Permission Denied (both)
//	object of another type             1.x Invalid Field      2.x Illegal Object Type

// keyUse is one use of a key by a cryptographic operation.
type keyUse struct {
	name    string
	mask    kmip.CryptographicUsageMask
	protect bool // applies protection (Encrypt, Sign, MAC), else processes it
	types   []kmip.ObjectType
}

var (
	useEncrypt   = keyUse{"Encrypt", kmip14.CryptographicUsageMaskEncrypt, true, []kmip.ObjectType{kmip14.ObjectTypeSymmetricKey, kmip14.ObjectTypePublicKey}}
	useDecrypt   = keyUse{"Decrypt", kmip14.CryptographicUsageMaskDecrypt, false, []kmip.ObjectType{kmip14.ObjectTypeSymmetricKey, kmip14.ObjectTypePrivateKey}}
	useSign      = keyUse{"Sign", kmip14.CryptographicUsageMaskSign, true, []kmip.ObjectType{kmip14.ObjectTypePrivateKey}}
	useVerify    = keyUse{"Signature Verify", kmip14.CryptographicUsageMaskVerify, false, []kmip.ObjectType{kmip14.ObjectTypePublicKey}}
	useMAC       = keyUse{"MAC", kmip14.CryptographicUsageMaskMACGenerate, true, []kmip.ObjectType{kmip14.ObjectTypeSymmetricKey}}
	useMACVerify = keyUse{"MAC Verify", kmip14.CryptographicUsageMaskMACVerify, false, []kmip.ObjectType{kmip14.ObjectTypeSymmetricKey}}
)

// usableKey is a key that passed the checks of a use, with its content.
// The caller zeroes the content's material when done (wipe).
type usableKey struct {
	*managed
	obj *kmip.Object
}

// wipe zeroes the key material of k's content.
func (k *usableKey) wipe() {
	if kb := k.obj.KeyBlock; kb != nil {
		clear(kb.Material)
	}
}

// algorithm returns the key's Cryptographic Algorithm (0 when unknown).
func (k *usableKey) algorithm() kmip.CryptographicAlgorithm {
	if u, ok := enumValue(k.attrs.Get(kmip.AttrCryptographicAlgorithm)); ok {
		return kmip.CryptographicAlgorithm(u)
	}
	if kb := k.obj.KeyBlock; kb != nil {
		return kb.Algorithm
	}
	return 0
}

// params returns the key's own Cryptographic Parameters (zero when unset).
func (k *usableKey) params() kmip.CryptographicParameters {
	p, _ := k.attrs.Get(kmip.AttrCryptographicParameters).(kmip.CryptographicParameters)
	return p
}

// useKey loads key id for use u on behalf of req's peer, checks it as the
// package comment above says, charges size bytes (one use for objects
// counted by Object) to its Usage Limits, and unseals its content.
func (s *Service) useKey(ctx context.Context, req *kmip.Request, id string, u keyUse, size int) (*usableKey, error) {
	m, err := s.view(ctx, req, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkUse(m, u); err != nil {
		return nil, err
	}
	if m.attrs.Has(kmip.AttrUsageLimits) {
		m, err = s.update(ctx, req, m.id, func(m *managed) error {
			if err := s.checkUse(m, u); err != nil {
				return err
			}
			return chargeUsage(&m.attrs, size)
		})
		if err != nil {
			return nil, err
		}
	}
	obj, err := s.unseal(m)
	if err != nil {
		return nil, err
	}
	if kb := obj.KeyBlock; kb != nil && kb.Wrapped {
		clear(kb.Material)
		return nil, storedWrapped(u) // wrap.go
	}
	k := &usableKey{managed: m, obj: obj}
	if err := contentNeedsValue(obj); err != nil {
		k.wipe()
		return nil, err
	}
	return k, nil
}

// checkUse checks m's type, state, dates and usage mask for use u.
func (s *Service) checkUse(m *managed, u keyUse) error {
	st := stateOf(m.attrs)
	if isDestroyed(st) || m.sealed == nil {
		return wrongState(st)
	}
	if err := needValue(m); err != nil { // metadataonly.go
		return err
	}
	typeOK := false
	for _, t := range u.types {
		typeOK = typeOK || objectTypeOf(m.attrs) == t
	}
	if !typeOK {
		return &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: u.name + " cannot use a " + objectTypeOf(m.attrs).String()}
	}
	now := s.now()
	if u.protect {
		if st != kmip14.StateActive {
			return wrongState(st)
		}
		if t := m.attrs.Time(kmip.AttrProtectStopDate); !t.IsZero() && !t.After(now) {
			return &kmip.Error{Reason: kmip.ReasonWrongKeyLifecycleState, Message: "the key's Protect Stop Date has passed"}
		}
	} else {
		if st != kmip14.StateActive && st != kmip14.StateDeactivated && st != kmip14.StateCompromised {
			return wrongState(st)
		}
		if t := m.attrs.Time(kmip.AttrProcessStartDate); !t.IsZero() && t.After(now) {
			return &kmip.Error{Reason: kmip.ReasonWrongKeyLifecycleState, Message: "the key's Process Start Date has not come"}
		}
	}
	mask, _ := intValue(m.attrs.Get(kmip.AttrCryptographicUsageMask))
	if mask&int64(u.mask) == 0 {
		return &kmip.Error{Reason: kmip.ReasonIncompatibleCryptographicUsageMask, Message: u.name + " not allowed by the key's Cryptographic Usage Mask"}
	}
	return nil
}

// chargeUsage takes one use of size bytes from the Usage Limits in attrs:
// size bytes under the unit Byte, one object under Object. A use that does
// not fit in what remains is refused with Permission Denied and changes
// nothing.
func chargeUsage(attrs *kmip.Attributes, size int) error {
	limits, ok := attrs.Get(kmip.AttrUsageLimits).(kmip.UsageLimits)
	if !ok {
		return nil
	}
	cost := int64(1)
	if limits.Unit == uint32(kmip14.UsageLimitsUnitByte) {
		cost = int64(size)
	}
	if !takeUsage(attrs, limits, cost) { // usage.go
		return kmip.Errorf(kmip.ReasonPermissionDenied, "the key's Usage Limits are used up")
	}
	return nil
}
