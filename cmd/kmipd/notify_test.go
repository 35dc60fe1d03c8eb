package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/handlers/notify"
	"github.com/kmipd/kmipd/kmip"
)

// endpointFunc is a client endpoint's handler: it records what it gets.
type endpointFunc func(*kmip.Request)

func (f endpointFunc) ServeKMIP(_ context.Context, req *kmip.Request) (any, error) {
	if req.Operation == kmip14.OperationDiscoverVersions {
		return &kmip.DiscoverVersionsResponse{Versions: []kmip.Version{kmip.V2_0}}, nil
	}
	f(req)
	return nil, nil
}

// TestNotifyConfig loads a notify section from YAML, starts the daemon's
// Pusher with it (dev PKI, client certificate from notify.cert, the
// endpoint's name taken from its address) and checks that an event
// reaches a real endpoint on loopback mutual TLS and is counted.
func TestNotifyConfig(t *testing.T) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	endpointTLS, err := certs.ServerConfig(filepath.Join(pki, certs.ServerCertFile), filepath.Join(pki, certs.ServerKeyFile), filepath.Join(pki, certs.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *kmip.Request, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &kmip.Server{Handler: endpointFunc(func(r *kmip.Request) { got <- r }), TLSConfig: endpointTLS, Identify: certs.Identify}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	file := filepath.Join(dir, "kmipd.yaml")
	yaml := "tls:\n  cert: " + filepath.Join(pki, certs.ServerCertFile) +
		"\n  key: " + filepath.Join(pki, certs.ServerKeyFile) +
		"\n  ca: " + filepath.Join(pki, certs.CACertFile) +
		"\nnotify:\n  queue: 5\n  cert: " + filepath.Join(pki, certs.ClientCertFile) +
		"\n  key: " + filepath.Join(pki, certs.ClientKeyFile) +
		"\n  endpoints:\n    - identity: CN=array\n      address: " + ln.Addr().String() + "\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(file, newCommand().Flags(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	n, err := startNotify(cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.Notifier() == nil {
		t.Fatal("no Notifier with an endpoint configured")
	}
	n.Notifier().Notify(handlers.Event{Kind: handlers.EventNotify, Owner: "CN=array", Lifecycle: true, UniqueIdentifier: "k-1",
		Attributes: kmip.Attributes{{Name: kmip.AttrState, Value: kmip14.StateActive}}})
	select {
	case r := <-got:
		if p, ok := r.Payload.(*kmip.NotifyRequest); !ok || p.UniqueIdentifier != "k-1" || r.Version != kmip.V2_0 {
			t.Fatalf("endpoint got %v %#v in %v", r.Operation, r.Payload, r.Version)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached the endpoint")
	}
	counter := n.pushes.WithLabelValues("CN=array", "Notify", notify.Sent)
	for deadline := time.Now().Add(5 * time.Second); value(t, counter) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if v := value(t, counter); v != 1 {
		t.Errorf("kmipd_pushes_total{outcome=sent} = %v", v)
	}
}

// TestNotifyConfigNone: without endpoints there is no Notifier (Query
// lists no Notify or Put) and nothing to stop.
func TestNotifyConfigNone(t *testing.T) {
	n, err := startNotify(defaultConfig(), nil, zap.NewNop())
	if err != nil || n.Notifier() != nil {
		t.Fatalf("startNotify without endpoints: %v, %v", n.Notifier(), err)
	}
	n.Close()
	cfg := defaultConfig()
	cfg.Notify.Endpoints = []NotifyEndpoint{{Identity: "CN=x"}}
	if _, err := startNotify(cfg, nil, zap.NewNop()); err == nil {
		t.Fatal("an endpoint without address accepted")
	}
}

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
