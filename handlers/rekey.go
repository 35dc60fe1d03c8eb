package handlers

import (
	"context"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// ReKey and ReKeyKeyPair (KMIP 1.4 sections 4.4 and 4.5, 2.1 sections 6.1.42
// and 6.1.43) replace a key with a new one generated independently in the
// module:
//
//   - the replacement gets the attributes of the existing key a client may
//     set (Cryptographic Algorithm, Length, Usage Mask and Parameters,
//     Names, custom attributes, ...) with the request's over them, and the
//     server-set ones of a new object;
//   - the Names move: the existing key loses them (1.4 section 4.4 table);
//   - with an Offset, the replacement's Activation Date (and Process Start
//     Date) is its Initial Date plus Offset, and its Deactivation and
//     Protect Stop Dates keep their distance from the Activation Date; with
//     none, the replacement has no dates and stays Pre-Active;
//   - the existing key gets a Replacement Object Link to the new one, the
//     new one a Replaced Object Link to it; the existing key stays in its
//     state (INTEROP quirk 29: clients expect the old key to stay Active).
//
// The replacement becomes the batch's ID Placeholder.

// notCarried are the attributes a replacement does not take from the
// existing key: server-set ones are set anew, the dates follow the Offset
// rule and the Links are the replacement's own.
var notCarried = map[string]bool{
	kmip.AttrActivationDate:   true,
	kmip.AttrDeactivationDate: true,
	kmip.AttrProcessStartDate: true,
	kmip.AttrProtectStopDate:  true,
	kmip.AttrLink:             true,
	kmip.AttrUsageLimits:      true,
	kmip.AttrAlwaysSensitive:  true,
	kmip.AttrNeverExtractable: true,
	kmip.AttrKeyFormatType:    true,
	registeredWrappingAttr:    true, // the replacement was never registered
}

// carried returns the attributes of an existing key that its replacement
// takes, with the Usage Limits reset to their total.
func carried(attrs kmip.Attributes) kmip.Attributes {
	var out kmip.Attributes
	for _, a := range attrs {
		if def := kmip.LookupAttr(a.Name); notCarried[a.Name] || (def != nil && def.ServerOnly) {
			continue
		}
		out = append(out, a)
	}
	if limits, ok := attrs.Get(kmip.AttrUsageLimits).(kmip.UsageLimits); ok {
		limits.Count = nil
		out = append(out, kmip.Attribute{Name: kmip.AttrUsageLimits, Value: limits})
	}
	return out
}

// offsetDates returns the dates of a replacement created at now for an
// existing key with attrs, as the Offset rule says; none without Offset.
func offsetDates(attrs kmip.Attributes, offset *time.Duration, now time.Time) kmip.Attributes {
	if offset == nil {
		return nil
	}
	activation := now.Add(*offset)
	out := kmip.Attributes{
		{Name: kmip.AttrActivationDate, Value: activation},
		{Name: kmip.AttrProcessStartDate, Value: activation},
	}
	old := attrs.Time(kmip.AttrActivationDate)
	for _, name := range []string{kmip.AttrDeactivationDate, kmip.AttrProtectStopDate} {
		if t := attrs.Time(name); !t.IsZero() && !old.IsZero() {
			out = append(out, kmip.Attribute{Name: name, Value: activation.Add(t.Sub(old))})
		}
	}
	return out
}

// replace marks key id as replaced by newID: a Replacement Object Link, and
// its Names removed. It fails when the key is not of type t or is
// destroyed.
func (s *Service) replace(ctx context.Context, req *kmip.Request, id, newID string, t kmip.ObjectType) error {
	_, err := s.update(ctx, req, id, func(m *managed) error {
		if err := replaceable(m, t); err != nil {
			return err
		}
		m.attrs = removeAll(m.attrs, kmip.AttrName)
		m.attrs = append(m.attrs, kmip.Attribute{Name: kmip.AttrLink, Value: kmip.Link{Type: kmip14.LinkTypeReplacementObjectLink, ID: newID}, Index: nextIndex(m.attrs, kmip.AttrLink)})
		touch(&m.attrs, s.now())
		return nil
	})
	return err
}

// replaceable checks that m is a live object of type t.
func replaceable(m *managed, t kmip.ObjectType) error {
	if objectTypeOf(m.attrs) != t {
		return &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "not a " + t.String()}
	}
	if st := stateOf(m.attrs); isDestroyed(st) || m.sealed == nil {
		return wrongState(st)
	}
	return nil
}

