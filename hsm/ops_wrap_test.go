package hsm

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// unspaced removes the spaces that group an RFC's hex into 64-bit blocks.
func unspaced(s string) string { return strings.ReplaceAll(s, " ", "") }

// wrapVectors are the known-answer tests of RFC 3394 section 4 (AES Key
// Wrap) and RFC 5649 section 6 (with Padding).
var wrapVectors = []struct {
	name          string
	padding       bool
	kek, key, out string
}{
	{"3394-4.1", false, "000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
		"1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"},
	{"3394-4.2", false, "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF",
		"96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"},
	{"3394-4.3", false, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF",
		"64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"},
	{"3394-4.4", false, "000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF0001020304050607",
		"031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"},
	{"3394-4.5", false, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF0001020304050607",
		"A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"},
	{"3394-4.6", false, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
		"28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21"},
	{"5649-20", true, "5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8", "c37b7e6492584340 bed1220780894115 5068f738",
		"138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a"},
	{"5649-7", true, "5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8", "466f7250617369",
		"afbeb0f07dfbf541 9200f2ccb50bb24f"},
}

func TestWrapKnownAnswers(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		for _, v := range wrapVectors {
			kek, key, want := unhex(t, unspaced(v.kek)), unhex(t, unspaced(v.key)), unhex(t, unspaced(v.out))
			p := WrapParams{Padding: v.padding}
			got, err := c.WrapKey(kek, p, key)
			if err != nil {
				t.Fatalf("%s: WrapKey: %v", v.name, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: WrapKey = %x, want %x", v.name, got, want)
			}
			plain, err := c.UnwrapKey(kek, p, want)
			if err != nil {
				t.Fatalf("%s: UnwrapKey: %v", v.name, err)
			}
			if !bytes.Equal(plain, key) {
				t.Errorf("%s: UnwrapKey = %x, want %x", v.name, plain, key)
			}
			// Any altered bit fails the integrity check.
			bad := bytes.Clone(want)
			bad[len(bad)-1] ^= 1
			if _, err := c.UnwrapKey(kek, p, bad); !errors.Is(err, ErrUnwrap) {
				t.Errorf("%s: UnwrapKey of altered input: error = %v, want ErrUnwrap", v.name, err)
			}
		}
	})
}

func TestWrapRoundTripLengths(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		kek := bytes.Repeat([]byte{7}, 32)
		for _, n := range []int{1, 7, 8, 9, 16, 24, 31, 32, 33, 64, 1218} {
			key := bytes.Repeat([]byte{0x5A}, n)
			p := NISTWrapParams(n)
			wrapped, err := c.WrapKey(kek, p, key)
			if err != nil {
				t.Fatalf("%d bytes: WrapKey: %v", n, err)
			}
			if bytes.Contains(wrapped, key) && n >= 8 {
				t.Errorf("%d bytes: wrapped output contains the key", n)
			}
			got, err := c.UnwrapKey(kek, p, wrapped)
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("%d bytes: UnwrapKey = %x, %v", n, got, err)
			}
			if _, err := c.UnwrapKey(bytes.Repeat([]byte{8}, 32), p, wrapped); !errors.Is(err, ErrUnwrap) {
				t.Errorf("%d bytes: UnwrapKey with another key: error = %v, want ErrUnwrap", n, err)
			}
		}
	})
}

func TestWrapBadInput(t *testing.T) {
	forEachProvider(t, func(t *testing.T, c Crypto) {
		kek := make([]byte, 16)
		for name, tc := range map[string]struct {
			kek, key []byte
			p        WrapParams
		}{
			"kek 15 bytes":         {make([]byte, 15), make([]byte, 16), WrapParams{}},
			"kw 8 bytes":           {kek, make([]byte, 8), WrapParams{}},
			"kw 20 bytes":          {kek, make([]byte, 20), WrapParams{}},
			"kwp empty":            {kek, nil, WrapParams{Padding: true}},
			"kwp over MaxWrapData": {kek, make([]byte, MaxWrapData+1), WrapParams{Padding: true}},
		} {
			if _, err := c.WrapKey(tc.kek, tc.p, tc.key); !errors.Is(err, ErrBadParameters) {
				t.Errorf("%s: WrapKey error = %v, want ErrBadParameters", name, err)
			}
		}
		for _, n := range []int{0, 8, 17, 23} {
			if _, err := c.UnwrapKey(kek, WrapParams{}, make([]byte, n)); !errors.Is(err, ErrUnwrap) {
				t.Errorf("UnwrapKey(%d bytes) error = %v, want ErrUnwrap", n, err)
			}
		}
	})
}

func TestNISTWrapParams(t *testing.T) {
	for n, padding := range map[int]bool{1: true, 8: true, 15: true, 16: false, 24: false, 25: true, 32: false} {
		if got := NISTWrapParams(n).Padding; got != padding {
			t.Errorf("NISTWrapParams(%d).Padding = %v, want %v", n, got, padding)
		}
	}
}
