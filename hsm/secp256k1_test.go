package hsm

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// secp256k1 keys and results made by OpenSSL 3.0 (openssl ecparam -name
// secp256k1 -genkey; pkcs8 -topk8; pkeyutl -derive; dgst -sha256 -sign),
// not by this package.
const (
	osslAPKCS8 = "308184020100301006072a8648ce3d020106052b8104000a046d306b02010104205848e8dda717e33fddb1e97b3ddf4aaa2536794ee4e462feeceba1939b11faf4a14403420004ad21147d0b17d8ae71498e56e0fb4386a79123da52b9bb863591bb39c1c1fb1d7b99e57d04fedbb9635a095026f987897c8d5ef8619c6b1c595f324dbda5a395"
	osslAPub   = "3056301006072a8648ce3d020106052b8104000a03420004ad21147d0b17d8ae71498e56e0fb4386a79123da52b9bb863591bb39c1c1fb1d7b99e57d04fedbb9635a095026f987897c8d5ef8619c6b1c595f324dbda5a395"
	osslBPub   = "3056301006072a8648ce3d020106052b8104000a03420004d06dacd0eefe9544063003b3b67fde075b2cc34da3f05ba399b1c0cff7c846c58d74a2d4039cd2d37efc1cae746eda54228e63be571b3c3a3b1c5b96d8733e63"
	osslABZ    = "fdeb5bbee3af6a775fd4f40fcec171144ec7e5441c1cbc0e30593f429da61570"
	// ECDSA SHA-256 of "abc" by A; its S is high, as OpenSSL leaves it.
	osslASig = "304502202ee979e3c4b8d1c6f8100dcb923cd85356280a8b8eb6dc23231fac547512ab90022100fe2a701f9fd35f2b52825643c9d6739560162e22559ab60edc9579ebeb165511"
)

// The OASIS KMIP 2.0 test case TC-ECDSA-SIGN-1-20: a SEC 1 private key, its
// X.509 public key and a known good signature of SHA-256(data).
const (
	tcSEC1 = "30740201010420db4d128c30ca309e62c4019758c00ba244dd64d9bf52a31078866b8a00c19c68a00706052b8104000aa14403420004dab5d3c253113db414abfc1c0ebf5a02559e656aa1c8b0aa8d870aa0324cda4899925ea1e6dbc259a6c7825cf46592ac7594cc40bd604b728d88b636f317d366"
	tcPub  = "3056301006072a8648ce3d020106052b8104000a03420004dab5d3c253113db414abfc1c0ebf5a02559e656aa1c8b0aa8d870aa0324cda4899925ea1e6dbc259a6c7825cf46592ac7594cc40bd604b728d88b636f317d366"
	tcData = "01020304050607080910111213141516"
	tcSig  = "30440220078ac91570286b4b35f2bf1da113c6e25e8c45dfc7a7dc7db07f7ff34ffc08d702200135d58e21d091e60b81a0e63db3d914af9fe56de9b3cf747cd8ecc74a75ee71"
)

// Keys on curves the module lacks, made by OpenSSL: brainpoolP256r1 as
// PKCS#8, SEC 1 and X.509, and sect283k1 (K-283) as SEC 1.
const (
	bpPKCS8   = "308188020100301406072a8648ce3d020106092b2403030208010107046d306b0201010420a34f336bb1605c66ba5fe533226a4ef7b4e61070dea52b6c5872bff6b31874c2a144034200044b36a00bc6600915bee2c04bdc5712b12e716c89a9ccd3f4342dd80762ce080a4b7dc2ac0102308ca63efaeb2575327e78f7f5336d96f423e20c97d9f5aa98ae"
	bpSEC1    = "30780201010420a34f336bb1605c66ba5fe533226a4ef7b4e61070dea52b6c5872bff6b31874c2a00b06092b2403030208010107a144034200044b36a00bc6600915bee2c04bdc5712b12e716c89a9ccd3f4342dd80762ce080a4b7dc2ac0102308ca63efaeb2575327e78f7f5336d96f423e20c97d9f5aa98ae"
	bpPub     = "305a301406072a8648ce3d020106092b2403030208010107034200044b36a00bc6600915bee2c04bdc5712b12e716c89a9ccd3f4342dd80762ce080a4b7dc2ac0102308ca63efaeb2575327e78f7f5336d96f423e20c97d9f5aa98ae"
	k283SEC1  = "308180020101042400df45510b87dc12b78f2978ed40294cf7eb63fb1b33eaab35a2f1c055128b0363ec362ba00706052b81040010a14c034a00040238d4bb8dff02a3e739a78c8599d74b49c92a3fbd31e785889c69204e12d7eebae3e57d019fbde313f14274e063302acebe647e13c9a89fb8a41a91c3ed44277131da520b38282b"
	bpOIDText = "brainpoolP256r1 (OID 1.3.36.3.3.2.8.1.1.7)"
)

