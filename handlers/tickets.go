package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// The tickets of Login and Delegated Login (login.go) live in memory, in
// one bounded table per Service: a restart, or another node of a cluster,
// does not know them, and the client logs in again (Invalid Ticket). KMIP
// 2.0 and 2.1 (section 6.1, Login) make a ticket a session credential
// with a lease, and require no persistence of it; keeping the tickets out
// of the store also keeps them out of backups.
//
// A ticket value is 256 bits from crypto/rand, handed to the client once
// and never kept: the table holds its SHA-256 digest only. A plain digest,
// without salt or stretching, suffices for a uniformly random secret of
// that size, and it lets the table find a presented ticket by map lookup
// (whose timing reveals nothing an attacker without a preimage can use).
const (
	ticketValueSize = 32

	// ticketLease is both the lease of a ticket asked for without a Lease
	// Time and the longest one granted: a longer Lease Time is shortened
	// (the response does not carry the lease granted, KMIP lets the server
	// choose).
	ticketLease = time.Hour

	// maxTicketsPerIdentity and maxTickets bound the live (unexpired)
	// tickets of one client identity and of the whole server: a client
	// that keeps logging in without logging out is refused, and cannot
	// exhaust the server's memory.
	maxTicketsPerIdentity = 32
	maxTickets            = 10000
)

// ticket is one issued ticket. Its fields do not change once it is in the
// table, except left, under the table's lock.
type ticket struct {
	digest   [sha256.Size]byte
	handle   string // a public name of the ticket for audit records; not derived from its value
	identity string // the client certificate identity that obtained it
	expires  time.Time
	left     int32   // requests it may still authenticate; negative: no count
	rights   []grant // nil: every right of identity
}

// A session is what a request authenticated by a ticket may do: the
// rights of the ticket (nil: those of the client identity). It is
// immutable.
type session struct {
	digest  [sha256.Size]byte
	handle  string
	expires time.Time
	rights  []grant
}

// grant is one Right of a ticket, compiled: the operations it allows on
// the objects it names. A nil ops allows every operation, a nil objects
// every object of the delegator.
type grant struct {
	ops     map[kmip.Operation]bool
	objects map[string]bool
}

// ticketTable holds the live tickets of a Service. It is safe for
// concurrent use.
type ticketTable struct {
	mu         sync.Mutex
	byDigest   map[[sha256.Size]byte]*ticket
	byIdentity map[string]int // live tickets per identity
}

// errInvalidTicket is the answer for a ticket the server does not know,
// has expired or was logged out (KMIP 2.0 and 2.1 Result Reason Invalid
// Ticket; the OASIS test case TC-LOGIN-2-20 expects it after Logout).
func errInvalidTicket() error {
	return &kmip.Error{Reason: kmip.ReasonInvalidTicket, Message: "invalid ticket"}
}

// issue adds a ticket of identity valid until expires for count requests
// (zero: no count) with rights, and returns its value and handle. It
// purges the expired tickets first, and fails with Server Limit Exceeded
// when identity, or the server, holds too many live tickets.
func (t *ticketTable) issue(now time.Time, identity string, expires time.Time, count int32, rights []grant) (value []byte, tk *ticket, err error) {
	value = make([]byte, ticketValueSize)
	h := make([]byte, 8)
	if _, err := rand.Read(value); err != nil {
		return nil, nil, fmt.Errorf("handlers: no random source for a ticket: %w", err)
	}
	if _, err := rand.Read(h); err != nil {
		return nil, nil, fmt.Errorf("handlers: no random source for a ticket: %w", err)
	}
	tk = &ticket{
		digest:   sha256.Sum256(value),
		handle:   hex.EncodeToString(h),
		identity: identity,
		expires:  expires,
		left:     count,
		rights:   rights,
	}
	if count == 0 {
		tk.left = -1
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purgeLocked(now)
	if t.byIdentity[identity] >= maxTicketsPerIdentity || len(t.byDigest) >= maxTickets {
		return nil, nil, kmip.Errorf(kmip.ReasonServerLimitExceeded, "too many live tickets: log out of some first")
	}
	if t.byDigest == nil {
		t.byDigest = make(map[[sha256.Size]byte]*ticket)
		t.byIdentity = make(map[string]int)
	}
	t.byDigest[tk.digest] = tk
	t.byIdentity[identity]++
	return value, tk, nil
}

// use authenticates one request of identity with ticket tv, counting it
// against the ticket's Request Count. A ticket of another identity is
// refused with Permission Denied and is not counted; an exhausted one with
// Usage Limit Exceeded (TC-LOGIN-3-20, TC-DLOGIN-1-20); an unknown or
// expired one with Invalid Ticket.
func (t *ticketTable) use(now time.Time, identity string, tv *kmip.Ticket) (*session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tk, err := t.findLocked(now, identity, tv)
	if err != nil {
		return nil, err
	}
	if tk.left == 0 {
		return nil, &kmip.Error{Reason: kmip.ReasonUsageLimitExceeded, Message: "the ticket's Request Count is used up"}
	}
	if tk.left > 0 {
		tk.left--
	}
	return &session{digest: tk.digest, handle: tk.handle, expires: tk.expires, rights: tk.rights}, nil
}

// live reports whether the ticket of sess is still in the table and
// unexpired at now.
func (t *ticketTable) live(now time.Time, sess *session) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	tk := t.byDigest[sess.digest]
	return tk != nil && now.Before(tk.expires)
}

// revoke removes ticket tv of identity (Logout) and returns it.
func (t *ticketTable) revoke(now time.Time, identity string, tv *kmip.Ticket) (*ticket, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tk, err := t.findLocked(now, identity, tv)
	if err != nil {
		return nil, err
	}
	t.removeLocked(tk)
	return tk, nil
}

// drop removes tk, if it is still in the table (the undo of its issue).
func (t *ticketTable) drop(tk *ticket) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byDigest[tk.digest] == tk {
		t.removeLocked(tk)
	}
}

// purge removes the tickets expired at now.
func (t *ticketTable) purge(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purgeLocked(now)
}

// findLocked returns the live ticket tv of identity.
func (t *ticketTable) findLocked(now time.Time, identity string, tv *kmip.Ticket) (*ticket, error) {
	if tv == nil || tv.Type != kmip.TicketTypeLogin || len(tv.Value) != ticketValueSize {
		return nil, errInvalidTicket()
	}
	tk := t.byDigest[sha256.Sum256(tv.Value)]
	if tk == nil {
		return nil, errInvalidTicket()
	}
	if !now.Before(tk.expires) {
		t.removeLocked(tk)
		return nil, errInvalidTicket()
	}
	if tk.identity != identity {
		return nil, &kmip.Error{Reason: kmip.ReasonPermissionDenied, Message: "the ticket was issued to another client"}
	}
	return tk, nil
}

func (t *ticketTable) purgeLocked(now time.Time) {
	for _, tk := range t.byDigest {
		if !now.Before(tk.expires) {
			t.removeLocked(tk)
		}
	}
}

func (t *ticketTable) removeLocked(tk *ticket) {
	delete(t.byDigest, tk.digest)
	if t.byIdentity[tk.identity]--; t.byIdentity[tk.identity] <= 0 {
		delete(t.byIdentity, tk.identity)
	}
}
