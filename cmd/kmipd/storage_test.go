package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreDSNSettings reads the DSN from the YAML store: section, then
// KMIPD_STORE_DSN over it, then --store-dsn over both.
func TestStoreDSNSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kmipd.yaml")
	if err := os.WriteFile(file, []byte("store:\n  dsn: postgres://yaml@db/kmip\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	env := func(k string) (string, bool) { return "host=env dbname=kmip", k == "KMIPD_STORE_DSN" }
	flagged := newCommand()
	if err := flagged.Flags().Parse([]string{"--store-dsn", "host=flag"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  func() (Config, error)
		want string
	}{
		{"yaml", func() (Config, error) { return loadConfig(file, newCommand().Flags(), noEnv) }, "postgres://yaml@db/kmip"},
		{"env", func() (Config, error) { return loadConfig(file, newCommand().Flags(), env) }, "host=env dbname=kmip"},
		{"flag", func() (Config, error) { return loadConfig(file, flagged.Flags(), env) }, "host=flag"},
		{"none", func() (Config, error) { return loadConfig("", newCommand().Flags(), noEnv) }, ""},
	} {
		cfg, err := c.cfg()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.Store.DSN != c.want {
			t.Errorf("%s: DSN = %q, want %q", c.name, cfg.Store.DSN, c.want)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"postgres://kmipd:s3cret@db.example:5432/kmip?sslmode=verify-full", "postgres://kmipd:xxxxx@db.example:5432/kmip?sslmode=verify-full"},
		{"postgresql://kmipd@db/kmip?password=s3cret", "postgresql://kmipd@db/kmip?password=xxxxx"},
		{"host=db user=kmipd password=s3cret dbname=kmip", "host=db user=kmipd password=xxxxx dbname=kmip"},
		{"host=db password = 's3 c\\'ret' dbname=kmip", "host=db password = xxxxx dbname=kmip"},
		{"host=/run/pg dbname=kmip", "host=/run/pg dbname=kmip"},
	} {
		got := redactDSN(c.dsn)
		if got != c.want {
			t.Errorf("redactDSN(%q) = %q, want %q", c.dsn, got, c.want)
		}
		if strings.Contains(got, "s3") {
			t.Errorf("redactDSN(%q) keeps the password: %q", c.dsn, got)
		}
	}
}
