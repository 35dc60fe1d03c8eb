package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

// customValue is a custom attribute value of one TTLV type, in the Go form
// of the attribute model: the types without a plain Go form (Big Integer,
// Date-Time Extended, Structure) are the item under the Attribute Value tag,
// as gemalto's ttlv.Marshal encodes it.
type customValue struct {
	name  string
	value any
}

// rawValue marshals x under the Attribute Value tag with gemalto's encoder.
func rawValue(t *testing.T, x ttlv.Value) ttlv.TTLV {
	t.Helper()
	x.Tag = kmip14.TagAttributeValue
	b, err := ttlv.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// customValues returns one value of every TTLV type; when second, another
// value of each.
func customValues(t *testing.T, second bool) []customValue {
	n := int64(1)
	if second {
		n = 2
	}
	big := new(big.Int).Lsh(big.NewInt(-n), 100)
	return []customValue{
		{"Integer", int32(-7 * n)},
		{"Long Integer", -n << 40},
		{"Big Integer", rawValue(t, ttlv.NewValue(0, big))},
		{"Enumeration", uint32(0x80000000 + n)},
		{"Boolean", second},
		{"Text String", fmt.Sprint("text ", n)},
		{"Byte String", []byte{0xde, 0xad, byte(n)}},
		{"Date-Time", time.Unix(1700000000+n, 0).UTC()},
		{"Interval", time.Duration(90*n) * time.Second},
		{"Date-Time Extended", rawValue(t, ttlv.NewValue(0, ttlv.DateTimeExtended{Time: time.Unix(1700000000, n*1000)}))},
		{"Structure", rawValue(t, ttlv.NewStruct(0,
			ttlv.NewValue(kmip14.TagNameValue, fmt.Sprint("id ", n)),
			ttlv.NewValue(kmip14.TagNameType, ttlv.EnumValue(kmip14.NameTypeUninterpretedTextString)),
			ttlv.NewStruct(kmip14.TagCryptographicParameters, ttlv.NewValue(kmip14.TagIVLength, int32(n))),
		))},
	}
}

// sameValue compares attribute values as the model holds them.
func equalValue(x, y any) bool {
	if tx, ok := x.(time.Time); ok {
		ty, ok := y.(time.Time)
		return ok && tx.Equal(ty)
	}
	return reflect.DeepEqual(x, y)
}

// TestCustomAttributesOverTLS adds, reads, locates, modifies and deletes a
// custom attribute of every TTLV type through a real server, in KMIP 1.0,
// 1.4, 2.0 and 2.1 (1.x "x-" names, 2.x vendor attributes), and sets them
// with Set Attribute in 2.x.
func TestCustomAttributesOverTLS(t *testing.T) {
	h := newHarness(t)
	addr, cfg := serveTLS(t, h)
	c, err := kmip.Dial(context.Background(), addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	do := func(op kmip.Operation, p any) any {
		t.Helper()
		resp, err := c.Do(context.Background(), op, p)
		if err != nil {
			t.Fatalf("%v %v: %v", c.Version, op, err)
		}
		return resp
	}
	create := func() string {
		return do(kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(128)},
			{Name: kmip.AttrCryptographicUsageMask, Value: maskEncrypt},
		}}).(*kmip.CreateResponse).UniqueIdentifier
	}
	get := func(id, name string) []kmip.Attribute {
		t.Helper()
		return do(kmip14.OperationGetAttributes, &kmip.GetAttributesRequest{UniqueIdentifier: id, Names: []string{name}}).(*kmip.GetAttributesResponse).Attributes
	}
	locate := func(name string, value any) []string {
		t.Helper()
		resp, _ := do(kmip14.OperationLocate, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: name, Value: value}}}).(*kmip.LocateResponse)
		if resp == nil {
			return nil // an empty Response Payload
		}
		return resp.UniqueIdentifiers
	}
	firsts, seconds := customValues(t, false), customValues(t, true)
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_0, kmip.V2_1} {
		c.Version = v
		vendor := "x-"
		if v.Is2x() {
			vendor = "acme:"
		}
		a, b := create(), create()
		for i, first := range firsts {
			second := seconds[i]
			name := vendor + "T" + v.String()
			name = name + " " + first.name
			do(kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: a, Attribute: kmip.Attribute{Name: name, Value: first.value}})
			do(kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: b, Attribute: kmip.Attribute{Name: name, Value: second.value}})
			if got := get(a, name); len(got) != 1 || !equalValue(got[0].Value, first.value) {
				t.Fatalf("%v %s: Get Attributes returns %#v, want %#v", v, first.name, got, first.value)
			}
			list := do(kmip14.OperationGetAttributeList, &kmip.GetAttributeListRequest{UniqueIdentifier: a}).(*kmip.GetAttributeListResponse).Names
			if !slices.Contains(list, name) {
				t.Fatalf("%v %s: Get Attribute List lacks it: %v", v, first.name, list)
			}
			if got := locate(name, first.value); !slices.Equal(got, []string{a}) {
				t.Fatalf("%v %s: Locate finds %v, want only %s", v, first.name, got, a)
			}
			// Modify a's instance to b's value: Locate then finds both.
			modify := &kmip.ModifyAttributeRequest{UniqueIdentifier: a, Attribute: kmip.Attribute{Name: name, Value: second.value}}
			if v.Is2x() {
				modify.Current = &kmip.Attribute{Name: name, Value: first.value}
			}
			do(kmip14.OperationModifyAttribute, modify)
			if got := get(a, name); len(got) != 1 || !equalValue(got[0].Value, second.value) {
				t.Fatalf("%v %s: after Modify: %#v", v, first.name, got)
			}
			if got := locate(name, second.value); len(got) != 2 || len(locate(name, first.value)) != 0 {
				t.Fatalf("%v %s: Locate after Modify finds %v", v, first.name, got)
			}
			del := &kmip.DeleteAttributeRequest{UniqueIdentifier: a, Name: name, Index: -1}
			if v.Is2x() {
				del = &kmip.DeleteAttributeRequest{UniqueIdentifier: a, Current: &kmip.Attribute{Name: name, Value: second.value}}
			}
			do(kmip14.OperationDeleteAttribute, del)
			if got := get(a, name); len(got) != 0 {
				t.Fatalf("%v %s: after Delete: %#v", v, first.name, got)
			}
			if !v.Is2x() {
				continue
			}
			// Set Attribute: created when absent, replaced when single.
			set := func(x any) {
				do(kmip.OperationSetAttribute, &kmip.SetAttributeRequest{UniqueIdentifier: a, Attribute: kmip.Attribute{Name: name, Value: x}})
			}
			set(first.value)
			set(second.value)
			if got := get(a, name); len(got) != 1 || !equalValue(got[0].Value, second.value) {
				t.Fatalf("%v %s: after Set twice: %#v", v, first.name, got)
			}
		}
	}
}

