package handlers

import (
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

func TestTemplates(t *testing.T) {
	h := newHarness(t)
	v := kmip.V1_4
	tmpl := h.must(v, alice, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeTemplate,
		Attributes: kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: "aes-256", Type: kmip14.NameTypeUninterpretedTextString}}},
		Object: kmip.Object{Type: kmip14.ObjectTypeTemplate, TemplateAttributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(256)},
			{Name: kmip.AttrCryptographicUsageMask, Value: maskEncrypt},
		}},
	}).(*kmip.RegisterResponse).UniqueIdentifier

	// Get returns the Template's attributes.
	got := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: tmpl}).(*kmip.GetResponse)
	if got.ObjectType != kmip14.ObjectTypeTemplate || len(got.Object.TemplateAttributes) != 3 {
		t.Fatalf("Get: %v with %v", got.ObjectType, got.Object.TemplateAttributes)
	}

	// Create takes the Template's attributes; the request's win.
	names := []kmip.Name{{Value: "aes-256"}}
	id := h.must(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, TemplateNames: names,
		Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskDecrypt}}}).(*kmip.CreateResponse).UniqueIdentifier
	attrs := h.attrs(v, alice, id)
	if attrs.Get(kmip.AttrCryptographicLength) != int32(256) || attrs.Get(kmip.AttrCryptographicUsageMask) != maskDecrypt {
		t.Fatalf("created key: length %v, mask %v", attrs.Get(kmip.AttrCryptographicLength), attrs.Get(kmip.AttrCryptographicUsageMask))
	}
	if n := len(attrs.All(kmip.AttrCryptographicUsageMask)); n != 1 {
		t.Fatalf("%d usage masks", n)
	}

	// Locate filters by the Template's attributes: the key made with the
	// Template's mask matches, the one above does not.
	fromTemplate := h.must(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, TemplateNames: names}).(*kmip.CreateResponse).UniqueIdentifier
	loc := h.must(v, alice, &kmip.LocateRequest{TemplateNames: names, Attributes: kmip.Attributes{{Name: kmip.AttrObjectType, Value: kmip14.ObjectTypeSymmetricKey}}}).(*kmip.LocateResponse)
	if len(loc.UniqueIdentifiers) != 1 || loc.UniqueIdentifiers[0] != fromTemplate {
		t.Fatalf("Locate found %v, want [%s]", loc.UniqueIdentifiers, fromTemplate)
	}

	// Another owner's Template does not exist for bob; nor does a destroyed one.
	_, err := h.do(v, bob, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, TemplateNames: names})
	wantSentIn(t, v, err, kmip.ReasonItemNotFound)
	h.must(v, alice, &kmip.DestroyRequest{UniqueIdentifier: tmpl})
	_, err = h.do(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, TemplateNames: names})
	wantSentIn(t, v, err, kmip.ReasonItemNotFound)

	// KMIP 2.x has no Templates.
	_, err = h.do(kmip.V2_1, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeTemplate, Object: kmip.Object{Type: kmip14.ObjectTypeTemplate}})
	wantReason(t, err, kmip.ReasonInvalidObjectType)
}

func TestQueryObjectTypesPerVersion(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		resp := h.must(v, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryObjects, kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse)
		hasTemplate := false
		for _, t := range resp.ObjectTypes {
			hasTemplate = hasTemplate || t == kmip14.ObjectTypeTemplate
		}
		if hasTemplate == v.Is2x() {
			t.Errorf("%v: Template listed = %v", v, hasTemplate)
		}
		ops := map[kmip.Operation]bool{}
		for _, op := range resp.Operations {
			ops[op] = true
		}
		if !ops[kmip14.OperationCheck] || ops[kmip.OperationLog] != v.Is2x() || ops[kmip.OperationInterop] != v.Is2x() {
			t.Errorf("%v: operations %v", v, resp.Operations)
		}
	}
}
