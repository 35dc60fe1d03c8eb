package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/store"
)

func TestStoreGauges(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := store.OpenBadger(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for range 5 {
		if err := db.AppendAudit(ctx, &store.AuditRecord{Identity: "CN=t", Operation: "Query", Result: "Success"}); err != nil {
			t.Fatal(err)
		}
	}
	m := newMetrics()
	m.refreshStore(ctx, db, dir, zap.NewNop())
	if got := gaugeValue(t, m, "kmipd_audit_records"); got != 5 {
		t.Errorf("kmipd_audit_records = %v, want 5", got)
	}
	want, err := dirSize(dir)
	if err != nil || want == 0 {
		t.Fatalf("dirSize = %d, %v", want, err)
	}
	if got := gaugeValue(t, m, "kmipd_store_size_bytes"); got != float64(want) {
		t.Errorf("kmipd_store_size_bytes = %v, want %d", got, want)
	}
}

// gaugeValue returns the value of the gauge name as m's registry exports it.
func gaugeValue(t *testing.T, m *metrics, name string) float64 {
	t.Helper()
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// TestGrafanaDashboard parses deploy/grafana-kmipd.json and checks that
// every metric its queries name is one the daemon exports.
func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile("../../deploy/grafana-kmipd.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	m := newMetrics()
	m.ItemServed(kmip14.OperationQuery, 0, 0, time.Millisecond) // vectors are exported once used
	m.objects.counts.Store(&map[handlers.ObjectKind]int{{Type: kmip14.ObjectTypeSymmetricKey, State: kmip14.StateActive}: 1})
	// The TLS metrics that run registers next to newMetrics'.
	pki := filepath.Join(t.TempDir(), "pki")
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	serverTLS, err := newLiveTLS(certs.ServerFiles{Cert: filepath.Join(pki, certs.ServerCertFile), Key: filepath.Join(pki, certs.ServerKeyFile),
		ClientCAs: []string{filepath.Join(pki, certs.CACertFile)}})
	if err != nil {
		t.Fatal(err)
	}
	m.registry.MustRegister(serverCertExpiry(serverTLS))
	newHandshakeRefusals(m.registry, zap.NewNop()).HandshakeFailed(nil, certs.ErrRevoked)
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var exported []string
	for _, f := range families {
		name := f.GetName()
		exported = append(exported, name, name+"_bucket", name+"_sum", name+"_count")
	}
	kmipdMetric := regexp.MustCompile(`kmipd_[a-z_]+`)
	queried := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, name := range kmipdMetric.FindAllString(target.Expr, -1) {
				queried[name] = true
				if !slices.Contains(exported, name) {
					t.Errorf("panel %q queries %s, which kmipd does not export", p.Title, name)
				}
			}
		}
	}
	for _, name := range []string{"kmipd_requests_total", "kmipd_request_duration_seconds_bucket", "kmipd_open_connections", "kmipd_audit_records", "kmipd_store_size_bytes", "kmipd_objects", "kmipd_auth_failures_total", "kmipd_auth_locked_keys",
		"kmipd_tls_handshake_failures_total", "kmipd_tls_server_cert_expiry_seconds"} {
		if !queried[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile("../../deploy/kmipd.service")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for _, want := range []string{
		"User=kmipd", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/kmipd",
		"PrivateTmp=yes", "CapabilityBoundingSet=", "ExecReload=/bin/kill -HUP $MAINPID", "LimitNOFILE=65536",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("kmipd.service lacks the line %q", want)
		}
	}
}

func TestConfigClientCAsAndCRL(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kmipd.yaml")
	yaml := "tls:\n  client_cas: [/etc/a.pem]\n  crl: /etc/crl.pem\nauth:\n  require_password: true\n  users:\n    array: {password_hash: \"$2b$04$x\"}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	cfg, err := loadConfig(file, newCommand().Flags(), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.TLS.ClientCAs, []string{"/etc/a.pem"}) || cfg.TLS.CRL != "/etc/crl.pem" || cfg.File != file {
		t.Errorf("from the file: client CAs %q, CRL %q, file %q", cfg.TLS.ClientCAs, cfg.TLS.CRL, cfg.File)
	}
	if !cfg.Auth.RequirePassword || cfg.Auth.Users["array"].PasswordHash != "$2b$04$x" {
		t.Errorf("auth = %+v", cfg.Auth)
	}
	if _, err := requireCredential(nil, cfg, nil, nil); err == nil {
		t.Error("requireCredential accepted a malformed bcrypt hash")
	}

	cmd := newCommand()
	if err := cmd.Flags().Parse([]string{"--tls-client-ca", "/b.pem", "--tls-client-ca=/c.pem,/d.pem"}); err != nil {
		t.Fatal(err)
	}
	if cfg, err = loadConfig(file, cmd.Flags(), noEnv); err != nil {
		t.Fatal(err)
	}
	if want := []string{"/b.pem", "/c.pem", "/d.pem"}; !slices.Equal(cfg.TLS.ClientCAs, want) {
		t.Errorf("flags: client CAs %q, want %q (flags replace the file's list)", cfg.TLS.ClientCAs, want)
	}
	if files := serverFiles(cfg); !slices.Equal(files.ClientCAs, append([]string{cfg.TLS.CA}, "/b.pem", "/c.pem", "/d.pem")) {
		t.Errorf("serverFiles client CAs = %q", files.ClientCAs)
	}
}
