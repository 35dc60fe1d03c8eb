package store

import (
	"context"

	"github.com/dgraph-io/badger/v4"
)

// forEachPage is how many objects ForEachObject reads per read transaction.
const forEachPage = 256

// ForEachObject calls fn with every object in the store, in ID order, and
// stops at fn's first error, which it returns. The objects are read in
// pages, each from its own snapshot, and fn is called outside any
// transaction, so fn may change the store (Update, Delete); an object
// created during the walk may or may not be seen. It is meant for
// administrative passes over the whole store, such as re-sealing every
// object under a new key-encryption key.
func (b *Badger) ForEachObject(ctx context.Context, fn func(obj *Object) error) error {
	after := []byte{spaceObject}
	for {
		page, err := b.objectPage(ctx, after)
		if err != nil {
			return err
		}
		for _, obj := range page {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(obj); err != nil {
				return err
			}
		}
		if len(page) < forEachPage {
			return nil
		}
		after = append(objectKey(page[len(page)-1].ID), 0) // the next key after the last
	}
}

// objectPage reads up to forEachPage objects whose keys are at least from.
func (b *Badger) objectPage(ctx context.Context, from []byte) ([]*Object, error) {
	if err := b.enter(ctx); err != nil {
		return nil, err
	}
	defer b.leave()
	var page []*Object
	err := b.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{spaceObject}})
		defer it.Close()
		for it.Seek(from); it.Valid() && len(page) < forEachPage; it.Next() {
			item := it.Item()
			id := string(item.Key()[1:])
			err := item.Value(func(v []byte) error {
				obj, err := decodeRecord(id, v)
				if err == nil {
					page = append(page, obj)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return page, err
}
