package hsm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
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

// PKCS11Config configures the PKCS#11 provider.
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

// errNoPKCS11 is returned by openPKCS11 in a build without cgo.
var errNoPKCS11 = errors.New("hsm: PKCS#11 support requires a build with cgo (CGO_ENABLED=1)")

// Open returns the cryptographic module cfg selects: the software provider
// on cfg.KeyFile, or the PKCS#11 provider on cfg.PKCS11. log receives one
// line describing the module opened; it may be nil. The caller must Close
// the module.
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
	case ProviderPKCS11:
		return openPKCS11(cfg.PKCS11, !cfg.KEKMustExist, log)
	default:
		return nil, fmt.Errorf("hsm: unknown provider %q: want %q or %q", cfg.Provider, ProviderSoftware, ProviderPKCS11)
	}
}

// maxPINFile bounds the PIN file; PKCS#11 PINs are short.
const maxPINFile = 256

// readPINFile returns the PIN kept in path: the file's content without a
// trailing newline. The file must be a regular file not accessible to group
// or others. Errors never contain the PIN.
func readPINFile(path string) (string, error) {
	if path == "" {
		return "", errors.New("hsm: pkcs11: PIN file not configured")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hsm: pkcs11: PIN file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("hsm: pkcs11: PIN file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("hsm: pkcs11: PIN file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("hsm: pkcs11: PIN file %s: mode %04o is accessible to group or others; want 0600 or 0400", path, perm)
	}
	buf, err := io.ReadAll(io.LimitReader(f, maxPINFile+1))
	defer clear(buf)
	if err != nil {
		return "", fmt.Errorf("hsm: pkcs11: PIN file %s: %w", path, err)
	}
	if len(buf) > maxPINFile {
		return "", fmt.Errorf("hsm: pkcs11: PIN file %s: longer than %d bytes", path, maxPINFile)
	}
	pin := bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
	if len(pin) == 0 {
		return "", fmt.Errorf("hsm: pkcs11: PIN file %s: empty", path)
	}
	if bytes.ContainsAny(pin, "\r\n") {
		return "", fmt.Errorf("hsm: pkcs11: PIN file %s: more than one line", path)
	}
	return string(pin), nil
}
