//go:build cgo

package pkcs11

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/miekg/pkcs11"
)

// kekSize is the size in bytes of a KEK: AES-256.
const kekSize = 32

// kekCreateAttempts bounds the retries when several processes create the
// KEK at the same moment.
const kekCreateAttempts = 5

// kekLookup serialises findOrCreateKEK within the process.
var kekLookup sync.Mutex

// kekSearchLimit bounds how many objects with the KEK's CKA_ID are listed.
const kekSearchLimit = 8

// findOrCreateKEK returns the handle of the AES-256 key-encryption key with
// CKA_ID id in the token, generating it when absent; created reports
// whether this call generated it.
//
// The KEK is a private, sensitive, non-extractable token object, usable for
// encryption and decryption only, so it never leaves the token. Labels are
// not unique in PKCS#11, so the key is found by CKA_ID and more than one
// object with that ID is an error.
//
// Providers in one process look up and create KEKs one at a time. Two
// processes starting on an empty token may both generate a KEK: each looks
// again after generating, and one that then sees more than its own
// withdraws its key, never yet used, and retries after a random pause,
// until one key remains. (A third process starting in the same instant
// could pick up a key that its creator then withdraws; PKCS#11 has no
// create-if-absent to close that window.)
func (m *module) findOrCreateKEK(s pkcs11.SessionHandle, id, label string) (kek pkcs11.ObjectHandle, created bool, err error) {
	kekLookup.Lock()
	defer kekLookup.Unlock()
	for attempt := 1; ; attempt++ {
		found, err := m.findKEKs(s, id)
		if err != nil {
			return 0, false, err
		}
		switch {
		case len(found) == 1:
			return found[0], false, m.checkKEK(s, found[0], id)
		case len(found) > 1 && attempt < kekCreateAttempts:
			// Maybe a creation race in progress, settled by the creators.
			pauseBeforeRetry()
			continue
		case len(found) > 1:
			return 0, false, fmt.Errorf("hsm: pkcs11: %d secret keys with CKA_ID %q in the token: want one", len(found), id)
		case attempt > kekCreateAttempts:
			return 0, false, fmt.Errorf("hsm: pkcs11: KEK %q: concurrent creation did not settle after %d attempts", id, kekCreateAttempts)
		}

		mine, err := m.ctx.GenerateKey(s,
			[]*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)},
			kekTemplate(id, label))
		if err != nil {
			return 0, false, fmt.Errorf("hsm: pkcs11: generate KEK %q: %w", id, err)
		}
		found, err = m.findKEKs(s, id)
		if err != nil {
			return 0, false, err
		}
		if len(found) == 1 && found[0] == mine {
			return mine, true, nil
		}
		if err := m.ctx.DestroyObject(s, mine); err != nil {
			return 0, false, fmt.Errorf("hsm: pkcs11: withdraw duplicate KEK %q: %w", id, err)
		}
		pauseBeforeRetry()
	}
}

// pauseBeforeRetry sleeps 10 to 60 ms, at random so that racing creators
// fall out of step.
func pauseBeforeRetry() { time.Sleep(time.Duration(10+rand.IntN(50)) * time.Millisecond) }

// kekTemplate is the template of a generated KEK.
func kekTemplate(id, label string) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, kekSize),
		pkcs11.NewAttribute(pkcs11.CKA_ID, []byte(id)),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_MODIFIABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, false),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, false),
		pkcs11.NewAttribute(pkcs11.CKA_DERIVE, false),
	}
}

// findKEKs lists the AES secret keys with CKA_ID id.
func (m *module) findKEKs(s pkcs11.SessionHandle, id string) ([]pkcs11.ObjectHandle, error) {
	template := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_ID, []byte(id)),
	}
	if err := m.ctx.FindObjectsInit(s, template); err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: find KEK %q: %w", id, err)
	}
	found, _, err := m.ctx.FindObjects(s, kekSearchLimit)
	if ferr := m.ctx.FindObjectsFinal(s); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: find KEK %q: %w", id, err)
	}
	return found, nil
}

// checkKEK refuses a KEK that is not a 256-bit AES key kept inside the
// token: one found by CKA_ID may have been made by someone else.
func (m *module) checkKEK(s pkcs11.SessionHandle, kek pkcs11.ObjectHandle, id string) error {
	attrs, err := m.ctx.GetAttributeValue(s, kek, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, nil),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, nil),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, nil),
	})
	if err != nil {
		return fmt.Errorf("hsm: pkcs11: KEK %q attributes: %w", id, err)
	}
	var problems []error
	for _, a := range attrs {
		switch a.Type {
		case pkcs11.CKA_VALUE_LEN:
			if n, ok := attrUlong(a); !ok || n != kekSize {
				problems = append(problems, errors.New("not 256 bits long"))
			}
		case pkcs11.CKA_TOKEN:
			if !attrBool(a) {
				problems = append(problems, errors.New("not a token object"))
			}
		case pkcs11.CKA_SENSITIVE:
			if !attrBool(a) {
				problems = append(problems, errors.New("not sensitive"))
			}
		case pkcs11.CKA_EXTRACTABLE:
			if attrBool(a) {
				problems = append(problems, errors.New("extractable"))
			}
		case pkcs11.CKA_ENCRYPT, pkcs11.CKA_DECRYPT:
			if !attrBool(a) {
				problems = append(problems, errors.New("not usable to encrypt and decrypt"))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("hsm: pkcs11: KEK %q refused: %w", id, errors.Join(problems...))
	}
	return nil
}

// attrBool decodes a CK_BBOOL attribute value.
func attrBool(a *pkcs11.Attribute) bool { return len(a.Value) == 1 && a.Value[0] != 0 }

// attrUlong decodes a CK_ULONG attribute value, in the host's byte order.
func attrUlong(a *pkcs11.Attribute) (uint64, bool) {
	switch len(a.Value) {
	case 4:
		return uint64(binary.NativeEndian.Uint32(a.Value)), true
	case 8:
		return binary.NativeEndian.Uint64(a.Value), true
	}
	return 0, false
}
