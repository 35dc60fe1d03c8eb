//go:build cgo

package pkcs11

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kmipd/kmipd/hsm"
)

// newTestProvider opens a provider on cfg and closes it when the test ends.
func newTestProvider(t testing.TB, cfg hsm.PKCS11Config) *Provider {
	t.Helper()
	p, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// session borrows a session of p for the test's own PKCS#11 calls.
func session(t *testing.T, p *Provider) pkcs11.SessionHandle {
	t.Helper()
	s, err := p.sessions.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.sessions.put(s) })
	return s
}

func TestPKCS11KEKStaysInTheToken(t *testing.T) {
	p := newTestProvider(t, newSoftHSMToken(t))
	ctx, s := p.mod.ctx, session(t, p)

	attrs, err := ctx.GetAttributeValue(s, p.kek, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, nil),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ALWAYS_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_NEVER_EXTRACTABLE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_LOCAL, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint]bool{
		pkcs11.CKA_TOKEN: true, pkcs11.CKA_PRIVATE: true, pkcs11.CKA_SENSITIVE: true,
		pkcs11.CKA_ALWAYS_SENSITIVE: true, pkcs11.CKA_NEVER_EXTRACTABLE: true, pkcs11.CKA_LOCAL: true,
		pkcs11.CKA_EXTRACTABLE: false, pkcs11.CKA_WRAP: false,
	}
	for _, a := range attrs {
		if a.Type == pkcs11.CKA_ID {
			if string(a.Value) != hsm.DefaultKEKID {
				t.Errorf("CKA_ID = %q, want %q", a.Value, hsm.DefaultKEKID)
			}
			continue
		}
		if got := attrBool(a); got != want[a.Type] {
			t.Errorf("attribute %#x = %v, want %v", a.Type, got, want[a.Type])
		}
	}

	_, err = ctx.GetAttributeValue(s, p.kek, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
	if !isCKR(err, pkcs11.CKR_ATTRIBUTE_SENSITIVE) {
		t.Errorf("reading CKA_VALUE: error = %v, want CKR_ATTRIBUTE_SENSITIVE", err)
	}

	wrapping, err := ctx.GenerateKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_WRAP, true),
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, mech := range []uint{pkcs11.CKM_AES_KEY_WRAP, pkcs11.CKM_AES_KEY_WRAP_PAD} {
		wrapped, err := ctx.WrapKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, wrapping, p.kek)
		if err == nil || len(wrapped) > 0 {
			t.Errorf("C_WrapKey(mechanism %#x) of the KEK succeeded (%d bytes)", mech, len(wrapped))
		} else if !isCKR(err, pkcs11.CKR_KEY_UNEXTRACTABLE) {
			t.Errorf("C_WrapKey(mechanism %#x): error = %v, want CKR_KEY_UNEXTRACTABLE", mech, err)
		}
	}
	err = ctx.SetAttributeValue(s, p.kek, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true)})
	if err == nil {
		t.Error("CKA_EXTRACTABLE of the KEK could be set to true")
	}
}

