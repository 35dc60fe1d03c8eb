package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// storage is what run serves from: the store, the crypto module sealing
// through key slots, and the module's binding to the data directory.
type storage struct {
	db      store.Store
	crypto  hsm.Crypto
	binding *hsm.Binding
	// dbDir is the Badger directory whose size the metrics report; empty
	// on PostgreSQL.
	dbDir string
}

// Close closes the crypto module before the store, whose database holds
// the key slots the module's Close wipes its ready slots in.
func (s *storage) Close() error {
	return errors.Join(s.crypto.Close(), s.db.Close())
}

// openStorage opens the store that cfg selects and the crypto module over
// its key slots: Badger under DATA/db and the slot file DATA/keyslots, or,
// with cfg.Store.DSN, the PostgreSQL database and its keyslots table, shared
// with the other nodes. Either way the module is bound to the data
// directory (openModule); a node joining a database that holds data must
// have the KEK the data was sealed under (a copy of the first node's
// kek.key, or the same PKCS#11 token): its module must unseal the
// cluster's KEK check (checkClusterKEK), one stored object and one key
// slot, or it is refused.
func openStorage(ctx context.Context, cfg Config, log *zap.Logger) (*storage, error) {
	if cfg.Store.DSN == "" {
		return openBadgerStorage(cfg, log)
	}
	if cfg.KEKRotation > 0 {
		// The software KEK is a file per node: a rotation on one node would
		// re-seal the shared slots under an epoch the others lack.
		return nil, errors.New("kek_rotation with a PostgreSQL store: not yet supported (a rotation on one node re-seals the shared key slots under a KEK epoch the other nodes do not hold)")
	}
	pg, err := store.OpenPostgres(ctx, cfg.Store.DSN)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", redactDSN(cfg.Store.DSN), err)
	}
	slots := pg.KeySlots()
	head, err := pg.AuditHead(ctx)
	if err != nil {
		pg.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	hasCheck, err := pg.HasKEKCheck(ctx)
	if err != nil {
		pg.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	sealed := head > 0 || hasCheck || slots.Used() > 0
	module, binding, err := openModule(cfg, sealed, func(m hsm.Crypto) error {
		if err := handlers.UnsealsStoredData(ctx, pg, m); err != nil {
			return err
		}
		if err := hsm.UnsealsASlot(m, slots); err != nil {
			return err
		}
		log.Info("crypto binding: joining a PostgreSQL store whose data this module unseals")
		return nil
	}, log.Named("hsm"))
	if err != nil {
		pg.Close()
		return nil, fmt.Errorf("crypto module: %w", err)
	}
	if err := checkClusterKEK(ctx, pg, module); err != nil {
		module.Close()
		pg.Close()
		return nil, fmt.Errorf("crypto module: %w", err)
	}
	return &storage{db: pg, crypto: hsm.NewSlotted(module, slots), binding: binding}, nil
}

// The cluster's KEK check: a constant sealed for a fixed id.
const (
	kekCheckID    = "kmipd-cluster-kek-check"
	kekCheckValue = "kmipd: this node holds the cluster's key-encryption key"
)

// checkClusterKEK requires module to unseal the cluster's KEK check
// (store.Postgres.KEKCheck), storing one sealed by module when the database
// has none: so of two nodes started at once on an empty database, each
// with a KEK of its own, one is refused rather than sealing what the other
// cannot unseal.
func checkClusterKEK(ctx context.Context, pg *store.Postgres, module hsm.Crypto) error {
	sealed, err := pg.KEKCheck(ctx, func() ([]byte, error) { return module.Seal(kekCheckID, []byte(kekCheckValue)) })
	if err != nil {
		return err
	}
	plain, err := module.Unseal(kekCheckID, sealed)
	if err != nil || string(plain) != kekCheckValue {
		return errors.New("this node's KEK is not the one of the nodes already on this database (it does not unseal the cluster's KEK check): " +
			"start it with a copy of the first node's kek.key (mode 0600), or the same PKCS#11 token")
	}
	return nil
}

// openBadgerStorage opens the module over DATA/keyslots, then Badger under
// DATA/db.
func openBadgerStorage(cfg Config, log *zap.Logger) (*storage, error) {
	dbDir := filepath.Join(cfg.DataDir, "db")
	_, statErr := os.Stat(dbDir)
	crypto, binding, err := openModule(cfg, statErr == nil, adoptByOneObject(dbDir, log.Named("hsm")), log.Named("hsm")) // binding.go
	if err == nil {
		crypto, err = withKeySlots(crypto, cfg.DataDir) // keyslots.go
	}
	if err != nil {
		return nil, fmt.Errorf("crypto module: %w", err)
	}
	db, err := store.OpenBadger(dbDir, store.Options{Logger: log.Named("store")})
	if err != nil {
		crypto.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return &storage{db: db, crypto: crypto, binding: binding, dbDir: dbDir}, nil
}

// storeName describes the store for the log: the Badger directory, or the
// DSN with its password redacted.
func storeName(cfg Config) string {
	if cfg.Store.DSN == "" {
		return "badger:" + filepath.Join(cfg.DataDir, "db")
	}
	return "postgres:" + redactDSN(cfg.Store.DSN)
}

// dsnPassword matches the password of a key=value DSN, quoted or not.
var dsnPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)

// redactDSN returns dsn with its password replaced by xxxxx, in either
// form (URL, or key=value).
func redactDSN(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "(unparsable URL)"
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return dsnPassword.ReplaceAllString(dsn, "${1}xxxxx")
}
