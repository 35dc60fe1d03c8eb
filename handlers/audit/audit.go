// Package audit records every KMIP batch item a server serves on its
// tamper-evident audit trail (store.AuditLog): Handler wraps the operations'
// kmip.Handler, CredentialObserver records the messages a Credential check
// refuses. A record never holds key material, passwords or payloads: only
// who (identity, tenant, address), what (operation, object), when and the
// result.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Config says where and how Handler and CredentialObserver record.
type Config struct {
	// Log is the audit trail; required.
	Log store.AuditLog
	// Now is the clock of the records; nil means time.Now.
	Now func() time.Time
	// UsesKey reports whether an operation releases key material or uses a
	// key on the client's behalf: the answer to such an item waits until
	// its record is on disk. nil means every operation does.
	UsesKey func(op kmip.Operation) bool
	// TenantOf returns the tenant of a client identity, recorded with its
	// items; nil records none.
	TenantOf func(identity string) string
}

// Handler returns a kmip.Handler that serves every batch item with next and
// records it in cfg.Log: time, client identity, tenant and address,
// operation, object, and result.
//
// An item that changes the store has its record written in the transaction
// of its first change: next finds the record with Record and hands it to
// the store's mutation (see store.Store). Any other item (a read, a
// failure, a refusal) has it appended; the answer to an item that used a
// key (cfg.UsesKey) waits until the record is on disk, so that key material
// is never released without a durable record. When the record cannot be
// written the item fails with General Failure instead. An item that failed
// after its change was recorded gets a second record with the failure. An
// item whose handler panics is recorded as a General Failure and the panic
// continues to the Server.
//
// The handler is safe for concurrent use when next is.
func Handler(next kmip.Handler, cfg Config) kmip.Handler {
	return &auditor{next: next, recorder: newRecorder(cfg)}
}

// recorder makes and writes the records of one Config.
type recorder struct {
	log      store.AuditLog
	now      func() time.Time
	usesKey  func(kmip.Operation) bool
	tenantOf func(string) string
}

func newRecorder(cfg Config) recorder {
	r := recorder{log: cfg.Log, now: cfg.Now, usesKey: cfg.UsesKey, tenantOf: cfg.TenantOf}
	if r.now == nil {
		r.now = time.Now
	}
	if r.usesKey == nil {
		r.usesKey = func(kmip.Operation) bool { return true }
	}
	return r
}

type auditor struct {
	next kmip.Handler
	recorder
}

func (a *auditor) ServeKMIP(ctx context.Context, req *kmip.Request) (payload any, err error) {
	rec := a.newRecord(req)
	panicked := true
	defer func() {
		if panicked { // the panic goes on to the Server, which answers it
			a.recordFailure(ctx, rec, kmip.ReasonGeneralFailure) //nolint:errcheck // the item fails anyway
		}
	}()
	payload, err = a.next.ServeKMIP(WithRecord(ctx, rec), req)
	panicked = false

	if rec.Seq != 0 { // written with the item's change, as a success
		if err != nil {
			if aerr := a.recordFailure(ctx, rec, kmip.AsError(err).ReasonFor(req.Version)); aerr != nil {
				return nil, aerr
			}
		}
		return payload, err
	}
	if rec.ObjectID == "" {
		rec.ObjectID = kmip.ObjectIDOf(payload)
	}
	if err != nil {
		setFailure(rec, kmip.AsError(err).ReasonFor(req.Version))
	}
	// The records of items that changed nothing (discovery, queries,
	// Locate, refusals, failures) are committed in order and become durable
	// with the next group sync, without delaying the answer; an item that
	// released or used a key waits for its record.
	write := a.log.AppendAuditUnsynced
	if err == nil && a.usesKey(req.Operation) {
		write = a.log.AppendAudit // no key released or used before its record is on disk
	}
	if aerr := write(ctx, rec); aerr != nil {
		return nil, auditFailed(rec, aerr)
	}
	return payload, err
}

// recordKey is the context key of the audit record of the item being
// served.
type recordKey struct{}

// WithRecord returns ctx carrying rec as the audit record of the item it
// serves: Handler puts it there, and the handler it wraps hands it to the
// store mutation that makes the item's change, which writes it in the same
// transaction (see store.Store). A nil rec makes the changes under the
// returned context unrecorded.
func WithRecord(ctx context.Context, rec *store.AuditRecord) context.Context {
	return context.WithValue(ctx, recordKey{}, rec)
}

// Record returns the audit record of ctx's item, nil when there is none
// (no Handler, or an administrative pass).
func Record(ctx context.Context) *store.AuditRecord {
	rec, _ := ctx.Value(recordKey{}).(*store.AuditRecord)
	return rec
}

// auditFailed is the error of an item whose record could not be written:
// General Failure for the client, the cause in the Server's log.
func auditFailed(rec *store.AuditRecord, err error) error {
	return fmt.Errorf("audit record of %s not written: %w", rec.Operation, err)
}

// newRecord returns the record of req, as a success until told otherwise.
func (a *recorder) newRecord(req *kmip.Request) *store.AuditRecord {
	rec := &store.AuditRecord{
		Time:      a.now(),
		Operation: req.Operation.String(),
		ObjectID:  kmip.ObjectIDOf(req.Payload),
		Result:    kmip14.ResultStatusSuccess.String(),
	}
	if p := req.Peer; p != nil {
		rec.Identity = p.Identity
		if a.tenantOf != nil {
			rec.Tenant = a.tenantOf(p.Identity)
		}
		if p.Addr != nil {
			rec.ClientAddr = p.Addr.String()
		}
	}
	return rec
}

// recordFailure appends a record of the failure of rec's item, a copy of
// rec (which may have been written as a success with the item's change).
func (a *recorder) recordFailure(ctx context.Context, rec *store.AuditRecord, reason kmip.ResultReason) error {
	failure := *rec
	failure.Seq, failure.Prev, failure.Hash = 0, [32]byte{}, [32]byte{}
	setFailure(&failure, reason)
	if err := a.log.AppendAudit(ctx, &failure); err != nil {
		return auditFailed(rec, err)
	}
	return nil
}

func setFailure(rec *store.AuditRecord, reason kmip.ResultReason) {
	rec.Result = kmip14.ResultStatusOperationFailed.String()
	rec.Reason = reason.String()
}
