package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
)

// reloadOnSIGHUP reloads, on each SIGHUP until ctx ends, the server
// certificate, the client CAs and the CRL (see certs.ServerTLS.Reload) and
// the authorization policy of the configuration file. Connections already
// open are untouched; new handshakes and the items served from then on use
// the new state. A part that fails to reload keeps its previous state and
// is logged.
func reloadOnSIGHUP(ctx context.Context, serverTLS *certs.ServerTLS, service *handlers.Service, configFile string, log *zap.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reload(ctx, serverTLS, service, configFile, log)
		}
	}
}

// reload performs one reload; see reloadOnSIGHUP.
func reload(ctx context.Context, serverTLS *certs.ServerTLS, service *handlers.Service, configFile string, log *zap.Logger) {
	if err := serverTLS.Reload(); err != nil {
		log.Error("reload TLS: keeping the previous certificate, CAs and CRL", zap.Error(err))
	} else {
		log.Info("reloaded TLS certificate, client CAs and CRL")
	}
	if err := reloadPolicy(ctx, service, configFile); err != nil {
		log.Error("reload policy: keeping the previous policy", zap.Error(err))
	}
}

// reloadPolicy re-reads the authz section of configFile and puts it in
// force; SetPolicy records the change (before and after) in the audit
// trail. Without a configuration file there is nothing to re-read.
func reloadPolicy(ctx context.Context, service *handlers.Service, configFile string) error {
	if configFile == "" {
		return nil
	}
	cfg, err := readConfigFile(configFile)
	if err != nil {
		return err
	}
	_, _, err = service.SetPolicy(ctx, cfg.Authz)
	return err
}
