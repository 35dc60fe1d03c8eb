package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Store on a PostgreSQL database, for a cluster: any number
// of kmipd nodes share one database, and every node sees what another
// committed by its next request (no cache).
//
// Tables (schema.go has their definitions and migrations):
//
//	objects (id, owner, attributes, material)   one row per object
//	terms   (owner, name, value, id)            the Locate index
//	pending (id, deadline, attributes, material) destructions within grace
//	audit   (seq, record)                       the audit trail
//	audit_head (seq, hash)                      one row: the chain's end
//	keyslots (slot, gen, sealed)                the nodes' key slots (PGKeySlots)
//
// Concurrency: a change of one object locks its row (SELECT ... FOR
// UPDATE) for its transaction, so changes of an object are serialised
// across nodes and a function passed to Update sees the latest committed
// version. A change with an audit record also locks the audit_head row: the
// chain is one sequence for the whole cluster, in commit order, and a
// change and its record commit together. Transactions that fail on a
// serialization failure or deadlock are retried.
//
// Durability: PostgreSQL's commit waits for its WAL flush (and, with a
// synchronous standby, for the standby), so a method that returns nil has
// its change on disk. AppendAuditUnsynced commits with synchronous_commit
// off.
type Postgres struct {
	pool *pgxpool.Pool

	closeMu sync.RWMutex
	closed  bool
}

var _ Store = (*Postgres)(nil)

// OpenPostgres connects to the database of dsn (a PostgreSQL URL or
// key=value string; several hosts with target_session_attrs=read-write
// follow a failover) and applies the schema migrations it lacks, under an
// advisory lock so that nodes starting together apply them once.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Postgres{pool: pool}, nil
}

// Close closes the connections after the operations in progress.
func (p *Postgres) Close() error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.closed = true
	p.pool.Close()
	return nil
}