func TestOperationsSecp256k1SignVerify(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		priv, pub := generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: Secp256k1})
		k, err := ParsePKCS8PrivateKey(priv)
		if err != nil {
			t.Fatalf("generated private key: %v", err)
		}
		p, err := ParsePKIXPublicKey(pub)
		if err != nil {
			t.Fatalf("generated public key: %v", err)
		}
		if _, ok := k.(*Secp256k1PrivateKey); !ok || !p.(*Secp256k1PublicKey).Equal(k.Public()) {
			t.Fatalf("generated a %T whose public key %T does not match", k, p)
		}
		msg := []byte("the quick brown fox jumps over the lazy dog")
		digest, _ := Hash(crypto.SHA256, msg)
		for _, tc := range []struct {
			name string
			p    SignParams
			data []byte
		}{
			{"SHA-256", SignParams{Algorithm: ECDSA, Hash: crypto.SHA256}, msg},
			{"SHA-512, truncated", SignParams{Algorithm: ECDSA, Hash: crypto.SHA512}, msg},
			{"prehashed SHA-256", SignParams{Algorithm: ECDSA, Hash: crypto.SHA256, Prehashed: true}, digest},
			{"prehashed, no hash", SignParams{Algorithm: ECDSA, Prehashed: true}, digest[:16]},
		} {
			sig, err := c.Sign(priv, tc.p, tc.data)
			if err != nil {
				t.Errorf("%s: Sign: %v", tc.name, err)
				continue
			}
			if ok, err := c.Verify(pub, tc.p, tc.data, sig); !ok || err != nil {
				t.Errorf("%s: Verify = %v, %v, want true", tc.name, ok, err)
			}
			bad := bytes.Clone(sig)
			bad[len(bad)-1] ^= 1
			if ok, err := c.Verify(pub, tc.p, tc.data, bad); ok || err != nil {
				t.Errorf("%s: Verify(tampered) = %v, %v, want false, nil", tc.name, ok, err)
			}
			if ok, err := c.Verify(pub, tc.p, tc.data, []byte("not DER")); ok || err != nil {
				t.Errorf("%s: Verify(garbage) = %v, %v, want false, nil", tc.name, ok, err)
			}
		}
	})
}

// Signatures and secrets of OpenSSL and of the OASIS test case check here,
// and the module's signature of the test case's data verifies.
func TestOperationsSecp256k1KnownAnswers(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		sha := SignParams{Algorithm: ECDSA, Hash: crypto.SHA256}
		if ok, err := c.Verify(unhex(t, osslAPub), sha, []byte("abc"), unhex(t, osslASig)); !ok || err != nil {
			t.Errorf("Verify(OpenSSL signature) = %v, %v, want true", ok, err)
		}
		if ok, err := c.Verify(unhex(t, osslAPub), sha, []byte("abd"), unhex(t, osslASig)); ok || err != nil {
			t.Errorf("Verify(OpenSSL signature, other data) = %v, %v, want false", ok, err)
		}
		z, err := c.DeriveKey(unhex(t, osslAPKCS8), DeriveParams{Method: DeriveECDH, PublicKey: unhex(t, osslBPub), Length: 32})
		if err != nil || !bytes.Equal(z, unhex(t, osslABZ)) {
			t.Errorf("ECDH = %x, %v, want OpenSSL's %s", z, err, osslABZ)
		}
		data := unhex(t, tcData)
		if ok, err := c.Verify(unhex(t, tcPub), sha, data, unhex(t, tcSig)); !ok || err != nil {
			t.Errorf("Verify(TC-ECDSA-SIGN-1-20 signature) = %v, %v, want true", ok, err)
		}
		sig, err := c.Sign(unhex(t, tcSEC1), sha, data)
		if err != nil {
			t.Fatalf("Sign with the SEC 1 key: %v", err)
		}
		if ok, err := c.Verify(unhex(t, tcPub), sha, data, sig); !ok || err != nil {
			t.Errorf("Verify(own signature) = %v, %v, want true", ok, err)
		}
		if ok, err := c.Verify(unhex(t, tcPub), SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA1}, data, sig); ok || err != nil {
			t.Errorf("Verify under RSA parameters = %v, %v, want false, nil", ok, err)
		}
	})
}

