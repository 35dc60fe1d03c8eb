package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// CredentialObserver returns the certs.CredentialObserver that records in
// cfg.Log the request messages certs.RequireCredential refuses, besides the
// record Handler writes of each of their items:
//
//   - one "Authenticate" record per refused message: Result
//     OperationFailed, Reason the certs.FailureReason and its detail
//     ("bad_password, 3 failures in a row", "locked, retry in 14m2.5s"),
//     ObjectID the configured username or limiter key concerned;
//   - one "AuthLockout" record per identity or username the failure
//     locked, written to disk before the items are answered.
//
// Both carry the client's identity, tenant (cfg.TenantOf) and address;
// never the password, nor a username that is not configured. The observer
// is safe for concurrent use; an error is a record not written.
func CredentialObserver(cfg Config) certs.CredentialObserver {
	return &credentialAudit{recorder: newRecorder(cfg)}
}

type credentialAudit struct {
	recorder
}

func (c *credentialAudit) CredentialRefused(ctx context.Context, req *kmip.Request, f certs.CredentialFailure) error {
	rec := c.newRecord(req)
	rec.Operation, rec.ObjectID = "Authenticate", f.Key
	if rec.ObjectID == "" && f.Username != "" {
		rec.ObjectID = "username " + f.Username
	}
	rec.Result, rec.Reason = kmip14.ResultStatusOperationFailed.String(), describeFailure(f)
	if err := c.log.AppendAuditUnsynced(ctx, rec); err != nil {
		return auditFailed(rec, err)
	}
	for _, l := range f.Locks {
		lock := c.newRecord(req)
		lock.Operation, lock.ObjectID = "AuthLockout", l.Key
		lock.Reason = fmt.Sprintf("locked for %v after %d failures in a row", l.For, l.Failures)
		if err := c.log.AppendAudit(ctx, lock); err != nil {
			return auditFailed(lock, err)
		}
	}
	return nil
}

// describeFailure is the Reason of the record of a refused message.
func describeFailure(f certs.CredentialFailure) string {
	switch f.Reason {
	case certs.InBackoff, certs.Locked:
		return fmt.Sprintf("%s, retry in %v", f.Reason, f.RetryAfter.Round(time.Millisecond))
	case certs.BadPassword, certs.IdentityNotAllowed:
		if f.Failures > 0 {
			return fmt.Sprintf("%s, %d failures in a row", f.Reason, f.Failures)
		}
	}
	return string(f.Reason)
}
