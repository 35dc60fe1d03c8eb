package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kmipd.yaml")
	yml := "listen: 127.0.0.1:7000\ndata_dir: /from/yaml\nlimits:\n  idle_timeout: 1m\n  max_conns: 7\n"
	if err := os.WriteFile(file, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KMIPD_DATA_DIR": "/from/env", "KMIPD_MAX_CONNS": "9"}
	cmd := newCommand()
	if err := cmd.Flags().Parse([]string{"--max-conns", "11"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(file, cmd.Flags(), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" {
		t.Errorf("listen = %q, want the YAML value", cfg.Listen)
	}
	if cfg.DataDir != "/from/env" {
		t.Errorf("data dir = %q, want the env value over YAML", cfg.DataDir)
	}
	if cfg.Limits.MaxConns != 11 {
		t.Errorf("max conns = %d, want the flag value over env and YAML", cfg.Limits.MaxConns)
	}
	if cfg.Limits.IdleTimeout != time.Minute {
		t.Errorf("idle timeout = %v, want 1m from YAML", cfg.Limits.IdleTimeout)
	}
	if cfg.Limits.ReadTimeout != 30*time.Second {
		t.Errorf("read timeout = %v, want the default", cfg.Limits.ReadTimeout)
	}
}

func TestConfigRejectsUnknownKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kmipd.yaml")
	if err := os.WriteFile(file, []byte("lisen: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(file, newCommand().Flags(), func(string) (string, bool) { return "", false }); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}
