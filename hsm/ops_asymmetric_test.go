package hsm

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"testing"
)

// generatePair generates a pair with c and returns the private key in the
// clear as GenerateKeyPair does.
func generatePair(t testing.TB, c Crypto, spec KeyPairSpec) (priv, pub []byte) {
	t.Helper()
	priv, pub, err := c.GenerateKeyPair(spec)
	if err != nil {
		t.Fatalf("GenerateKeyPair(%+v): %v", spec, err)
	}
	return priv, pub
}

func TestOperationsGenerateKeyPair(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, spec := range []KeyPairSpec{
			{Algorithm: RSA, Bits: 2048},
			{Algorithm: ECDSA, Curve: "P-256"},
			{Algorithm: ECDSA, Curve: "P-384"},
			{Algorithm: ECDSA, Curve: "P-521"},
			{Algorithm: Ed25519},
		} {
			priv, pub := generatePair(t, c, spec)
			k, err := x509.ParsePKCS8PrivateKey(priv)
			if err != nil {
				t.Fatalf("%+v: private key is not PKCS#8: %v", spec, err)
			}
			p, err := x509.ParsePKIXPublicKey(pub)
			if err != nil {
				t.Fatalf("%+v: public key is not PKIX: %v", spec, err)
			}
			if !k.(interface{ Public() crypto.PublicKey }).Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(p) {
				t.Errorf("%+v: public key does not match the private key", spec)
			}
			if keyAlgorithm(k) != spec.Algorithm {
				t.Errorf("%+v: generated a %s key", spec, keyAlgorithm(k))
			}
		}
		for _, spec := range []KeyPairSpec{{Algorithm: RSA, Bits: 1024}, {Algorithm: ECDSA, Curve: "P-224"}, {Algorithm: AES}} {
			if _, _, err := c.GenerateKeyPair(spec); !errors.Is(err, ErrBadParameters) {
				t.Errorf("GenerateKeyPair(%+v): %v, want ErrBadParameters", spec, err)
			}
		}
	})
}

// P-521 scalars begin with a zero byte often enough (about 1 in 2) for a
// token that drops leading zeros to show it within a few pairs.
func TestOperationsGenerateP521Repeatedly(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for range 8 {
			generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: "P-521"})
		}
	})
}

func TestOperationsSignVerify(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		rsaPriv, rsaPub := generatePair(t, c, KeyPairSpec{Algorithm: RSA, Bits: 2048})
		ecPriv, ecPub := generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: "P-256"})
		ec384Priv, ec384Pub := generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: "P-384"})
		edPriv, edPub := generatePair(t, c, KeyPairSpec{Algorithm: Ed25519})
		msg := []byte("the quick brown fox jumps over the lazy dog")
		digest256, _ := Hash(crypto.SHA256, msg)
		for _, tc := range []struct {
			name      string
			priv, pub []byte
			p         SignParams
			data      []byte
		}{
			{"RSA PKCS1v15 SHA-256", rsaPriv, rsaPub, SignParams{Algorithm: RSA, Padding: PaddingPKCS1v15, Hash: crypto.SHA256}, msg},
			{"RSA PKCS1v15 prehashed", rsaPriv, rsaPub, SignParams{Algorithm: RSA, Padding: PaddingPKCS1v15, Hash: crypto.SHA256, Prehashed: true}, digest256},
			{"RSA PSS SHA-256", rsaPriv, rsaPub, SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA256}, msg},
			{"RSA PSS SHA-512 salt 20", rsaPriv, rsaPub, SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA512, SaltLength: 20}, msg},
			{"RSA PSS salt 222 (KMIP CS-AC)", rsaPriv, rsaPub, SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA256, SaltLength: 222}, msg},
			{"ECDSA P-256 SHA-256", ecPriv, ecPub, SignParams{Algorithm: ECDSA, Hash: crypto.SHA256}, msg},
			{"ECDSA P-256 prehashed", ecPriv, ecPub, SignParams{Algorithm: ECDSA, Hash: crypto.SHA256, Prehashed: true}, digest256},
			{"ECDSA P-384 SHA-384", ec384Priv, ec384Pub, SignParams{Algorithm: ECDSA, Hash: crypto.SHA384}, msg},
			{"Ed25519", edPriv, edPub, SignParams{Algorithm: Ed25519}, msg},
		} {
			sig, err := c.Sign(tc.priv, tc.p, tc.data)
			if err != nil {
				t.Errorf("%s: Sign: %v", tc.name, err)
				continue
			}
			if ok, err := c.Verify(tc.pub, tc.p, tc.data, sig); !ok || err != nil {
				t.Errorf("%s: Verify = %v, %v, want true", tc.name, ok, err)
			}
			bad := bytes.Clone(sig)
			bad[len(bad)/2] ^= 0x01
			if ok, err := c.Verify(tc.pub, tc.p, tc.data, bad); ok || err != nil {
				t.Errorf("%s: Verify(tampered signature) = %v, %v, want false, nil", tc.name, ok, err)
			}
			other := append(bytes.Clone(tc.data), 'x')
			if tc.p.Prehashed {
				other = bytes.Clone(tc.data)
				other[0] ^= 1
			}
			if ok, err := c.Verify(tc.pub, tc.p, other, sig); ok || err != nil {
				t.Errorf("%s: Verify(other data) = %v, %v, want false, nil", tc.name, ok, err)
			}
		}
		if _, err := x509.ParsePKCS8PrivateKey(ecPriv); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			priv []byte
			p    SignParams
			data []byte
		}{
			{"RSA key, ECDSA asked", rsaPriv, SignParams{Algorithm: ECDSA, Hash: crypto.SHA256}, msg},
			{"RSA without hash", rsaPriv, SignParams{Algorithm: RSA, Padding: PaddingPSS}, msg},
			{"RSA unknown padding", rsaPriv, SignParams{Algorithm: RSA, Padding: PaddingOAEP, Hash: crypto.SHA256}, msg},
			{"PSS salt too long", rsaPriv, SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA256, SaltLength: 300}, msg},
			{"PSS MGF1 hash differs", rsaPriv, SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA256, MGFHash: crypto.SHA1}, msg},
			{"prehashed, wrong length", ecPriv, SignParams{Algorithm: ECDSA, Hash: crypto.SHA256, Prehashed: true}, msg},
			{"Ed25519 with a hash", edPriv, SignParams{Algorithm: Ed25519, Hash: crypto.SHA512}, msg},
			{"not a key", []byte("garbage"), SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA256}, msg},
		} {
			if _, err := c.Sign(tc.priv, tc.p, tc.data); !errors.Is(err, ErrBadParameters) {
				t.Errorf("Sign, %s: %v, want ErrBadParameters", tc.name, err)
			}
		}
		if _, err := c.Verify([]byte("garbage"), SignParams{Algorithm: Ed25519}, msg, make([]byte, 64)); !errors.Is(err, ErrBadParameters) {
			t.Errorf("Verify with a garbage key: %v, want ErrBadParameters", err)
		}
	})
}

