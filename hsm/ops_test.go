package hsm

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// unhex decodes a hex test vector.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad vector %q: %v", s, err)
	}
	return b
}

// cipherVector is a known-answer test of Encrypt and Decrypt.
type cipherVector struct {
	name                    string
	p                       CipherParams
	key, plain, cipher, tag string
}

var cipherVectors = []cipherVector{
	// NIST GCM spec (McGrew-Viega) test case 4: AES-128, 12-byte IV, AAD.
	{"AES-128-GCM TC4", CipherParams{Algorithm: AES, Mode: ModeGCM, IV: []byte("\xca\xfe\xba\xbe\xfa\xce\xdb\xad\xde\xca\xf8\x88"), AAD: []byte("\xfe\xed\xfa\xce\xde\xad\xbe\xef\xfe\xed\xfa\xce\xde\xad\xbe\xef\xab\xad\xda\xd2")},
		"feffe9928665731c6d6a8f9467308308",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		"5bc94fbc3221a5db94fae95ae7121a47"},
	// Same, tag truncated to 12 bytes.
	{"AES-128-GCM TC4 tag 12", CipherParams{Algorithm: AES, Mode: ModeGCM, TagLength: 12, IV: []byte("\xca\xfe\xba\xbe\xfa\xce\xdb\xad\xde\xca\xf8\x88"), AAD: []byte("\xfe\xed\xfa\xce\xde\xad\xbe\xef\xfe\xed\xfa\xce\xde\xad\xbe\xef\xab\xad\xda\xd2")},
		"feffe9928665731c6d6a8f9467308308",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		"5bc94fbc3221a5db94fae95a"},
	// Test case 5: 8-byte IV (as in KMIP CS-BC-M-GCM).
	{"AES-128-GCM TC5 8-byte IV", CipherParams{Algorithm: AES, Mode: ModeGCM, IV: []byte("\xca\xfe\xba\xbe\xfa\xce\xdb\xad"), AAD: []byte("\xfe\xed\xfa\xce\xde\xad\xbe\xef\xfe\xed\xfa\xce\xde\xad\xbe\xef\xab\xad\xda\xd2")},
		"feffe9928665731c6d6a8f9467308308",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c742373806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598",
		"3612d2e79e3b0785561be14aaca2fccb"},
	// Test case 16: AES-256, 12-byte IV, AAD.
	{"AES-256-GCM TC16", CipherParams{Algorithm: AES, Mode: ModeGCM, IV: []byte("\xca\xfe\xba\xbe\xfa\xce\xdb\xad\xde\xca\xf8\x88"), AAD: []byte("\xfe\xed\xfa\xce\xde\xad\xbe\xef\xfe\xed\xfa\xce\xde\xad\xbe\xef\xab\xad\xda\xd2")},
		"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		"76fc6ece0f4e1768cddf8853bb2d551b"},
	// NIST SP 800-38A F.2.5: CBC-AES256, no padding.
	{"AES-256-CBC SP800-38A", CipherParams{Algorithm: AES, Mode: ModeCBC, Padding: PaddingNone, IV: []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f")},
		"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
		"f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d", ""},
	// SP 800-38A F.1.5: ECB-AES256.
	{"AES-256-ECB SP800-38A", CipherParams{Algorithm: AES, Mode: ModeECB},
		"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
		"f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870", ""},
	// SP 800-38A F.5.1: CTR-AES128.
	{"AES-128-CTR SP800-38A", CipherParams{Algorithm: AES, Mode: ModeCTR, IV: []byte("\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff")},
		"2b7e151628aed2a6abf7158809cf4f3c",
		"6bc1bee22e409f96e93d7e117393172a",
		"874d6191b620e3261bef6864990db6ce", ""},
	// KMIP 2.1 CS-BC-M-CHACHA20-1/3: original 8-byte nonce, counter 0.
	{"ChaCha20 KMIP 1", CipherParams{Algorithm: ChaCha20, IV: make([]byte, 8)},
		"0000000000000000000000000000000000000000000000000000000000000000",
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
		"76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586", ""},
	{"ChaCha20 KMIP 3", CipherParams{Algorithm: ChaCha20, IV: []byte{0, 0, 0, 0, 0, 0, 0, 1}},
		"0000000000000000000000000000000000000000000000000000000000000000",
		"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
		"de9cba7bf3d69ef5e786dc63973f653a0b49e015adbff7134fcb7df137821031e85a050278a7084527214f73efc7fa5b5277062eb7a0433e445f41e3", ""},
	// RFC 8439 2.4.2: counter 1 in a 16-byte IV (counter | nonce).
	{"ChaCha20 RFC 8439 2.4.2", CipherParams{Algorithm: ChaCha20, IV: []byte("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x4a\x00\x00\x00\x00")},
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		hex.EncodeToString([]byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")),
		"6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d", ""},
	// RFC 8439 2.8.2 (and KMIP CS-BC-M-CHACHA20POLY1305-1).
	{"ChaCha20-Poly1305 RFC 8439 2.8.2", CipherParams{Algorithm: ChaCha20Poly1305, IV: []byte("\x07\x00\x00\x00\x40\x41\x42\x43\x44\x45\x46\x47"), AAD: []byte("\x50\x51\x52\x53\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7")},
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
		hex.EncodeToString([]byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")),
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
		"1ae10b594f09e26a7e902ecbd0600691"},
	{"ChaCha20-Poly1305 tag 12", CipherParams{Algorithm: ChaCha20Poly1305, TagLength: 12, IV: []byte("\x07\x00\x00\x00\x40\x41\x42\x43\x44\x45\x46\x47"), AAD: []byte("\x50\x51\x52\x53\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7")},
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
		hex.EncodeToString([]byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")),
		"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116",
		"1ae10b594f09e26a7e902ecb"},
	// NIST SP 800-67 / SP 800-20 style: 3DES ECB, checked by the round trip
	// and the KMIP CS-BC vector values below.
	{"3DES-CBC PKCS5", CipherParams{Algorithm: TripleDES, Mode: ModeCBC, Padding: PaddingPKCS5, IV: []byte("\x01\x02\x03\x04\x05\x06\x07\x08")},
		"0123456789abcdef23456789abcdef01456789abcdef0123",
		"54686520717566636b2062726f776e20666f78206a756d70",
		"", ""},
}

func TestOperationsCipherVectors(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, v := range cipherVectors {
			t.Run(v.name, func(t *testing.T) {
				key, plain := unhex(t, v.key), unhex(t, v.plain)
				enc, err := c.Encrypt(key, v.p, plain)
				if err != nil {
					t.Fatalf("Encrypt: %v", err)
				}
				if v.cipher != "" && !bytes.Equal(enc.Data, unhex(t, v.cipher)) {
					t.Errorf("ciphertext = %x, want %s", enc.Data, v.cipher)
				}
				if !bytes.Equal(enc.Tag, unhex(t, v.tag)) {
					t.Errorf("tag = %x, want %s", enc.Tag, v.tag)
				}
				if enc.IV != nil {
					t.Errorf("IV = %x returned although given", enc.IV)
				}
				dp := v.p
				dp.Tag = enc.Tag
				dec, err := c.Decrypt(key, dp, enc.Data)
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if !bytes.Equal(dec.Data, plain) {
					t.Errorf("Decrypt = %x, want %x", dec.Data, plain)
				}
				if len(enc.Tag) > 0 {
					bad := bytes.Clone(enc.Tag)
					bad[0] ^= 0xff
					dp.Tag = bad
					if _, err := c.Decrypt(key, dp, enc.Data); !errors.Is(err, ErrAuthentication) {
						t.Errorf("Decrypt with a wrong tag: %v, want ErrAuthentication", err)
					}
				}
			})
		}
	})
}

func TestOperationsCipherChoosesIV(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		key := bytes.Repeat([]byte{7}, 32)
		for _, tc := range []struct {
			p      CipherParams
			ivSize int
		}{
			{CipherParams{Algorithm: AES, Mode: ModeGCM}, 12},
			{CipherParams{Algorithm: AES, Mode: ModeCBC, Padding: PaddingPKCS5}, 16},
			{CipherParams{Algorithm: AES, Mode: ModeCTR}, 16},
			{CipherParams{Algorithm: ChaCha20}, 12},
			{CipherParams{Algorithm: ChaCha20Poly1305}, 12},
			{CipherParams{Algorithm: AES, Mode: ModeGCM, IVLength: 16}, 16},
		} {
			plain := []byte("attack at dawn, attack at dusk!")
			a, err := c.Encrypt(key, tc.p, plain)
			if err != nil {
				t.Fatalf("%+v: Encrypt: %v", tc.p, err)
			}
			b, _ := c.Encrypt(key, tc.p, plain)
			if len(a.IV) != tc.ivSize || bytes.Equal(a.IV, b.IV) {
				t.Errorf("%+v: IVs %x and %x, want two different %d-byte IVs", tc.p, a.IV, b.IV, tc.ivSize)
			}
			dp := tc.p
			dp.IV, dp.Tag = a.IV, a.Tag
			got, err := c.Decrypt(key, dp, a.Data)
			if err != nil || !bytes.Equal(got.Data, plain) {
				t.Errorf("%+v: Decrypt = %q, %v", tc.p, got.Data, err)
			}
			dp.IV = nil
			if _, err := c.Decrypt(key, dp, a.Data); !errors.Is(err, ErrMissingIV) {
				t.Errorf("%+v: Decrypt without IV: %v, want ErrMissingIV", tc.p, err)
			}
		}
	})
}

func TestOperationsCipherErrors(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	iv16 := make([]byte, 16)
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, tc := range []struct {
			name    string
			decrypt bool
			key     []byte
			p       CipherParams
			data    []byte
			want    error
		}{
			{"CBC none, partial block", false, key, CipherParams{Algorithm: AES, Mode: ModeCBC, Padding: PaddingNone, IV: iv16}, make([]byte, 17), ErrBadParameters},
			{"ECB none, partial block", false, key, CipherParams{Algorithm: AES, Mode: ModeECB}, make([]byte, 5), ErrBadParameters},
			{"CBC short IV", false, key, CipherParams{Algorithm: AES, Mode: ModeCBC, IV: make([]byte, 8)}, make([]byte, 16), ErrBadParameters},
			{"wrong AES key length", false, key[:15], CipherParams{Algorithm: AES, Mode: ModeGCM}, []byte("x"), ErrBadParameters},
			{"GCM tag too short", false, key, CipherParams{Algorithm: AES, Mode: ModeGCM, TagLength: 8}, []byte("x"), ErrBadParameters},
			{"GCM tag too long", false, key, CipherParams{Algorithm: AES, Mode: ModeGCM, TagLength: 32}, []byte("x"), ErrBadParameters},
			{"ChaCha20 IV 10 bytes", false, key, CipherParams{Algorithm: ChaCha20, IV: make([]byte, 10)}, []byte("x"), ErrBadParameters},
			{"ChaCha20 counter wraps", false, key, CipherParams{Algorithm: ChaCha20, IV: append([]byte{0xff, 0xff, 0xff, 0xff}, make([]byte, 12)...)}, make([]byte, 65), ErrBadParameters},
			{"ChaCha20-Poly1305 8-byte nonce", false, key, CipherParams{Algorithm: ChaCha20Poly1305, IV: make([]byte, 8)}, []byte("x"), ErrBadParameters},
			{"unknown algorithm", false, key, CipherParams{Algorithm: "Blowfish"}, []byte("x"), ErrBadParameters},
			{"unknown mode", false, key, CipherParams{Algorithm: AES, Mode: "OFB"}, []byte("x"), ErrBadParameters},
			{"3DES GCM", false, key[:24], CipherParams{Algorithm: TripleDES, Mode: ModeGCM}, []byte("x"), ErrBadParameters},
			{"GCM decrypt without tag", true, key, CipherParams{Algorithm: AES, Mode: ModeGCM, IV: make([]byte, 12)}, make([]byte, 16), ErrBadParameters},
			{"CBC decrypt partial block", true, key, CipherParams{Algorithm: AES, Mode: ModeCBC, Padding: PaddingPKCS5, IV: iv16}, make([]byte, 20), ErrBadParameters},
			{"too much data", false, key, CipherParams{Algorithm: AES, Mode: ModeCTR, IV: iv16}, make([]byte, MaxOperationData+1), ErrBadParameters},
		} {
			var err error
			if tc.decrypt {
				_, err = c.Decrypt(tc.key, tc.p, tc.data)
			} else {
				_, err = c.Encrypt(tc.key, tc.p, tc.data)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
	})
}

func TestOperationsBadPadding(t *testing.T) {
	key := bytes.Repeat([]byte{2}, 16)
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, mode := range []Mode{ModeCBC, ModeECB} {
			p := CipherParams{Algorithm: AES, Mode: mode, Padding: PaddingNone}
			if mode == ModeCBC {
				p.IV = make([]byte, 16)
			}
			// Blocks whose plaintext ends in byte 0x00, 0x11 and ...0x02 0x03.
			for _, last := range [][]byte{{0x00}, {0x11}, {0x02, 0x03}} {
				plain := make([]byte, 32)
				copy(plain[32-len(last):], last)
				enc, err := c.Encrypt(key, p, plain)
				if err != nil {
					t.Fatal(err)
				}
				pp := p
				pp.Padding = PaddingPKCS5
				if _, err := c.Decrypt(key, pp, enc.Data); !errors.Is(err, ErrAuthentication) {
					t.Errorf("%s: bad padding %x: %v, want ErrAuthentication", mode, last, err)
				}
			}
		}
	})
}

