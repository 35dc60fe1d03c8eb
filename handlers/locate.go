package handlers

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// locate finds the requesting owner's objects that match every filter
// (under a Policy: the objects of the client's tenant it may Locate).
//
// Indexed filters (see index.go) are resolved by store.Find. When every
// filter is indexed the store also applies Offset and Maximum Items;
// otherwise the candidates are read and checked one by one (only they: the
// indexed filters bound the reading) and paged here. Destroyed objects are
// found only when the filter names a State (conformance case SKFF-M-5).
// Two instances of a Date-Time attribute form a range (first <= x <= second);
// one instance asks for equality. The Storage Status Mask selects on-line
// objects (the default), archived ones (the index term termArchived), or
// both; an on-line search leaves out the owner's archived objects, which
// only then makes it page here.
func (s *Service) locate(ctx context.Context, req *kmip.Request, p *kmip.LocateRequest) (any, error) {
	if p.MaximumItems < 0 || p.OffsetItems < 0 {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "negative Maximum or Offset Items")
	}
	online, archival := storageStatus(p.StorageStatusMask)
	if !online && !archival {
		return &kmip.LocateResponse{}, nil
	}
	attrs, err := s.withTemplates(ctx, req, p.TemplateNames, p.Attributes)
	if err != nil {
		return nil, err
	}
	who := owner(req)
	var q = store.Query{Owner: who}
	var post []filter
	hasState := false
	for _, a := range attrs {
		a = normalize(a)
		if a.Name == kmip.AttrState {
			hasState = true
		}
		// An indexed attribute narrows the candidates through its index
		// term even when a detail of it (a Name's type, a Link's type) is
		// checked afterwards on the candidates alone.
		if indexed(a.Name) {
			v, ok := termValue(a.Name, a.Value)
			if !ok {
				return nil, invalidValue(a.Name)
			}
			q.Terms = append(q.Terms, store.Term{Name: a.Name, Value: v})
		}
		if f := postFilter(attrs, a); f != nil {
			post = append(post, f)
		}
	}
	if hasState {
		// A State filter must see date-driven transitions at once.
		if err := s.sweepOwner(ctx, who); err != nil {
			return nil, err
		}
	} else {
		q.Terms = append(q.Terms, liveTerm())
	}
	var archived map[string]bool // left out of an on-line-only search
	switch {
	case archival && !online:
		q.Terms = append(q.Terms, archivedTerm())
	case online && !archival:
		if archived, err = s.archivedIDs(ctx, who); err != nil {
			return nil, err
		}
	}
	if f := authz.PrincipalFrom(ctx).MayLocate(who); f != nil {
		post = append(post, f) // within the tenant, only what the client may Locate
	}
	if p.ObjectGroupMember == kmip14.ObjectGroupMemberGroupMemberFresh {
		post = append(post, func(attrs kmip.Attributes) bool { b, _ := attrs.Get(kmip.AttrFresh).(bool); return b })
	}
	if len(post) == 0 && len(archived) == 0 {
		q.Offset, q.Limit = int(p.OffsetItems), int(p.MaximumItems)
		ids, total, err := s.store.Find(ctx, q)
		if err != nil {
			return nil, err
		}
		return &kmip.LocateResponse{LocatedItems: int32(total), UniqueIdentifiers: ids}, nil
	}
	candidates, _, err := s.store.Find(ctx, q)
	if err != nil {
		return nil, err
	}
	var matches []string
	for _, id := range candidates {
		if archived[id] {
			continue
		}
		if len(post) == 0 {
			matches = append(matches, id)
			continue
		}
		obj, err := s.store.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // destroyed meanwhile
		}
		if err != nil {
			return nil, err
		}
		m, err := decode(who, obj)
		if err != nil {
			return nil, err
		}
		if all(post, m.attrs) {
			matches = append(matches, id)
		}
	}
	total := len(matches)
	matches = matches[min(int(p.OffsetItems), total):]
	if p.MaximumItems > 0 && len(matches) > int(p.MaximumItems) {
		matches = matches[:p.MaximumItems]
	}
	return &kmip.LocateResponse{LocatedItems: int32(total), UniqueIdentifiers: matches}, nil
}

// filter reports whether an object's attributes match one criterion.
type filter func(attrs kmip.Attributes) bool

func all(fs []filter, attrs kmip.Attributes) bool {
	for _, f := range fs {
		if !f(attrs) {
			return false
		}
	}
	return true
}

// postFilter returns the check for criterion a when the index cannot decide
// it alone, or nil when the index term of a is exact. reqAttrs are all the
// request's criteria (for date ranges).
func postFilter(reqAttrs kmip.Attributes, a kmip.Attribute) filter {
	switch v := a.Value.(type) {
	case kmip.Name:
		if v.Type == 0 {
			return nil
		}
		return func(attrs kmip.Attributes) bool { return hasValue(attrs, a.Name, v) }
	case kmip.ApplicationSpecificInformation:
		if v.Data == "" {
			return nil
		}
		return func(attrs kmip.Attributes) bool { return hasValue(attrs, a.Name, v) }
	case kmip.Link:
		if v.Type == 0 {
			return nil
		}
		return func(attrs kmip.Attributes) bool { return hasValue(attrs, a.Name, v) }
	}
	if kmip.IsCustomAttr(a.Name) {
		if _, exact, _ := customTerm(a.Value); !exact {
			return func(attrs kmip.Attributes) bool { return hasValue(attrs, a.Name, a.Value) }
		}
		return nil
	}
	if indexed(a.Name) {
		return nil
	}
	switch a.Name {
	case kmip.AttrCryptographicUsageMask:
		want, _ := intValue(a.Value)
		return func(attrs kmip.Attributes) bool {
			have, ok := intValue(attrs.Get(a.Name))
			return ok && have&want == want
		}
	case kmip.AttrUniqueIdentifier:
		return func(attrs kmip.Attributes) bool { return attrs.Get(a.Name) == a.Value }
	}
	if lo, ok := a.Value.(time.Time); ok {
		hi := lo
		if bounds := reqAttrs.All(a.Name); len(bounds) >= 2 {
			lo, _ = normalize(bounds[0]).Value.(time.Time)
			hi, _ = normalize(bounds[1]).Value.(time.Time)
		}
		return func(attrs kmip.Attributes) bool {
			t := attrs.Time(a.Name)
			return !t.IsZero() && !t.Before(lo) && !t.After(hi)
		}
	}
	return func(attrs kmip.Attributes) bool { return hasValue(attrs, a.Name, a.Value) }
}

// hasValue reports whether one instance of name equals value.
func hasValue(attrs kmip.Attributes, name string, value any) bool {
	for _, a := range attrs {
		if a.Name == name && sameValue(a.Value, value) {
			return true
		}
	}
	return false
}

// sameValue reports whether two attribute values are equal. Structures
// kept as TTLV (those the model has no Go type for) are equal when their
// content is, whatever tag each came under (the attribute's own in 2.x,
// Attribute Value in 1.x).
func sameValue(a, b any) bool {
	if x, ok := a.(ttlv.TTLV); ok {
		y, ok := b.(ttlv.TTLV)
		return ok && len(x) >= 3 && len(y) >= 3 && bytes.Equal(x[3:], y[3:])
	}
	return reflect.DeepEqual(a, b)
}
