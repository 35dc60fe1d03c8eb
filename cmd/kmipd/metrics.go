package main

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// metrics is the daemon's Prometheus instrumentation. It implements
// kmip.Observer; its methods are safe for concurrent use and never block.
type metrics struct {
	registry     *prometheus.Registry
	items        *prometheus.CounterVec   // by operation, status, reason
	latency      *prometheus.HistogramVec // by operation
	connections  prometheus.Gauge
	auditRecords prometheus.Gauge
	storeBytes   prometheus.Gauge
	objects      *objectCounts // kmipd_objects{type,state} (objects_metric.go)
	auth         *authMetrics  // kmipd_auth_* (auth_metrics.go)
	ready        atomic.Bool
	module       *cachedCheck // the crypto module's check for /readyz (readiness.go); nil: none
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kmipd_requests_total",
			Help: "KMIP batch items served, by operation and result.",
		}, []string{"operation", "status", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kmipd_request_duration_seconds",
			Help:    "Time to serve one KMIP batch item, by operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"operation"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kmipd_open_connections",
			Help: "Client connections open now.",
		}),
		auditRecords: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kmipd_audit_records",
			Help: "Records in the audit trail (the sequence number of the last one).",
		}),
		storeBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kmipd_store_size_bytes",
			Help: "Size on disk of the store's files.",
		}),
		objects: newObjectCounts(),
		auth:    newAuthMetrics(),
	}
	m.registry.MustRegister(m.auth.collectors()...)
	m.registry.MustRegister(m.items, m.latency, m.connections, m.auditRecords, m.storeBytes, m.objects,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) ConnOpened(net.Addr) { m.connections.Inc() }
func (m *metrics) ConnClosed(net.Addr) { m.connections.Dec() }

func (m *metrics) ItemServed(op kmip.Operation, status kmip.ResultStatus, reason kmip.ResultReason, d time.Duration) {
	name := op.String()
	r := ""
	if status != 0 { // not Success
		r = reason.String()
	}
	m.items.WithLabelValues(name, status.String(), r).Inc()
	m.latency.WithLabelValues(name).Observe(d.Seconds())
}

// serveMetrics serves /metrics, /healthz (the process is up) and /readyz
// (the KMIP listener accepts and the crypto module works) on addr until ctx
// ends.
func serveMetrics(ctx context.Context, addr string, m *metrics, log *zap.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", m.readyz) // readiness.go
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	log.Info("metrics listening", zap.String("addr", ln.Addr().String()))
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// storeMetricsInterval is how often watchStore refreshes its gauges.
const storeMetricsInterval = 30 * time.Second

// watchStore sets the audit-records and store-size gauges now and every
// interval until ctx ends. The store size is the sum of the sizes of the
// regular files under dir.
func (m *metrics) watchStore(ctx context.Context, db store.AuditLog, dir string, interval time.Duration, log *zap.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m.refreshStore(ctx, db, dir, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *metrics) refreshStore(ctx context.Context, db store.AuditLog, dir string, log *zap.Logger) {
	if seq, err := db.AuditHead(ctx); err != nil {
		if ctx.Err() == nil {
			log.Warn("audit head", zap.Error(err))
		}
	} else {
		m.auditRecords.Set(float64(seq))
	}
	if dir == "" {
		return // a PostgreSQL store: its size is the database server's to report
	}
	if size, err := dirSize(dir); err != nil {
		log.Warn("store size", zap.Error(err))
	} else {
		m.storeBytes.Set(float64(size))
	}
}

// dirSize returns the disk space taken by the regular files under dir: their
// allocated blocks, since Badger preallocates sparse value-log files of
// gigabytes. Files removed during the walk (Badger compacting) are
// skipped.
func dirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		total += diskUsage(info)
		return nil
	})
	return total, err
}

// diskUsage returns the bytes allocated to a file, or its size where the
// platform does not say.
func diskUsage(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}
