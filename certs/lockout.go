package certs

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// LockoutPolicy says how a FailureLimiter answers consecutive failures of
// one key (a certificate identity, a username). After the k-th failure in
// a row the key is in back-off for BackoffBase·2^(k-1), at most BackoffMax:
// attempts are refused without being checked. After MaxFailures failures
// in a row it is locked for Period instead, whatever the password. A
// success, the end of a lock, or Period after the end of the back-off of
// its last failure forgets the key's failures. Refused attempts are not
// failures: they neither extend a back-off nor count towards the lock.
//
// The zero value limits nothing; DefaultLockoutPolicy is the default of
// kmipd.yaml's auth.lockout.
type LockoutPolicy struct {
	MaxFailures int           `yaml:"max_failures"` // failures in a row that lock a key; 0: never locked
	Period      time.Duration `yaml:"period"`       // how long a lock lasts, and failures are remembered after their back-off
	BackoffBase time.Duration `yaml:"backoff_base"` // back-off after the first failure; 0: none
	BackoffMax  time.Duration `yaml:"backoff_max"`  // the longest back-off

	// MaxKeys bounds the keys tracked at once (0: DefaultMaxLockoutKeys).
	// When the table is full the key nearest to being forgotten is, a
	// locked one only when every key is locked.
	MaxKeys int `yaml:"-"`
}

// DefaultLockoutPolicy is 5 failures in a row lock a key for 15 minutes,
// with a back-off from 1 s doubling up to 1 min before that.
var DefaultLockoutPolicy = LockoutPolicy{MaxFailures: 5, Period: 15 * time.Minute, BackoffBase: time.Second, BackoffMax: time.Minute}

// DefaultMaxLockoutKeys is the default bound of a FailureLimiter's table:
// at about 100 bytes a key, a megabyte or two.
const DefaultMaxLockoutKeys = 16384

// Validate reports a policy that cannot be applied: a negative value, a
// limit without a Period, or a back-off cap below its base.
func (p LockoutPolicy) Validate() error {
	switch {
	case p.MaxFailures < 0 || p.Period < 0 || p.BackoffBase < 0 || p.BackoffMax < 0 || p.MaxKeys < 0:
		return errors.New("auth.lockout: negative value")
	case p.limits() && p.Period == 0:
		return errors.New("auth.lockout: max_failures and backoff_base need a period")
	case p.BackoffBase > 0 && p.BackoffMax < p.BackoffBase:
		return fmt.Errorf("auth.lockout: backoff_max %v is below backoff_base %v", p.BackoffMax, p.BackoffBase)
	}
	return nil
}

// limits reports whether p limits anything.
func (p LockoutPolicy) limits() bool { return p.MaxFailures > 0 || p.BackoffBase > 0 }

// backoff is the back-off after failures failures in a row.
func (p LockoutPolicy) backoff(failures int) time.Duration {
	if p.BackoffBase == 0 || failures == 0 {
		return 0
	}
	d := p.BackoffBase
	for range failures - 1 {
		if d >= p.BackoffMax/2 {
			return p.BackoffMax
		}
		d *= 2
	}
	return min(d, p.BackoffMax)
}

// Refusal says why a FailureLimiter refuses an attempt now.
type Refusal struct {
	Key        string        // the key in back-off or locked
	Locked     bool          // locked, not in back-off
	RetryAfter time.Duration // until the key admits an attempt again
}

// Lock reports a key that a failure has just locked.
type Lock struct {
	Key      string
	Failures int           // the failures in a row that locked it
	For      time.Duration // how long
}

// FailureLimiter counts the consecutive failures of keys and refuses the
// attempts of keys in back-off or locked, under a LockoutPolicy. Its table
// is bounded (LockoutPolicy.MaxKeys) and it starts no goroutine: expired
// keys are dropped as the table fills. It is safe for concurrent use.
//
// A key with failures admits one attempt at a time: while it is being
// checked, other attempts of the key are refused as in back-off, so that
// many connections cannot try at once what one may try in turn.
type FailureLimiter struct {
	now func() time.Time

	mu     sync.Mutex
	policy LockoutPolicy
	keys   map[string]*failures
}

// failures is the state of one key.
type failures struct {
	count       int       // failures in a row
	last        time.Time // of the last failure
	lockedUntil time.Time // zero: not locked
	checking    bool      // an admitted attempt of a key with failures is being checked
}

// forgottenAt is when f is forgotten under p: at the end of its lock, or
// Period after the end of its back-off.
func (f *failures) forgottenAt(p LockoutPolicy) time.Time {
	if !f.lockedUntil.IsZero() {
		return f.lockedUntil
	}
	return f.last.Add(p.backoff(f.count) + p.Period)
}

