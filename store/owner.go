package store

import (
	"context"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// errAlreadyOwned stops the transaction of a ChangeOwner that has nothing to
// do; ChangeOwner reports it as success.
var errAlreadyOwned = errors.New("store: object already owned by the target")

// ChangeOwner moves object id from owner from to owner to. See
// Store.ChangeOwner.
//
// The owner is part of every index key of an object (keys.go), so the move
// deletes the object's owner and term index entries under from and writes
// them under to, with the record, in one transaction under id's lock. The
// store enforces no uniqueness but that of IDs, which the move keeps: two
// objects of to may share a Name, their index keys differ by ID. A pending
// destruction (pending.go) is keyed by ID alone and stays with the object.
func (b *Badger) ChangeOwner(ctx context.Context, audit *AuditRecord, id, from, to string, fn func(obj *Object) error) error {
	if from == to {
		return errors.New("store: change owner: from and to are the same owner")
	}
	err := b.mutate(ctx, audit, id, func(txn *badger.Txn) error {
		old, err := readObject(txn, id)
		if err != nil {
			return err
		}
		switch old.Owner {
		case from:
		case to:
			return errAlreadyOwned
		default:
			return ErrNotFound
		}
		obj, err := decodeRecordCopy(old)
		if err != nil {
			return err
		}
		obj.Owner = to
		if fn != nil {
			if err := fn(obj); err != nil {
				return err
			}
			if obj.ID != id || obj.Owner != to {
				return errors.New("store: change owner: ID and Owner cannot be changed by fn")
			}
		}
		if err := deleteIndexes(txn, old); err != nil {
			return err
		}
		return writeObject(txn, obj)
	})
	if errors.Is(err, errAlreadyOwned) {
		return nil
	}
	return err
}
