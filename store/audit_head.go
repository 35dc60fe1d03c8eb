package store

import (
	"context"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// AuditHead returns the sequence number of the last audit record committed,
// which is the number of records the trail has held (records are numbered
// from 1), or 0 for an empty trail. It reads one key and is cheap enough
// for a metrics gauge. It returns ErrClosed after Close and an error if the
// head is malformed.
func (b *Badger) AuditHead(ctx context.Context) (uint64, error) {
	if err := b.enter(ctx); err != nil {
		return 0, err
	}
	defer b.leave()
	var seq uint64
	err := b.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(auditHeadKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			seq, _, err = decodeAuditHead(v)
			return err
		})
	})
	return seq, err
}
