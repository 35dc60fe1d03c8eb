package store

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"go.uber.org/zap"
)

var (
	_ Store    = (*Badger)(nil)
	_ AuditLog = (*Badger)(nil)
)

// Options configures OpenBadger. The zero value is ready to use. With the
// memory defaults a reopened store of a million objects measured ~205 MB of
// RSS after 20,000 Finds and Gets. During a bulk load of a million objects
// (BenchmarkCreateSustained) the peak RSS is ~900 MB, two thirds of it the
// store's own SST files mapped into memory; see BENCHMARKS.md.
type Options struct {
	// Logger receives Badger's warnings and errors. Nil discards them.
	Logger *zap.Logger

	// MemTableSize is the size of one memtable and of its write-ahead log.
	// A memtable is flushed by building its whole SST in memory, in buffers
	// that grow to several times its size, so this bounds the heap during
	// sustained writes. Default 8 MiB (Badger's own default is 64 MiB).
	// Records larger than an eighth of it, or than 1 MiB, go to Badger's
	// value log.
	MemTableSize int64
	// NumMemtables is how many memtables may be held in memory before writes
	// stall while they are flushed. Default 3.
	NumMemtables int
	// BlockCacheSize is the size of the cache of decompressed SST blocks.
	// Default 32 MiB.
	BlockCacheSize int64
	// IndexCacheSize bounds the memory given to SST indexes and Bloom
	// filters; zero would keep them all in memory. Default 16 MiB.
	IndexCacheSize int64

	// syncEachCommit opens Badger with SyncWrites=true (one WAL sync inside
	// every commit) instead of group commit. For the comparison benchmark.
	syncEachCommit bool
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.MemTableSize <= 0 {
		o.MemTableSize = 8 << 20
	}
	if o.NumMemtables <= 0 {
		o.NumMemtables = 3
	}
	if o.BlockCacheSize <= 0 {
		o.BlockCacheSize = 32 << 20
	}
	if o.IndexCacheSize <= 0 {
		o.IndexCacheSize = 16 << 20
	}
	return o
}

// maxConflictRetries bounds the attempts of one mutation on badger.ErrConflict.
// Mutations of one ID are serialised by idLocks, so a conflict is rare.
const maxConflictRetries = 10

// Badger is the store.Store on a Badger database in one directory; see
// keys.go for the key layout, record.go for the object encoding and
// groupcommit.go for durability. All methods are safe for concurrent use.
type Badger struct {
	db     *badger.DB
	syncer *groupSyncer // nil with syncEachCommit
	locks  idLocks
	chain  auditChain // the audit trail's head; see audit.go

	// closeMu is held shared by every operation and exclusively by Close,
	// which therefore waits for operations in progress.
	closeMu sync.RWMutex
	closed  bool
}

