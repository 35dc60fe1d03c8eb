package main

import (
	"context"
	"crypto/fips140"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/handlers/audit"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// version is the server's version, set at build time with
// -ldflags "-X main.version=...".
var version = "dev"

// moduleRNG describes the random bit generator of the configured module
// for the Random Number Generator attribute. The software provider uses Go's
// crypto/rand: in FIPS 140-3 mode an SP 800-90A CTR_DRBG with AES-256,
// otherwise the operating system's generator. A PKCS#11 token does not say
// which generator it runs. KMIP cannot name either more precisely than
// Unspecified.
func moduleRNG(provider string) kmip.RNGParameters {
	if provider == hsm.ProviderSoftware && fips140.Enabled() {
		return kmip.RNGParameters{
			RNGAlgorithm:           uint32(kmip14.RNGAlgorithmDRBG),
			DRBGAlgorithm:          uint32(kmip14.DRBGAlgorithmCTR),
			CryptographicAlgorithm: kmip14.CryptographicAlgorithmAES,
			CryptographicLength:    256,
		}
	}
	return kmip.RNGParameters{RNGAlgorithm: uint32(kmip14.RNGAlgorithmUnspecified)}
}

// moduleRNGs lists the random bit generators of the configured module for
// Query RNGs: the one keys are generated with (moduleRNG) and, for the
// software provider, the SP 800-90A HMAC_DRBG with SHA-256 over crypto/rand
// that serves RNG Retrieve and takes RNG Seed (hsm/rng_drbg.go). A PKCS#11
// token has one generator for both.
func moduleRNGs(provider string) []kmip.RNGParameters {
	rngs := []kmip.RNGParameters{moduleRNG(provider)}
	if provider == hsm.ProviderSoftware {
		rngs = append(rngs, kmip.RNGParameters{
			RNGAlgorithm:     uint32(kmip14.RNGAlgorithmDRBG),
			DRBGAlgorithm:    uint32(kmip14.DRBGAlgorithmHMAC),
			HashingAlgorithm: kmip14.HashingAlgorithmSHA_256,
		})
	}
	return rngs
}

// run starts the server with cfg and serves until SIGTERM or SIGINT, then
// drains and returns.
func run(ctx context.Context, cfg Config) error {
	log, err := newLogger(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // stderr sync errors are not actionable

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	pkiDir := filepath.Join(cfg.DataDir, "pki")
	var devPKIDir string // pkiDir when kmipd runs with the development PKI
	if cfg.TLS.Cert == "" && cfg.TLS.Key == "" && cfg.TLS.CA == "" {
		created, err := certs.EnsureDevPKI(pkiDir, cfg.TLS.Hosts)
		if err != nil {
			return fmt.Errorf("dev PKI: %w", err)
		}
		if created {
			log.Info("wrote development PKI", zap.String("dir", pkiDir))
		}
		cfg.TLS.Cert = filepath.Join(pkiDir, "server.crt")
		cfg.TLS.Key = filepath.Join(pkiDir, "server.key")
		cfg.TLS.CA = filepath.Join(pkiDir, "ca.crt")
		devPKIDir = pkiDir
		log.Warn("no tls: section: using the development PKI, for development only: "+
			"its CA key lies beside the data and signs any client; configure tls.cert, tls.key and tls.ca for production",
			zap.String("dev_pki_dir", pkiDir))
	}
	var tlsOptions []certs.ServerOption
	if cfg.TLS.LegacySuites {
		tlsOptions = append(tlsOptions, certs.LegacySuites())
	}
	if cfg.TLS.AllowClientCertsWithoutEKU {
		tlsOptions = append(tlsOptions, certs.AllowClientCertsWithoutEKU())
		log.Warn("tls.allow_client_certs_without_eku: client certificates without an Extended Key Usage are accepted; " +
			"issue clients certificates with clientAuth and turn it off")
	}
	serverTLS, err := newLiveTLS(serverFiles(cfg), tlsOptions...)
	if err != nil {
		return fmt.Errorf("TLS: %w", err)
	}

	st, err := openStorage(ctx, cfg, log) // storage.go
	if err != nil {
		return err
	}
	defer st.Close()
	db, crypto, binding := st.db, st.crypto, st.binding

	notify, err := startNotify(cfg, db, log.Named("notify"))
	if err != nil {
		return err
	}
	defer notify.Close()

	certifier, err := openCertifier(cfg, devPKIDir)
	if err != nil {
		return fmt.Errorf("certify: %w", err)
	}

	service, err := handlers.New(handlers.Config{
		Store:                db,
		Crypto:               crypto,
		Logger:               log.Named("handlers"),
		VendorIdentification: "kmipd",
		HTTPS:                cfg.HTTPSListen != "",
		RNG:                  moduleRNG(cfg.HSM.Provider),
		RNGs:                 moduleRNGs(cfg.HSM.Provider),
		RNGSeed:              handlers.RNGSeedPolicy{MaxBytes: cfg.RNGSeed.MaxBytes, Refuse: cfg.RNGSeed.Refuse},
		LeaseTime:            cfg.LeaseTime,
		// Key material is kept sealed in the store, in software, whichever
		// module seals it.
		ProtectionStorageMask: int32(kmip20.ProtectionStorageMaskSoftware),
		DestroyGrace:          cfg.DestroyGrace,
		PyKMIPAttributes:      cfg.Interop.PyKMIPAttributes,
		Notifier:              notify.Notifier(),
		Certifier:             certifier.certifier(),
		BackupDir:             filepath.Join(cfg.DataDir, "backups"),
		BackupOperators:       cfg.BackupOperators,
		ServerInfo: kmip.ServerInformation{
			ServerName:    "kmipd",
			ServerVersion: version,
			ProductName:   "kmipd",
		},
	})
	if err != nil {
		return err
	}
	// Recorded in the audit trail even when there is none (a change from a
	// policy in force before a restart).
	if _, _, err := service.SetPolicy(ctx, cfg.Authz); err != nil {
		return err
	}
	// A Destroy cut short by a crash wipes its material before any request;
	// what fails here, the sweep retries.
	if err := service.FinishDestructions(ctx); err != nil {
		log.Warn("pending destructions", zap.Error(err))
	}

	obs := newMetrics()
	obs.module = &cachedCheck{check: binding.Check, interval: moduleCheckInterval}
	auditing := audit.Config{Log: db, UsesKey: handlers.UsesKey, TenantOf: service.TenantOf}
	handler, err := newCredentialGate(service, cfg, audit.CredentialObserver(auditing), obs.auth)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}

	obs.registry.MustRegister(notify.pushes, serverCertExpiry(serverTLS))
	srv := &kmip.Server{
		Observer:  observer{obs, newHandshakeRefusals(obs.registry, log.Named("tls"))}, // tlsmetrics.go
		Handler:   audit.Handler(handler, auditing),
		TLSConfig: serverTLS.Config(),
		Identify:  serverTLS.Identify,
		Logger:    log.Named("kmip"),
		Limits: kmip.Limits{
			MaxMessageSize:   cfg.Limits.MaxMessageSize,
			MaxBatchItems:    cfg.Limits.MaxBatchItems,
			MaxConns:         cfg.Limits.MaxConns,
			HandshakeTimeout: cfg.Limits.HandshakeTimeout,
			ReadTimeout:      cfg.Limits.ReadTimeout,
			IdleTimeout:      cfg.Limits.IdleTimeout,
			WriteTimeout:     cfg.Limits.WriteTimeout,
		},
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	servers := 1 // listeners whose Serve result is awaited
	var httpsSrv *http.Server
	var httpsLn net.Listener
	if cfg.HTTPSListen != "" {
		if httpsLn, err = net.Listen("tcp", cfg.HTTPSListen); err != nil {
			ln.Close()
			return err
		}
		httpsSrv = kmip.NewHTTPServer(srv)
		servers++
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go sweep(ctx, service, cfg.SweepInterval, log)
	if cfg.KEKRotation > 0 {
		go rotateKEK(ctx, service, cfg.KEKRotation, log.Named("kek"))
	}
	go reloadOnSIGHUP(ctx, &reloader{cfg: cfg, tls: serverTLS, creds: handler, service: service, certify: certifier, log: log.Named("reload")})
	go obs.watchStore(ctx, db, st.dbDir, storeMetricsInterval, log.Named("metrics"))
	go obs.objects.countObjects(ctx, db, cfg.ObjectsRecount, log.Named("metrics"))
	if cfg.MetricsListen != "" {
		go func() {
			if err := serveMetrics(ctx, cfg.MetricsListen, obs, log.Named("metrics")); err != nil {
				log.Error("metrics listener", zap.Error(err))
			}
		}()
	}

	// The listeners are bound: say so before serving, so that a client that
	// got an answer can rely on the line being in the log.
	if httpsSrv != nil {
		log.Info("listening for HTTPS", zap.String("addr", httpsLn.Addr().String()))
	}
	log.Info("listening", zap.String("addr", ln.Addr().String()), zap.String("data_dir", cfg.DataDir),
		zap.String("store", storeName(cfg)), zap.String("hsm", cfg.HSM.Provider), zap.String("version", version))
	obs.ready.Store(true)
	served := make(chan error, servers)
	go func() { served <- srv.Serve(ln) }()
	if httpsSrv != nil {
		go func() { served <- kmip.ServeHTTPS(httpsSrv, srv, httpsLn) }()
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	obs.ready.Store(false)
	drainCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if httpsSrv != nil {
		if err := httpsSrv.Shutdown(drainCtx); err != nil {
			log.Warn("HTTPS shutdown", zap.Error(err))
		}
	}
	if err := srv.Shutdown(drainCtx); err != nil {
		log.Warn("shutdown", zap.Error(err))
	}
	for range servers {
		if err := <-served; err != nil && !errors.Is(err, kmip.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	log.Info("stopped")
	return nil
}

// sweep applies date-driven state changes every interval until ctx ends.
func sweep(ctx context.Context, service *handlers.Service, interval time.Duration, log *zap.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := service.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweep", zap.Error(err))
			}
		}
	}
}

// rotateKEK rotates the key-encryption key every interval until ctx ends.
func rotateKEK(ctx context.Context, service *handlers.Service, interval time.Duration, log *zap.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r, err := service.RotateKEK(ctx)
			if err != nil && ctx.Err() == nil {
				log.Error("scheduled KEK rotation", zap.Error(err))
				continue
			}
			log.Info("KEK rotated", zap.Uint32("epoch", r.NewKeyID), zap.Int("resealed", r.Resealed), zap.Int("retired", len(r.Retired)))
		}
	}
}

func newLogger(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
	default:
		return nil, fmt.Errorf("log format %q: want json or console", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	// Warnings (the dev PKI, a refused handshake) are for operators, not
	// programmers: no stack traces, which the development config adds from
	// Warn up and which buried every warning of `make run`.
	cfg.DisableStacktrace = true
	cfg.EncoderConfig.TimeKey = "time"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}
