package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/cmd/kmipctl/internal/datadir"
	"github.com/kmipd/kmipd/kmip"
)

// backupCommand writes an encrypted, authenticated backup of the store:
// online, through the running server named by --server (the x-kmipd-Backup
// operation; the identity of --pki must be a backup operator), or offline
// from a stopped server's --data-dir (package datadir).
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
				if err := datadir.Backup(cmd.Context(), dataDir, out); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "backup written to %s\n", out)
				return nil
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
