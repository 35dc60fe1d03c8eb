package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/handlers/audit"
	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Export and Import (KMIP 1.4 and 2.x): moving an object, with its
// attributes, from one key manager to another.
//
// Export is Get followed by Get Attributes without names: the same access
// checks, the same refusals (Sensitive, not Extractable, destroyed), the
// same format conversions and key wrapping (get.go, wrap.go). It releases
// key material, so its audit record is on disk before the answer (audit.go).
//
// Import stores the object under the Unique Identifier the client gives,
// through the steps of Register (register.go). The attributes only the
// server sets (State, dates, Digest, Unique Identifier, ...) that an Export
// returns are dropped rather than refused, so that an exported object can be
// imported as it came: this server sets them again, as for any new object.
// A wrapped key block is unwrapped with the client's key named by its Key
// Wrapping Data (the reverse of wrap.go); the server keeps no wrapped keys,
// so Key Wrap Type As Registered is refused for one.
//
// An identifier already in use is refused with Object Already Exists unless
// Replace Existing is true and the object is the client's own, in which case
// the object is replaced as a whole, in one transaction with an audit record
// saying what it replaced. An object of another owner is never replaced:
// whatever Replace Existing says, the answer is the same Object Already
// Exists a client gets for its own object without Replace Existing, so that
// it learns only that the identifier is taken.

// export returns an object, its content as Get returns it and its
// attributes as Get Attributes returns all of them.
func (s *Service) export(ctx context.Context, req *kmip.Request, p *kmip.ExportRequest) (any, error) {
	// The attributes are those of the object as it is exported: read
	// before the Get that serves it, which clears Fresh (the KMIP 2.0 Test
	// Cases TC-IMPEXP-1..3 expect Fresh true in the Export response).
	attrs, err := s.getAttributes(ctx, req, &kmip.GetAttributesRequest{UniqueIdentifier: p.UniqueIdentifier})
	if err != nil {
		return nil, err
	}
	got, err := s.get(ctx, req, &kmip.GetRequest{
		UniqueIdentifier:         p.UniqueIdentifier,
		KeyFormatType:            p.KeyFormatType,
		KeyWrapType:              p.KeyWrapType,
		KeyCompressionType:       p.KeyCompressionType,
		KeyWrapping:              p.KeyWrapping,
		KeyWrappingSpecification: p.KeyWrappingSpecification,
	})
	if err != nil {
		return nil, err
	}
	obj := got.(*kmip.GetResponse)
	return &kmip.ExportResponse{
		ObjectType:       obj.ObjectType,
		UniqueIdentifier: obj.UniqueIdentifier,
		Attributes:       attrs.(*kmip.GetAttributesResponse).Attributes,
		Object:           obj.Object,
	}, nil
}

// importObject stores p's object under p's Unique Identifier, or replaces
// the client's object of that identifier when p asks.
func (s *Service) importObject(ctx context.Context, req *kmip.Request, p *kmip.ImportRequest) (any, error) {
	// The decoder guarantees a Unique Identifier and an object of the
	// Object Type.
	obj := p.Object // a copy: the request is not modified
	existing, err := s.store.Get(ctx, p.UniqueIdentifier)
	switch {
	case errors.Is(err, store.ErrNotFound):
		existing = nil
	case err != nil:
		return nil, err
	case existing.Owner != owner(req) || !p.ReplaceExisting:
		return nil, alreadyExists()
	}
	if kb := obj.KeyBlock; kb != nil && kb.Wrapped {
		if p.KeyWrapType == kmip14.KeyWrapTypeAsRegistered {
			return nil, keyWrapTypeNotSupported("the server keeps no wrapped keys: import with Key Wrap Type Not Wrapped")
		}
		block, err := s.unwrapKeyBlock(ctx, req, kb)
		if err != nil {
			return nil, err
		}
		defer clear(block.Material)
		obj.KeyBlock = block
	}
	m, err := s.newImported(ctx, req, p.UniqueIdentifier, &obj, p.Attributes)
	if err != nil {
		return nil, err
	}
	if existing == nil {
		err = s.insert(ctx, req, m)
		if errors.Is(err, store.ErrExists) { // taken since it was looked up
			return nil, alreadyExists()
		}
	} else {
		err = s.replaceImported(ctx, req, m)
	}
	if err != nil {
		return nil, err
	}
	return &kmip.ImportResponse{UniqueIdentifier: m.id}, nil
}

