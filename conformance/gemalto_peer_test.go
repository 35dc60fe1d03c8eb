package conformance

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"net"
	"testing"
	"time"

	gkmip "github.com/gemalto/kmip-go"
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// A second peer whose codec is not kmipd's: gemalto/kmip-go v0.0.10
// encodes every request with its reflective ttlv.Marshal, from its own
// kmip14 (package kmip) and kmip20 payload structs where it has them, and
// decodes every response with its ttlv.Unmarshal into its structs. The
// payloads it lacks (1.4 Activate, Locate, Revoke; Encrypt and Decrypt in
// both versions) are declared here with the field names of the
// specification, which its encoder turns into the tags.
type (
	peerActivate14 struct{ UniqueIdentifier string }
	peerRevoke14   struct {
		UniqueIdentifier string
		RevocationReason kmip20.RevocationReason
	}
	// peerEncrypt is the Encrypt request payload (KMIP 1.4 section 4.29,
	// 2.0 section 6.1.18); UniqueIdentifier is a string or, in 2.0, a
	// *kmip20.UniqueIdentifierValue.
	peerEncrypt struct {
		UniqueIdentifier        any
		CryptographicParameters gkmip.CryptographicParameters
		Data                    []byte
	}
	peerEncryptResponse struct {
		UniqueIdentifier string
		Data             []byte
		IVCounterNonce   []byte
	}
	peerDecrypt struct {
		UniqueIdentifier        any
		CryptographicParameters gkmip.CryptographicParameters
		Data                    []byte
		IVCounterNonce          []byte
	}
	peerDecryptResponse struct {
		UniqueIdentifier string
		Data             []byte
	}
	// peerAttributes20 is the Attributes of a KMIP 2.0 Create: tagged
	// attributes, not 1.x Attribute structures.
	peerAttributes20 struct {
		CryptographicAlgorithm kmip14.CryptographicAlgorithm
		CryptographicLength    int
		CryptographicUsageMask kmip14.CryptographicUsageMask
		Name                   gkmip.Name
	}
)

// peerDialect is how gemalto's structs speak one protocol version: the
// request payload of each operation of the lifecycle.
type peerDialect struct {
	major, minor int
	create       func(name string) any
	activate     func(id string) any
	get          func(id string) any
	locate       func(name string) any
	uid          func(id string) any // the Unique Identifier field of Encrypt and Decrypt
	revoke       func(id string) any
	destroy      func(id string) any
	// destroyed is the Result Reason of a Get of a destroyed object: 2.0
	// has Object Destroyed (section 11.26), 1.4 only Item Not Found.
	destroyed kmip14.ResultReason
}

