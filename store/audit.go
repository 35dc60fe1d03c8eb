package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// AuditRecord is one entry of the audit trail: who did what to which object,
// and how it ended. It never holds key material, passwords or other secrets:
// only identities, names, identifiers and result codes.
//
// The record's Hash is SHA-256(Prev || canonical(record)), where Prev is
// the Hash of the record before it (all zeros for record 1) and canonical is,
// in this order:
//
//	0x01                    encoding version
//	uint64 big-endian       Seq
//	int64 big-endian        Time as Unix nanoseconds (UTC)
//	7 × (uint32 big-endian length, bytes)
//	                        Identity, Tenant, ClientAddr, Operation,
//	                        ObjectID, Result, Reason
//
// A verifier outside this package can recompute every hash from an export.
type AuditRecord struct {
	Seq        uint64    // position in the log, from 1, dense
	Time       time.Time // when the item was served; kept to the nanosecond
	Identity   string    // the client's identity (certificate)
	Tenant     string    // the client's tenant, when tenants are configured
	ClientAddr string    // the client's network address
	Operation  string    // the KMIP operation, for example "Get"
	ObjectID   string    // the Unique Identifier the item concerned, if any
	Result     string    // "Success" or "OperationFailed"
	Reason     string    // the Result Reason of a failure, for example "PermissionDenied"

	Prev [32]byte // Hash of record Seq-1; zero for Seq 1
	Hash [32]byte // SHA-256(Prev || canonical encoding)
}

// ChainError reports the first broken record of an audit chain found by
// VerifyAudit.
type ChainError struct {
	Seq     uint64 // the record at which the chain breaks
	Problem string // what is wrong, and what it suggests (edited, deleted, ...)
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit record %d: %s", e.Seq, e.Problem)
}

// Key layout of the audit trail, alongside the spaces of keys.go:
//
//	audit record   0x04 | uint64 big-endian seq -> Prev | canonical | Hash
//	audit head     0x05                         -> uint64 big-endian seq | Hash
//
// The head names the last record written; it is updated in the transaction
// of every record, so that deleting the last records is detected.
const (
	spaceAudit     byte = 0x04
	spaceAuditHead byte = 0x05
)

const auditEncodingV1 byte = 1

var auditHeadKey = []byte{spaceAuditHead}

func auditKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{spaceAudit}, seq)
}

// canonical returns the canonical encoding of r, without Prev and Hash.
func (r *AuditRecord) canonical() []byte {
	fields := r.fields()
	size := 1 + 8 + 8
	for _, f := range fields {
		size += 4 + len(f)
	}
	b := make([]byte, 0, size)
	b = append(b, auditEncodingV1)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixNano()))
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

func (r *AuditRecord) fields() [7]string {
	return [7]string{r.Identity, r.Tenant, r.ClientAddr, r.Operation, r.ObjectID, r.Result, r.Reason}
}

func (r *AuditRecord) fieldPointers() [7]*string {
	return [7]*string{&r.Identity, &r.Tenant, &r.ClientAddr, &r.Operation, &r.ObjectID, &r.Result, &r.Reason}
}

// computeHash returns SHA-256(r.Prev || canonical(r)).
func (r *AuditRecord) computeHash() [32]byte {
	h := sha256.New()
	h.Write(r.Prev[:])
	h.Write(r.canonical())
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// encodeAudit returns the stored value of r: Prev, canonical, Hash.
func encodeAudit(r *AuditRecord) []byte {
	b := append(r.Prev[:len(r.Prev):len(r.Prev)], r.canonical()...)
	return append(b, r.Hash[:]...)
}

var errAuditCorrupt = errors.New("undecodable")

// decodeAudit decodes a stored record value. It checks the structure only,
// not the hash.
func decodeAudit(v []byte) (AuditRecord, error) {
	var r AuditRecord
	if len(v) < 32+1+16+32 || v[32] != auditEncodingV1 {
		return r, errAuditCorrupt
	}
	copy(r.Prev[:], v)
	copy(r.Hash[:], v[len(v)-32:])
	body := v[33 : len(v)-32]
	r.Seq = binary.BigEndian.Uint64(body)
	r.Time = time.Unix(0, int64(binary.BigEndian.Uint64(body[8:]))).UTC()
	body = body[16:]
	for _, f := range r.fieldPointers() {
		if len(body) < 4 {
			return r, errAuditCorrupt
		}
		n := binary.BigEndian.Uint32(body)
		if uint64(len(body)-4) < uint64(n) {
			return r, errAuditCorrupt
		}
		*f = string(body[4 : 4+n])
		body = body[4+n:]
	}
	if len(body) != 0 {
		return r, errAuditCorrupt
	}
	return r, nil
}

func encodeAuditHead(seq uint64, hash [32]byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, seq), hash[:]...)
}

func decodeAuditHead(v []byte) (seq uint64, hash [32]byte, err error) {
	if len(v) != 8+32 {
		return 0, hash, errAuditCorrupt
	}
	copy(hash[:], v[8:])
	return binary.BigEndian.Uint64(v), hash, nil
}