func TestOperationsSecp256k1ECDHBothWays(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		aPriv, aPub := generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: Secp256k1})
		bPriv, bPub := generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: Secp256k1})
		ab, err1 := c.DeriveKey(aPriv, DeriveParams{Method: DeriveECDH, PublicKey: bPub, Length: 32})
		ba, err2 := c.DeriveKey(bPriv, DeriveParams{Method: DeriveECDH, PublicKey: aPub, Length: 32})
		if err1 != nil || err2 != nil || !bytes.Equal(ab, ba) || len(ab) != 32 {
			t.Fatalf("ECDH a·B = %x, %v; b·A = %x, %v", ab, err1, ba, err2)
		}
		_, p256 := generatePair(t, c, KeyPairSpec{Algorithm: ECDSA, Curve: "P-256"})
		if _, err := c.DeriveKey(aPriv, DeriveParams{Method: DeriveECDH, PublicKey: p256, Length: 32}); !errors.Is(err, ErrBadParameters) {
			t.Errorf("ECDH secp256k1 with P-256: %v, want ErrBadParameters", err)
		}
	})
}

// SEC 1, PKCS#8 and X.509 forms of a secp256k1 key convert into each other
// and back to the same bytes.
func TestSecp256k1KeyForms(t *testing.T) {
	k, err := ParseECPrivateKey(unhex(t, tcSEC1))
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := MarshalECPrivateKey(k)
	if err != nil || !bytes.Equal(sec1, unhex(t, tcSEC1)) {
		t.Errorf("MarshalECPrivateKey = %x, %v, want the test case's bytes", sec1, err)
	}
	p8, err := MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParsePKCS8PrivateKey(p8)
	if err != nil || !k2.Public().(*Secp256k1PublicKey).Equal(k.Public()) {
		t.Fatalf("PKCS#8 round trip: %v", err)
	}
	o, err := ParsePKCS8PrivateKey(unhex(t, osslAPKCS8))
	if err != nil {
		t.Fatal(err)
	}
	if p8, _ := MarshalPKCS8PrivateKey(o); !bytes.Equal(p8, unhex(t, osslAPKCS8)) {
		t.Errorf("MarshalPKCS8PrivateKey = %x, want OpenSSL's %s", p8, osslAPKCS8)
	}
	pub, err := MarshalPKIXPublicKey(k.Public())
	if err != nil || !bytes.Equal(pub, unhex(t, tcPub)) {
		t.Errorf("MarshalPKIXPublicKey = %x, %v, want the test case's bytes", pub, err)
	}
	mismatched := unhex(t, tcSEC1)
	mismatched[len(mismatched)-1] ^= 1 // the public key no longer matches
	if _, err := ParseECPrivateKey(mismatched); err == nil {
		t.Error("ParseECPrivateKey accepted a key whose public key is not its own")
	}
	if _, err := NewSecp256k1PrivateKey(make([]byte, 32)); err == nil {
		t.Error("NewSecp256k1PrivateKey accepted the zero scalar")
	}
	if _, err := NewSecp256k1PrivateKey(bytes.Repeat([]byte{0xff}, 32)); err == nil {
		t.Error("NewSecp256k1PrivateKey accepted a scalar above the order")
	}
}

