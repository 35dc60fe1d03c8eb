package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"golang.org/x/crypto/bcrypt"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// TestConfigAuthLockout: auth.lockout keeps the defaults it does not set,
// and auth.users binds identities.
func TestConfigAuthLockout(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kmipd.yaml")
	yaml := "auth:\n  require_password: true\n  lockout: {max_failures: 3}\n" +
		"  users:\n    array: {password_hash: \"$2b$04$x\", identities: [\"CN=array-1,O=acme\"]}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(file, newCommand().Flags(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	want := certs.DefaultLockoutPolicy
	want.MaxFailures = 3
	if cfg.Auth.Lockout != want {
		t.Errorf("auth.lockout = %+v, want %+v", cfg.Auth.Lockout, want)
	}
	if got := cfg.Auth.Users["array"].Identities; !slices.Equal(got, []string{"CN=array-1,O=acme"}) {
		t.Errorf("identities = %q", got)
	}
	if def := defaultConfig(); def.Auth.Lockout != certs.DefaultLockoutPolicy {
		t.Errorf("default auth.lockout = %+v", def.Auth.Lockout)
	}
}

// TestCredentialGateReloadKeepsFailures: a reload puts a new auth.lockout
// in force over the failures counted so far; an invalid one is refused.
func TestCredentialGateReloadKeepsFailures(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.Auth.RequirePassword = true
	cfg.Auth.Users = map[string]struct {
		PasswordHash string   `yaml:"password_hash"`
		Identities   []string `yaml:"identities"`
	}{"array": {PasswordHash: string(hash)}}
	cfg.Auth.Lockout = certs.LockoutPolicy{MaxFailures: 5, Period: time.Hour}
	m := newAuthMetrics()
	inner := kmip.HandlerFunc(func(context.Context, *kmip.Request) (any, error) { return nil, nil })
	g, err := newCredentialGate(inner, cfg, nopObserver{}, m)
	if err != nil {
		t.Fatal(err)
	}
	try := func(password string) error {
		_, err := g.ServeKMIP(context.Background(), &kmip.Request{
			Operation: kmip14.OperationQuery,
			Header:    &kmip.RequestHeader{Credential: &kmip.Credential{Type: 1, Username: "array", Password: password}},
			Peer:      &kmip.Peer{Identity: "CN=a"},
			Batch:     &kmip.BatchState{},
		})
		return err
	}
	for range 2 {
		try("wrong")
	}
	bad := cfg
	bad.Auth.Lockout.Period = 0
	if _, err := g.prepare(bad); err == nil {
		t.Fatal("a lockout without a period was accepted")
	}
	cfg.Auth.Lockout.MaxFailures = 3
	p, err := g.prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g.commit(p)
	try("wrong")
	var ke *kmip.Error
	if err := try("right"); !errors.As(err, &ke) || ke.Reason != kmip.ReasonAuthenticationNotSuccessful {
		t.Fatalf("the right password after 3 failures across a reload: %v, want locked", err)
	}
	if n := g.limiter.Locked(); n != 2 {
		t.Errorf("%d keys locked, want the identity and the username", n)
	}
}

type nopObserver struct{}

func (nopObserver) CredentialRefused(context.Context, *kmip.Request, certs.CredentialFailure) error {
	return nil
}
