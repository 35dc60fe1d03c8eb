//go:build cgo

package pkcs11

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/pkcs11"

	"github.com/kmipd/kmipd/hsm"
)

// The PKCS#11 provider's KEK epochs are AES-256 token objects named by
// CKA_ID. The configured KEKID (DefaultKEKID "kmipd-kek-1") names the first
// epoch, created when the token holds none; epoch n has CKA_ID <base>-<n>,
// where KEKID is <base>-<first> (a KEKID without such a numeric suffix is
// epoch 1 and the later ones are <KEKID>-2, <KEKID>-3, ...). On open the
// provider finds every epoch in the token and seals under the highest, so
// that a restart after a rotation keeps the newest epoch although the
// configuration still names the first.

var _ hsm.Rotator = (*Provider)(nil)

// maxEpochNumber bounds the number in an epoch's CKA_ID.
const maxEpochNumber = 1 << 30

// kekNaming maps epoch numbers to CKA_IDs and back.
type kekNaming struct {
	first  string // the configured KEKID
	firstN uint32 // its epoch number
	prefix string // of every other epoch's CKA_ID, followed by the number
}

// newKEKNaming returns the naming rooted at the configured KEK id.
func newKEKNaming(first string) kekNaming {
	if i := strings.LastIndexByte(first, '-'); i >= 0 {
		if n, ok := parseEpochNumber(first[i+1:]); ok {
			return kekNaming{first: first, firstN: n, prefix: first[:i+1]}
		}
	}
	return kekNaming{first: first, firstN: 1, prefix: first + "-"}
}

// parseEpochNumber parses a canonical decimal epoch number (no sign, no
// leading zero) from 1 to maxEpochNumber.
func parseEpochNumber(s string) (uint32, bool) {
	if s == "" || s[0] == '0' || len(s) > 10 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > maxEpochNumber {
		return 0, false
	}
	return uint32(n), true
}

// id returns the CKA_ID of epoch n.
func (k kekNaming) id(n uint32) string {
	if n == k.firstN {
		return k.first
	}
	return k.prefix + strconv.FormatUint(uint64(n), 10)
}

// number returns the epoch number of CKA_ID id, and false when id is not
// one of this naming's.
func (k kekNaming) number(id string) (uint32, bool) {
	if id == k.first {
		return k.firstN, true
	}
	rest, ok := strings.CutPrefix(id, k.prefix)
	if !ok {
		return 0, false
	}
	n, ok := parseEpochNumber(rest)
	if !ok || n == k.firstN {
		return 0, false
	}
	return n, true
}

// pkcs11KeyID returns the key id written into blobs sealed under the KEK
// with CKA_ID id: the first four bytes of SHA-256 of id.
func pkcs11KeyID(id string) uint32 {
	sum := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint32(sum[:4])
}

// pkcs11Epoch is one KEK epoch in the token.
type pkcs11Epoch struct {
	number uint32
	ckaID  string
	keyID  uint32
	handle pkcs11.ObjectHandle
}

// epochBatch is how many objects one C_FindObjects call returns while the
// token is scanned for epochs.
const epochBatch = 64

// findEpochs lists the epochs of naming in the token, oldest first. Every
// one is checked to be a sealed-in 256-bit AES key; two objects with one
// CKA_ID, two epochs with one key id and more than MaxEpochs epochs are
// errors.
func (m *module) findEpochs(s pkcs11.SessionHandle, naming kekNaming) ([]pkcs11Epoch, error) {
	template := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
	}
	if err := m.ctx.FindObjectsInit(s, template); err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: find KEK epochs: %w", err)
	}
	var epochs []pkcs11Epoch
	err := func() error {
		for {
			batch, _, err := m.ctx.FindObjects(s, epochBatch)
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				return nil
			}
			for _, h := range batch {
				attrs, err := m.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil)})
				if err != nil || len(attrs) != 1 {
					continue // destroyed meanwhile, or without an ID
				}
				id := string(attrs[0].Value)
				n, ok := naming.number(id)
				if !ok {
					continue
				}
				if slices.ContainsFunc(epochs, func(e pkcs11Epoch) bool { return e.number == n }) {
					return fmt.Errorf("more than one secret key with CKA_ID %q: want one", id)
				}
				if len(epochs) == hsm.MaxEpochs {
					return fmt.Errorf("more than %d KEK epochs", hsm.MaxEpochs)
				}
				epochs = append(epochs, pkcs11Epoch{number: n, ckaID: id, keyID: pkcs11KeyID(id), handle: h})
			}
		}
	}()
	if ferr := m.ctx.FindObjectsFinal(s); err == nil {
		err = ferr
	}
	if err != nil {
		return nil, fmt.Errorf("hsm: pkcs11: find KEK epochs: %w", err)
	}
	slices.SortFunc(epochs, func(a, b pkcs11Epoch) int { return int(int64(a.number) - int64(b.number)) })
	for i, e := range epochs {
		if err := m.checkKEK(s, e.handle, e.ckaID); err != nil {
			return nil, err
		}
		for _, prev := range epochs[:i] {
			if prev.keyID == e.keyID {
				return nil, fmt.Errorf("hsm: pkcs11: KEKs %q and %q have the same key id", prev.ckaID, e.ckaID)
			}
		}
	}
	return epochs, nil
}

