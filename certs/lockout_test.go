package certs

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for FailureLimiter tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestLimiter(t *testing.T, p LockoutPolicy) (*FailureLimiter, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	l, err := NewFailureLimiter(p, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	return l, clock
}

// requireRefused checks that Admit(keys) is refused as want, retry after
// retry.
func requireRefused(t *testing.T, l *FailureLimiter, want Refusal, keys ...string) {
	t.Helper()
	r, ok := l.Admit(keys...)
	if ok {
		t.Fatalf("Admit(%q) admitted; want %+v", keys, want)
	}
	if r != want {
		t.Fatalf("Admit(%q) = %+v, want %+v", keys, r, want)
	}
}

func requireAdmitted(t *testing.T, l *FailureLimiter, keys ...string) {
	t.Helper()
	if r, ok := l.Admit(keys...); !ok {
		t.Fatalf("Admit(%q) refused: %+v", keys, r)
	}
}

func TestLimiterBackoffDoubles(t *testing.T) {
	l, clock := newTestLimiter(t, LockoutPolicy{Period: time.Hour, BackoffBase: time.Second, BackoffMax: 5 * time.Second})
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		requireAdmitted(t, l, "k")
		if locks, n := l.Failed("k"); len(locks) != 0 || n != i+1 {
			t.Fatalf("failure %d: locks %v, count %d", i+1, locks, n)
		}
		requireRefused(t, l, Refusal{Key: "k", RetryAfter: want}, "k")
		clock.advance(want - time.Millisecond)
		requireRefused(t, l, Refusal{Key: "k", RetryAfter: time.Millisecond}, "k")
		clock.advance(time.Millisecond)
	}
	requireAdmitted(t, l, "other") // keys are apart
}

func TestLimiterLockout(t *testing.T) {
	p := LockoutPolicy{MaxFailures: 3, Period: 15 * time.Minute, BackoffBase: time.Second, BackoffMax: time.Minute}
	l, clock := newTestLimiter(t, p)
	for i := range 2 {
		requireAdmitted(t, l, "id", "user")
		if locks, _ := l.Failed("id", "user"); len(locks) != 0 {
			t.Fatalf("failure %d locked %v", i+1, locks)
		}
		clock.advance(time.Minute)
	}
	requireAdmitted(t, l, "id", "user")
	locks, n := l.Failed("id", "user")
	want := []Lock{{Key: "id", Failures: 3, For: p.Period}, {Key: "user", Failures: 3, For: p.Period}}
	if fmt.Sprint(locks) != fmt.Sprint(want) || n != 3 {
		t.Fatalf("third failure: locks %v, count %d; want %v", locks, n, want)
	}
	if got := l.Locked(); got != 2 {
		t.Errorf("Locked() = %d, want 2", got)
	}
	// Locked, the key is refused however long its back-off, and the
	// refusals neither count nor extend the lock.
	clock.advance(10 * time.Minute)
	requireRefused(t, l, Refusal{Key: "user", Locked: true, RetryAfter: 5 * time.Minute}, "user")
	requireRefused(t, l, Refusal{Key: "id", Locked: true, RetryAfter: 5 * time.Minute}, "other", "id")
	clock.advance(5 * time.Minute)
	if got := l.Locked(); got != 0 {
		t.Errorf("Locked() after the period = %d, want 0", got)
	}
	// The end of the lock forgets the failures: one more is the first.
	requireAdmitted(t, l, "id", "user")
	if locks, n := l.Failed("id", "user"); len(locks) != 0 || n != 1 {
		t.Fatalf("after the lock: locks %v, count %d; want none, 1", locks, n)
	}
}

func TestLimiterSuccessResets(t *testing.T) {
	l, clock := newTestLimiter(t, LockoutPolicy{MaxFailures: 2, Period: time.Hour, BackoffBase: time.Second, BackoffMax: time.Minute})
	l.Failed("k")
	clock.advance(time.Second)
	requireAdmitted(t, l, "k")
	l.Succeeded("k")
	requireAdmitted(t, l, "k") // no back-off
	if locks, n := l.Failed("k"); len(locks) != 0 || n != 1 {
		t.Fatalf("after a success: locks %v, count %d; want none, 1", locks, n)
	}
}

func TestLimiterForgetsAfterPeriod(t *testing.T) {
	l, clock := newTestLimiter(t, LockoutPolicy{MaxFailures: 3, Period: time.Minute, BackoffBase: time.Second, BackoffMax: time.Second})
	l.Failed("k")
	l.Failed("k")
	clock.advance(time.Second + time.Minute) // the back-off, then the period
	if _, n := l.Failed("k"); n != 1 {
		t.Fatalf("failures a period apart: count %d, want 1", n)
	}
}

