package certs

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
)

// Reloader serves a certificate and key from files and re-reads them when
// either file changes (another modification time, size or inode), so that
// a renewed server certificate takes effect without a restart. The check
// is two stat calls per handshake.
//
// If re-reading fails (for example between the writes of a new certificate
// and its key), the Reloader keeps serving the previous certificate and
// tries again when the files next change.
//
// A Reloader is safe for concurrent use.
type Reloader struct {
	certFile, keyFile string

	mu        sync.Mutex
	cert      *tls.Certificate
	certStamp os.FileInfo
	keyStamp  os.FileInfo
}

// NewReloader loads the certificate and key and returns a Reloader serving
// them.
func NewReloader(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	certStamp, keyStamp, err := r.stat()
	if err != nil {
		return nil, err
	}
	if err := r.load(certStamp, keyStamp); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate returns the current certificate, reloading it first if
// the files changed. It has the signature of tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	certStamp, keyStamp, err := r.stat()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil && (changed(r.certStamp, certStamp) || changed(r.keyStamp, keyStamp)) {
		// On failure the previous certificate stays in use.
		_ = r.loadLocked(certStamp, keyStamp)
	}
	return r.cert, nil
}

func (r *Reloader) stat() (certStamp, keyStamp os.FileInfo, err error) {
	if certStamp, err = os.Stat(r.certFile); err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	if keyStamp, err = os.Stat(r.keyFile); err != nil {
		return nil, nil, fmt.Errorf("certs: %w", err)
	}
	return certStamp, keyStamp, nil
}

func (r *Reloader) load(certStamp, keyStamp os.FileInfo) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked(certStamp, keyStamp)
}

// loadLocked reads the key pair and records the stamps it was read at,
// also on failure, so that a broken pair is retried only after the next
// change.
func (r *Reloader) loadLocked(certStamp, keyStamp os.FileInfo) error {
	r.certStamp, r.keyStamp = certStamp, keyStamp
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("certs: key pair %s, %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert = &cert
	return nil
}

func changed(old, cur os.FileInfo) bool {
	return !os.SameFile(old, cur) || !old.ModTime().Equal(cur.ModTime()) || old.Size() != cur.Size()
}

// Reload re-reads the certificate and key now, whether or not the files
// changed. On failure the previous certificate stays in use and the error
// is returned.
func (r *Reloader) Reload() error {
	certStamp, keyStamp, err := r.stat()
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked(certStamp, keyStamp)
}