// enter starts an operation: it fails after Close or when ctx is done.
func (p *Postgres) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.closeMu.RLock()
	if p.closed {
		p.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (p *Postgres) leave() { p.closeMu.RUnlock() }

// maxTxRetries bounds the retries of a transaction that failed on a
// serialization failure or a deadlock.
const maxTxRetries = 20

// retryable reports whether err is a transient conflict between
// transactions: serialization_failure or deadlock_detected.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// inTx runs fn in a transaction and commits it, retrying on a conflict.
// rec, when not nil and not yet written, is appended to the audit chain in
// the same transaction, its ObjectID defaulting to objectID.
func (p *Postgres) inTx(ctx context.Context, rec *AuditRecord, objectID string, fn func(tx pgx.Tx) error) error {
	if err := p.enter(ctx); err != nil {
		return err
	}
	defer p.leave()
	for attempt := 1; ; attempt++ {
		written, err := p.tryTx(ctx, rec, objectID, fn)
		if err == nil {
			if written != nil {
				*rec = *written
			}
			return nil
		}
		if !retryable(err) || attempt == maxTxRetries {
			return err
		}
	}
}

// tryTx is one attempt of inTx; it returns the audit record as written.
func (p *Postgres) tryTx(ctx context.Context, rec *AuditRecord, objectID string, fn func(tx pgx.Tx) error) (*AuditRecord, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit, a no-op
	if err := fn(tx); err != nil {
		return nil, err
	}
	var written *AuditRecord
	if rec != nil && rec.Seq == 0 {
		if written, err = appendAuditTx(ctx, tx, rec, objectID); err != nil {
			return nil, err
		}
	}
	return written, tx.Commit(ctx)
}

// Get returns object id, or ErrNotFound.
func (p *Postgres) Get(ctx context.Context, id string) (*Object, error) {
	if err := p.enter(ctx); err != nil {
		return nil, err
	}
	defer p.leave()
	return readObjectPG(ctx, p.pool, id, false)
}

// querier is what pgxpool.Pool and pgx.Tx share.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// readObjectPG reads object id and its terms; forUpdate locks its row.
func readObjectPG(ctx context.Context, q querier, id string, forUpdate bool) (*Object, error) {
	sql := `SELECT owner, attributes, material FROM objects WHERE id = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	obj := &Object{ID: id}
	var owner []byte
	err := q.QueryRow(ctx, sql, []byte(id)).Scan(&owner, &obj.Attributes, &obj.Material)
	obj.Owner = string(owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if obj.Attributes == nil {
		obj.Attributes = []byte{}
	}
	rows, err := q.Query(ctx, `SELECT name, value FROM terms WHERE id = $1 ORDER BY ord`, []byte(id))
	if err != nil {
		return nil, err
	}
	obj.Terms, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Term, error) {
		var name []byte
		var t Term
		err := r.Scan(&name, &t.Value)
		t.Name = string(name)
		return t, err
	})
	if err != nil {
		return nil, err
	}
	if len(obj.Terms) == 0 {
		obj.Terms = nil
	}
	return obj, nil
}

// writeTermsPG replaces the index entries of obj.
func writeTermsPG(ctx context.Context, tx pgx.Tx, obj *Object) error {
	if _, err := tx.Exec(ctx, `DELETE FROM terms WHERE id = $1`, []byte(obj.ID)); err != nil {
		return err
	}
	if len(obj.Terms) == 0 {
		return nil
	}
	rows := make([][]any, len(obj.Terms))
	for i, t := range obj.Terms {
		rows[i] = []any{[]byte(obj.Owner), []byte(t.Name), nonNil(t.Value), []byte(obj.ID), i}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"terms"}, []string{"owner", "name", "value", "id", "ord"}, pgx.CopyFromRows(rows))
	return err
}

// nonNil returns b, or an empty slice for nil: bytea columns are NOT NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Create stores a new object; ErrExists when obj.ID is taken.
func (p *Postgres) Create(ctx context.Context, audit *AuditRecord, obj *Object) error {
	if obj == nil || obj.ID == "" {
		return errors.New("store: create: object without ID")
	}
	return p.inTx(ctx, audit, obj.ID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO objects (id, owner, attributes, material) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
			[]byte(obj.ID), []byte(obj.Owner), nonNil(obj.Attributes), obj.Material)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrExists
		}
		return writeTermsPG(ctx, tx, obj)
	})
}

// Update changes object id under its row lock.
func (p *Postgres) Update(ctx context.Context, audit *AuditRecord, id string, fn func(obj *Object) error) error {
	return p.inTx(ctx, audit, id, func(tx pgx.Tx) error {
		obj, err := readObjectPG(ctx, tx, id, true)
		if err != nil {
			return err
		}
		owner := obj.Owner
		if err := fn(obj); err != nil {
			return err
		}
		if obj.ID != id || obj.Owner != owner {
			return errors.New("store: update: ID and Owner cannot be changed")
		}
		return writeObjectPG(ctx, tx, obj)
	})
}

// writeObjectPG stores obj's columns and terms over its existing row.
func writeObjectPG(ctx context.Context, tx pgx.Tx, obj *Object) error {
	if _, err := tx.Exec(ctx, `UPDATE objects SET owner = $2, attributes = $3, material = $4 WHERE id = $1`,
		[]byte(obj.ID), []byte(obj.Owner), nonNil(obj.Attributes), obj.Material); err != nil {
		return err
	}
	return writeTermsPG(ctx, tx, obj)
}

// Delete removes object id and its index entries.
func (p *Postgres) Delete(ctx context.Context, audit *AuditRecord, id string) error {
	return p.inTx(ctx, audit, id, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM objects WHERE id = $1`, []byte(id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM terms WHERE id = $1`, []byte(id))
		return err
	})
}

// ChangeOwner moves object id from owner from to owner to.
func (p *Postgres) ChangeOwner(ctx context.Context, audit *AuditRecord, id, from, to string, fn func(obj *Object) error) error {
	if from == to {
		return errors.New("store: change owner: from and to are the same")
	}
	unchanged := errors.New("unchanged")
	err := p.inTx(ctx, audit, id, func(tx pgx.Tx) error {
		obj, err := readObjectPG(ctx, tx, id, true)
		if err != nil {
			return err
		}
		switch obj.Owner {
		case to:
			return unchanged // nothing written, the record neither
		case from:
		default:
			return ErrNotFound
		}
		obj.Owner = to
		if fn != nil {
			if err := fn(obj); err != nil {
				return err
			}
		}
		if obj.ID != id || obj.Owner != to {
			return errors.New("store: change owner: the function changed ID or Owner")
		}
		return writeObjectPG(ctx, tx, obj)
	})
	if errors.Is(err, unchanged) {
		return nil
	}
	return err
}

// Find returns the IDs of q.Owner's objects having every term of q.Terms,
// newest first. The planner drives the search from the most selective
// term's index entries (the terms primary key), as the Badger store does.
func (p *Postgres) Find(ctx context.Context, q Query) ([]string, int, error) {
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, errors.New("store: find: negative offset or limit")
	}
	if err := p.enter(ctx); err != nil {
		return nil, 0, err
	}
	defer p.leave()
	args := []any{[]byte(q.Owner)}
	sql := `SELECT o.id, count(*) OVER () FROM objects o WHERE o.owner = $1`
	for _, t := range q.Terms {
		args = append(args, []byte(t.Name), nonNil(t.Value))
		sql += fmt.Sprintf(` AND EXISTS (SELECT 1 FROM terms t WHERE t.owner = $1 AND t.name = $%d AND t.value = $%d AND t.id = o.id)`, len(args)-1, len(args))
	}
	sql += ` ORDER BY o.id DESC`
	if q.Offset > 0 {
		args = append(args, q.Offset)
		sql += fmt.Sprintf(` OFFSET $%d`, len(args))
	}
	if q.Limit > 0 {
		args = append(args, q.Limit)
		sql += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := p.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, err
	}
	var ids []string
	total := 0
	for rows.Next() {
		var id []byte
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids, total = append(ids, string(id)), int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(ids) == 0 && q.Offset > 0 {
		// The page is past the end: the window gave no count.
		if total, err = p.count(ctx, q); err != nil {
			return nil, 0, err
		}
	}
	return ids, total, nil
}

// count returns the number of matches of q.
func (p *Postgres) count(ctx context.Context, q Query) (int, error) {
	q.Offset, q.Limit = 0, 0
	args := []any{[]byte(q.Owner)}
	sql := `SELECT count(*) FROM objects o WHERE o.owner = $1`
	for _, t := range q.Terms {
		args = append(args, []byte(t.Name), nonNil(t.Value))
		sql += fmt.Sprintf(` AND EXISTS (SELECT 1 FROM terms t WHERE t.owner = $1 AND t.name = $%d AND t.value = $%d AND t.id = o.id)`, len(args)-1, len(args))
	}
	var n int64
	err := p.pool.QueryRow(ctx, sql, args...).Scan(&n)
	return int(n), err
}

// objectPageSize is how many objects ForEachObject reads per query.
const objectPageSize = 256

// ForEachObject calls fn with every object in ID order, a page at a time.
func (p *Postgres) ForEachObject(ctx context.Context, fn func(obj *Object) error) error {
	after := ""
	for {
		page, err := p.objectPage(ctx, after)
		if err != nil {
			return err
		}
		for _, obj := range page {
			if err := fn(obj); err != nil {
				return err
			}
		}
		if len(page) < objectPageSize {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// objectPage reads the objects after ID after, with their terms.
func (p *Postgres) objectPage(ctx context.Context, after string) ([]*Object, error) {
	if err := p.enter(ctx); err != nil {
		return nil, err
	}
	defer p.leave()
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	rows, err := tx.Query(ctx, `SELECT id FROM objects WHERE id > $1 ORDER BY id LIMIT $2`, []byte(after), objectPageSize)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, rowToString)
	if err != nil {
		return nil, err
	}
	page := make([]*Object, 0, len(ids))
	for _, id := range ids {
		obj, err := readObjectPG(ctx, tx, id, false)
		if err != nil {
			return nil, err
		}
		page = append(page, obj)
	}
	return page, nil
}

// rowToString scans a one-column bytea row as a string.
func rowToString(r pgx.CollectableRow) (string, error) {
	var b []byte
	err := r.Scan(&b)
	return string(b), err
}
