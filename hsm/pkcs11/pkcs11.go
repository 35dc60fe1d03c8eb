//go:build cgo

package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/miekg/pkcs11"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/hsm"
)

// Sealed material from the PKCS#11 provider has the shape of hsm's sealed
// format under the format byte SealFormatPKCS11, so that blobs of the two
// providers are never mistaken for each other:
//
//	format 2 (1 byte) | KEK key id (4 bytes, big endian) | IV (12 bytes) | ciphertext | GCM tag (16 bytes)
//
// CKM_AES_GCM runs inside the token under the KEK, with an IV drawn from the
// token's generator and the version byte, key id and object's Unique
// Identifier as associated data. The key id is the first four bytes of
// SHA-256 of the KEK's CKA_ID. The KEK comes in epochs (epochs.go): the
// newest seals, every one present unseals.

// supported reports whether this build has the PKCS#11 provider.
const supported = true

// Provider is a Crypto provider on a PKCS#11 module: sealing is AES-256-GCM
// inside the token under a non-extractable key-encryption key (KEK), and
// random bits come from the token's generator (C_GenerateRandom).
//
// It keeps a pool of sessions, each used by one goroutine at a time, and is
// safe for concurrent use. A call waits for a free session for at most
// PKCS11Config.SessionWait.
type Provider struct {
	mod      *module
	naming   kekNaming
	label    string // CKA_LABEL of the KEKs it generates
	sessions *pool[pkcs11.SessionHandle]
	wait     time.Duration

	// mu guards the epochs; it is taken before a session, never after.
	// token names the token and its KEK for a Binding (binding.go).
	token hsm.ModuleIdentity
	// afterRotate, if set, is called by Rotate (FollowRotation).
	afterRotate func(newID uint32) error

	mu     sync.RWMutex
	epochs []pkcs11Epoch // oldest first; the last is current
	kek    pkcs11.ObjectHandle
	kekID  uint32
	header [hsm.SealHeaderSize]byte

	closeOnce sync.Once
	closeErr  error
}

var _ hsm.Crypto = (*Provider)(nil)

// New opens the token cfg.TokenLabel in the module cfg.Module, logs in
// with the PIN read from cfg.PinFile, opens the session pool and finds the
// KEK by CKA_ID, generating it in the token when absent. log receives one
// line describing the provider (never the PIN); it may be nil.
//
// The module is initialised once per process and shared by every provider
// opened on it; the last Close finalises it. When the token holds several
// KEK epochs of cfg.KEKID's naming, the newest seals.
func New(cfg hsm.PKCS11Config, log *zap.Logger) (*Provider, error) {
	return newProvider(cfg, true, log)
}

