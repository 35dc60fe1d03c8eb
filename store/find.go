package store

import (
	"bytes"
	"context"
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// ctxCheckInterval is how many index entries Find reads between checks of
// its context.
const ctxCheckInterval = 1024

// Find returns q.Owner's objects that have every term of q.Terms, in ID
// order, after q.Offset and at most q.Limit of them, and the total number of
// matches. See Store.Find.
//
// It reads only index keys, with key-only iterators, in one snapshot:
//
//  1. Choose the driving posting list: the term with the fewest entries,
//     found by walking every term's list in lockstep with key-only iterators
//     until one ends. That costs at most (number of terms) x (size of the
//     smallest list) key reads, and needs no per-term counters, which every
//     write would have to update (making every Create of a common term, such
//     as an Object Type, conflict with every other on one counter key).
//     With no terms the driving list is the owner index.
//  2. Walk the driving list in descending ID order; for each ID, check the other terms by
//     point lookups of their index keys. Objects are never read.
func (b *Badger) Find(ctx context.Context, q Query) (ids []string, total int, err error) {
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, errors.New("store: find: negative offset or limit")
	}
	if err := b.enter(ctx); err != nil {
		return nil, 0, err
	}
	defer b.leave()

	err = b.db.View(func(txn *badger.Txn) error {
		drive, others, err := chooseDrivingList(ctx, txn, q)
		if err != nil {
			return err
		}
		// Backwards from the first key after the list: a reverse iterator
		// seeks the greatest key not above the one given, which is end
		// itself when it exists (skipped) or the list's last key; the walk
		// ends below the list. (Badger's Prefix option is not used: it would
		// end the walk at once on a key end that exists.)
		end := prefixEnd(drive)
		it := txn.NewIterator(badger.IteratorOptions{Reverse: true})
		defer it.Close()
		read := 0
		for it.Seek(end); it.Valid(); it.Next() {
			key := it.Item().Key()
			if !bytes.HasPrefix(key, drive) {
				if bytes.Compare(key, drive) < 0 {
					break
				}
				continue // end itself
			}
			if read++; read%ctxCheckInterval == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			id := key[len(drive):]
			ok, err := hasAllTerms(txn, q.Owner, others, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			total++
			if total > q.Offset && (q.Limit == 0 || len(ids) < q.Limit) {
				ids = append(ids, string(id))
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return ids, total, nil
}

// chooseDrivingList returns the prefix of the smallest posting list of q and
// the terms left to check, or the owner index prefix when q has no terms.
//
// It advances one key-only iterator per term in lockstep and stops when the
// first list runs out: that list is the smallest, found after reading at most
// (number of terms) x (its size + 1) keys, whatever the order of the terms.
func chooseDrivingList(ctx context.Context, txn *badger.Txn, q Query) (prefix []byte, others []Term, err error) {
	if len(q.Terms) == 0 {
		return ownerPrefix(q.Owner), nil, nil
	}
	prefixes := make([][]byte, len(q.Terms))
	iters := make([]*badger.Iterator, len(q.Terms))
	defer func() {
		for _, it := range iters {
			if it != nil {
				it.Close()
			}
		}
	}()
	for i, t := range q.Terms {
		prefixes[i] = termPrefix(q.Owner, t)
		iters[i] = txn.NewIterator(badger.IteratorOptions{Prefix: prefixes[i]})
		iters[i].Seek(prefixes[i])
	}
	best := -1
	for step := 1; best < 0; step++ {
		if step%ctxCheckInterval == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		for i, it := range iters {
			if !it.Valid() {
				best = i
				break
			}
			it.Next()
		}
	}
	others = make([]Term, 0, len(q.Terms)-1)
	others = append(others, q.Terms[:best]...)
	others = append(others, q.Terms[best+1:]...)
	return prefixes[best], others, nil
}

// hasAllTerms reports whether object id of owner has an index entry for
// every term.
func hasAllTerms(txn *badger.Txn, owner string, terms []Term, id []byte) (bool, error) {
	for _, t := range terms {
		_, err := txn.Get(termKey(owner, t, string(id)))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// prefixEnd returns the smallest key above every key that starts with
// prefix, nil when there is none (prefix is all 0xFF bytes).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
