package hsm

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The key file holds the software provider's key-encryption key (KEK):
//
//	magic "KMIPDKEK" (8 bytes) | format version (1 byte) | key id (4 bytes, big endian) | key (32 bytes)
//
// The key id names the KEK epoch: it is written into every sealed blob so
// that a later KEK rotation can tell which key sealed what. A file that has
// been rotated (epochs.go) holds several epochs, oldest first, in format
// version 2:
//
//	magic (8 bytes) | 2 (1 byte) | count (2 bytes, big endian) | count × (key id (4 bytes) | key (32 bytes))
const (
	keyFileMagic   = "KMIPDKEK"
	keyFileVersion = 1
	kekSize        = 32
	keyFileSize    = len(keyFileMagic) + 1 + 4 + kekSize
)

// kek is a key-encryption key and its id.
type kek struct {
	id  uint32
	key []byte
}

// loadOrCreateKEK reads the KEK epochs from path, oldest first, or creates a
// new random one there if the file does not exist. The directory is created with mode 0700 and
// the file with mode 0600; an existing file readable by group or others, or
// not in the key file format, is refused.
func loadOrCreateKEK(path string) ([]kek, error) {
	k, err := readKEK(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := createKEK(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	// Read back what is on disk: another process may have won the race to
	// create it.
	return readKEK(path)
}

// loadKEK reads the KEK epochs from path like loadOrCreateKEK, but a
// missing file is an error wrapping ErrNoKEK.
func loadKEK(path string) ([]kek, error) {
	ks, err := readKEK(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: key file %s does not exist", ErrNoKEK, path)
	}
	return ks, err
}

func readKEK(path string) ([]kek, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hsm: key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("hsm: key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("hsm: key file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("hsm: key file %s: mode %04o is accessible to group or others; want 0600", path, perm)
	}
	if info.Size() < int64(keyFileSize) || info.Size() > int64(epochFileSize(MaxEpochs)) {
		return nil, fmt.Errorf("hsm: key file %s: size %d, want %d", path, info.Size(), keyFileSize)
	}
	buf := make([]byte, info.Size())
	defer clear(buf)
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("hsm: key file %s: %w", path, err)
	}
	if !bytes.Equal(buf[:len(keyFileMagic)], []byte(keyFileMagic)) {
		return nil, fmt.Errorf("hsm: key file %s: not a kmipd key file", path)
	}
	rest := buf[len(keyFileMagic):]
	switch {
	case rest[0] == keyFileVersion && len(buf) == keyFileSize:
		k := kek{id: binary.BigEndian.Uint32(rest[1:5]), key: make([]byte, kekSize)}
		copy(k.key, rest[5:])
		return []kek{k}, nil
	case rest[0] == epochFileVersion:
		return decodeEpochs(path, rest[1:])
	case rest[0] == keyFileVersion:
		return nil, fmt.Errorf("hsm: key file %s: size %d, want %d", path, len(buf), keyFileSize)
	}
	return nil, fmt.Errorf("hsm: key file %s: unsupported format version %d", path, rest[0])
}

// createKEK writes a new key file at path. The file appears complete or not
// at all: it is written to a temporary file that is then linked into place,
// which fails with fs.ErrExist rather than replace an existing file.
func createKEK(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("hsm: key file directory: %w", err)
	}
	buf := make([]byte, keyFileSize)
	defer clear(buf)
	copy(buf, keyFileMagic)
	rest := buf[len(keyFileMagic):]
	rest[0] = keyFileVersion
	if _, err := rand.Read(rest[1:]); err != nil { // key id and key
		return fmt.Errorf("hsm: key file: %w", err)
	}

	tmp, err := writeTempKeyFile(dir, buf)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("hsm: key file: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("hsm: key file directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("hsm: key file directory: %w", err)
	}
	return nil
}

// writeTempKeyFile writes buf to a synced 0600 temporary file in dir and
// returns its name; the caller puts it in place (link or rename) and
// removes the name.
func writeTempKeyFile(dir string, buf []byte) (string, error) {
	name, err := writeTempFile(dir, ".kek-*", buf)
	if err != nil {
		return "", fmt.Errorf("hsm: key file: %w", err)
	}
	return name, nil
}

// writeTempFile writes buf to a synced 0600 temporary file in dir named
// after pattern (os.CreateTemp) and returns its name.
func writeTempFile(dir, pattern string, buf []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(buf)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}
