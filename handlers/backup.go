package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// Online backup (the vendor operation kmip.OperationVendorBackup).
//
// Begin writes a consistent snapshot of the whole store, in the encrypted
// and authenticated format of an offline backup (store.Store.BackupWith: the
// material stays sealed, the file key is sealed by the module), into a file
// of Config.BackupDir, and answers its size and a Correlation Value. Read
// returns the file's bytes from an offset, at most maxBackupChunk at a time
// (and within the request's Maximum Response Size), so that a backup of
// gigabytes passes through messages of a megabyte. End deletes the file;
// so does expiry, backupIdle after its last use, and the next Begin deletes
// the files a previous process left behind.
//
// Who may back up: the backup holds every tenant's objects, so it is an
// operator's operation. Under a Policy, only an identity whose role grants
// every operation ("*") reaches it (the role check of ServeKMIP; a role
// cannot name a vendor operation). With no Policy, where every client may
// call every operation, only the identities of Config.BackupOperators may;
// with none configured nobody can. A session is used only by the identity
// that began it. Every step is audited like any other item (audit.Handler).
const (
	maxBackupChunk = 1 << 20
	maxBackups     = 2                // sessions open at once (each holds a copy of the store on disk)
	backupIdle     = 10 * time.Minute // a session unused this long is deleted
	backupPattern  = "backup-*.kmipdbak"
	// responseOverhead bounds what a Read response adds to its Data:
	// header, batch item, payload tags and Correlation Value.
	responseOverhead = 512
)

// backupSession is one online backup in progress.
type backupSession struct {
	identity string // who began it
	path     string
	size     int64

	mu       sync.Mutex // serializes reads and close
	f        *os.File   // nil once closed
	lastUsed time.Time
}

// backups holds the online backups in progress by Correlation Value (hex).
// The zero value is ready; it is safe for concurrent use.
type backups struct {
	mu      sync.Mutex
	m       map[string]*backupSession
	cleaned bool // the files of a previous process were deleted
}

func (s *Service) backup(ctx context.Context, req *kmip.Request, p *kmip.BackupRequest) (any, error) {
	if s.backupDir == "" {
		return nil, kmip.Errorf(kmip.ReasonOperationNotSupported, "online backup is not configured")
	}
	who := identityOf(req)
	if p := authz.PrincipalFrom(ctx); p != nil {
		who = p.Identity() // req's Peer is scoped to the tenant
	}
	if s.policy.Load() == nil && !slices.Contains(s.backupOperators, who) {
		return nil, authz.PermissionDenied("online backup is for the configured backup operators")
	}
	switch p.Function {
	case kmip.BackupBegin:
		return s.beginBackup(ctx, who)
	case kmip.BackupRead:
		return s.readBackup(req, who, p)
	case kmip.BackupEnd:
		return s.endBackup(who, p.CorrelationValue)
	}
	return nil, kmip.Errorf(kmip.ReasonInvalidField, "unknown Backup Function")
}

// beginBackup snapshots the store into a new file and opens its session.
func (s *Service) beginBackup(ctx context.Context, who string) (*kmip.BackupResponse, error) {
	s.backups.expire(s.clock(), s.log)
	if err := s.backups.removeLeftovers(s.backupDir); err != nil {
		return nil, err
	}
	if s.backups.open() >= maxBackups {
		return nil, kmip.Errorf(kmip.ReasonPermissionDenied, "too many online backups in progress")
	}
	f, err := os.CreateTemp(s.backupDir, backupPattern) // mode 0600
	if err != nil {
		return nil, err
	}
	start := s.clock()
	err = s.store.BackupWith(ctx, f, hsm.ModuleSealer(s.crypto), hsm.BackupAttachment(s.crypto))
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekEnd)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("online backup: %w", err)
	}
	corr := make([]byte, 16)
	if _, err := rand.Read(corr); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	sess := &backupSession{identity: who, path: f.Name(), size: size, f: f, lastUsed: s.clock()}
	if !s.backups.add(hex.EncodeToString(corr), sess) {
		sess.close()
		return nil, kmip.Errorf(kmip.ReasonPermissionDenied, "too many online backups in progress")
	}
	s.log.Info("online backup snapshot taken", zap.String("identity", who),
		zap.Int64("bytes", size), zap.Duration("took", s.clock().Sub(start)))
	return &kmip.BackupResponse{CorrelationValue: corr, Size: size}, nil
}

