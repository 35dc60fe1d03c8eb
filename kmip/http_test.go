package kmip

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// httpsServer is a Server behind NewHTTPServer on a loopback listener.
type httpsServer struct {
	srv      *Server
	url      string
	pki      *testPKI
	identity atomic.Value // the Peer.Identity the Handler last saw
}

// startHTTPS serves h over HTTPS with real mutual TLS.
func startHTTPS(t testing.TB, h HandlerFunc, limits Limits, configure ...func(*Server)) *httpsServer {
	t.Helper()
	pki := newTestPKI(t)
	hs := &httpsServer{pki: pki}
	hs.srv = &Server{
		Handler: HandlerFunc(func(ctx context.Context, req *Request) (any, error) {
			hs.identity.Store(req.Peer.Identity)
			return h(ctx, req)
		}),
		TLSConfig: pki.server,
		Identify: func(cs *tls.ConnectionState) (string, error) {
			return cs.PeerCertificates[0].Subject.CommonName, nil
		},
		Limits: limits,
	}
	for _, f := range configure {
		f(hs.srv)
	}
	httpSrv := NewHTTPServer(hs.srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs.url = "https://" + ln.Addr().String() + HTTPPath
	go ServeHTTPS(httpSrv, hs.srv, ln)
	t.Cleanup(func() { httpSrv.Close() })
	return hs
}

// client returns an HTTPClient with the test client certificate.
func (hs *httpsServer) client(t testing.TB, enc Encoding) *HTTPClient {
	c := NewHTTPClient(hs.url, hs.pki.client, enc)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// post sends body with contentType using a plain http.Client holding the
// test client certificate, and returns the status, Content-Type and body.
func (hs *httpsServer) post(t *testing.T, method, url, contentType string, body []byte) (int, string, []byte) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: hs.pki.client}, Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// queryHandler answers DiscoverVersions and Query as a server would.
func queryHandler(_ context.Context, req *Request) (any, error) {
	switch req.Operation {
	case kmip14.OperationDiscoverVersions:
		return &DiscoverVersionsResponse{Versions: SupportedVersions}, nil
	case kmip14.OperationQuery:
		return &QueryResponse{
			Operations: []Operation{kmip14.OperationQuery, kmip14.OperationLocate, kmip14.OperationDestroy,
				kmip14.OperationGet, kmip14.OperationCreate, kmip14.OperationRegister, kmip14.OperationGetAttributes,
				kmip14.OperationGetAttributeList, kmip14.OperationAddAttribute, kmip14.OperationModifyAttribute,
				kmip14.OperationDeleteAttribute, kmip14.OperationActivate, kmip14.OperationRevoke,
				kmip14.OperationDiscoverVersions, kmip14.OperationCreateKeyPair},
			ObjectTypes: []ObjectType{kmip14.ObjectTypeSymmetricKey, kmip14.ObjectTypePublicKey,
				kmip14.ObjectTypePrivateKey, kmip14.ObjectTypeSecretData, kmip14.ObjectTypeCertificate},
		}, nil
	}
	return nil, Errorf(ReasonOperationNotSupported, "not supported")
}

// exchange sends the TTLV request through c and decodes the response.
func exchange(t testing.TB, c *HTTPClient, request []byte) *ResponseMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := c.RoundTrip(ctx, request)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := DecodeResponse(out)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

var httpEncodings = []Encoding{EncodingTTLV, EncodingXML, EncodingJSON}

// DiscoverVersions and Query, in 1.4 and 2.1, are served in each encoding
// through the Handler, with the client identified by its certificate.
func TestHTTPServesEachEncoding(t *testing.T) {
	hs := startHTTPS(t, queryHandler, Limits{})
	for _, enc := range httpEncodings {
		c := hs.client(t, enc)
		for _, v := range []Version{V1_4, V2_1} {
			t.Run(fmt.Sprintf("%s/%s", enc, v), func(t *testing.T) {
				req, err := EncodeRequest(&RequestMessage{
					Header: RequestHeader{Version: v, ClientCorrelationValue: "corr-" + enc.String()},
					Items: []RequestItem{
						{Operation: kmip14.OperationDiscoverVersions, ID: []byte{1}, Payload: &DiscoverVersionsRequest{}},
						{Operation: kmip14.OperationQuery, ID: []byte{2}, Payload: &QueryRequest{
							Functions: []QueryFunction{kmip14.QueryFunctionQueryOperations, kmip14.QueryFunctionQueryObjects}}},
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				resp := exchange(t, c, req)
				if resp.Header.Version != v || resp.Header.ClientCorrelationValue != "corr-"+enc.String() || len(resp.Items) != 2 {
					t.Fatalf("header %+v, %d items", resp.Header, len(resp.Items))
				}
				wantItem(t, resp.Items[0], kmip14.ResultStatusSuccess, 0)
				wantItem(t, resp.Items[1], kmip14.ResultStatusSuccess, 0)
				dv, ok := resp.Items[0].Payload.(*DiscoverVersionsResponse)
				if !ok || len(dv.Versions) != len(SupportedVersions) {
					t.Fatalf("DiscoverVersions payload %#v", resp.Items[0].Payload)
				}
				q, ok := resp.Items[1].Payload.(*QueryResponse)
				if !ok || len(q.Operations) != 15 || len(q.ObjectTypes) != 5 || q.Operations[0] != kmip14.OperationQuery {
					t.Fatalf("Query payload %#v", resp.Items[1].Payload)
				}
				if id := hs.identity.Load(); id != "client-1" {
					t.Fatalf("Handler saw identity %v", id)
				}
			})
		}
	}
}

// The requests of the MSGENC test cases (Query with a Maximum Response Size
// of 256, then 2048 bytes), sent in their encodings, fail with Response Too
// Large and then succeed.
func TestHTTPVectorMaximumResponseSize(t *testing.T) {
	hs := startHTTPS(t, queryHandler, Limits{})
	cases := map[string]Encoding{"MSGENC-HTTPS-M-1": EncodingTTLV, "MSGENC-XML-M-1": EncodingXML, "MSGENC-JSON-M-1": EncodingJSON}
	for name, enc := range cases {
		for _, file := range []string{"v1.4/mandatory/" + name + "-14.xml", "v2.1/mandatory/" + name + "-21.xml"} {
			t.Run(filepath.Base(file), func(t *testing.T) {
				requests := loadVectorMessages(t, vectorPath(t, file), "RequestMessage")
				if len(requests) != 2 {
					t.Fatalf("%d request messages", len(requests))
				}
				c := hs.client(t, enc)
				for i, want := range []ResultStatus{kmip14.ResultStatusOperationFailed, kmip14.ResultStatusSuccess} {
					req, err := DecodeRequest(requests[i])
					if err != nil {
						t.Fatal(err)
					}
					resp := exchange(t, c, requests[i])
					if len(resp.Items) != 1 || resp.Header.ClientCorrelationValue != req.Header.ClientCorrelationValue {
						t.Fatalf("step %d: header %+v, %d items", i, resp.Header, len(resp.Items))
					}
					wantItem(t, resp.Items[0], want, ReasonResponseTooLarge)
					if resp.Items[0].Operation != kmip14.OperationQuery {
						t.Fatalf("step %d: operation %v", i, resp.Items[0].Operation)
					}
				}
			})
		}
	}
}

// wantInvalidMessage checks that body is a KMIP response in enc failing
// with Invalid Message.
func wantInvalidMessage(t *testing.T, enc Encoding, status int, contentType string, body []byte) {
	t.Helper()
	if status != http.StatusOK || contentType != enc.ContentType() {
		t.Fatalf("HTTP %d %s: %.200s", status, contentType, body)
	}
	msg, err := toTTLV(enc, body, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := DecodeResponse(msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Items) != 1 {
		t.Fatalf("%d items", len(resp.Items))
	}
	wantItem(t, resp.Items[0], kmip14.ResultStatusOperationFailed, ReasonInvalidMessage)
}

// Bad bodies are answered with Invalid Message in the request's encoding,
// quickly, and leave the server serving.
func TestHTTPRejectsBadBodies(t *testing.T) {
	hs := startHTTPS(t, queryHandler, Limits{})
	huge := bytes.Repeat([]byte("a"), 2<<20)
	notRequest, err := fromTTLV(EncodingXML, mustEncodeResponse(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		enc  Encoding
		body []byte
	}{
		{"2 MiB TTLV", EncodingTTLV, append([]byte{0x42, 0x00, 0x78, 0x01, 0x00, 0x20, 0x00, 0x00}, huge...)},
		{"2 MiB XML", EncodingXML, huge},
		{"2 MiB JSON", EncodingJSON, huge},
		{"XML nested 1000 deep", EncodingXML, []byte(strings.Repeat("<RequestMessage>", 1000) + strings.Repeat("</RequestMessage>", 1000))},
		{"JSON nested 1000 deep", EncodingJSON, []byte(strings.Repeat(`{"tag":"RequestMessage","value":[`, 1000) + strings.Repeat("]}", 1000))},
		{"JSON arrays nested 1000 deep", EncodingJSON, []byte(strings.Repeat("[", 1000) + strings.Repeat("]", 1000))},
		{"invalid JSON", EncodingJSON, []byte(`{"tag":"RequestMessage","value":[`)},
		{"JSON wrong value type", EncodingJSON, []byte(`{"tag":"RequestMessage","value":[{"tag":"BatchCount","type":"Integer","value":"many"}]}`)},
		{"JSON wrong TTLV type for tag", EncodingJSON, []byte(`{"tag":"RequestMessage","value":[{"tag":"RequestHeader","type":"Integer","value":1}]}`)},
		{"XML wrong TTLV type for tag", EncodingXML, []byte(`<RequestMessage><RequestHeader type="TextString" value="x"/></RequestMessage>`)},
		{"XML not KMIP", EncodingXML, []byte(`<html><body><p>hello</p></body></html>`)},
		{"XML response message", EncodingXML, notRequest},
		{"XML entity", EncodingXML, []byte(`<!DOCTYPE r [<!ENTITY e "x">]><RequestMessage/>`)},
		{"TTLV header, bad body", EncodingTTLV, []byte{0x42, 0x00, 0x78, 0x01, 0, 0, 0, 8, 0x42, 0, 0x77, 0x09, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			status, ct, body := hs.post(t, http.MethodPost, hs.url, tt.enc.ContentType(), tt.body)
			if d := time.Since(start); d > time.Second {
				t.Errorf("answered after %v", d)
			}
			wantInvalidMessage(t, tt.enc, status, ct, body)
		})
	}
	// Still serving.
	exchange(t, hs.client(t, EncodingJSON), discoverVersionsRequest(V2_1))
}

func mustEncodeResponse(t *testing.T) []byte {
	t.Helper()
	b, err := EncodeResponse(&ResponseMessage{
		Header: ResponseHeader{Version: V1_4, TimeStamp: time.Now()},
		Items:  []ResponseItem{{Operation: kmip14.OperationDiscoverVersions, Status: kmip14.ResultStatusSuccess}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// HTTP-level mistakes get HTTP errors.
func TestHTTPStatusCodes(t *testing.T) {
	hs := startHTTPS(t, queryHandler, Limits{})
	dv := discoverVersionsRequest(V1_4)
	tests := []struct {
		name, method, path, contentType string
		body                            []byte
		want                            int
	}{
		{"GET", http.MethodGet, HTTPPath, "application/octet-stream", nil, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, HTTPPath, "application/octet-stream", dv, http.StatusMethodNotAllowed},
		{"wrong path", http.MethodPost, "/other", "application/octet-stream", dv, http.StatusNotFound},
		{"text/plain", http.MethodPost, HTTPPath, "text/plain", dv, http.StatusUnsupportedMediaType},
		{"no Content-Type", http.MethodPost, HTTPPath, "", dv, http.StatusUnsupportedMediaType},
		{"TTLV not KMIP", http.MethodPost, HTTPPath, "application/octet-stream", []byte("GET / HTTP/1.0\r\n\r\n"), http.StatusBadRequest},
		{"TTLV truncated", http.MethodPost, HTTPPath, "application/octet-stream", dv[:len(dv)-8], http.StatusBadRequest},
		{"TTLV trailing bytes", http.MethodPost, HTTPPath, "application/octet-stream", append(bytes.Clone(dv), make([]byte, 8)...), http.StatusBadRequest},
		{"TTLV", http.MethodPost, HTTPPath, "application/octet-stream", dv, http.StatusOK},
	}
	base := strings.TrimSuffix(hs.url, HTTPPath)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := hs.post(t, tt.method, base+tt.path, tt.contentType, tt.body)
			if status != tt.want {
				t.Fatalf("HTTP %d, want %d: %.200s", status, tt.want, body)
			}
		})
	}
}

// A client without a certificate fails the TLS handshake; no Handler runs.
func TestHTTPRequiresClientCertificate(t *testing.T) {
	var calls atomic.Int64
	hs := startHTTPS(t, func(ctx context.Context, req *Request) (any, error) {
		calls.Add(1)
		return queryHandler(ctx, req)
	}, Limits{})
	c := NewHTTPClient(hs.url, hs.pki.noCert, EncodingXML)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.RoundTrip(ctx, discoverVersionsRequest(V1_4)); err == nil {
		t.Fatal("request without a client certificate served")
	}
	if calls.Load() != 0 {
		t.Fatalf("%d Handler calls", calls.Load())
	}
}

// A client the Server's Identify refuses is answered 403.
func TestHTTPIdentifyRefusal(t *testing.T) {
	hs := startHTTPS(t, queryHandler, Limits{}, func(s *Server) {
		s.Identify = func(*tls.ConnectionState) (string, error) { return "", errors.New("revoked") }
	})
	status, _, _ := hs.post(t, http.MethodPost, hs.url, "application/octet-stream", discoverVersionsRequest(V1_4))
	if status != http.StatusForbidden {
		t.Fatalf("HTTP %d", status)
	}
}

// A request that converts to a message over MaxMessageSize is refused like
// an oversized body; the client's response bound is enforced.
func TestHTTPSizeLimits(t *testing.T) {
	hs := startHTTPS(t, queryHandler, Limits{MaxMessageSize: 200})
	dv := discoverVersionsRequest(V1_4) // 80 bytes of TTLV, more as text
	xmlBody, _ := fromTTLV(EncodingXML, dv)
	status, ct, body := hs.post(t, http.MethodPost, hs.url, "text/xml", xmlBody)
	if len(xmlBody) <= 200 {
		t.Fatalf("XML request of %d bytes does not exceed the limit", len(xmlBody))
	}
	wantInvalidMessage(t, EncodingXML, status, ct, body)
	exchange(t, hs.client(t, EncodingTTLV), dv)

	c := hs.client(t, EncodingJSON)
	c.MaxResponseSize = 64
	if _, err := c.RoundTrip(context.Background(), dv); err == nil || !strings.Contains(err.Error(), "larger than 64") {
		t.Fatalf("oversized response: %v", err)
	}
}

// The client refuses a request that is not valid TTLV before sending it.
func TestHTTPClientRejectsInvalidRequest(t *testing.T) {
	c := NewHTTPClient("https://127.0.0.1:1/kmip", &tls.Config{}, EncodingXML)
	if _, err := c.RoundTrip(context.Background(), []byte{0x42, 0, 0x78, 0x01, 0, 0, 0, 9}); err == nil {
		t.Fatal("invalid TTLV sent")
	}
	if _, err := c.RoundTrip(context.Background(), ttlv.TTLV{}); err == nil {
		t.Fatal("empty request sent")
	}
}

// waitFor polls cond for up to 2 seconds.
func waitFor(cond func() bool) bool {
	deadline := time.Now().Add(2 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// The Observer hears of HTTPS connections and items as of TTLV ones, and
// MaxConns caps HTTPS connections.
func TestHTTPObserverAndConnectionCap(t *testing.T) {
	obs := &countingObserver{}
	hs := startHTTPS(t, failSecond, Limits{MaxConns: 1}, func(s *Server) { s.Observer = obs })
	first := hs.client(t, EncodingXML)
	req, err := EncodeRequest(&RequestMessage{Header: RequestHeader{Version: V1_4}, Items: items(dv, dv, dv)})
	if err != nil {
		t.Fatal(err)
	}
	resp := exchange(t, first, req)
	if len(resp.Items) != 2 {
		t.Fatalf("%d items", len(resp.Items))
	}
	if obs.items.Load() != 2 || obs.failed.Load() != 1 {
		t.Fatalf("items %d failed %d", obs.items.Load(), obs.failed.Load())
	}

	// first keeps its connection alive: a second client is refused.
	second := hs.client(t, EncodingXML)
	if _, err := second.RoundTrip(context.Background(), discoverVersionsRequest(V1_4)); err == nil {
		t.Fatal("connection beyond MaxConns served")
	}
	first.CloseIdleConnections()
	if !waitFor(func() bool { return obs.closed.Load() == obs.opened.Load() }) {
		t.Fatalf("opened %d closed %d", obs.opened.Load(), obs.closed.Load())
	}
	exchange(t, second, discoverVersionsRequest(V1_4))
	if obs.opened.Load() != 3 {
		t.Fatalf("opened %d connections, want 3", obs.opened.Load())
	}
}

// BenchmarkHTTPRoundTrip measures one DiscoverVersions over HTTPS with a
// kept-alive connection, per encoding.
func BenchmarkHTTPRoundTrip(b *testing.B) {
	hs := startHTTPS(b, queryHandler, Limits{})
	req := discoverVersionsRequest(V1_4)
	for _, enc := range httpEncodings {
		c := hs.client(b, enc)
		b.Run(enc.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				exchange(b, c, req)
			}
		})
	}
}
