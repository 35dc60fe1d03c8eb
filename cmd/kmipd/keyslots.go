package main

import (
	"path/filepath"

	"github.com/kmipd/kmipd/hsm"
)

// withKeySlots returns module sealing through the key slots of dataDir
// (hsm.Slotted: one data-encryption key per object, sealed by the module,
// whose wipe makes a Destroy final); on error it closes module.
func withKeySlots(module hsm.Crypto, dataDir string) (hsm.Crypto, error) {
	s, err := hsm.OpenSlotted(module, filepath.Join(dataDir, hsm.KeySlotsFile))
	if err != nil {
		module.Close()
		return nil, err
	}
	return s, nil
}
