package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dgraph-io/badger/v4"
	"github.com/jackc/pgx/v5"
)

// Backups of the PostgreSQL store have the format of the Badger store's
// (backup.go): the content of one snapshot of the database is loaded into a
// temporary Badger store, whose backup is written. So one file format and
// one restore path serve both, and a backup of either restores into either
// (Restore into a directory, RestorePostgres into a database). The
// temporary store holds only what the database holds: sealed material.

// backupPageSize is how many objects a backup copies per query.
const backupPageSize = 512

// BackupWith writes an encrypted, authenticated backup of the database,
// from one REPEATABLE READ snapshot, followed by att's content.
func (p *Postgres) BackupWith(ctx context.Context, w io.Writer, s Sealer, att Attachment) error {
	if err := p.enter(ctx); err != nil {
		return err
	}
	defer p.leave()
	dir, err := os.MkdirTemp("", "kmipd-pg-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, err := OpenBadger(dir, Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	if err := copySnapshot(ctx, tx, b.db); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return b.BackupWith(ctx, w, s, att)
}

// copySnapshot writes the objects, pending destructions and audit trail of
// tx's snapshot into db, in Badger's key layout.
func copySnapshot(ctx context.Context, tx pgx.Tx, db *badger.DB) error {
	after := ""
	for {
		rows, err := tx.Query(ctx, `SELECT id FROM objects WHERE id > $1 ORDER BY id LIMIT $2`, []byte(after), backupPageSize)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, rowToString)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			break
		}
		err = db.Update(func(txn *badger.Txn) error {
			for _, id := range ids {
				obj, err := readObjectPG(ctx, tx, id, false)
				if err != nil {
					return err
				}
				if err := writeObject(txn, obj); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
	rows, err := tx.Query(ctx, `SELECT id, deadline, attributes, material FROM pending ORDER BY id`)
	if err != nil {
		return err
	}
	pending, err := pgx.CollectRows(rows, scanPending)
	if err != nil {
		return err
	}
	for _, pd := range pending {
		if err := db.Update(func(txn *badger.Txn) error { return txn.Set(pendingKey(pd.ID), encodePending(pd)) }); err != nil {
			return err
		}
	}
	head, hash, err := readAuditHead(ctx, tx)
	if err != nil {
		return err
	}
	for from := uint64(1); from <= head; {
		page, err := auditPage(ctx, tx, from, head)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		err = db.Update(func(txn *badger.Txn) error {
			for _, e := range page {
				if err := txn.Set(auditKey(e.seq), e.record); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		from = page[len(page)-1].seq + 1
	}
	return db.Update(func(txn *badger.Txn) error { return txn.Set(auditHeadKey, encodeAuditHead(head, hash)) })
}

// RestorePostgres loads a backup (of either store) into the database of
// dsn, which must be empty: no object, no pending destruction, no audit
// record. stage, when not nil, receives the backup's attachment as
// RestoreWith's does. The content is written in one transaction: on any
// error the database stays empty.
func RestorePostgres(ctx context.Context, dsn string, r io.Reader, s Sealer, stage StageFunc) error {
	dir, err := os.MkdirTemp("", "kmipd-pg-restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := RestoreWith(dir+"/db", r, s, stage); err != nil {
		return err
	}
	b, err := OpenBadger(dir+"/db", Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	p, err := OpenPostgres(ctx, dsn)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.inTx(ctx, nil, "", func(tx pgx.Tx) error {
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM objects) OR EXISTS (SELECT 1 FROM pending) OR (SELECT seq FROM audit_head) > 0`).Scan(&used); err != nil {
			return err
		}
		if used {
			return errors.New("store: restore: the database is not empty")
		}
		err := b.ForEachObject(ctx, func(obj *Object) error {
			if _, err := tx.Exec(ctx, `INSERT INTO objects (id, owner, attributes, material) VALUES ($1, $2, $3, $4)`,
				[]byte(obj.ID), []byte(obj.Owner), nonNil(obj.Attributes), obj.Material); err != nil {
				return err
			}
			return writeTermsPG(ctx, tx, obj)
		})
		if err != nil {
			return err
		}
		err = b.ForEachPending(ctx, func(pd *Pending) error {
			_, err := tx.Exec(ctx, `INSERT INTO pending (id, deadline, attributes, material) VALUES ($1, $2, $3, $4)`,
				[]byte(pd.ID), pd.Deadline.UnixNano(), nonNil(pd.Attributes), nonNil(pd.Material))
			return err
		})
		if err != nil {
			return err
		}
		var last AuditRecord
		err = b.AuditRecords(ctx, 1, func(rec AuditRecord) error {
			last = rec
			_, err := tx.Exec(ctx, `INSERT INTO audit (seq, record) VALUES ($1, $2)`, int64(rec.Seq), encodeAudit(&rec))
			return err
		})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2`, int64(last.Seq), last.Hash[:])
		return err
	})
}
