package handlers

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// usageLimits returns a Usage Limits attribute of total units of unit.
func usageLimits(total int64, unit kmip14.UsageLimitsUnit) kmip.Attribute {
	return kmip.Attribute{Name: kmip.AttrUsageLimits, Value: kmip.UsageLimits{Total: total, Unit: uint32(unit)}}
}

// remaining returns what remains of the Usage Limits of alice's object id.
func (h *harness) remaining(id string) int64 {
	h.t.Helper()
	limits, ok := h.attrs(kmip.V2_1, alice, id, kmip.AttrUsageLimits).Get(kmip.AttrUsageLimits).(kmip.UsageLimits)
	if !ok {
		h.t.Fatalf("object %s has no Usage Limits", id)
	}
	return remainingUsage(limits)
}

func TestGetUsageAllocation(t *testing.T) {
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_0, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			h := newHarness(t)
			id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec, usageLimits(1000, kmip14.UsageLimitsUnitByte))

			for want := int64(500); want >= 0; want -= 500 {
				resp := h.must(v, alice, &kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: 500}).(*kmip.GetUsageAllocationResponse)
				if resp.UniqueIdentifier != id {
					t.Fatalf("answered %q, want %q", resp.UniqueIdentifier, id)
				}
				if got := h.remaining(id); got != want {
					t.Fatalf("remaining %d, want %d", got, want)
				}
			}
			_, err := h.do(v, alice, &kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: 1})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonUsageLimitExceeded)
			if got := h.remaining(id); got != 0 {
				t.Fatalf("a refused allocation changed the count to %d", got)
			}
		})
	}
}

func TestGetUsageAllocationRefusals(t *testing.T) {
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			h := newHarness(t)
			limits := usageLimits(10, kmip14.UsageLimitsUnitObject)
			allocate := func(who, id string, n int64) error {
				_, err := h.do(v, who, &kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: n})
				return err
			}

			unlimited := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
			wantSent(t, v, allocate(alice, unlimited, 1), kmip.ReasonPermissionDenied, kmip.ReasonAttributeNotFound)

			preActive := h.createAES(v, alice, 128, limits)
			wantSent(t, v, allocate(alice, preActive, 1), kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)

			stopped := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec, limits,
				kmip.Attribute{Name: kmip.AttrProtectStopDate, Value: h.now.Add(-time.Hour)})
			wantSent(t, v, allocate(alice, stopped, 1), kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)

			decryptOnly := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, int32(kmip14.CryptographicUsageMaskDecrypt), limits)
			wantSent(t, v, allocate(alice, decryptOnly, 1), kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)

			// A MAC key protects too: its allocation is granted.
			macKey := h.activeKey(v, kmip14.CryptographicAlgorithmHMAC_SHA256, 256, maskMAC, limits)
			if err := allocate(alice, macKey, 10); err != nil {
				t.Fatalf("MAC key: %v", err)
			}

			active := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec, limits)
			wantSent(t, v, allocate(alice, active, 11), kmip.ReasonPermissionDenied, kmip.ReasonUsageLimitExceeded)
			wantReason(t, allocate(alice, active, 0), kmip.ReasonInvalidField)
			wantSent(t, v, allocate(bob, active, 1), kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
			if got := h.remaining(active); got != 10 {
				t.Fatalf("refused allocations left %d, want 10", got)
			}
		})
	}
}

// TestUsageAllocationSharedWithEncrypt checks that an allocation and the
// server's own Encrypt draw from the same Usage Limits Count.
func TestUsageAllocationSharedWithEncrypt(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	ecb := &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeECB}
	id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec, usageLimits(32, kmip14.UsageLimitsUnitByte))
	h.must(v, alice, &kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: 16})
	h.must(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: ecb, Data: make([]byte, 16)})
	if got := h.remaining(id); got != 0 {
		t.Fatalf("remaining %d after an allocation of 16 and an Encrypt of 16 bytes, want 0", got)
	}
	_, err := h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: ecb, Data: make([]byte, 16)})
	wantReason(t, err, kmip.ReasonPermissionDenied)
	_, err = h.do(v, alice, &kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: 1})
	wantReason(t, err, kmip.ReasonUsageLimitExceeded)
}

// TestUsageAllocationConcurrent races allocations of one unit for more
// than there is: exactly the limit is granted, and the count ends at zero.
// Run it with -race.
func TestUsageAllocationConcurrent(t *testing.T) {
	const total, workers, each = 40, 8, 10 // 80 requests for 40 units
	h := newHarness(t)
	v := kmip.V2_1
	id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec, usageLimits(total, kmip14.UsageLimitsUnitObject))

	var granted, exceeded atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := h.do(v, alice, &kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: 1})
				switch {
				case err == nil:
					granted.Add(1)
				case kmip.AsError(err).Reason == kmip.ReasonUsageLimitExceeded:
					exceeded.Add(1)
				default:
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if granted.Load() != total || exceeded.Load() != workers*each-total {
		t.Fatalf("granted %d, refused %d; want %d and %d", granted.Load(), exceeded.Load(), total, workers*each-total)
	}
	if got := h.remaining(id); got != 0 {
		t.Fatalf("remaining %d, want 0", got)
	}
}

// TestUsageAllocationDurable reopens the store after an allocation: the
// decremented count was on disk.
func TestUsageAllocationDurable(t *testing.T) {
	dir := t.TempDir()
	open := func() (*Service, *store.Badger) {
		t.Helper()
		st, err := store.OpenBadger(filepath.Join(dir, "db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		crypto, err := hsm.NewSoftware(filepath.Join(dir, "kek", "key"))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(Config{Store: st, Crypto: crypto})
		if err != nil {
			t.Fatal(err)
		}
		return svc, st
	}
	serve := func(svc *Service, payload any) (any, error) {
		return svc.ServeKMIP(context.Background(), &kmip.Request{
			Version: kmip.V2_1, Payload: payload, Peer: &kmip.Peer{Identity: alice}, Batch: &kmip.BatchState{},
		})
	}

	svc, st := open()
	resp, err := serve(svc, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(128)},
		{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
		usageLimits(100, kmip14.UsageLimitsUnitObject),
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.(*kmip.CreateResponse).UniqueIdentifier
	for _, p := range []any{
		&kmip.ActivateRequest{UniqueIdentifier: id},
		&kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: 30},
	} {
		if _, err := serve(svc, p); err != nil {
			t.Fatalf("%T: %v", p, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	svc, st = open()
	defer st.Close()
	resp, err = serve(svc, &kmip.GetAttributesRequest{UniqueIdentifier: id, Names: []string{kmip.AttrUsageLimits}})
	if err != nil {
		t.Fatal(err)
	}
	limits, _ := resp.(*kmip.GetAttributesResponse).Attributes.Get(kmip.AttrUsageLimits).(kmip.UsageLimits)
	if limits.Count == nil || *limits.Count != 70 || limits.Total != 100 {
		t.Fatalf("after reopening: Usage Limits %+v, want Total 100, Count 70", limits)
	}
	if _, err := serve(svc, &kmip.GetUsageAllocationRequest{UniqueIdentifier: id, UsageLimitsCount: 71}); kmip.AsError(err).Reason != kmip.ReasonUsageLimitExceeded {
		t.Fatalf("allocation beyond the reopened count: %v", err)
	}
}
