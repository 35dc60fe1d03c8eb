package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kmipd/kmipd/hsm"
)

// PGKeySlots is the hsm.SlotStore of a cluster: the key slots (one sealed
// DEK per object, see hsm.Slotted) in the keyslots table of the database
// the nodes share, so that every node unseals the material another sealed
// and a Destroy on one node is final on all. Slot numbers come from a
// sequence and are never reused (2^32 of them); a row is written, and
// wiped, by its own transaction, whose commit waits for the WAL flush, so
// Store and Wipe are durable on return and Sync has nothing left to do.
//
// Crypto-shredding on PostgreSQL is weaker than with the key slot file.
// Wipe deletes the slot's row; PostgreSQL does not overwrite a row in
// place (an UPDATE to zeros would write a new row version and leave the old
// one as well, so Wipe does not pretend to), and the deleted row version,
// holding the sealed DEK, stays in the table's pages until VACUUM prunes it
// and a later write reuses the space; the WAL records of its insert stay in
// pg_wal until a checkpoint recycles the segment, and longer in a WAL
// archive, a base backup, a replica's lag or a logical replication slot.
// What lingers is a DEK sealed by the KEK, never material in the clear: a
// KEK rotation re-seals the live slots and destroys the old epoch, after
// which no lingering copy opens (kmipd refuses kek_rotation with a DSN for
// now: the software KEK's epochs are a file per node). On PostgreSQL,
// destruction is final once VACUUM has run and the WAL of the slot's
// lifetime is gone, or after a KEK rotation.
type PGKeySlots struct {
	db     *Postgres
	closed atomic.Bool
}

var _ hsm.SlotStore = (*PGKeySlots)(nil)

// slotOpTimeout bounds one key slot statement, so that a database that
// stops answering fails a Seal or Unseal instead of hanging it.
const slotOpTimeout = 30 * time.Second

// KeySlots returns the key slots of the database. Closing them leaves p
// open; closing p ends them.
func (p *Postgres) KeySlots() *PGKeySlots { return &PGKeySlots{db: p} }

// exec runs fn on the pool within slotOpTimeout, after Close of k or of its
// store failing with hsm.ErrClosed or ErrClosed.
func (k *PGKeySlots) exec(fn func(ctx context.Context) error) error {
	if k.closed.Load() {
		return hsm.ErrClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), slotOpTimeout)
	defer cancel()
	if err := k.db.enter(ctx); err != nil {
		return err
	}
	defer k.db.leave()
	if err := fn(ctx); err != nil {
		if errors.Is(err, hsm.ErrSlotGone) {
			return err
		}
		return fmt.Errorf("store: postgres: key slots: %w", err)
	}
	return nil
}

// Reserve takes the next slot number of the sequence and draws its
// generation (hsm.SlotStore).
func (k *PGKeySlots) Reserve() (slot uint32, gen uint64, err error) {
	if gen, err = hsm.NewSlotGeneration(); err != nil {
		return 0, 0, err
	}
	err = k.exec(func(ctx context.Context) error {
		var n int64
		if err := k.db.pool.QueryRow(ctx, `SELECT nextval('keyslot_numbers')`).Scan(&n); err != nil {
			return err
		}
		slot = uint32(n)
		return nil
	})
	return slot, gen, err
}

// Release does nothing: a slot number is never reused.
func (k *PGKeySlots) Release(uint32) {}

// Store inserts the slot's row, committed (durable) on return.
func (k *PGKeySlots) Store(slot uint32, gen uint64, sealed []byte) error {
	if len(sealed) > hsm.MaxSlotSealed {
		return fmt.Errorf("store: postgres: key slots: sealed key of %d bytes exceeds %d", len(sealed), hsm.MaxSlotSealed)
	}
	return k.exec(func(ctx context.Context) error {
		_, err := k.db.pool.Exec(ctx, `INSERT INTO keyslots (slot, gen, sealed) VALUES ($1, $2, $3)`, int64(slot), int64(gen), sealed)
		return err
	})
}

// Get returns the sealed DEK slot holds under gen, or hsm.ErrSlotGone.
func (k *PGKeySlots) Get(slot uint32, gen uint64) (sealed []byte, err error) {
	err = k.exec(func(ctx context.Context) error {
		err := k.db.pool.QueryRow(ctx, `SELECT sealed FROM keyslots WHERE slot = $1 AND gen = $2`, int64(slot), int64(gen)).Scan(&sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			return hsm.ErrSlotGone
		}
		return err
	})
	return sealed, err
}

