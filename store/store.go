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
	"io"
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
// that many matches in descending ID order; Limit 0 means no limit.
type Query struct {
	Owner  string
	Terms  []Term
	Offset int
	Limit  int
}

// Store is the store contract: everything the handlers, the server and the
// offline tools ask of a store, in one interface, so that an implementation
// (Badger here; PostgreSQL for a cluster) is checked whole by the contract
// tests of package store/storetest.
//
// What it holds: managed objects (Object) with their index terms, read by ID
// or found by Query; the sealed material of objects destroyed within a grace
// period (Pending); the audit trail (AuditLog); and consistent encrypted
// backups of all of it.
//
// Durability: every method that changes the store returns only after the
// change is on disk (fsync), except AppendAuditUnsynced: a success reported
// to a client is never lost by a crash. Concurrent commits may share one
// sync (group commit).
//
// Concurrency: all methods are safe for concurrent use. The changes of one
// object (Update, Delete, ChangeOwner and the pending methods of its ID) are
// serialised: a function passed to them sees the latest committed version,
// and may be called more than once (on a write conflict), so it must have
// no side effects beyond the values it is given. Methods taking a callback
// over many values (ForEachObject, ForEachPending, AuditRecords) call it
// outside any transaction.
//
// Audit: every mutation but PutPending takes the audit record of the change
// it makes, audit, and writes it in the same transaction as the change: both
// are durable or neither is. It fills in audit.Seq, audit.Prev and
// audit.Hash, and audit.ObjectID with the ID of the object changed when the
// record names none (the new object of a Create). A record already written
// (Seq != 0) is not written again, so one record can be handed to every
// mutation of one request: the first that commits writes it, and when none
// does (nothing changed, or every mutation failed) Seq stays 0 and the
// caller writes it with AppendAudit. A nil audit writes no record (changes
// whose records are written apart, such as a KEK rotation's). One record
// must not be given to two mutations running at once.
//
// Errors: ErrNotFound when the object (or pending record) named does not
// exist, ErrExists when Create's ID is taken, ErrClosed after Close, the
// context's error when it is done before the method starts, and the error
// of a caller's function, unwrapped, when it aborts a change; nothing is
// written then. Any other error of a mutation (a failed commit or sync)
// means the change is not known to be durable. Callers compare with
// errors.Is.
type Store interface {
	// Create stores a new object. It fails with ErrExists when obj.ID is taken.
	Create(ctx context.Context, audit *AuditRecord, obj *Object) error

	// Get returns the object id, or ErrNotFound. The caller checks ownership.
	Get(ctx context.Context, id string) (*Object, error)

	// Update reads object id, calls fn with a copy that fn may change, and
	// stores the result with its new Terms atomically. When fn returns an
	// error nothing is written and Update returns that error. fn may be
	// called more than once (on a write conflict) and must not have side
	// effects beyond the object. ID and Owner must not be changed. It
	// fails with ErrNotFound when id does not exist.
	Update(ctx context.Context, audit *AuditRecord, id string, fn func(obj *Object) error) error

	// Delete removes object id and its index entries, or fails with
	// ErrNotFound.
	Delete(ctx context.Context, audit *AuditRecord, id string) error

	// Find returns the IDs of q.Owner's objects that have every term of
	// q.Terms, in descending ID order, after skipping q.Offset and at most
	// q.Limit of them, and the total number of matches. The server's IDs
	// are time-ordered, so this is the most recently created first, the
	// order Locate answers in (KMIP 1.4 section 4.9, 2.1 section 6.1.27). It reads only index entries of
	// the most selective term, never the whole store.
	Find(ctx context.Context, q Query) (ids []string, total int, err error)

	// ChangeOwner moves object id from owner from to owner to in one
	// transaction: its record and every index entry of it, so that Get and
	// Find see it under to only (Update keeps ID and Owner fixed). fn, when
	// not nil, is called with a copy of the object, its Owner already to,
	// and may change its Attributes, Material and Terms as Update's function
	// does; it must not change ID or Owner, and may be called more than
	// once. A pending destruction of id stays with it.
	//
	// When the object is already owned by to, ChangeOwner writes nothing
	// (neither the change nor the audit record, whose Seq stays 0) and
	// returns nil: a repeated call is a no-op. It fails with ErrNotFound
	// when id does not exist or is owned by neither from nor to, and with
	// fn's error; then nothing is written. from and to must differ.
	ChangeOwner(ctx context.Context, audit *AuditRecord, id, from, to string, fn func(obj *Object) error) error

	// ForEachObject calls fn with every object of every owner, in ID order,
	// and stops at fn's first error, which it returns. The objects are read
	// in pages, each from its own snapshot, and fn is called outside any
	// transaction, so fn may change the store; an object created during the
	// walk may or may not be seen. It is meant for administrative passes
	// (re-sealing under a new key-encryption key, counting objects), not
	// for requests.
	ForEachObject(ctx context.Context, fn func(obj *Object) error) error

	// PutPending stores p, replacing any pending record of p.ID. It writes
	// no audit record: it is one step of a change recorded by another
	// mutation (Destroy's Update).
	PutPending(ctx context.Context, p *Pending) error

	// UpdatePending reads the pending record of id and calls fn with it:
	// when fn returns nil the record fn changed is stored, and when fn sets
	// it to nil the record is deleted. When fn returns an error nothing is
	// written and UpdatePending returns it. It fails with ErrNotFound when
	// id has no pending record.
	UpdatePending(ctx context.Context, audit *AuditRecord, id string, fn func(p **Pending) error) error

	// RestorePending undoes a destruction in one transaction: it calls fn
	// with a copy of object id and its pending record; when fn returns nil
	// the object fn changed is stored with its new Terms and the pending
	// record deleted. It fails with ErrNotFound when either is missing, and
	// when fn changed ID or Owner.
	RestorePending(ctx context.Context, audit *AuditRecord, id string, fn func(obj *Object, p *Pending) error) error

	// ForEachPending calls fn with every pending record, in ID order, from
	// one snapshot read before the first call, and stops at fn's first
	// error, which it returns. fn may change the store.
	ForEachPending(ctx context.Context, fn func(p *Pending) error) error

	// AuditLog is the store's audit trail.
	AuditLog

	// BackupWith writes an encrypted, authenticated backup of the whole
	// store (objects, indexes, pending destructions, the audit trail) to w,
	// from one consistent snapshot, its file key sealed by s, followed by
	// att's content when att is not nil. It may run while the store serves
	// requests. Restore reads it back.
	BackupWith(ctx context.Context, w io.Writer, s Sealer, att Attachment) error

	// Close flushes and closes the store, after the operations in progress.
	// Every method, Close included, fails with ErrClosed afterwards.
	Close() error
}

var _ Store = (*Badger)(nil)

// AuditLog is a tamper-evident, append-only log of audit records: each
// record carries the hash of the one before it (see AuditRecord), so that an
// edited, deleted, reordered or truncated record is detected by VerifyAudit.
// Every Store is one; it is named apart for the code that only audits
// (handlers/audit, the notifier, kmipctl audit).
//
// A record is written in one of two ways. The record of a change is given
// to the Store's mutation that makes it (see Store), and written in the
// same transaction: the change and its record are durable together or not
// at all. A record
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

	// AuditHead returns the Seq of the last record committed, which is the
	// number of records the trail has held, or 0 for an empty trail. It is
	// cheap enough for a metrics gauge.
	AuditHead(ctx context.Context) (uint64, error)
}
