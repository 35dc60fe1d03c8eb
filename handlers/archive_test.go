package handlers

import (
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// locateIDs runs Locate for alice with mask and returns the identifiers.
func (h *harness) locateIDs(v kmip.Version, mask kmip.StorageStatusMask, attrs ...kmip.Attribute) []string {
	h.t.Helper()
	return h.locate(v, alice, &kmip.LocateRequest{StorageStatusMask: mask, Attributes: attrs}).UniqueIdentifiers
}

func TestArchiveRecover(t *testing.T) {
	const (
		online   = kmip14.StorageStatusMaskOnLineStorage
		archival = kmip14.StorageStatusMaskArchivalStorage
	)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			h := newHarness(t)
			kept := h.createAES(v, alice, 128)
			id := h.createAES(v, alice, 128)
			h.must(v, alice, &kmip.ActivateRequest{UniqueIdentifier: id})

			resp := h.must(v, alice, &kmip.ArchiveRequest{UniqueIdentifier: id}).(*kmip.ArchiveResponse)
			if resp.UniqueIdentifier != id {
				t.Fatalf("Archive answered %q, want %q", resp.UniqueIdentifier, id)
			}
			if !h.attrs(v, alice, id).Has(kmip.AttrArchiveDate) {
				t.Error("archived object has no Archive Date")
			}
			if !slices.Contains(h.must(v, alice, &kmip.GetAttributeListRequest{UniqueIdentifier: id}).(*kmip.GetAttributeListResponse).Names, kmip.AttrArchiveDate) {
				t.Error("Get Attribute List of the archived object lacks Archive Date")
			}

			// Not usable until recovered, whatever the operation.
			for _, p := range []any{
				&kmip.GetRequest{UniqueIdentifier: id},
				&kmip.ArchiveRequest{UniqueIdentifier: id},
				&kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}},
				&kmip.DestroyRequest{UniqueIdentifier: id},
				&kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-Note", Value: "n"}},
				&kmip.EncryptRequest{UniqueIdentifier: id, Data: make([]byte, 16)},
			} {
				_, err := h.do(v, alice, p)
				wantReason(t, err, kmip.ReasonObjectArchived)
			}

			// Locate: on-line (the default) misses it, Archival finds only it, both find both.
			if got := h.locateIDs(v, 0); !slices.Equal(got, []string{kept}) {
				t.Errorf("Locate without mask = %v, want [%s]", got, kept)
			}
			if got := h.locateIDs(v, online); !slices.Equal(got, []string{kept}) {
				t.Errorf("Locate On-line = %v, want [%s]", got, kept)
			}
			if got := h.locateIDs(v, archival); !slices.Equal(got, []string{id}) {
				t.Errorf("Locate Archival = %v, want [%s]", got, id)
			}
			if got := h.locateIDs(v, online|archival); len(got) != 2 || !slices.Contains(got, id) || !slices.Contains(got, kept) {
				t.Errorf("Locate On-line|Archival = %v, want both", got)
			}
			// A filter the index cannot decide reads the candidates: still on-line only.
			usage := kmip.Attribute{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}
			if got := h.locateIDs(v, 0, usage); !slices.Equal(got, []string{kept}) {
				t.Errorf("Locate by usage mask = %v, want [%s]", got, kept)
			}
			if got := h.locateIDs(v, archival, usage); !slices.Equal(got, []string{id}) {
				t.Errorf("Locate Archival by usage mask = %v, want [%s]", got, id)
			}

			rec := h.must(v, alice, &kmip.RecoverRequest{UniqueIdentifier: id}).(*kmip.RecoverResponse)
			if rec.UniqueIdentifier != id {
				t.Fatalf("Recover answered %q, want %q", rec.UniqueIdentifier, id)
			}
			if h.attrs(v, alice, id).Has(kmip.AttrArchiveDate) {
				t.Error("recovered object keeps its Archive Date")
			}
			if got := h.material(v, id); len(got) != 16 {
				t.Errorf("Get after Recover: %d bytes of material, want 16", len(got))
			}
			if got := h.state(alice, id); got != kmip14.StateActive {
				t.Errorf("state after Recover %v, want Active", got)
			}
			if got := h.locateIDs(v, archival); len(got) != 0 {
				t.Errorf("Locate Archival after Recover = %v, want none", got)
			}
			if got := h.locateIDs(v, 0); len(got) != 2 {
				t.Errorf("Locate after Recover = %v, want both", got)
			}
			// Recovering an on-line object changes nothing.
			h.must(v, alice, &kmip.RecoverRequest{UniqueIdentifier: kept})
			h.material(v, kept)
		})
	}
}