// replacedLink is the Link a replacement has to the key it replaces.
func replacedLink(id string) kmip.Attribute {
	return kmip.Attribute{Name: kmip.AttrLink, Value: kmip.Link{Type: kmip14.LinkTypeReplacedObjectLink, ID: id}}
}

func (s *Service) reKey(ctx context.Context, req *kmip.Request, p *kmip.ReKeyRequest) (any, error) {
	v := req.Version
	old, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, err
	}
	if err := replaceable(old, kmip14.ObjectTypeSymmetricKey); err != nil {
		return nil, err
	}
	given, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	if err := checkCreationAttrs(v, given); err != nil {
		return nil, err
	}
	attrs := over(over(carried(old.attrs), offsetDates(old.attrs, p.Offset, s.now())), given)
	alg, bits, err := symmetricParams(v, attrs.Get(kmip.AttrCryptographicAlgorithm), attrs.Get(kmip.AttrCryptographicLength))
	if err != nil {
		return nil, err
	}
	m, err := s.newSymmetricKey(req, attrs, alg, bits)
	if err != nil {
		return nil, err
	}
	m.attrs = append(m.attrs, replacedLink(old.id))
	if err := s.replace(ctx, req, old.id, m.id, kmip14.ObjectTypeSymmetricKey); err != nil {
		return nil, err
	}
	if err := s.insert(ctx, req, m); err != nil {
		return nil, err
	}
	return &kmip.ReKeyResponse{UniqueIdentifier: m.id}, nil
}

func (s *Service) reKeyKeyPair(ctx context.Context, req *kmip.Request, p *kmip.ReKeyKeyPairRequest) (any, error) {
	oldPriv, err := s.view(ctx, req, p.PrivateKeyUniqueIdentifier)
	if err != nil {
		return nil, err
	}
	if err := replaceable(oldPriv, kmip14.ObjectTypePrivateKey); err != nil {
		return nil, err
	}
	oldPubID := linked(oldPriv.attrs, kmip14.LinkTypePublicKeyLink)
	if oldPubID == "" {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "the private key has no Public Key Link")
	}
	oldPub, err := s.view(ctx, req, oldPubID)
	if err != nil {
		return nil, err
	}
	dates := func(m *managed) kmip.Attributes { return offsetDates(m.attrs, p.Offset, s.now()) }
	privExtra := over(carried(oldPriv.attrs), dates(oldPriv))
	pubExtra := over(carried(oldPub.attrs), dates(oldPub))
	privID, pubID, err := s.newKeyPair(ctx, req,
		over(p.CommonAttributes, p.PrivateKeyAttributes), over(p.CommonAttributes, p.PublicKeyAttributes),
		append(privExtra, replacedLink(oldPriv.id)), append(pubExtra, replacedLink(oldPub.id)))
	if err != nil {
		return nil, err
	}
	if err := s.replace(ctx, req, oldPub.id, pubID, kmip14.ObjectTypePublicKey); err != nil {
		return nil, err
	}
	if err := s.replace(ctx, req, oldPriv.id, privID, kmip14.ObjectTypePrivateKey); err != nil {
		return nil, err
	}
	return &kmip.ReKeyKeyPairResponse{PrivateKeyUniqueIdentifier: privID, PublicKeyUniqueIdentifier: pubID}, nil
}

// linked returns the identifier of the first Link of type t in attrs.
func linked(attrs kmip.Attributes, t kmip.LinkType) string {
	for _, a := range attrs.All(kmip.AttrLink) {
		if l, ok := a.Value.(kmip.Link); ok && l.Type == t {
			return l.ID
		}
	}
	return ""
}
