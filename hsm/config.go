package hsm

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Provider names for Config.Provider.
const (
	ProviderSoftware = "software"
	ProviderPKCS11   = "pkcs11"
)

// Defaults of the PKCS#11 provider.
const (
	// DefaultSessions is the size of the session pool. SoftHSM2 serialises
	// internally; more than 2-4 sessions gains nothing there.
	DefaultSessions = 4
	// DefaultSessionWait bounds how long a call waits for a free session.
	DefaultSessionWait = 10 * time.Second
	// DefaultKEKID is the CKA_ID of the key-encryption key in the token.
	DefaultKEKID = "kmipd-kek-1"
	// DefaultKEKLabel is the CKA_LABEL given to a KEK the provider creates.
	DefaultKEKLabel = "kmipd key-encryption key"
)

// Config selects and configures a cryptographic module.
type Config struct {
	// Provider is ProviderSoftware (the default when empty) or
	// ProviderPKCS11.
	Provider string `yaml:"provider"`

	// KeyFile is the software provider's KEK file (see NewSoftware).
	KeyFile string `yaml:"key_file"`

	// PKCS11 configures the PKCS#11 provider.
	PKCS11 PKCS11Config `yaml:"pkcs11"`

	// KEKMustExist makes a missing KEK (no key file, no KEK object in the
	// token) an error wrapping ErrNoKEK instead of creating one. OpenBound
	// sets it for a data directory that already holds sealed data.
	KEKMustExist bool `yaml:"-"`
}

// ErrNoKEK is returned by Open with Config.KEKMustExist when the module has
// no key-encryption key yet.
var ErrNoKEK = errors.New("hsm: no key-encryption key")

// PKCS11Config configures the PKCS#11 provider (package hsm/pkcs11).
type PKCS11Config struct {
	// Module is the path of the PKCS#11 library, for example
	// /usr/lib/softhsm/libsofthsm2.so. Required.
	Module string `yaml:"module"`

	// TokenLabel is the label of the token to use. Required; exactly one
	// token must carry it. Slot IDs are not configurable because they change
	// when a token is (re)initialised.
	TokenLabel string `yaml:"token_label"`

	// PinFile is a file holding the user PIN, one line. Required. It must
	// not be accessible to group or others. The PIN is never logged nor
	// taken from flags or the environment.
	PinFile string `yaml:"pin_file"`

	// KEKID is the CKA_ID of the AES-256 key-encryption key; DefaultKEKID
	// when empty. The KEK is found by this ID and generated in the token
	// when absent.
	KEKID string `yaml:"kek_id"`

	// KEKLabel is the CKA_LABEL of a generated KEK; DefaultKEKLabel when
	// empty. Labels are informative only: they are not unique in a token.
	KEKLabel string `yaml:"kek_label"`

	// Sessions is the size of the session pool; DefaultSessions when zero.
	Sessions int `yaml:"sessions"`

	// SessionWait bounds how long a call waits for a free session;
	// DefaultSessionWait when zero.
	SessionWait time.Duration `yaml:"session_wait"`
}

// Opener opens a provider from cfg; it is how a provider outside this
// package plugs into Open (RegisterProvider). With cfg.KEKMustExist, a
// module without key-encryption key is an error wrapping ErrNoKEK, not a
// KEK created. log is never nil. A provider that OpenBound is to bind must
// return a Bindable.
type Opener func(cfg Config, log *zap.Logger) (Crypto, error)

// providers holds the Openers registered, by provider name.
var providers struct {
	sync.RWMutex
	m map[string]Opener
}

// RegisterProvider makes Open open the provider name with open. A provider
// package calls it from an init function, as package hsm/pkcs11 does for
// ProviderPKCS11, so that a program opens the providers whose packages it
// imports (blank imports, as with database/sql drivers). It panics if open
// is nil, if name is empty or ProviderSoftware, or if name is registered
// twice. It is safe for concurrent use.
func RegisterProvider(name string, open Opener) {
	if open == nil {
		panic("hsm: RegisterProvider " + name + ": nil Opener")
	}
	if name == "" || name == ProviderSoftware {
		panic("hsm: RegisterProvider: the name " + strconv.Quote(name) + " is the software provider's")
	}
	providers.Lock()
	defer providers.Unlock()
	if _, dup := providers.m[name]; dup {
		panic("hsm: RegisterProvider called twice for provider " + strconv.Quote(name))
	}
	if providers.m == nil {
		providers.m = make(map[string]Opener)
	}
	providers.m[name] = open
}

// registered returns the Opener registered for name.
func registered(name string) (Opener, bool) {
	providers.RLock()
	defer providers.RUnlock()
	open, ok := providers.m[name]
	return open, ok
}

// Open returns the cryptographic module cfg selects: the software provider
// on cfg.KeyFile, or a provider registered with RegisterProvider, such as
// the PKCS#11 provider on cfg.PKCS11 when the program imports package
// hsm/pkcs11. log receives one line describing the module opened; it may be
// nil. The caller must Close the module.
func Open(cfg Config, log *zap.Logger) (Crypto, error) {
	if log == nil {
		log = zap.NewNop()
	}
	switch cfg.Provider {
	case "", ProviderSoftware:
		if cfg.KeyFile == "" {
			return nil, errors.New("hsm: software provider: key file not configured")
		}
		s, err := newSoftware(cfg.KeyFile, !cfg.KEKMustExist)
		if err != nil {
			return nil, err
		}
		log.Info("hsm: software provider", zap.String("key_file", cfg.KeyFile), zap.Uint32("kek_key_id", s.KeyID()))
		return s, nil
	}
	if open, ok := registered(cfg.Provider); ok {
		return open(cfg, log)
	}
	if cfg.Provider == ProviderPKCS11 {
		return nil, fmt.Errorf("hsm: provider %q is not linked into this program: import github.com/kmipd/kmipd/hsm/pkcs11", cfg.Provider)
	}
	return nil, fmt.Errorf("hsm: unknown provider %q: want %q or %q", cfg.Provider, ProviderSoftware, ProviderPKCS11)
}
