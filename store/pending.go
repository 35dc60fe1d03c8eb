package store

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Pending is the sealed material of an object destroyed within a grace
// period, kept apart from the object (which holds no material once
// destroyed) until Deadline, so that the destruction can be undone.
type Pending struct {
	ID       string
	Deadline time.Time
	// Attributes are the object's encoded attributes before the
	// destruction; Material its sealed material.
	Attributes []byte
	Material   []byte
}

// Key layout of pending destructions, alongside keys.go:
//
//	pending   0x06 | id -> uint64 big-endian deadline (Unix ns) | lp(attributes) | material
const spacePending byte = 0x06

func pendingKey(id string) []byte { return append([]byte{spacePending}, id...) }

func encodePending(p *Pending) []byte {
	v := binary.BigEndian.AppendUint64(nil, uint64(p.Deadline.UnixNano()))
	v = appendLengthPrefixed(v, p.Attributes)
	return append(v, p.Material...)
}

var errBadPending = errors.New("store: malformed pending destruction record")

func decodePending(id string, v []byte) (*Pending, error) {
	if len(v) < 8 {
		return nil, errBadPending
	}
	p := &Pending{ID: id, Deadline: time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()}
	n, k := binary.Uvarint(v[8:])
	rest := v[8:]
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, errBadPending
	}
	p.Attributes = cloneBytes(rest[k : k+int(n)])
	p.Material = cloneBytes(rest[k+int(n):])
	return p, nil
}

// PutPending stores p, replacing any pending record of p.ID, durably.
func (b *Badger) PutPending(ctx context.Context, p *Pending) error {
	return b.mutate(ctx, nil, p.ID, func(txn *badger.Txn) error {
		return txn.Set(pendingKey(p.ID), encodePending(p))
	})
}

// UpdatePending reads the pending record of id and calls fn with it: when
// fn returns nil the record fn changed is stored, when fn sets it to nil
// the record is deleted. It fails with ErrNotFound when there is none.
// audit is written with the change (see Store).
func (b *Badger) UpdatePending(ctx context.Context, audit *AuditRecord, id string, fn func(p **Pending) error) error {
	return b.mutate(ctx, audit, id, func(txn *badger.Txn) error {
		p, err := readPending(txn, id)
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		if p == nil {
			return txn.Delete(pendingKey(id))
		}
		return txn.Set(pendingKey(id), encodePending(p))
	})
}

// RestorePending undoes a destruction in one transaction: it calls fn with
// object id and its pending record; when fn returns nil the object fn
// changed is stored with its new Terms and the pending record deleted.
func (b *Badger) RestorePending(ctx context.Context, audit *AuditRecord, id string, fn func(obj *Object, p *Pending) error) error {
	return b.mutate(ctx, audit, id, func(txn *badger.Txn) error {
		p, err := readPending(txn, id)
		if err != nil {
			return err
		}
		old, err := readObject(txn, id)
		if err != nil {
			return err
		}
		obj, err := decodeRecordCopy(old)
		if err != nil {
			return err
		}
		if err := fn(obj, p); err != nil {
			return err
		}
		if obj.ID != old.ID || obj.Owner != old.Owner {
			return errors.New("store: restore: ID and Owner cannot be changed")
		}
		if err := deleteIndexes(txn, old); err != nil {
			return err
		}
		if err := writeObject(txn, obj); err != nil {
			return err
		}
		return txn.Delete(pendingKey(id))
	})
}

// ForEachPending calls fn with every pending record, in ID order, from one
// snapshot read before the first call, and stops at fn's first error.
func (b *Badger) ForEachPending(ctx context.Context, fn func(p *Pending) error) error {
	var all []*Pending
	if err := b.enter(ctx); err != nil {
		return err
	}
	err := b.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{spacePending}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id := string(it.Item().Key()[1:])
			err := it.Item().Value(func(v []byte) error {
				p, err := decodePending(id, v)
				if err == nil {
					all = append(all, p)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	b.leave()
	if err != nil {
		return err
	}
	for _, p := range all {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func readPending(txn *badger.Txn, id string) (*Pending, error) {
	return readDecoded(txn, pendingKey(id), id, decodePending)
}
