package hsm

import (
	"sync"
)

// Slots made ready ahead of Seal.
//
// A Seal must not return before its DEK's slot is on disk, and a slot sync
// on the path of every Create would add a second sync to the store's and
// nearly halve Create throughput. So a goroutine keeps a pool of ready
// slots: it draws each one's DEK from the module's generator, seals it with
// the module, writes it, syncs a batch at once, and only then hands the
// slots out. Seal takes one, seals under its DEK, and writes nothing.
//
// The pool holds up to readySlots DEKs in memory, none protecting anything
// yet. Close wipes the slots still in the pool. After a crash they stay
// used in the file, holding keys of nothing: at most readySlots slots of
// 128 bytes each time.
const (
	readySlots = 128
	readyBatch = 32 // slots written per sync
)

// readySlot is a slot on disk whose DEK no material is sealed under yet;
// err reports a failure to make one.
type readySlot struct {
	slot uint32
	gen  uint64
	dek  []byte
	err  error
}

// slotPool is the pool of a Slotted; fill makes a batch.
type slotPool struct {
	ready chan readySlot
	wake  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	start sync.Once
	stop  sync.Once
}

func newSlotPool() *slotPool {
	return &slotPool{
		ready: make(chan readySlot, readySlots),
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// take returns a ready slot, starting the filler with fill on first use.
func (p *slotPool) take(fill func(n int) ([]readySlot, error)) (readySlot, error) {
	p.start.Do(func() { go p.run(fill) })
	select {
	case r := <-p.ready:
		p.nudge()
		return r, r.err
	default:
	}
	p.nudge()
	select {
	case r := <-p.ready:
		return r, r.err
	case <-p.quit:
		return readySlot{}, ErrClosed
	}
}

// nudge wakes the filler when the pool is half empty.
func (p *slotPool) nudge() {
	if len(p.ready) <= readySlots/2 {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// run fills the pool whenever woken until close.
func (p *slotPool) run(fill func(n int) ([]readySlot, error)) {
	defer close(p.done)
	for {
		select {
		case <-p.wake:
		case <-p.quit:
			return
		}
		for room := cap(p.ready) - len(p.ready); room > 0; room = cap(p.ready) - len(p.ready) {
			batch, err := fill(min(room, readyBatch))
			if err != nil {
				batch = []readySlot{{err: err}} // for one waiting Seal; the next take retries
			}
			for _, r := range batch {
				p.ready <- r // room was left for the whole batch; only run sends
			}
			if err != nil {
				break
			}
		}
	}
}

// close stops the filler and returns the slots left in the pool.
func (p *slotPool) close() []readySlot {
	var left []readySlot
	p.stop.Do(func() {
		close(p.quit)
		p.start.Do(func() { close(p.done) }) // never started
		<-p.done
		for {
			select {
			case r := <-p.ready:
				if r.err == nil {
					left = append(left, r)
				}
			default:
				return
			}
		}
	})
	return left
}
