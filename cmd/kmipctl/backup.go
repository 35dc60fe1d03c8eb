package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// backupCommand writes an encrypted, authenticated backup of the store:
// online, through the running server named by --server (the x-kmipd-Backup
// operation; the identity of --pki must be a backup operator), or offline
// from a stopped server's --data-dir.
func backupCommand(g *globals) *cobra.Command {
	var dataDir, out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE [--data-dir DIR]",
		Short: "Write an encrypted, authenticated backup of the store (online through --server, or offline from --data-dir)",
		Long: `Write an encrypted, authenticated backup of the whole store to FILE (mode 0600).

Without --data-dir the running server at --server takes a consistent snapshot
and kmipctl downloads it in chunks: the identity of --pki must be allowed an
online backup (a role with every operation under an authz policy, or a
backup_operators entry without one). With --data-dir the store of a stopped
server is read directly. Either file is restored with kmipctl restore.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out is required")
			}
			if cmd.Flags().Changed("data-dir") {
				return offlineBackup(cmd, dataDir, out)
			}
			if !cmd.Flags().Changed("timeout") {
				g.timeout = onlineBackupTimeout
			}
			s, err := g.connect(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			size, err := onlineBackup(s, out)
			if err != nil {
				return err
			}
			return s.print(map[string]any{"file": out, "bytes": size}, func(w io.Writer) {
				fmt.Fprintf(w, "backup written to %s (%d bytes)\n", out, size)
			})
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "read the store of a stopped server from this data directory instead of --server")
	cmd.Flags().StringVar(&out, "out", "", "the backup file to create")
	return cmd
}

// offlineBackup writes the backup of the stopped server's store in dataDir.
func offlineBackup(cmd *cobra.Command, dataDir, out string) error {
	return withOfflineService(dataDir, func(_ *handlers.Service, db *store.Badger, crypto hsm.Crypto) error {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		err = db.BackupWith(cmd.Context(), f, hsm.ModuleSealer(crypto), hsm.BackupAttachment(crypto))
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
}

const (
	// onlineBackupTimeout is the deadline of an online backup when
	// --timeout is not given: a snapshot of gigabytes takes minutes.
	onlineBackupTimeout = 2 * time.Hour
	// onlineBackupChunk is the most bytes asked for in one Read, the
	// server's own bound.
	onlineBackupChunk = 1 << 20
)

// onlineBackup has the server behind s snapshot its store and downloads
// the snapshot into out, which must not exist: written to a temporary file
// beside out (mode 0600), checked against the announced size, synced and
// renamed into place, so that out is complete or absent. It ends the server's session in every
// case and returns the size.
func onlineBackup(s *session, out string) (int64, error) {
	if _, err := os.Lstat(out); err == nil {
		return 0, fmt.Errorf("%s exists: not overwritten", out)
	}
	begin, err := s.do(kmip.OperationVendorBackup, &kmip.BackupRequest{Function: kmip.BackupBegin})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	b := begin.(*kmip.BackupResponse)
	defer s.do(kmip.OperationVendorBackup, &kmip.BackupRequest{Function: kmip.BackupEnd, CorrelationValue: b.CorrelationValue}) //nolint:errcheck // the server also expires it

	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.part") // mode 0600
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	err = downloadBackup(s, b, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return 0, err
	}
	return b.Size, nil
}

// downloadBackup reads the snapshot b announced into w, chunk by chunk.
func downloadBackup(s *session, b *kmip.BackupResponse, w io.Writer) error {
	var off int64
	for off < b.Size {
		resp, err := s.do(kmip.OperationVendorBackup, &kmip.BackupRequest{
			Function: kmip.BackupRead, CorrelationValue: b.CorrelationValue, Offset: off, Length: onlineBackupChunk,
		})
		if err != nil {
			return fmt.Errorf("backup: read at %d: %w", off, err)
		}
		data := resp.(*kmip.BackupResponse).Data
		if len(data) == 0 {
			return fmt.Errorf("backup: the server sent %d bytes of the %d it announced", off, b.Size)
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		off += int64(len(data))
	}
	if off != b.Size {
		return fmt.Errorf("backup: the server sent %d bytes, %d announced", off, b.Size)
	}
	return nil
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
