package handlers

import (
	"context"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// check answers whether the client could use an object as it describes
// (KMIP 1.4 section 4.10, 2.1 section 6.1.4). The object must exist, belong
// to the client and not be destroyed; then each field the request gives is
// compared with the object:
//
//   - Cryptographic Usage Mask: every usage asked for must be in the object's
//     mask; an object without a mask allows none. Failure is Incompatible
//     Cryptographic Usage Mask (2.x, conformance cases BL-M-2 and -3) or
//     Permission Denied (1.x, which has no such reason).
//   - Usage Limits Count: at most the object's remaining Usage Limits Count,
//     when it has one. Failure is Usage Limit Exceeded (2.x) or Permission
//     Denied (1.x).
//   - Lease Time: at most the object's Lease Time, when it has one. Failure
//     is Permission Denied.
//
// The state is not checked otherwise: a Pre-Active key passes (BL-M-3), as
// Check asks about the object's description, not about the current moment.
// Check changes nothing.
func (s *Service) check(ctx context.Context, req *kmip.Request, p *kmip.CheckRequest) (any, error) {
	m, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, err
	}
	if st := stateOf(m.attrs); isDestroyed(st) {
		return nil, wrongState(st)
	}
	if want := p.CryptographicUsageMask; want != 0 {
		have, _ := intValue(m.attrs.Get(kmip.AttrCryptographicUsageMask))
		if int64(want)&^have != 0 {
			return nil, &kmip.Error{Reason: kmip.ReasonIncompatibleCryptographicUsageMask, Message: "Check failed: usage not allowed by the Cryptographic Usage Mask"}
		}
	}
	if want := p.UsageLimitsCount; want != 0 {
		if limits, ok := m.attrs.Get(kmip.AttrUsageLimits).(kmip.UsageLimits); ok && limits.Count != nil && want > *limits.Count {
			return nil, &kmip.Error{Reason: kmip.ReasonUsageLimitExceeded, Message: "Check failed: Usage Limits Count exceeds what remains"}
		}
	}
	if want := p.LeaseTime; want != 0 {
		if lease, ok := m.attrs.Get(kmip.AttrLeaseTime).(time.Duration); ok && want > lease {
			return nil, kmip.Errorf(kmip.ReasonPermissionDenied, "Check failed: Lease Time exceeds the object's")
		}
	}
	return &kmip.CheckResponse{UniqueIdentifier: m.id}, nil
}