// RFC 8032 section 7.1, test 1.
func TestOperationsEd25519Vector(t *testing.T) {
	seed := unhex(t, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	want := unhex(t, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
	priv, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	forEachProvider(t, func(t *testing.T, c Crypto) {
		sig, err := c.Sign(priv, SignParams{Algorithm: Ed25519}, nil)
		if err != nil || !bytes.Equal(sig, want) {
			t.Fatalf("Sign = %x, %v, want %x", sig, err, want)
		}
		if ok, err := c.Verify(pub, SignParams{Algorithm: Ed25519}, nil, sig); !ok || err != nil {
			t.Errorf("Verify = %v, %v", ok, err)
		}
	})
}

func TestOperationsRSAEncrypt(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		priv, pub := generatePair(t, c, KeyPairSpec{Algorithm: RSA, Bits: 2048})
		secret := []byte("a 32-byte AES key, or near it..")
		for _, p := range []CipherParams{
			{Algorithm: RSA, Padding: PaddingOAEP},
			{Algorithm: RSA, Padding: PaddingOAEP, Hash: crypto.SHA256},
			{Algorithm: RSA, Padding: PaddingOAEP, Hash: crypto.SHA384, MGFHash: crypto.SHA256, Label: []byte("Kilroy was here")},
			{Algorithm: RSA, Padding: PaddingPKCS1v15},
		} {
			enc, err := c.Encrypt(pub, p, secret)
			if err != nil {
				t.Fatalf("%+v: Encrypt: %v", p, err)
			}
			dec, err := c.Decrypt(priv, p, enc.Data)
			if err != nil || !bytes.Equal(dec.Data, secret) {
				t.Errorf("%+v: Decrypt = %q, %v", p, dec.Data, err)
			}
			bad := bytes.Clone(enc.Data)
			bad[10] ^= 1
			if _, err := c.Decrypt(priv, p, bad); !errors.Is(err, ErrAuthentication) {
				t.Errorf("%+v: Decrypt(tampered): %v, want ErrAuthentication", p, err)
			}
		}
		wrongLabel := CipherParams{Algorithm: RSA, Padding: PaddingOAEP, Label: []byte("a")}
		enc, _ := c.Encrypt(pub, wrongLabel, secret)
		wrongLabel.Label = []byte("b")
		if _, err := c.Decrypt(priv, wrongLabel, enc.Data); !errors.Is(err, ErrAuthentication) {
			t.Errorf("OAEP with another label: %v, want ErrAuthentication", err)
		}
		if _, err := c.Encrypt(pub, CipherParams{Algorithm: RSA, Padding: PaddingOAEP}, make([]byte, 300)); !errors.Is(err, ErrBadParameters) {
			t.Errorf("OAEP of a message too long: %v, want ErrBadParameters", err)
		}
		if _, err := c.Encrypt(pub, CipherParams{Algorithm: RSA, Padding: PaddingPSS}, secret); !errors.Is(err, ErrBadParameters) {
			t.Errorf("RSA encrypt with PSS: %v, want ErrBadParameters", err)
		}
	})
}
