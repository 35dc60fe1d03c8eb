package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// backupCommand writes an encrypted backup of a stopped server's store. An
// online backup (through the running server) is not implemented.
func backupCommand() *cobra.Command {
	var dataDir, out string
	cmd := &cobra.Command{
		Use:   "backup --data-dir DIR --out FILE",
		Short: "Write an encrypted, authenticated backup of the store (server stopped)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out is required")
			}
			return withOfflineService(dataDir, func(_ *handlers.Service, db *store.Badger, crypto hsm.Crypto) error {
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return err
				}
				err = db.Backup(cmd.Context(), f, crypto)
				if err == nil {
					err = f.Sync()
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "backup written to %s\n", out)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "the server's data directory")
	cmd.Flags().StringVar(&out, "out", "", "the backup file to create")
	return cmd
}

// restoreCommand replaces a stopped server's store with a backup's, opened
// with the data directory's own key-encryption key.
func restoreCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "restore FILE --data-dir DIR",
		Short: "Replace the store in DIR with a backup's (server stopped; DIR's KEK must open the backup)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Refuse while the server holds the store: opening it takes Badger's lock.
			if _, err := os.Stat(filepath.Join(dataDir, "db")); err == nil {
				if err := withAuditLog(dataDir, func(store.AuditLog) error { return nil }); err != nil {
					return err
				}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			crypto, err := hsm.NewSoftware(filepath.Join(dataDir, "kek.key"))
			if err != nil {
				return err
			}
			defer crypto.Close()
			if err := store.Restore(filepath.Join(dataDir, "db"), f, crypto); err != nil {
				return err
			}
			return withAuditLog(dataDir, func(log store.AuditLog) error {
				n, err := log.VerifyAudit(cmd.Context())
				if err != nil {
					return fmt.Errorf("restored, but the audit chain does not verify: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "restored %s into %s; audit chain intact (%d records)\n", args[0], dataDir, n)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "the server's data directory")
	return cmd
}