// newProvider is New; with create false, a token without KEK is an
// error wrapping ErrNoKEK.
func newProvider(cfg hsm.PKCS11Config, create bool, log *zap.Logger) (*Provider, error) {
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.Sessions == 0 {
		cfg.Sessions = hsm.DefaultSessions
	}
	if cfg.Sessions < 1 {
		return nil, fmt.Errorf("hsm: pkcs11: %d sessions: want at least 1", cfg.Sessions)
	}
	if cfg.SessionWait == 0 {
		cfg.SessionWait = hsm.DefaultSessionWait
	}
	if cfg.KEKID == "" {
		cfg.KEKID = hsm.DefaultKEKID
	}
	if cfg.KEKLabel == "" {
		cfg.KEKLabel = hsm.DefaultKEKLabel
	}
	pin, err := readPINFile(cfg.PinFile)
	if err != nil {
		return nil, err
	}

	mod, err := acquireModule(cfg.Module)
	if err != nil {
		return nil, err
	}
	slot, err := mod.findToken(cfg.TokenLabel)
	if err != nil {
		mod.release()
		return nil, err
	}
	sessions, err := mod.openSessions(slot, cfg.Sessions, pin)
	if err != nil {
		mod.release()
		return nil, fmt.Errorf("%w (token %q)", err, cfg.TokenLabel)
	}
	naming := newKEKNaming(cfg.KEKID)
	epochs, created, err := mod.openEpochs(sessions[0], naming, cfg.KEKLabel, create)
	if err != nil {
		for _, s := range sessions {
			mod.ctx.CloseSession(s)
		}
		mod.release()
		return nil, err
	}

	p := &Provider{
		mod:      mod,
		naming:   naming,
		label:    cfg.KEKLabel,
		sessions: newPool(sessions),
		wait:     cfg.SessionWait,
		token: hsm.ModuleIdentity{
			Provider:    hsm.ProviderPKCS11,
			Module:      mod.path,
			TokenLabel:  cfg.TokenLabel,
			TokenSerial: mod.tokenSerial(slot),
			KEKID:       cfg.KEKID,
		},
	}
	p.install(epochs)
	current := epochs[len(epochs)-1]
	log.Info("hsm: pkcs11 provider",
		zap.String("module", mod.path),
		zap.String("token", cfg.TokenLabel),
		zap.Uint("slot", slot),
		zap.Int("sessions", cfg.Sessions),
		zap.String("kek_cka_id", current.ckaID),
		zap.Uint32("kek_key_id", p.kekID),
		zap.Int("kek_epochs", len(epochs)),
		zap.Bool("kek_created", created))
	return p, nil
}

// open is the Opener registered for ProviderPKCS11: the provider on
// cfg.PKCS11, the KEK created when absent unless cfg.KEKMustExist.
func open(cfg hsm.Config, log *zap.Logger) (hsm.Crypto, error) {
	p, err := newProvider(cfg.PKCS11, !cfg.KEKMustExist, log)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// KeyID returns the key id of the current KEK epoch, written into every
// blob sealed from now on.
func (p *Provider) KeyID() uint32 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.kekID
}

// GenerateKey draws a bits-bit key from the token's generator
// (C_GenerateRandom) and returns it in the clear for the caller to seal and
// zero. bits must be a positive multiple of 8 up to MaxKeyBits.
func (p *Provider) GenerateKey(bits int) ([]byte, error) {
	if bits <= 0 || bits%8 != 0 || bits > hsm.MaxKeyBits {
		return nil, fmt.Errorf("hsm: key length %d bits: want a positive multiple of 8 up to %d", bits, hsm.MaxKeyBits)
	}
	return p.Random(bits / 8)
}

// Seal seals plaintext, at most MaxPlaintext bytes, for object id.
func (p *Provider) Seal(id string, plaintext []byte) ([]byte, error) {
	if len(plaintext) > hsm.MaxPlaintext {
		return nil, fmt.Errorf("hsm: plaintext of %d bytes exceeds %d", len(plaintext), hsm.MaxPlaintext)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var sealed []byte
	err := p.withSession(func(s pkcs11.SessionHandle) (err error) {
		sealed, err = p.seal(s, id, plaintext)
		return err
	})
	return sealed, err
}

// seal encrypts plaintext on session s under the current epoch. The caller
// holds p.mu.
func (p *Provider) seal(s pkcs11.SessionHandle, id string, plaintext []byte) ([]byte, error) {
	iv, err := p.mod.ctx.GenerateRandom(s, hsm.SealNonceSize)
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: random: %w", err)
	}
	params := pkcs11.NewGCMParams(iv, associatedData(p.header[:], id), hsm.SealTagSize*8)
	defer params.Free()
	if err := p.mod.ctx.EncryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, p.kek); err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: seal: %w", err)
	}
	ciphertext, err := p.mod.ctx.Encrypt(s, plaintext)
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: seal: %w", err)
	}
	// Some modules replace the IV given with their own; record the one used.
	used := params.IV()
	if len(used) != hsm.SealNonceSize || len(ciphertext) != len(plaintext)+hsm.SealTagSize {
		return nil, fmt.Errorf("hsm: pkcs11: seal: module returned a %d-byte IV and %d bytes for %d bytes of plaintext", len(used), len(ciphertext), len(plaintext))
	}
	out := make([]byte, 0, hsm.SealOverhead+len(plaintext))
	out = append(out, p.header[:]...)
	out = append(out, used...)
	return append(out, ciphertext...), nil
}

