package store_test

import (
	"context"
	"io"
	"testing"

	"github.com/kmipd/kmipd/store"
	"github.com/kmipd/kmipd/store/pgtest"
	"github.com/kmipd/kmipd/store/storetest"
)

// TestContractPostgres runs the store contract against PostgreSQL: a
// throwaway cluster, a fresh database per subtest.
func TestContractPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store { return openPostgres(t, pg.DSN(t)) },
		Restore: func(t *testing.T, backup io.Reader, s store.Sealer) store.Store {
			dsn := pg.DSN(t)
			if err := store.RestorePostgres(context.Background(), dsn, backup, s, nil); err != nil {
				t.Fatalf("RestorePostgres: %v", err)
			}
			return openPostgres(t, dsn)
		},
	})
}

func openPostgres(t *testing.T, dsn string) *store.Postgres {
	t.Helper()
	db, err := store.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