// TestSetAttributeInstances checks KMIP 2.0 section 6.1.51 on a custom and
// a standard multi-valued attribute: Set adds the first instance, replaces
// a single one and refuses to choose among several.
func TestSetAttributeInstances(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_0, alice, 128)
	for _, name := range []string{"tc:Set", kmip.AttrObjectGroup} {
		set := func(value string) error {
			_, err := h.do(kmip.V2_0, alice, &kmip.SetAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: name, Value: value}})
			return err
		}
		for _, value := range []string{"one", "two"} {
			if err := set(value); err != nil {
				t.Fatalf("%s: Set %q: %v", name, value, err)
			}
		}
		if got := h.attrs(kmip.V2_0, alice, id, name); len(got) != 1 || got[0].Value != "two" {
			t.Fatalf("%s after two Sets: %+v", name, got)
		}
		h.must(kmip.V2_0, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: name, Value: "three"}})
		wantReason(t, set("four"), kmip.ReasonMultiValuedAttribute)
		if got := h.attrs(kmip.V2_0, alice, id, name); len(got) != 2 || got[0].Value != "two" || got[1].Value != "three" {
			t.Fatalf("%s after the refused Set: %+v", name, got)
		}
	}
}

// TestCustomAttributeBounds fills an object up to the bounds on custom
// attributes and checks that one more instance or byte is refused with
// Server Limit Exceeded (Permission Denied in 1.x), leaving the object as it
// was, in Add, Set and Modify Attribute, Create and Register.
func TestCustomAttributeBounds(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_1, alice, 128)
	before := h.attrs(kmip.V2_1, alice, id)
	have, _, err := kmip.CustomAttrSize(before)
	if err != nil {
		t.Fatal(err)
	}
	for i := have; i < kmip.MaxCustomAttrs; i++ {
		h.must(kmip.V2_1, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-n", Value: int32(i)}})
	}
	full := h.attrs(kmip.V2_1, alice, id)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		_, err := h.do(v, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-n", Value: int32(-1)}})
		wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonServerLimitExceeded)
	}
	_, err = h.do(kmip.V2_1, alice, &kmip.SetAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-other", Value: true}})
	wantReason(t, err, kmip.ReasonServerLimitExceeded)
	if got := h.attrs(kmip.V2_1, alice, id); !reflect.DeepEqual(got, full) {
		t.Fatalf("refused changes altered the object: %d attributes, had %d", len(got), len(full))
	}
	// Deleting makes room again.
	h.must(kmip.V2_1, alice, &kmip.DeleteAttributeRequest{UniqueIdentifier: id, Current: &kmip.Attribute{Name: "x-n", Value: int32(kmip.MaxCustomAttrs - 1)}})
	h.must(kmip.V2_1, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-last", Value: int32(0)}})

	// Bytes: a value just under the bound fits, a modification beyond it
	// does not.
	small := h.createAES(kmip.V1_4, alice, 128)
	big := make([]byte, kmip.MaxCustomAttrBytes-64)
	h.must(kmip.V1_4, alice, &kmip.AddAttributeRequest{UniqueIdentifier: small, Attribute: kmip.Attribute{Name: "x-blob", Value: big}})
	_, err = h.do(kmip.V1_4, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: small, Attribute: kmip.Attribute{Name: "x-blob", Value: append(big, make([]byte, 64)...)}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)
	if got := h.attrs(kmip.V1_4, alice, small, "x-blob"); len(got) != 1 || !bytes.Equal(got[0].Value.([]byte), big) {
		t.Fatal("refused Modify altered x-blob")
	}
	// Locate finds the long value exactly (its index term is a digest).
	other := append(bytes.Clone(big[:len(big)-1]), 1)
	h.createAES(kmip.V1_4, alice, 128, kmip.Attribute{Name: "x-blob", Value: other})
	if got := h.locate(kmip.V1_4, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: "x-blob", Value: big}}}).UniqueIdentifiers; !slices.Equal(got, []string{small}) {
		t.Fatalf("Locate by a long value finds %v, want only %s", got, small)
	}

	// Create and Register beyond the bounds store nothing.
	count := h.locate(kmip.V2_1, alice, &kmip.LocateRequest{}).LocatedItems
	many := make(kmip.Attributes, kmip.MaxCustomAttrs+1)
	for i := range many {
		many[i] = kmip.Attribute{Name: "x-many", Value: int32(i)}
	}
	_, err = h.do(kmip.V2_1, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: append(kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(128)},
		{Name: kmip.AttrCryptographicUsageMask, Value: maskEncrypt},
	}, many...)})
	wantReason(t, err, kmip.ReasonServerLimitExceeded)
	_, err = h.do(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData,
		Attributes: kmip.Attributes{{Name: "x-blob", Value: make([]byte, kmip.MaxCustomAttrBytes)}},
		Object: kmip.Object{Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
			KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("pw")}}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)
	if got := h.locate(kmip.V2_1, alice, &kmip.LocateRequest{}).LocatedItems; got != count {
		t.Fatalf("%d objects after the refused Create and Register, had %d", got, count)
	}
	var ke *kmip.Error
	if !errors.As(err, &ke) {
		t.Fatalf("not a KMIP error: %v", err)
	}
}