// alreadyExists is the answer to an Import under an identifier in use.
func alreadyExists() error {
	return kmip.Errorf(kmip.ReasonObjectAlreadyExists, "an object with this Unique Identifier already exists")
}

// keyWrapTypeNotSupported is the refusal of a key wrapping the server
// cannot do: 1.x Feature Not Supported, 2.x Key Wrap Type Not Supported.
func keyWrapTypeNotSupported(msg string) error {
	return &kmip.Error{Reason: kmip.ReasonKeyWrapTypeNotSupported, Message: msg}
}

// newImported returns the managed object id of req's client holding obj
// (in the clear) with the client's attrs, made as Register makes one:
// the same checks and the same server-set attributes, the ones the client
// gave of these dropped.
func (s *Service) newImported(ctx context.Context, req *kmip.Request, id string, obj *kmip.Object, clientAttrs kmip.Attributes) (*managed, error) {
	v := req.Version
	attrs := withoutServerSet(clientAttrs)
	if kb := obj.KeyBlock; kb != nil {
		if kb.CompressionType != 0 {
			return nil, kmip.Errorf(kmip.ReasonKeyCompressionTypeNotSupported, "key compression is not supported")
		}
		block := *kb
		block.Attributes = nil
		attrs = append(attrs, withoutServerSet(kb.Attributes)...)
		obj.KeyBlock = &block
	}
	attrs, err := withoutDerived(obj, attrs)
	if err != nil {
		return nil, err
	}
	if err := checkRegisterAttrs(v, attrs); err != nil {
		return nil, err
	}
	if err := completeObject(v, obj, &attrs); err != nil {
		return nil, err
	}
	m, err := s.newManaged(req, obj.Type, attrs)
	if err != nil {
		return nil, err
	}
	m.id = id
	setSingle(&m.attrs, kmip.AttrUniqueIdentifier, id)
	if m.attrs.Has(kmip.AttrShortUniqueIdentifier) {
		setSingle(&m.attrs, kmip.AttrShortUniqueIdentifier, shortUniqueIdentifier(id))
	}
	if err := s.setContent(m, obj); err != nil { // sealed for id
		return nil, err
	}
	return m, nil
}

// withoutServerSet returns attrs without the standard attributes only the
// server sets, and without the creator attribute. Those a client may
// register (Original Creation Date, Random Number Generator) stay: they
// describe the object's past, which an import keeps.
func withoutServerSet(attrs kmip.Attributes) kmip.Attributes {
	var out kmip.Attributes
	for _, a := range attrs {
		if def := kmip.LookupAttr(a.Name); (def != nil && def.ServerOnly && !def.ClientRegister) || a.Name == authz.CreatorAttr {
			continue
		}
		out = append(out, a)
	}
	return out
}

// replaceImported puts m in place of the stored object of the same identifier, which
// must be req's client's and usable by it (update checks both), in one
// transaction carrying an audit record of what was replaced.
func (s *Service) replaceImported(ctx context.Context, req *kmip.Request, m *managed) error {
	attrs, err := authz.PrincipalFrom(ctx).StampCreator(m.attrs)
	if err != nil {
		return err
	}
	rec := s.requestRecord(ctx, req, m.id)
	var replaced []byte
	_, err = s.update(audit.WithRecord(ctx, rec), req, m.id, func(old *managed) error {
		rec.Reason = "replaced " + describeReplaced(old)
		replaced = old.sealed
		old.attrs, old.sealed = attrs, m.sealed
		return nil
	})
	if err != nil {
		return err
	}
	return s.forgetReplaced(req, m.id, replaced) // destroy_material.go
}

// describeReplaced names what an Import replaced, for the audit record:
// the object's type, state, names and dates, never its content.
func describeReplaced(m *managed) string {
	d := fmt.Sprintf("%v in state %v", objectTypeOf(m.attrs), stateOf(m.attrs))
	for _, a := range m.attrs.All(kmip.AttrName) {
		if n, ok := a.Value.(kmip.Name); ok {
			d += fmt.Sprintf(", Name %q", n.Value)
		}
	}
	if t := m.attrs.Time(kmip.AttrInitialDate); !t.IsZero() {
		d += ", Initial Date " + t.UTC().Format("2006-01-02T15:04:05Z")
	}
	if t := m.attrs.Time(kmip.AttrLastChangeDate); !t.IsZero() {
		d += ", Last Change Date " + t.UTC().Format("2006-01-02T15:04:05Z")
	}
	if m.sealed == nil {
		d += ", material destroyed"
	}
	return d
}

