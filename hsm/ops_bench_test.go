package hsm

import (
	"bytes"
	"crypto"
	"fmt"
	"sync"
	"testing"
)

// TestOperationsConcurrent runs 16 goroutines of token and Go operations at
// once; on the PKCS#11 provider each call must hold its own session (a
// shared one crashes SoftHSM2).
func TestOperationsConcurrent(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		key := bytes.Repeat([]byte{9}, 32)
		ecPriv, ecPub := generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: "P-256"})
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := range 16 {
			wg.Go(func() {
				for i := range 20 {
					plain := []byte(fmt.Sprintf("goroutine %d call %d", g, i))
					gcm := CipherParams{Algorithm: AES, Mode: ModeGCM, AAD: []byte{byte(g)}}
					enc, err := c.Encrypt(key, gcm, plain)
					if err != nil {
						errs <- err
						return
					}
					gcm.IV, gcm.Tag = enc.IV, enc.Tag
					dec, err := c.Decrypt(key, gcm, enc.Data)
					if err != nil || !bytes.Equal(dec.Data, plain) {
						errs <- fmt.Errorf("GCM round trip: %q, %v", dec.Data, err)
						return
					}
					if _, err := c.MAC(key, MACParams{Algorithm: HMAC, Hash: crypto.SHA256}, plain); err != nil {
						errs <- err
						return
					}
					sp := SignParams{Algorithm: ECDSA, Hash: crypto.SHA256}
					sig, err := c.Sign(ecPriv, sp, plain)
					if err != nil {
						errs <- err
						return
					}
					if ok, err := c.Verify(ecPub, sp, plain, sig); !ok || err != nil {
						errs <- fmt.Errorf("Verify = %v, %v", ok, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// BenchmarkOperations reports ops/s per provider:
//
//	go test -run '^$' -bench Operations ./hsm/
func BenchmarkOperations(b *testing.B) {
	for _, pc := range providerCases {
		b.Run(pc.name, func(b *testing.B) {
			c := pc.open(b)
			key := bytes.Repeat([]byte{3}, 32)
			data := make([]byte, 1024)
			rsaPriv, _ := generatePair(b, c, KeyPairSpec{Algorithm: RSA, Bits: 2048})
			ecPriv, _ := generatePair(b, c, KeyPairSpec{Algorithm: ECDSA, Curve: "P-256"})
			for _, bc := range []struct {
				name string
				op   func() error
			}{
				{"AES-256-GCM-Encrypt-1KiB", func() error {
					_, err := c.Encrypt(key, CipherParams{Algorithm: AES, Mode: ModeGCM}, data)
					return err
				}},
				{"GenerateKey-AES-256", func() error { _, err := c.GenerateKey(256); return err }},
				{"RSA-2048-Sign-PSS-SHA256", func() error {
					_, err := c.Sign(rsaPriv, SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA256}, data)
					return err
				}},
				{"ECDSA-P256-Sign-SHA256", func() error {
					_, err := c.Sign(ecPriv, SignParams{Algorithm: ECDSA, Hash: crypto.SHA256}, data)
					return err
				}},
				{"HMAC-SHA256-1KiB", func() error {
					_, err := c.MAC(key, MACParams{Algorithm: HMAC, Hash: crypto.SHA256}, data)
					return err
				}},
			} {
				b.Run(bc.name, func(b *testing.B) {
					for b.Loop() {
						if err := bc.op(); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
				})
			}
		})
	}
}