func TestPKCS11KEKPersists(t *testing.T) {
	cfg := newSoftHSMToken(t)
	p1, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := p1.Seal("obj-1", []byte("survives restart"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p1.Close(); err != nil {
		t.Fatal(err)
	}

	core, logs := observer.New(zapcore.InfoLevel)
	p2, err := New(cfg, zap.New(core))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { p2.Close() }) // after session's cleanup gives the session back
	if p2.KeyID() != p1.KeyID() {
		t.Errorf("key id changed on reopen: %d -> %d", p1.KeyID(), p2.KeyID())
	}
	if got, err := p2.Unseal("obj-1", sealed); err != nil || string(got) != "survives restart" {
		t.Fatalf("Unseal after reopen = %q, %v", got, err)
	}
	entries := logs.FilterField(zap.Bool("kek_created", false)).Len()
	if entries != 1 {
		t.Errorf("reopen did not log kek_created=false: %v", logs.All())
	}
	s := session(t, p2)
	if found, err := p2.mod.findKEKs(s, hsm.DefaultKEKID); err != nil || len(found) != 1 {
		t.Errorf("KEKs in the token after reopen: %d, %v; want 1", len(found), err)
	}
}

func TestPKCS11SharesTheModule(t *testing.T) {
	cfg := newSoftHSMToken(t)
	p1 := newTestProvider(t, cfg)
	p2 := newTestProvider(t, cfg)
	if p1.mod != p2.mod {
		t.Fatal("two providers on one module initialised it twice")
	}
	sealed, err := p1.Seal("obj", []byte("shared KEK"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p2.Unseal("obj", sealed); err != nil || string(got) != "shared KEK" {
		t.Fatalf("second provider Unseal = %q, %v", got, err)
	}
	if err := p1.Close(); err != nil {
		t.Fatal(err)
	}
	// The module stays initialised and logged in for the other provider.
	if got, err := p2.Unseal("obj", sealed); err != nil || string(got) != "shared KEK" {
		t.Fatalf("Unseal after the other provider closed = %q, %v", got, err)
	}
	if _, err := p2.GenerateKey(256); err != nil {
		t.Fatalf("GenerateKey after the other provider closed: %v", err)
	}
}

// TestPKCS11ConcurrentFirstOpen starts providers at once on an empty token:
// they must settle on one KEK.
func TestPKCS11ConcurrentFirstOpen(t *testing.T) {
	cfg := newSoftHSMToken(t)
	providers := make([]*Provider, 6)
	var wg sync.WaitGroup
	for i := range providers {
		wg.Go(func() {
			p, err := New(cfg, nil)
			if err != nil {
				t.Error(err)
				return
			}
			providers[i] = p
		})
	}
	wg.Wait()
	for _, p := range providers {
		if p != nil {
			t.Cleanup(func() { p.Close() }) // after session's cleanup gives the session back
		}
	}
	if t.Failed() {
		return
	}
	sealed, err := providers[0].Seal("obj", []byte("one KEK"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range providers[1:] {
		if _, err := p.Unseal("obj", sealed); err != nil {
			t.Errorf("provider %d cannot unseal provider 0's blob: %v", i+1, err)
		}
	}
	if found, err := providers[0].mod.findKEKs(session(t, providers[0]), hsm.DefaultKEKID); err != nil || len(found) != 1 {
		t.Errorf("KEKs in the token: %d, %v; want 1", len(found), err)
	}
}

func TestPKCS11BlobsOfTheOtherProviderRefused(t *testing.T) {
	p := newTestProvider(t, newSoftHSMToken(t))
	s, err := hsm.NewSoftware(filepath.Join(t.TempDir(), "kek"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fromSoftware, _ := s.Seal("obj", []byte("secret"))
	fromPKCS11, _ := p.Seal("obj", []byte("secret"))
	if fromPKCS11[0] == fromSoftware[0] {
		t.Fatalf("both providers write format version %d", fromPKCS11[0])
	}
	if _, err := p.Unseal("obj", fromSoftware); !errors.Is(err, hsm.ErrUnseal) {
		t.Errorf("PKCS#11 Unseal of a software blob: %v", err)
	}
	if _, err := s.Unseal("obj", fromPKCS11); !errors.Is(err, hsm.ErrUnseal) {
		t.Errorf("software Unseal of a PKCS#11 blob: %v", err)
	}
}

func TestPKCS11OpenRefuses(t *testing.T) {
	const pin = "pin-Secret-7731"
	h := newSoftHSM(t)
	good := h.initToken(t, "T", pin)
	h.initToken(t, "twin", "1111")
	h.initToken(t, "twin", "2222")

	wrongPIN := good
	wrongPIN.PinFile = filepath.Join(t.TempDir(), "pin")
	os.WriteFile(wrongPIN.PinFile, []byte("wrong-Pin-9\n"), 0o600)
	readablePIN := good
	readablePIN.PinFile = filepath.Join(t.TempDir(), "pin")
	os.WriteFile(readablePIN.PinFile, []byte(pin), 0o644)
	os.Chmod(readablePIN.PinFile, 0o644)
	noToken := good
	noToken.TokenLabel = "absent"
	twin := good
	twin.TokenLabel = "twin"
	noModule := good
	noModule.Module = filepath.Join(t.TempDir(), "libnone.so")
	notAModule := good
	notAModule.Module = good.PinFile
	noSessions := good
	noSessions.Sessions = -1

	cases := map[string]struct {
		cfg  hsm.PKCS11Config
		want string
	}{
		"wrong PIN":         {wrongPIN, "CKR_PIN_INCORRECT"},
		"PIN file readable": {readablePIN, "accessible to group or others"},
		"no such token":     {noToken, "no initialised token"},
		"two tokens":        {twin, "labels must be unique"},
		"no module":         {noModule, "no such file"},
		"not a module":      {notAModule, "cannot load module"},
		"negative sessions": {noSessions, "sessions"},
	}
	for name, tc := range cases {
		core, logs := observer.New(zapcore.DebugLevel)
		p, err := New(tc.cfg, zap.New(core))
		if err == nil {
			p.Close()
			t.Errorf("%s: New succeeded", name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not mention %q", name, err, tc.want)
		}
		if strings.Contains(err.Error(), pin) || strings.Contains(err.Error(), "wrong-Pin-9") {
			t.Errorf("%s: error contains the PIN: %v", name, err)
		}
		if logs.Len() != 0 {
			t.Errorf("%s: logged %v", name, logs.All())
		}
	}

	// The good configuration still opens, and its log line holds no PIN.
	core, logs := observer.New(zapcore.DebugLevel)
	p, err := New(good, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			if strings.Contains(k, pin) || strings.Contains(strings.ToLower(k), "pin") || strings.Contains(toString(v), pin) {
				t.Errorf("log field %s=%v carries the PIN", k, v)
			}
		}
	}
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

// TestPKCS11RefusesAWeakKEK plants an extractable key under the KEK's
// CKA_ID: the provider must refuse it rather than seal under it.
func TestPKCS11RefusesAWeakKEK(t *testing.T) {
	cfg := newSoftHSMToken(t)
	p := newTestProvider(t, cfg)
	s := session(t, p)
	_, err := p.mod.ctx.GenerateKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
			pkcs11.NewAttribute(pkcs11.CKA_ID, []byte("planted")),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
			pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
		})
	if err != nil {
		t.Fatal(err)
	}
	cfg.KEKID = "planted"
	if p2, err := New(cfg, nil); err == nil {
		p2.Close()
		t.Fatal("New accepted an extractable, non-sensitive KEK")
	} else if !strings.Contains(err.Error(), "extractable") {
		t.Errorf("error = %v, want it to say the KEK is extractable", err)
	}
}

func TestPKCS11SessionWait(t *testing.T) {
	cfg := newSoftHSMToken(t)
	cfg.Sessions = 1
	cfg.SessionWait = 50 * time.Millisecond
	p := newTestProvider(t, cfg)
	s, err := p.sessions.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := p.Random(8); err == nil || !strings.Contains(err.Error(), "no free session") {
		t.Errorf("Random with every session busy: %v", err)
	}
	if d := time.Since(start); d < cfg.SessionWait || d > 2*time.Second {
		t.Errorf("waited %v for a session, want about %v", d, cfg.SessionWait)
	}
	p.sessions.put(s)
	if _, err := p.Random(8); err != nil {
		t.Errorf("Random once the session is free: %v", err)
	}
}

// TestPKCS11CloseWaitsForCalls closes the provider while a session is in
// use: Close must not close it under the user.
func TestPKCS11CloseWaitsForCalls(t *testing.T) {
	p := newTestProvider(t, newSoftHSMToken(t))
	s, err := p.sessions.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error)
	go func() { closed <- p.Close() }()
	select {
	case <-closed:
		t.Fatal("Close returned while a session was in use")
	case <-time.After(50 * time.Millisecond):
	}
	if b, err := p.mod.ctx.GenerateRandom(s, 16); err != nil || len(b) != 16 {
		t.Errorf("session closed under its user: %v", err)
	}
	p.sessions.put(s)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, err := p.Random(8); !errors.Is(err, hsm.ErrClosed) {
		t.Errorf("Random after Close: %v", err)
	}
}
