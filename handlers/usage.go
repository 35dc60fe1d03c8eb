package handlers

import (
	"context"

	"github.com/kmipd/kmipd/kmip"
)

// Get Usage Allocation (KMIP 1.4 section 4.13, 2.1 section 6.1.29) gives a
// client part of an object's Usage Limits, for it to apply cryptographic
// protection with the object itself: the server counts the whole
// allocation as consumed at once.
//
// The object must be one that can apply protection now (the checks of
// Encrypt, Sign or MAC in keyuse.go: a key of a type that protects, Active,
// before its Protect Stop Date, with a protecting usage in its mask) and
// must have a Usage Limits attribute. The count asked for, in the object's
// Usage Limits Unit, comes off what remains (Usage Limits Count, or Usage
// Limits Total before the first use) in the same store transaction that
// checks it (update), so concurrent allocations and server-side uses of the
// key never take more than there is. The allocation and the server's own
// Encrypt, Sign and MAC draw from the same Usage Limits Count (takeUsage).
//
// Reasons:
//
//	object cannot protect now         as keyuse.go (Permission Denied 1.x; 2.x Wrong Key
//	                                  Lifecycle State, Illegal Object Type, Incompatible
//	                                  Cryptographic Usage Mask)
//	object has no Usage Limits        1.x Permission Denied  2.x Attribute Not Found
//	count larger than what remains    1.x Permission Denied  2.x Usage Limit Exceeded
//	count not positive                Invalid Field

// protectingUses are the uses that apply cryptographic protection.
var protectingUses = []keyUse{useEncrypt, useSign, useMAC}

// getUsageAllocation answers a Get Usage Allocation.
func (s *Service) getUsageAllocation(ctx context.Context, req *kmip.Request, p *kmip.GetUsageAllocationRequest) (any, error) {
	if p.UsageLimitsCount <= 0 {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "Usage Limits Count must be positive")
	}
	m, err := s.update(ctx, req, p.UniqueIdentifier, func(m *managed) error {
		if err := s.checkProtect(m); err != nil {
			return err
		}
		limits, ok := m.attrs.Get(kmip.AttrUsageLimits).(kmip.UsageLimits)
		if !ok {
			// KMIP 1.4 section 11, Get Usage Allocation: an object without
			// Usage Limits is Permission Denied, not the Item Not Found
			// that Reason1x gives a missing attribute.
			return &kmip.Error{Reason: kmip.ReasonAttributeNotFound, Reason1x: kmip.ReasonPermissionDenied, Message: "the object has no Usage Limits"}
		}
		if !takeUsage(&m.attrs, limits, p.UsageLimitsCount) {
			return &kmip.Error{Reason: kmip.ReasonUsageLimitExceeded, Message: "Usage Limits Count exceeds what remains"}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &kmip.GetUsageAllocationResponse{UniqueIdentifier: m.id}, nil
}

// checkProtect checks that m can apply cryptographic protection now, by one
// of the protecting uses its type allows. When none passes, the error is
// that of the first use of its type (of Encrypt when no use takes its type).
func (s *Service) checkProtect(m *managed) error {
	var first error
	for _, u := range protectingUses {
		err := s.checkUse(m, u)
		if err == nil {
			return nil
		}
		if first == nil && u.takes(objectTypeOf(m.attrs)) {
			first = err
		}
	}
	if first == nil {
		return s.checkUse(m, protectingUses[0])
	}
	return first
}

// takes reports whether use u applies to objects of type t.
func (u keyUse) takes(t kmip.ObjectType) bool {
	for _, ut := range u.types {
		if ut == t {
			return true
		}
	}
	return false
}

// remainingUsage returns the units limits still allows: its Usage Limits
// Count, or its Usage Limits Total while the count is not set (before the
// first use).
func remainingUsage(limits kmip.UsageLimits) int64 {
	if limits.Count != nil {
		return *limits.Count
	}
	return limits.Total
}

// takeUsage takes n units from limits, the Usage Limits in attrs, and
// stores what remains as its Usage Limits Count. It reports false, and
// changes nothing, when fewer than n units remain.
func takeUsage(attrs *kmip.Attributes, limits kmip.UsageLimits, n int64) bool {
	remaining := remainingUsage(limits)
	if n > remaining {
		return false
	}
	left := remaining - n
	limits.Count = &left
	setSingle(attrs, kmip.AttrUsageLimits, limits)
	return true
}
