package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// PutPending stores pd, replacing any pending record of pd.ID.
func (p *Postgres) PutPending(ctx context.Context, pd *Pending) error {
	return p.inTx(ctx, nil, pd.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO pending (id, deadline, attributes, material) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET deadline = EXCLUDED.deadline, attributes = EXCLUDED.attributes, material = EXCLUDED.material`,
			[]byte(pd.ID), pd.Deadline.UnixNano(), nonNil(pd.Attributes), nonNil(pd.Material))
		return err
	})
}

// readPendingPG reads the pending record of id under a row lock.
func readPendingPG(ctx context.Context, tx pgx.Tx, id string) (*Pending, error) {
	pd := &Pending{ID: id}
	var deadline int64
	err := tx.QueryRow(ctx, `SELECT deadline, attributes, material FROM pending WHERE id = $1 FOR UPDATE`, []byte(id)).
		Scan(&deadline, &pd.Attributes, &pd.Material)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	pd.Deadline = time.Unix(0, deadline).UTC()
	return pd, err
}

// UpdatePending changes or deletes the pending record of id.
func (p *Postgres) UpdatePending(ctx context.Context, audit *AuditRecord, id string, fn func(pd **Pending) error) error {
	return p.inTx(ctx, audit, id, func(tx pgx.Tx) error {
		pd, err := readPendingPG(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(&pd); err != nil {
			return err
		}
		if pd == nil {
			_, err = tx.Exec(ctx, `DELETE FROM pending WHERE id = $1`, []byte(id))
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE pending SET deadline = $2, attributes = $3, material = $4 WHERE id = $1`,
			[]byte(id), pd.Deadline.UnixNano(), nonNil(pd.Attributes), nonNil(pd.Material))
		return err
	})
}

// RestorePending undoes a destruction in one transaction.
func (p *Postgres) RestorePending(ctx context.Context, audit *AuditRecord, id string, fn func(obj *Object, pd *Pending) error) error {
	return p.inTx(ctx, audit, id, func(tx pgx.Tx) error {
		obj, err := readObjectPG(ctx, tx, id, true)
		if err != nil {
			return err
		}
		pd, err := readPendingPG(ctx, tx, id)
		if err != nil {
			return err
		}
		owner := obj.Owner
		if err := fn(obj, pd); err != nil {
			return err
		}
		if obj.ID != id || obj.Owner != owner {
			return errors.New("store: restore pending: the function changed ID or Owner")
		}
		if err := writeObjectPG(ctx, tx, obj); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM pending WHERE id = $1`, []byte(id))
		return err
	})
}

// ForEachPending calls fn with every pending record in ID order, read in
// one snapshot before the first call.
func (p *Postgres) ForEachPending(ctx context.Context, fn func(pd *Pending) error) error {
	if err := p.enter(ctx); err != nil {
		return err
	}
	rows, err := p.pool.Query(ctx, `SELECT id, deadline, attributes, material FROM pending ORDER BY id`)
	var all []*Pending
	if err == nil {
		all, err = pgx.CollectRows(rows, scanPending)
	}
	p.leave()
	if err != nil {
		return err
	}
	for _, pd := range all {
		if err := fn(pd); err != nil {
			return err
		}
	}
	return nil
}

// scanPending scans a row of (id, deadline, attributes, material).
func scanPending(r pgx.CollectableRow) (*Pending, error) {
	pd := &Pending{}
	var id []byte
	var deadline int64
	err := r.Scan(&id, &deadline, &pd.Attributes, &pd.Material)
	pd.ID = string(id)
	pd.Deadline = time.Unix(0, deadline).UTC()
	return pd, err
}
