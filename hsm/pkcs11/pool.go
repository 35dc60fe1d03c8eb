//go:build cgo

package pkcs11

import (
	"context"
	"sync"

	"github.com/kmipd/kmipd/hsm"
)

// pool hands out a fixed set of items, each to one user at a time. The
// PKCS#11 provider keeps its sessions in one: a PKCS#11 session must never be
// used by two goroutines at once (SoftHSM2 crashes the process if it is).
//
// A pool is safe for concurrent use.
type pool[T any] struct {
	items     chan T
	size      int
	done      chan struct{} // closed by drain
	drainOnce sync.Once
}

// newPool returns a pool holding items.
func newPool[T any](items []T) *pool[T] {
	p := &pool[T]{items: make(chan T, len(items)), size: len(items), done: make(chan struct{})}
	for _, it := range items {
		p.items <- it
	}
	return p
}

// get waits for a free item until ctx is done or the pool is drained. The
// caller must give the item back with put, and must not use it afterwards.
// It returns ErrClosed once drain has been called, or ctx's error.
func (p *pool[T]) get(ctx context.Context) (T, error) {
	var zero T
	select {
	case it := <-p.items:
		select {
		case <-p.done: // drained meanwhile: drain is waiting for this item
			p.items <- it
			return zero, hsm.ErrClosed
		default:
			return it, nil
		}
	case <-p.done:
		return zero, hsm.ErrClosed
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// put gives back an item taken with get. It never blocks.
func (p *pool[T]) put(it T) { p.items <- it }

// drain makes get fail with ErrClosed, waits until every item has been
// given back, and returns them all to the caller, who then owns them. Only
// the first call returns the items; later calls return nil.
func (p *pool[T]) drain() []T {
	var all []T
	p.drainOnce.Do(func() {
		close(p.done)
		all = make([]T, 0, p.size)
		for range p.size {
			all = append(all, <-p.items)
		}
	})
	return all
}

// drained reports whether drain has been called.
func (p *pool[T]) drained() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
