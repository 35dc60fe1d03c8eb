package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// KMIP 1.x Templates: a Template object (registered, read with Get,
// destroyed like any object) holds attributes that Create, Register and
// Locate requests may include by naming the Template. KMIP 2.x has none.

// checkTemplate checks the attributes of a Template being registered: they
// are the ones a client could give in Create or Register.
func checkTemplate(v kmip.Version, obj *kmip.Object) error {
	if v.Is2x() {
		return kmip.Errorf(kmip.ReasonInvalidObjectType, "templates do not exist in KMIP %s", v)
	}
	return checkCreationAttrs(v, obj.TemplateAttributes)
}

// withTemplates returns attrs completed with the attributes of the Templates
// that names designate, in order: an attribute the request (or an earlier
// Template) already gives is not taken from a later one. A name that matches
// no live Template of the client fails with Item Not Found.
func (s *Service) withTemplates(ctx context.Context, req *kmip.Request, names []kmip.Name, attrs kmip.Attributes) (kmip.Attributes, error) {
	if len(names) == 0 {
		return attrs, nil
	}
	out := append(kmip.Attributes(nil), attrs...)
	for _, n := range names {
		tmpl, err := s.template(ctx, req, n.Value)
		if err != nil {
			return nil, err
		}
		given := map[string]bool{}
		for _, a := range out {
			given[a.Name] = true
		}
		for _, a := range tmpl {
			if !given[a.Name] {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// template returns the attributes held by the client's live Template named
// name.
func (s *Service) template(ctx context.Context, req *kmip.Request, name string) (kmip.Attributes, error) {
	typ, _ := termValue(kmip.AttrObjectType, kmip14.ObjectTypeTemplate)
	ids, _, err := s.store.Find(ctx, store.Query{Owner: owner(req), Terms: []store.Term{
		{Name: kmip.AttrName, Value: []byte(name)},
		{Name: kmip.AttrObjectType, Value: typ},
		liveTerm(),
	}})
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, kmip.Errorf(kmip.ReasonObjectNotFound, "no Template named %q", name)
	}
	obj, err := s.store.Get(ctx, ids[0])
	if err != nil {
		return nil, err
	}
	m, err := decode(owner(req), obj)
	if err != nil {
		return nil, err
	}
	if m.sealed == nil {
		return nil, notFound()
	}
	content, err := s.unseal(m)
	if err != nil {
		return nil, err
	}
	return content.TemplateAttributes, nil
}