// auditChain is the head of the chain as last committed. mu (the chain
// lock) is held from taking the head until the transaction carrying the
// next record has committed, so that records commit in sequence order; the
// wait for the fsync happens after it is released, so that concurrent
// commits still share one sync.
type auditChain struct {
	mu     sync.Mutex
	loaded bool
	seq    uint64
	hash   [32]byte
}

// load reads the head once. It refuses to continue a chain whose head is
// missing or behind its last record, which would overwrite records: such a
// log must be examined (kmipctl audit verify) before anything is appended.
// A head ahead of the last record (records deleted at the end) is continued
// from, so the gap stays detectable. Called with mu held.
func (c *auditChain) load(db *badger.DB) error {
	if c.loaded {
		return nil
	}
	err := db.View(func(txn *badger.Txn) error {
		var headSeq uint64
		item, err := txn.Get(auditHeadKey)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if headSeq, c.hash, err = decodeAuditHead(v); err != nil {
				return fmt.Errorf("store: audit head %w", err)
			}
		}
		last, err := lastAuditSeq(txn)
		if err != nil {
			return err
		}
		if last > headSeq {
			return fmt.Errorf("store: audit log has record %d beyond its head (%d); verify the log", last, headSeq)
		}
		c.seq = headSeq
		return nil
	})
	if err != nil {
		return err
	}
	c.loaded = true
	return nil
}

// lastAuditSeq returns the key sequence number of the last audit record, or 0.
func lastAuditSeq(txn *badger.Txn) (uint64, error) {
	it := txn.NewIterator(badger.IteratorOptions{Reverse: true, Prefix: []byte{spaceAudit}})
	defer it.Close()
	it.Seek(auditKey(^uint64(0)))
	if !it.Valid() {
		return 0, nil
	}
	k := it.Item().Key()
	if len(k) != 9 {
		return 0, fmt.Errorf("store: audit key of %d bytes", len(k))
	}
	return binary.BigEndian.Uint64(k[1:]), nil
}

// commitAudited runs change in a new read-write transaction and, when rec is
// not nil, writes rec as the next record of the chain in the same
// transaction, then commits; a record naming no object is given objectID.
// On success rec is complete (Seq, Prev, Hash, ObjectID);
// on failure it is unchanged and the head does not move, so a retry takes
// the same sequence number. The commit is not yet synced.
func (b *Badger) commitAudited(change func(txn *badger.Txn) error, rec *AuditRecord, objectID string) error {
	txn := b.db.NewTransaction(true)
	defer txn.Discard()
	if err := change(txn); err != nil {
		return err
	}
	if rec == nil {
		return txn.Commit()
	}

	c := &b.chain
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.load(b.db); err != nil {
		return err
	}
	next := *rec
	next.Seq, next.Prev = c.seq+1, c.hash
	if next.ObjectID == "" {
		next.ObjectID = objectID
	}
	next.Hash = next.computeHash()
	if err := txn.Set(auditKey(next.Seq), encodeAudit(&next)); err != nil {
		return err
	}
	if err := txn.Set(auditHeadKey, encodeAuditHead(next.Seq, next.Hash)); err != nil {
		return err
	}
	if err := txn.Commit(); err != nil {
		return err
	}
	c.seq, c.hash = next.Seq, next.Hash
	*rec = next
	return nil
}

// AppendAudit writes rec as the next record and returns once it is on disk.
// See AuditLog.
func (b *Badger) AppendAudit(ctx context.Context, rec *AuditRecord) error {
	return b.appendAudit(ctx, rec, true)
}

// AppendAuditUnsynced writes rec and returns once it is committed; see
// AuditLog.
func (b *Badger) AppendAuditUnsynced(ctx context.Context, rec *AuditRecord) error {
	return b.appendAudit(ctx, rec, false)
}

// appendAudit commits rec in its own transaction and, when durable, waits
// for the group sync that covers it; otherwise it only schedules one.
func (b *Badger) appendAudit(ctx context.Context, rec *AuditRecord, durable bool) error {
	if rec == nil || rec.Seq != 0 {
		return errors.New("store: append audit: record nil or already written")
	}
	if err := b.enter(ctx); err != nil {
		return err
	}
	defer b.leave()
	noChange := func(*badger.Txn) error { return nil }
	var err error
	for attempt := 1; ; attempt++ {
		err = b.commitAudited(noChange, rec, "")
		if !errors.Is(err, badger.ErrConflict) || attempt == maxConflictRetries {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	if b.syncer == nil {
		return nil
	}
	if !durable {
		go b.syncer.wait(context.Background()) //nolint:errcheck // a failed sync fails the next durable waiter too
		return nil
	}
	return b.syncer.wait(ctx)
}

// AuditRecords calls fn with the records from fromSeq on, in order. See
// AuditLog.
func (b *Badger) AuditRecords(ctx context.Context, fromSeq uint64, fn func(AuditRecord) error) error {
	if err := b.enter(ctx); err != nil {
		return err
	}
	defer b.leave()
	return b.db.View(func(txn *badger.Txn) error {
		return eachAudit(ctx, txn, fromSeq, func(keySeq uint64, r AuditRecord, err error) error {
			if err != nil {
				return &ChainError{Seq: keySeq, Problem: err.Error()}
			}
			return fn(r)
		})
	})
}

// eachAudit calls fn with each stored record from fromSeq on, in key order,
// with the sequence number of its key and its decoding error.
func eachAudit(ctx context.Context, txn *badger.Txn, fromSeq uint64, fn func(keySeq uint64, r AuditRecord, err error) error) error {
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: []byte{spaceAudit}})
	defer it.Close()
	for it.Seek(auditKey(fromSeq)); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		item := it.Item()
		k := item.Key()
		if len(k) != 9 {
			return &ChainError{Problem: fmt.Sprintf("audit key of %d bytes", len(k))}
		}
		var r AuditRecord
		err := item.Value(func(v []byte) error {
			var err error
			r, err = decodeAudit(v)
			return err
		})
		if err != nil && !errors.Is(err, errAuditCorrupt) {
			return err
		}
		if err := fn(binary.BigEndian.Uint64(k[1:]), r, err); err != nil {
			return err
		}
	}
	return nil
}