// TestLimiterOneCheckAtATime: a key with failures admits one attempt at a
// time, so that many connections cannot try at once.
func TestLimiterOneCheckAtATime(t *testing.T) {
	l, clock := newTestLimiter(t, LockoutPolicy{Period: time.Hour, BackoffBase: time.Second, BackoffMax: time.Minute})
	requireAdmitted(t, l, "fresh")
	requireAdmitted(t, l, "fresh") // no failures: no limit
	l.Failed("k")
	clock.advance(time.Second)
	requireAdmitted(t, l, "k")
	requireRefused(t, l, Refusal{Key: "k", RetryAfter: time.Second}, "k")
	l.Failed("k")
	clock.advance(2 * time.Second)
	requireAdmitted(t, l, "k")
	l.Succeeded("k")
	requireAdmitted(t, l, "k")
}

func TestLimiterZeroPolicyTracksNothing(t *testing.T) {
	l, _ := newTestLimiter(t, LockoutPolicy{})
	for range 10 {
		requireAdmitted(t, l, "k")
		if locks, _ := l.Failed("k"); len(locks) != 0 {
			t.Fatal("a zero policy locked")
		}
	}
	if len(l.keys) != 0 {
		t.Errorf("a zero policy tracks %d keys", len(l.keys))
	}
}

// TestLimiterTableBound fills the table beyond MaxKeys: it never holds
// more, expired keys go first, then the one forgotten soonest; locks are
// kept over mere back-offs.
func TestLimiterTableBound(t *testing.T) {
	p := LockoutPolicy{MaxFailures: 2, Period: time.Hour, BackoffBase: time.Second, BackoffMax: time.Second, MaxKeys: 8}
	l, clock := newTestLimiter(t, p)
	l.Failed("locked")
	l.Failed("locked")
	for i := range 1000 {
		clock.advance(time.Millisecond)
		l.Failed(fmt.Sprintf("key-%d", i))
		if len(l.keys) > p.MaxKeys {
			t.Fatalf("%d keys tracked, bound %d", len(l.keys), p.MaxKeys)
		}
	}
	requireRefused(t, l, Refusal{Key: "locked", Locked: true, RetryAfter: time.Hour - time.Second}, "locked")
	requireRefused(t, l, Refusal{Key: "key-999", RetryAfter: time.Second}, "key-999")
	if _, ok := l.keys["key-0"]; ok {
		t.Error("the oldest back-off was kept over newer ones")
	}
}

func TestLimiterSetPolicyKeepsCounts(t *testing.T) {
	l, _ := newTestLimiter(t, LockoutPolicy{MaxFailures: 5, Period: time.Hour})
	l.Failed("k")
	l.Failed("k")
	if err := l.SetPolicy(LockoutPolicy{MaxFailures: 3, Period: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if locks, n := l.Failed("k"); len(locks) != 1 || n != 3 {
		t.Fatalf("after SetPolicy: locks %v, count %d; want the third failure to lock", locks, n)
	}
	if err := l.SetPolicy(LockoutPolicy{MaxFailures: -1}); err == nil {
		t.Error("SetPolicy accepted a negative max_failures")
	}
}

func TestLockoutPolicyValidate(t *testing.T) {
	if err := DefaultLockoutPolicy.Validate(); err != nil {
		t.Errorf("default policy: %v", err)
	}
	for _, p := range []LockoutPolicy{
		{MaxFailures: -1, Period: time.Minute},
		{MaxFailures: 5},
		{BackoffBase: time.Second, BackoffMax: time.Minute},
		{BackoffBase: time.Minute, BackoffMax: time.Second, Period: time.Hour},
		{Period: -time.Second},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted it", p)
		}
	}
}

// TestLimiterConcurrent runs admissions, failures and successes of shared
// keys from many goroutines (for go test -race) and checks the bound.
func TestLimiterConcurrent(t *testing.T) {
	p := LockoutPolicy{MaxFailures: 3, Period: time.Minute, BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond, MaxKeys: 16}
	l, err := NewFailureLimiter(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				keys := []string{fmt.Sprintf("id-%d", (g+i)%20), "user"}
				if _, ok := l.Admit(keys...); !ok {
					continue
				}
				if i%7 == 0 {
					l.Succeeded(keys...)
				} else {
					l.Failed(keys...)
				}
				l.Locked()
			}
		}()
	}
	wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.keys) > p.MaxKeys {
		t.Errorf("%d keys tracked, bound %d", len(l.keys), p.MaxKeys)
	}
}