// Unseal returns the plaintext of material sealed for object id under this
// epoch of this provider's KEK present in the token, or ErrUnseal if it is
// malformed, altered, sealed for another object, under another KEK, under
// a retired epoch or by another provider.
func (p *Provider) Unseal(id string, sealed []byte) ([]byte, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	kek, ok := p.epochFor(sealed)
	if !ok {
		if err := p.checkOpen(); err != nil {
			return nil, err
		}
		return nil, hsm.ErrUnseal
	}
	iv := sealed[hsm.SealHeaderSize : hsm.SealHeaderSize+hsm.SealNonceSize]
	ciphertext := sealed[hsm.SealHeaderSize+hsm.SealNonceSize:]
	var plaintext []byte
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		params := pkcs11.NewGCMParams(iv, associatedData(sealed[:hsm.SealHeaderSize], id), hsm.SealTagSize*8)
		defer params.Free()
		if err := p.mod.ctx.DecryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, kek); err != nil {
			return fmt.Errorf("hsm: pkcs11: unseal: %w", err)
		}
		out, err := p.mod.ctx.Decrypt(s, ciphertext)
		switch {
		case isCKR(err, pkcs11.CKR_GENERAL_ERROR), // SoftHSM2's answer to a tag mismatch
			isCKR(err, pkcs11.CKR_ENCRYPTED_DATA_INVALID),
			isCKR(err, pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE):
			return hsm.ErrUnseal
		case err != nil:
			return fmt.Errorf("hsm: pkcs11: unseal: %w", err)
		case len(out) != len(ciphertext)-hsm.SealTagSize:
			clear(out)
			return hsm.ErrUnseal
		}
		plaintext = out
		return nil
	})
	return plaintext, err
}

// associatedData returns header | id.
func associatedData(header []byte, id string) []byte {
	ad := make([]byte, 0, hsm.SealHeaderSize+len(id))
	ad = append(ad, header...)
	return append(ad, id...)
}

// Random returns n bytes, 1 <= n <= MaxRandom, from the token's generator.
func (p *Provider) Random(n int) ([]byte, error) {
	if n <= 0 || n > hsm.MaxRandom {
		return nil, fmt.Errorf("hsm: random length %d: want 1 to %d bytes", n, hsm.MaxRandom)
	}
	var b []byte
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		var err error
		b, err = p.mod.ctx.GenerateRandom(s, n)
		if err != nil {
			return fmt.Errorf("hsm: pkcs11: random: %w", err)
		}
		if len(b) != n {
			return fmt.Errorf("hsm: pkcs11: random: module returned %d bytes, want %d", len(b), n)
		}
		return nil
	})
	return b, err
}

// Close waits for calls in progress, closes the sessions and releases the
// module, finalising it if no other provider uses it. Other methods return
// ErrClosed afterwards. Close is idempotent.
func (p *Provider) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		for _, s := range p.sessions.drain() {
			if err := p.mod.ctx.CloseSession(s); err != nil {
				errs = append(errs, fmt.Errorf("hsm: pkcs11: close session: %w", err))
			}
		}
		errs = append(errs, p.mod.release())
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// withSession runs f on a session of the pool, which f has to itself.
func (p *Provider) withSession(f func(pkcs11.SessionHandle) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.wait)
	defer cancel()
	s, err := p.sessions.get(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("hsm: pkcs11: no free session within %v", p.wait)
	}
	if err != nil {
		return err
	}
	defer p.sessions.put(s)
	return f(s)
}

// checkOpen returns ErrClosed after Close.
func (p *Provider) checkOpen() error {
	if p.sessions.drained() {
		return hsm.ErrClosed
	}
	return nil
}
