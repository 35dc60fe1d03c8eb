package certs

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// A PasswordCheck verifies the Username and Password of a KMIP Credential.
// Verify must take the same time whether or not the user exists and must be
// safe for concurrent use.
type PasswordCheck interface {
	Verify(username, password string) bool
}

// Parameters of the argon2id hashes HashPassword makes (RFC 9106, second
// recommended option: 64 MiB, 3 passes, 4 lanes).
const (
	argonMemoryKiB = 64 * 1024
	argonTime      = 3
	argonThreads   = 4
	argonSaltLen   = 16
	argonKeyLen    = 32
)

// Bounds on the parameters of configured argon2id hashes, so that a
// mistyped configuration cannot make each verification take gigabytes.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 20
	maxPasswordLen    = 1024
)

// HashPassword returns an argon2id hash of password in the PHC string
// format ("$argon2id$v=19$m=65536,t=3,p=4$SALT$HASH") with a random salt,
// for the users of the configuration.
func HashPassword(password string) (string, error) {
	if password == "" || len(password) > maxPasswordLen {
		return "", fmt.Errorf("certs: password must have 1 to %d bytes", maxPasswordLen)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("certs: %w", err)
	}
	h := argonHash{memory: argonMemoryKiB, time: argonTime, threads: argonThreads, salt: salt}
	h.key = h.derive(password, argonKeyLen)
	return h.String(), nil
}

// argonHash is a parsed argon2id PHC string.
type argonHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// derive computes the argon2id key of password of keyLen bytes.
func (h argonHash) derive(password string, keyLen int) []byte {
	return argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(keyLen))
}

func (h argonHash) String() string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.memory, h.time, h.threads,
		enc.EncodeToString(h.salt), enc.EncodeToString(h.key))
}

func parseArgon2id(s string) (argonHash, error) {
	var h argonHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errors.New("not an argon2id PHC string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return h, fmt.Errorf("argon2 version %q: want v=%d", parts[2], argon2.Version)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil {
		return h, fmt.Errorf("argon2id parameters %q: want m=KiB,t=N,p=N", parts[3])
	}
	if h.memory < 8*uint32(h.threads) || h.memory > maxArgonMemoryKiB || h.time < 1 || h.time > maxArgonTime || h.threads < 1 {
		return h, fmt.Errorf("argon2id parameters %q out of range (m <= %d KiB, 1 <= t <= %d)", parts[3], maxArgonMemoryKiB, maxArgonTime)
	}
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, errors.New("argon2id salt: want at least 8 bytes in unpadded base64")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return h, errors.New("argon2id hash: want 16 to 64 bytes in unpadded base64")
	}
	return h, nil
}

// PasswordHashes is a PasswordCheck against salted hashes from the
// configuration, argon2id PHC strings or bcrypt hashes ($2a$, $2b$, $2y$).
//
// Each verification costs what the hash asks (about 50 ms and 64 MiB for
// HashPassword's); at most GOMAXPROCS run at once, which bounds the memory.
// A successful verification is remembered as an HMAC of username and
// password under a random per-process key, so that a client sending its
// Credential with every request pays the cost once. A user that is not
// configured is verified against a dummy hash, so that its answer takes as
// long as a wrong password. PasswordHashes is safe for concurrent use.
type PasswordHashes struct {
	users map[string]passwordHash
	dummy passwordHash
	slots chan struct{}

	cacheKey [32]byte
	mu       sync.Mutex
	verified map[[32]byte]bool
}

// maxVerified bounds the cache of successful verifications; when full it
// is emptied.
const maxVerified = 4096

type passwordHash struct {
	argon  *argonHash
	bcrypt []byte
}

func parsePasswordHash(s string) (passwordHash, error) {
	if strings.HasPrefix(s, "$argon2id$") {
		h, err := parseArgon2id(s)
		return passwordHash{argon: &h}, err
	}
	if _, err := bcrypt.Cost([]byte(s)); err == nil {
		return passwordHash{bcrypt: []byte(s)}, nil
	}
	return passwordHash{}, errors.New("neither an argon2id PHC string nor a bcrypt hash")
}

func (h passwordHash) matches(password string) bool {
	if h.argon != nil {
		return subtle.ConstantTimeCompare(h.argon.derive(password, len(h.argon.key)), h.argon.key) == 1
	}
	return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(password)) == nil
}

// NewPasswordHashes returns a PasswordCheck for users, a map from username
// to password hash. A malformed hash is an error naming its user, never the
// hash.
func NewPasswordHashes(users map[string]string) (*PasswordHashes, error) {
	p := &PasswordHashes{
		users:    make(map[string]passwordHash, len(users)),
		slots:    make(chan struct{}, runtime.GOMAXPROCS(0)),
		verified: make(map[[32]byte]bool),
	}
	for name, hash := range users {
		h, err := parsePasswordHash(hash)
		if err != nil {
			return nil, fmt.Errorf("certs: password hash of user %q: %w", name, err)
		}
		p.users[name] = h
	}
	dummy, err := HashPassword("dummy password for users that do not exist")
	if err != nil {
		return nil, err
	}
	p.dummy, _ = parsePasswordHash(dummy)
	if _, err := rand.Read(p.cacheKey[:]); err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	return p, nil
}

// Verify reports whether password is the password of username.
func (p *PasswordHashes) Verify(username, password string) bool {
	if len(password) > maxPasswordLen {
		return false
	}
	mac := hmac.New(sha256.New, p.cacheKey[:])
	mac.Write([]byte(username))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var id [32]byte
	mac.Sum(id[:0])
	p.mu.Lock()
	known := p.verified[id]
	p.mu.Unlock()
	if known {
		return true
	}

	h, exists := p.users[username]
	if !exists {
		h = p.dummy
	}
	p.slots <- struct{}{}
	ok := h.matches(password) && exists
	<-p.slots
	if ok {
		p.mu.Lock()
		if len(p.verified) >= maxVerified {
			clear(p.verified)
		}
		p.verified[id] = true
		p.mu.Unlock()
	}
	return ok
}
