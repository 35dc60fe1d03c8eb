package datadir

import (
	"context"
	"os"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// Backup writes the backup of the stopped server's store in dataDir to out
// (mode 0600), which must not exist, for kmipctl backup --data-dir: out is
// synced when Backup returns nil and removed when it fails.
func Backup(ctx context.Context, dataDir, out string) error {
	return withOfflineService(dataDir, func(_ *handlers.Service, db *store.Badger, crypto hsm.Crypto) error {
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		err = db.BackupWith(ctx, f, hsm.ModuleSealer(crypto), hsm.BackupAttachment(crypto))
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
		return nil
	})
}
