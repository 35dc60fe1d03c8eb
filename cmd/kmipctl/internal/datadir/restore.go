package datadir

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// RestoreCommand replaces a stopped server's store with a backup's, opened
// with the data directory's own key-encryption key.
func RestoreCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "restore FILE --data-dir DIR",
		Short: "Replace the store in DIR with a backup's (server stopped; DIR's KEK must open the backup)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Refuse while the server holds the store: opening it takes Badger's lock.
			if _, err := os.Stat(filepath.Join(dataDir, "db")); err == nil {
				if err := withAuditLog(context.Background(), dataDir, "", func(store.AuditLog) error { return nil }); err != nil {
					return err
				}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			crypto, err := openBoundSoftware(dataDir, nil) // Restore checks that it unseals the backup
			if err != nil {
				return err
			}
			defer crypto.Close()
			stageSlots := func(r io.Reader) (func() error, error) {
				return hsm.StageKeySlots(filepath.Join(dataDir, hsm.KeySlotsFile), r)
			}
			if err := store.RestoreWith(filepath.Join(dataDir, "db"), f, crypto, stageSlots); err != nil {
				return err
			}
			return withAuditLog(context.Background(), dataDir, "", func(log store.AuditLog) error {
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
