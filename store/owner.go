package store

import (
	"context"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

var _ OwnerChanger = (*Badger)(nil)

// OwnerChanger moves objects from one owner to another: for example, when an
// authorization policy places an identity that owns objects in a tenant, the
// tenant adopts them. It is separate from Store, whose Update keeps ID and
// Owner fixed, so that a Store need not offer it.
//
// All methods are safe for concurrent use.
type OwnerChanger interface {
	// ChangeOwner moves object id from owner from to owner to in one
	// transaction: its record and every index entry of it, so that Get and
	// Find see it under to only. fn, when not nil, is called with a copy of
	// the object, its Owner already to, and may change its Attributes,
	// Material and Terms as Update's function does; it must not change ID
	// or Owner, and may be called more than once. An audit record attached
	// to ctx with WithAudit is written in the same transaction.
	//
	// When the object is already owned by to, ChangeOwner writes nothing
	// (neither the change nor the audit record, whose Seq stays 0) and
	// returns nil: a repeated call is a no-op. It fails with ErrNotFound
	// when id does not exist or is owned by neither from nor to, and with
	// fn's error; then nothing is written.
	ChangeOwner(ctx context.Context, id, from, to string, fn func(obj *Object) error) error
}

// errAlreadyOwned stops the transaction of a ChangeOwner that has nothing to
// do; ChangeOwner reports it as success.
var errAlreadyOwned = errors.New("store: object already owned by the target")

// ChangeOwner moves object id from owner from to owner to. See
// OwnerChanger.
//
// The owner is part of every index key of an object (keys.go), so the move
// deletes the object's owner and term index entries under from and writes
// them under to, with the record, in one transaction under id's lock. The
// store enforces no uniqueness but that of IDs, which the move keeps: two
// objects of to may share a Name, their index keys differ by ID. A pending
// destruction (pending.go) is keyed by ID alone and stays with the object.
func (b *Badger) ChangeOwner(ctx context.Context, id, from, to string, fn func(obj *Object) error) error {
	if from == to {
		return errors.New("store: change owner: from and to are the same owner")
	}
	err := b.mutate(ctx, id, func(txn *badger.Txn) error {
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
