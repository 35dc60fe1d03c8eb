package handlers

import (
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

func TestObtainLease(t *testing.T) {
	const policy = 90 * time.Minute
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			h := newHarnessWith(t, func(c *Config) { c.LeaseTime = policy })
			id := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
			changed := h.attrs(v, alice, id, kmip.AttrLastChangeDate).Time(kmip.AttrLastChangeDate)

			h.now = h.now.Add(time.Hour) // a lease later changes nothing
			resp := h.must(v, alice, &kmip.ObtainLeaseRequest{UniqueIdentifier: id}).(*kmip.ObtainLeaseResponse)
			want := kmip.ObtainLeaseResponse{UniqueIdentifier: id, LeaseTime: policy, LastChangeDate: changed}
			if changed.IsZero() || *resp != want {
				t.Fatalf("Obtain Lease = %+v, want %+v", *resp, want)
			}

			_, err := h.do(v, bob, &kmip.ObtainLeaseRequest{UniqueIdentifier: id})
			wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)

			preActive := h.createAES(v, alice, 128)
			_, err = h.do(v, alice, &kmip.ObtainLeaseRequest{UniqueIdentifier: preActive})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)

			h.must(v, alice, &kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}})
			_, err = h.do(v, alice, &kmip.ObtainLeaseRequest{UniqueIdentifier: id})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
		})
	}
}

// TestObtainLeaseNoPolicy checks the answer without a lease policy: a zero
// Lease Time, which tells the client that no lease interval applies.
func TestObtainLeaseNoPolicy(t *testing.T) {
	h := newHarness(t)
	id := h.activeKey(kmip.V2_1, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
	resp := h.must(kmip.V2_1, alice, &kmip.ObtainLeaseRequest{UniqueIdentifier: id}).(*kmip.ObtainLeaseResponse)
	if resp.LeaseTime != 0 || resp.UniqueIdentifier != id || resp.LastChangeDate.IsZero() {
		t.Fatalf("Obtain Lease without a policy = %+v", *resp)
	}
}
