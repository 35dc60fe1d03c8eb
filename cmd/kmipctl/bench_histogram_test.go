package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

// within reports whether got is within rel (relative) of want.
func within(got, want time.Duration, rel float64) bool {
	diff := float64(got - want)
	return diff >= -rel*float64(want) && diff <= rel*float64(want)
}

func TestHistogramUniform(t *testing.T) {
	var h latencyHistogram
	for i := 1; i <= 100_000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.9, 90 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		if got := h.quantile(c.q); !within(got, c.want, 1.0/histogramSub) {
			t.Errorf("quantile(%v) = %v, want %v within %.1f%%", c.q, got, c.want, 100.0/histogramSub)
		}
	}
	if h.max != int64(100*time.Millisecond) || h.min != int64(time.Microsecond) {
		t.Errorf("min, max = %v, %v; want 1µs, 100ms", time.Duration(h.min), time.Duration(h.max))
	}
	if got := h.mean(); !within(got, 50000500*time.Nanosecond, 1e-9) {
		t.Errorf("mean = %v, want 50.0005ms", got)
	}
}

// A bimodal distribution: 95% fast, 5% slow. The p90 is fast, the p99 slow:
// a histogram that averaged buckets would blur them.
func TestHistogramBimodal(t *testing.T) {
	var h latencyHistogram
	for i := range 10_000 {
		if i%20 == 0 {
			h.record(40 * time.Millisecond)
		} else {
			h.record(200 * time.Microsecond)
		}
	}
	if got := h.quantile(0.9); !within(got, 200*time.Microsecond, 1.0/histogramSub) {
		t.Errorf("p90 = %v, want 200µs", got)
	}
	if got := h.quantile(0.99); got != 40*time.Millisecond {
		t.Errorf("p99 = %v, want 40ms (capped at the max)", got)
	}
	if got := h.quantile(0.95); !within(got, 200*time.Microsecond, 1.0/histogramSub) {
		t.Errorf("p95 = %v, want 200µs (the 9500th of 10000 values)", got)
	}
}

func TestHistogramExactSmallValuesAndEmpty(t *testing.T) {
	var h latencyHistogram
	if h.quantile(0.5) != 0 || h.mean() != 0 {
		t.Fatal("an empty histogram reports non-zero values")
	}
	for v := range 100 {
		h.record(time.Duration(v))
	}
	h.record(-5) // counted as zero
	if got := h.quantile(0.5); got != 49 {
		t.Errorf("p50 of 0,0..99 = %d, want 49", got)
	}
	if got := h.quantile(0); got != 0 {
		t.Errorf("quantile(0) = %d, want 0", got)
	}
}

func TestHistogramMergeEqualsOneHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var all, a, b latencyHistogram
	for i := range 50_000 {
		d := time.Duration(rng.ExpFloat64() * float64(time.Millisecond))
		all.record(d)
		if i%3 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	var merged latencyHistogram
	merged.merge(&a)
	merged.merge(&b)
	merged.merge(&latencyHistogram{})
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		if merged.quantile(q) != all.quantile(q) {
			t.Errorf("quantile(%v): merged %v, single %v", q, merged.quantile(q), all.quantile(q))
		}
	}
	if merged.count != all.count || merged.min != all.min || merged.max != all.max {
		t.Errorf("merged count/min/max %d/%d/%d, single %d/%d/%d", merged.count, merged.min, merged.max, all.count, all.min, all.max)
	}
	// Exponential with mean 1ms: the median is ln 2 ms, the p99 ln 100 ms.
	if got := all.quantile(0.5); !within(got, 693*time.Microsecond, 0.03) {
		t.Errorf("p50 of Exp(1ms) = %v, want about 693µs", got)
	}
	if got := all.quantile(0.99); !within(got, 4605*time.Microsecond, 0.06) {
		t.Errorf("p99 of Exp(1ms) = %v, want about 4.6ms", got)
	}
}

// Every value falls in a bucket whose bounds hold it and whose width is at
// most 1/histogramSub of the value.
func TestHistogramBuckets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := []uint64{0, 1, histogramSub - 1, histogramSub, 2*histogramSub - 1, 2 * histogramSub, 1 << 62, 1<<63 - 1}
	for range 10_000 {
		values = append(values, rng.Uint64N(1<<63))
	}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= histogramBuckets {
			t.Fatalf("bucketOf(%d) = %d: out of range", v, i)
		}
		high := bucketHigh(i)
		low := uint64(0)
		if i > 0 {
			low = bucketHigh(i-1) + 1
		}
		if v < low || v > high {
			t.Fatalf("value %d in bucket %d of [%d, %d]", v, i, low, high)
		}
		if v >= histogramSub && float64(high-low) > float64(v)/histogramSub {
			t.Fatalf("bucket %d of [%d, %d] is wider than 1/%d of %d", i, low, high, histogramSub, v)
		}
	}
}