func TestUnpad(t *testing.T) {
	for n := 1; n <= 16; n++ {
		padded, _ := Pad(PaddingPKCS5, bytes.Repeat([]byte{0xAB}, 32-n), 16)
		got, err := Unpad(padded, 16)
		if err != nil || len(got) != 32-n {
			t.Errorf("Unpad(Pad(%d bytes)) = %d bytes, %v", 32-n, len(got), err)
		}
	}
}

// macVector is a known-answer test of MAC.
type macVector struct {
	name           string
	p              MACParams
	key, data, mac string
}

var macVectors = []macVector{
	// RFC 4493 section 4, examples 1 to 4.
	{"CMAC RFC 4493 ex 1", MACParams{Algorithm: CMAC}, "2b7e151628aed2a6abf7158809cf4f3c", "", "bb1d6929e95937287fa37d129b756746"},
	{"CMAC RFC 4493 ex 2", MACParams{Algorithm: CMAC}, "2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172a", "070a16b46b4d4144f79bdd9dd04a287c"},
	{"CMAC RFC 4493 ex 3", MACParams{Algorithm: CMAC}, "2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411", "dfa66747de9ae63030ca32611497c827"},
	{"CMAC RFC 4493 ex 4", MACParams{Algorithm: CMAC}, "2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710", "51f0bebf7e3b9d92fc49741779363cfe"},
	// SP 800-38B D.3: CMAC-AES256, 16-byte message.
	{"CMAC-AES256 SP800-38B", MACParams{Algorithm: CMAC}, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "6bc1bee22e409f96e93d7e117393172a", "28a7023f452e8f82bd4bf28d8c37c35c"},
	// RFC 4231 test case 2 ("Jefe").
	{"HMAC-SHA224 RFC 4231 2", MACParams{Algorithm: HMAC, Hash: crypto.SHA224}, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"},
	{"HMAC-SHA256 RFC 4231 2", MACParams{Algorithm: HMAC, Hash: crypto.SHA256}, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"HMAC-SHA384 RFC 4231 2", MACParams{Algorithm: HMAC, Hash: crypto.SHA384}, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
	{"HMAC-SHA512 RFC 4231 2", MACParams{Algorithm: HMAC, Hash: crypto.SHA512}, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	// RFC 4231 test case 1 (20 bytes of 0x0b).
	{"HMAC-SHA256 RFC 4231 1", MACParams{Algorithm: HMAC, Hash: crypto.SHA256}, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	// RFC 4231 test case 6: 131-byte key (long enough for a token's HMAC).
	{"HMAC-SHA256 RFC 4231 6", MACParams{Algorithm: HMAC, Hash: crypto.SHA256}, strings.Repeat("aa", 131), hex.EncodeToString([]byte("Test Using Larger Than Block-Size Key - Hash Key First")), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	// RFC 2202 test case 2: HMAC-SHA-1.
	{"HMAC-SHA1 RFC 2202 2", MACParams{Algorithm: HMAC, Hash: crypto.SHA1}, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
}

func TestOperationsMACVectors(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, v := range macVectors {
			got, err := c.MAC(unhex(t, v.key), v.p, unhex(t, v.data))
			if err != nil {
				t.Errorf("%s: %v", v.name, err)
				continue
			}
			if !bytes.Equal(got, unhex(t, v.mac)) {
				t.Errorf("%s: MAC = %x, want %s", v.name, got, v.mac)
			}
		}
		for _, tc := range []struct {
			name string
			key  []byte
			p    MACParams
		}{
			{"HMAC MD5", []byte("k"), MACParams{Algorithm: HMAC, Hash: crypto.MD5}},
			{"HMAC empty key", nil, MACParams{Algorithm: HMAC, Hash: crypto.SHA256}},
			{"CMAC 10-byte key", make([]byte, 10), MACParams{Algorithm: CMAC}},
			{"unknown", []byte("k"), MACParams{Algorithm: "GMAC"}},
		} {
			if _, err := c.MAC(tc.key, tc.p, []byte("data")); !errors.Is(err, ErrBadParameters) {
				t.Errorf("%s: %v, want ErrBadParameters", tc.name, err)
			}
		}
	})
}
