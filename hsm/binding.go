package hsm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// BindingFile is the name of a data directory's binding record.
const BindingFile = "crypto-binding.json"

// bindingFormat is the version of the binding record's layout.
const bindingFormat = 1

// maxBindingFile bounds the binding record read.
const maxBindingFile = 64 << 10

// ModuleIdentity names a cryptographic module and its key-encryption key
// without revealing anything secret: no key, no PIN.
type ModuleIdentity struct {
	Provider string `json:"provider"` // ProviderSoftware or ProviderPKCS11

	// KeyFile is the software provider's KEK file.
	KeyFile string `json:"key_file,omitempty"`

	// Module is the PKCS#11 library (symbolic links resolved), TokenLabel
	// and TokenSerial the token, KEKID the CKA_ID of the KEK's first epoch.
	Module      string `json:"module,omitempty"`
	TokenLabel  string `json:"token_label,omitempty"`
	TokenSerial string `json:"token_serial,omitempty"`
	KEKID       string `json:"kek_id,omitempty"`
}

// String describes the module for an operator.
func (m ModuleIdentity) String() string {
	switch m.Provider {
	case ProviderSoftware:
		return fmt.Sprintf("the software module (key file %s)", m.KeyFile)
	case ProviderPKCS11:
		var b strings.Builder
		fmt.Fprintf(&b, "the PKCS#11 module %s (token %q", m.Module, m.TokenLabel)
		if m.TokenSerial != "" {
			fmt.Fprintf(&b, ", serial %q", m.TokenSerial)
		}
		fmt.Fprintf(&b, ", KEK %q)", m.KEKID)
		return b.String()
	}
	return fmt.Sprintf("the module %q", m.Provider)
}

// identity is what cfg names before the module is opened: the token's
// serial number is known only once it is.
func (cfg Config) identity() ModuleIdentity {
	if cfg.Provider == ProviderPKCS11 {
		kekID := cfg.PKCS11.KEKID
		if kekID == "" {
			kekID = DefaultKEKID
		}
		return ModuleIdentity{Provider: ProviderPKCS11, Module: cfg.PKCS11.Module, TokenLabel: cfg.PKCS11.TokenLabel, KEKID: kekID}
	}
	return ModuleIdentity{Provider: ProviderSoftware, KeyFile: cfg.KeyFile}
}

// bindingRecord is the content of the binding record (JSON).
type bindingRecord struct {
	Format int            `json:"format"`
	Module ModuleIdentity `json:"module"`
	// Check is checkPlaintext sealed by the module for checkID; CheckEpoch
	// names the KEK epoch that sealed it (also in its header).
	Check      []byte    `json:"check"`
	CheckEpoch uint32    `json:"check_kek_epoch"`
	Created    time.Time `json:"created"`
}

// readBinding reads the record at path; nil when there is none.
func readBinding(path string) (*bindingRecord, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hsm: crypto binding: %w", err)
	}
	defer f.Close()
	var rec bindingRecord
	// Beyond the bound, the JSON is cut short and fails to decode.
	dec := json.NewDecoder(io.LimitReader(f, maxBindingFile))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("hsm: crypto binding %s: %w", path, err)
	}
	if rec.Format != bindingFormat {
		return nil, fmt.Errorf("hsm: crypto binding %s: format %d, want %d", path, rec.Format, bindingFormat)
	}
	if rec.Module.Provider != ProviderSoftware && rec.Module.Provider != ProviderPKCS11 {
		return nil, fmt.Errorf("hsm: crypto binding %s: unknown provider %q", path, rec.Module.Provider)
	}
	if len(rec.Check) == 0 {
		return nil, fmt.Errorf("hsm: crypto binding %s: no check value", path)
	}
	return &rec, nil
}

// writeBinding replaces the record at path atomically: a synced temporary
// file renamed over it, and the directory synced.
func writeBinding(path string, rec *bindingRecord) error {
	buf, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("hsm: crypto binding: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := writeTempFile(dir, ".crypto-binding-*", append(buf, '\n'))
	if err != nil {
		return fmt.Errorf("hsm: crypto binding: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("hsm: crypto binding: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("hsm: crypto binding: %w", err)
	}
	return nil
}

// BindingError is OpenBound's refusal of a module: the data directory was
// sealed by another module or KEK than the one configured, or holds data
// that the configured module cannot have sealed. Its text never holds key
// material or a PIN.
type BindingError struct {
	Path string // the binding record
	// Recorded is the module the record names; nil when the directory has
	// no record (made by an older version).
	Recorded   *ModuleIdentity
	Configured ModuleIdentity
	Err        error // what failed
}

func (e *BindingError) Error() string {
	if e.Recorded == nil {
		return fmt.Sprintf("hsm: the data directory holds sealed data and no crypto binding (%s), and %s cannot have sealed it: %v",
			e.Path, e.Configured, e.Err)
	}
	return fmt.Sprintf("hsm: the data directory is sealed by %s (%s), but kmipd is configured with %s: %v",
		e.Recorded, e.Path, e.Configured, e.Err)
}

func (e *BindingError) Unwrap() error { return e.Err }