// Keys on curves the module lacks are CurveErrors naming the curve, in
// every form, and the operations refuse them with it.
func TestUnsupportedCurvesRefused(t *testing.T) {
	checkCurveError := func(name string, err error, want string) {
		t.Helper()
		var ce *CurveError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a CurveError naming %s", name, err, want)
		}
	}
	_, err := ParsePKCS8PrivateKey(unhex(t, bpPKCS8))
	checkCurveError("PKCS#8 brainpoolP256r1", err, bpOIDText)
	_, err = ParseECPrivateKey(unhex(t, bpSEC1))
	checkCurveError("SEC 1 brainpoolP256r1", err, bpOIDText)
	_, err = ParsePKIXPublicKey(unhex(t, bpPub))
	checkCurveError("X.509 brainpoolP256r1", err, bpOIDText)
	_, err = ParseECPrivateKey(unhex(t, k283SEC1))
	checkCurveError("SEC 1 sect283k1", err, "K-283 (sect283k1)")
	forEachProvider(t, func(t *testing.T, c Crypto) {
		sha := SignParams{Algorithm: ECDSA, Hash: crypto.SHA256}
		_, err := c.Sign(unhex(t, bpPKCS8), sha, []byte("abc"))
		checkCurveError("Sign", err, bpOIDText)
		_, err = c.Verify(unhex(t, bpPub), sha, []byte("abc"), unhex(t, osslASig))
		checkCurveError("Verify", err, bpOIDText)
		_, err = c.DeriveKey(unhex(t, bpSEC1), DeriveParams{Method: DeriveECDH, PublicKey: unhex(t, bpPub), Length: 32})
		checkCurveError("ECDH", err, bpOIDText)
		for _, curve := range []string{"brainpoolP256r1", "P-224", "K-283"} {
			if _, _, err := c.GenerateKeyPair(KeyPairSpec{Algorithm: ECDSA, Curve: curve}); !errors.Is(err, ErrBadParameters) {
				t.Errorf("GenerateKeyPair(%s): %v, want ErrBadParameters", curve, err)
			}
		}
	})
}

// Digested Data without a hash: RSA PKCS#1 v1.5 pads the input without a
// DigestInfo (RFC 8017 section 9.2 step 2 skipped, as CKM_RSA_PKCS), so the
// signature opened with the public key is the input itself; with a hash it
// carries that hash's DigestInfo.
func TestOperationsRSAPrehashedWithoutHash(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		priv, pub := generatePair(t, c, KeyPairSpec{Algorithm: RSA, Bits: 2048})
		in := unhex(t, tcData)
		raw := SignParams{Algorithm: RSA, Padding: PaddingPKCS1v15, Prehashed: true}
		sig, err := c.Sign(priv, raw, in)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if em := openRSA(t, pub, sig); !bytes.HasSuffix(em, append([]byte{0}, in...)) || !bytes.HasPrefix(em, []byte{0, 1, 0xff}) {
			t.Errorf("encoded message %x is not PKCS#1 v1.5 padding of the bare input", em)
		}
		if ok, err := c.Verify(pub, raw, in, sig); !ok || err != nil {
			t.Errorf("Verify = %v, %v, want true", ok, err)
		}
		if ok, err := c.Verify(pub, SignParams{Algorithm: RSA, Padding: PaddingPSS, Hash: crypto.SHA1}, in, sig); ok || err != nil {
			t.Errorf("Verify as PSS = %v, %v, want false, nil", ok, err)
		}
		digest, _ := Hash(crypto.SHA256, []byte("abc"))
		withHash := SignParams{Algorithm: RSA, Padding: PaddingPKCS1v15, Hash: crypto.SHA256, Prehashed: true}
		sig, err = c.Sign(priv, withHash, digest)
		if err != nil {
			t.Fatalf("Sign with SHA-256: %v", err)
		}
		sha256Prefix := unhex(t, "3031300d060960864801650304020105000420")
		if em := openRSA(t, pub, sig); !bytes.HasSuffix(em, append(sha256Prefix, digest...)) {
			t.Errorf("encoded message %x lacks SHA-256's DigestInfo", em)
		}
		for _, tc := range []struct {
			name string
			p    SignParams
			data []byte
		}{
			{"PSS without hash", SignParams{Algorithm: RSA, Padding: PaddingPSS, Prehashed: true}, in},
			{"empty", raw, nil},
			{"longer than the modulus allows", raw, make([]byte, 246)},
		} {
			if _, err := c.Sign(priv, tc.p, tc.data); !errors.Is(err, ErrBadParameters) {
				t.Errorf("Sign, %s: %v, want ErrBadParameters", tc.name, err)
			}
		}
	})
}

// openRSA applies the RSA public key pub (PKIX DER) to sig, returning the
// encoded message of the modulus's length.
func openRSA(t *testing.T, pub, sig []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	rk := k.(*rsa.PublicKey)
	m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(rk.E)), rk.N)
	return m.FillBytes(make([]byte, rk.Size()))
}