// TestArchiveLocatePaging: an on-line Locate that leaves archived objects
// out still counts and pages the rest correctly.
func TestArchiveLocatePaging(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 4 {
		ids = append(ids, h.createAES(kmip.V2_1, alice, 128))
	}
	h.must(kmip.V2_1, alice, &kmip.ArchiveRequest{UniqueIdentifier: ids[1]})
	var seen []string
	for offset := int32(0); offset < 4; offset++ {
		resp := h.locate(kmip.V2_1, alice, &kmip.LocateRequest{MaximumItems: 1, OffsetItems: offset})
		if resp.LocatedItems != 3 {
			t.Fatalf("Located Items %d, want 3", resp.LocatedItems)
		}
		seen = append(seen, resp.UniqueIdentifiers...)
	}
	slices.Sort(seen)
	want := []string{ids[0], ids[2], ids[3]}
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Errorf("paged on-line Locate found %v, want %v", seen, want)
	}
}

// TestArchiveOtherOwner: another owner can neither archive nor recover an
// object, and learns nothing of it.
func TestArchiveOtherOwner(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		v      kmip.Version
		reason kmip.ResultReason
	}{{kmip.V1_4, kmip.ReasonItemNotFound}, {kmip.V2_1, kmip.ReasonObjectNotFound}} {
		id := h.createAES(c.v, alice, 128)
		_, err := h.do(c.v, bob, &kmip.ArchiveRequest{UniqueIdentifier: id})
		wantSentIn(t, c.v, err, c.reason)
		h.material(c.v, id) // still on-line
		h.must(c.v, alice, &kmip.ArchiveRequest{UniqueIdentifier: id})
		_, err = h.do(c.v, bob, &kmip.RecoverRequest{UniqueIdentifier: id})
		wantSentIn(t, c.v, err, c.reason)
		_, err = h.do(c.v, alice, &kmip.GetRequest{UniqueIdentifier: id})
		wantSentIn(t, c.v, err, kmip.ReasonObjectArchived) // still archived
		if got := h.locate(c.v, bob, &kmip.LocateRequest{StorageStatusMask: kmip14.StorageStatusMaskArchivalStorage}).UniqueIdentifiers; len(got) != 0 {
			t.Errorf("bob's Archival Locate found %v", got)
		}
	}
}

// TestArchiveAuthorizedAndAudited: under a Policy, Archive is an operation a
// role must list; the tenant-wide operator may archive an array's key, and
// every attempt is an audit record.
func TestArchiveAuthorizedAndAudited(t *testing.T) {
	h := newAuthzHarness(t, matrixPolicy)
	id, _ := h.newKey(acmeArray, true)

	_, err := h.serve(acmeArray, kmip14.OperationArchive, &kmip.ArchiveRequest{UniqueIdentifier: id})
	wantReason(t, err, kmip.ReasonPermissionDenied) // storage-array role lacks Archive
	if _, err := h.serve(acmeOperator, kmip14.OperationArchive, &kmip.ArchiveRequest{UniqueIdentifier: id}); err != nil {
		t.Fatalf("operator Archive: %v", err)
	}
	_, err = h.serve(acmeArray, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id})
	wantReason(t, err, kmip.ReasonObjectArchived)
	if _, err := h.serve(acmeOperator, kmip14.OperationRecover, &kmip.RecoverRequest{UniqueIdentifier: id}); err != nil {
		t.Fatalf("operator Recover: %v", err)
	}
	if _, err := h.serve(acmeArray, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id}); err != nil {
		t.Fatalf("Get after Recover: %v", err)
	}

	recs := records(t, h.store)
	var got []string
	for _, r := range recs {
		if r.ObjectID == id && r.Operation != kmip14.OperationCreate.String() && r.Operation != kmip14.OperationActivate.String() {
			got = append(got, r.Identity+" "+r.Operation+" "+r.Reason)
		}
	}
	want := []string{
		acmeArray + " Archive PermissionDenied",
		acmeOperator + " Archive ",
		acmeArray + " Get ObjectArchived",
		acmeOperator + " Recover ",
		acmeArray + " Get ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit records of the key:\n got %q\nwant %q", got, want)
	}
}

func TestQueryListsArchiveRecover(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V2_1} {
		resp := h.must(v, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse)
		if !slices.Contains(resp.Operations, kmip14.OperationArchive) || !slices.Contains(resp.Operations, kmip14.OperationRecover) {
			t.Errorf("%v Query Operations %v lack Archive or Recover", v, resp.Operations)
		}
	}
}
