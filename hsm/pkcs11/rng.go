//go:build cgo

package pkcs11

import (
	"errors"
	"fmt"

	"github.com/miekg/pkcs11"

	"github.com/kmipd/kmipd/hsm"
)

var _ hsm.Seeder = (*Provider)(nil)

// Seed mixes up to hsm.MaxSeed bytes of data into the token's generator
// (C_SeedRandom) and returns how many it used. A token whose generator
// takes no seed (CKR_RANDOM_SEED_NOT_SUPPORTED, CKR_RANDOM_NO_RNG or
// CKR_FUNCTION_NOT_SUPPORTED) used none: 0 and no error. PKCS#11 leaves to
// the token how a seed is mixed in; SoftHSM2 adds it to its generator's
// pool without replacing the token's own entropy.
func (p *Provider) Seed(data []byte) (int, error) {
	if err := p.checkOpen(); err != nil {
		return 0, err
	}
	used := min(len(data), hsm.MaxSeed)
	if used == 0 {
		return 0, nil
	}
	err := p.withSession(func(s pkcs11.SessionHandle) error {
		return p.mod.ctx.SeedRandom(s, data[:used])
	})
	var ckr pkcs11.Error
	if errors.As(err, &ckr) {
		switch ckr {
		case pkcs11.CKR_RANDOM_SEED_NOT_SUPPORTED, pkcs11.CKR_RANDOM_NO_RNG, pkcs11.CKR_FUNCTION_NOT_SUPPORTED:
			return 0, nil
		}
	}
	if err != nil {
		return 0, fmt.Errorf("hsm: pkcs11: C_SeedRandom: %w", err)
	}
	return used, nil
}
