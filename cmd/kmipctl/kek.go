package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// kekCommand groups the commands on the key-encryption key of a data
// directory, with the server stopped.
func kekCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kek",
		Short: "Rotate the key-encryption key of a data directory (server stopped)",
	}
	cmd.AddCommand(kekRotateCommand())
	return cmd
}

func kekRotateCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Create a new KEK epoch, re-seal every object into it and destroy the older epochs",
		Long: "Rotate creates a new key-encryption-key epoch, re-seals the material of every object into it\n" +
			"and destroys the keys of the older epochs, so that material sealed under them (including the\n" +
			"remains of destroyed keys that the store keeps until compaction) can never be unsealed again.\n" +
			"Every step is recorded in the audit trail. Software provider only (DATA/kek.key).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withOfflineService(dataDir, func(svc *handlers.Service, _ *store.Badger, _ hsm.Crypto) error {
				r, err := svc.RotateKEK(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "KEK epoch %d current; %d objects re-sealed; epochs retired: %v\n",
					r.NewKeyID, r.Resealed, r.Retired)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "the server's data directory")
	return cmd
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
	return withAuditLog(dataDir, func(log store.AuditLog) error {
		return fn(log.(*store.Badger))
	})
}
