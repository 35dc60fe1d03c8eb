package handlers

import (
	"context"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// ObjectKind is an Object Type and a State, the key of CountObjects.
type ObjectKind struct {
	Type  kmip.ObjectType
	State kmip.State
}

// CountObjects returns how many stored objects there are of each Object
// Type and State, every tenant together. It reads the whole store, a page
// at a time (see store.Store.ForEachObject), decoding each object's
// attributes: a pass for a background task, not for a request. Objects
// created or changed during the walk may or may not be counted as they are
// at its end. It fails on the first object that does not decode.
func CountObjects(ctx context.Context, db store.Store) (map[ObjectKind]int, error) {
	counts := map[ObjectKind]int{}
	err := db.ForEachObject(ctx, func(obj *store.Object) error {
		attrs, err := kmip.UnmarshalAttributes(obj.Attributes)
		if err != nil {
			return err
		}
		counts[ObjectKind{Type: objectTypeOf(attrs), State: stateOf(attrs)}]++
		return nil
	})
	return counts, err
}