// OpenBadger opens (or creates) the store in directory dir. Only one process
// may have a directory open at a time; a second Open fails.
func OpenBadger(dir string, opts Options) (*Badger, error) {
	opts = opts.withDefaults()
	bo := badger.DefaultOptions(dir).
		WithLogger(zapBadgerLogger{opts.Logger.Sugar()}).
		WithSyncWrites(opts.syncEachCommit).
		WithMemTableSize(opts.MemTableSize).
		WithNumMemtables(opts.NumMemtables).
		WithBlockCacheSize(opts.BlockCacheSize).
		WithIndexCacheSize(opts.IndexCacheSize).
		WithValueThreshold(min(1<<20, opts.MemTableSize/8)).
		WithNumVersionsToKeep(1).
		WithDetectConflicts(true).
		// Uncompressed SSTs: a compressing table builder keeps both copies
		// of every block and fills a table by its compressed size, which
		// more than doubled the heap of a bulk load (Snappy and ZSTD alike).
		WithCompression(options.None).
		// One compactor per core of the 2-core target, and room for many
		// small level-0 tables before writes stall behind compaction.
		WithNumCompactors(2).
		WithNumLevelZeroTables(20).
		WithNumLevelZeroTablesStall(40)
	if err := removeEmptyLogs(dir); err != nil {
		return nil, err
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	b := &Badger{db: db, locks: newIDLocks()}
	if !opts.syncEachCommit {
		b.syncer = newGroupSyncer(dir)
	}
	return b, nil
}

// Close waits for operations in progress, stops the syncer and closes
// Badger, which flushes its memtables. Later calls return ErrClosed.
func (b *Badger) Close() error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.closed = true
	if b.syncer != nil {
		b.syncer.stop()
	}
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// enter starts an operation; leave must follow when it returns nil.
func (b *Badger) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.closeMu.RLock()
	if b.closed {
		b.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (b *Badger) leave() { b.closeMu.RUnlock() }

// Get returns object id, or ErrNotFound.
func (b *Badger) Get(ctx context.Context, id string) (*Object, error) {
	if err := b.enter(ctx); err != nil {
		return nil, err
	}
	defer b.leave()
	var obj *Object
	err := b.db.View(func(txn *badger.Txn) error {
		var err error
		obj, err = readObject(txn, id)
		return err
	})
	return obj, err
}

// Create stores obj, or fails with ErrExists when obj.ID is taken.
func (b *Badger) Create(ctx context.Context, audit *AuditRecord, obj *Object) error {
	if obj == nil || obj.ID == "" {
		return errors.New("store: create: object without ID")
	}
	return b.mutate(ctx, audit, obj.ID, func(txn *badger.Txn) error {
		_, err := txn.Get(objectKey(obj.ID))
		switch {
		case err == nil:
			return ErrExists
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		return writeObject(txn, obj)
	})
}

// Update applies fn to a copy of object id and stores the result with its new
// index entries in one transaction. See Store.Update.
func (b *Badger) Update(ctx context.Context, audit *AuditRecord, id string, fn func(obj *Object) error) error {
	return b.mutate(ctx, audit, id, func(txn *badger.Txn) error {
		old, err := readObject(txn, id)
		if err != nil {
			return err
		}
		obj, err := decodeRecordCopy(old)
		if err != nil {
			return err
		}
		if err := fn(obj); err != nil {
			return err
		}
		if obj.ID != old.ID || obj.Owner != old.Owner {
			return errors.New("store: update: ID and Owner cannot be changed")
		}
		if err := deleteIndexes(txn, old); err != nil {
			return err
		}
		return writeObject(txn, obj)
	})
}

// Delete removes object id and its index entries, or fails with ErrNotFound.
func (b *Badger) Delete(ctx context.Context, audit *AuditRecord, id string) error {
	return b.mutate(ctx, audit, id, func(txn *badger.Txn) error {
		old, err := readObject(txn, id)
		if err != nil {
			return err
		}
		if err := deleteIndexes(txn, old); err != nil {
			return err
		}
		return txn.Delete(objectKey(id))
	})
}

// mutate runs change in a read-write transaction under id's lock, retrying
// on conflict, and returns once the commit is on disk. When audit is a
// record not yet written (Seq 0), it is written in the same transaction.
func (b *Badger) mutate(ctx context.Context, audit *AuditRecord, id string, change func(txn *badger.Txn) error) error {
	if err := b.enter(ctx); err != nil {
		return err
	}
	defer b.leave()

	unlock, err := b.locks.lock(ctx, id)
	if err != nil {
		return err
	}
	rec := audit
	if rec != nil && rec.Seq != 0 {
		rec = nil // written by an earlier mutation of its request
	}
	for attempt := 1; ; attempt++ {
		err = b.commitAudited(change, rec, id)
		if !errors.Is(err, badger.ErrConflict) || attempt == maxConflictRetries {
			break
		}
	}
	unlock()
	if err != nil {
		return err
	}
	if b.syncer == nil {
		return nil // SyncWrites: the commit synced the WAL itself
	}
	return b.syncer.wait(ctx)
}

// readObject reads and decodes object id in txn.
func readObject(txn *badger.Txn, id string) (*Object, error) {
	return readDecoded(txn, objectKey(id), id, decodeRecord)
}

// readDecoded reads key in txn and decodes its value with decode: ErrNotFound
// when key is absent.
func readDecoded[T any](txn *badger.Txn, key []byte, id string, decode func(id string, v []byte) (T, error)) (T, error) {
	var out T
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return out, ErrNotFound
	}
	if err != nil {
		return out, err
	}
	err = item.Value(func(v []byte) error {
		out, err = decode(id, v)
		return err
	})
	return out, err
}

// decodeRecordCopy returns a deep copy of obj, for Update's function.
func decodeRecordCopy(obj *Object) (*Object, error) {
	return decodeRecord(obj.ID, encodeRecord(obj))
}

// writeObject sets obj's record, owner index entry and term index entries.
func writeObject(txn *badger.Txn, obj *Object) error {
	if err := txn.Set(objectKey(obj.ID), encodeRecord(obj)); err != nil {
		return err
	}
	if err := txn.Set(ownerKey(obj.Owner, obj.ID), nil); err != nil {
		return err
	}
	for _, t := range obj.Terms {
		if err := txn.Set(termKey(obj.Owner, t, obj.ID), nil); err != nil {
			return err
		}
	}
	return nil
}

// deleteIndexes deletes the owner and term index entries of obj.
func deleteIndexes(txn *badger.Txn, obj *Object) error {
	if err := txn.Delete(ownerKey(obj.Owner, obj.ID)); err != nil {
		return err
	}
	for _, t := range obj.Terms {
		if err := txn.Delete(termKey(obj.Owner, t, obj.ID)); err != nil {
			return err
		}
	}
	return nil
}

// idLocks serialises the mutations of one ID (and of the few IDs sharing its
// stripe), so that concurrent Updates of one object wait for each other
// instead of failing on conflicts. Waiting honours the context.
type idLocks struct {
	seed    maphash.Seed
	stripes [256]chan struct{}
}

func newIDLocks() idLocks {
	l := idLocks{seed: maphash.MakeSeed()}
	for i := range l.stripes {
		l.stripes[i] = make(chan struct{}, 1)
	}
	return l
}

// lock locks id's stripe and returns its unlock function, or ctx's error.
func (l *idLocks) lock(ctx context.Context, id string) (unlock func(), err error) {
	s := l.stripes[maphash.String(l.seed, id)%uint64(len(l.stripes))]
	select {
	case s <- struct{}{}:
		return func() { <-s }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// zapBadgerLogger routes Badger's log to zap: errors and warnings are kept,
// Badger's chatty info and debug lines are dropped.
type zapBadgerLogger struct{ l *zap.SugaredLogger }

func (z zapBadgerLogger) Errorf(f string, a ...any)   { z.l.Errorf("badger: "+f, a...) }
func (z zapBadgerLogger) Warningf(f string, a ...any) { z.l.Warnf("badger: "+f, a...) }
func (z zapBadgerLogger) Infof(string, ...any)        {}
func (z zapBadgerLogger) Debugf(string, ...any)       {}
