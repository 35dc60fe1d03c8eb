package datadir

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// UndestroyCommand brings back an object destroyed within the grace period.
func UndestroyCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "undestroy ID",
		Short: "Bring back an object destroyed within the destroy_grace period (server stopped)",
		Long: "Undestroy restores an object destroyed while kmipd ran with destroy_grace > 0, before the\n" +
			"grace period ends: its state and attributes as before Destroy, and its material. Audited.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withOfflineService(dataDir, func(svc *handlers.Service, _ *store.Badger, _ hsm.Crypto) error {
				if err := svc.Undestroy(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s restored\n", args[0])
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "the server's data directory")
	return cmd
}