var peerDialects = map[string]peerDialect{
	"1.4": {
		major: 1, minor: 4,
		create: func(name string) any {
			return gkmip.CreateRequestPayload{
				ObjectType: kmip14.ObjectTypeSymmetricKey,
				TemplateAttribute: gkmip.TemplateAttribute{Attribute: []gkmip.Attribute{
					{AttributeName: "Cryptographic Algorithm", AttributeValue: kmip14.CryptographicAlgorithmAES},
					{AttributeName: "Cryptographic Length", AttributeValue: 256},
					{AttributeName: "Cryptographic Usage Mask", AttributeValue: kmip14.CryptographicUsageMaskEncrypt | kmip14.CryptographicUsageMaskDecrypt},
					{AttributeName: "Name", AttributeValue: nameOf(name)},
				}},
			}
		},
		activate: func(id string) any { return peerActivate14{UniqueIdentifier: id} },
		get:      func(id string) any { return gkmip.GetRequestPayload{UniqueIdentifier: id} },
		locate: func(name string) any {
			return locateAttribute1x{Attribute: []gkmip.Attribute{{AttributeName: "Name", AttributeValue: nameOf(name)}}}
		},
		uid: func(id string) any { return id },
		revoke: func(id string) any {
			return peerRevoke14{UniqueIdentifier: id, RevocationReason: kmip20.RevocationReason{RevocationReasonCode: kmip14.RevocationReasonCodeCessationOfOperation}}
		},
		destroy:   func(id string) any { return gkmip.DestroyRequestPayload{UniqueIdentifier: id} },
		destroyed: kmip14.ResultReasonItemNotFound,
	},
	"2.0": {
		major: 2, minor: 0,
		create: func(name string) any {
			return kmip20.CreateRequestPayload{
				ObjectType: kmip20.ObjectTypeSymmetricKey,
				Attributes: peerAttributes20{
					CryptographicAlgorithm: kmip14.CryptographicAlgorithmAES,
					CryptographicLength:    256,
					CryptographicUsageMask: kmip14.CryptographicUsageMaskEncrypt | kmip14.CryptographicUsageMaskDecrypt,
					Name:                   nameOf(name),
				},
			}
		},
		activate: func(id string) any { return kmip20.ActivateRequestPayload{UniqueIdentifier: peerUID(id)} },
		get:      func(id string) any { return kmip20.GetRequestPayload{UniqueIdentifier: peerUID(id)} },
		locate: func(name string) any {
			return kmip20.LocateRequestPayload{Attributes: struct{ Name gkmip.Name }{nameOf(name)}}
		},
		uid: func(id string) any { return peerUID(id) },
		revoke: func(id string) any {
			return kmip20.RevokeRequestPayload{UniqueIdentifier: peerUID(id), RevocationReason: kmip20.RevocationReason{RevocationReasonCode: kmip14.RevocationReasonCodeCessationOfOperation}}
		},
		destroy:   func(id string) any { return kmip20.DestroyRequestPayload{UniqueIdentifier: peerUID(id)} },
		destroyed: kmip14.ResultReason(kmip20.ResultReasonObjectDestroyed),
	},
}

func peerUID(id string) *kmip20.UniqueIdentifierValue { return &kmip20.UniqueIdentifierValue{Text: id} }

// TestGemaltoPeer drives the lifecycle of an AES-256 key (Create, Activate,
// Get, Locate by Name, Encrypt and Decrypt in AES-CBC with PKCS#5 padding
// under an IV the server chooses, Revoke, Destroy, then a Get that must
// fail with the version's reason) in KMIP 1.4 and 2.0 with gemalto/kmip-go's encoder and decoder,
// over mutual TLS to a kmipd, with each of its cryptographic modules. The
// ciphertext is also decrypted here, with the Get's key material and
// Go's crypto/aes, so that it is checked against a third implementation.
func TestGemaltoPeer(t *testing.T) {
	for _, provider := range vectorProviders() {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			var env []string
			if provider == providerPKCS11 {
				env = softHSMToken(t)
			}
			d := startDaemon(t, t.TempDir(), env...)
			for _, version := range []string{"1.4", "2.0"} {
				t.Run(version, func(t *testing.T) {
					peerLifecycle(t, d.rawConn(t), peerDialects[version], "gemalto-peer-"+version)
				})
			}
			d.requireAlive(t)
		})
	}
}

