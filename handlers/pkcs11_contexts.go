package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// The pass-through contexts of the PKCS#11 operation (pkcs11.go). A
// client's C_Initialize opens one and gets its Correlation Value; C_GetInfo
// names it; C_Finalize closes it. A context is bound to the identity that
// opened it, not to a connection: the same identity may use it from any
// connection, another identity cannot (its Correlation Value is then as
// unknown as one never issued).
//
// Contexts live in memory only (a restart ends them) and are bounded: at
// most maxPKCS11ContextsPerIdentity per identity and maxPKCS11Contexts in
// all, and one unused for pkcs11ContextIdle ends.
const (
	maxPKCS11ContextsPerIdentity = 8
	maxPKCS11Contexts            = 1024
	pkcs11ContextIdle            = 15 * time.Minute
)

// pkcs11Context is one open pass-through context.
type pkcs11Context struct {
	identity string
	lastUsed time.Time
}

// pkcs11Contexts holds the open contexts by Correlation Value (hex). The
// zero value is ready; it is safe for concurrent use.
type pkcs11Contexts struct {
	mu sync.Mutex
	m  map[string]*pkcs11Context
}

// open opens a context for identity and returns its Correlation Value (16
// random bytes). ok is false when identity or the server has as many open
// contexts as allowed; err reports a failure of the random generator.
func (cs *pkcs11Contexts) open(identity string, now time.Time) (corr []byte, ok bool, err error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.expire(now)
	n := 0
	for _, c := range cs.m {
		if c.identity == identity {
			n++
		}
	}
	if n >= maxPKCS11ContextsPerIdentity || len(cs.m) >= maxPKCS11Contexts {
		return nil, false, nil
	}
	corr = make([]byte, 16)
	if _, err := rand.Read(corr); err != nil {
		return nil, false, err
	}
	if cs.m == nil {
		cs.m = map[string]*pkcs11Context{}
	}
	cs.m[hex.EncodeToString(corr)] = &pkcs11Context{identity: identity, lastUsed: now}
	return corr, true, nil
}

// use reports whether corr names an open context of identity, and marks it
// used at now.
func (cs *pkcs11Contexts) use(corr []byte, identity string, now time.Time) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.expire(now)
	c, ok := cs.m[hex.EncodeToString(corr)]
	if !ok || c.identity != identity {
		return false
	}
	c.lastUsed = now
	return true
}

// close closes the context corr names if it is an open context of
// identity, and reports whether it was.
func (cs *pkcs11Contexts) close(corr []byte, identity string, now time.Time) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.expire(now)
	key := hex.EncodeToString(corr)
	c, ok := cs.m[key]
	if !ok || c.identity != identity {
		return false
	}
	delete(cs.m, key)
	return true
}

// expire ends the contexts unused for longer than pkcs11ContextIdle. The
// caller holds mu.
func (cs *pkcs11Contexts) expire(now time.Time) {
	for k, c := range cs.m {
		if now.Sub(c.lastUsed) > pkcs11ContextIdle {
			delete(cs.m, k)
		}
	}
}
