package handlers

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

const maskWrapUnwrap = int32(kmip14.CryptographicUsageMaskWrapKey | kmip14.CryptographicUsageMaskUnwrapKey)

// export exports id as alice and returns the response.
func (h *harness) export(v kmip.Version, p *kmip.ExportRequest) *kmip.ExportResponse {
	h.t.Helper()
	return h.must(v, alice, p).(*kmip.ExportResponse)
}

// rawKey returns the Raw AES key object holding material.
func rawKey(material []byte) kmip.Object {
	return kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
		FormatType: kmip14.KeyFormatTypeRaw, Material: material,
		Algorithm: kmip14.CryptographicAlgorithmAES, Length: int32(8 * len(material))}}
}

// attrsWithout returns as without the named attributes, as a name -> values
// map (instances in order).
func attrsWithout(as kmip.Attributes, names ...string) map[string][]any {
	out := map[string][]any{}
	for _, a := range as {
		if !slices.Contains(names, a.Name) {
			out[a.Name] = append(out[a.Name], a.Value)
		}
	}
	return out
}

// TestExportImportAcrossStores exports an active key with client attributes
// from one server and imports it under a new identifier into another: the
// same material (compared via Get) and the same attributes, but for those
// naming the object.
func TestExportImportAcrossStores(t *testing.T) {
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_0, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			src, dst := newHarness(t), newHarness(t)
			id := src.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec,
				kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "db-key", Type: kmip14.NameTypeUninterpretedTextString}},
				kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "payments"},
				kmip.Attribute{Name: "x-Owner-Team", Value: "storage"})
			wantAttrs := src.attrs(v, alice, id) // as exported: Export serves the object, Fresh turns false after
			exp := src.export(v, &kmip.ExportRequest{UniqueIdentifier: id})
			if exp.UniqueIdentifier != id || exp.ObjectType != kmip14.ObjectTypeSymmetricKey {
				t.Fatalf("Export answered %q, %v", exp.UniqueIdentifier, exp.ObjectType)
			}
			if got := stateOf(exp.Attributes); got != kmip14.StateActive {
				t.Errorf("exported State %v, want Active", got)
			}
			if !reflect.DeepEqual(exp.Attributes, wantAttrs) {
				t.Errorf("exported attributes\n %v\nwant those of Get Attributes\n %v", exp.Attributes, wantAttrs)
			}
			material := src.material(v, id)
			if !bytes.Equal(exp.Object.KeyBlock.Material, material) {
				t.Fatal("exported material differs from Get's")
			}

			const newID = "imported-7f3a"
			imp := dst.must(v, alice, &kmip.ImportRequest{UniqueIdentifier: newID, ObjectType: exp.ObjectType,
				Attributes: exp.Attributes, Object: exp.Object}).(*kmip.ImportResponse)
			if imp.UniqueIdentifier != newID {
				t.Fatalf("Import answered %q, want %q", imp.UniqueIdentifier, newID)
			}
			if !bytes.Equal(dst.material(v, newID), material) {
				t.Error("imported material differs from the exported key's")
			}
			naming := []string{kmip.AttrUniqueIdentifier, kmip.AttrShortUniqueIdentifier}
			got, want := attrsWithout(dst.attrs(v, alice, newID), naming...), attrsWithout(src.attrs(v, alice, id), naming...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("imported attributes\n %v\nwant\n %v", got, want)
			}
			if uid := dst.attrs(v, alice, newID, kmip.AttrUniqueIdentifier).Get(kmip.AttrUniqueIdentifier); uid != newID {
				t.Errorf("imported Unique Identifier attribute %v, want %q", uid, newID)
			}
			// The imported key is usable as any other.
			if _, err := dst.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: newID, Data: make([]byte, 16),
				Parameters: gcm(16)}); err != nil {
				t.Errorf("Encrypt with the imported key: %v", err)
			}
		})
	}
}

func TestImportReplaceExisting(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	id := h.createAES(v, alice, 128, kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "old"}})
	oldMaterial := h.material(v, id)
	newMaterial := bytes.Repeat([]byte{0x5A}, 32)
	imp := &kmip.ImportRequest{UniqueIdentifier: id, ObjectType: kmip14.ObjectTypeSymmetricKey, Object: rawKey(newMaterial),
		Attributes: kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: "new"}}, {Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}}}

	_, err := h.do(v, alice, imp)
	wantReason(t, err, kmip.ReasonObjectAlreadyExists)
	if !bytes.Equal(h.material(v, id), oldMaterial) {
		t.Fatal("a refused Import changed the object")
	}

	replace := *imp
	replace.ReplaceExisting = true
	if got := h.must(v, alice, &replace).(*kmip.ImportResponse).UniqueIdentifier; got != id {
		t.Fatalf("Import answered %q, want %q", got, id)
	}
	if !bytes.Equal(h.material(v, id), newMaterial) {
		t.Error("Replace Existing did not replace the material")
	}
	attrs := h.attrs(v, alice, id)
	if names := attrs.All(kmip.AttrName); len(names) != 1 || names[0].Value.(kmip.Name).Value != "new" {
		t.Errorf("Names after replacement %v, want only \"new\"", names)
	}
	if n, _ := intValue(attrs.Get(kmip.AttrCryptographicLength)); n != 256 {
		t.Errorf("Cryptographic Length after replacement %d, want 256", n)
	}

	// Replace Existing with a free identifier creates.
	fresh := *imp
	fresh.UniqueIdentifier, fresh.ReplaceExisting = "fresh-1", true
	fresh.Attributes = nil
	h.must(v, alice, &fresh)
	if !bytes.Equal(h.material(v, "fresh-1"), newMaterial) {
		t.Error("Import with Replace Existing under a free identifier did not create the object")
	}
}

