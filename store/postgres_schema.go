package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema versions of the PostgreSQL store, applied in
// order; migrations[i] takes the schema from version i to i+1. A migration
// is never edited once released: a change is a new one.
//
// Identifiers, owners and term names are bytea, not text: the store keeps
// any bytes (a client may choose an identifier at Import, and text refuses
// NUL), and bytea orders by bytes, as the Badger store and Locate's newest-
// first order need, whatever the database's collation.
var migrations = []string{
	// 1: the first schema.
	`CREATE TABLE objects (
		id         bytea PRIMARY KEY,
		owner      bytea NOT NULL,
		attributes bytea NOT NULL,
		material   bytea
	);
	CREATE INDEX objects_owner_id ON objects (owner, id DESC);
	CREATE TABLE terms (
		owner bytea NOT NULL,
		name  bytea NOT NULL,
		value bytea NOT NULL,
		id    bytea NOT NULL,
		ord   integer NOT NULL,
		PRIMARY KEY (owner, name, value, id)
	);
	CREATE INDEX terms_id ON terms (id);
	CREATE TABLE pending (
		id         bytea PRIMARY KEY,
		deadline   bigint NOT NULL, -- Unix nanoseconds
		attributes bytea NOT NULL,
		material   bytea NOT NULL
	);
	CREATE TABLE audit (
		seq    bigint PRIMARY KEY,
		record bytea NOT NULL
	);
	CREATE TABLE audit_head (
		one  boolean PRIMARY KEY DEFAULT true CHECK (one),
		seq  bigint NOT NULL,
		hash bytea NOT NULL
	);
	INSERT INTO audit_head (seq, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');`,
	// 2: the key slots that the nodes share (PGKeySlots). Slot numbers are
	// 32 bits (they are in every sealed blob) and never reused. kek_check
	// holds a constant sealed by the first node's KEK (KEKCheck).
	`CREATE SEQUENCE keyslot_numbers AS bigint MINVALUE 0 MAXVALUE 4294967294 START 0 NO CYCLE;
	CREATE TABLE keyslots (
		slot   bigint PRIMARY KEY,
		gen    bigint NOT NULL,
		sealed bytea NOT NULL
	);
	CREATE TABLE kek_check (
		one    boolean PRIMARY KEY DEFAULT true CHECK (one),
		sealed bytea NOT NULL
	);`,
}

// migrationLock is the advisory lock key under which nodes migrate.
const migrationLock = 0x6b6d6970 // "kmip"

// SchemaVersion is the schema version this build of the store uses.
var SchemaVersion = len(migrations)

// migrate applies the migrations the database lacks, one transaction each,
// holding an advisory lock so that nodes starting at once apply each once.
// A database of a newer schema than this build knows is refused.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: postgres: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("store: postgres: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // released with the session anyway
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS kmipd_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("store: postgres: %w", err)
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM kmipd_schema`).Scan(&version); err != nil {
		return fmt.Errorf("store: postgres: schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("store: postgres: the database has schema version %d, newer than this kmipd's %d: upgrade kmipd", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			tx.Rollback(ctx) //nolint:errcheck
			return fmt.Errorf("store: postgres: migration to schema %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO kmipd_schema (version) VALUES ($1)`, v+1); err != nil {
			tx.Rollback(ctx) //nolint:errcheck
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("store: postgres: migration to schema %d: %w", v+1, err)
		}
	}
	return nil
}
