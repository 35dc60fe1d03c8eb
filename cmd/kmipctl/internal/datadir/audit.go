package datadir

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/store"
)

// AuditCommand groups the commands that read the server's audit trail
// directly from its data directory, with the server stopped, or from a
// cluster's PostgreSQL store (--store-dsn), with the servers running.
func AuditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify or export the server's audit trail (server stopped)",
	}
	cmd.AddCommand(auditVerifyCommand(), auditExportCommand())
	return cmd
}

func auditVerifyCommand() *cobra.Command {
	var dataDir, dsn string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain of the audit trail and name the first broken record",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAuditLog(cmd.Context(), dataDir, dsn, func(log store.AuditLog) error {
				n, err := log.VerifyAudit(cmd.Context())
				if ce := (*store.ChainError)(nil); errors.As(err, &ce) {
					return fmt.Errorf("BROKEN after %d intact records: %w", n, ce)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "OK: %d records, chain intact\n", n)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "the server's data directory")
	cmd.Flags().StringVar(&dsn, "store-dsn", os.Getenv("KMIPD_STORE_DSN"), storeDSNUsage)
	return cmd
}

// storeDSNUsage is the help of the --store-dsn flag of the audit commands.
const storeDSNUsage = "PostgreSQL connection string of a cluster's store, instead of --data-dir (env KMIPD_STORE_DSN); the servers may run"

// exportedRecord is the JSON form of an audit record, one per line, with the
// hashes in hex: enough for a SIEM, or a verifier, to recompute the chain
// (see store.AuditRecord for the hashed encoding).
type exportedRecord struct {
	Seq        uint64    `json:"seq"`
	Time       time.Time `json:"time"`
	Identity   string    `json:"identity"`
	Tenant     string    `json:"tenant,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	Operation  string    `json:"operation"`
	ObjectID   string    `json:"object_id,omitempty"`
	Result     string    `json:"result"`
	Reason     string    `json:"reason,omitempty"`
	Prev       string    `json:"prev"`
	Hash       string    `json:"hash"`
}

func auditExportCommand() *cobra.Command {
	var (
		dataDir, dsn string
		from         uint64
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the audit records as JSON lines to stdout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAuditLog(cmd.Context(), dataDir, dsn, func(log store.AuditLog) error {
				enc := json.NewEncoder(cmd.OutOrStdout())
				return log.AuditRecords(cmd.Context(), from, func(r store.AuditRecord) error {
					return enc.Encode(exportedRecord{
						Seq: r.Seq, Time: r.Time, Identity: r.Identity, Tenant: r.Tenant,
						ClientAddr: r.ClientAddr, Operation: r.Operation, ObjectID: r.ObjectID,
						Result: r.Result, Reason: r.Reason,
						Prev: hex.EncodeToString(r.Prev[:]), Hash: hex.EncodeToString(r.Hash[:]),
					})
				})
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "the server's data directory")
	cmd.Flags().StringVar(&dsn, "store-dsn", os.Getenv("KMIPD_STORE_DSN"), storeDSNUsage)
	cmd.Flags().Uint64Var(&from, "from", 0, "first sequence number to export")
	return cmd
}