// readBackup returns the bytes of a session's file from the offset.
func (s *Service) readBackup(req *kmip.Request, who string, p *kmip.BackupRequest) (*kmip.BackupResponse, error) {
	n := maxBackupChunk
	if p.Length > 0 {
		n = min(n, int(p.Length))
	}
	if req.Header != nil && req.Header.MaximumResponseSize > 0 {
		mrs := int(req.Header.MaximumResponseSize)
		if mrs <= responseOverhead {
			return nil, kmip.Errorf(kmip.ReasonResponseTooLarge, "Maximum Response Size too small for any backup data")
		}
		n = min(n, mrs-responseOverhead)
	}
	sess, err := s.backups.get(hex.EncodeToString(p.CorrelationValue), who)
	if err != nil {
		return nil, err
	}
	data, err := sess.readAt(p.Offset, n, s.clock())
	if err != nil {
		return nil, err
	}
	return &kmip.BackupResponse{CorrelationValue: p.CorrelationValue, Data: data}, nil
}

// endBackup deletes a session and its file.
func (s *Service) endBackup(who string, corr []byte) (*kmip.BackupResponse, error) {
	key := hex.EncodeToString(corr)
	if _, err := s.backups.get(key, who); err != nil {
		return nil, err
	}
	if sess := s.backups.remove(key); sess != nil {
		sess.close()
		s.log.Info("online backup ended", zap.String("identity", who), zap.Int64("bytes", sess.size))
	}
	return &kmip.BackupResponse{CorrelationValue: corr}, nil
}

// errNoBackup is the error for a Correlation Value that names no session of
// the client: ended, expired, another identity's or never begun.
var errNoBackup = kmip.Errorf(kmip.ReasonInvalidField, "no online backup with this Correlation Value")

func (b *backups) open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

// add registers sess unless maxBackups are open.
func (b *backups) add(key string, sess *backupSession) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.m) >= maxBackups {
		return false
	}
	if b.m == nil {
		b.m = map[string]*backupSession{}
	}
	b.m[key] = sess
	return true
}

// get returns the session key names if who began it.
func (b *backups) get(key, who string) (*backupSession, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sess, ok := b.m[key]
	if !ok || sess.identity != who {
		return nil, errNoBackup
	}
	return sess, nil
}

func (b *backups) remove(key string) *backupSession {
	b.mu.Lock()
	defer b.mu.Unlock()
	sess := b.m[key]
	delete(b.m, key)
	return sess
}

// expire deletes the sessions unused for backupIdle.
func (b *backups) expire(now time.Time, log *zap.Logger) {
	b.mu.Lock()
	var stale []*backupSession
	for key, sess := range b.m {
		if sess.idleSince(now) > backupIdle {
			stale = append(stale, sess)
			delete(b.m, key)
		}
	}
	b.mu.Unlock()
	for _, sess := range stale {
		sess.close()
		log.Info("online backup expired", zap.String("identity", sess.identity))
	}
}

// removeLeftovers deletes, once, the backup files in dir that a previous
// process left (it stopped during a backup).
func (b *backups) removeLeftovers(dir string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cleaned {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, backupPattern))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	b.cleaned = true
	return nil
}

func (sess *backupSession) idleSince(now time.Time) time.Duration {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return now.Sub(sess.lastUsed)
}

// readAt reads up to n bytes from off; none at or past the end.
func (sess *backupSession) readAt(off int64, n int, now time.Time) ([]byte, error) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.f == nil {
		return nil, errNoBackup
	}
	sess.lastUsed = now
	if off >= sess.size {
		return []byte{}, nil
	}
	buf := make([]byte, min(int64(n), sess.size-off))
	if _, err := sess.f.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("online backup: read: %w", err)
	}
	return buf, nil
}

// close closes and deletes the session's file.
func (sess *backupSession) close() {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.f != nil {
		sess.f.Close()
		os.Remove(sess.path)
		sess.f = nil
	}
}