// VerifyAudit checks the whole chain from one snapshot. See AuditLog.
//
// Record by record, in key order, it checks that the record decodes and
// carries its key's sequence number (else: edited, or moved under another
// key), that its hash matches its content (else: edited), that it follows
// the previous record without a gap (else: deleted), and that its Prev is
// the previous record's Hash (else: replaced or reordered). Finally the head
// must name the last record (else: the last records were deleted or
// replaced). Deleting the head together with the last records cannot be
// told from a shorter log by the log alone; an exported copy (kmipctl audit
// export) anchors it.
func (b *Badger) VerifyAudit(ctx context.Context) (int, error) {
	if err := b.enter(ctx); err != nil {
		return 0, err
	}
	defer b.leave()
	n := 0
	err := b.db.View(func(txn *badger.Txn) error {
		var c chainVerifier
		err := eachAudit(ctx, txn, 0, c.check)
		n = c.n
		if err != nil {
			return err
		}
		return verifyAuditHead(txn, c.prev)
	})
	if ce := (*ChainError)(nil); errors.As(err, &ce) && ce.Seq > 0 {
		n = min(n, int(ce.Seq-1)) // the records before the broken one are intact
	}
	return n, err
}

// chainVerifier checks audit records handed to it in key order, as they
// are stored: each one intact, numbered densely from 1, chained to the one
// before. Every store verifies its trail with it.
type chainVerifier struct {
	prev AuditRecord // the last intact record; zero before record 1
	n    int         // intact records so far
}

// check checks the record stored under keySeq (err: it did not decode).
func (c *chainVerifier) check(keySeq uint64, r AuditRecord, err error) error {
	switch {
	case err != nil:
		return &ChainError{Seq: keySeq, Problem: "undecodable (edited)"}
	case r.Seq != keySeq:
		return &ChainError{Seq: keySeq, Problem: fmt.Sprintf("holds record %d (moved or reordered)", r.Seq)}
	case r.computeHash() != r.Hash:
		return &ChainError{Seq: keySeq, Problem: "hash does not match its content (edited)"}
	case r.Seq != c.prev.Seq+1:
		return &ChainError{Seq: c.prev.Seq + 1, Problem: missing(c.prev.Seq+1, r.Seq-1, "deleted")}
	case r.Prev != c.prev.Hash:
		return &ChainError{Seq: r.Seq, Problem: fmt.Sprintf("previous hash does not match record %d (replaced or reordered)", c.prev.Seq)}
	}
	c.prev = r
	c.n++
	return nil
}

// checkHead checks that the head (seq, hash) names last, the last record.
func checkHead(seq uint64, hash [32]byte, last AuditRecord) error {
	switch {
	case seq > last.Seq:
		return &ChainError{Seq: last.Seq + 1, Problem: missing(last.Seq+1, seq, "truncated")}
	case seq < last.Seq:
		return &ChainError{Seq: seq + 1, Problem: fmt.Sprintf("beyond the head, which names record %d (appended outside the chain)", seq)}
	case hash != last.Hash:
		return &ChainError{Seq: last.Seq, Problem: "hash does not match the head (replaced)"}
	}
	return nil
}

// missing describes absent records first..last.
func missing(first, last uint64, cause string) string {
	if first == last {
		return "missing (" + cause + ")"
	}
	return fmt.Sprintf("missing: records %d to %d are absent (%s)", first, last, cause)
}

// verifyAuditHead checks that the head names last, the last record.
func verifyAuditHead(txn *badger.Txn, last AuditRecord) error {
	item, err := txn.Get(auditHeadKey)
	if errors.Is(err, badger.ErrKeyNotFound) {
		if last.Seq == 0 {
			return nil // empty log
		}
		return &ChainError{Seq: last.Seq, Problem: "the head is missing (deleted)"}
	}
	if err != nil {
		return err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return err
	}
	seq, hash, err := decodeAuditHead(v)
	if err != nil {
		return &ChainError{Seq: last.Seq, Problem: "the head is undecodable (edited)"}
	}
	return checkHead(seq, hash, last)
}
