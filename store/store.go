// Package store keeps managed objects durably: their sealed material, their
// encoded attributes, their owner, and secondary indexes so that Locate reads
// only the entries that match. The Badger implementation is in badger.go.
//
// The store does not know the KMIP wire format: attributes and material are
// opaque byte strings produced by the handlers (attributes) and sealed by
// package hsm (material). What the store indexes is given to it as Terms.
package store

import (
	"context"
	"errors"
)

// Errors returned by Store implementations. Callers compare with errors.Is.
var (
	ErrNotFound = errors.New("store: object not found")
	ErrExists   = errors.New("store: object already exists")
	ErrClosed   = errors.New("store: closed")
)

// Term is one indexed attribute value of an object: Locate finds objects by
// exact (Name, Value) equality. Handlers choose the names (for example
// "Name", "Object Type", "State") and encode the values canonically, so that
// equal KMIP values give equal bytes.
type Term struct {
	Name  string
	Value []byte
}

// Object is one managed object as stored.
type Object struct {
	ID    string // Unique Identifier; unique in the store
	Owner string // identity of the client that created it

	// Attributes is the object's attribute list, encoded by the caller.
	Attributes []byte
	// Material is the object's key material or data, sealed by package hsm;
	// nil once destroyed. The store never sees material in the clear.
	Material []byte
	// Terms are the index entries of the object. They are replaced as a whole
	// on every update.
	Terms []Term
}

// Query selects objects for Locate. All Terms must match (AND). Offset skips
// that many matches in ID order; Limit 0 means no limit.
type Query struct {
	Owner  string
	Terms  []Term
	Offset int
	Limit  int
}

// Store is a durable object store.
//
// Every method that changes the store returns only after the change is on
// disk (fsync): a success reported to a client is never lost by a crash.
// Concurrent commits may share one sync (group commit).
//
// All methods are safe for concurrent use. Updates of one object are
// serialised: Update's function sees the latest committed version.
type Store interface {
	// Create stores a new object. It fails with ErrExists when obj.ID is taken.
	Create(ctx context.Context, obj *Object) error

	// Get returns the object id, or ErrNotFound. The caller checks ownership.
	Get(ctx context.Context, id string) (*Object, error)

	// Update reads object id, calls fn with a copy that fn may change, and
	// stores the result with its new Terms atomically. When fn returns an
	// error nothing is written and Update returns that error. fn may be
	// called more than once (on a write conflict) and must not have side
	// effects beyond the object. ID and Owner must not be changed.
	Update(ctx context.Context, id string, fn func(obj *Object) error) error

	// Delete removes object id and its index entries.
	Delete(ctx context.Context, id string) error

	// Find returns the IDs of q.Owner's objects that have every term of
	// q.Terms, in ID order, after skipping q.Offset and at most q.Limit of
	// them, and the total number of matches. It reads only index entries of
	// the most selective term, never the whole store.
	Find(ctx context.Context, q Query) (ids []string, total int, err error)

	// Close flushes and closes the store. Other methods fail with ErrClosed
	// afterwards.
	Close() error
}

// AuditLog is a tamper-evident, append-only log of audit records: each
// record carries the hash of the one before it (see AuditRecord), so that an
// edited, deleted, reordered or truncated record is detected by VerifyAudit.
// *Badger implements it; it is separate from Store so that a Store need not
// keep an audit trail.
//
// A record is written in one of two ways. A record attached to a context
// with WithAudit is written by the first mutation (Create, Update, Delete)
// that commits under that context, in the same transaction as the change:
// the change and its record are durable together or not at all. A record
// for an item that changed nothing (a read, a failure, a refusal) is written
// by AppendAudit.
//
// Records are numbered densely from 1 in commit order. All methods are safe
// for concurrent use.
type AuditLog interface {
	// AppendAudit writes rec as the next record in its own transaction and
	// returns once it is on disk. It fills in rec.Seq, rec.Prev and
	// rec.Hash. rec.Seq must be zero (a record is written once).
	AppendAudit(ctx context.Context, rec *AuditRecord) error

	// AppendAuditUnsynced writes rec like AppendAudit, in order in the
	// chain, but returns once it is committed, without waiting for the disk:
	// it becomes durable with the next group sync, which it schedules. For
	// items that released nothing and changed nothing (discovery, queries,
	// refusals), whose answer need not wait for an fsync.
	AppendAuditUnsynced(ctx context.Context, rec *AuditRecord) error

	// AuditRecords calls fn with every record whose Seq is at least fromSeq,
	// in sequence order, from one consistent snapshot, and stops at fn's
	// first error, which it returns. It does not verify the chain.
	AuditRecords(ctx context.Context, fromSeq uint64, fn func(AuditRecord) error) error

	// VerifyAudit checks the whole chain and returns the number of records
	// checked. When the chain is broken the error is a *ChainError naming
	// the first broken record; n is then the number of intact records
	// before it.
	VerifyAudit(ctx context.Context) (n int, err error)
}