// NewFailureLimiter returns a limiter under p; now is its clock (nil:
// time.Now).
func NewFailureLimiter(p LockoutPolicy, now func() time.Time) (*FailureLimiter, error) {
	if now == nil {
		now = time.Now
	}
	l := &FailureLimiter{now: now, keys: make(map[string]*failures)}
	return l, l.SetPolicy(p)
}

// SetPolicy puts p in force, keeping the failures counted so far; a lock
// already in force keeps its end. It fails, changing nothing, when p is
// invalid.
func (l *FailureLimiter) SetPolicy(p LockoutPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if p.MaxKeys == 0 {
		p.MaxKeys = DefaultMaxLockoutKeys
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.policy = p
	return nil
}

// Admit reports whether an attempt of keys may be checked now. When it
// may (ok), the caller must report the outcome with Succeeded or Failed
// and the same keys. Otherwise it returns the refusal of the first key
// refused, preferring a lock.
func (l *FailureLimiter) Admit(keys ...string) (r Refusal, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	ok = true
	for _, k := range keys {
		f := l.current(k, now)
		if f == nil {
			continue
		}
		var kr Refusal
		switch {
		case now.Before(f.lockedUntil):
			kr = Refusal{Key: k, Locked: true, RetryAfter: f.lockedUntil.Sub(now)}
		case now.Before(f.last.Add(l.policy.backoff(f.count))):
			kr = Refusal{Key: k, RetryAfter: f.last.Add(l.policy.backoff(f.count)).Sub(now)}
		case f.checking:
			kr = Refusal{Key: k, RetryAfter: l.policy.backoff(f.count)}
		default:
			continue
		}
		if ok || (kr.Locked && !r.Locked) {
			r, ok = kr, false
		}
	}
	if ok {
		for _, k := range keys {
			if f := l.keys[k]; f != nil {
				f.checking = true
			}
		}
	}
	return r, ok
}

// Succeeded ends an admitted attempt that succeeded: keys forget their
// failures.
func (l *FailureLimiter) Succeeded(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.keys, k)
	}
}

// Failed ends an admitted attempt that failed, or records a failure that
// needed no check: each key counts one more failure in a row. It returns
// the keys this failure locked, and the most failures in a row of keys.
func (l *FailureLimiter) Failed(keys ...string) (locked []Lock, count int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.policy.limits() {
		return nil, 0
	}
	for _, k := range keys {
		f := l.current(k, now)
		if f == nil {
			f = &failures{}
			l.insert(k, f, now)
		}
		f.checking = false
		f.count++
		f.last = now
		count = max(count, f.count)
		if p := l.policy; p.MaxFailures > 0 && f.count >= p.MaxFailures && !now.Before(f.lockedUntil) {
			f.lockedUntil = now.Add(p.Period)
			locked = append(locked, Lock{Key: k, Failures: f.count, For: p.Period})
		}
	}
	return locked, count
}

// Locked returns how many keys are locked now.
func (l *FailureLimiter) Locked() int {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, f := range l.keys {
		if now.Before(f.lockedUntil) {
			n++
		}
	}
	return n
}

// current returns the state of key k at now, or nil when it has none or
// it has expired (which it then drops). l.mu is held.
func (l *FailureLimiter) current(k string, now time.Time) *failures {
	f := l.keys[k]
	if f != nil && !now.Before(f.forgottenAt(l.policy)) {
		delete(l.keys, k)
		return nil
	}
	return f
}

// insert adds k, first making room when the table is full: every expired
// key is dropped, and if none was, the key forgotten soonest, locked keys
// last. l.mu is held.
func (l *FailureLimiter) insert(k string, f *failures, now time.Time) {
	if len(l.keys) >= l.policy.MaxKeys {
		for key, g := range l.keys {
			if !now.Before(g.forgottenAt(l.policy)) {
				delete(l.keys, key)
			}
		}
	}
	for len(l.keys) >= l.policy.MaxKeys {
		var victim string
		var vf *failures
		for key, g := range l.keys {
			if vf == nil || l.evictsBefore(g, vf) {
				victim, vf = key, g
			}
		}
		delete(l.keys, victim)
	}
	l.keys[k] = f
}

// evictsBefore reports whether a full table drops f before g: a key not
// locked before a locked one, then the one forgotten sooner.
func (l *FailureLimiter) evictsBefore(f, g *failures) bool {
	if fl, gl := !f.lockedUntil.IsZero(), !g.lockedUntil.IsZero(); fl != gl {
		return gl
	}
	return f.forgottenAt(l.policy).Before(g.forgottenAt(l.policy))
}