// openEpochs returns the epochs of naming in the token, creating the first
// when there is none and create is true; created reports whether it did.
// With create false, a token without epoch is an error wrapping ErrNoKEK.
func (m *module) openEpochs(s pkcs11.SessionHandle, naming kekNaming, label string, create bool) (epochs []pkcs11Epoch, created bool, err error) {
	epochs, err = m.findEpochs(s, naming)
	if err != nil || len(epochs) > 0 {
		return epochs, false, err
	}
	if !create {
		return nil, false, fmt.Errorf("%w: no secret key with CKA_ID %q in the token", hsm.ErrNoKEK, naming.first)
	}
	h, created, err := m.findOrCreateKEK(s, naming.first, label)
	if err != nil {
		return nil, false, err
	}
	return []pkcs11Epoch{{number: naming.firstN, ckaID: naming.first, keyID: pkcs11KeyID(naming.first), handle: h}}, created, nil
}

// install makes epochs the provider's, the last one current. The caller
// holds p.mu or owns p alone.
func (p *Provider) install(epochs []pkcs11Epoch) {
	current := epochs[len(epochs)-1]
	p.epochs = epochs
	p.kek, p.kekID = current.handle, current.keyID
	p.header[0] = hsm.SealFormatPKCS11
	binary.BigEndian.PutUint32(p.header[1:], current.keyID)
}

// epochFor returns the KEK handle of the epoch sealed names, and false when
// sealed is malformed, of another format or of an epoch not present. The
// caller holds p.mu.
func (p *Provider) epochFor(sealed []byte) (pkcs11.ObjectHandle, bool) {
	if len(sealed) < hsm.SealOverhead || len(sealed) > hsm.SealOverhead+hsm.MaxPlaintext || sealed[0] != hsm.SealFormatPKCS11 {
		return 0, false
	}
	keyID := binary.BigEndian.Uint32(sealed[1:])
	for _, e := range p.epochs {
		if e.keyID == keyID {
			return e.handle, true
		}
	}
	return 0, false
}

// Rotate generates the next epoch's KEK in the token (C_GenerateKey), which
// seals from now on, and returns its key id. It fails with ErrClosed after
// Close, when MaxEpochs epochs are present (retire some first), and when
// an object with the new epoch's CKA_ID exists already (another process
// rotating: only one may). A Binding following the provider has its check
// value sealed under the new epoch before Rotate returns (see
// AfterRotation).
func (p *Provider) Rotate() (uint32, error) {
	id, err := p.rotate()
	if err != nil {
		return 0, err
	}
	return id, hsm.AfterRotation(p.afterRotate, id)
}

// rotate is Rotate without the Binding's part.
func (p *Provider) rotate() (uint32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpen(); err != nil {
		return 0, err
	}
	if len(p.epochs) >= hsm.MaxEpochs {
		return 0, fmt.Errorf("hsm: %d KEK epochs present: retire old ones first", len(p.epochs))
	}
	last := p.epochs[len(p.epochs)-1]
	if last.number >= maxEpochNumber {
		return 0, fmt.Errorf("hsm: pkcs11: KEK epoch numbers exhausted at %d", last.number)
	}
	next := pkcs11Epoch{number: last.number + 1}
	next.ckaID = p.naming.id(next.number)
	next.keyID = pkcs11KeyID(next.ckaID)
	if slices.ContainsFunc(p.epochs, func(e pkcs11Epoch) bool { return e.keyID == next.keyID }) {
		return 0, fmt.Errorf("hsm: pkcs11: KEK %q would have the key id of a present epoch", next.ckaID)
	}
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		h, err := p.mod.ctx.GenerateKey(s,
			[]*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)},
			kekTemplate(next.ckaID, p.label))
		if err != nil {
			return fmt.Errorf("hsm: pkcs11: generate KEK %q: %w", next.ckaID, err)
		}
		found, err := p.mod.findKEKs(s, next.ckaID)
		if err == nil && (len(found) != 1 || found[0] != h) {
			err = fmt.Errorf("hsm: pkcs11: another secret key with CKA_ID %q appeared: is another process rotating?", next.ckaID)
		}
		if err != nil {
			if derr := p.mod.ctx.DestroyObject(s, h); derr != nil {
				return fmt.Errorf("%w (withdrawing the new KEK failed too: %v)", err, derr)
			}
			return err
		}
		next.handle = h
		return nil
	})
	if err != nil {
		return 0, err
	}
	p.install(append(slices.Clone(p.epochs), next))
	return next.keyID, nil
}

// Retire destroys the KEK object of the epoch with key id (C_DestroyObject).
// It refuses the current epoch with ErrCurrentEpoch and an id not present
// with ErrNoEpoch; material sealed under a retired epoch then fails to
// unseal with ErrUnseal.
func (p *Provider) Retire(id uint32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkOpen(); err != nil {
		return err
	}
	if id == p.kekID {
		return hsm.ErrCurrentEpoch
	}
	i := slices.IndexFunc(p.epochs, func(e pkcs11Epoch) bool { return e.keyID == id })
	if i < 0 {
		return fmt.Errorf("%w: %d", hsm.ErrNoEpoch, id)
	}
	retired := p.epochs[i]
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		if err := p.mod.ctx.DestroyObject(s, retired.handle); err != nil {
			return fmt.Errorf("hsm: pkcs11: destroy KEK %q: %w", retired.ckaID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.install(slices.Delete(slices.Clone(p.epochs), i, i+1))
	return nil
}

// KeyIDs returns the key ids of the present epochs, oldest first.
func (p *Provider) KeyIDs() []uint32 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	ids := make([]uint32, len(p.epochs))
	for i, e := range p.epochs {
		ids[i] = e.keyID
	}
	return ids
}
