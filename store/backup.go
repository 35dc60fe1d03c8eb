package store

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Sealer seals and unseals a backup's file key in the cryptographic module
// (hsm.Crypto implements it), so that the key-encryption key never leaves
// the module.
type Sealer interface {
	Seal(id string, plaintext []byte) ([]byte, error)
	Unseal(id string, sealed []byte) ([]byte, error)
}

// A backup file is Badger's backup stream (every key's latest version:
// objects with their sealed material, indexes, pending destructions, the
// audit trail) encrypted and authenticated as a whole:
//
//	magic "KMIPDBAK" | version 1 | uint16 length | sealed file key
//	chunks: uint32 length | AES-256-GCM(file key, nonce = uint64 chunk index | uint32 final flag)
//
// The file key is 32 random bytes sealed by the module under the id
// BackupKeyID. Each chunk holds up to backupChunk bytes; the last one has
// the final flag, so truncation, reordering and splicing are detected.
const (
	backupMagic   = "KMIPDBAK"
	backupVersion = 1
	backupChunk   = 64 << 10
	// BackupKeyID is the object id the backup's file key is sealed for.
	BackupKeyID = "backup-file-key"
)

// ErrBackupKey is returned by Restore when the module cannot unseal the
// backup's file key: the backup was made under another key-encryption key.
var ErrBackupKey = errors.New("store: this key-encryption key cannot open the backup")

// Backup writes an encrypted, authenticated backup of the whole store to w,
// from one consistent snapshot. It may run while the store serves requests.
func (b *Badger) Backup(ctx context.Context, w io.Writer, s Sealer) error {
	if err := b.enter(ctx); err != nil {
		return err
	}
	defer b.leave()
	key := make([]byte, 32)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	sealed, err := s.Seal(BackupKeyID, key)
	if err != nil {
		return fmt.Errorf("store: backup: seal file key: %w", err)
	}
	hdr := append([]byte(backupMagic), backupVersion)
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(sealed)))
	if _, err := w.Write(append(hdr, sealed...)); err != nil {
		return err
	}
	cw, err := newChunkWriter(w, key)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(cw, backupChunk)
	if _, err := b.db.Backup(bw, 0); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return cw.close()
}

// Restore replaces the store in directory dir with the backup read from r.
// No process may have dir open. The backup is decrypted and loaded into a
// new directory beside dir, which replaces dir only once complete; a backup
// that fails authentication anywhere leaves dir as it was. It fails with
// ErrBackupKey when s cannot unseal the backup's file key.
func Restore(dir string, r io.Reader, s Sealer) error {
	hdr := make([]byte, len(backupMagic)+3)
	if _, err := io.ReadFull(r, hdr); err != nil || string(hdr[:len(backupMagic)]) != backupMagic {
		return errors.New("store: restore: not a kmipd backup")
	}
	if hdr[len(backupMagic)] != backupVersion {
		return fmt.Errorf("store: restore: backup version %d not supported", hdr[len(backupMagic)])
	}
	sealed := make([]byte, binary.BigEndian.Uint16(hdr[len(backupMagic)+1:]))
	if _, err := io.ReadFull(r, sealed); err != nil {
		return errors.New("store: restore: truncated backup header")
	}
	key, err := s.Unseal(BackupKeyID, sealed)
	if err != nil {
		return ErrBackupKey
	}
	defer clear(key)
	cr, err := newChunkReader(r, key)
	if err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.restore-%d", dir, time.Now().UnixNano())
	fresh, err := OpenBadger(tmp, Options{})
	if err != nil {
		return err
	}
	err = fresh.db.Load(bufio.NewReaderSize(cr, backupChunk), 256)
	if err == nil {
		_, err = io.Copy(io.Discard, cr) // reach and check the final chunk
	}
	if cerr := fresh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("store: restore: %w", err)
	}
	old := tmp + ".old"
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func newBackupAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func chunkNonce(i uint64, final bool) []byte {
	n := binary.BigEndian.AppendUint64(nil, i)
	if final {
		return binary.BigEndian.AppendUint32(n, 1)
	}
	return binary.BigEndian.AppendUint32(n, 0)
}

// chunkWriter encrypts each Write as one chunk; close writes the final one.
type chunkWriter struct {
	w    io.Writer
	aead cipher.AEAD
	n    uint64
}

func newChunkWriter(w io.Writer, key []byte) (*chunkWriter, error) {
	aead, err := newBackupAEAD(key)
	return &chunkWriter{w: w, aead: aead}, err
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	for off := 0; off < len(p); off += backupChunk {
		if err := c.chunk(p[off:min(off+backupChunk, len(p))], false); err != nil {
			return off, err
		}
	}
	return len(p), nil
}

func (c *chunkWriter) chunk(p []byte, final bool) error {
	ct := c.aead.Seal(nil, chunkNonce(c.n, final), p, nil)
	c.n++
	if _, err := c.w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(ct)))); err != nil {
		return err
	}
	_, err := c.w.Write(ct)
	return err
}

func (c *chunkWriter) close() error { return c.chunk(nil, true) }

// chunkReader decrypts chunks; it returns io.EOF only after the final chunk
// and an error for a stream that ends before it or an altered chunk.
type chunkReader struct {
	r    io.Reader
	aead cipher.AEAD
	n    uint64
	buf  []byte
	done bool
}

func newChunkReader(r io.Reader, key []byte) (*chunkReader, error) {
	aead, err := newBackupAEAD(key)
	return &chunkReader{r: r, aead: aead}, err
}

var errBackupCorrupt = errors.New("backup altered or truncated")

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		var l [4]byte
		if _, err := io.ReadFull(c.r, l[:]); err != nil {
			return 0, errBackupCorrupt
		}
		n := binary.BigEndian.Uint32(l[:])
		if n < 16 || n > backupChunk+16 {
			return 0, errBackupCorrupt
		}
		ct := make([]byte, n)
		if _, err := io.ReadFull(c.r, ct); err != nil {
			return 0, errBackupCorrupt
		}
		pt, err := c.aead.Open(nil, chunkNonce(c.n, false), ct, nil)
		if err != nil {
			if pt, err = c.aead.Open(nil, chunkNonce(c.n, true), ct, nil); err != nil {
				return 0, errBackupCorrupt
			}
			c.done = true
		}
		c.n++
		c.buf = pt
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}
