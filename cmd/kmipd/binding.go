package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/hsm"
	_ "github.com/kmipd/kmipd/hsm/pkcs11" // registers the PKCS#11 provider (--hsm-provider pkcs11)
	"github.com/kmipd/kmipd/store"
)

// openModule opens the cryptographic module that cfg selects, bound to the
// data directory (hsm.OpenBound, record DATA/crypto-binding.json): a
// directory sealed by another module or KEK is refused with what sealed it
// and the settings that open it. A directory of an older version, without
// record, is adopted when the module's KEK exists already and unseals the
// first stored object that has material (adoptByOneObject). sealed says
// that the store holds data already, adopt checks the module against it.
func openModule(cfg Config, sealed bool, adopt func(hsm.Crypto) error, log *zap.Logger) (hsm.Crypto, *hsm.Binding, error) {
	crypto, binding, err := hsm.OpenBound(hsm.Config{
		Provider: cfg.HSM.Provider,
		KeyFile:  filepath.Join(cfg.DataDir, "kek.key"),
		PKCS11: hsm.PKCS11Config{
			Module:     cfg.HSM.Module,
			TokenLabel: cfg.HSM.TokenLabel,
			PinFile:    cfg.HSM.PinFile,
		},
	}, hsm.BindOptions{
		Path:   filepath.Join(cfg.DataDir, hsm.BindingFile),
		Sealed: sealed,
		Adopt:  adopt,
	}, log)
	var be *hsm.BindingError
	if errors.As(err, &be) {
		return nil, nil, fmt.Errorf("%w; %s", err, bindingFix(be))
	}
	return crypto, binding, err
}

// bindingFix tells the operator how to start on the module that sealed the
// data directory, by kmipd's flags.
func bindingFix(e *hsm.BindingError) string {
	rec := e.Recorded
	switch {
	case rec == nil:
		return "start kmipd with the module that sealed it (a PKCS#11 token: --hsm-provider pkcs11 --hsm-module PATH " +
			"--hsm-token-label LABEL --hsm-pin-file FILE; the software module: its DATA/kek.key restored)"
	case rec.Provider == hsm.ProviderPKCS11 && e.Configured.Provider != hsm.ProviderPKCS11:
		return fmt.Sprintf("start kmipd with --hsm-provider pkcs11 --hsm-module %s --hsm-token-label %s --hsm-pin-file FILE "+
			"(or the hsm: section of kmipd.yaml)", rec.Module, rec.TokenLabel)
	case rec.Provider == hsm.ProviderPKCS11:
		fix := fmt.Sprintf("give --hsm-module and --hsm-token-label of the token that holds KEK %q (label %q", rec.KEKID, rec.TokenLabel)
		if rec.TokenSerial != "" {
			fix += fmt.Sprintf(", serial %q", rec.TokenSerial)
		}
		return fix + ")"
	case e.Configured.Provider != hsm.ProviderSoftware:
		return "start kmipd without --hsm-provider pkcs11 (and without an hsm: section): the software module keeps this directory's KEK in DATA/kek.key"
	default:
		return "restore this data directory's own kek.key (mode 0600); another key file cannot open its data"
	}
}

// adoptByOneObject returns the hsm.BindOptions.Adopt check of an older
// version's data directory: handlers.UnsealsStoredData on the store in
// dbDir, opened for the check and closed again.
func adoptByOneObject(dbDir string, log *zap.Logger) func(hsm.Crypto) error {
	return func(module hsm.Crypto) error {
		db, err := store.OpenBadger(dbDir, store.Options{Logger: log.Named("store")})
		if err != nil {
			return fmt.Errorf("open the store to check its data: %w", err)
		}
		defer db.Close()
		if err := handlers.UnsealsStoredData(context.Background(), db, module); err != nil {
			return err
		}
		log.Info("crypto binding: adopting a data directory of an older version, whose data this module unseals")
		return nil
	}
}
