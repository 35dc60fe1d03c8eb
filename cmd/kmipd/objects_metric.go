package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers"
	"github.com/kmipd/kmipd/store"
)

// objectCounts is the gauge kmipd_objects{type,state}: the stored objects
// of each Object Type and State, every tenant together.
//
// A scrape never reads the store: it reports the counts of the last pass of
// countObjects, which walks the whole store once at start and then at most
// every interval (objects_recount in kmipd.yaml, a minute by default), and only when the audit trail has grown since the
// previous pass (every served item appends a record, so an idle server is
// not rescanned), except that every objectsRecountIdle a pass runs anyway
// for the state changes that dates make on their own (an Activation Date
// reached). The gauge thus lags the store by up to the interval.
//
// It is a prometheus.Collector, safe for concurrent use.
type objectCounts struct {
	desc   *prometheus.Desc
	counts atomic.Pointer[map[handlers.ObjectKind]int] // nil until the first pass
}

// objectsRecountIdle is how often an idle store is recounted anyway.
const objectsRecountIdle = 10 * time.Minute

func newObjectCounts() *objectCounts {
	return &objectCounts{desc: prometheus.NewDesc("kmipd_objects",
		"Stored objects by Object Type and State, recounted in the background (objects_recount).",
		[]string{"type", "state"}, nil)}
}

func (o *objectCounts) Describe(ch chan<- *prometheus.Desc) { ch <- o.desc }

func (o *objectCounts) Collect(ch chan<- prometheus.Metric) {
	counts := o.counts.Load()
	if counts == nil {
		return
	}
	for k, n := range *counts {
		ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(n), k.Type.String(), k.State.String())
	}
}

// countObjects keeps the counts current until ctx ends; see objectCounts.
func (o *objectCounts) countObjects(ctx context.Context, db store.Store, interval time.Duration, log *zap.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastHead uint64
	var lastPass time.Time
	for {
		head, err := db.AuditHead(ctx)
		if err == nil && (head != lastHead || time.Since(lastPass) >= objectsRecountIdle) {
			start := time.Now()
			counts, err := handlers.CountObjects(ctx, db)
			if err == nil {
				o.counts.Store(&counts)
				lastHead, lastPass = head, start
				log.Debug("objects counted", zap.Duration("took", time.Since(start)))
			} else if ctx.Err() == nil {
				log.Warn("count objects", zap.Error(err))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