// Replace re-seals the DEK slot holds under gen, or returns
// hsm.ErrSlotGone; committed on return.
func (k *PGKeySlots) Replace(slot uint32, gen uint64, sealed []byte) error {
	if len(sealed) > hsm.MaxSlotSealed {
		return fmt.Errorf("store: postgres: key slots: sealed key of %d bytes exceeds %d", len(sealed), hsm.MaxSlotSealed)
	}
	return k.exec(func(ctx context.Context) error {
		tag, err := k.db.pool.Exec(ctx, `UPDATE keyslots SET sealed = $3 WHERE slot = $1 AND gen = $2`, int64(slot), int64(gen), sealed)
		if err == nil && tag.RowsAffected() == 0 {
			return hsm.ErrSlotGone
		}
		return err
	})
}

// Wipe deletes the slot's row under gen, committed on return; see the type's
// comment for what PostgreSQL keeps of it.
func (k *PGKeySlots) Wipe(slot uint32, gen uint64) error {
	return k.exec(func(ctx context.Context) error {
		_, err := k.db.pool.Exec(ctx, `DELETE FROM keyslots WHERE slot = $1 AND gen = $2`, int64(slot), int64(gen))
		return err
	})
}

// Sync does nothing: every change was committed by its own call.
func (k *PGKeySlots) Sync() error { return nil }

// slotPage is how many slots Each reads at once.
const slotPage = 1000

// Each calls fn with every slot in slot order, a page at a time (fn runs
// outside any query, so it may call Replace).
func (k *PGKeySlots) Each(fn func(slot uint32, gen uint64, sealed []byte) error) error {
	type row struct {
		slot, gen int64
		sealed    []byte
	}
	after := int64(-1)
	for {
		var page []row
		err := k.exec(func(ctx context.Context) error {
			rows, err := k.db.pool.Query(ctx, `SELECT slot, gen, sealed FROM keyslots WHERE slot > $1 ORDER BY slot LIMIT $2`, after, slotPage)
			if err != nil {
				return err
			}
			var r row
			_, err = pgx.ForEachRow(rows, []any{&r.slot, &r.gen, &r.sealed}, func() error {
				page = append(page, row{r.slot, r.gen, append([]byte(nil), r.sealed...)})
				return nil
			})
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(uint32(r.slot), uint64(r.gen), r.sealed); err != nil {
				return err
			}
			after = r.slot
		}
		if len(page) < slotPage {
			return nil
		}
	}
}

// Used returns the number of slots holding a DEK (0 when the database does
// not answer).
func (k *PGKeySlots) Used() int {
	var n int64
	if err := k.exec(func(ctx context.Context) error {
		return k.db.pool.QueryRow(ctx, `SELECT count(*) FROM keyslots`).Scan(&n)
	}); err != nil {
		return 0
	}
	return int(n)
}

// Close ends k's use of the database, which stays open.
func (k *PGKeySlots) Close() error {
	k.closed.Store(true)
	return nil
}

// KEKCheck returns the cluster's KEK check: a value sealed by the KEK of
// the first node that asked, which every node must unseal to join (it
// reveals nothing of the KEK). When the database has none yet, it stores
// what seal returns; of nodes asking at once, one stores and all get its
// value.
func (p *Postgres) KEKCheck(ctx context.Context, seal func() ([]byte, error)) (sealed []byte, err error) {
	if err := p.enter(ctx); err != nil {
		return nil, err
	}
	defer p.leave()
	err = p.pool.QueryRow(ctx, `SELECT sealed FROM kek_check`).Scan(&sealed)
	if err == nil || !errors.Is(err, pgx.ErrNoRows) {
		return sealed, err
	}
	mine, err := seal()
	if err != nil {
		return nil, err
	}
	if _, err := p.pool.Exec(ctx, `INSERT INTO kek_check (sealed) VALUES ($1) ON CONFLICT DO NOTHING`, mine); err != nil {
		return nil, fmt.Errorf("store: postgres: KEK check: %w", err)
	}
	if err := p.pool.QueryRow(ctx, `SELECT sealed FROM kek_check`).Scan(&sealed); err != nil {
		return nil, fmt.Errorf("store: postgres: KEK check: %w", err)
	}
	return sealed, nil
}

// HasKEKCheck reports whether a node stored the cluster's KEK check.
func (p *Postgres) HasKEKCheck(ctx context.Context) (bool, error) {
	if err := p.enter(ctx); err != nil {
		return false, err
	}
	defer p.leave()
	var has bool
	err := p.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM kek_check)`).Scan(&has)
	return has, err
}
