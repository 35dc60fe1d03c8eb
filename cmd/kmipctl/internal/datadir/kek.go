package datadir

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// KEKCommand groups the commands on the key-encryption key of a data
// directory, with the server stopped.
func KEKCommand() *cobra.Command {
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
