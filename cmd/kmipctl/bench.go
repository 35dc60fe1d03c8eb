package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmipd/kmipd/kmip"
)

// benchConfig is what kmipctl bench measures.
type benchConfig struct {
	op        string
	conns     int
	duration  time.Duration
	warmup    time.Duration
	preload   int
	opTimeout time.Duration
}

// benchResult is the outcome of a run, printed as JSON with --json.
// Latencies are those of successful operations started in the measured
// window; ops_per_sec counts successful operations only.
type benchResult struct {
	Op          string  `json:"op"`
	Conns       int     `json:"conns"`
	Protocol    string  `json:"protocol"`
	Server      string  `json:"server"`
	DurationS   float64 `json:"duration_s"`
	WarmupS     float64 `json:"warmup_s"`
	Preload     int     `json:"preload"`
	Ops         uint64  `json:"ops"`
	OpsPerSec   float64 `json:"ops_per_sec"`
	Errors      uint64  `json:"errors"`
	ErrorSample string  `json:"error_sample,omitempty"`
	MeanMs      float64 `json:"mean_ms"`
	P50Ms       float64 `json:"p50_ms"`
	P90Ms       float64 `json:"p90_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
}

func benchCommand(g *globals) *cobra.Command {
	var cfg benchConfig
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a KMIP server: ops/s and latency percentiles over persistent connections",
		Long: `Measure a KMIP server (kmipd or any other) with --conns persistent TLS
connections, each issuing one request at a time for --warmup plus
--duration; only the --duration window is reported. Operations:

  discover  DiscoverVersions: the cost of TLS and framing alone
  create    Create of an AES-256 key
  get       Get of a preloaded key, chosen at random
  locate    Locate by Name of a preloaded key (named bench-<i>)
  encrypt   Encrypt of 1 KiB with AES-GCM under a preloaded, activated key
  mixed     70% get, 10% create, 10% locate, 10% get-attributes

get, locate, encrypt and mixed need --preload N: N keys are created first.
A failed operation is counted as an error and the run goes on; a broken
connection is dialled again. A progress line is written to stderr every
second; with --json the result is one JSON object on the last line of stdout.`,
		Args: cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&cfg.op, "op", "discover", "operation: "+strings.Join(benchOps, ", "))
	f.IntVar(&cfg.conns, "conns", 1, "persistent TLS connections, one request at a time each")
	f.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time")
	f.DurationVar(&cfg.warmup, "warmup", time.Second, "time run before the measurement, not reported")
	f.IntVar(&cfg.preload, "preload", 0, "AES-256 keys (named bench-<i>) to create before the run")
	f.DurationVar(&cfg.opTimeout, "op-timeout", 10*time.Second, "deadline of one operation")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := cfg.validate(); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
		defer stop()
		dial := func() (*kmip.Client, error) {
			s, err := g.connect(cmd)
			if err != nil {
				return nil, err
			}
			s.cancel() // the context bounds the handshake only
			return s.Client, nil
		}
		res, err := runBench(ctx, cfg, dial, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		res.Protocol, res.Server = g.protocol, g.server
		if g.json {
			return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
		}
		res.print(cmd.OutOrStdout())
		return nil
	}
	return cmd
}

func (cfg *benchConfig) validate() error {
	switch {
	case !slices.Contains(benchOps, cfg.op):
		return fmt.Errorf("unknown --op %q: want one of %s", cfg.op, strings.Join(benchOps, ", "))
	case cfg.conns < 1 || cfg.conns > 10000:
		return fmt.Errorf("--conns %d: want 1 to 10000", cfg.conns)
	case cfg.duration <= 0 || cfg.warmup < 0 || cfg.opTimeout <= 0:
		return fmt.Errorf("--duration and --op-timeout must be positive, --warmup not negative")
	case cfg.preload < 0 || cfg.preload > 10_000_000:
		return fmt.Errorf("--preload %d: want 0 to 10000000", cfg.preload)
	case benchNeedsPreload(cfg.op) && cfg.preload == 0:
		return fmt.Errorf("--op %s needs keys to work on: give --preload N (N >= 1)", cfg.op)
	}
	return nil
}

// benchCounters are shared by the workers for the progress line.
type benchCounters struct {
	ops, errors atomic.Uint64
}

// benchWorker is one connection's share of a run; it is used by one
// goroutine, then read after it ended.
type benchWorker struct {
	hist     latencyHistogram
	ops      uint64
	errors   uint64
	firstErr error
}

// runBench dials cfg.conns clients, preloads keys, runs the workload until
// the warm-up and the measurement are over or ctx ends, and returns the
// measurement. Setup failures (dial, preload) are returned; failures of the
// measured operations are counted in the result.
func runBench(ctx context.Context, cfg benchConfig, dial func() (*kmip.Client, error), progress io.Writer) (*benchResult, error) {
	clients, err := dialAll(cfg.conns, dial)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range clients {
			if c != nil { // nil after a broken connection that could not be redialled
				c.Close()
			}
		}
	}()

	ids, err := preloadAll(ctx, cfg, clients, progress)
	if err != nil {
		return nil, err
	}

	var counters benchCounters
	workers := make([]benchWorker, cfg.conns)
	measureStart := time.Now().Add(cfg.warmup)
	end := measureStart.Add(cfg.duration)
	stopProgress := startProgress(&counters, cfg.warmup, progress)

	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			work := newBenchWorkload(cfg.op, ids, i)
			workers[i].run(ctx, cfg.opTimeout, &clients[i], dial, work, &counters, measureStart, end)
		})
	}
	wg.Wait()
	elapsed := time.Since(measureStart)
	stopProgress()

	var total benchWorker
	for i := range workers {
		w := &workers[i]
		total.hist.merge(&w.hist)
		total.ops += w.ops
		total.errors += w.errors
		if total.firstErr == nil {
			total.firstErr = w.firstErr
		}
	}
	return total.result(cfg, elapsed), nil
}

// dialAll opens n connections in parallel; on failure it closes the ones
// opened and returns the first error.
func dialAll(n int, dial func() (*kmip.Client, error)) ([]*kmip.Client, error) {
	clients := make([]*kmip.Client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() { clients[i], errs[i] = dial() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			for _, c := range clients {
				if c != nil {
					c.Close()
				}
			}
			return nil, fmt.Errorf("dial: %w", err)
		}
	}
	return clients, nil
}

// preloadAll creates cfg.preload keys over all the connections and returns
// their identifiers, the i-th being the key named bench-<i>.
func preloadAll(ctx context.Context, cfg benchConfig, clients []*kmip.Client, progress io.Writer) ([]string, error) {
	if cfg.preload == 0 {
		return nil, nil
	}
	start := time.Now()
	fmt.Fprintf(progress, "bench: preloading %d AES-256 keys over %d connections\n", cfg.preload, len(clients))
	stride := len(clients)
	ids := make([]string, cfg.preload)
	errs := make([]error, stride)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			mine, err := benchPreload(ctx, c, i, stride, cfg.preload, cfg.op == "encrypt")
			for k, id := range mine {
				ids[i+k*stride] = id
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(progress, "bench: preloaded %d keys in %.1fs\n", cfg.preload, time.Since(start).Seconds())
	return ids, nil
}

// run issues operations on *client until end or ctx's end, recording those
// started from measureStart on. A KMIP failure is counted; a transport
// failure is counted and the connection dialled again.
func (w *benchWorker) run(ctx context.Context, opTimeout time.Duration, client **kmip.Client, dial func() (*kmip.Client, error),
	work *benchWorkload, counters *benchCounters, measureStart, end time.Time) {
	for {
		start := time.Now()
		if !start.Before(end) || ctx.Err() != nil {
			return
		}
		measured := !start.Before(measureStart)
		err := w.once(ctx, opTimeout, client, dial, work)
		if ctx.Err() != nil {
			return // interrupted: the operation in flight is not counted
		}
		if err != nil {
			counters.errors.Add(1)
			if measured {
				w.errors++
				if w.firstErr == nil {
					w.firstErr = err
				}
			}
			continue
		}
		counters.ops.Add(1)
		if measured {
			w.ops++
			w.hist.record(time.Since(start))
		}
	}
}

// once performs one operation, redialling first when the connection broke.
func (w *benchWorker) once(ctx context.Context, opTimeout time.Duration, client **kmip.Client, dial func() (*kmip.Client, error), work *benchWorkload) error {
	if *client == nil {
		c, err := dial()
		if err != nil {
			time.Sleep(100 * time.Millisecond) // a server that refuses connections is not hammered
			return fmt.Errorf("redial: %w", err)
		}
		*client = c
	}
	opCtx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	err := work.do(opCtx, *client)
	var ke *kmip.Error
	if err != nil && !errors.As(err, &ke) {
		(*client).Close()
		*client = nil
	}
	return err
}

// result summarises the merged workers over elapsed.
func (w *benchWorker) result(cfg benchConfig, elapsed time.Duration) *benchResult {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r := &benchResult{
		Op:        cfg.op,
		Conns:     cfg.conns,
		DurationS: max(elapsed, 0).Seconds(),
		WarmupS:   cfg.warmup.Seconds(),
		Preload:   cfg.preload,
		Ops:       w.ops,
		Errors:    w.errors,
		MeanMs:    ms(w.hist.mean()),
		P50Ms:     ms(w.hist.quantile(0.50)),
		P90Ms:     ms(w.hist.quantile(0.90)),
		P99Ms:     ms(w.hist.quantile(0.99)),
		MaxMs:     ms(time.Duration(w.hist.max)),
	}
	if elapsed > 0 {
		r.OpsPerSec = float64(w.ops) / elapsed.Seconds()
	}
	if w.firstErr != nil {
		r.ErrorSample = w.firstErr.Error()
	}
	return r
}

// startProgress writes a line to out every second until the returned
// function is called: the time since the start, the phase, the rate over
// the last second and the errors so far.
func startProgress(counters *benchCounters, warmup time.Duration, out io.Writer) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var lastOps uint64
		start := time.Now()
		last := start
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				ops := counters.ops.Load()
				phase := "measuring"
				if now.Sub(start) <= warmup {
					phase = "warm-up"
				}
				fmt.Fprintf(out, "bench: %4.0fs %-9s %10.0f ops/s  %d errors so far\n", now.Sub(start).Seconds(), phase,
					float64(ops-lastOps)/now.Sub(last).Seconds(), counters.errors.Load())
				lastOps, last = ops, now
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// print writes the result for people.
func (r *benchResult) print(w io.Writer) {
	fmt.Fprintf(w, "op %s, %d connections, protocol %s, server %s\n", r.Op, r.Conns, r.Protocol, r.Server)
	fmt.Fprintf(w, "measured   %.1fs (after %.1fs warm-up), %d keys preloaded\n", r.DurationS, r.WarmupS, r.Preload)
	fmt.Fprintf(w, "throughput %.0f ops/s (%d ops)\n", r.OpsPerSec, r.Ops)
	fmt.Fprintf(w, "latency    p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  mean %.3f ms\n", r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs, r.MeanMs)
	fmt.Fprintf(w, "errors     %d\n", r.Errors)
	if r.ErrorSample != "" {
		fmt.Fprintf(w, "first error: %s\n", r.ErrorSample)
	}
}