// requestRecord returns an audit record of req's item on object id, as
// audit.Handler makes one: the client's own identity (not its tenant's), tenant
// and address.
func (s *Service) requestRecord(ctx context.Context, req *kmip.Request, id string) *store.AuditRecord {
	rec := &store.AuditRecord{
		Time:      s.clock(),
		Operation: req.Operation.String(),
		ObjectID:  id,
		Result:    kmip14.ResultStatusSuccess.String(),
	}
	rec.Identity = callerIdentity(ctx, req)
	rec.Tenant = s.TenantOf(rec.Identity)
	if req.Peer != nil && req.Peer.Addr != nil {
		rec.ClientAddr = req.Peer.Addr.String()
	}
	return rec
}

// useUnwrapKey is the use of a key that unwraps an imported key.
var useUnwrapKey = keyUse{"Unwrap Key", kmip14.CryptographicUsageMaskUnwrapKey, false, []kmip.ObjectType{kmip14.ObjectTypeSymmetricKey}}

// unwrapKeyBlock returns kb, a wrapped key block, in the clear: the reverse
// of wrapKeyBlock (wrap.go), with the same methods and modes. The key named
// by its Encryption Key Information goes through the checks of every
// cryptographic use for the use Unwrap Key. A block the server cannot
// unwrap is refused (1.x Feature Not Supported, 2.x Key Wrap Type Not
// Supported); one whose integrity check fails is a Cryptographic Failure.
func (s *Service) unwrapKeyBlock(ctx context.Context, req *kmip.Request, kb *kmip.KeyBlock) (*kmip.KeyBlock, error) {
	wd := kb.WrappingData
	switch {
	case wd == nil:
		return nil, keyWrapTypeNotSupported("a wrapped key block without Key Wrapping Data")
	case wd.WrappingMethod != kmip14.WrappingMethodEncrypt:
		return nil, keyWrapTypeNotSupported("only the Encrypt wrapping method is supported")
	case wd.MACSignatureKeyInformation != nil || wd.MACSignature != nil:
		return nil, keyWrapTypeNotSupported("MAC/Signature Key Information is not supported")
	case wd.EncodingOption != 0 && wd.EncodingOption != kmip14.EncodingOptionNoEncoding:
		return nil, keyWrapTypeNotSupported("only the No Encoding option is supported")
	case wd.EncryptionKeyInformation == nil || wd.EncryptionKeyInformation.UniqueIdentifier == "":
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the Encrypt wrapping method needs Encryption Key Information")
	case len(kb.Material) == 0:
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "a wrapped key block needs the wrapped key")
	}
	ki := wd.EncryptionKeyInformation
	kek, err := s.useKey(ctx, req, ki.UniqueIdentifier, useUnwrapKey, len(kb.Material))
	if err != nil {
		return nil, err
	}
	defer kek.wipe()
	if kek.algorithm() != kmip14.CryptographicAlgorithmAES || kek.obj.KeyBlock == nil {
		return nil, keyWrapTypeNotSupported("only AES unwrapping keys are supported")
	}
	var schemes []hsm.WrapParams
	switch wrapMode(ki.CryptographicParameters, kek.params()) {
	case kmip14.BlockCipherModeNISTKeyWrap:
		// RFC 3394 or, for a key it cannot take, RFC 5649: the integrity
		// check tells which.
		schemes = []hsm.WrapParams{{Padding: false}, {Padding: true}}
	case kmip14.BlockCipherModeAESKeyWrapPadding:
		schemes = []hsm.WrapParams{{Padding: true}}
	default:
		return nil, keyWrapTypeNotSupported("only the NIST Key Wrap and AES Key Wrap Padding modes are supported")
	}
	var plain []byte
	for _, wp := range schemes {
		if plain, err = s.crypto.UnwrapKey(kek.obj.KeyBlock.Material, wp, kb.Material); !errors.Is(err, hsm.ErrUnwrap) && !errors.Is(err, hsm.ErrBadParameters) {
			break
		}
	}
	if errors.Is(err, hsm.ErrUnwrap) || errors.Is(err, hsm.ErrBadParameters) {
		return nil, kmip.Errorf(kmip.ReasonCryptographicFailure, "the key could not be unwrapped with the key named by its Key Wrapping Data")
	}
	if err != nil {
		return nil, moduleError(err)
	}
	block := *kb
	block.Material, block.Wrapped, block.WrappingData = plain, false, nil
	return &block, nil
}
