package main

import (
	"slices"
	"testing"
	"time"

	"github.com/kmipd/kmipd/handlers/authz"
)

func TestNeedRestart(t *testing.T) {
	cur := defaultConfig()
	next := defaultConfig()
	// Applied by a reload: not reported.
	next.TLS.Cert, next.TLS.ClientCAs, next.TLS.CRL = "/new/server.crt", []string{"/new/ca.pem"}, "/new/crl.pem"
	next.Auth.RequirePassword = true
	next.Authz = &authz.Policy{DefaultRole: "r"}
	if got := needRestart(cur, next); len(got) != 0 {
		t.Errorf("reloadable changes reported as needing a restart: %v", got)
	}
	next.Listen = "127.0.0.1:1"
	next.DataDir = "/elsewhere"
	next.HSM.Provider = "pkcs11"
	next.Limits.IdleTimeout = time.Second
	next.TLS.LegacySuites = true
	want := []string{"listen", "data_dir", "tls.legacy_suites", "hsm.provider", "limits.idle_timeout"}
	if got := needRestart(cur, next); !slices.Equal(got, want) {
		t.Errorf("needRestart = %v, want %v", got, want)
	}
}
