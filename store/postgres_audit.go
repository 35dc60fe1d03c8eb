package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The audit trail on PostgreSQL is one chain for the whole cluster: every
// record is appended under the row lock of audit_head, in the transaction
// of the change it records, so records are numbered densely in commit order
// whichever node wrote them, and kmipctl audit verify checks the cluster's
// trail while nodes run.

// appendAuditTx appends rec to the chain in tx and returns it as written
// (Seq, Prev, Hash filled in; ObjectID defaulting to objectID). rec itself
// is not changed: the caller takes the written record once tx commits.
func appendAuditTx(ctx context.Context, tx pgx.Tx, rec *AuditRecord, objectID string) (*AuditRecord, error) {
	var seq int64
	var hash []byte
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head FOR UPDATE`).Scan(&seq, &hash); err != nil {
		return nil, fmt.Errorf("store: audit head: %w", err)
	}
	if len(hash) != 32 {
		return nil, errors.New("store: audit head: malformed hash")
	}
	next := *rec
	next.Seq = uint64(seq) + 1
	copy(next.Prev[:], hash)
	if next.ObjectID == "" {
		next.ObjectID = objectID
	}
	next.Hash = next.computeHash()
	if _, err := tx.Exec(ctx, `INSERT INTO audit (seq, record) VALUES ($1, $2)`, int64(next.Seq), encodeAudit(&next)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2`, int64(next.Seq), next.Hash[:]); err != nil {
		return nil, err
	}
	return &next, nil
}

// AppendAudit writes rec as the next record, durably.
func (p *Postgres) AppendAudit(ctx context.Context, rec *AuditRecord) error {
	return p.appendAudit(ctx, rec, true)
}

// AppendAuditUnsynced writes rec as the next record; its commit does not
// wait for the WAL flush (synchronous_commit off for that transaction).
func (p *Postgres) AppendAuditUnsynced(ctx context.Context, rec *AuditRecord) error {
	return p.appendAudit(ctx, rec, false)
}

func (p *Postgres) appendAudit(ctx context.Context, rec *AuditRecord, durable bool) error {
	if rec == nil || rec.Seq != 0 {
		return errors.New("store: append audit: record nil or already written")
	}
	err := p.inTx(ctx, rec, "", func(tx pgx.Tx) error {
		if durable {
			return nil
		}
		_, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// AuditRecords calls fn with every record from fromSeq on, up to the head
// read at the start (records never change once written, so the pages form
// one consistent view), outside any transaction.
func (p *Postgres) AuditRecords(ctx context.Context, fromSeq uint64, fn func(AuditRecord) error) error {
	if err := p.enter(ctx); err != nil {
		return err
	}
	head, _, err := readAuditHead(ctx, p.pool)
	p.leave()
	if err != nil {
		return err
	}
	for from := max(fromSeq, 1); from <= head; {
		if err := p.enter(ctx); err != nil {
			return err
		}
		page, err := auditPage(ctx, p.pool, from, head)
		p.leave()
		if err != nil || len(page) == 0 {
			return err
		}
		for _, e := range page {
			r, err := decodeAudit(e.record)
			if err != nil {
				return &ChainError{Seq: e.seq, Problem: err.Error()}
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		from = page[len(page)-1].seq + 1
	}
	return nil
}

// storedAudit is one row of the audit table.
type storedAudit struct {
	seq    uint64
	record []byte
}

// auditPageSize is how many records are read per query.
const auditPageSize = 1024

// auditPage reads the records from seq from to seq end.
func auditPage(ctx context.Context, q querier, from, end uint64) ([]storedAudit, error) {
	rows, err := q.Query(ctx, `SELECT seq, record FROM audit WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
		int64(from), int64(end), auditPageSize)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storedAudit, error) {
		var e storedAudit
		var seq int64
		err := r.Scan(&seq, &e.record)
		e.seq = uint64(seq)
		return e, err
	})
}

// readAuditHead reads the head row.
func readAuditHead(ctx context.Context, q querier) (uint64, [32]byte, error) {
	var hash [32]byte
	var seq int64
	var h []byte
	err := q.QueryRow(ctx, `SELECT seq, hash FROM audit_head`).Scan(&seq, &h)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, hash, &ChainError{Seq: 1, Problem: "the head is missing (deleted)"}
	}
	if err != nil {
		return 0, hash, err
	}
	if len(h) != 32 {
		return 0, hash, &ChainError{Seq: uint64(seq), Problem: "the head is undecodable (edited)"}
	}
	copy(hash[:], h)
	return uint64(seq), hash, nil
}

// AuditHead returns the Seq of the last record committed.
func (p *Postgres) AuditHead(ctx context.Context) (uint64, error) {
	if err := p.enter(ctx); err != nil {
		return 0, err
	}
	defer p.leave()
	seq, _, err := readAuditHead(ctx, p.pool)
	return seq, err
}

// VerifyAudit checks the whole chain of the cluster, from one snapshot, so
// that it runs while nodes append.
func (p *Postgres) VerifyAudit(ctx context.Context) (int, error) {
	if err := p.enter(ctx); err != nil {
		return 0, err
	}
	defer p.leave()
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	var c chainVerifier
	err = verifyChainTx(ctx, tx, &c)
	n := c.n
	if ce := (*ChainError)(nil); errors.As(err, &ce) && ce.Seq > 0 {
		n = min(n, int(ce.Seq-1)) // the records before the broken one are intact
	}
	return n, err
}

// verifyChainTx checks every stored record, those beyond the head too, and
// then the head.
func verifyChainTx(ctx context.Context, tx pgx.Tx, c *chainVerifier) error {
	head, hash, err := readAuditHead(ctx, tx)
	if err != nil {
		return err
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM audit`).Scan(&last); err != nil {
		return err
	}
	end := max(head, uint64(last))
	for from := uint64(0); from <= end; {
		page, err := auditPage(ctx, tx, from, end)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if err := ctx.Err(); err != nil {
				return err
			}
			r, derr := decodeAudit(e.record)
			if err := c.check(e.seq, r, derr); err != nil {
				return err
			}
		}
		from = page[len(page)-1].seq + 1
	}
	return checkHead(head, hash, c.prev)
}
