package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"

	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers"
)

// reloader applies, on SIGHUP, what can change in the configuration without
// dropping a connection:
//
//   - the TLS files: server certificate and key, client CAs (tls.ca,
//     tls.client_cas) and CRL, re-read, or read from their new paths;
//   - the auth section: require_password, the users' password hashes and
//     identities, and the lockout limits (the failures counted so far are
//     kept; see credentialGate);
//   - the authz policy (SetPolicy records the change in the audit trail).
//
// The configuration is read again as at start (the file, then KMIPD_*
// variables, then the flags given). A configuration that does not load, or
// any part of it that does not (an unreadable certificate, a malformed
// hash, an invalid policy), is refused as a whole and logged; the previous
// configuration stays in force, though the current TLS files are still
// re-read (a renewed certificate needs no configuration change). Every
// other setting that changed (listen addresses, data_dir, hsm, limits,
// ...) is logged as needing a restart and is not applied.
//
// Connections already open are untouched; new handshakes and the items
// served from then on see the new state. Reloads run one at a time, on the
// goroutine of reloadOnSIGHUP.
type reloader struct {
	cfg     Config // in force; Reload re-reads it
	tls     *liveTLS
	creds   *credentialGate
	service *handlers.Service
	certify *certifyCA // nil without Certify
	log     *zap.Logger
}

// reloadOnSIGHUP runs r.reload on each SIGHUP until ctx ends.
func reloadOnSIGHUP(ctx context.Context, r *reloader) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.reload(ctx)
		}
	}
}

// reload performs one reload; see reloader.
func (r *reloader) reload(ctx context.Context) {
	next, err := r.read()
	if err == nil {
		err = r.apply(ctx, next)
	}
	if err != nil {
		r.log.Error("reload refused: keeping the previous configuration", zap.Error(err))
		if err := r.tls.commit(r.tls.files, nil); err != nil {
			r.log.Error("reload TLS: keeping the previous certificate, CAs and CRL", zap.Error(err))
		} else {
			r.log.Info("re-read TLS certificate, client CAs and CRL")
		}
		return
	}
	// The restart warnings come before the line that ends the reload, so a
	// reader (an operator's tail, a test) that waits for "configuration
	// reloaded" has every line of this reload in front of it.
	pending := needRestart(r.cfg, next)
	for _, name := range pending {
		r.log.Warn("setting changed but needs a restart to take effect", zap.String("setting", name))
	}
	r.log.Info("configuration reloaded: TLS files, auth users and authz policy in force",
		zap.Strings("needs_restart", pending))
}

// read loads the configuration again as at start, with the development
// PKI's files when it names no TLS files (as run does).
func (r *reloader) read() (Config, error) {
	if r.cfg.Reload == nil {
		return r.cfg, nil // no configuration file: the same settings
	}
	next, err := r.cfg.Reload()
	if err != nil {
		return next, err
	}
	if next.TLS.Cert == "" && next.TLS.Key == "" && next.TLS.CA == "" {
		pki := filepath.Join(next.DataDir, "pki")
		next.TLS.Cert = filepath.Join(pki, "server.crt")
		next.TLS.Key = filepath.Join(pki, "server.key")
		next.TLS.CA = filepath.Join(pki, "ca.crt")
	}
	return next, nil
}

// apply checks every reloadable part of next, then puts them all in force,
// or none when one fails.
func (r *reloader) apply(ctx context.Context, next Config) error {
	if err := r.certify.checkTrust(next); err != nil {
		return err
	}
	files := serverFiles(next)
	tls, err := r.tls.prepare(files)
	if err != nil {
		return err
	}
	creds, err := r.creds.prepare(next)
	if err != nil {
		return err
	}
	if _, _, err := r.service.SetPolicy(ctx, next.Authz); err != nil {
		return err
	}
	if err := r.tls.commit(files, tls); err != nil {
		// The files read a moment ago (same paths): keep what is in force
		// for them, as certs.ServerTLS.Reload does, and say so.
		r.log.Error("reload TLS: keeping the previous certificate, CAs and CRL", zap.Error(err))
	}
	r.creds.commit(creds)
	r.cfg.TLS.Cert, r.cfg.TLS.Key, r.cfg.TLS.CA = next.TLS.Cert, next.TLS.Key, next.TLS.CA
	r.cfg.TLS.ClientCAs, r.cfg.TLS.CRL = next.TLS.ClientCAs, next.TLS.CRL
	r.cfg.Auth, r.cfg.Authz = next.Auth, next.Authz
	return nil
}

// needRestart names the settings of next (by their kmipd.yaml keys) that
// differ from cur and that a reload does not apply: everything but the
// TLS files, auth and authz.
func needRestart(cur, next Config) []string {
	cur.TLS.Cert, cur.TLS.Key, cur.TLS.CA = next.TLS.Cert, next.TLS.Key, next.TLS.CA
	cur.TLS.ClientCAs, cur.TLS.CRL = next.TLS.ClientCAs, next.TLS.CRL
	cur.Auth, cur.Authz = next.Auth, next.Authz
	var names []string
	diffFields(reflect.ValueOf(cur), reflect.ValueOf(next), "", &names)
	return names
}

// diffFields appends the yaml paths of the fields that differ between a and
// b, structs of one type, descending into nested structs.
func diffFields(a, b reflect.Value, prefix string, names *[]string) {
	for i := range a.NumField() {
		f := a.Type().Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		fa, fb := a.Field(i), b.Field(i)
		if fa.Kind() == reflect.Struct && f.Type.NumField() > 0 && !isOpaque(f.Type) {
			diffFields(fa, fb, prefix+key+".", names)
			continue
		}
		if !reflect.DeepEqual(fa.Interface(), fb.Interface()) {
			*names = append(*names, prefix+key)
		}
	}
}

// isOpaque reports whether a struct type is a value compared whole (no
// exported fields of its own, like time.Time).
func isOpaque(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return false
		}
	}
	return true
}
