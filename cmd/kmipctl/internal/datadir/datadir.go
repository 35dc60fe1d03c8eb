// Package datadir holds the kmipctl commands that open a stopped server's
// data directory instead of talking to a server: audit verify and export,
// kek rotate, undestroy, restore and the offline half of backup
// (--data-dir). It alone of kmipctl's packages links the store (Badger),
// the crypto module (hsm) and handlers, as etcdutl holds etcd's offline
// commands apart from the network client etcdctl; the network commands in
// package main reach none of them. Every command here takes Badger's lock,
// so it fails, saying why, while the server runs.
package datadir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// withAuditLog opens the store of the server's data directory, or the
// PostgreSQL store of dsn when not empty, calls fn and closes it. Badger
// admits one process per directory, so this fails while the server runs;
// the error says so. PostgreSQL admits any number.
func withAuditLog(ctx context.Context, dataDir, dsn string, fn func(store.AuditLog) error) error {
	if dsn != "" {
		db, err := store.OpenPostgres(ctx, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(db)
	}
	dir := filepath.Join(dataDir, "db")
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no store in %s: %w", dataDir, err)
	}
	db, err := store.OpenBadger(dir, store.Options{})
	if err != nil {
		// Badger's lock error, the same on every platform.
		if strings.Contains(err.Error(), "Another process is using this Badger database") {
			return fmt.Errorf("the store in %s is in use: stop the server first", dataDir)
		}
		return err
	}
	err = fn(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// withOfflineService opens the store, the software provider's KEK (bound to
// the data directory as kmipd binds it, so that a rotation keeps the crypto
// binding's check value current) and the key slots of the server's data
// directory, builds a Service on them, calls fn and
// closes both. It fails while the server runs (Badger admits one process)
// and when the data directory has no KEK file.
func withOfflineService(dataDir string, fn func(*handlers.Service, *store.Badger, hsm.Crypto) error) error {
	keyFile := filepath.Join(dataDir, "kek.key")
	if _, err := os.Stat(keyFile); err != nil {
		return fmt.Errorf("no key-encryption key in %s (only the software provider is supported offline): %w", dataDir, err)
	}
	return withStore(dataDir, func(db *store.Badger) error {
		module, err := openBoundSoftware(dataDir, func(m hsm.Crypto) error {
			return handlers.UnsealsStoredData(context.Background(), db, m)
		})
		if err != nil {
			return err
		}
		crypto, err := hsm.OpenSlotted(module, filepath.Join(dataDir, hsm.KeySlotsFile))
		if err != nil {
			module.Close()
			return err
		}
		defer crypto.Close()
		svc, err := handlers.New(handlers.Config{Store: db, Crypto: crypto})
		if err != nil {
			return err
		}
		return fn(svc, db, crypto)
	})
}

// openBoundSoftware opens the software module of dataDir bound to the
// directory (hsm.OpenBound): a directory that another module sealed is
// refused, and no key file is created for it. adopt checks a directory of
// an older version, without binding; nil accepts it.
func openBoundSoftware(dataDir string, adopt func(hsm.Crypto) error) (hsm.Crypto, error) {
	_, statErr := os.Stat(filepath.Join(dataDir, "db"))
	module, _, err := hsm.OpenBound(
		hsm.Config{Provider: hsm.ProviderSoftware, KeyFile: filepath.Join(dataDir, "kek.key")},
		hsm.BindOptions{Path: filepath.Join(dataDir, hsm.BindingFile), Sealed: statErr == nil, Adopt: adopt}, nil)
	return module, err
}

// withStore opens the store of the server's data directory, calls fn and
// closes it; see withAuditLog.
func withStore(dataDir string, fn func(*store.Badger) error) error {
	return withAuditLog(context.Background(), dataDir, "", func(log store.AuditLog) error {
		return fn(log.(*store.Badger))
	})
}
