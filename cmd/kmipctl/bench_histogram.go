package main

import (
	"math"
	"math/bits"
	"time"
)

// histogramSubBits sets the precision of a latencyHistogram: each power of
// two is split into 2^histogramSubBits buckets, so a reported value is at
// most 1/2^histogramSubBits (0.8%) above the true one.
const histogramSubBits = 7

const (
	histogramSub     = 1 << histogramSubBits
	histogramBuckets = (64 - histogramSubBits + 1) * histogramSub
)

// latencyHistogram is a log-linear (HDR-style) histogram of durations in
// nanoseconds: exact below 2^histogramSubBits ns, then histogramSub
// buckets per power of two. Its memory is fixed (about 60 KB) whatever the
// number of values recorded.
//
// A latencyHistogram is not safe for concurrent use: give each goroutine its
// own and merge them.
type latencyHistogram struct {
	counts   [histogramBuckets]uint64
	count    uint64
	sum      float64 // nanoseconds, for the mean
	min, max int64
}

// record adds one duration; negative durations count as zero.
func (h *latencyHistogram) record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketOf(uint64(v))]++
	if h.count == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.count++
	h.sum += float64(v)
}

// merge adds every value recorded in o.
func (h *latencyHistogram) merge(o *latencyHistogram) {
	if o.count == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.count == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.count += o.count
	h.sum += o.sum
}

// quantile returns the value at or below which a fraction q (0 to 1) of the
// recorded values lie: the upper bound of the bucket holding that rank,
// capped at the largest value recorded. It is zero when nothing was
// recorded.
func (h *latencyHistogram) quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.count)))
	rank = min(max(rank, 1), h.count)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(int64(bucketHigh(i)), h.max))
		}
	}
	return time.Duration(h.max)
}

// mean returns the average of the recorded values.
func (h *latencyHistogram) mean() time.Duration {
	if h.count == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.count))
}

// bucketOf returns the index of the bucket holding v.
func bucketOf(v uint64) int {
	if v < histogramSub {
		return int(v)
	}
	shift := bits.Len64(v) - histogramSubBits - 1 // v>>shift is in [histogramSub, 2*histogramSub)
	return (shift+1)*histogramSub + int(v>>shift) - histogramSub
}

// bucketHigh returns the largest value that falls in bucket i.
func bucketHigh(i int) uint64 {
	if i < 2*histogramSub {
		return uint64(i)
	}
	shift := i/histogramSub - 1
	m := uint64(i%histogramSub + histogramSub)
	return (m+1)<<shift - 1
}
