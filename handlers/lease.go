package handlers

import (
	"context"
	"math"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// Obtain Lease (KMIP 1.4 section 4.14, 2.1 section 6.1.36) grants a client
// a new lease on an object: the time for which it may use the object, and
// what it cached of it, before it asks again. A Lease Time of zero means
// that no lease interval applies and the object may be used without a time
// limit.
//
// The lease granted is the server's lease policy, Config.LeaseTime (zero
// when there is none), the one new objects get as their Lease Time
// attribute and Check compares with. The specification lets the server
// decide when a new lease "SHALL NOT be issued" and then answer an error;
// this server issues one only for an object that may be used now, in the
// Active state, and answers Wrong Key Lifecycle State (2.x) or Permission
// Denied (1.x) otherwise, as for any use of a key in the wrong state. The
// object must exist and belong to the client (Item Not Found / Object Not
// Found otherwise) and not be archived (Object Archived). Obtain Lease
// changes nothing; the response carries the object's Last Change Date, for
// the client to tell whether what it cached is still current.

// maxLeaseTime is the longest Interval the wire can carry (an unsigned
// 32-bit count of seconds).
const maxLeaseTime = time.Duration(math.MaxUint32) * time.Second

// obtainLease answers an Obtain Lease.
func (s *Service) obtainLease(ctx context.Context, req *kmip.Request, p *kmip.ObtainLeaseRequest) (any, error) {
	m, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, err
	}
	if st := stateOf(m.attrs); st != kmip14.StateActive {
		return nil, wrongState(st)
	}
	return &kmip.ObtainLeaseResponse{
		UniqueIdentifier: m.id,
		LeaseTime:        min(s.lease, maxLeaseTime),
		LastChangeDate:   m.attrs.Time(kmip.AttrLastChangeDate),
	}, nil
}
