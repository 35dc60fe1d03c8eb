package main

import (
	"fmt"
	"net"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/handlers/notify"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// NotifyConfig is the `notify` section: the KMIP endpoints of clients that
// receive Notify and Put requests about their objects (notify.Pusher).
// How a client registers its endpoint is outside the KMIP specification;
// here the operator lists them.
//
//	notify:
//	  queue: 1000
//	  endpoints:
//	    - identity: "CN=array-1"       # the owner, as the server names it
//	      address: "array-1.example:5696"
//	      server_name: "array-1.example"
type NotifyConfig struct {
	Endpoints []NotifyEndpoint `yaml:"endpoints"`
	// Queue is the number of events held per endpoint while it is slow or
	// unreachable; more are dropped with a warning. 0: 1000.
	Queue int `yaml:"queue"`
	// Cert and Key are the client certificate shown to endpoints; empty:
	// the server's own certificate, which an endpoint that checks the
	// clientAuth extended key usage (as kmipd does) refuses unless the
	// certificate has it. The dev PKI's server certificate has serverAuth
	// only: give a client certificate here.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// NotifyEndpoint is one client endpoint. Its certificate is verified
// against the configured client CAs and ServerName.
type NotifyEndpoint struct {
	Identity string `yaml:"identity"`
	Address  string `yaml:"address"`
	// ServerName is the name the endpoint's certificate must hold; empty:
	// the host of Address.
	ServerName string `yaml:"server_name"`
}

// notifier is the daemon's delivery of Notify and Put: the Pusher (nil
// without endpoints) and its counter.
type notifier struct {
	pusher *notify.Pusher
	pushes *prometheus.CounterVec // by endpoint, operation, outcome
}

// startNotify starts the Pusher of cfg.Notify, if it lists endpoints, with
// a record of every push in audit. The
// TLS client side uses the server's certificate (or Notify.Cert) and trusts
// the CAs the server trusts for client certificates.
func startNotify(cfg Config, audit store.AuditLog, log *zap.Logger) (*notifier, error) {
	n := &notifier{pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kmipd_pushes_total",
		Help: "Notify and Put requests for client endpoints, by endpoint, operation and outcome (sent, refused, failed, dropped, withheld).",
	}, []string{"endpoint", "operation", "outcome"})}
	if len(cfg.Notify.Endpoints) == 0 {
		return n, nil
	}
	cert, key := cfg.Notify.Cert, cfg.Notify.Key
	if cert == "" && key == "" {
		cert, key = cfg.TLS.Cert, cfg.TLS.Key
	}
	var endpoints []notify.Endpoint
	for i, e := range cfg.Notify.Endpoints {
		if e.Identity == "" || e.Address == "" {
			return nil, fmt.Errorf("notify: endpoint %d needs an identity and an address", i)
		}
		name := e.ServerName
		if name == "" {
			host, _, err := net.SplitHostPort(e.Address)
			if err != nil {
				return nil, fmt.Errorf("notify: endpoint %s: %w", e.Identity, err)
			}
			name = host
		}
		tlsConfig, err := certs.ClientConfig(cfg.TLS.CA, cert, key, name)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		for _, ca := range cfg.TLS.ClientCAs {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return nil, fmt.Errorf("notify: %w", err)
			}
			if !tlsConfig.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("notify: no certificate in %s", ca)
			}
		}
		endpoints = append(endpoints, notify.Endpoint{Identity: e.Identity, Address: e.Address, TLS: tlsConfig})
	}
	n.pusher = notify.New(notify.Config{
		Endpoints: endpoints,
		Queue:     cfg.Notify.Queue,
		Logger:    log,
		Audit:     audit,
		Observe: func(endpoint string, op kmip.Operation, outcome string) {
			n.pushes.WithLabelValues(endpoint, op.String(), outcome).Inc()
		},
	})
	return n, nil
}

// Notifier returns the handlers.Notifier to configure; nil without
// endpoints.
func (n *notifier) Notifier() handlers.Notifier {
	if n.pusher == nil {
		return nil
	}
	return n.pusher
}

// Close stops the Pusher, abandoning the events still queued.
func (n *notifier) Close() {
	if n.pusher != nil {
		n.pusher.Close()
	}
}
