package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kmipd/kmipd/kmip"
)

const (
	maskEncrypt = int32(kmip14.CryptographicUsageMaskEncrypt)
	maskDecrypt = int32(kmip14.CryptographicUsageMaskDecrypt)
	maskSign    = int32(kmip14.CryptographicUsageMaskSign)
)

func TestCheckUsageMask(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		id := h.createAES(v, alice, 128) // Encrypt|Decrypt, Pre-Active
		resp := h.must(v, alice, &kmip.CheckRequest{UniqueIdentifier: id, CryptographicUsageMask: maskDecrypt}).(*kmip.CheckResponse)
		if resp.UniqueIdentifier != id {
			t.Fatalf("Check named %q, want %q", resp.UniqueIdentifier, id)
		}
		h.must(v, alice, &kmip.CheckRequest{UniqueIdentifier: id, CryptographicUsageMask: maskEncrypt | maskDecrypt})
		_, err := h.do(v, alice, &kmip.CheckRequest{UniqueIdentifier: id, CryptographicUsageMask: maskEncrypt | maskSign})
		wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)

		// Another owner's object does not exist for bob.
		_, err = h.do(v, bob, &kmip.CheckRequest{UniqueIdentifier: id})
		wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)

		// A destroyed key cannot be used.
		h.must(v, alice, &kmip.DestroyRequest{UniqueIdentifier: id})
		_, err = h.do(v, alice, &kmip.CheckRequest{UniqueIdentifier: id})
		wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
	}
}

func TestCheckUsageLimitsAndLease(t *testing.T) {
	h := newHarness(t)
	count := int64(10)
	id := h.createAES(kmip.V2_1, alice, 128, kmip.Attribute{Name: kmip.AttrUsageLimits, Value: kmip.UsageLimits{Total: 10, Count: &count, Unit: 1}})
	h.must(kmip.V2_1, alice, &kmip.CheckRequest{UniqueIdentifier: id, UsageLimitsCount: 10})
	_, err := h.do(kmip.V2_1, alice, &kmip.CheckRequest{UniqueIdentifier: id, UsageLimitsCount: 11})
	wantReason(t, err, kmip.ReasonUsageLimitExceeded)

	// Without a Lease Time the object sets no lease limit.
	h.must(kmip.V2_1, alice, &kmip.CheckRequest{UniqueIdentifier: id, LeaseTime: 24 * time.Hour})
}

func TestLogAndInterop(t *testing.T) {
	h := newHarness(t)
	for _, p := range []any{
		&kmip.LogRequest{Message: "hello"},
		&kmip.InteropRequest{Function: kmip.InteropBegin, Identifier: "BL-M-1-21"},
		&kmip.InteropRequest{Function: kmip.InteropEnd, Identifier: "BL-M-1-21"},
		&kmip.InteropRequest{Function: kmip.InteropReset},
	} {
		if resp := h.must(kmip.V2_1, alice, p); resp != nil {
			t.Fatalf("%T: response %v, want empty", p, resp)
		}
		_, err := h.do(kmip.V1_4, alice, p)
		wantSentIn(t, kmip.V1_4, err, kmip.ReasonOperationNotSupported)
	}
	_, err := h.do(kmip.V2_1, alice, &kmip.InteropRequest{Function: 9})
	wantReason(t, err, kmip.ReasonInvalidField)
}

func TestLeasePolicy(t *testing.T) {
	h := newHarnessWith(t, func(c *Config) { c.LeaseTime = time.Hour })
	id := h.createAES(kmip.V1_4, alice, 128)
	if got := h.attrs(kmip.V1_4, alice, id, kmip.AttrLeaseTime).Get(kmip.AttrLeaseTime); got != time.Hour {
		t.Fatalf("Lease Time %v, want 1h", got)
	}
	h.must(kmip.V1_4, alice, &kmip.CheckRequest{UniqueIdentifier: id, LeaseTime: time.Hour})
	_, err := h.do(kmip.V1_4, alice, &kmip.CheckRequest{UniqueIdentifier: id, LeaseTime: 2 * time.Hour})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)

	// Without a lease policy there is no Lease Time.
	h = newHarness(t)
	if h.attrs(kmip.V2_1, alice, h.createAES(kmip.V2_1, alice, 128)).Has(kmip.AttrLeaseTime) {
		t.Fatal("Lease Time set without a lease policy")
	}
}

func TestLogRecordsAtMostOneKiB(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	h := newHarnessWith(t, func(c *Config) { c.Logger = zap.New(core) })
	h.must(kmip.V2_1, alice, &kmip.LogRequest{Message: strings.Repeat("x", 5000)})
	entries := logs.FilterMessage("client log message").All()
	if len(entries) != 1 {
		t.Fatalf("%d log entries, want 1", len(entries))
	}
	fields := entries[0].ContextMap()
	if msg := fields["message"].(string); len(msg) != maxLogMessage {
		t.Fatalf("logged %d bytes, want %d", len(msg), maxLogMessage)
	}
	if fields["owner"] != alice || fields["truncated"] != true {
		t.Fatalf("fields %v", fields)
	}
}