func peerLifecycle(t *testing.T, conn net.Conn, dl peerDialect, name string) {
	var created kmip20.CreateResponsePayload
	peerCall(t, conn, dl, kmip14.OperationCreate, dl.create(name), &created)
	id := created.UniqueIdentifier
	if id == "" || created.ObjectType != kmip20.ObjectTypeSymmetricKey {
		t.Fatalf("Create answered %+v, want a Symmetric Key and its identifier", created)
	}

	var activated kmip20.ActivateResponsePayload
	peerCall(t, conn, dl, kmip14.OperationActivate, dl.activate(id), &activated)
	if activated.UniqueIdentifier != id {
		t.Errorf("Activate answered %q, want %q", activated.UniqueIdentifier, id)
	}

	// gemalto's kmip20.GetResponsePayload names its key field Key, a tag
	// KMIP does not have; the 1.4 struct has the Symmetric Key field both
	// versions answer.
	var got gkmip.GetResponsePayload
	peerCall(t, conn, dl, kmip14.OperationGet, dl.get(id), &got)
	if got.UniqueIdentifier != id || got.ObjectType != kmip14.ObjectTypeSymmetricKey || got.SymmetricKey == nil || got.SymmetricKey.KeyBlock.KeyValue == nil {
		t.Fatalf("Get answered %+v, want the Symmetric Key %s", got, id)
	}
	kb := got.SymmetricKey.KeyBlock
	key, _ := kb.KeyValue.KeyMaterial.([]byte)
	if kb.KeyFormatType != kmip14.KeyFormatTypeRaw || kb.CryptographicAlgorithm != kmip14.CryptographicAlgorithmAES || kb.CryptographicLength != 256 || len(key) != 32 {
		t.Fatalf("Get answered a key block of format %v, %v, %d bits, %d bytes of material; want Raw AES-256, 32 bytes",
			kb.KeyFormatType, kb.CryptographicAlgorithm, kb.CryptographicLength, len(key))
	}

	var located kmip20.LocateResponsePayload
	raw := peerCall(t, conn, dl, kmip14.OperationLocate, dl.locate(name), &located)
	if ids := uniqueIdentifiers(raw); len(ids) != 1 || located.UniqueIdentifier != id {
		t.Errorf("Locate by Name %q found %q, want [%s]", name, ids, id)
	}

	plaintext := []byte("kmipd talking to gemalto/kmip-go, 48 bytes long")
	params := gkmip.CryptographicParameters{
		BlockCipherMode:        kmip14.BlockCipherModeCBC,
		PaddingMethod:          kmip14.PaddingMethodPKCS5,
		CryptographicAlgorithm: kmip14.CryptographicAlgorithmAES,
		RandomIV:               true,
	}
	var enc peerEncryptResponse
	peerCall(t, conn, dl, kmip14.OperationEncrypt, peerEncrypt{UniqueIdentifier: dl.uid(id), CryptographicParameters: params, Data: plaintext}, &enc)
	if enc.UniqueIdentifier != id || len(enc.IVCounterNonce) != aes.BlockSize || len(enc.Data) != len(plaintext)+aes.BlockSize-len(plaintext)%aes.BlockSize {
		t.Fatalf("Encrypt answered %s, a %d-byte IV and %d bytes of ciphertext; want %s, 16 and %d",
			enc.UniqueIdentifier, len(enc.IVCounterNonce), len(enc.Data), id, len(plaintext)+aes.BlockSize-len(plaintext)%aes.BlockSize)
	}
	if local := decryptCBC(t, key, enc.IVCounterNonce, enc.Data); !bytes.Equal(local, plaintext) {
		t.Errorf("the ciphertext decrypts here, with the key Get answered, to %q; want %q", local, plaintext)
	}
	params.RandomIV = false
	var dec peerDecryptResponse
	peerCall(t, conn, dl, kmip14.OperationDecrypt, peerDecrypt{UniqueIdentifier: dl.uid(id), CryptographicParameters: params, Data: enc.Data, IVCounterNonce: enc.IVCounterNonce}, &dec)
	if dec.UniqueIdentifier != id || !bytes.Equal(dec.Data, plaintext) {
		t.Errorf("Decrypt answered %s and %q, want %s and %q", dec.UniqueIdentifier, dec.Data, id, plaintext)
	}

	var revoked kmip20.RevokeResponsePayload
	peerCall(t, conn, dl, kmip14.OperationRevoke, dl.revoke(id), &revoked)
	var destroyed kmip20.DestroyResponsePayload
	peerCall(t, conn, dl, kmip14.OperationDestroy, dl.destroy(id), &destroyed)
	if revoked.UniqueIdentifier != id || destroyed.UniqueIdentifier != id {
		t.Errorf("Revoke answered %q and Destroy %q, want %q", revoked.UniqueIdentifier, destroyed.UniqueIdentifier, id)
	}
	item, _ := peerRoundTrip(t, conn, dl, kmip14.OperationGet, dl.get(id))
	if item.ResultStatus != kmip14.ResultStatusOperationFailed || item.ResultReason != dl.destroyed {
		t.Errorf("Get of the destroyed key answered %v %v %q, want Operation Failed, %v", item.ResultStatus, item.ResultReason, item.ResultMessage, dl.destroyed)
	}
}

