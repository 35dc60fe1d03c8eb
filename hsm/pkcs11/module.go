//go:build cgo

package pkcs11

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

// A PKCS#11 library is initialised once per process (C_Initialize), and its
// login state is shared by every session of the process. modules holds one
// entry per library, shared by every provider that opens it: the first
// provider initialises the library, the last one to close finalises it.
// The library itself stays loaded for the life of the process (unloading
// and reloading a library linked with OpenSSL is not safe).
var modules = struct {
	sync.Mutex
	byPath map[string]*module
}{byPath: make(map[string]*module)}

// module is a loaded PKCS#11 library.
type module struct {
	path string
	ctx  *pkcs11.Ctx // safe for concurrent use on distinct sessions

	// Guarded by modules.
	users    int
	finalize bool // this process's providers initialised it, so finalise it
}

// acquireModule loads and initialises the library at path, or returns the
// one already initialised. Each successful call must be matched by a call
// to release.
func acquireModule(path string) (*module, error) {
	if path == "" {
		return nil, errors.New("hsm: pkcs11: module path not configured")
	}
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: module: %w", err)
	}
	modules.Lock()
	defer modules.Unlock()
	m := modules.byPath[resolved]
	if m == nil {
		ctx := pkcs11.New(resolved)
		if ctx == nil {
			return nil, fmt.Errorf("hsm: pkcs11: cannot load module %s", resolved)
		}
		m = &module{path: resolved, ctx: ctx}
		modules.byPath[resolved] = m
	}
	if m.users == 0 {
		err := m.ctx.Initialize()
		switch {
		case err == nil:
			m.finalize = true
		case isCKR(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED):
			m.finalize = false // initialised by another part of the process
		default:
			return nil, fmt.Errorf("hsm: pkcs11: initialise %s: %w", resolved, err)
		}
	}
	m.users++
	return m, nil
}

// release gives back a module returned by acquireModule, and finalises the
// library when no provider uses it any more.
func (m *module) release() error {
	modules.Lock()
	defer modules.Unlock()
	m.users--
	if m.users > 0 || !m.finalize {
		return nil
	}
	if err := m.ctx.Finalize(); err != nil {
		return fmt.Errorf("hsm: pkcs11: finalise %s: %w", m.path, err)
	}
	return nil
}

// findToken returns the slot of the one initialised token labelled label.
// Slot IDs are not stable (SoftHSM2 assigns a new one when a token is
// initialised), labels are chosen by the operator.
func (m *module) findToken(label string) (uint, error) {
	if label == "" {
		return 0, errors.New("hsm: pkcs11: token label not configured")
	}
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("hsm: pkcs11: slot list: %w", err)
	}
	var found []uint
	for _, slot := range slots {
		info, err := m.ctx.GetTokenInfo(slot)
		if err != nil {
			continue // token removed meanwhile
		}
		if info.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 && info.Label == label {
			found = append(found, slot)
		}
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("hsm: pkcs11: no initialised token labelled %q in %s", label, m.path)
	case 1:
		return found[0], nil
	default:
		return 0, fmt.Errorf("hsm: pkcs11: %d tokens labelled %q in %s: labels must be unique", len(found), label, m.path)
	}
}

// tokenSerial returns the serial number of the token in slot, "" when the
// module does not say.
func (m *module) tokenSerial(slot uint) string {
	info, err := m.ctx.GetTokenInfo(slot)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(info.SerialNumber)
}

// openSessions opens n read-write sessions on slot and logs the user in
// with pin. Login is per token per process: when another provider has
// logged in already, CKR_USER_ALREADY_LOGGED_IN counts as success. On error
// the sessions opened are closed.
func (m *module) openSessions(slot uint, n int, pin string) ([]pkcs11.SessionHandle, error) {
	sessions := make([]pkcs11.SessionHandle, 0, n)
	fail := func(err error) ([]pkcs11.SessionHandle, error) {
		for _, s := range sessions {
			m.ctx.CloseSession(s)
		}
		return nil, err
	}
	for range n {
		s, err := m.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return fail(fmt.Errorf("hsm: pkcs11: open session: %w", err))
		}
		sessions = append(sessions, s)
	}
	if err := m.ctx.Login(sessions[0], pkcs11.CKU_USER, pin); err != nil && !isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		return fail(fmt.Errorf("hsm: pkcs11: login: %w", err))
	}
	return sessions, nil
}

// isCKR reports whether err is the PKCS#11 return value rv.
func isCKR(err error, rv uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == rv
}
