package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Audited returns a kmip.Handler that serves every batch item with next and
// records it in log: time, client identity and address, operation, object,
// and result. now is the clock (nil: time.Now).
//
// An item that changes the store has its record written in the transaction
// of its first change (withItemRecord, store.Store); any other item (a read, a failure,
// a refusal) has it appended, and the answer waits until the record is on
// disk, so that key material is never released without a durable record.
// When the record cannot be written the item fails with General Failure
// instead. An item that failed after its change was recorded gets a second
// record with the failure. An item whose handler panics is recorded as a
// General Failure and the panic continues to the Server.
//
// The handler is safe for concurrent use when next is.
func Audited(next kmip.Handler, log store.AuditLog, now func() time.Time) kmip.Handler {
	if now == nil {
		now = time.Now
	}
	return &auditor{next: next, log: log, now: now}
}

// tenantResolver is implemented by a Handler that knows the tenants of its
// clients (*Service); Audited records the tenant of each item's client.
type tenantResolver interface {
	TenantOf(identity string) string
}

type auditor struct {
	next kmip.Handler
	log  store.AuditLog
	now  func() time.Time
}

func (a *auditor) ServeKMIP(ctx context.Context, req *kmip.Request) (payload any, err error) {
	rec := a.newRecord(req)
	panicked := true
	defer func() {
		if panicked { // the panic goes on to the Server, which answers it
			a.recordFailure(ctx, rec, kmip.ReasonGeneralFailure) //nolint:errcheck // the item fails anyway
		}
	}()
	payload, err = a.next.ServeKMIP(withItemRecord(ctx, rec), req)
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
	if err == nil && UsesKey(req.Operation) {
		write = a.log.AppendAudit // no key released or used before its record is on disk
	}
	if aerr := write(ctx, rec); aerr != nil {
		return nil, auditFailed(rec, aerr)
	}
	return payload, err
}

// itemRecordKey is the context key of the audit record of the item being
// served.
type itemRecordKey struct{}

// withItemRecord returns ctx carrying rec as the audit record of the item
// it serves: Audited puts it there, and the Service's object access
// (service.go) hands it to the store mutation that makes the item's change,
// which writes it in the same transaction (see store.Store). A nil rec
// makes the changes under the returned context unrecorded.
func withItemRecord(ctx context.Context, rec *store.AuditRecord) context.Context {
	return context.WithValue(ctx, itemRecordKey{}, rec)
}

// itemRecord returns the audit record of ctx's item, nil when there is none
// (a Service without Audited, or an administrative pass).
func itemRecord(ctx context.Context) *store.AuditRecord {
	rec, _ := ctx.Value(itemRecordKey{}).(*store.AuditRecord)
	return rec
}

// auditFailed is the error of an item whose record could not be written:
// General Failure for the client, the cause in the Server's log.
func auditFailed(rec *store.AuditRecord, err error) error {
	return fmt.Errorf("audit record of %s not written: %w", rec.Operation, err)
}

// newRecord returns the record of req, as a success until told otherwise.
func (a *auditor) newRecord(req *kmip.Request) *store.AuditRecord {
	rec := &store.AuditRecord{
		Time:      a.now(),
		Operation: req.Operation.String(),
		ObjectID:  kmip.ObjectIDOf(req.Payload),
		Result:    kmip14.ResultStatusSuccess.String(),
	}
	if p := req.Peer; p != nil {
		rec.Identity = p.Identity
		if t, ok := a.next.(tenantResolver); ok {
			rec.Tenant = t.TenantOf(p.Identity)
		}
		if p.Addr != nil {
			rec.ClientAddr = p.Addr.String()
		}
	}
	return rec
}

// recordFailure appends a record of the failure of rec's item, a copy of
// rec (which may have been written as a success with the item's change).
func (a *auditor) recordFailure(ctx context.Context, rec *store.AuditRecord, reason kmip.ResultReason) error {
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