// TestImportNeverTouchesAnotherOwnersObject checks that an identifier of
// another owner is refused, Replace Existing or not, with the answer a
// client gets for its own object without Replace Existing.
func TestImportNeverTouchesAnotherOwnersObject(t *testing.T) {
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		h := newHarness(t)
		bobs := h.createAES(v, bob, 256)
		bobMaterial := h.must(v, bob, &kmip.GetRequest{UniqueIdentifier: bobs}).(*kmip.GetResponse).Object.KeyBlock.Material
		alices := h.createAES(v, alice, 256)
		imp := func(id string, replace bool) error {
			_, err := h.do(v, alice, &kmip.ImportRequest{UniqueIdentifier: id, ObjectType: kmip14.ObjectTypeSymmetricKey,
				ReplaceExisting: replace, Object: rawKey(bytes.Repeat([]byte{1}, 32))})
			return err
		}
		own := imp(alices, false)
		wantReason(t, own, kmip.ReasonObjectAlreadyExists)
		for _, replace := range []bool{false, true} {
			err := imp(bobs, replace)
			wantReason(t, err, kmip.ReasonObjectAlreadyExists)
			if err.Error() != own.Error() {
				t.Errorf("%v: another owner's identifier answered %q, own %q", v, err, own)
			}
		}
		got := h.must(v, bob, &kmip.GetRequest{UniqueIdentifier: bobs}).(*kmip.GetResponse).Object.KeyBlock.Material
		if !bytes.Equal(got, bobMaterial) {
			t.Fatalf("%v: bob's key changed", v)
		}
		if _, err := h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: bobs}); err == nil {
			t.Fatalf("%v: alice can read bob's key after Import", v)
		}
		// Nor can she export it.
		_, err := h.do(v, alice, &kmip.ExportRequest{UniqueIdentifier: bobs})
		wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
	}
}

// TestImportReplacementAudited checks that the replacement is recorded, in
// its transaction, with what it replaced.
func TestImportReplacementAudited(t *testing.T) {
	h := newAuditedHarness(t)
	id := h.createAES(kmip.V1_4, auditPeer.Identity, 128, kmip.Attribute{Name: kmip.AttrName, Value: kmip.Name{Value: "vol-17"}})
	before := len(records(t, h.store))
	if _, err := h.serve(kmip14.OperationImport, &kmip.ImportRequest{UniqueIdentifier: id, ObjectType: kmip14.ObjectTypeSymmetricKey,
		ReplaceExisting: true, Object: rawKey(bytes.Repeat([]byte{2}, 16))}); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range records(t, h.store)[before:] {
		if r.Operation != "Import" || r.Result != "Success" {
			t.Errorf("unexpected record %+v", r)
		}
		if strings.HasPrefix(r.Reason, "replaced ") {
			found = true
			if r.ObjectID != id {
				t.Errorf("replacement record names object %q, want %q", r.ObjectID, id)
			}
			for _, want := range []string{"SymmetricKey", "PreActive", `"vol-17"`, "Initial Date 2026-01-02T03:04:05Z"} {
				if !strings.Contains(r.Reason, want) {
					t.Errorf("replacement record %q lacks %s", r.Reason, want)
				}
			}
			if r.Identity != auditPeer.Identity || r.ClientAddr != "192.0.2.7:40001" {
				t.Errorf("replacement record of %q from %q", r.Identity, r.ClientAddr)
			}
		}
	}
	if !found {
		t.Error("no audit record says what the Import replaced")
	}
}

// TestExportAuditIsDurable checks that an Export, which releases key
// material, is answered only once its record is on disk.
func TestExportAuditIsDurable(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V2_1, alice, 128)
	h.material(kmip.V2_1, id) // no longer Fresh: Export changes nothing
	log := &unsyncedOnlyLog{AuditLog: h.store}
	audited := audited(h.svc, log, nil)
	_, err := audited.ServeKMIP(context.Background(), &kmip.Request{Version: kmip.V2_1, Operation: kmip14.OperationExport,
		Payload: &kmip.ExportRequest{UniqueIdentifier: id}, Peer: &kmip.Peer{Identity: alice}, Batch: &kmip.BatchState{}})
	if err == nil {
		t.Error("an Export was answered although its record could not reach the disk")
	}
}

