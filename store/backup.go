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
//	chunks: uint32 length | AES-256-GCM(file key, nonce = uint64 chunk index | uint32 flags)
//
// The file key is 32 random bytes sealed by the module under the id
// BackupKeyID. Each chunk holds up to backupChunk bytes; the last one has
// the final flag (1), so truncation, reordering and splicing are detected.
// Version 2 (BackupWith) carries an attachment after the store: a second
// run of chunks, numbered on from the first, with the section flag (2) set
// in each and the final flag in its last.
const (
	backupMagic   = "KMIPDBAK"
	backupVersion = 1
	// backupVersionAttached is the version of a backup with an attachment.
	backupVersionAttached = 2
	backupChunk           = 64 << 10
	// BackupKeyID is the object id the backup's file key is sealed for.
	BackupKeyID = "backup-file-key"
)

// ErrBackupKey is returned by Restore when the module cannot unseal the
// backup's file key: the backup was made under another key-encryption key.
var ErrBackupKey = errors.New("store: this key-encryption key cannot open the backup")

// Attachment is data kept beside the store that a backup carries after the
// store's content and a restore puts back with it: the key slots of the
// module (hsm.KeySlots), without which the material of a restored store
// does not unseal.
type Attachment interface {
	// WriteBackup writes the attachment's content to w.
	WriteBackup(w io.Writer) error
}

// Backup writes an encrypted, authenticated backup of the whole store to w,
// from one consistent snapshot. It may run while the store serves requests.
func (b *Badger) Backup(ctx context.Context, w io.Writer, s Sealer) error {
	return b.BackupWith(ctx, w, s, nil)
}

// BackupWith is Backup followed, when att is not nil, by att's content,
// written once the store's snapshot is complete, in the same encrypted and
// authenticated file (format version 2).
func (b *Badger) BackupWith(ctx context.Context, w io.Writer, s Sealer, att Attachment) error {
	if err := b.enter(ctx); err != nil {
		return err
	}
	defer b.leave()
	version := byte(backupVersion)
	if att != nil {
		version = backupVersionAttached
	}
	key := make([]byte, 32)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	sealed, err := s.Seal(BackupKeyID, key)
	if err != nil {
		return fmt.Errorf("store: backup: seal file key: %w", err)
	}
	hdr := append([]byte(backupMagic), version)
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
	if err := cw.close(); err != nil || att == nil {
		return err
	}
	cw.section = sectionAttachment
	bw.Reset(cw)
	if err := att.WriteBackup(bw); err != nil {
		return fmt.Errorf("store: backup: attachment: %w", err)
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
// ErrBackupKey when s cannot unseal the backup's file key. A backup's
// attachment (BackupWith) is authenticated and dropped.
func Restore(dir string, r io.Reader, s Sealer) error {
	return RestoreWith(dir, r, s, nil)
}

// StageFunc reads an attachment's content from r and stages it, and
// returns a function that puts it in place.
type StageFunc func(r io.Reader) (commit func() error, err error)

// RestoreWith is Restore, with stage (when not nil) given the backup's
// attachment, if it has one, once the store's content is loaded; stage's
// commit is called after the store is in place. A backup without an
// attachment leaves stage uncalled.
func RestoreWith(dir string, r io.Reader, s Sealer, stage StageFunc) error {
	hdr := make([]byte, len(backupMagic)+3)
	if _, err := io.ReadFull(r, hdr); err != nil || string(hdr[:len(backupMagic)]) != backupMagic {
		return errors.New("store: restore: not a kmipd backup")
	}
	version := hdr[len(backupMagic)]
	if version != backupVersion && version != backupVersionAttached {
		return fmt.Errorf("store: restore: backup version %d not supported", version)
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
	commit := func() error { return nil }
	if err == nil && version == backupVersionAttached {
		commit, err = readAttachment(cr.next(), stage)
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
	if err := commit(); err != nil {
		return fmt.Errorf("store: restore: the store is restored, its attachment not: %w", err)
	}
	return os.RemoveAll(old)
}

// readAttachment gives the attachment section cr to stage (or drops it)
// and checks that it ends with its final chunk. A staged attachment whose
// end does not authenticate is abandoned: its commit is never called.
func readAttachment(cr *chunkReader, stage StageFunc) (func() error, error) {
	commit := func() error { return nil }
	if stage != nil {
		var err error
		if commit, err = stage(cr); err != nil {
			return nil, err
		}
	}
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return nil, err
	}
	return commit, nil
}

func newBackupAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Chunk nonce flags.
const (
	chunkFinal        = 1
	sectionAttachment = 2
)

func chunkNonce(i uint64, section uint32, final bool) []byte {
	n := binary.BigEndian.AppendUint64(nil, i)
	if final {
		section |= chunkFinal
	}
	return binary.BigEndian.AppendUint32(n, section)
}

// chunkWriter encrypts each Write as one chunk of its section; close writes
// the section's final one. Chunks are numbered on across sections.
type chunkWriter struct {
	w       io.Writer
	aead    cipher.AEAD
	n       uint64
	section uint32
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
	ct := c.aead.Seal(nil, chunkNonce(c.n, c.section, final), p, nil)
	c.n++
	if _, err := c.w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(ct)))); err != nil {
		return err
	}
	_, err := c.w.Write(ct)
	return err
}

func (c *chunkWriter) close() error { return c.chunk(nil, true) }

// chunkReader decrypts the chunks of one section; it returns io.EOF only
// after the section's final chunk and an error for a stream that ends
// before it or an altered chunk.
type chunkReader struct {
	r       io.Reader
	aead    cipher.AEAD
	n       uint64
	section uint32
	buf     []byte
	done    bool
}

// next returns the reader of the attachment section that follows c's.
func (c *chunkReader) next() *chunkReader {
	return &chunkReader{r: c.r, aead: c.aead, n: c.n, section: sectionAttachment}
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
		pt, err := c.aead.Open(nil, chunkNonce(c.n, c.section, false), ct, nil)
		if err != nil {
			if pt, err = c.aead.Open(nil, chunkNonce(c.n, c.section, true), ct, nil); err != nil {
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
