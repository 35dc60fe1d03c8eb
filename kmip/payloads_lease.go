package kmip

import "time"

// The payloads of Get Usage Allocation and Obtain Lease (KMIP 1.4 sections
// 4.13 and 4.14, 2.1 sections 6.1.29 and 6.1.36), in every version.

// GetUsageAllocationRequest asks for UsageLimitsCount units (in the
// object's Usage Limits Unit) of the object's Usage Limits, to apply
// cryptographic protection with it. UsageLimitsCount is required and
// positive; an empty UniqueIdentifier means the batch's ID Placeholder.
type GetUsageAllocationRequest struct {
	UniqueIdentifier string
	UsageLimitsCount int64
}

// GetUsageAllocationResponse names the object whose allocation was granted.
type GetUsageAllocationResponse struct{ UniqueIdentifier string }

// ObtainLeaseRequest asks for a new lease on an object. An empty
// UniqueIdentifier means the batch's ID Placeholder.
type ObtainLeaseRequest struct{ UniqueIdentifier string }

// ObtainLeaseResponse grants a lease: the client may use the object for
// LeaseTime (zero: without a time limit) before asking again. LastChangeDate
// is the object's Last Change Date, for the client to tell whether what it
// cached is still current. All fields are required.
type ObtainLeaseResponse struct {
	UniqueIdentifier string
	LeaseTime        time.Duration
	LastChangeDate   time.Time
}
