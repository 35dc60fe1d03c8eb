package pkcs11

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

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
