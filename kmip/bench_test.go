package kmip

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
)

// getExchange is a 1.4 Get request and the response a server gives it (an
// AES-256 key), as the server's per-connection path handles them.
func getExchange(b *testing.B) ([]byte, *GetResponse) {
	req, err := EncodeRequest(&RequestMessage{
		Header: RequestHeader{Version: V1_4},
		Items: []RequestItem{{Operation: kmip14.OperationGet,
			Payload: &GetRequest{UniqueIdentifier: "3f2a8a52-4a3c-4bb8-9a55-0b6c0f0d7c11"}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	resp := &GetResponse{
		ObjectType:       kmip14.ObjectTypeSymmetricKey,
		UniqueIdentifier: "3f2a8a52-4a3c-4bb8-9a55-0b6c0f0d7c11",
		Object: Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{
			FormatType: kmip14.KeyFormatTypeRaw, Material: make([]byte, 32),
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256,
		}},
	}
	return req, resp
}

// BenchmarkDecodeEncodeGet measures the codec work of one Get exchange on
// the server: decode the request, encode the response on a reused buffer.
func BenchmarkDecodeEncodeGet(b *testing.B) {
	reqBytes, payload := getExchange(b)
	var enc messageEncoder
	resp := &ResponseMessage{Items: make([]ResponseItem, 1)}
	now := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(reqBytes)))
	for b.Loop() {
		req, err := decodeRequest(reqBytes, 1000)
		if err != nil || req.Items[0].Err != nil {
			b.Fatal(err, req.Items[0].Err)
		}
		resp.Header = ResponseHeader{Version: req.Header.Version, TimeStamp: now}
		resp.Items[0] = ResponseItem{Operation: req.Items[0].Operation, Status: kmip14.ResultStatusSuccess, Payload: payload}
		if _, err := enc.encodeResponse(resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeResponseHeaderOnly measures the message layer alone: a
// response with one empty-payload item.
func BenchmarkEncodeResponseHeaderOnly(b *testing.B) {
	var enc messageEncoder
	resp := &ResponseMessage{Header: ResponseHeader{Version: V1_4, TimeStamp: time.Now()},
		Items: []ResponseItem{{Operation: kmip14.OperationDiscoverVersions, Status: kmip14.ResultStatusSuccess}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := enc.encodeResponse(resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServerGet measures a whole Get round trip over TLS on loopback,
// one client, handler returning a fixed key.
func BenchmarkServerGet(b *testing.B) {
	_, payload := getExchange(b)
	pki := newTestPKI(b)
	srv := &Server{
		Handler:   HandlerFunc(func(context.Context, *Request) (any, error) { return payload, nil }),
		TLSConfig: pki.server,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c, err := Dial(context.Background(), ln.Addr().String(), pki.client)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := &GetRequest{UniqueIdentifier: payload.UniqueIdentifier}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(context.Background(), kmip14.OperationGet, req); err != nil {
			b.Fatal(err)
		}
	}
}