// peerCall sends one request of op with payload in the dialect's version,
// requires success, and decodes the response payload into out with
// gemalto's ttlv.Unmarshal. It returns the raw payload.
func peerCall(t *testing.T, conn net.Conn, dl peerDialect, op kmip14.Operation, payload, out any) ttlv.TTLV {
	t.Helper()
	item, raw := peerRoundTrip(t, conn, dl, op, payload)
	if item.ResultStatus != kmip14.ResultStatusSuccess {
		t.Fatalf("%d.%d %v: %v %v %q", dl.major, dl.minor, op, item.ResultStatus, item.ResultReason, item.ResultMessage)
	}
	if item.Operation != op {
		t.Errorf("%d.%d %v answered as %v", dl.major, dl.minor, op, item.Operation)
	}
	p := responsePayload(raw)
	if p == nil {
		t.Fatalf("%d.%d %v: no Response Payload:\n%s", dl.major, dl.minor, op, raw)
	}
	if err := ttlv.Unmarshal(p, out); err != nil {
		t.Fatalf("%d.%d %v: gemalto cannot decode the payload: %v\n%s", dl.major, dl.minor, op, err, p)
	}
	return p
}

// peerRoundTrip sends one request, encoded by gemalto's ttlv.Marshal, and
// returns the one batch item of the response, decoded by its ttlv.Unmarshal,
// after checking that the response speaks the request's version.
func peerRoundTrip(t *testing.T, conn net.Conn, dl peerDialect, op kmip14.Operation, payload any) (gkmip.ResponseBatchItem, ttlv.TTLV) {
	t.Helper()
	msg, err := ttlv.Marshal(gkmip.RequestMessage{
		RequestHeader: gkmip.RequestHeader{
			ProtocolVersion: gkmip.ProtocolVersion{ProtocolVersionMajor: dl.major, ProtocolVersionMinor: dl.minor},
			BatchCount:      1,
		},
		BatchItem: []gkmip.RequestBatchItem{{Operation: op, RequestPayload: payload}},
	})
	if err != nil {
		t.Fatalf("marshal %v request: %v", op, err)
	}
	conn.SetDeadline(time.Now().Add(requestTimeout))
	if _, err := conn.Write(msg); err != nil {
		t.Fatalf("write %v request: %v", op, err)
	}
	resp := readMessage(t, conn)
	var m gkmip.ResponseMessage
	if err := ttlv.Unmarshal(resp, &m); err != nil {
		t.Fatalf("unmarshal %v response: %v\n%s", op, err, resp)
	}
	if v := m.ResponseHeader.ProtocolVersion; v.ProtocolVersionMajor != dl.major || v.ProtocolVersionMinor != dl.minor {
		t.Errorf("%d.%d %v answered in %d.%d", dl.major, dl.minor, op, v.ProtocolVersionMajor, v.ProtocolVersionMinor)
	}
	if len(m.BatchItem) != 1 {
		t.Fatalf("%v response has %d items, want 1:\n%s", op, len(m.BatchItem), resp)
	}
	return m.BatchItem[0], resp
}

// responsePayload returns the Response Payload of the first batch item of
// the validated response message m, or nil.
func responsePayload(m ttlv.TTLV) ttlv.TTLV {
	for it := m.ValueStructure(); it != nil; it = it.Next() {
		if it.Tag() != kmip14.TagBatchItem {
			continue
		}
		for f := it.ValueStructure(); f != nil; f = f.Next() {
			if f.Tag() == kmip14.TagResponsePayload {
				return f[:f.FullLen()]
			}
		}
	}
	return nil
}

// decryptCBC decrypts AES-CBC ciphertext and removes its PKCS#5 padding.
func decryptCBC(t *testing.T, key, iv, ciphertext []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil || len(ciphertext)%aes.BlockSize != 0 || len(ciphertext) == 0 {
		t.Fatalf("cannot decrypt %d bytes under a %d-byte key: %v", len(ciphertext), len(key), err)
	}
	out := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, ciphertext)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize {
		t.Fatalf("bad PKCS#5 padding %d", pad)
	}
	return out[:len(out)-pad]
}