func TestImportWrappedKey(t *testing.T) {
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			h := newHarness(t)
			kek := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskWrapUnwrap)
			key := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec)
			plain := h.material(v, key)
			exp := h.export(v, &kmip.ExportRequest{UniqueIdentifier: key, KeyWrapping: true,
				KeyWrappingSpecification: wrapSpec(kek, kmip14.BlockCipherModeNISTKeyWrap)})
			if kb := exp.Object.KeyBlock; !kb.Wrapped || bytes.Equal(kb.Material, plain) {
				t.Fatal("Export with a Key Wrapping Specification returned the key in the clear")
			}
			imp := func(id string, wrapType kmip.KeyWrapType, obj kmip.Object) error {
				_, err := h.do(v, alice, &kmip.ImportRequest{UniqueIdentifier: id, ObjectType: obj.Type,
					KeyWrapType: wrapType, Attributes: exp.Attributes, Object: obj})
				return err
			}
			if err := imp("unwrapped", kmip14.KeyWrapTypeNotWrapped, exp.Object); err != nil {
				t.Fatalf("Import of the wrapped key: %v", err)
			}
			if !bytes.Equal(h.material(v, "unwrapped"), plain) {
				t.Error("the imported key is not the wrapped one")
			}

			wantSent(t, v, imp("as-registered", kmip14.KeyWrapTypeAsRegistered, exp.Object),
				kmip.ReasonFeatureNotSupported, kmip.ReasonKeyWrapTypeNotSupported)

			tampered := exp.Object
			block := *tampered.KeyBlock
			block.Material = append([]byte(nil), block.Material...)
			block.Material[3] ^= 1
			tampered.KeyBlock = &block
			wantReason(t, imp("tampered", 0, tampered), kmip.ReasonCryptographicFailure)

			// A wrapping key without Unwrap Key in its mask cannot unwrap.
			wrapOnly := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskWrap)
			exp2 := h.export(v, &kmip.ExportRequest{UniqueIdentifier: key, KeyWrapping: true,
				KeyWrappingSpecification: wrapSpec(wrapOnly, 0)})
			wantSent(t, v, imp("wrap-only", 0, exp2.Object),
				kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)
			for _, id := range []string{"as-registered", "tampered", "wrap-only"} {
				if _, err := h.store.Get(context.Background(), id); err != store.ErrNotFound {
					t.Errorf("refused Import left object %s: %v", id, err)
				}
			}
		})
	}
}

// TestExportRefusals checks that Export refuses what Get refuses.
func TestExportRefusals(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	sensitive := h.createAES(v, alice, 128, kmip.Attribute{Name: kmip.AttrSensitive, Value: true})
	_, err := h.do(v, alice, &kmip.ExportRequest{UniqueIdentifier: sensitive})
	wantReason(t, err, kmip.ReasonSensitive)
	id := h.createAES(v, alice, 128)
	_, err = h.do(v, alice, &kmip.ExportRequest{UniqueIdentifier: id, KeyWrapType: 7})
	wantReason(t, err, kmip.ReasonKeyWrapTypeNotSupported)
	_, err = h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapType: 7})
	wantReason(t, err, kmip.ReasonKeyWrapTypeNotSupported)
	for _, wt := range []kmip.KeyWrapType{kmip14.KeyWrapTypeNotWrapped, kmip14.KeyWrapTypeAsRegistered} {
		if _, err := h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapType: wt}); err != nil {
			t.Errorf("Get with Key Wrap Type %v: %v", wt, err)
		}
	}
	_, err = h.do(v, alice, &kmip.ExportRequest{UniqueIdentifier: id, KeyCompressionType: 1})
	wantReason(t, err, kmip.ReasonKeyCompressionTypeNotSupported)
	// Not before 1.4.
	for _, p := range []any{&kmip.ExportRequest{UniqueIdentifier: id},
		&kmip.ImportRequest{UniqueIdentifier: "n", ObjectType: kmip14.ObjectTypeSymmetricKey, Object: rawKey(make([]byte, 16))}} {
		_, err = h.do(kmip.V1_3, alice, p)
		wantSentIn(t, kmip.V1_3, err, kmip.ReasonOperationNotSupported)
	}
}

func TestQueryListsImportExportAdjust(t *testing.T) {
	cases := []struct {
		v    kmip.Version
		want []kmip.Operation
		not  []kmip.Operation
	}{
		{kmip.V1_3, nil, []kmip.Operation{kmip14.OperationExport, kmip14.OperationImport, kmip.OperationAdjustAttribute}},
		{kmip.V1_4, []kmip.Operation{kmip14.OperationExport, kmip14.OperationImport}, []kmip.Operation{kmip.OperationAdjustAttribute}},
		{kmip.V2_1, []kmip.Operation{kmip14.OperationExport, kmip14.OperationImport, kmip.OperationAdjustAttribute}, nil},
	}
	for _, c := range cases {
		ops := (&Service{}).operationsIn(c.v)
		for _, op := range c.want {
			if !slices.Contains(ops, op) {
				t.Errorf("Query in %v lacks %v", c.v, op)
			}
		}
		for _, op := range c.not {
			if slices.Contains(ops, op) {
				t.Errorf("Query in %v lists %v", c.v, op)
			}
		}
	}
}
